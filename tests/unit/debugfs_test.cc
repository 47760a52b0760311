// debugfs.ocfsx end to end: the built tool run as a process on images made
// by the built mkfs.ocfsx and edited through libocfsx; exact output lines,
// one-line errors, heartbeat liveness, journals, and damaged images.
#include <sys/stat.h>

#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "inspect_testutil.h"
#include "ocfsx/alloc.h"
#include "ocfsx/dir.h"
#include "ocfsx/endian.h"
#include "ocfsx/inode.h"
#include "ocfsx/inspect.h"
#include "ocfsx/jbd2.h"
#include "ocfsx/journal_io.h"
#include "ocfsx/volume.h"

using namespace ocfsx;
using inspect_test::Image;

namespace {

std::string Debugfs() { return fstest::Tool("debugfs.ocfsx"); }

testutil::ProcResult Cmd(const std::string& img, const std::string& cmd, const testutil::RunOptions& opts = {}) {
  return testutil::Run({Debugfs(), "-R", cmd, img}, opts);
}

bool HasLine(const std::string& out, const std::string& line) {
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l))
    if (l == line) return true;
  return false;
}

uint64_t SysIno(const std::string& img, const std::string& name) {
  auto v = Volume::Open(img);
  REQUIRE(v.ok());
  auto ino = (*v)->SystemFile(name);
  REQUIRE(ino.ok());
  return *ino;
}

// What the test file /data.bin holds, cluster by cluster.
struct DataFile {
  std::string expect;  // its contents as a reader must see them
  uint64_t ino = 0, small_ino = 0, link_ino = 0;
  uint64_t first_cluster = 0;
};

// Adds through libocfsx: /data.bin with extents [data][hole][unwritten]
// [data, partly past EOF] and an inline "user.foo" xattr, /small.txt with
// inline data, and /link -> data.bin.
// A volume opened read-write with the global allocators, for adding
// content offline: the volume, its allocators and the root directory.
struct OfflineEdit {
  std::unique_ptr<Volume> v;
  Result<ChainAllocator> gb, gia;
  std::optional<OfflineSpace> space;
  std::optional<Inode> root;
  explicit OfflineEdit(const std::string& img)
      : v(inspect_test::OpenRw(img)), gb(v->LoadAllocator("global_bitmap")), gia(v->LoadAllocator("global_inode_alloc")) {
    REQUIRE(gb.ok());
    REQUIRE(gia.ok());
    space.emplace(v->io(), &*gb, &*gia, OCFSX_SLOT_GLOBAL);
    auto r = v->ReadInode(Le64(v->super().raw().s_root_blkno));
    REQUIRE(r.ok());
    root.emplace(std::move(*r));
  }
};

