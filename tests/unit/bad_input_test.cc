// Bad input to every format tool: missing paths, empty files, directories,
// garbage, wrong sizes and read-only devices must each end in one error line
// naming the input and a non-zero exit, never a crash or a sanitizer report.
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "testutil.h"
#include "testutil_fs.h"

namespace {

struct Tool {
  const char* name;
  std::vector<std::string> args;  // before the device
  int exit_code;                  // on an unusable device
};

// The write paths of mkfs and fsck, and the read-only inspectors.
const Tool kTools[] = {
    {"mkfs.ocfsx", {"-q"}, 1},
    {"fsck.ocfsx", {"-fy"}, 8},
    {"fsck.ocfsx", {"-fn"}, 8},
    {"debugfs.ocfsx", {"-R", "stats"}, 1},
    {"mounted.ocfsx", {"-f"}, 1},
};

testutil::ProcResult RunTool(const Tool& t, const std::string& dev, const std::string& after = "") {
  std::vector<std::string> argv = {fstest::Tool(t.name)};
  argv.insert(argv.end(), t.args.begin(), t.args.end());
  argv.push_back(dev);
  if (!after.empty()) argv.push_back(after);
  testutil::RunOptions o;
  o.env["OCFSX_HB_INTERVAL_MS"] = "100";
  return testutil::Run(argv, o);
}

std::string Describe(const Tool& t, const std::string& dev, const testutil::ProcResult& r) {
  std::string cmd = t.name;
  for (const auto& a : t.args) cmd += " " + a;
  return cmd + " " + dev + "\nexit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

bool Crashed(const testutil::ProcResult& r) {
  return r.exit_code >= 128 || r.err.find("Sanitizer") != std::string::npos ||
         r.err.find("runtime error") != std::string::npos;
}

// Exactly one line on stderr, "TOOL: ...DEV...: ... <expect>", the tool's
// error exit (or `exit_code`), and nothing on stdout but mounted's header.
void ExpectOneLineError(const Tool& t, const std::string& dev, const std::string& expect, int exit_code = -1,
                        const std::string& after = "") {
  auto r = RunTool(t, dev, after);
  INFO(Describe(t, dev, r));
  CHECK_FALSE(Crashed(r));
  CHECK(r.exit_code == (exit_code >= 0 ? exit_code : t.exit_code));
  CHECK(Lines(r.err) == 1);
  CHECK(r.err.rfind(std::string(t.name) + ": ", 0) == 0);
  CHECK(r.err.find(dev) != std::string::npos);
  CHECK(r.err.find(expect) != std::string::npos);
  if (std::string(t.name) == "mounted.ocfsx")
    CHECK(r.out == "Device  Stack  Cluster  F  Nodes\n");
  else
    CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("bad devices: every tool fails with one line", "[cli][badinput]") {
  testutil::TempDir dir;
  fstest::TempImage empty(0);
  fstest::TempImage garbage(64ULL << 20);
  REQUIRE(fstest::WriteGarbage(garbage.path(), 1 << 20, 11));

  struct Case {
    const char* what;
    std::string dev;
    std::string expect;  // in the error line
  };
  const Case cases[] = {
      {"missing", "/nonexistent/ocfsx-bad.img", "No such file or directory"},
      {"directory", dir.path(), "is a directory"},
      {"zero-length file", empty.path(), "too small"},
  };
  for (const Tool& t : kTools)
    for (const Case& c : cases) {
      INFO(c.what);
      ExpectOneLineError(t, c.dev, c.expect);
    }
  // Random bytes: mkfs formats them (nothing there to protect), the others
  // find no volume.
  for (const Tool& t : kTools) {
    if (std::string(t.name) == "mkfs.ocfsx") continue;
    ExpectOneLineError(t, garbage.path(), "no ocfsx superblock");
  }
}

TEST_CASE("bad devices: a volume larger than its device", "[cli][badinput]") {
  fstest::TempImage img(64ULL << 20);
  REQUIRE(fstest::Run(fstest::Tool("mkfs.ocfsx") + " -q -N 2 " + img.path()).exit_code == 0);
  REQUIRE(::truncate(img.path().c_str(), 32LL << 20) == 0);  // the tail of the image is lost
  for (const Tool& t : kTools) {
    if (std::string(t.name) == "mkfs.ocfsx") continue;
    // fsck: an ocfsx volume it cannot repair is "errors left uncorrected".
    ExpectOneLineError(t, img.path(), "is larger than the device", std::string(t.name) == "fsck.ocfsx" ? 4 : -1);
  }
  // mkfs: a block count past the end, and a device below the minimum.
  const Tool& mkfs = kTools[0];
  ExpectOneLineError(mkfs, img.path(), "do not fit the device", -1, "99999999");
  fstest::TempImage tiny(1ULL << 20);
  ExpectOneLineError(mkfs, tiny.path(), "too small");
}

TEST_CASE("bad devices: a read-only device", "[cli][badinput]") {
  fstest::TempImage img(64ULL << 20);
  REQUIRE(fstest::Run(fstest::Tool("mkfs.ocfsx") + " -q -N 2 " + img.path()).exit_code == 0);
  if (fstest::Run("chattr +i " + img.path()).exit_code != 0) {
    WARN("chattr +i unsupported here; skipped");
    return;
  }
  std::vector<testutil::ProcResult> results;
  for (const Tool& t : kTools) results.push_back(RunTool(t, img.path()));
  fstest::Run("chattr -i " + img.path());
  for (size_t i = 0; i < results.size(); i++) {
    const Tool& t = kTools[i];
    const auto& r = results[i];
    INFO(Describe(t, img.path(), r));
    CHECK_FALSE(Crashed(r));
    bool writes = std::string(t.name) == "mkfs.ocfsx" || t.args[0] == "-fy";
    if (writes) {
      // One line, naming the device and what is wrong.
      CHECK(r.exit_code == t.exit_code);
      CHECK(Lines(r.err) == 1);
      CHECK(r.err.find(img.path() + ": cannot open read-write") != std::string::npos);
    } else {
      // Read-only tools work on a read-only device.
      CHECK(r.exit_code == 0);
      CHECK(r.err.empty());
    }
  }
}

TEST_CASE("bad devices: garbage behind a valid superblock never crashes a tool", "[cli][badinput]") {
  fstest::TempImage img(64ULL << 20);
  REQUIRE(fstest::Run(fstest::Tool("mkfs.ocfsx") + " -q -N 2 " + img.path()).exit_code == 0);
  // Everything from the block after the superblock to 8 MiB: allocators,
  // system directory, inodes, heartbeat area.
  REQUIRE(fstest::WriteGarbage(img.path(), (8 << 20) - 69632, 5, 69632));
  for (const Tool& t : kTools) {
    if (std::string(t.name) == "mkfs.ocfsx") continue;
    auto r = RunTool(t, img.path());
    INFO(Describe(t, img.path(), r));
    CHECK_FALSE(Crashed(r));
    if (std::string(t.name) == "fsck.ocfsx") CHECK(r.exit_code != 0);
  }
  for (const char* cmd : {"ls -l /", "stat <1>", "slotmap", "hb", "logdump 0", "cat /lost+found", "stats"}) {
    auto r = testutil::Run({fstest::Tool("debugfs.ocfsx"), "-R", cmd, img.path()});
    INFO(cmd << "\nexit " << r.exit_code << "\nstderr: " << r.err);
    CHECK_FALSE(Crashed(r));
  }
}
