// Helpers for the fsck tests: make volumes, populate them with files and
// directories through libocfsx, and run fsck as a tool or in-process.
#pragma once

#include <sys/stat.h>

#include <cstring>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "ocfsx/alloc.h"
#include "ocfsx/check_fsck.h"
#include "ocfsx/dir.h"
#include "ocfsx/endian.h"
#include "ocfsx/inode.h"
#include "ocfsx/volume.h"
#include "testutil_fs.h"

namespace fscktest {

using namespace ocfsx;

inline std::string Mkfs(const std::string& args, const std::string& path) {
  return fstest::Tool("mkfs.ocfsx") + " -q " + args + " " + path;
}

// fsck.ocfsx as a process: "-fn", "-fy", ...
inline fstest::RunResult Fsck(const std::string& args, const std::string& path) {
  return fstest::Run(fstest::Tool("fsck.ocfsx") + " " + args + " " + path + " </dev/null");
}

struct InProc {
  check::Report report;
  std::string out;
};

// The checker in-process (much faster than a process under ASan).
inline InProc FsckInProc(const std::string& path, check::Mode mode, bool force = true) {
  check::Options o;
  o.mode = mode;
  o.force = force;
  std::ostringstream out, err;
  InProc r;
  r.report = check::CheckVolume(path, o, out, err);
  r.out = out.str() + err.str();  // operational errors go to stderr
  return r;
}

// A freshly made volume in a sparse temporary file.
struct Image {
  fstest::TempImage img;
  explicit Image(unsigned long long bytes, const std::string& mkfs_args = "-N 2") : img(bytes) {
    auto r = fstest::Run(Mkfs(mkfs_args, img.path()));
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
  }
  const std::string& path() const { return img.path(); }
};

// A writable volume with slot 0's allocators loaded, for creating files the
// way a mounted node would: inodes from inode_alloc:0000, extent and index
// blocks from meta_alloc:0000, data clusters from the global bitmap.
class Editor {
 public:
  explicit Editor(const std::string& path) {
    Volume::Options o;
    o.writable = true;
    auto v = Volume::Open(path, o);
    REQUIRE(v.ok());
    vol_ = std::move(v).value();
    auto gb = vol_->LoadAllocator("global_bitmap");
    auto ia = vol_->LoadAllocator("inode_alloc:0000");
    auto ma = vol_->LoadAllocator("meta_alloc:0000");
    REQUIRE(gb.ok());
    REQUIRE(ia.ok());
    REQUIRE(ma.ok());
    gb_.emplace(std::move(gb).value());
    ia_.emplace(std::move(ia).value());
    ma_.emplace(std::move(ma).value());
    inodes_ = std::make_unique<OfflineSpace>(vol_->io(), &*gb_, &*ia_, 0);
    data_ = std::make_unique<OfflineSpace>(vol_->io(), &*gb_, &*ma_, 0);
  }
  ~Editor() { Flush(); }

  Volume& vol() { return *vol_; }
  MetaIo& io() { return vol_->io(); }
  uint64_t root() const { return Le64(vol_->super().raw().s_root_blkno); }
  uint32_t bs() const { return vol_->super().block_size(); }
  uint32_t cs() const { return vol_->geometry().cluster_size(); }
  ChainAllocator& global() { return *gb_; }

  // A regular file of `clusters` clusters under dir, filled with `fill`.
  uint64_t CreateFile(uint64_t dir, const std::string& name, uint32_t clusters, uint8_t fill = 0x5a) {
    auto blk = inodes_->AllocMetaBlock();
    REQUIRE(blk.ok());
    Inode in = Inode::New(io(), blk->blkno, blk->origin, S_IFREG | 0644, OCFSX_BODY_EXTENTS);
    std::vector<uint8_t> data(cs(), fill);
    for (uint32_t left = clusters; left > 0;) {
      auto run = data_->AllocClusters(left);
      REQUIRE(run.ok());
      for (uint32_t i = 0; i < run->count; i++)
        REQUIRE(vol_->device().WriteAt((run->start + i) * cs(), data.data(), data.size()).ok());
      REQUIRE(AppendExtent(io(), in, run->start, run->count, *data_).ok());
      left -= run->count;
    }
    in.raw().i_size = Le64(uint64_t{clusters} * cs());
    REQUIRE(in.Write(io()).ok());
    Link(dir, name, in.blkno(), OCFSX_FT_REG);
    return in.blkno();
  }

  uint64_t CreateDir(uint64_t parent, const std::string& name) {
    auto blk = inodes_->AllocMetaBlock();
    REQUIRE(blk.ok());
    Inode in = Inode::New(io(), blk->blkno, blk->origin, S_IFDIR | 0755, OCFSX_BODY_INLINE);
    REQUIRE(InitDir(vol_->dir_context(), in, parent, *data_).ok());
    in.raw().i_links = Le32(2);
    REQUIRE(in.Write(io()).ok());
    Link(parent, name, in.blkno(), OCFSX_FT_DIR);
    auto p = vol_->ReadInode(parent);
    REQUIRE(p.ok());
    p->raw().i_links = Le32(Le32(p->raw().i_links) + 1);
    REQUIRE(p->Write(io()).ok());
    return in.blkno();
  }

  void Link(uint64_t dir, const std::string& name, uint64_t ino, uint8_t ft) {
    auto d = vol_->ReadInode(dir);
    REQUIRE(d.ok());
    REQUIRE(AddDirEntry(vol_->dir_context(), *d, name, ino, ft, *data_).ok());
  }

  Inode Read(uint64_t ino) {
    auto in = vol_->ReadInode(ino);
    REQUIRE(in.ok());
    return std::move(in).value();
  }
  void Write(Inode& in) { REQUIRE(in.Write(io()).ok()); }

  // Raw block access for corruptions that must bypass checksums.
  std::vector<uint8_t> ReadRaw(uint64_t blkno) {
    std::vector<uint8_t> b(bs());
    REQUIRE(vol_->device().ReadBlocks(blkno, bs(), b.data()).ok());
    return b;
  }
  void WriteRaw(uint64_t blkno, const std::vector<uint8_t>& b) { REQUIRE(vol_->device().WriteBlocks(blkno, bs(), b.data()).ok()); }

  // Writes the allocators back; the destructor does it too (CHECK, not
  // REQUIRE: it may run while unwinding).
  void Flush() {
    if (!ma_ || flushed_) return;
    flushed_ = true;
    CHECK(data_->Flush().ok());
    CHECK(inodes_->Flush().ok());
  }

 private:
  std::unique_ptr<Volume> vol_;
  std::optional<ChainAllocator> gb_, ia_, ma_;
  std::unique_ptr<OfflineSpace> inodes_, data_;
  bool flushed_ = false;
};

// corrupt -> fsck -fn reports `expect` (exit 4) -> fsck -fy repairs (exit 1)
// -> fsck -fn is clean (exit 0). Returns the -fy output.
inline std::string ExpectRepaired(const std::string& path, const std::string& expect) {
  auto n = Fsck("-fn", path);
  INFO("fsck -fn:\n" << n.output);
  CHECK(n.exit_code == 4);
  CHECK_THAT(n.output, Catch::Contains(expect));
  auto y = Fsck("-fy", path);
  INFO("fsck -fy:\n" << y.output);
  CHECK(y.exit_code == 1);
  auto again = Fsck("-fn", path);
  INFO("fsck -fn after repair:\n" << again.output);
  CHECK(again.exit_code == 0);
  return y.output;
}

}  // namespace fscktest