DataFile AddFiles(const std::string& img) {
  DataFile df;
  OfflineEdit ed(img);
  auto& v = ed.v;
  auto& space = *ed.space;
  auto& root = ed.root;
  const uint32_t bs = v->io().block_size();
  const uint32_t cs = v->geometry().cluster_size();
  DirContext ctx = v->dir_context();

  auto blk = space.AllocMetaBlock();
  REQUIRE(blk.ok());
  Inode f = Inode::New(v->io(), blk->blkno, blk->origin, S_IFREG | 0640, OCFSX_BODY_EXTENTS, 256);
  auto run = space.AllocClusters(3);
  REQUIRE(run.ok());
  REQUIRE(run->count == 3);
  df.first_cluster = run->start;
  std::string a(cs, 0), junk(cs, '\xAA'), b(cs, 0);
  for (uint32_t i = 0; i < cs; i++) a[i] = static_cast<char>('A' + i % 26), b[i] = static_cast<char>('a' + i % 23);
  REQUIRE(v->device().WriteAt(run->start * cs, a.data(), cs).ok());
  REQUIRE(v->device().WriteAt((run->start + 1) * cs, junk.data(), cs).ok());  // unwritten: must read as zeros
  REQUIRE(v->device().WriteAt((run->start + 2) * cs, b.data(), cs).ok());
  ocfsx_extent* r = f.extent_recs();
  auto set = [&](int i, uint64_t start, uint32_t lc, uint16_t flags) {
    r[i].ex_start = Le64(start);
    r[i].ex_lcluster = Le32(lc);
    r[i].ex_clusters = Le32(1);
    r[i].ex_flags = Le16(flags);
  };
  set(0, run->start, 0, 0);
  set(1, run->start + 1, 2, OCFSX_EXT_UNWRITTEN);  // logical cluster 1 is a hole
  set(2, run->start + 2, 3, 0);
  f.extent_root()->eh_used = Le16(3);
  const uint64_t size = 3ULL * cs + 100;
  f.raw().i_size = Le64(size);
  f.raw().i_clusters = Le64(3);
  f.raw().i_uid = Le32(1000);
  f.raw().i_gid = Le32(100);
  f.raw().i_mtime = Le64(1700000000);
  f.raw().i_mtime_nsec = 0;
  // One inline xattr, user.foo = "12345", packed at the end of the area.
  uint8_t* area = reinterpret_cast<uint8_t*>(&f.raw()) + bs - 256;
  auto* xh = reinterpret_cast<ocfsx_xattr_header*>(area);
  xh->xh_count = Le16(1);
  xh->xh_data_start = Le16(240);
  xh->xh_area_size = Le16(256);
  auto* xe = reinterpret_cast<ocfsx_xattr_entry*>(area + sizeof(ocfsx_xattr_header));
  xe->xe_value_size = Le32(5);
  xe->xe_offset = Le16(240);
  xe->xe_name_len = 3;
  xe->xe_index = OCFSX_XATTR_INDEX_USER;
  std::memcpy(area + 240, "foo", 3);
  std::memcpy(area + 248, "12345", 5);
  REQUIRE(f.Write(v->io()).ok());
  df.ino = f.blkno();
  df.expect = a + std::string(cs, '\0') + std::string(cs, '\0') + b.substr(0, 100);
  REQUIRE(AddDirEntry(ctx, *root, "data.bin", f.blkno(), OCFSX_FT_REG, space).ok());

  auto sblk = space.AllocMetaBlock();
  REQUIRE(sblk.ok());
  Inode s = Inode::New(v->io(), sblk->blkno, sblk->origin, S_IFREG | 0644, OCFSX_BODY_INLINE, 256);
  std::memcpy(s.body(), "hello inline\n", 13);
  s.raw().i_size = Le64(13);
  REQUIRE(s.Write(v->io()).ok());
  df.small_ino = s.blkno();
  REQUIRE(AddDirEntry(ctx, *root, "small.txt", s.blkno(), OCFSX_FT_REG, space).ok());

  auto lblk = space.AllocMetaBlock();
  REQUIRE(lblk.ok());
  Inode l = Inode::New(v->io(), lblk->blkno, lblk->origin, S_IFLNK | 0777, OCFSX_BODY_INLINE, 256);
  std::memcpy(l.body(), "data.bin", 8);
  l.raw().i_size = Le64(8);
  REQUIRE(l.Write(v->io()).ok());
  df.link_ino = l.blkno();
  REQUIRE(AddDirEntry(ctx, *root, "link", l.blkno(), OCFSX_FT_SYMLINK, space).ok());
  REQUIRE(space.Flush().ok());
  return df;
}

// A writable JournalIo over journal:NNNN, for LogWriter.
struct RwJournal {
  std::unique_ptr<Volume> v;
  jbd2::JournalIo io;
  uint32_t bs = 0;
  RwJournal(const std::string& img, uint32_t slot) : v(inspect_test::OpenRw(img)) {
    char name[32];
    ocfsx_sysfile_name(name, sizeof(name), OCFSX_SYS_JOURNAL, slot);
    auto ino = v->SystemFile(name);
    REQUIRE(ino.ok());
    auto in = v->ReadInode(*ino);
    REQUIRE(in.ok());
    auto jio = MapJournalInode(v->io(), *in, name, JournalWrites::kWrite);
    REQUIRE(jio.ok());
    io = *jio;
    bs = v->io().block_size();
  }
};

}  // namespace

TEST_CASE("debugfs: stats of a fresh image", "[debugfs]") {
  Image img(1ULL << 30, "-L testvol -N 2 --cluster-name alpha");
  auto r = Cmd(img.path(), "stats");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  const auto& sb = (*v)->super().raw();
  CHECK(HasLine(r.out, "Volume: " + img.path()));
  CHECK(HasLine(r.out, "  Label: testvol"));
  CHECK(HasLine(r.out, "  UUID: " + [&] {
    std::string s;
    char b[3];
    for (uint8_t x : sb.s_uuid) std::snprintf(b, sizeof(b), "%02X", x), s += b;
    return s;
  }()));
  CHECK(HasLine(r.out, "  Format: 1.0"));
  CHECK(HasLine(r.out, "  Features: backup-super inline-data indexed-dirs xattr (compat 0x1, incompat 0x2, ro_compat 0x3)"));
  CHECK(HasLine(r.out, "  Block size: 4096"));
  CHECK(HasLine(r.out, "  Cluster size: 4096"));
  CHECK(HasLine(r.out, "  Clusters: 262144 (1073741824 bytes)"));
  auto gb = (*v)->LoadAllocator("global_bitmap");
  REQUIRE(gb.ok());
  CHECK(HasLine(r.out, "  Free clusters: " + std::to_string(gb->free_bits())));
  CHECK(HasLine(r.out, "  Node slots: 2"));
  CHECK(HasLine(r.out, "  Cluster stack: o2cb"));
  CHECK(HasLine(r.out, "  Cluster name: alpha"));
  const uint64_t hb = Le64(sb.s_hb_blkno);
  CHECK(HasLine(r.out, "  Heartbeat: local, blocks " + std::to_string(hb) + "-" + std::to_string(hb + 254)));
  CHECK(HasLine(r.out, "  Root directory: " + std::to_string(Le64(sb.s_root_blkno))));
  CHECK(HasLine(r.out, "  System directory: " + std::to_string(Le64(sb.s_system_dir_blkno))));
  CHECK(HasLine(r.out, "  Errors: remount-ro"));
  for (int slot = 0; slot < 2; slot++) {
    uint64_t j = SysIno(img.path(), "journal:000" + std::to_string(slot));
    CHECK(HasLine(r.out, "    slot " + std::to_string(slot) + ": inode " + std::to_string(j) + ", 33554432 bytes, clean"));
  }
}

