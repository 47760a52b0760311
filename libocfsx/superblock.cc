// Superblock probing, validation and writing.
#include "ocfsx/superblock.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "ocfsx/endian.h"
#include "ocfsx/status.h"

namespace ocfsx {
namespace {

std::string Hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof(b), "0x%x", v);
  return b;
}

}  // namespace

Superblock Superblock::New(uint32_t bbits) {
  Superblock sb;
  sb.buf_ = AlignedBuffer(1U << bbits);
  sb.raw().s_blocksize_bits = static_cast<uint8_t>(bbits);
  sb.blkno_ = ocfsx_super_blkno(bbits);
  return sb;
}

Result<Superblock> Superblock::ReadAt(const Device& dev, uint64_t offset, int64_t expect_bbits) {
  const std::string where = dev.path() + ": superblock at byte " + std::to_string(offset);
  if (dev.size() < offset + OCFSX_SUPER_STRUCT_SIZE)
    return Status::Corrupt(where + ": device too small to hold it");
  AlignedBuffer probe(OCFSX_SUPER_STRUCT_SIZE);
  OCFSX_RETURN_IF_ERROR(dev.ReadAt(offset, probe.data(), probe.size()));
  auto* s = reinterpret_cast<const ocfsx_super_block*>(probe.data());
  if (Le32(s->s_hdr.bh_magic) != OCFSX_META_MAGIC || Le16(s->s_hdr.bh_type) != OCFSX_BT_SUPER)
    return Status::Corrupt(where + ": no ocfsx superblock (bad magic)");
  uint32_t bbits = s->s_blocksize_bits;
  if (bbits < OCFSX_MIN_BLOCKSIZE_BITS || bbits > OCFSX_MAX_BLOCKSIZE_BITS)
    return Status::Corrupt(where + ": invalid block size bits " + std::to_string(bbits));
  if (expect_bbits >= 0 && bbits != static_cast<uint32_t>(expect_bbits))
    return Status::Corrupt(where + ": block size bits " + std::to_string(bbits) + " differ from the primary's");
  uint32_t bs = 1U << bbits;
  if (dev.size() < offset + bs) return Status::Corrupt(where + ": device too small to hold it");
  Superblock sb;
  sb.buf_ = AlignedBuffer(bs);
  OCFSX_RETURN_IF_ERROR(dev.ReadAt(offset, sb.buf_.data(), bs));
  sb.blkno_ = offset >> bbits;
  Status st = VerifyBlock(sb.buf_.data(), OCFSX_BT_SUPER, bs, sb.blkno_, 0, /*check_generation=*/false);
  if (!st.ok()) return st.WithContext(dev.path());
  return sb;
}

Result<Superblock> Superblock::ReadPrimary(const Device& dev) { return ReadAt(dev, OCFSX_SUPER_OFFSET, -1); }

Result<Superblock> Superblock::ReadBackup(const Device& dev, unsigned int i, uint32_t bbits) {
  if (i >= OCFSX_BACKUP_SB_COUNT) return Status::Invalid("backup superblock index " + std::to_string(i) + " out of range 0..5");
  return ReadAt(dev, ocfsx_backup_sb_offset(i), bbits);
}

Geometry Superblock::geometry() const {
  Geometry g;
  g.bbits = raw().s_blocksize_bits;
  g.cbits = raw().s_clustersize_bits;
  g.clusters = Le64(raw().s_clusters);
  return g;
}

uint32_t Superblock::fs_generation() const { return Le32(raw().s_hdr.bh_fs_generation); }
uint32_t Superblock::max_slots() const { return Le16(raw().s_max_slots); }
uint32_t Superblock::unknown_ro_compat() const {
  return Le32(raw().s_feature_ro_compat) & ~OCFSX_FEATURE_RO_COMPAT_SUPP;
}
uint32_t Superblock::unknown_incompat() const {
  return Le32(raw().s_feature_incompat) & ~OCFSX_FEATURE_INCOMPAT_SUPP;
}
bool Superblock::has_feature_compat(uint32_t f) const { return (Le32(raw().s_feature_compat) & f) == f; }
bool Superblock::has_feature_incompat(uint32_t f) const { return (Le32(raw().s_feature_incompat) & f) == f; }
bool Superblock::has_feature_ro_compat(uint32_t f) const { return (Le32(raw().s_feature_ro_compat) & f) == f; }

