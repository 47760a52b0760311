// Superblock: probe, validate (geometry, revision, features) and write the
// primary and its backups (format §4).
#pragma once

#include <cstdint>
#include <vector>

#include "ocfsx/block_io.h"
#include "ocfsx/device.h"
#include "ocfsx/status.h"
#include "ocfsx_fs.h"

namespace ocfsx {

class Superblock {
 public:
  // An all-zero superblock of the given block size, for mkfs to fill.
  static Superblock New(uint32_t bbits);
  // Reads and checks the primary at byte 65536 (one read, any block size).
  static Result<Superblock> ReadPrimary(const Device& dev);
  // Backup i (0..5) at byte 1 GiB << 2i; bbits is the volume's.
  static Result<Superblock> ReadBackup(const Device& dev, unsigned int i, uint32_t bbits);

  // Geometry, revision, slot count, locations and incompat features; the
  // volume must fit in device_bytes. Unknown ro_compat bits are not an error
  // (see unknown_ro_compat()).
  Status Validate(uint64_t device_bytes) const;

  ocfsx_super_block& raw() { return *reinterpret_cast<ocfsx_super_block*>(buf_.data()); }
  const ocfsx_super_block& raw() const { return *reinterpret_cast<const ocfsx_super_block*>(buf_.data()); }
  Geometry geometry() const;
  uint32_t block_size() const { return 1U << raw().s_blocksize_bits; }
  uint32_t fs_generation() const;
  uint64_t blkno() const { return blkno_; }  // where it was read from
  uint32_t max_slots() const;
  uint32_t unknown_ro_compat() const;
  uint32_t unknown_incompat() const;
  bool has_feature_compat(uint32_t f) const;
  bool has_feature_incompat(uint32_t f) const;
  bool has_feature_ro_compat(uint32_t f) const;
  // Block numbers of the backups that lie inside the volume (empty without
  // BACKUP_SB).
  std::vector<uint64_t> BackupBlknos() const;

  // Writes the primary and, with BACKUP_SB, every backup; afterwards the
  // in-memory copy is the primary's (blkno() is the primary's block).
  Status WriteAll(MetaIo& io);
  // Writes one copy at blkno. The in-memory block (its self-reference and
  // checksum) keeps describing blkno(), whatever blkno is.
  Status WriteAt(MetaIo& io, uint64_t blkno);

  // "BackupSB IndexedDirs ..." for summaries.
  std::string FeatureString() const;

 private:
  static Result<Superblock> ReadAt(const Device& dev, uint64_t offset, int64_t expect_bbits);
  AlignedBuffer buf_;
  uint64_t blkno_ = 0;
};

}  // namespace ocfsx