TEST_CASE("debugfs: ls, ls -l and the system directory", "[debugfs]") {
  Image img(256ULL << 20, "-N 2");
  DataFile df = AddFiles(img.path());
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  const uint64_t root = Le64((*v)->super().raw().s_root_blkno);
  const uint64_t sys = Le64((*v)->super().raw().s_system_dir_blkno);
  auto lf = (*v)->LookupPath("/lost+found");
  REQUIRE(lf.ok());

  auto r = Cmd(img.path(), "ls");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  char line[128];
  auto fmt = [&](uint64_t ino, const char* type, const char* name) {
    std::snprintf(line, sizeof(line), "%10llu  %-7s  %s", static_cast<unsigned long long>(ino), type, name);
    return std::string(line);
  };
  CHECK(r.out == fmt(root, "dir", ".") + "\n" + fmt(root, "dir", "..") + "\n" + fmt(*lf, "dir", "lost+found") + "\n" +
                     fmt(df.ino, "file", "data.bin") + "\n" + fmt(df.small_ino, "file", "small.txt") + "\n" +
                     fmt(df.link_ino, "symlink", "link") + "\n");
  CHECK(Cmd(img.path(), "ls /").out == r.out);
  CHECK(Cmd(img.path(), "ls <" + std::to_string(root) + ">").out == r.out);

  auto lfl = Cmd(img.path(), "ls /lost+found");
  CHECK(lfl.out == fmt(*lf, "dir", ".") + "\n" + fmt(root, "dir", "..") + "\n");

  auto l = Cmd(img.path(), "ls -l /");
  INFO(l.out);
  REQUIRE(l.exit_code == 0);
  std::snprintf(line, sizeof(line), "%10llu  -rw-r-----     1   1000    100         12388  ",
                static_cast<unsigned long long>(df.ino));
  CHECK(HasLine(l.out, line + inspect::FormatTime(1700000000) + "  data.bin"));
  bool link_ok = l.out.find("  link -> data.bin\n") != std::string::npos;
  CHECK(link_ok);
  CHECK(l.out.find("  drwxr-xr-x  ") != std::string::npos);

  auto s = Cmd(img.path(), "ls //");
  REQUIRE(s.exit_code == 0);
  CHECK(HasLine(s.out, fmt(sys, "dir", ".")));
  CHECK(HasLine(s.out, fmt(SysIno(img.path(), "journal:0001"), "file", "journal:0001")));
  CHECK(HasLine(s.out, fmt(SysIno(img.path(), "slot_map"), "file", "slot_map")));
  CHECK(HasLine(s.out, fmt(SysIno(img.path(), "orphan_dir:0000"), "dir", "orphan_dir:0000")));
}

