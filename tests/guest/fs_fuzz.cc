// fs_fuzz: damaged images for tests/vm/fs-fuzz-mount.sh.
//
//   fs_fuzz snapshot DEV BLOCKS SNAP   saves the volume's non-zero blocks
//   fs_fuzz make DEV SNAP SEED CASE    restores them, then damages one
//                                      metadata block and says how
//
// A case picks a block class (CASE modulo the classes: superblock, inode,
// system inode, extent block, group descriptor, dirent block, slot map,
// heartbeat, journal superblock, any metadata block) and one of three
// damages: random bit flips with the stale checksum (the checksum check
// must catch it), random bit flips with the checksum recomputed, or one
// aligned 2/4/8-byte field set to an edge value with the checksum
// recomputed. The last two get past the checksum, so the kernel's
// structural checks are what stand between the damage and an oops.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "guest_rng.h"
#include "ocfsx/crc32c.h"
#include "ocfsx_fs.h"

namespace {

constexpr uint32_t kBs = 4096;
constexpr uint32_t kJbd2Magic = 0xC03B3998;  // big-endian on disk

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "fs_fuzz: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

struct Block {
  uint64_t blkno;
  std::vector<uint8_t> data;
};

std::vector<Block> Load(const std::string& snap) {
  std::vector<Block> out;
  FILE* f = std::fopen(snap.c_str(), "rb");
  if (!f) Die("open " + snap);
  uint64_t blkno;
  while (std::fread(&blkno, sizeof(blkno), 1, f) == 1) {
    Block b{blkno, std::vector<uint8_t>(kBs)};
    if (std::fread(b.data.data(), 1, kBs, f) != kBs) Die("short snapshot " + snap);
    out.push_back(std::move(b));
  }
  std::fclose(f);
  return out;
}

int Snapshot(const std::string& dev, uint64_t blocks, const std::string& snap) {
  int fd = open(dev.c_str(), O_RDONLY);
  if (fd < 0) Die("open " + dev);
  FILE* out = std::fopen(snap.c_str(), "wb");
  if (!out) Die("create " + snap);
  std::vector<uint8_t> buf(kBs * 256);
  size_t saved = 0;
  for (uint64_t b = 0; b < blocks; b += 256) {
    uint64_t n = std::min<uint64_t>(256, blocks - b);
    if (pread(fd, buf.data(), n * kBs, static_cast<off_t>(b * kBs)) != static_cast<ssize_t>(n * kBs))
      Die("read " + dev);
    for (uint64_t i = 0; i < n; i++) {
      const uint8_t* p = buf.data() + i * kBs;
      bool zero = true;
      for (uint32_t k = 0; k < kBs && zero; k++) zero = p[k] == 0;
      if (zero) continue;
      uint64_t blkno = b + i;
      std::fwrite(&blkno, sizeof(blkno), 1, out);
      std::fwrite(p, 1, kBs, out);
      saved++;
    }
  }
  if (std::fclose(out) != 0) Die("write " + snap);
  close(fd);
  std::printf("fs_fuzz: saved %zu non-zero blocks of %llu\n", saved, static_cast<unsigned long long>(blocks));
  return 0;
}

// The type of a metadata block, 0 for data, 1 for a jbd2 superblock.
uint16_t TypeOf(const Block& b) {
  uint32_t magic, jmagic;
  std::memcpy(&magic, b.data.data(), 4);
  std::memcpy(&jmagic, b.data.data(), 4);
  if (__builtin_bswap32(jmagic) == kJbd2Magic) {
    uint32_t jtype;
    std::memcpy(&jtype, b.data.data() + 4, 4);
    jtype = __builtin_bswap32(jtype);
    return (jtype == 3 || jtype == 4) ? 1 : 0;  // v1/v2 superblock, not log blocks
  }
  const ocfsx_block_header* h = reinterpret_cast<const ocfsx_block_header*>(b.data.data());
  if (magic == OCFSX_META_MAGIC) return h->bh_type;
  const ocfsx_block_header* t =
      reinterpret_cast<const ocfsx_block_header*>(b.data.data() + kBs - OCFSX_DIR_TRAILER_SIZE);
  if (t->bh_magic == OCFSX_META_MAGIC && t->bh_type == OCFSX_BT_DIRBLOCK) return OCFSX_BT_DIRBLOCK;
  return 0;
}

bool IsSystemInode(const Block& b) {
  const ocfsx_inode* di = reinterpret_cast<const ocfsx_inode*>(b.data.data());
  return (di->i_flags & OCFSX_IFL_SYSTEM) != 0;
}



int Make(const std::string& dev, const std::string& snap, uint64_t seed, unsigned kase) {
  std::vector<Block> blocks = Load(snap);
  int fd = open(dev.c_str(), O_RDWR);
  if (fd < 0) Die("open " + dev);
  for (const Block& b : blocks)
    if (pwrite(fd, b.data.data(), kBs, static_cast<off_t>(b.blkno * kBs)) != kBs) Die("restore " + dev);

  static const char* const kClasses[] = {"superblock", "inode", "system inode", "extent block",
                                         "group descriptor", "dirent block", "slot map", "heartbeat",
                                         "journal superblock", "any metadata block"};
  const unsigned nclass = sizeof(kClasses) / sizeof(kClasses[0]);
  unsigned cls = kase % nclass;
  std::vector<const Block*> pool;
  for (const Block& b : blocks) {
    uint16_t t = TypeOf(b);
    bool in = false;
    switch (cls) {
      case 0: in = t == OCFSX_BT_SUPER && b.blkno == ocfsx_super_blkno(12); break;
      case 1: in = t == OCFSX_BT_INODE && !IsSystemInode(b); break;
      case 2: in = t == OCFSX_BT_INODE && IsSystemInode(b); break;
      case 3: in = t == OCFSX_BT_EXTENT; break;
      case 4: in = t == OCFSX_BT_GROUP; break;
      case 5: in = t == OCFSX_BT_DIRBLOCK; break;
      case 6: in = t == OCFSX_BT_SLOT_MAP; break;
      case 7: in = t == OCFSX_BT_HEARTBEAT; break;
      case 8: in = t == 1; break;
      default: in = t > 1; break;
    }
    if (in) pool.push_back(&b);
  }
  GuestRng r(GuestMix(seed, kase));
  if (pool.empty()) {
    std::printf("fs_fuzz: case %u: no %s in this volume, image left intact\n", kase, kClasses[cls]);
    close(fd);
    return 0;
  }
  Block b = *pool[r.Below(static_cast<uint32_t>(pool.size()))];
  uint16_t type = TypeOf(b);
  uint32_t csum_off = type > 1 ? ocfsx_csum_offset(type, kBs) : kBs;
  // Damage the part that matters: the header and fixed fields, the first
  // records; tails of blocks are mostly empty.
  uint32_t span = r.Below(4) ? 512 : kBs;
  unsigned how = r.Below(3);
  char what[160];
  if (how < 2) {
    unsigned n = 1 + r.Below(8);
    for (unsigned k = 0; k < n; k++) {
      uint32_t bit = r.Below(span * 8);
      b.data[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    }
    std::snprintf(what, sizeof(what), "%u bit%s flipped in the first %u bytes", n, n > 1 ? "s" : "", span);
  } else {
    static const uint64_t kValues[] = {0, 1, 0xFFFFFFFFFFFFFFFFULL, 0x7FFFFFFFFFFFFFFFULL, 0x80000000ULL,
                                       0xFFFFULL, 4096, 4095};
    unsigned width = 2u << r.Below(3);
    uint32_t off = r.Below(span / width) * width;
    if (type == OCFSX_BT_INODE && r.Below(2)) {
      // Half of the inode cases hit a field the kernel trusts after the
      // checksum: counts, sizes, formats, the body's extent header.
      struct Field {
        uint32_t off, width;
      };
      static const Field kFields[] = {
          {offsetof(ocfsx_inode, i_mode), 2},     {offsetof(ocfsx_inode, i_body_format), 1},
          {offsetof(ocfsx_inode, i_links), 4},    {offsetof(ocfsx_inode, i_size), 8},
          {offsetof(ocfsx_inode, i_clusters), 8}, {offsetof(ocfsx_inode, i_flags), 4},
          {offsetof(ocfsx_inode, i_xattr_inline_size), 2}, {offsetof(ocfsx_inode, i_last_leaf), 8},
          {OCFSX_INODE_BODY_OFFSET, 2},      {OCFSX_INODE_BODY_OFFSET + 2, 2},
          {OCFSX_INODE_BODY_OFFSET + 4, 2},  {OCFSX_INODE_BODY_OFFSET + 16, 8},
          {OCFSX_INODE_BODY_OFFSET + 24, 4}, {OCFSX_INODE_BODY_OFFSET + 28, 4},
      };
      const Field& fl = kFields[r.Below(sizeof(kFields) / sizeof(kFields[0]))];
      off = fl.off;
      width = fl.width;
    }
    uint64_t v = kValues[r.Below(sizeof(kValues) / sizeof(kValues[0]))];
    if (r.Below(4) == 0) v = b.blkno + 1;
    std::memcpy(b.data.data() + off, &v, width);
    std::snprintf(what, sizeof(what), "%u bytes at offset %u set to 0x%llx", width, off,
                  static_cast<unsigned long long>(v & (width == 8 ? ~0ULL : ((1ULL << (width * 8)) - 1))));
  }
  bool fixed = how > 0 && csum_off < kBs;
  if (fixed) {
    std::memset(b.data.data() + csum_off, 0, 4);
    uint32_t c = ocfsx::Crc32c(b.data);
    std::memcpy(b.data.data() + csum_off, &c, 4);
  }
  if (pwrite(fd, b.data.data(), kBs, static_cast<off_t>(b.blkno * kBs)) != kBs) Die("write " + dev);
  if (fsync(fd) != 0) Die("fsync " + dev);
  close(fd);
  std::printf("fs_fuzz: case %u: %s, block %llu: %s, checksum %s\n", kase, kClasses[cls],
              static_cast<unsigned long long>(b.blkno), what,
              fixed ? "recomputed" : (csum_off < kBs ? "left stale" : "none (jbd2)"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "snapshot" && argc == 5) return Snapshot(argv[2], std::strtoull(argv[3], nullptr, 10), argv[4]);
  if (mode == "make" && argc == 6)
    return Make(argv[2], argv[3], std::strtoull(argv[4], nullptr, 10),
                static_cast<unsigned>(std::strtoul(argv[5], nullptr, 10)));
  std::fprintf(stderr, "usage: fs_fuzz snapshot DEV BLOCKS SNAP | fs_fuzz make DEV SNAP SEED CASE\n");
  return 2;
}
