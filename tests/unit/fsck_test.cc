// fsck.ocfsx end to end: clean volumes of many geometries check clean, the
// command line and exit codes, and one test per corruption class (made
// precisely through libocfsx): -fn reports it, -fy repairs it, -fn is clean.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>

#include <catch2/catch.hpp>

#include "ocfsx/bitmap.h"
#include "ocfsx/block_io.h"
#include "ocfsx/jbd2.h"
#include "ocfsx/journal_io.h"
#include "testutil_fsck.h"

using namespace ocfsx;
using fscktest::Editor;
using fscktest::ExpectRepaired;
using fscktest::Fsck;
using fscktest::Image;

namespace {

std::string Hex16(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof(b), "%016llx", static_cast<unsigned long long>(v));
  return b;
}

// Removes `name` from an inline directory by merging its record into the
// previous one, as a buggy writer might (counts are left alone).
void DropInlineEntry(Editor& ed, uint64_t dir, const std::string& name) {
  Inode d = ed.Read(dir);
  REQUIRE(d.body_format() == OCFSX_BODY_INLINE);
  uint8_t* p = d.body();
  uint32_t prev = UINT32_MAX;
  for (uint32_t off = 0; off < d.size();) {
    auto* de = reinterpret_cast<ocfsx_dir_entry*>(p + off);
    uint32_t rl = Le16(de->de_rec_len);
    if (de->de_ino && std::string(reinterpret_cast<char*>(de) + 16, de->de_name_len) == name) {
      REQUIRE(prev != UINT32_MAX);
      auto* pe = reinterpret_cast<ocfsx_dir_entry*>(p + prev);
      pe->de_rec_len = Le16(static_cast<uint16_t>(Le16(pe->de_rec_len) + rl));
      ed.Write(d);
      return;
    }
    prev = off;
    off += rl;
  }
  FAIL("no entry " << name);
}

}  // namespace

TEST_CASE("fsck: fresh volumes of many geometries check clean", "[fsck]") {
  struct Geo {
    unsigned long long bytes;
    const char* args;
  } geos[] = {
      {16ULL << 20, "-N 1"},
      {16ULL << 20, "-N 1 -b 1K"},
      {64ULL << 20, "-b 512 -C 4K -N 1"},
      {64ULL << 20, "-b 1K -C 64K"},
      {64ULL << 20, "-b 2K -C 128K -N 2"},
      {64ULL << 20, "-b 4K -C 1M -N 4"},
      {1ULL << 30, "-b 4K -N 4"},
      {(5ULL << 30) + 12345 * 4096ULL, "-b 4K -N 8"},
      {20ULL << 30, "-b 4K -C 64K -N 16"},
      {4ULL << 30, "-b 512 -N 255"},
  };
  for (const Geo& g : geos) {
    Image img(g.bytes, g.args);
    auto r = Fsck("-fn", img.path());
    INFO(g.args << "\n" << r.output);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.output, Catch::Contains("Pass 5:") && Catch::Contains("0 problem(s) found"));
  }
}

TEST_CASE("fsck: a clean volume is skipped without -f", "[fsck]") {
  Image img(64ULL << 20);
  auto r = Fsck("-n", img.path());
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("clean (use -f"));
  CHECK_THAT(r.output, !Catch::Contains("Pass 1:"));
  // -y on a clean volume changes nothing that matters and exits 0.
  CHECK(Fsck("-fy", img.path()).exit_code == 0);
  CHECK(Fsck("-fn", img.path()).exit_code == 0);
  // An ERROR state forces the full check.
  {
    Editor ed(img.path());
    ed.vol().super().raw().s_state = Le16(OCFSX_STATE_CLEAN | OCFSX_STATE_ERROR);
    REQUIRE(ed.vol().super().WriteAll(ed.io()).ok());
  }
  auto e = Fsck("-n", img.path());
  CHECK(e.exit_code == 0);
  CHECK_THAT(e.output, Catch::Contains("Pass 5:"));
  // -y clears it again.
  CHECK(Fsck("-y", img.path()).exit_code == 0);
  CHECK_THAT(Fsck("-n", img.path()).output, Catch::Contains("clean (use -f"));
}