TEST_CASE("debugfs: stat of files and system files", "[debugfs]") {
  Image img(256ULL << 20, "-N 2");
  DataFile df = AddFiles(img.path());
  auto r = Cmd(img.path(), "stat /data.bin");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(HasLine(r.out, "Inode: " + std::to_string(df.ino) + "  Type: regular file  Mode: 0640 (-rw-r-----)"));
  CHECK(HasLine(r.out, "  Flags: 0x1 (valid)  Attr: 0x0"));
  CHECK(HasLine(r.out, "  Links: 1  User: 1000  Group: 100  Size: 12388  Clusters: 3"));
  CHECK(HasLine(r.out, "  Xattrs (inline, 256 bytes): 1 entry"));
  CHECK(HasLine(r.out, "    user.foo: 5 bytes"));
  CHECK(HasLine(r.out, "  Body: extents (3616 bytes)"));
  CHECK(HasLine(r.out, "  Extent tree: depth 0, 3 of 150 records in the inode"));
  char line[128];
  std::snprintf(line, sizeof(line), "    %-10u  %-11llu  %u", 0u, static_cast<unsigned long long>(df.first_cluster), 1u);
  CHECK(HasLine(r.out, std::string(line)));
  std::snprintf(line, sizeof(line), "    %-10u  %-11llu  %-8u  unwritten", 2u,
                static_cast<unsigned long long>(df.first_cluster + 1), 1u);
  CHECK(HasLine(r.out, line));
  CHECK(HasLine(r.out, "  mtime: 1700000000.000000000  " + inspect::FormatTime(1700000000)));

  auto s = Cmd(img.path(), "stat /small.txt");
  CHECK(HasLine(s.out, "  Body: inline (3616 bytes)"));
  CHECK(HasLine(s.out, "  Inline data: 13 bytes"));
  CHECK(HasLine(s.out, "  Xattrs (inline, 256 bytes): 0 entries"));
  CHECK(HasLine(Cmd(img.path(), "stat /link").out, "  Target: data.bin"));

  // System files by //name and by <inode>.
  const uint64_t j = SysIno(img.path(), "journal:0001");
  auto js = Cmd(img.path(), "stat //journal:0001");
  INFO(js.out);
  CHECK(Cmd(img.path(), "stat <" + std::to_string(j) + ">").out == js.out);
  CHECK(HasLine(js.out, "  Flags: 0x3 (valid system)  Attr: 0x0"));
  CHECK(HasLine(js.out, "  System file: journal:0001"));
  CHECK(HasLine(js.out, "  Journal flags: 0x0  Recovery generation: 0"));
  CHECK(HasLine(js.out, "  Xattrs: none"));
  {
    auto v = Volume::Open(img.path());
    REQUIRE(v.ok());
    auto in = (*v)->ReadInode(j);
    REQUIRE(in.ok());
    auto ext = CollectExtents((*v)->io(), *in);
    REQUIRE(ext.ok());
    REQUIRE(ext->size() == 1);
    std::snprintf(line, sizeof(line), "    %-10u  %-11llu  %u", 0u, static_cast<unsigned long long>((*ext)[0].ex_start),
                  static_cast<unsigned>((*ext)[0].ex_clusters));
    CHECK(HasLine(js.out, line));
  }
  auto gb = Cmd(img.path(), "stat //global_bitmap");
  CHECK(gb.out.find("  Chains: ") != std::string::npos);
  CHECK(HasLine(Cmd(img.path(), "stat //local_alloc:0000").out,
                "  Local alloc: window at cluster 0, 0 bits, 0 used (capacity 30848)"));
  CHECK(HasLine(Cmd(img.path(), "stat //dealloc_log:0001").out, "  Dealloc log: 0 of 241 records"));
}

TEST_CASE("debugfs: cat honours holes, unwritten extents and inline data", "[debugfs]") {
  Image img(256ULL << 20, "-N 2");
  DataFile df = AddFiles(img.path());
  auto r = Cmd(img.path(), "cat /data.bin");
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.size() == df.expect.size());
  CHECK(r.out == df.expect);
  CHECK(Cmd(img.path(), "cat /small.txt").out == "hello inline\n");
  CHECK(Cmd(img.path(), "cat <" + std::to_string(df.small_ino) + ">").out == "hello inline\n");
  // An inline directory's body, byte for byte.
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  auto lf = (*v)->LookupPath("/lost+found");
  REQUIRE(lf.ok());
  auto in = (*v)->ReadInode(*lf);
  REQUIRE(in.ok());
  auto body = ReadInlineData(*in);
  REQUIRE(body.ok());
  CHECK(Cmd(img.path(), "cat /lost+found").out == *body);
  // A whole journal: 8 MiB of jbd2 blocks starting with the v2 superblock magic.
  auto j = Cmd(img.path(), "cat //journal:0000");
  REQUIRE(j.exit_code == 0);
  CHECK(j.out.size() == 8u << 20);
  CHECK(j.out.substr(0, 4) == std::string("\xc0\x3b\x39\x98", 4));
  auto ga = Cmd(img.path(), "cat //global_bitmap");
  CHECK(ga.exit_code == 1);
  CHECK(ga.err == "cat: //global_bitmap: inode " + std::to_string(SysIno(img.path(), "global_bitmap")) +
                      " holds no file data (body format 3)\n");
}

