// Volume: the facade the tools share. Opens the device, validates the
// superblock, and finds inodes, system files and directory entries.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ocfsx/alloc.h"
#include "ocfsx/block_io.h"
#include "ocfsx/device.h"
#include "ocfsx/dir.h"
#include "ocfsx/inode.h"
#include "ocfsx/status.h"
#include "ocfsx/superblock.h"

namespace ocfsx {

class Volume {
 public:
  struct Options {
    bool writable = false;
    bool direct = false;
  };
  static Result<std::unique_ptr<Volume>> Open(const std::string& path, const Options& opts);
  static Result<std::unique_ptr<Volume>> Open(const std::string& path) { return Open(path, Options()); }

  Device& device() { return *dev_; }
  MetaIo& io() { return *io_; }
  const MetaIo& io() const { return *io_; }
  Superblock& super() { return sb_; }
  const Superblock& super() const { return sb_; }
  const Geometry& geometry() const { return io_->geometry(); }
  DirContext dir_context() const;

  Result<Inode> ReadInode(uint64_t blkno) const;
  // Inode number of a system file by its system-directory name, e.g.
  // "journal:0003" or "global_bitmap".
  Result<uint64_t> SystemFile(std::string_view name) const;
  Result<uint64_t> SystemFile(unsigned int type, unsigned int slot) const;
  Result<ChainAllocator> LoadAllocator(std::string_view name) const;
  Result<uint64_t> Lookup(uint64_t dir_ino, std::string_view name) const;
  // "/a/b" from the root directory.
  Result<uint64_t> LookupPath(std::string_view path) const;

 private:
  Volume() = default;
  std::unique_ptr<Device> dev_;
  Superblock sb_;
  std::unique_ptr<MetaIo> io_;
};

}  // namespace ocfsx
