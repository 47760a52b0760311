// Block header checks and checksummed metadata I/O.
#include "ocfsx/block_io.h"

#include <cstdio>
#include <cstring>

#include "ocfsx/crc32c.h"
#include "ocfsx/endian.h"
#include "ocfsx/status.h"

namespace ocfsx {
namespace {

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

std::string TypeChars(uint16_t t) {
  std::string s;
  for (char c : {static_cast<char>(t & 0xff), static_cast<char>(t >> 8)})
    s += (c >= 0x20 && c < 0x7f) ? c : '?';
  return s;
}

}  // namespace

const char* BlockTypeName(uint16_t type) {
  switch (type) {
    case OCFSX_BT_SUPER: return "superblock";
    case OCFSX_BT_INODE: return "inode";
    case OCFSX_BT_EXTENT: return "extent block";
    case OCFSX_BT_GROUP: return "group descriptor";
    case OCFSX_BT_DIRBLOCK: return "dirent block";
    case OCFSX_BT_DX_ROOT: return "dx root";
    case OCFSX_BT_DX_NODE: return "dx node";
    case OCFSX_BT_XATTR: return "xattr block";
    case OCFSX_BT_HEARTBEAT: return "heartbeat";
    case OCFSX_BT_SLOT_MAP: return "slot map";
    default: return "unknown";
  }
}

ocfsx_block_header* BlockHeader(void* block, uint16_t type, uint32_t bs) {
  auto* p = static_cast<uint8_t*>(block);
  if (type == OCFSX_BT_DIRBLOCK) p += bs - OCFSX_DIR_TRAILER_SIZE;
  return reinterpret_cast<ocfsx_block_header*>(p);
}

const ocfsx_block_header* BlockHeader(const void* block, uint16_t type, uint32_t bs) {
  return BlockHeader(const_cast<void*>(block), type, bs);
}

uint32_t ComputeBlockChecksum(const void* block, uint16_t type, uint32_t bs) {
  const auto* p = static_cast<const uint8_t*>(block);
  uint32_t off = ocfsx_csum_offset(type, bs);
  static const uint8_t kZero[4] = {0, 0, 0, 0};
  uint32_t crc = Crc32cUpdate(~0U, p, off);
  crc = Crc32cUpdate(crc, kZero, 4);
  crc = Crc32cUpdate(crc, p + off + 4, bs - off - 4);
  return ~crc;
}

void SealBlock(void* block, uint16_t type, uint32_t bs) {
  BlockHeader(block, type, bs)->bh_crc32c = Le32(ComputeBlockChecksum(block, type, bs));
}

Status VerifyBlock(const void* block, uint16_t type, uint32_t bs, uint64_t blkno, uint32_t fs_generation,
                   bool check_generation) {
  const ocfsx_block_header* h = BlockHeader(block, type, bs);
  std::string where = "block " + std::to_string(blkno) + " (" + BlockTypeName(type) + "): ";
  if (Le32(h->bh_magic) != OCFSX_META_MAGIC)
    return Status::Corrupt(where + "bad magic " + Hex(Le32(h->bh_magic)) + " (not ocfsx metadata)");
  if (Le16(h->bh_type) != type)
    return Status::Corrupt(where + "wrong block type '" + TypeChars(Le16(h->bh_type)) + "', expected '" +
                           TypeChars(type) + "'");
  uint32_t stored = Le32(h->bh_crc32c);
  uint32_t computed = ComputeBlockChecksum(block, type, bs);
  if (stored != computed)
    return Status::Corrupt(where + "bad checksum (stored " + Hex(stored) + ", computed " + Hex(computed) + ")");
  if (Le64(h->bh_blkno) != blkno)
    return Status::Corrupt(where + "self-reference is " + std::to_string(Le64(h->bh_blkno)) +
                           " (misdirected write or read)");
  if (check_generation && Le32(h->bh_fs_generation) != fs_generation)
    return Status::Corrupt(where + "fs generation " + Hex(Le32(h->bh_fs_generation)) + " is not the volume's " +
                           Hex(fs_generation) + " (stale block from an earlier mkfs)");
  return Status();
}

void InitBlockHeader(void* block, uint16_t type, uint32_t bs, uint64_t blkno, uint64_t owner,
                     uint32_t fs_generation, const AllocOrigin& origin) {
  ocfsx_block_header* h = BlockHeader(block, type, bs);
  std::memset(h, 0, sizeof(*h));
  h->bh_magic = Le32(OCFSX_META_MAGIC);
  h->bh_blkno = Le64(blkno);
  h->bh_owner = Le64(owner);
  h->bh_alloc_group = Le64(origin.group);
  h->bh_alloc_bit = Le32(origin.bit);
  h->bh_fs_generation = Le32(fs_generation);
  h->bh_type = Le16(type);
  h->bh_alloc_slot = Le16(origin.slot);
  h->bh_last_writer = Le16(OCFSX_SLOT_NONE);
}

Status MetaIo::Read(uint64_t blkno, uint16_t type, void* buf) const {
  OCFSX_RETURN_IF_ERROR(ReadRaw(blkno, buf));
  return VerifyBlock(buf, type, block_size(), blkno, fs_generation_);
}

Status MetaIo::ReadRaw(uint64_t blkno, void* buf) const {
  if (blkno == 0 || blkno >= geo_.blocks())
    return Status::Corrupt("block " + std::to_string(blkno) + " is outside the volume (" +
                           std::to_string(geo_.blocks()) + " blocks)");
  return dev_->ReadBlocks(blkno, block_size(), buf);
}

void MetaIo::Stamp(uint64_t blkno, uint16_t type, void* buf) const {
  ocfsx_block_header* h = BlockHeader(buf, type, block_size());
  h->bh_magic = Le32(OCFSX_META_MAGIC);
  h->bh_type = Le16(type);
  h->bh_blkno = Le64(blkno);
  h->bh_fs_generation = Le32(fs_generation_);
  SealBlock(buf, type, block_size());
}

Status MetaIo::Write(uint64_t blkno, uint16_t type, void* buf) {
  Stamp(blkno, type, buf);
  return WriteRaw(blkno, buf);
}

Status MetaIo::WriteRaw(uint64_t blkno, const void* buf) {
  if (blkno == 0 || blkno >= geo_.blocks())
    return Status::Invalid("refusing to write block " + std::to_string(blkno) + " outside the volume");
  return dev_->WriteBlocks(blkno, block_size(), buf);
}

}  // namespace ocfsx
