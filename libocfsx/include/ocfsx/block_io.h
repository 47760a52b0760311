// Checksummed metadata block I/O: every metadata block carries the common
// header (magic, type, self blkno, fs generation, CRC-32C); reads verify it
// and writes stamp it. Dirent blocks keep the header in their trailer.
#pragma once

#include <cstdint>
#include <string>

#include "ocfsx/device.h"
#include "ocfsx/status.h"
#include "ocfsx_fs.h"

namespace ocfsx {

// Volume geometry shared by everything that turns numbers into offsets.
struct Geometry {
  uint32_t bbits = 12;
  uint32_t cbits = 12;
  uint64_t clusters = 0;

  uint32_t block_size() const { return 1U << bbits; }
  uint32_t cluster_size() const { return 1U << cbits; }
  uint32_t blocks_per_cluster() const { return 1U << (cbits - bbits); }
  uint64_t ClusterToBlock(uint64_t c) const { return c << (cbits - bbits); }
  uint64_t BlockToCluster(uint64_t b) const { return b >> (cbits - bbits); }
  uint64_t blocks() const { return clusters << (cbits - bbits); }
};

// "superblock", "inode", "dirent block", ... for messages.
const char* BlockTypeName(uint16_t type);

// The header of a block of this type (the trailer's for dirent blocks).
ocfsx_block_header* BlockHeader(void* block, uint16_t type, uint32_t bs);
const ocfsx_block_header* BlockHeader(const void* block, uint16_t type, uint32_t bs);

// CRC-32C of the whole block with the checksum field taken as zero.
uint32_t ComputeBlockChecksum(const void* block, uint16_t type, uint32_t bs);
// Stores the checksum; call after every other field is final.
void SealBlock(void* block, uint16_t type, uint32_t bs);
// The five checks of format §3, each with its own message. fs_generation is
// not checked when check_generation is false (probing a superblock).
Status VerifyBlock(const void* block, uint16_t type, uint32_t bs, uint64_t blkno, uint32_t fs_generation,
                   bool check_generation = true);

// Where a suballocated block came from (format §8.3).
struct AllocOrigin {
  uint16_t slot = OCFSX_SLOT_NONE;
  uint64_t group = 0;
  uint32_t bit = 0;
};

// Fills the header for a fresh block: magic, type, blkno, owner, origin,
// generation; the checksum is left for SealBlock / MetaIo::Write.
void InitBlockHeader(void* block, uint16_t type, uint32_t bs, uint64_t blkno, uint64_t owner,
                     uint32_t fs_generation, const AllocOrigin& origin = {});

// Reads and writes metadata blocks of one volume.
class MetaIo {
 public:
  MetaIo(Device* dev, const Geometry& geo, uint32_t fs_generation)
      : dev_(dev), geo_(geo), fs_generation_(fs_generation) {}

  Device* device() const { return dev_; }
  const Geometry& geometry() const { return geo_; }
  uint32_t block_size() const { return geo_.block_size(); }
  uint32_t fs_generation() const { return fs_generation_; }

  // Reads blkno into buf (block_size bytes) and verifies it is a valid block
  // of the given type; errors look like
  //   "block 1234 (inode): bad checksum (stored 0x1, computed 0x2)".
  Status Read(uint64_t blkno, uint16_t type, void* buf) const;
  Status ReadRaw(uint64_t blkno, void* buf) const;
  // Stamps magic, type, self blkno and generation, then the checksum, and
  // writes. Owner and origin fields are the caller's.
  Status Write(uint64_t blkno, uint16_t type, void* buf);
  Status WriteRaw(uint64_t blkno, const void* buf);
  // Stamps and checksums without writing (for batched writes).
  void Stamp(uint64_t blkno, uint16_t type, void* buf) const;

 private:
  Device* dev_;
  Geometry geo_;
  uint32_t fs_generation_;
};

}  // namespace ocfsx