Status Superblock::Validate(uint64_t device_bytes) const {
  const ocfsx_super_block& s = raw();
  auto bad = [&](const std::string& m) { return Status::Corrupt("superblock: " + m); };
  if (Le16(s.s_major) != OCFSX_FORMAT_MAJOR)
    return Status::Invalid("superblock: format version " + std::to_string(Le16(s.s_major)) + "." +
                           std::to_string(Le16(s.s_minor)) + " is not supported (this is " +
                           std::to_string(OCFSX_FORMAT_MAJOR) + ".x)");
  uint32_t bbits = s.s_blocksize_bits, cbits = s.s_clustersize_bits;
  if (!ocfsx_geometry_valid(bbits, cbits))
    return bad("invalid geometry: block size bits " + std::to_string(bbits) + ", cluster size bits " +
               std::to_string(cbits));
  if (unknown_incompat())
    return Status::Invalid("superblock: unsupported incompatible features " + Hex(unknown_incompat()) +
                           "; this tool is too old for the volume");
  uint32_t slots = max_slots();
  if (slots < 1 || slots > OCFSX_MAX_SLOTS) return bad("max slots " + std::to_string(slots) + " out of range 1..255");
  Geometry g = geometry();
  if (g.clusters == 0) return bad("zero clusters");
  if (g.clusters > (UINT64_MAX >> cbits) || (g.clusters << cbits) > device_bytes)
    return bad("volume of " + std::to_string(g.clusters) + " clusters is larger than the device (" +
               std::to_string(device_bytes) + " bytes)");
  uint64_t blocks = g.blocks();
  auto in_vol = [&](uint64_t b) { return b > ocfsx_super_blkno(bbits) && b < blocks; };
  if (Le64(s.s_first_group_blkno) != ocfsx_super_blkno(bbits) + 1)
    return bad("first group at block " + std::to_string(Le64(s.s_first_group_blkno)) + ", expected " +
               std::to_string(ocfsx_super_blkno(bbits) + 1));
  if (!in_vol(Le64(s.s_root_blkno))) return bad("root directory block " + std::to_string(Le64(s.s_root_blkno)) + " outside the volume");
  if (!in_vol(Le64(s.s_system_dir_blkno)))
    return bad("system directory block " + std::to_string(Le64(s.s_system_dir_blkno)) + " outside the volume");
  if (Le32(s.s_hb_blocks) != OCFSX_MAX_NODES) return bad("heartbeat area of " + std::to_string(Le32(s.s_hb_blocks)) + " blocks, expected 255");
  if (!in_vol(Le64(s.s_hb_blkno)) || Le64(s.s_hb_blkno) + OCFSX_MAX_NODES > blocks)
    return bad("heartbeat area at block " + std::to_string(Le64(s.s_hb_blkno)) + " outside the volume");
  return Status();
}

std::vector<uint64_t> Superblock::BackupBlknos() const {
  std::vector<uint64_t> v;
  if (!has_feature_compat(OCFSX_FEATURE_COMPAT_BACKUP_SB)) return v;
  Geometry g = geometry();
  unsigned int n = ocfsx_backup_sb_count(g.clusters, g.cbits);
  for (unsigned int i = 0; i < n; i++) v.push_back(ocfsx_backup_sb_blkno(i, g.bbits));
  return v;
}

Status Superblock::WriteAt(MetaIo& io, uint64_t blkno) {
  raw().s_hdr.bh_owner = 0;
  raw().s_hdr.bh_alloc_slot = Le16(OCFSX_SLOT_NONE);
  raw().s_hdr.bh_last_writer = Le16(OCFSX_SLOT_NONE);
  Status st = io.Write(blkno, OCFSX_BT_SUPER, buf_.data());
  // io.Write stamped the block for where it went. For a backup that stamp
  // must not stay in memory: the in-memory copy keeps the self-reference and
  // checksum of blkno(), so writing or comparing it as that block afterwards
  // stays right.
  if (blkno != blkno_) io.Stamp(blkno_, OCFSX_BT_SUPER, buf_.data());
  return st;
}

Status Superblock::WriteAll(MetaIo& io) {
  // From here on the in-memory copy describes the primary, even when it was
  // read from a backup.
  blkno_ = ocfsx_super_blkno(raw().s_blocksize_bits);
  for (uint64_t b : BackupBlknos()) OCFSX_RETURN_IF_ERROR(WriteAt(io, b));
  return WriteAt(io, blkno_);
}

std::string Superblock::FeatureString() const {
  std::string s;
  auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(has_feature_compat(OCFSX_FEATURE_COMPAT_BACKUP_SB), "backup-super");
  add(has_feature_incompat(OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT), "local");
  add(has_feature_incompat(OCFSX_FEATURE_INCOMPAT_INLINE_DATA), "inline-data");
  add(has_feature_ro_compat(OCFSX_FEATURE_RO_COMPAT_INDEXED_DIRS), "indexed-dirs");
  add(has_feature_ro_compat(OCFSX_FEATURE_RO_COMPAT_XATTR), "xattr");
  return s.empty() ? "none" : s;
}

}  // namespace ocfsx