TEST_CASE("fsck: files and directories made through the library check clean", "[fsck]") {
  Image img(64ULL << 20, "-b 512 -N 2");
  {
    Editor ed(img.path());
    uint64_t d = ed.CreateDir(ed.root(), "dir");
    for (int i = 0; i < 60; i++) ed.CreateFile(d, "f" + std::to_string(i), i % 3);
    ed.CreateFile(ed.root(), "big", 40);
    ed.CreateDir(d, "nested");
  }
  auto r = Fsck("-fn", img.path());
  INFO(r.output);
  CHECK(r.exit_code == 0);
}

TEST_CASE("fsck: command line and operational errors", "[fsck][cli]") {
  const std::string fsck = fstest::Tool("fsck.ocfsx");
  auto v = fstest::Run(fsck + " -V");
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.output, Catch::StartsWith("fsck.ocfsx "));
  CHECK(fstest::Run(fsck).exit_code == 16);
  CHECK(fstest::Run(fsck + " -n -y x").exit_code == 16);
  CHECK(fstest::Run(fsck + " -Z x").exit_code == 16);
  CHECK(fstest::Run(fsck + " a b").exit_code == 16);
  auto missing = fstest::Run(fsck + " -n /nonexistent/ocfsx.img");
  CHECK(missing.exit_code == 8);
  CHECK(std::count(missing.output.begin(), missing.output.end(), '\n') == 1);
  // Not an ocfsx volume at all: one line, exit 8.
  fstest::TempImage zeros(8ULL << 20);
  auto z = fstest::Run(fsck + " -n " + zeros.path());
  CHECK(z.exit_code == 8);
  CHECK(std::count(z.output.begin(), z.output.end(), '\n') == 1);
  CHECK_THAT(z.output, Catch::Contains("no ocfsx superblock"));
  // Without -n/-y/-p and no terminal: behaves like -n.
  Image img(64ULL << 20);
  {
    Editor ed(img.path());
    Inode lf = ed.Read(*ed.vol().LookupPath("/lost+found"));
    lf.raw().i_links = Le32(7);
    ed.Write(lf);
  }
  auto d = Fsck("-f", img.path());
  CHECK(d.exit_code == 4);
  CHECK_THAT(d.output, Catch::Contains("Fix? no"));
  auto p = Fsck("-fP", img.path());
  CHECK_THAT(p.output, Catch::Contains("Pass 1: 100%"));
}

TEST_CASE("fsck: refuses a volume with a live heartbeat unless -F", "[fsck][cli]") {
  Image img(64ULL << 20);
  fstest::RunResult r, f;
  {
    fstest::LiveHeartbeatWriter live(img.path(), {3, 7}, OCFSX_SLOT_NONE, 100);
    REQUIRE(live.ok());
    r = Fsck("-fn", img.path());
    f = Fsck("-fnF", img.path());
  }
  CHECK(r.exit_code == 8);
  CHECK_THAT(r.output, Catch::Contains("live heartbeat from nodes 3, 7"));
  CHECK(std::count(r.output.begin(), r.output.end(), '\n') == 1);
  CHECK_THAT(f.output, Catch::Contains("checking anyway"));
  CHECK((f.exit_code & 8) == 0);
  // Stopped writers are not live; their blocks (owner 0 here) get fixed.
  auto after = Fsck("-fy", img.path());
  CHECK(after.exit_code == 1);
  CHECK(Fsck("-fn", img.path()).exit_code == 0);
}

TEST_CASE("fsck: global bitmap bit set for an unused cluster", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t cluster;
  {
    Editor ed(img.path());
    auto& gb = ed.global();
    auto& g = gb.group(0);
    uint32_t bit = g.bits() - 1;
    REQUIRE_FALSE(bitmap::Test(g.bitmap(), bit));
    bitmap::Set(g.bitmap(), bit);  // counts left as they were
    g.dirty = true;
    cluster = Le64(g.gd()->gd_first_cluster) + bit;
  }
  std::string out = ExpectRepaired(img.path(), "global_bitmap: 1 cluster " + std::to_string(cluster) + " is marked in use but unused");
  CHECK_THAT(out, Catch::Contains("Fix? yes"));
}

TEST_CASE("fsck: global bitmap bit clear for a used cluster", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t cluster;
  {
    Editor ed(img.path());
    uint64_t f = ed.CreateFile(ed.root(), "file", 3);
    auto ext = CollectExtents(ed.io(), ed.Read(f));
    REQUIRE(ext.ok());
    cluster = (*ext)[0].ex_start + 1;
    auto gi = ed.global().GroupOfCluster(cluster);
    REQUIRE(gi.ok());
    auto& g = ed.global().group(*gi);
    bitmap::Clear(g.bitmap(), static_cast<uint32_t>(cluster - Le64(g.gd()->gd_first_cluster)));
    g.dirty = true;
  }
  ExpectRepaired(img.path(), "global_bitmap: 1 cluster " + std::to_string(cluster) + " is in use but marked free");
}

