// mounted.ocfsx end to end: detect and full mode on images made by the
// built mkfs.ocfsx, with slots claimed and heartbeats written through
// libocfsx; exact table lines, stale nodes, scan mode and errors.
#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "inspect_testutil.h"
#include "ocfsx/endian.h"
#include "ocfsx/volume.h"

using namespace ocfsx;
using inspect_test::Image;

namespace {

std::string Mounted() { return fstest::Tool("mounted.ocfsx"); }

std::string UuidOf(const std::string& img) {
  auto v = Volume::Open(img);
  REQUIRE(v.ok());
  std::string s;
  char b[3];
  for (uint8_t x : (*v)->super().raw().s_uuid) std::snprintf(b, sizeof(b), "%02X", x), s += b;
  return s;
}

// The expected table: columns two spaces apart, as wide as their widest
// cell, no trailing blanks.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(rows[0].size());
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); i++) w[i] = std::max(w[i], r[i].size());
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); i++) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(w[i] - r[i].size() + 2, ' ');
    }
    while (line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

testutil::RunOptions Fast() {
  testutil::RunOptions o;
  o.env["OCFSX_HB_INTERVAL_MS"] = "300";
  return o;
}

}  // namespace

TEST_CASE("mounted: detect mode lists stack, cluster, flags, UUID and label", "[mounted]") {
  Image a(64ULL << 20, "-L data1 --cluster-name alpha");
  Image b(64ULL << 20, "-M local -L solo");
  auto r = testutil::Run({Mounted(), a.path(), b.path()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out == Table({{"Device", "Stack", "Cluster", "F", "UUID", "Label"},
                        {a.path(), "o2cb", "alpha", "", UuidOf(a.path()), "data1"},
                        {b.path(), "None", "None", "L", UuidOf(b.path()), "solo"}}));
  // -d is the default.
  CHECK(testutil::Run({Mounted(), "-d", a.path(), b.path()}).out == r.out);
}

TEST_CASE("mounted: full mode on a fresh volume says Not mounted", "[mounted]") {
  Image a(64ULL << 20, "--cluster-name alpha");
  auto r = testutil::Run({Mounted(), "-f", a.path()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == Table({{"Device", "Stack", "Cluster", "F", "Nodes"}, {a.path(), "o2cb", "alpha", "", "Not mounted"}}));
}

TEST_CASE("mounted: full mode cross-checks the slot map with the heartbeat", "[mounted]") {
  Image a(64ULL << 20, "-N 4 --cluster-name alpha");
  Image b(64ULL << 20, "-N 2 --cluster-name alpha");
  auto rows = [&](const std::string& na, const std::string& nb) {
    return Table({{"Device", "Stack", "Cluster", "F", "Nodes"},
                  {a.path(), "o2cb", "alpha", "", na},
                  {b.path(), "o2cb", "alpha", "", nb}});
  };
  // Node 7 in slot 2 and node 3 in slot 0 of a; node 7 in slot 1 of b.
  inspect_test::SetSlot(a.path(), 2, 7);
  inspect_test::SetSlot(a.path(), 0, 3);
  inspect_test::SetSlot(b.path(), 1, 7);

  // Nobody heartbeats: every slot holder is stale.
  auto stale = testutil::Run({Mounted(), "-f", a.path(), b.path()}, Fast());
  INFO(stale.out << stale.err);
  CHECK(stale.exit_code == 0);
  CHECK(stale.out == rows("3 (stale), 7 (stale)", "7 (stale)"));

  {
    // Node 7 heartbeats on both, node 3 wrote once and went silent, node 9
    // heartbeats on a without a slot (mounting).
    fstest::LiveHeartbeatWriter n7a(a.path(), {7}, 2);
    fstest::LiveHeartbeatWriter n7b(b.path(), {7}, 1);
    fstest::LiveHeartbeatWriter n9(a.path(), {9});
    REQUIRE(n7a.ok());
    REQUIRE(n7b.ok());
    REQUIRE(n9.ok());
    REQUIRE(fstest::HbWriter(a.path()).Write(3, 5, 0x33, 0, 0));
    auto r = testutil::Run({Mounted(), "-f", a.path(), b.path()}, Fast());
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out == rows("3 (stale), 7, 9 (no slot)", "7"));
  }

  // A node that stopped cleanly but still holds its slot is stale too.
  REQUIRE(fstest::HbWriter(b.path()).Write(7, 100, 0x44, OCFSX_HB_F_STOPPED, 1));
  auto s = testutil::Run({Mounted(), "-f", b.path()}, Fast());
  CHECK(s.out == Table({{"Device", "Stack", "Cluster", "F", "Nodes"}, {b.path(), "o2cb", "alpha", "", "7 (stale)"}}));
}

TEST_CASE("mounted: local volumes are not heartbeat-checked", "[mounted]") {
  Image a(64ULL << 20, "-M local");
  inspect_test::SetSlot(a.path(), 0, 0);
  auto r = testutil::Run({Mounted(), "-f", a.path()});
  CHECK(r.exit_code == 0);
  CHECK(r.out == Table({{"Device", "Stack", "Cluster", "F", "Nodes"}, {a.path(), "None", "None", "L", "0"}}));
}

TEST_CASE("mounted: bad devices on the command line are reported, scans skip them", "[mounted]") {
  Image a(64ULL << 20, "--cluster-name alpha -L good");
  fstest::TempImage junk(64ULL << 20);
  REQUIRE(fstest::WriteGarbage(junk.path(), 256 << 10, 3));
  auto r = testutil::Run({Mounted(), junk.path(), a.path()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.rfind("mounted.ocfsx: ", 0) == 0);
  CHECK(r.err.find("no ocfsx superblock") != std::string::npos);
  CHECK(inspect_test::Lines(r.err) == 1);
  const std::string good = Table({{"Device", "Stack", "Cluster", "F", "UUID", "Label"},
                                  {a.path(), "o2cb", "alpha", "", UuidOf(a.path()), "good"}});
  CHECK(r.out == good);
  auto missing = testutil::Run({Mounted(), "/nonexistent/x.img"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("/nonexistent/x.img") != std::string::npos);
  CHECK(missing.out == "Device  Stack  Cluster  F  UUID  Label\n");

  // Scan mode (device list from the environment instead of /proc/partitions):
  // foreign and missing devices are skipped silently.
  testutil::RunOptions scan;
  scan.env["OCFSX_SCAN_DEVICES"] = junk.path() + ":/nonexistent/y:" + a.path();
  auto s = testutil::Run({Mounted()}, scan);
  CHECK(s.exit_code == 0);
  CHECK(s.err.empty());
  CHECK(s.out == good);

  auto bad = testutil::Run({Mounted(), "-x"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err == "mounted.ocfsx: unknown option -x (see -h)\n");
  CHECK(testutil::Run({Mounted(), "-V"}).out == "mounted.ocfsx 0.1\n");
}

TEST_CASE("mounted: a real scan of /proc/partitions runs cleanly", "[mounted]") {
  // Whatever the host has; only the shape of the result is checked.
  testutil::RunOptions o;
  o.env["OCFSX_SCAN_DEVICES"] = std::nullopt;
  auto r = testutil::Run({Mounted(), "-d"}, o);
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("Device", 0) == 0);
}
