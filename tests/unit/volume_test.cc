// libocfsx volume pieces: checksummed block I/O, allocator bit operations
// and directories (inline, block, and indexed with thousands of names).
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "ocfsx/alloc.h"
#include "ocfsx/bitmap.h"
#include "ocfsx/block_io.h"
#include "ocfsx/device.h"
#include "ocfsx/dir.h"
#include "ocfsx/endian.h"
#include "ocfsx/status.h"
#include "ocfsx/volume.h"
#include "testutil_fs.h"

using namespace ocfsx;

namespace {

struct RawVolume {
  fstest::TempImage img{64ULL << 20};
  std::unique_ptr<Device> dev;
  Geometry geo;
  std::unique_ptr<MetaIo> io;
  explicit RawVolume(uint32_t bbits = 12) {
    DeviceOptions o;
    o.writable = true;
    dev = std::move(Device::Open(img.path(), o)).value();
    geo.bbits = bbits;
    geo.cbits = 12;
    geo.clusters = (64ULL << 20) >> 12;
    io = std::make_unique<MetaIo>(dev.get(), geo, 0x1234);
  }
};

// A volume made by the built mkfs.ocfsx, open read-write, with the global
// bitmap and the global inode allocator loaded.
struct MkfsVolume {
  fstest::TempImage img;
  std::unique_ptr<Volume> vol;
  std::optional<ChainAllocator> gb, gia;
  MkfsVolume(unsigned long long bytes, const std::string& mkfs_args) : img(bytes) {
    auto r = fstest::Run(fstest::Tool("mkfs.ocfsx") + " -q " + mkfs_args + " " + img.path());
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    Volume::Options o;
    o.writable = true;
    auto v = Volume::Open(img.path(), o);
    REQUIRE(v.ok());
    vol = std::move(v).value();
    auto g = vol->LoadAllocator("global_bitmap");
    auto i = vol->LoadAllocator("global_inode_alloc");
    REQUIRE(g.ok());
    REQUIRE(i.ok());
    gb = std::move(g).value();
    gia = std::move(i).value();
  }
};

}  // namespace

TEST_CASE("metadata block round trip and checksum failures", "[block]") {
  for (uint32_t bbits : {9u, 12u}) {
    RawVolume v(bbits);
    const uint32_t bs = 1U << bbits;
    AlignedBuffer buf(bs);
    InitBlockHeader(buf.data(), OCFSX_BT_INODE, bs, 100, 100, 0x1234);
    buf.data()[300] = 0x5a;
    REQUIRE(v.io->Write(100, OCFSX_BT_INODE, buf.data()).ok());
    CHECK(ComputeBlockChecksum(buf.data(), OCFSX_BT_INODE, bs) ==
          ocfsx_block_csum_ref(buf.data(), bs, ocfsx_csum_offset(OCFSX_BT_INODE, bs)));
    AlignedBuffer in(bs);
    REQUIRE(v.io->Read(100, OCFSX_BT_INODE, in.data()).ok());
    CHECK(std::memcmp(in.data(), buf.data(), bs) == 0);

    // A flipped byte in the unused tail is caught.
    in.data()[bs - 1] ^= 1;
    REQUIRE(v.dev->WriteBlocks(100, bs, in.data()).ok());
    Status st = v.io->Read(100, OCFSX_BT_INODE, in.data());
    CHECK(st.corrupt());
    CHECK_THAT(st.message(), Catch::Contains("block 100 (inode): bad checksum (stored 0x"));
    CHECK_THAT(st.message(), Catch::Contains(", computed 0x"));

    // Misdirected: a valid block copied elsewhere.
    REQUIRE(v.dev->WriteBlocks(101, bs, buf.data()).ok());
    CHECK_THAT(v.io->Read(101, OCFSX_BT_INODE, in.data()).message(), Catch::Contains("self-reference"));
    // Wrong type and stale generation.
    CHECK_THAT(v.io->Read(101, OCFSX_BT_GROUP, in.data()).message(), Catch::Contains("wrong block type"));
    MetaIo other(v.dev.get(), v.geo, 0x9999);
    REQUIRE(v.dev->WriteBlocks(100, bs, buf.data()).ok());
    CHECK_THAT(other.Read(100, OCFSX_BT_INODE, in.data()).message(), Catch::Contains("earlier mkfs"));
    CHECK_THAT(v.io->Read(102, OCFSX_BT_INODE, in.data()).message(), Catch::Contains("bad magic"));
  }
}

