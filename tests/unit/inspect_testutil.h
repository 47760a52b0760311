// Helpers for the debugfs.ocfsx and mounted.ocfsx tests: images made by the
// built mkfs, slot-map and heartbeat edits through libocfsx, a background
// heartbeat writer, and running a tool with a command script on stdin.
#pragma once

#include <cstring>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "ocfsx/block_io.h"
#include "ocfsx/endian.h"
#include "ocfsx/volume.h"
#include "testutil.h"
#include "testutil_fs.h"

namespace inspect_test {

// A sparse image formatted by the built mkfs.ocfsx.
struct Image {
  fstest::TempImage img;
  Image(unsigned long long bytes, const std::string& mkfs_args) : img(bytes) {
    auto r = fstest::Run(fstest::Tool("mkfs.ocfsx") + " -q " + mkfs_args + " " + img.path());
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
  const std::string& path() const { return img.path(); }
};

inline std::unique_ptr<ocfsx::Volume> OpenRw(const std::string& path) {
  ocfsx::Volume::Options o;
  o.writable = true;
  auto v = ocfsx::Volume::Open(path, o);
  INFO(v.status().message());
  REQUIRE(v.ok());
  return std::move(v).value();
}

// Sets slot `slot` of the slot map to `node` (OCFSX_NODE_NONE frees it).
inline void SetSlot(const std::string& path, uint32_t slot, uint32_t node, uint64_t mount_time = 0) {
  auto v = OpenRw(path);
  const uint32_t bs = v->io().block_size();
  const uint32_t per = OCFSX_SLOTS_PER_BLOCK(bs);
  auto ino = v->SystemFile("slot_map");
  REQUIRE(ino.ok());
  auto in = v->ReadInode(*ino);
  REQUIRE(in.ok());
  auto phys = ocfsx::MapBlock(v->io(), *in, slot / per);
  REQUIRE(phys.ok());
  REQUIRE(*phys != 0);
  ocfsx::AlignedBuffer buf(bs);
  REQUIRE(v->io().Read(*phys, OCFSX_BT_SLOT_MAP, buf.data()).ok());
  auto* e = reinterpret_cast<ocfsx_slot_entry*>(buf.data() + OCFSX_SLOT_MAP_ENTRIES_OFFSET) + slot % per;
  e->se_node = ocfsx::Le32(node);
  e->se_mount_time = ocfsx::Le64(mount_time);
  REQUIRE(v->io().Write(*phys, OCFSX_BT_SLOT_MAP, buf.data()).ok());
}

// Runs `tool args... < script` through the shell.
inline testutil::ProcResult RunScript(const std::string& tool, const std::string& args, const std::string& script,
                                      const testutil::RunOptions& opts = {}) {
  testutil::TempDir d;
  testutil::WriteFile(d / "script", script);
  return testutil::Run({"/bin/sh", "-c", "exec " + tool + " " + args + " < " + d / "script"}, opts);
}

inline int Lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace inspect_test