TEST_CASE("debugfs: per-command errors are one line and the session goes on", "[debugfs]") {
  Image img(64ULL << 20, "-N 1");
  auto r = Cmd(img.path(), "stat /x");
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "stat: /x: No such file or directory\n");
  CHECK(Cmd(img.path(), "cat /lost+found/nothing/here").err == "cat: /lost+found/nothing/here: No such file or directory\n");
  CHECK(Cmd(img.path(), "ls /lost+found/./..//x").err == "ls: /lost+found/./..//x: No such file or directory\n");
  CHECK(Cmd(img.path(), "ls <0>").err.find("ls: <0>: inode number outside the volume") == 0);
  CHECK(Cmd(img.path(), "stat <abc>").err == "stat: <abc>: not an inode number\n");
  CHECK(Cmd(img.path(), "stat").err == "stat: usage: stat PATH|<INODE>\n");
  CHECK(Cmd(img.path(), "frobnicate").err == "frobnicate: unknown command (type \"help\")\n");
  CHECK(Cmd(img.path(), "logdump 7").err == "logdump: slot 7 does not exist (slots are 0..0)\n");
  // A block that is not an inode: the verifier's diagnosis on one line.
  auto b = Cmd(img.path(), "stat <17>");
  CHECK(b.exit_code == 1);
  CHECK(b.err == "stat: <17>: block 17 (inode): wrong block type 'GD', expected 'IN'\n");
  CHECK(inspect_test::Lines(b.err) == 1);

  // From stdin: no prompt (not a tty), errors on stderr, later commands run.
  auto s = inspect_test::RunScript(Debugfs(), img.path(), "stat /x\n\n# comment\nls /lost+found\nbogus\nslotmap\nquit\nls\n");
  INFO(s.out << s.err);
  CHECK(s.exit_code == 1);
  CHECK(s.err == "stat: /x: No such file or directory\nbogus: unknown command (type \"help\")\n");
  CHECK(s.out.find("debugfs: ") == std::string::npos);
  CHECK(s.out.find("  lost+found\n") == std::string::npos);  // "ls" after quit never ran
  CHECK(s.out.find("  ..\n") != std::string::npos);
  CHECK(s.out.find("0 of 1 slots in use\n") != std::string::npos);
  auto ok = inspect_test::RunScript(Debugfs(), img.path(), "help\n");
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("  logdump  [SLOT]") != std::string::npos);
}

TEST_CASE("debugfs: a bad device is one line and exit 1", "[debugfs]") {
  fstest::TempImage garbage(64ULL << 20);
  REQUIRE(fstest::WriteGarbage(garbage.path(), 1 << 20, 7));
  auto r = Cmd(garbage.path(), "stats");
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err.rfind("debugfs.ocfsx: ", 0) == 0);
  CHECK(r.err.find("no ocfsx superblock") != std::string::npos);
  CHECK(inspect_test::Lines(r.err) == 1);
  auto m = Cmd("/nonexistent/ocfsx.img", "stats");
  CHECK(m.exit_code == 1);
  CHECK(m.err.find("/nonexistent/ocfsx.img") != std::string::npos);
  CHECK(inspect_test::Lines(m.err) == 1);
  auto none = testutil::Run({Debugfs()});
  CHECK(none.exit_code == 1);
  CHECK(none.err == "debugfs.ocfsx: no device given (usage: debugfs.ocfsx [-R \"COMMAND\"] DEVICE)\n");
  CHECK(testutil::Run({Debugfs(), "-R"}).err == "debugfs.ocfsx: option -R needs an argument (see -h)\n");
  auto ver = testutil::Run({Debugfs(), "-V"});
  CHECK(ver.exit_code == 0);
  CHECK(ver.out == "debugfs.ocfsx 0.1 (ocfsx format 1.0)\n");
}

TEST_CASE("debugfs: slotmap and hb on a fresh image, then with a node", "[debugfs]") {
  Image img(64ULL << 20, "-N 2");
  testutil::RunOptions fast;
  fast.env["OCFSX_HB_INTERVAL_MS"] = "300";
  auto sm = Cmd(img.path(), "slotmap");
  CHECK(sm.exit_code == 0);
  CHECK(sm.out == "Slot  Node  Mounted at\n   0  free\n   1  free\n0 of 2 slots in use\n");
  const std::string hdr =
      "Node  Sequence    Generation        Written at           Interval  Dead    Slot  Cluster  Host  State\n";
  auto hb = Cmd(img.path(), "hb", fast);
  CHECK(hb.exit_code == 0);
  CHECK(hb.out == hdr + "0 of 255 blocks written, 0 damaged, 0 live\n");
  CHECK(Cmd(img.path(), "hb -1").out == hdr + "0 of 255 blocks written, 0 damaged (single read: liveness not judged)\n");

  inspect_test::SetSlot(img.path(), 1, 7, 1700000000);
  auto sm2 = Cmd(img.path(), "slotmap");
  CHECK(sm2.out == "Slot  Node  Mounted at\n   0  free\n   1     7  " + inspect::FormatTime(1700000000) +
                       "\n1 of 2 slots in use\n");

  const std::string t = inspect::FormatTime(1700000000);
  {
    fstest::HbWriter w(img.path());
    REQUIRE(w.Write(3, 41, 0x1234, 0, 0));                // written once, then silent: dead
    REQUIRE(w.Write(4, 9, 0x99, OCFSX_HB_F_STOPPED));     // stopped cleanly
    fstest::LiveHeartbeatWriter live(img.path(), {7}, 1);  // advancing every 20 ms
    REQUIRE(live.ok());
    auto r = Cmd(img.path(), "hb", fast);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(HasLine(r.out, "   3  41          0000000000001234  " + t + "  2000      60000   0     alpha    host3  dead"));
    CHECK(HasLine(r.out, "   4  9           0000000000000099  " + t + "  2000      60000   none  alpha    host4  stopped"));
    bool live_line = r.out.find("  1     alpha    host7  live\n") != std::string::npos;
    CHECK(live_line);
    CHECK(HasLine(r.out, "3 of 255 blocks written, 0 damaged, 1 live"));
    auto once = Cmd(img.path(), "hb -1");
    CHECK(HasLine(once.out, "   3  41          0000000000001234  " + t + "  2000      60000   0     alpha    host3  -"));
    CHECK(HasLine(once.out, "   4  9           0000000000000099  " + t + "  2000      60000   none  alpha    host4  stopped"));
  }
  // A heartbeat block of another node's number: shown as damaged.
  {
    auto v = inspect_test::OpenRw(img.path());
    const uint32_t bs = v->io().block_size();
    const uint64_t blk = Le64(v->super().raw().s_hb_blkno) + 9;
    AlignedBuffer b(bs);
    REQUIRE(v->device().ReadBlocks(blk, bs, b.data()).ok());
    reinterpret_cast<ocfsx_heartbeat_block*>(b.data())->hb_node = Le32(10);
    SealBlock(b.data(), OCFSX_BT_HEARTBEAT, bs);
    REQUIRE(v->device().WriteBlocks(blk, bs, b.data()).ok());
  }
  auto bad = Cmd(img.path(), "hb", fast);
  CHECK(HasLine(bad.out, "   9  bad: block of node 9 claims node 10"));
  CHECK(HasLine(bad.out, "3 of 255 blocks written, 1 damaged, 0 live"));
}