TEST_CASE("dirent blocks keep their checksum in the trailer", "[block]") {
  RawVolume v;
  AlignedBuffer buf(4096);
  InitBlockHeader(buf.data(), OCFSX_BT_DIRBLOCK, 4096, 50, 7, 0x1234);
  REQUIRE(v.io->Write(50, OCFSX_BT_DIRBLOCK, buf.data()).ok());
  CHECK(Le32(*reinterpret_cast<uint32_t*>(buf.data() + 4096 - 60)) != 0);
  CHECK(Le32(*reinterpret_cast<uint32_t*>(buf.data() + 4096 - 64)) == OCFSX_META_MAGIC);
  AlignedBuffer in(4096);
  CHECK(v.io->Read(50, OCFSX_BT_DIRBLOCK, in.data()).ok());
}

TEST_CASE("device reports size and short reads", "[device]") {
  fstest::TempImage img(1 << 20);
  auto dev = Device::Open(img.path(), DeviceOptions());
  REQUIRE(dev.ok());
  CHECK((*dev)->size() == (1u << 20));
  CHECK_FALSE((*dev)->is_block_device());
  AlignedBuffer b(4096);
  Status st = (*dev)->ReadAt((1 << 20) - 100, b.data(), 4096);
  CHECK_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains(img.path()));
  CHECK_FALSE((*dev)->WriteAt(0, b.data(), 512).ok());  // opened read-only
  auto missing = Device::Open("/nonexistent/ocfsx.img", DeviceOptions());
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.status().message(), Catch::Contains("/nonexistent/ocfsx.img"));
  DeviceOptions direct;
  direct.direct = true;
  auto d2 = Device::Open(img.path(), direct);
  if (d2.ok()) {  // tmpfs has no O_DIRECT
    uint8_t unaligned[600];
    CHECK((*d2)->ReadAt(0, unaligned + 1, 512).ok());
  }
}

TEST_CASE("bitmap helpers", "[alloc]") {
  uint8_t map[16] = {};
  bitmap::SetRange(map, 3, 20);
  CHECK(bitmap::CountSet(map, 128) == 20);
  CHECK(bitmap::Test(map, 3));
  CHECK_FALSE(bitmap::Test(map, 23));
  CHECK(bitmap::LongestClearRun(map, 128) == 105);
  CHECK(bitmap::FindClearRun(map, 128, 0, 3) == 0);
  CHECK(bitmap::FindClearRun(map, 128, 0, 4) == 23);
  bitmap::ClearRange(map, 5, 10);
  CHECK(bitmap::CountSet(map, 128) == 10);
  CHECK(bitmap::ClearRunAt(map, 128, 5, 100) == 10);
}

TEST_CASE("chain allocator keeps three levels of counts", "[alloc]") {
  RawVolume v;
  Inode in = Inode::New(*v.io, 20, {}, S_IFREG, OCFSX_BODY_CHAINS);
  in.raw().i_sys_type = Le16(OCFSX_SYS_INODE_ALLOC);
  ChainAllocator a = ChainAllocator::Create(*v.io, std::move(in), 1024, 1);
  REQUIRE(a.AddGroup(1024, 1024, 1024, 0, 0).ok());
  REQUIRE(a.AddGroup(4096, 4096, 512, 1, 0).ok());
  REQUIRE(a.AddGroup(8192, 8192, 512, 1, 0).ok());
  CHECK(a.total_bits() == 2048);
  CHECK(a.free_bits() == 2045);  // each descriptor holds its own bit
  auto b = a.AllocBlock(3);
  REQUIRE(b.ok());
  CHECK(b->blkno == 1025);
  CHECK(b->origin.group == 1024);
  CHECK(b->origin.bit == 1);
  CHECK(b->origin.slot == 3);
  auto run = a.AllocRun(600, 700);
  REQUIRE(run.ok());
  CHECK(run->count == 700);
  CHECK(a.SetBits(0, 1, 1).message().find("already in use") != std::string::npos);
  REQUIRE(a.ClearBits(run->group, run->bit, 100).ok());
  CHECK_FALSE(a.ClearBits(run->group, run->bit, 1).ok());
  REQUIRE(a.Flush(*v.io).ok());
  CHECK(a.CheckCounts().ok());
  CHECK(a.free_bits() == 2045 - 1 - 600);

  auto loaded = ChainAllocator::Load(*v.io, 20);
  REQUIRE(loaded.ok());
  CHECK(loaded->group_count() == 3);
  CHECK(loaded->free_bits() == a.free_bits());
  CHECK(loaded->CheckCounts().ok());
  CHECK(Le64(loaded->group(1).gd()->gd_next) == 8192);
  auto big = loaded->AllocRun(2000, 2000);
  CHECK_FALSE(big.ok());
}