TEST_CASE("fsck: inode allocator bit cleared for a live inode", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t f;
  {
    Editor ed(img.path());
    f = ed.CreateFile(ed.root(), "file", 1);
  }
  {
    Editor ed(img.path());
    auto ia = ed.vol().LoadAllocator("inode_alloc:0000");
    REQUIRE(ia.ok());
    auto& g = ia->group(0);
    uint32_t bit = static_cast<uint32_t>(f - Le64(g.gd()->gd_first_cluster) * ed.vol().geometry().blocks_per_cluster());
    REQUIRE(ia->ClearBits(0, bit, 1).ok());
    REQUIRE(ia->Flush(ed.io()).ok());
  }
  ExpectRepaired(img.path(), "inode_alloc:0000: 1 block " + std::to_string(f) + " is in use but marked free");
}

TEST_CASE("fsck: inode with a bad checksum", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t lf;
  {
    Editor ed(img.path());
    lf = *ed.vol().LookupPath("/lost+found");
    auto raw = ed.ReadRaw(lf);
    raw[offsetof(ocfsx_inode, i_uid)] ^= 0x10;  // not resealed
    ed.WriteRaw(lf, raw);
  }
  ExpectRepaired(img.path(), "inode " + std::to_string(lf) + " passes checks but its checksum does not match");
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  auto in = (*v)->ReadInode(lf);
  REQUIRE(in.ok());
  CHECK(Le32(in->raw().i_uid) == 0x10);
}

TEST_CASE("fsck: global group descriptor with a bad checksum", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t gd0;
  {
    Editor ed(img.path());
    gd0 = Le64(ed.vol().super().raw().s_first_group_blkno);
    auto raw = ed.ReadRaw(gd0);
    raw[offsetof(ocfsx_group_desc, gd_reserved1)] ^= 1;
    ed.WriteRaw(gd0, raw);
  }
  ExpectRepaired(img.path(), "global bitmap group 0 (block " + std::to_string(gd0) + ") has a bad checksum");
}

TEST_CASE("fsck: group descriptor damaged beyond its checksum is rebuilt", "[fsck][repair]") {
  Image img(64ULL << 20, "-b 1K -N 1");
  {
    Editor ed(img.path());
    auto& g = ed.global().group(1);
    std::vector<uint8_t> junk(ed.bs(), 0x33);
    ed.WriteRaw(g.blkno, junk);
  }
  ExpectRepaired(img.path(), "global bitmap group 1");
}

TEST_CASE("fsck: dirent block with a bad checksum", "[fsck][repair]") {
  Image img(64ULL << 20, "-b 512 -N 1");
  uint64_t blk;
  {
    Editor ed(img.path());
    uint64_t d = ed.CreateDir(ed.root(), "dir");
    for (int i = 0; i < 40; i++) ed.CreateFile(d, "entry-" + std::to_string(i), 0);
    ed.Flush();
    auto b = MapBlock(ed.io(), ed.Read(d), 1);
    REQUIRE(b.ok());
    blk = *b;
    auto raw = ed.ReadRaw(blk);
    raw[ed.bs() - 4] ^= 0x40;  // the trailer's reserved word, not resealed
    ed.WriteRaw(blk, raw);
  }
  ExpectRepaired(img.path(), "dirent block " + std::to_string(blk) + " has a bad checksum");
}

TEST_CASE("fsck: directory entry naming a free inode", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t ghost;
  {
    Editor ed(img.path());
    auto gia = ed.vol().LoadAllocator("global_inode_alloc");
    REQUIRE(gia.ok());
    ghost = gia->BitToBlkno(0, gia->group(0).bits() - 3);  // never handed out
    ed.Link(ed.root(), "ghost", ghost, OCFSX_FT_REG);
  }
  ExpectRepaired(img.path(), "entry 'ghost' refers to unused inode " + std::to_string(ghost));
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  CHECK_FALSE((*v)->LookupPath("/ghost").ok());
  CHECK((*v)->LookupPath("/lost+found").ok());
}

