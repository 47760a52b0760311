// mkfs.ocfsx end to end: format sparse images of several geometries, reopen
// them with libocfsx and check the layout structurally; plus every CLI
// error and refusal.
#include <sys/stat.h>

#include <cstring>
#include <vector>

#include <catch2/catch.hpp>

#include "ocfsx/alloc.h"
#include "ocfsx/bitmap.h"
#include "ocfsx/endian.h"
#include "ocfsx/jbd2.h"
#include "ocfsx/journal_io.h"
#include "ocfsx/status.h"
#include "ocfsx/volume.h"
#include "testutil_fs.h"

using namespace ocfsx;

namespace {

std::string Mkfs(const std::string& args) { return fstest::Tool("mkfs.ocfsx") + " " + args; }

// Marks clusters [c, c+n) in `used`, failing on double use.
void Mark(std::vector<bool>& used, uint64_t c, uint64_t n, const char* what) {
  for (uint64_t i = c; i < c + n; i++) {
    if (i >= used.size() || used[i]) FAIL(what << " cluster " << i << " outside the volume or used twice");
    used[i] = true;
  }
}

// Checks everything mkfs promises, recounting the global bitmap from the
// structures it created rather than trusting any stored count.
void VerifyVolume(const std::string& path, uint32_t slots) {
  auto vol = Volume::Open(path);
  REQUIRE(vol.ok());
  Volume& v = **vol;
  const Superblock& sb = v.super();
  const Geometry geo = v.geometry();
  CHECK(sb.max_slots() == slots);
  CHECK(sb.unknown_ro_compat() == 0);

  // Backups: identical to the primary except their own location.
  auto backups = sb.BackupBlknos();
  CHECK(backups.size() == ocfsx_backup_sb_count(geo.clusters, geo.cbits));
  for (unsigned i = 0; i < backups.size(); i++) {
    auto b = Superblock::ReadBackup(v.device(), i, geo.bbits);
    REQUIRE(b.ok());
    ocfsx_super_block x = b->raw(), y = sb.raw();
    x.s_hdr.bh_blkno = y.s_hdr.bh_blkno = 0;
    x.s_hdr.bh_crc32c = y.s_hdr.bh_crc32c = 0;
    CHECK(std::memcmp(&x, &y, sizeof(x)) == 0);
  }

  std::vector<bool> used(geo.clusters);
  uint64_t gd0 = ocfsx_super_blkno(geo.bbits) + 1;
  Mark(used, 0, geo.BlockToCluster(gd0) + 1, "fixed");
  auto gb = v.LoadAllocator("global_bitmap");
  REQUIRE(gb.ok());
  CHECK(gb->CheckCounts().ok());
  uint32_t cpg = Le32(gb->table()->ct_cpg);
  uint64_t groups = (geo.clusters + cpg - 1) / cpg;
  CHECK(gb->group_count() == groups);
  CHECK(gb->total_bits() == geo.clusters);
  for (uint64_t g = 1; g < groups; g++) {
    uint64_t c = geo.BlockToCluster(ocfsx_global_group_desc_blkno(g, cpg, geo.bbits, geo.cbits));
    if (!used[c]) Mark(used, c, 1, "descriptor");
  }
  for (uint64_t b : backups)
    if (!used[geo.BlockToCluster(b)]) Mark(used, geo.BlockToCluster(b), 1, "backup");

  // Every system file by name, with its identity.
  for (unsigned type : {OCFSX_SYS_GLOBAL_BITMAP, OCFSX_SYS_GLOBAL_INODE_ALLOC, OCFSX_SYS_SLOT_MAP, OCFSX_SYS_HEARTBEAT}) {
    auto ino = v.SystemFile(type, OCFSX_SLOT_NONE);
    REQUIRE(ino.ok());
    auto in = v.ReadInode(*ino);
    REQUIRE(in.ok());
    CHECK(Le16(in->raw().i_sys_type) == type);
  }
  for (uint32_t s = 0; s < slots; s++) {
    for (unsigned type = OCFSX_SYS_FIRST_PER_SLOT; type <= OCFSX_SYS_LAST; type++) {
      auto ino = v.SystemFile(type, s);
      REQUIRE(ino.ok());
      auto in = v.ReadInode(*ino);
      REQUIRE(in.ok());
      CHECK(Le16(in->raw().i_sys_type) == type);
      CHECK(Le16(in->raw().i_sys_slot) == s);
      if (type == OCFSX_SYS_INODE_ALLOC || type == OCFSX_SYS_META_ALLOC) {
        auto a = ChainAllocator::Load(v.io(), *ino);
        REQUIRE(a.ok());
        CHECK(a->group_count() == 0);
        CHECK(a->CheckCounts().ok());
      }
      if (type == OCFSX_SYS_LOCAL_ALLOC) CHECK(ReadLocalAlloc(*in).ok());
      if (type == OCFSX_SYS_DEALLOC_LOG) CHECK(ReadDeallocLog(*in).ok());
      if (type == OCFSX_SYS_JOURNAL) {
        auto jio = MapJournalInode(v.io(), *in, "journal", JournalWrites::kRefuse);
        REQUIRE(jio.ok());
        auto info = jbd2::ReadSuperblock(*jio, geo.block_size());
        REQUIRE(info.ok());
        CHECK(info->maxlen == in->size() / geo.block_size());
        CHECK_FALSE(jbd2::NeedsRecovery(*info));
      }
      if (type == OCFSX_SYS_ORPHAN_DIR) CHECK(v.Lookup(*ino, "..").ok());
    }
  }
  CHECK_FALSE(v.SystemFile("journal:9999").ok());

  // Walk every inode global_inode_alloc hands out: its group, its extents.
  auto gia = v.LoadAllocator("global_inode_alloc");
  REQUIRE(gia.ok());
  CHECK(gia->CheckCounts().ok());
  uint32_t sub_cpg = Le32(gia->table()->ct_cpg);
  for (size_t g = 0; g < gia->group_count(); g++) {
    Mark(used, Le64(gia->group(g).gd()->gd_first_cluster), sub_cpg, "inode group");
    const auto& grp = gia->group(g);
    for (uint32_t bit = 0; bit < grp.bits(); bit++) {
      if (!gia->Test(g, bit)) continue;
      uint64_t blkno = gia->BitToBlkno(g, bit);
      if (blkno == grp.blkno) continue;
      AlignedBuffer buf(geo.block_size());
      REQUIRE(v.io().ReadRaw(blkno, buf.data()).ok());
      const auto* h = reinterpret_cast<const ocfsx_block_header*>(buf.data());
      CHECK(Le16(h->bh_alloc_slot) == OCFSX_SLOT_GLOBAL);
      CHECK(Le64(h->bh_alloc_group) == grp.blkno);
      CHECK(Le32(h->bh_alloc_bit) == bit);
      if (Le16(h->bh_type) != OCFSX_BT_INODE) {
        CHECK((Le16(h->bh_type) == OCFSX_BT_DX_ROOT || Le16(h->bh_type) == OCFSX_BT_DX_NODE ||
               Le16(h->bh_type) == OCFSX_BT_EXTENT));
        continue;
      }
      auto in = v.ReadInode(blkno);
      REQUIRE(in.ok());
      if (in->body_format() != OCFSX_BODY_EXTENTS) continue;
      uint64_t clusters = 0;
      REQUIRE(ForEachExtent(v.io(), *in, [&](const ocfsx_extent& e) {
                Mark(used, e.ex_start, e.ex_clusters, "extent");
                clusters += e.ex_clusters;
                return Status();
              }).ok());
      CHECK(clusters == Le64(in->raw().i_clusters));
    }
  }
  uint64_t n_used = 0, covered = 0;
  for (size_t g = 0; g < gb->group_count(); g++) {
    const auto& grp = gb->group(g);
    uint64_t first = Le64(grp.gd()->gd_first_cluster);
    REQUIRE(first + grp.bits() <= geo.clusters);
    for (uint32_t b = 0; b < grp.bits(); b++) {
      bool in_map = bitmap::Test(grp.bitmap(), b), actual = used[first + b];
      n_used += actual;
      if (in_map != actual) FAIL("cluster " << first + b << " bitmap " << in_map << " actual " << actual);
    }
    covered += grp.bits();
  }
  CHECK(covered == geo.clusters);
  CHECK(gb->free_bits() == geo.clusters - n_used);

  // Heartbeat: a valid block per node.
  uint64_t hb = Le64(sb.raw().s_hb_blkno);
  AlignedBuffer buf(geo.block_size());
  for (uint32_t n = 0; n < OCFSX_MAX_NODES; n += 50) REQUIRE(v.io().Read(hb + n, OCFSX_BT_HEARTBEAT, buf.data()).ok());

  // Root and lost+found.
  uint64_t root = Le64(sb.raw().s_root_blkno);
  auto lf = v.Lookup(root, "lost+found");
  REQUIRE(lf.ok());
  for (uint64_t d : {root, *lf}) {
    auto in = v.ReadInode(d);
    REQUIRE(in.ok());
    CHECK(in->is_dir());
    auto dot = v.Lookup(d, ".");
    REQUIRE(dot.ok());
    CHECK(*dot == d);
    auto dotdot = v.Lookup(d, "..");
    REQUIRE(dotdot.ok());
    CHECK(*dotdot == root);
  }
}

void MkfsAndVerify(uint64_t bytes, const std::string& args, uint32_t slots) {
  fstest::TempImage img(bytes);
  auto r = fstest::Run(Mkfs("-q " + args + " " + img.path()));
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(r.output.empty());
  VerifyVolume(img.path(), slots);
}

}  // namespace