TEST_CASE("directories: inline then blocks then 5000 names through the index", "[dir]") {
  MkfsVolume mv(256ULL << 20, "-b 1K -N 2");
  Volume& v = *mv.vol;
  OfflineSpace space(v.io(), &*mv.gb, &*mv.gia, OCFSX_SLOT_GLOBAL);
  DirContext ctx = v.dir_context();
  auto blk = space.AllocMetaBlock();
  REQUIRE(blk.ok());
  Inode dir = Inode::New(v.io(), blk->blkno, blk->origin, S_IFDIR | 0755, OCFSX_BODY_INLINE);
  uint64_t root = Le64(v.super().raw().s_root_blkno);
  REQUIRE(InitDir(ctx, dir, root, space).ok());
  CHECK(dir.body_format() == OCFSX_BODY_INLINE);

  const int kNames = 5000;
  for (int i = 0; i < kNames; i++) {
    std::string name = "file-" + std::to_string(i * 7919 % 100000) + "-entry";
    Status st = AddDirEntry(ctx, dir, name, 1000000 + i, OCFSX_FT_REG, space);
    REQUIRE(st.ok());
    if (i == 3) CHECK(dir.body_format() == OCFSX_BODY_INLINE);
  }
  CHECK(dir.body_format() == OCFSX_BODY_EXTENTS);
  CHECK(Le64(dir.raw().i_dx_root) != 0);
  CHECK(AddDirEntry(ctx, dir, "file-0-entry", 1, OCFSX_FT_REG, space).err() == EEXIST);
  CHECK_FALSE(AddDirEntry(ctx, dir, "a/b", 1, OCFSX_FT_REG, space).ok());
  REQUIRE(space.Flush().ok());

  // Re-read everything from disk.
  auto again = Inode::Read(v.io(), dir.blkno());
  REQUIRE(again.ok());
  std::set<std::string> seen;
  REQUIRE(IterateDir(ctx, *again, [&](const DirEntry& e) {
            seen.insert(e.name);
            CHECK(e.hash == static_cast<uint32_t>(DirHash(ctx, e.name)));
            return Status();
          }).ok());
  CHECK(seen.size() == kNames + 2);
  CHECK(seen.count(".") == 1);
  CHECK(seen.count("..") == 1);
  for (int i = 0; i < kNames; i += 5) {
    std::string name = "file-" + std::to_string(i * 7919 % 100000) + "-entry";
    auto e = LookupDir(ctx, *again, name);
    REQUIRE(e.ok());
    CHECK(e->ino == uint64_t(1000000 + i));
  }
  auto miss = LookupDir(ctx, *again, "no-such-name");
  REQUIRE_FALSE(miss.ok());
  CHECK(miss.status().err() == ENOENT);
  size_t leaves = 0;
  uint64_t prev = 0;
  REQUIRE(WalkDxLeaves(ctx, *again, [&](uint64_t h, uint64_t) {
            CHECK(h >= prev);
            prev = h;
            leaves++;
            return Status();
          }).ok());
  CHECK(leaves == kNames + 2);

  auto gb2 = v.LoadAllocator("global_bitmap");
  auto gia2 = v.LoadAllocator("global_inode_alloc");
  REQUIRE(gb2.ok());
  REQUIRE(gia2.ok());
  CHECK(gb2->CheckCounts().ok());
  CHECK(gia2->CheckCounts().ok());
}

TEST_CASE("small-block directories build a deep index", "[dir]") {
  MkfsVolume mv(64ULL << 20, "-b 512 -N 1");
  Volume& v = *mv.vol;
  OfflineSpace space(v.io(), &*mv.gb, &*mv.gia, OCFSX_SLOT_GLOBAL);
  DirContext ctx = v.dir_context();
  auto lf = v.LookupPath("/lost+found");
  REQUIRE(lf.ok());
  auto dir = v.ReadInode(*lf);
  REQUIRE(dir.ok());
  for (int i = 0; i < 3000; i++)
    REQUIRE(AddDirEntry(ctx, *dir, "n" + std::to_string(i), 5000 + i, OCFSX_FT_REG, space).ok());
  REQUIRE(space.Flush().ok());
  for (int i = 0; i < 3000; i += 37) {
    auto e = v.Lookup(*lf, "n" + std::to_string(i));
    REQUIRE(e.ok());
    CHECK(*e == uint64_t(5000 + i));
  }
  CHECK(v.Lookup(*lf, "..").ok());
}