TEST_CASE("fsck: wrong link count", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t lf, f;
  {
    Editor ed(img.path());
    lf = *ed.vol().LookupPath("/lost+found");
    f = ed.CreateFile(ed.root(), "file", 1);
    ed.Link(lf, "hardlink", f, OCFSX_FT_REG);  // second name, count not bumped
    Inode in = ed.Read(lf);
    in.raw().i_links = Le32(5);
    ed.Write(in);
  }
  std::string out = ExpectRepaired(img.path(), "inode " + std::to_string(lf) + " has link count 5, should be 2");
  CHECK_THAT(out, Catch::Contains("inode " + std::to_string(f) + " has link count 1, should be 2"));
}

TEST_CASE("fsck: two files share a cluster", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t a, b, shared;
  {
    Editor ed(img.path());
    a = ed.CreateFile(ed.root(), "a", 2, 0xaa);
    b = ed.CreateFile(ed.root(), "b", 2, 0xbb);
    Inode ib = ed.Read(b);
    shared = Le64(ed.Read(a).extent_recs()[0].ex_start);
    ib.extent_recs()[0].ex_start = Le64(shared);
    ed.Write(ib);
  }
  std::string out = ExpectRepaired(img.path(), "doubly allocated");
  CHECK_THAT(out, Catch::Contains("inode " + std::to_string(b) + ": clusters " + std::to_string(shared) + "-" +
                                  std::to_string(shared + 1) + " are also used by inode " + std::to_string(a)));
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  auto ea = CollectExtents((*v)->io(), *(*v)->ReadInode(a));
  auto eb = CollectExtents((*v)->io(), *(*v)->ReadInode(b));
  REQUIRE(ea.ok());
  REQUIRE(eb.ok());
  CHECK((*ea)[0].ex_start == shared);
  CHECK((*eb)[0].ex_start != shared);
  // The clone holds a copy of what the shared clusters held.
  std::vector<uint8_t> buf(4096);
  REQUIRE((*v)->device().ReadAt((*eb)[0].ex_start * 4096, buf.data(), buf.size()).ok());
  CHECK(buf[100] == 0xaa);
}

TEST_CASE("fsck: orphan left behind by a crash", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t orphan, od;
  {
    Editor ed(img.path());
    od = *ed.vol().SystemFile("orphan_dir:0000");
    orphan = ed.CreateFile(ed.root(), "doomed", 2);
    // Unlinked while open: the name moves to the orphan directory.
    DropInlineEntry(ed, ed.root(), "doomed");
    ed.Link(od, Hex16(orphan), orphan, OCFSX_FT_REG);
    Inode in = ed.Read(orphan);
    in.raw().i_flags = Le32(OCFSX_IFL_VALID | OCFSX_IFL_ORPHANED);
    in.raw().i_orphan_slot = 0;
    in.raw().i_links = 0;
    in.raw().i_dtime = Le64(12345);
    ed.Write(in);
  }
  ExpectRepaired(img.path(), "inode " + std::to_string(orphan) + " is an unlinked orphan of slot 0");
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  CHECK_FALSE((*v)->Lookup(od, Hex16(orphan)).ok());
  auto in = (*v)->ReadInode(orphan);
  REQUIRE(in.ok());
  CHECK_FALSE(Le32(in->raw().i_flags) & OCFSX_IFL_VALID);
}

// The kernel parks a truncate that spans several transactions this way; a
// crash before it finishes leaves the clusters past i_size mapped.
TEST_CASE("fsck: truncate cut short by a crash", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t file, od;
  {
    Editor ed(img.path());
    od = *ed.vol().SystemFile("orphan_dir:0000");
    file = ed.CreateFile(ed.root(), "shrinking", 3);
    ed.Link(od, Hex16(file), file, OCFSX_FT_REG);
    Inode in = ed.Read(file);
    in.raw().i_flags = Le32(OCFSX_IFL_VALID | OCFSX_IFL_ORPHANED | OCFSX_IFL_TRUNCATE_PENDING);
    in.raw().i_orphan_slot = 0;
    in.raw().i_dtime = Le64(12345);
    in.raw().i_size = Le64(ed.cs() + 1);  // two clusters stay
    ed.Write(in);
  }
  ExpectRepaired(img.path(), "inode " + std::to_string(file) + " is an orphan of slot 0 with a pending truncate; finishing it");
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  CHECK_FALSE((*v)->Lookup(od, Hex16(file)).ok());
  auto in = (*v)->ReadInode(file);
  REQUIRE(in.ok());
  CHECK(Le32(in->raw().i_flags) == OCFSX_IFL_VALID);
  CHECK(Le16(in->raw().i_orphan_slot) == OCFSX_SLOT_NONE);
  CHECK(Le64(in->raw().i_clusters) == 2);
  auto ex = CollectExtents((*v)->io(), *in);
  REQUIRE(ex.ok());
  REQUIRE(ex->size() == 1);
  CHECK(Le32((*ex)[0].ex_clusters) == 2);
}

