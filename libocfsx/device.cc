// Device: open/size/sector probing and robust positioned I/O.
#include "ocfsx/device.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ocfsx/status.h"

namespace ocfsx {

AlignedBuffer::AlignedBuffer(size_t size) : size_(size) {
  if (size == 0) return;
  void* p = nullptr;
  if (posix_memalign(&p, kAlign, (size + kAlign - 1) / kAlign * kAlign) != 0) std::abort();
  data_ = static_cast<uint8_t*>(p);
  std::memset(data_, 0, size);
}

AlignedBuffer::AlignedBuffer(AlignedBuffer&& o) noexcept : data_(o.data_), size_(o.size_) {
  o.data_ = nullptr;
  o.size_ = 0;
}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = o.data_;
    size_ = o.size_;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

AlignedBuffer::~AlignedBuffer() { std::free(data_); }

void AlignedBuffer::Zero() {
  if (data_) std::memset(data_, 0, size_);
}

AlignedBuffer AlignedBuffer::Clone() const {
  AlignedBuffer b(size_);
  if (size_) std::memcpy(b.data_, data_, size_);
  return b;
}

Result<std::unique_ptr<Device>> Device::Open(const std::string& path, const DeviceOptions& opts) {
  std::unique_ptr<Device> dev(new Device());
  dev->path_ = path;
  dev->opts_ = opts;
  int flags = (opts.writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
  if (opts.direct) flags |= O_DIRECT;

  struct stat st;
  if (stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, path);
  dev->is_blockdev_ = S_ISBLK(st.st_mode);
  if (S_ISDIR(st.st_mode))
    return Status::Error(EISDIR, path + ": is a directory; give a block device or an image file");
  if (!dev->is_blockdev_ && !S_ISREG(st.st_mode))
    return Status::Invalid(path + ": not a block device or regular file; give a block device or an image file");
  // O_EXCL on a block device makes the kernel refuse while it is mounted or
  // claimed by another holder; on a regular file it would mean "create".
  if (opts.exclusive && dev->is_blockdev_) flags |= O_EXCL;

  dev->fd_ = open(path.c_str(), flags);
  if (dev->fd_ < 0) {
    int err = errno;
    if (err == EBUSY) return ErrnoStatus(err, path + ": device is in use (mounted or held by another program)");
    return ErrnoStatus(err, path + (opts.writable ? ": cannot open read-write" : ": cannot open"));
  }
  if (fstat(dev->fd_, &st) != 0) return ErrnoStatus(errno, path + ": stat");
  if (dev->is_blockdev_) {
    dev->rdev_ = st.st_rdev;
    uint64_t bytes = 0;
    if (ioctl(dev->fd_, BLKGETSIZE64, &bytes) != 0) return ErrnoStatus(errno, path + ": BLKGETSIZE64");
    dev->size_ = bytes;
    int lss = 0;
    unsigned int pss = 0;
    if (ioctl(dev->fd_, BLKSSZGET, &lss) == 0 && lss > 0) dev->lss_ = static_cast<uint32_t>(lss);
    if (ioctl(dev->fd_, BLKPBSZGET, &pss) == 0 && pss > 0) dev->pss_ = pss;
    dev->pss_ = std::max(dev->pss_, dev->lss_);
  } else {
    dev->size_ = static_cast<uint64_t>(st.st_size);
    dev->lss_ = 512;
    dev->pss_ = 512;
  }
  return dev;
}

Device::~Device() {
  if (fd_ >= 0) close(fd_);
}

Status Device::Transfer(bool write, uint64_t offset, void* buf, size_t len) const {
  // O_DIRECT needs sector-aligned memory; bounce anything else.
  if (opts_.direct && (reinterpret_cast<uintptr_t>(buf) % AlignedBuffer::kAlign) != 0) {
    AlignedBuffer bounce(len);
    if (write) std::memcpy(bounce.data(), buf, len);
    OCFSX_RETURN_IF_ERROR(Transfer(write, offset, bounce.data(), len));
    if (!write) std::memcpy(buf, bounce.data(), len);
    return Status();
  }
  auto* p = static_cast<uint8_t*>(buf);
  size_t done = 0;
  while (done < len) {
    ssize_t n = write ? pwrite(fd_, p + done, len - done, static_cast<off_t>(offset + done))
                      : pread(fd_, p + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, path_ + (write ? ": write of " : ": read of ") + std::to_string(len) +
                                 " bytes at offset " + std::to_string(offset));
    }
    if (n == 0) {
      return ErrnoStatus(write ? ENOSPC : EIO, path_ + (write ? ": short write at offset " : ": short read at offset ") +
                                               std::to_string(offset + done) + " (device is " +
                                               std::to_string(size_) + " bytes)");
    }
    done += static_cast<size_t>(n);
  }
  return Status();
}

Status Device::ReadAt(uint64_t offset, void* buf, size_t len) const { return Transfer(false, offset, buf, len); }

Status Device::WriteAt(uint64_t offset, const void* buf, size_t len) {
  if (!opts_.writable) return ErrnoStatus(EBADF, path_ + ": opened read-only");
  return Transfer(true, offset, const_cast<void*>(buf), len);
}

Status Device::ZeroRange(uint64_t offset, uint64_t len) {
  if (len == 0) return Status();
  if (!opts_.writable) return ErrnoStatus(EBADF, path_ + ": opened read-only");
  if (is_blockdev_) {
    uint64_t range[2] = {offset, len};
    if (offset % lss_ == 0 && len % lss_ == 0 && ioctl(fd_, BLKZEROOUT, range) == 0) return Status();
  } else {
    // A hole inside the file; extend first if the range reaches past EOF.
    if (offset + len <= size_ &&
        fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(len)) == 0)
      return Status();
  }
  constexpr size_t kChunk = 1 << 20;
  AlignedBuffer zeros(static_cast<size_t>(std::min<uint64_t>(len, kChunk)));
  while (len > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(len, zeros.size()));
    OCFSX_RETURN_IF_ERROR(WriteAt(offset, zeros.data(), n));
    offset += n;
    len -= n;
  }
  return Status();
}

Status Device::Sync() {
  if (fsync(fd_) != 0) return ErrnoStatus(errno, path_ + ": fsync");
  return Status();
}

}  // namespace ocfsx