TEST_CASE("mkfs 64M / 512 B blocks / 4K clusters / 1 slot", "[mkfs]") { MkfsAndVerify(64ULL << 20, "-b 512 -C 4K -N 1", 1); }
TEST_CASE("mkfs 64M / 1K blocks / 64K clusters / default slots", "[mkfs]") { MkfsAndVerify(64ULL << 20, "-b 1K -C 64K", 2); }
TEST_CASE("mkfs 64M / 4K blocks / 1M clusters / 4 slots", "[mkfs]") { MkfsAndVerify(64ULL << 20, "-b 4K -C 1M -N 4", 4); }
TEST_CASE("mkfs 1G / 4K blocks / 4K clusters / 4 slots", "[mkfs]") { MkfsAndVerify(1ULL << 30, "-b 4K -C 4K -N 4", 4); }
TEST_CASE("mkfs 20G / 4K blocks / 64K clusters / 16 slots", "[mkfs]") { MkfsAndVerify(20ULL << 30, "-b 4K -C 64K -N 16", 16); }
TEST_CASE("mkfs 4G / 512 B blocks / 255 slots", "[mkfs]") { MkfsAndVerify(4ULL << 30, "-b 512 -C 4K -N 255", 255); }
TEST_CASE("mkfs 20G / 1K blocks / 1M clusters / default slots", "[mkfs]") { MkfsAndVerify(20ULL << 30, "-b 1K -C 1M", 8); }
TEST_CASE("mkfs odd-sized 5G volume with backups", "[mkfs]") { MkfsAndVerify((5ULL << 30) + 12345 * 4096ULL, "-b 4K", 4); }