TEST_CASE("fsck: dirty journal is replayed", "[fsck][repair][journal]") {
  Image img(64ULL << 20);
  uint64_t lf;
  {
    Editor ed(img.path());
    lf = *ed.vol().LookupPath("/lost+found");
    uint64_t jino = *ed.vol().SystemFile("journal:0000");
    Inode j = ed.Read(jino);
    const uint32_t bs = ed.bs();
    auto jio = MapJournalInode(ed.io(), j, "journal:0000", JournalWrites::kWrite);
    REQUIRE(jio.ok());
    auto w = jbd2::LogWriter::Open(*jio, bs);
    REQUIRE(w.ok());
    // The committed transaction carries a new version of lost+found.
    auto raw = ed.ReadRaw(lf);
    reinterpret_cast<ocfsx_inode*>(raw.data())->i_uid = Le32(4321);
    SealBlock(raw.data(), OCFSX_BT_INODE, bs);
    REQUIRE(w->Add(lf, raw).ok());
    REQUIRE(w->Commit().ok());
    j.raw().ij_flags = Le32(OCFSX_JOURNAL_F_DIRTY);
    ed.Write(j);
  }
  auto n = Fsck("-n", img.path());
  INFO(n.output);
  CHECK(n.exit_code == 4);
  CHECK_THAT(n.output, Catch::Contains("journal of slot 0 needs recovery"));
  {
    auto v = Volume::Open(img.path());
    CHECK(Le32((*v)->ReadInode(lf)->raw().i_uid) == 0);
  }
  auto y = Fsck("-y", img.path());
  INFO(y.output);
  CHECK(y.exit_code == 1);
  CHECK_THAT(y.output, Catch::Contains("replayed 1 transaction(s), 1 block(s)"));
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  CHECK(Le32((*v)->ReadInode(lf)->raw().i_uid) == 4321);
  auto j = (*v)->ReadInode(*(*v)->SystemFile("journal:0000"));
  CHECK(Le32(j->raw().ij_flags) == 0);
  CHECK(Le32(j->raw().ij_recovery_gen) == 1);
  CHECK(Fsck("-fn", img.path()).exit_code == 0);
}

TEST_CASE("fsck: damaged directory index is rebuilt", "[fsck][repair]") {
  Image img(64ULL << 20, "-b 512 -N 1");
  uint64_t d;
  {
    Editor ed(img.path());
    d = ed.CreateDir(ed.root(), "dir");
    for (int i = 0; i < 300; i++) ed.CreateFile(d, "name-" + std::to_string(i), 0);
    ed.Flush();
    Inode in = ed.Read(d);
    uint64_t dx = Le64(in.raw().i_dx_root);
    REQUIRE(dx != 0);
    std::vector<uint8_t> buf(ed.bs());
    REQUIRE(ed.io().Read(dx, OCFSX_BT_DX_ROOT, buf.data()).ok());
    auto* ents = reinterpret_cast<ocfsx_dx_entry*>(buf.data() + OCFSX_DX_ROOT_ENTRIES_OFFSET);
    ents[1].dx_hash = Le64(Le64(ents[1].dx_hash) + 1);
    REQUIRE(ed.io().Write(dx, OCFSX_BT_DX_ROOT, buf.data()).ok());
  }
  ExpectRepaired(img.path(), "directory " + std::to_string(d) + ": hash index is inconsistent");
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  for (int i = 0; i < 300; i += 7) CHECK((*v)->Lookup(d, "name-" + std::to_string(i)).ok());
}

TEST_CASE("fsck: unconnected directory goes to lost+found", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t sub;
  {
    Editor ed(img.path());
    sub = ed.CreateDir(ed.root(), "sub");
    ed.CreateFile(sub, "inside", 1);
    DropInlineEntry(ed, ed.root(), "sub");
  }
  std::string out = ExpectRepaired(img.path(), "unconnected directory " + std::to_string(sub));
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  auto moved = (*v)->LookupPath("/lost+found/#" + std::to_string(sub) + "/inside");
  CHECK(moved.ok());
  CHECK(*(*v)->Lookup(sub, "..") == *(*v)->LookupPath("/lost+found"));
}

