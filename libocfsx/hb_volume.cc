// Superblock probe for heartbeat volumes (see hb_volume.h).
#include "ocfsx/hb_volume.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "ocfsx/cluster_conf.h"
#include "ocfsx/crc32c.h"
#include "ocfsx/file_util.h"
#include "ocfsx_fs.h"

namespace ocfsx {
namespace {

std::string CString(const __u8* p, size_t n) {
  size_t len = strnlen(reinterpret_cast<const char*>(p), n);
  return std::string(reinterpret_cast<const char*>(p), len);
}

uint16_t Le16(const void* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;  // little-endian hosts only, as everywhere in libocfsx
}
uint32_t Le32(const void* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t Le64(const void* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

Status ReadAt(int fd, void* buf, size_t len, off_t off, const std::string& dev) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, static_cast<char*>(buf) + done, len - done, off + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(errno, "cannot read " + dev);
    if (n == 0) return Status::Invalid(dev + " is too small to hold an ocfsx volume");
    done += static_cast<size_t>(n);
  }
  return Status();
}

}  // namespace

Result<HeartbeatVolume> ProbeHeartbeatVolume(const std::string& device) {
  int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open " + device);
  std::vector<uint8_t> block(OCFSX_MAX_BLOCKSIZE);
  Status s = ReadAt(fd, block.data(), sizeof(ocfsx_super_block), OCFSX_SUPER_OFFSET, device);
  auto not_ocfsx = [&](const std::string& why) {
    return Status::Invalid(device + " is not an ocfsx volume (" + why + "); format it with mkfs.ocfsx");
  };
  if (s.ok()) {
    const auto* sb = reinterpret_cast<const ocfsx_super_block*>(block.data());
    const unsigned bits = sb->s_blocksize_bits;
    if (Le32(&sb->s_hdr.bh_magic) != OCFSX_META_MAGIC || Le16(&sb->s_hdr.bh_type) != OCFSX_BT_SUPER) {
      s = not_ocfsx("no superblock at 64 KiB");
    } else if (bits < OCFSX_MIN_BLOCKSIZE_BITS || bits > OCFSX_MAX_BLOCKSIZE_BITS) {
      s = not_ocfsx("bad block size");
    } else {
      block.resize(size_t{1} << bits);
      s = ReadAt(fd, block.data(), block.size(), OCFSX_SUPER_OFFSET, device);
    }
  }
  ::close(fd);
  if (!s.ok()) return s;

  const auto* sb = reinterpret_cast<const ocfsx_super_block*>(block.data());
  const size_t csum_off = offsetof(ocfsx_block_header, bh_crc32c);
  uint32_t c = Crc32cUpdate(~0u, block.data(), csum_off);
  const uint8_t zero[4] = {};
  c = Crc32cUpdate(c, zero, 4);
  c = ~Crc32cUpdate(c, block.data() + csum_off + 4, block.size() - csum_off - 4);
  if (c != Le32(&sb->s_hdr.bh_crc32c) ||
      Le64(&sb->s_hdr.bh_blkno) != (OCFSX_SUPER_OFFSET >> sb->s_blocksize_bits))
    return Status::Corrupt("the superblock of " + device +
                           " is damaged (checksum or location); run fsck.ocfsx");

  HeartbeatVolume v;
  v.device = device;
  static const char kHex[] = "0123456789ABCDEF";
  for (uint8_t b : sb->s_uuid) {
    v.uuid += kHex[b >> 4];
    v.uuid += kHex[b & 15];
  }
  v.label = CString(sb->s_label, sizeof(sb->s_label));
  v.cluster_name = CString(sb->s_cluster.ci_cluster, sizeof(sb->s_cluster.ci_cluster));
  v.global_heartbeat = Le32(&sb->s_cluster.ci_flags) & OCFSX_CLUSTER_F_GLOBAL_HB;
  v.block_bytes = static_cast<uint32_t>(block.size());
  v.hb_start_block = Le64(&sb->s_hb_blkno);
  v.hb_blocks = Le32(&sb->s_hb_blocks);
  if (v.hb_start_block == 0 || v.hb_blocks == 0)
    return Status::Corrupt(device + " has no heartbeat area in its superblock; run fsck.ocfsx");
  return v;
}

std::vector<std::string> CandidateHeartbeatDevices() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("OCFSX_HB_DEVICES"); env && *env) {
    std::stringstream ss(env);
    std::string dev;
    while (std::getline(ss, dev, ':'))
      if (!dev.empty()) out.push_back(dev);
    return out;
  }
  auto parts = ReadFileToString("/proc/partitions");
  if (!parts.ok()) return out;
  std::stringstream ss(*parts);
  std::string line;
  while (std::getline(ss, line)) {
    std::stringstream ls(line);
    std::string major, minor, blocks, name;
    if (ls >> major >> minor >> blocks >> name && major != "major") out.push_back("/dev/" + name);
  }
  return out;
}

Result<HeartbeatVolume> FindHeartbeatVolume(const std::string& uuid) {
  auto want = NormalizeRegionName(uuid);
  if (!want.ok()) return want.status();
  const auto devices = CandidateHeartbeatDevices();
  for (const auto& dev : devices) {
    auto v = ProbeHeartbeatVolume(dev);
    if (v.ok() && v->uuid == *want) return v;
  }
  return Status::Error(ENOENT, "no device holds heartbeat region " + *want + " (searched " +
                                   std::to_string(devices.size()) +
                                   " block devices); attach the volume, or drop "
                                   "the region with 'o2cbx remove-heartbeat CLUSTER " +
                                   *want + "'");
}

}  // namespace ocfsx