TEST_CASE("debugfs: logdump of a fresh journal and of one with transactions", "[debugfs]") {
  Image img(64ULL << 20, "-N 2");
  auto fresh = Cmd(img.path(), "logdump");
  INFO(fresh.out << fresh.err);
  REQUIRE(fresh.exit_code == 0);
  const uint64_t j0 = SysIno(img.path(), "journal:0000");
  CHECK(fresh.out.rfind("Journal of slot 0 (journal:0000, inode " + std::to_string(j0) + ")\n", 0) == 0);
  CHECK(fresh.out.find("Journal superblock v2: block size 4096, 1024 blocks, first log block 1\n") != std::string::npos);
  CHECK(fresh.out.find("(clean)") != std::string::npos);
  CHECK(fresh.out.find("0 commit block(s) found") != std::string::npos);

  uint32_t seq = 0;
  {
    RwJournal rj(img.path(), 1);
    auto w = jbd2::LogWriter::Open(rj.io, rj.bs);
    REQUIRE(w.ok());
    std::vector<uint8_t> data(rj.bs, 0x5a);
    REQUIRE(w->Add(1234, data).ok());
    REQUIRE(w->Add(1235, data).ok());
    auto c1 = w->Commit();
    REQUIRE(c1.ok());
    seq = *c1;
    REQUIRE(w->Revoke(1234).ok());
    REQUIRE(w->Add(99, data).ok());
    REQUIRE(w->Commit().ok());
  }
  auto r = Cmd(img.path(), "logdump 1");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  const std::string s = std::to_string(seq), s2 = std::to_string(seq + 1);
  CHECK(r.out.rfind("Journal of slot 1 (journal:0001, inode " + std::to_string(SysIno(img.path(), "journal:0001")) + ")\n",
                    0) == 0);
  CHECK(r.out.find("(needs recovery)") != std::string::npos);
  CHECK(r.out.find("  block 1: descriptor, transaction " + s + ", 2 tag(s)\n") != std::string::npos);
  CHECK(r.out.find("    fs block 1234 in log block 2\n") != std::string::npos);
  CHECK(r.out.find("    fs block 1235 in log block 3\n") != std::string::npos);
  CHECK(r.out.find("  block 4: commit, transaction " + s + ", time ") != std::string::npos);
  CHECK(r.out.find("  block 5: revoke, transaction " + s2 + ", 1 record(s)\n") != std::string::npos);
  CHECK(r.out.find("2 commit block(s) found; next transaction would be " + std::to_string(seq + 2)) != std::string::npos);
  CHECK(r.out.find("BAD") == std::string::npos);
  // Slot 0 is untouched.
  CHECK(Cmd(img.path(), "logdump 0").out.find("(clean)") != std::string::npos);
}

