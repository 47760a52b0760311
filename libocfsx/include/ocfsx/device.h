// Device: a block device or image file holding an ocfsx volume, with whole
// block I/O that survives short transfers and EINTR, and optional O_DIRECT.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ocfsx/status.h"

namespace ocfsx {

// Heap buffer aligned for O_DIRECT (4 KiB covers every sector size we meet).
class AlignedBuffer {
 public:
  static constexpr size_t kAlign = 4096;
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t size);  // zero-filled
  AlignedBuffer(AlignedBuffer&& o) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  void Zero();
  AlignedBuffer Clone() const;

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

struct DeviceOptions {
  bool writable = false;
  bool direct = false;     // O_DIRECT: bypass the page cache (heartbeat reads)
  bool exclusive = false;  // O_EXCL on block devices: fail if mounted/in use
};

class Device {
 public:
  // Errors are one line naming the path, e.g.
  //   "/dev/sdb: cannot open read-write: Read-only file system".
  static Result<std::unique_ptr<Device>> Open(const std::string& path, const DeviceOptions& opts);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }  // bytes
  bool is_block_device() const { return is_blockdev_; }
  dev_t rdev() const { return rdev_; }  // block devices: the device number
  bool writable() const { return opts_.writable; }
  bool direct() const { return opts_.direct; }
  uint32_t logical_sector_size() const { return lss_; }
  uint32_t physical_sector_size() const { return pss_; }
  int fd() const { return fd_; }

  // Whole transfers: a short read past the end is an error naming the range.
  Status ReadAt(uint64_t offset, void* buf, size_t len) const;
  Status WriteAt(uint64_t offset, const void* buf, size_t len);
  Status ReadBlocks(uint64_t blkno, uint32_t block_size, void* buf, size_t count = 1) const {
    return ReadAt(blkno * block_size, buf, count * block_size);
  }
  Status WriteBlocks(uint64_t blkno, uint32_t block_size, const void* buf, size_t count = 1) {
    return WriteAt(blkno * block_size, buf, count * block_size);
  }
  // Makes [offset, offset+len) read as zeroes: punches a hole in files,
  // BLKZEROOUT on block devices, and falls back to writing zeroes.
  Status ZeroRange(uint64_t offset, uint64_t len);
  Status Sync();

 private:
  Device() = default;
  Status Transfer(bool write, uint64_t offset, void* buf, size_t len) const;

  std::string path_;
  DeviceOptions opts_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool is_blockdev_ = false;
  dev_t rdev_ = 0;
  uint32_t lss_ = 512;
  uint32_t pss_ = 512;
};

}  // namespace ocfsx