TEST_CASE("mkfs summary / dry run / version and help", "[mkfs][cli]") {
  fstest::TempImage img(1ULL << 30);
  auto r = fstest::Run(Mkfs("-n -L mydata --cluster-name alpha -N 3 " + img.path()));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("Label: mydata"));
  CHECK_THAT(r.output, Catch::Contains("Node slots: 3"));
  CHECK_THAT(r.output, Catch::Contains("Cluster name: alpha"));
  CHECK_THAT(r.output, Catch::Contains("Block size: 4096"));
  CHECK_THAT(r.output, Catch::Contains("Journal size: 33554432"));
  CHECK_THAT(r.output, Catch::Contains("Dry run"));
  CHECK_FALSE(Volume::Open(img.path()).ok());  // nothing written
  CHECK(fstest::Run(Mkfs("-V")).exit_code == 0);
  CHECK_THAT(fstest::Run(Mkfs("-h")).output, Catch::Contains("Usage"));
  auto w = fstest::Run(Mkfs("-v -L x -U 01234567-89ab-cdef-0123-456789abcdef -T mail " + img.path()));
  REQUIRE(w.exit_code == 0);
  auto vol = Volume::Open(img.path());
  REQUIRE(vol.ok());
  CHECK(std::string(reinterpret_cast<const char*>((*vol)->super().raw().s_label)) == "x");
  CHECK((*vol)->super().raw().s_uuid[0] == 0x01);
  CHECK((*vol)->super().raw().s_uuid[15] == 0xef);
  auto t = fstest::Run(Mkfs("-n -T vmstore " + img.path()));
  CHECK_THAT(t.output, Catch::Contains("Cluster size: 1048576"));
}

TEST_CASE("mkfs --global-heartbeat sets the cluster's global heartbeat flag", "[mkfs][cli]") {
  fstest::TempImage img(64ULL << 20);
  auto r = fstest::Run(Mkfs("--global-heartbeat --cluster-name alpha " + img.path()));
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("Heartbeat: global"));
  auto vol = Volume::Open(img.path());
  REQUIRE(vol.ok());
  CHECK(Le32((*vol)->super().raw().s_cluster.ci_flags) == OCFSX_CLUSTER_F_GLOBAL_HB);
  auto l = fstest::Run(Mkfs("-F " + img.path()));
  REQUIRE(l.exit_code == 0);
  CHECK_THAT(l.output, Catch::Contains("Heartbeat: local"));
  auto bad = fstest::Run(Mkfs("-n -M local --global-heartbeat " + img.path()));
  CHECK(bad.exit_code != 0);
  CHECK_THAT(bad.output, Catch::Contains("do not apply to -M local"));
}