TEST_CASE("debugfs: damaged but checksummed metadata never crashes it", "[debugfs][fuzz]") {
  Image img(64ULL << 20, "-N 2");
  DataFile df = AddFiles(img.path());
  uint32_t bs;
  std::vector<uint64_t> targets;
  {
    auto v = Volume::Open(img.path());
    REQUIRE(v.ok());
    const auto& sb = (*v)->super().raw();
    bs = (*v)->super().block_size();
    targets = {Le64(sb.s_system_dir_blkno), Le64(sb.s_root_blkno), df.ino, df.small_ino, df.link_ino,
               Le64(sb.s_first_group_blkno), Le64(sb.s_hb_blkno), Le64(sb.s_hb_blkno) + 1};
    for (const char* n : {"journal:0000", "slot_map", "global_bitmap", "local_alloc:0000", "dealloc_log:0001",
                          "global_inode_alloc", "heartbeat"})
      targets.push_back(SysIno(img.path(), n));
    auto lf = (*v)->LookupPath("/lost+found");
    REQUIRE(lf.ok());
    targets.push_back(*lf);
    auto smi = (*v)->ReadInode(SysIno(img.path(), "slot_map"));
    REQUIRE(smi.ok());
    auto smb = MapBlock((*v)->io(), *smi, 0);
    REQUIRE(smb.ok());
    targets.push_back(*smb);
  }
  std::string script = "stats\nls -l /\nls -l //\nls /lost+found\ncat /data.bin\ncat /small.txt\ncat /link\n"
                       "cat /lost+found\nslotmap\nhb -1\nlogdump 0\nlogdump 1\nstat //journal:0000\n"
                       "stat //global_bitmap\nstat //local_alloc:0000\nstat //dealloc_log:0001\nstat //slot_map\n"
                       "stat //heartbeat\nstat /data.bin\nstat /link\n";
  for (uint64_t t : targets) script += "stat <" + std::to_string(t) + ">\n";
  testutil::RunOptions opts;
  opts.file_size_limit = 32u << 20;  // a damaged i_size must not fill the disk
  std::mt19937 rng(12345);
  DeviceOptions rw;
  rw.writable = true;
  auto dev = Device::Open(img.path(), rw);
  REQUIRE(dev.ok());
  for (int iter = 0; iter < 40; iter++) {
    const uint64_t blk = targets[rng() % targets.size()];
    AlignedBuffer orig(bs), b(bs);
    REQUIRE((*dev)->ReadBlocks(blk, bs, orig.data()).ok());
    std::memcpy(b.data(), orig.data(), bs);
    const bool dirblock = Le32(*reinterpret_cast<const uint32_t*>(b.data())) != OCFSX_META_MAGIC;
    const uint16_t type = dirblock ? OCFSX_BT_DIRBLOCK : Le16(reinterpret_cast<ocfsx_block_header*>(b.data())->bh_type);
    // Damage fields past the header (or, for a few, small values that look
    // plausible), then re-seal so every check but our own range checks passes.
    const int flips = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < flips; k++) {
      const uint32_t off = 48 + rng() % (bs - 48);
      switch (rng() % 3) {
        case 0: b.data()[off] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
        case 1: b.data()[off] = static_cast<uint8_t>(rng()); break;
        default: b.data()[off] = 0xff; break;
      }
    }
    SealBlock(b.data(), type, bs);
    REQUIRE((*dev)->WriteBlocks(blk, bs, b.data()).ok());
    auto r = inspect_test::RunScript(Debugfs(), img.path(), script, opts);
    REQUIRE((*dev)->WriteBlocks(blk, bs, orig.data()).ok());
    INFO("iteration " << iter << ", block " << blk << "\n" << r.err);
    CHECK((r.exit_code == 0 || r.exit_code == 1));
    CHECK(r.err.find("Sanitizer") == std::string::npos);
    CHECK(r.err.find("runtime error") == std::string::npos);
  }
}