TEST_CASE("fsck: missing lost+found is recreated for an unattached file", "[fsck][repair]") {
  Image img(64ULL << 20);
  uint64_t f;
  {
    Editor ed(img.path());
    f = ed.CreateFile(ed.root(), "f", 1);
    DropInlineEntry(ed, ed.root(), "f");
    DropInlineEntry(ed, ed.root(), "lost+found");
  }
  std::string out = ExpectRepaired(img.path(), "unattached inode " + std::to_string(f));
  CHECK_THAT(out, Catch::Contains("/lost+found not found; creating it"));
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  CHECK((*v)->LookupPath("/lost+found/#" + std::to_string(f)).ok());
}

TEST_CASE("fsck: damaged primary superblock is restored from a backup", "[fsck][repair]") {
  Image img(2ULL << 30, "-N 2");
  {
    DeviceOptions o;
    o.writable = true;
    auto dev = Device::Open(img.path(), o);
    REQUIRE(dev.ok());
    uint8_t b = 0;
    REQUIRE((*dev)->ReadAt(65536 + 170, &b, 1).ok());
    b ^= 0xff;  // the label: checksum breaks
    REQUIRE((*dev)->WriteAt(65536 + 170, &b, 1).ok());
  }
  ExpectRepaired(img.path(), "using backup 0");
}

TEST_CASE("fsck: a backup superblock that differs is rewritten", "[fsck][repair]") {
  Image img(2ULL << 30, "-N 2");
  {
    Editor ed(img.path());
    Superblock& sb = ed.vol().super();
    sb.raw().s_label[0] = 'X';
    REQUIRE(sb.WriteAt(ed.io(), sb.BackupBlknos()[0]).ok());
  }
  ExpectRepaired(img.path(), "backup superblock 0 at block 262144 differs from the primary");
}

TEST_CASE("fsck: -p fixes safe problems and stops at unsafe ones", "[fsck][preen]") {
  Image img(64ULL << 20);
  {
    Editor ed(img.path());
    auto& g = ed.global().group(0);
    bitmap::Set(g.bitmap(), g.bits() - 1);
    g.dirty = true;
  }
  auto p = Fsck("-fp", img.path());
  INFO(p.output);
  CHECK(p.exit_code == 1);
  CHECK_THAT(p.output, Catch::Contains("FIXED"));
  CHECK(Fsck("-fn", img.path()).exit_code == 0);
  {
    Editor ed(img.path());
    auto gia = ed.vol().LoadAllocator("global_inode_alloc");
    ed.Link(ed.root(), "ghost", gia->BitToBlkno(0, gia->group(0).bits() - 3), OCFSX_FT_REG);
  }
  auto u = Fsck("-fp", img.path());
  INFO(u.output);
  CHECK(u.exit_code == 4);
  CHECK_THAT(u.output, Catch::Contains("UNEXPECTED INCONSISTENCY"));
  CHECK(Fsck("-fn", img.path()).exit_code == 4);
  CHECK(Fsck("-fy", img.path()).exit_code == 1);
  CHECK(Fsck("-fn", img.path()).exit_code == 0);
}

TEST_CASE("fsck: interactive answers", "[fsck]") {
  Image img(64ULL << 20);
  {
    Editor ed(img.path());
    Inode lf = ed.Read(*ed.vol().LookupPath("/lost+found"));
    lf.raw().i_links = Le32(9);
    ed.Write(lf);
  }
  check::Options o;
  o.mode = check::Mode::kAsk;
  o.force = true;
  int asked = 0;
  o.ask = [&](const std::string& q) {
    asked++;
    CHECK_THAT(q, Catch::Contains("has link count 9"));
    return check::Answer::kQuit;
  };
  std::ostringstream out, err;
  auto r = check::CheckVolume(img.path(), o, out, err);
  CHECK(asked == 1);
  CHECK((r.exit_code & check::kExitCancelled) != 0);
  o.ask = [&](const std::string&) { return check::Answer::kYes; };
  r = check::CheckVolume(img.path(), o, out, err);
  CHECK(r.exit_code == check::kExitCorrected);
  CHECK(Fsck("-fn", img.path()).exit_code == 0);
}