TEST_CASE("mkfs rejects bad input with one line", "[mkfs][cli]") {
  fstest::TempImage img(64ULL << 20);
  fstest::TempImage tiny(8ULL << 20);
  struct Case {
    std::string args;
    const char* expect;
  } cases[] = {
      {"", "no device given"},
      {"/nonexistent/dev/sdz", "No such file or directory"},
      {tiny.path(), "too small"},
      {"-N 255 " + img.path(), "the minimum for 255 node slots is"},
      {"-b 3000 " + img.path(), "invalid block size \"3000\": must be a power of two"},
      {"-b 8K " + img.path(), "invalid block size"},
      {"-C 2K " + img.path(), "invalid cluster size \"2K\""},
      {"-C lots " + img.path(), "invalid cluster size"},
      {"-N 0 " + img.path(), "invalid number of node slots \"0\": must be 1 to 255"},
      {"-N 256 " + img.path(), "must be 1 to 255"},
      {"-N x " + img.path(), "must be 1 to 255"},
      {"-J size=abc " + img.path(), "invalid journal size \"abc\""},
      {"-J size=1M " + img.path(), "below the minimum"},
      {"-J 8M " + img.path(), "expected size=SIZE"},
      {"-L " + std::string(64, 'x') + " " + img.path(), "too long"},
      {"-U not-a-uuid " + img.path(), "invalid UUID"},
      {"-T web " + img.path(), "invalid filesystem type"},
      {"--cluster-name 1234567890abcdefg " + img.path(), "1 to 16 characters"},
      {"--cluster-name _x " + img.path(), "must start with a letter or digit"},
      {"--cluster-name a.b " + img.path(), "letters, digits"},
      {"--cluster-stack foo " + img.path(), "invalid cluster stack"},
      {img.path() + " 12x", "invalid block count \"12x\""},
      {img.path() + " 99999999", "do not fit the device"},
      {"-Z " + img.path(), "unknown option -Z"},
      {"-b", "needs an argument"},
      {img.path() + " 1 2", "too many arguments"},
  };
  for (const auto& c : cases) {
    auto r = fstest::Run(Mkfs(c.args));
    INFO("args: " << c.args << "\noutput: " << r.output);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.output, Catch::StartsWith("mkfs.ocfsx: ") && Catch::Contains(c.expect));
    CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  }
  CHECK_FALSE(Volume::Open(img.path()).ok());
}

TEST_CASE("mkfs refuses a read-only device", "[mkfs][cli]") {
  fstest::TempImage img(64ULL << 20);
  if (fstest::Run("chattr +i " + img.path()).exit_code != 0) {
    WARN("chattr +i unsupported here; skipped");
    return;
  }
  auto r = fstest::Run(Mkfs("-q " + img.path()));
  fstest::Run("chattr -i " + img.path());
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("cannot open read-write"));
}

TEST_CASE("mkfs refuses another filesystem unless forced", "[mkfs][cli]") {
  if (fstest::Run("command -v mkfs.ext4").exit_code != 0) {
    WARN("mkfs.ext4 not installed; skipped");
    return;
  }
  fstest::TempImage img(64ULL << 20);
  REQUIRE(fstest::Run("mkfs.ext4 -q -F -L data " + img.path()).exit_code == 0);
  auto r = fstest::Run(Mkfs("-q " + img.path()));
  CHECK(r.exit_code == 1);
  CHECK(r.output == "mkfs.ocfsx: " + img.path() + ": contains an ext4 filesystem (label \"data\"); use -F to overwrite\n");
  auto f = fstest::Run(Mkfs("-q -F " + img.path()));
  CHECK(f.exit_code == 0);
  CHECK(Volume::Open(img.path()).ok());
  // mkfs wiped the old signature: blkid sees nothing foreign any more.
  CHECK(fstest::Run(Mkfs("-q -N 1 " + img.path())).exit_code == 0);
}

TEST_CASE("mkfs refuses a volume with a live heartbeat", "[mkfs][cli]") {
  fstest::TempImage img(64ULL << 20);
  REQUIRE(fstest::Run(Mkfs("-q " + img.path())).exit_code == 0);
  fstest::RunResult r;
  {
    fstest::LiveHeartbeatWriter live(img.path(), {3}, OCFSX_SLOT_NONE, 100);
    REQUIRE(live.ok());
    r = fstest::Run(Mkfs("-q " + img.path()));
  }
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.output, Catch::Contains("live heartbeat from node 3"));
  // Once the writer is gone the same block no longer changes.
  auto again = fstest::Run(Mkfs("-q " + img.path()));
  CHECK(again.exit_code == 0);
}