TEST_CASE("debugfs: targeted damage gives one error line each", "[debugfs]") {
  Image img(64ULL << 20, "-N 2");
  DataFile df = AddFiles(img.path());
  // Re-reads inode `ino`, lets `edit` change it, and writes it back sealed.
  auto edit_inode = [&](uint64_t ino, const std::function<void(ocfsx_inode&)>& edit) {
    auto v = inspect_test::OpenRw(img.path());
    auto in = v->ReadInode(ino);
    REQUIRE(in.ok());
    edit(in->raw());
    REQUIRE(in->Write(v->io()).ok());
  };
  const uint64_t la = SysIno(img.path(), "local_alloc:0000");
  const uint64_t dl = SysIno(img.path(), "dealloc_log:0000");
  // An inline xattr area that leaves the body 8 bytes: smaller than the
  // local-alloc and dealloc-log headers.
  for (uint64_t ino : {la, dl}) edit_inode(ino, [](ocfsx_inode& r) { r.i_xattr_inline_size = Le16(4096 - 224 - 8); });
  auto a = Cmd(img.path(), "stat <" + std::to_string(la) + ">");
  CHECK(a.exit_code == 1);
  CHECK(a.err == "stat: <" + std::to_string(la) + ">: inode " + std::to_string(la) +
                  ": body of 8 bytes is too small for body format 4\n");
  CHECK(Cmd(img.path(), "stat //dealloc_log:0000").err ==
        "stat: //dealloc_log:0000: inode " + std::to_string(dl) + ": body of 8 bytes is too small for body format 5\n");

  // An extent far outside the volume.
  edit_inode(df.ino, [](ocfsx_inode& r) {
    auto* rec = reinterpret_cast<ocfsx_extent*>(reinterpret_cast<uint8_t*>(&r) + OCFSX_INODE_BODY_OFFSET +
                                                 sizeof(ocfsx_extent_hdr));
    rec[2].ex_start = Le64(1ULL << 40);
  });
  auto c = Cmd(img.path(), "cat /data.bin");
  CHECK(c.exit_code == 1);
  CHECK(c.err == "cat: /data.bin: inode " + std::to_string(df.ino) + ": extent at cluster 1099511627776+1 lies outside the volume\n");
  // Records out of order: the library's walker refuses the tree.
  edit_inode(df.ino, [](ocfsx_inode& r) {
    auto* rec = reinterpret_cast<ocfsx_extent*>(reinterpret_cast<uint8_t*>(&r) + OCFSX_INODE_BODY_OFFSET +
                                                 sizeof(ocfsx_extent_hdr));
    rec[2].ex_lcluster = Le32(0);
  });
  auto o = Cmd(img.path(), "stat /data.bin");
  CHECK(o.exit_code == 1);
  CHECK(o.err == "stat: /data.bin: extent tree: inode " + std::to_string(df.ino) + ": extent records out of order\n");
  CHECK(o.out.find("Inode: " + std::to_string(df.ino)) == 0);  // the fields are still shown

  // A huge size on an inline file is refused; a huge sparse size streams
  // zeros until the output fails, which ends only that command.
  edit_inode(df.small_ino, [](ocfsx_inode& r) { r.i_size = Le64(1ULL << 40); });
  CHECK(Cmd(img.path(), "cat /small.txt").err ==
        "cat: /small.txt: inode " + std::to_string(df.small_ino) + ": inline size 1099511627776 exceeds the body (3616 bytes)\n");
  edit_inode(df.ino, [](ocfsx_inode& r) {
    reinterpret_cast<ocfsx_extent_hdr*>(reinterpret_cast<uint8_t*>(&r) + OCFSX_INODE_BODY_OFFSET)->eh_used = Le16(1);
    r.i_size = Le64(1ULL << 50);
  });
  testutil::RunOptions lim;
  lim.file_size_limit = 4u << 20;
  auto z = inspect_test::RunScript(Debugfs(), img.path(), "cat /data.bin\nslotmap\n", lim);
  CHECK(z.exit_code == 1);
  CHECK(z.err == "cat: /data.bin: write to stdout: File too large\n");
}

TEST_CASE("debugfs: dx shows a directory's hash index level by level", "[debugfs]") {
  Image img(64ULL << 20, "-b 512 -N 1");
  uint64_t root_ino, dx;
  {
    OfflineEdit ed(img.path());
    DirContext ctx = ed.v->dir_context();
    root_ino = ed.root->blkno();
    // Entries only need an inode number here; dx never follows them.
    for (int i = 0; i < 300; i++)
      REQUIRE(AddDirEntry(ctx, *ed.root, "name-" + std::to_string(i), root_ino, OCFSX_FT_REG, *ed.space).ok());
    REQUIRE(ed.space->Flush().ok());
    dx = Le64(ed.v->ReadInode(root_ino)->raw().i_dx_root);
    REQUIRE(dx != 0);
  }
  auto v = Volume::Open(img.path());
  REQUIRE(v.ok());
  std::vector<uint8_t> buf(512);
  REQUIRE((*v)->io().Read(dx, OCFSX_BT_DX_ROOT, buf.data()).ok());
  const auto* dr = reinterpret_cast<const ocfsx_dx_root*>(buf.data());
  const unsigned height = dr->dr_node.dn_level + 1U;
  REQUIRE(height >= 2);  // 303 names cannot fit a 26-entry root at 512 B

  auto r = Cmd(img.path(), "dx /");
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.out);
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  REQUIRE(lines.size() == height + 1);
  char want[160];
  std::snprintf(want, sizeof(want), "Index root: %llu  height: %u  entries: 303  free head: %llu",
                static_cast<unsigned long long>(dx), height,
                static_cast<unsigned long long>(Le64(dr->dr_free_head)));
  CHECK(lines[0] == want);
  std::snprintf(want, sizeof(want), "  level %u: 1 node, %u entries", height - 1, Le16(dr->dr_node.dn_count));
  CHECK(lines[1] == want);
  // The leaves hold every name once, with . .. and lost+found.
  const std::string leaf_tail = " nodes, 303 entries";
  CHECK(lines.back().rfind("  level 0: ", 0) == 0);
  REQUIRE(lines.back().size() > leaf_tail.size());
  CHECK(lines.back().substr(lines.back().size() - leaf_tail.size()) == leaf_tail);

  auto lf = (*v)->LookupPath("/lost+found");
  REQUIRE(lf.ok());
  CHECK(Cmd(img.path(), "dx /lost+found").out == "Inode " + std::to_string(*lf) + ": not indexed\n");
  auto bad = Cmd(img.path(), "dx");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("usage: dx PATH|<INODE>") != std::string::npos);
}