TEST_CASE("a suballocator grows by a zeroed group, never over stale metadata", "[alloc]") {
  MkfsVolume mv(64ULL << 20, "-N 1");
  Volume& v = *mv.vol;
  auto& gb = mv.gb;
  auto& gia = mv.gia;
  const Geometry geo = v.geometry();
  const uint32_t bs = geo.block_size();

  // Every free cluster gets blocks that verify as inodes of this volume,
  // like the leftovers of files deleted long ago.
  AlignedBuffer stale(bs);
  uint64_t stale_blocks = 0;
  for (size_t gi = 0; gi < gb->group_count(); gi++) {
    const auto& g = gb->group(gi);
    for (uint32_t bit = 0; bit < g.bits(); bit++) {
      if (gb->Test(gi, bit)) continue;
      uint64_t first = geo.ClusterToBlock(Le64(g.gd()->gd_first_cluster) + bit);
      for (uint64_t b = first; b < first + geo.blocks_per_cluster(); b++) {
        stale.Zero();
        InitBlockHeader(stale.data(), OCFSX_BT_INODE, bs, b, 0, v.io().fs_generation());
        SealBlock(stale.data(), OCFSX_BT_INODE, bs);
        REQUIRE(v.device().WriteBlocks(b, bs, stale.data()).ok());
        stale_blocks++;
      }
    }
  }
  REQUIRE(stale_blocks > 0);

  OfflineSpace space(v.io(), &*gb, &*gia, OCFSX_SLOT_GLOBAL);
  const size_t groups_before = gia->group_count();
  while (gia->free_bits() > 0) REQUIRE(space.AllocMetaBlock().ok());
  auto blk = space.AllocMetaBlock();  // the suballocator is full: it grows
  REQUIRE(blk.ok());
  REQUIRE(gia->group_count() == groups_before + 1);
  REQUIRE(space.Flush().ok());

  const size_t gi = gia->group_count() - 1;
  const auto& g = gia->group(gi);
  AlignedBuffer buf(bs);
  uint32_t clear = 0, nonzero = 0, verifies = 0;
  for (uint32_t bit = 0; bit < g.bits(); bit++) {
    if (gia->Test(gi, bit)) continue;
    clear++;
    uint64_t b = gia->BitToBlkno(gi, bit);
    REQUIRE(v.device().ReadBlocks(b, bs, buf.data()).ok());
    if (std::any_of(buf.data(), buf.data() + bs, [](uint8_t x) { return x != 0; })) nonzero++;
    if (v.io().Read(b, OCFSX_BT_INODE, buf.data()).ok()) verifies++;
  }
  CHECK(clear == g.bits() - 2);  // all but the descriptor and the block handed out
  CHECK(nonzero == 0);
  CHECK(verifies == 0);
  // The group descriptor itself was written over the stale block.
  CHECK(v.io().Read(g.blkno, OCFSX_BT_GROUP, buf.data()).ok());
}

TEST_CASE("writing a backup superblock leaves the in-memory primary intact", "[superblock]") {
  MkfsVolume mv(2ULL << 30, "-N 1");
  Volume& v = *mv.vol;
  Superblock& sb = v.super();
  const uint32_t bs = sb.block_size();
  const uint64_t primary = ocfsx_super_blkno(v.geometry().bbits);
  REQUIRE(sb.blkno() == primary);
  auto backups = sb.BackupBlknos();
  REQUIRE(backups.size() == 1);

  sb.raw().s_label[0] = 'Q';
  REQUIRE(sb.WriteAt(v.io(), backups[0]).ok());
  // The in-memory block still is the primary: its self-reference and checksum.
  CHECK(sb.blkno() == primary);
  CHECK(Le64(sb.raw().s_hdr.bh_blkno) == primary);
  CHECK(VerifyBlock(&sb.raw(), OCFSX_BT_SUPER, bs, primary, sb.fs_generation()).ok());
  // The backup on disk is stamped for its own block.
  auto b0 = Superblock::ReadBackup(v.device(), 0, v.geometry().bbits);
  REQUIRE(b0.ok());
  CHECK(b0->blkno() == backups[0]);
  CHECK(b0->raw().s_label[0] == 'Q');

  // A raw write of the in-memory copy over the primary is a valid primary.
  REQUIRE(v.device().WriteBlocks(primary, bs, &sb.raw()).ok());
  auto p = Superblock::ReadPrimary(v.device());
  REQUIRE(p.ok());
  CHECK(p->raw().s_label[0] == 'Q');

  // WriteAll of a copy read from a backup leaves it describing the primary.
  Superblock from_backup = std::move(b0).value();
  from_backup.raw().s_label[0] = 'R';
  REQUIRE(from_backup.WriteAll(v.io()).ok());
  CHECK(from_backup.blkno() == primary);
  CHECK(VerifyBlock(&from_backup.raw(), OCFSX_BT_SUPER, bs, primary, sb.fs_generation()).ok());
  auto p2 = Superblock::ReadPrimary(v.device());
  auto b2 = Superblock::ReadBackup(v.device(), 0, v.geometry().bbits);
  REQUIRE(p2.ok());
  REQUIRE(b2.ok());
  CHECK(p2->raw().s_label[0] == 'R');
  CHECK(b2->raw().s_label[0] == 'R');
}
