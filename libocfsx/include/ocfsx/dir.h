// Directories (format §9): inline and block dirent regions, the hash index
// (dx B+tree with the dirent-block free-space list), iteration, lookup and
// entry insertion for offline tools.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ocfsx/block_io.h"
#include "ocfsx/inode.h"
#include "ocfsx/status.h"

namespace ocfsx {

// What directory code needs to know about the volume.
struct DirContext {
  MetaIo* io = nullptr;
  uint64_t k0 = 0, k1 = 0;   // s_dx_key as two little-endian words
  bool indexed = true;       // INDEXED_DIRS: index a directory beyond one block
  bool inline_data = true;   // INLINE_DATA: new directories start inline

  static void KeyFromBytes(const uint8_t key[16], uint64_t* k0, uint64_t* k1);
};

uint64_t DirHash(const DirContext& ctx, std::string_view name);

struct DirEntry {
  uint64_t ino = 0;
  uint8_t file_type = 0;
  uint32_t hash = 0;    // de_hash as stored
  std::string name;
  uint64_t blkno = 0;   // dirent block, 0 when inline
  uint32_t offset = 0;  // byte offset within the block (or inline body)
};

// Makes dir an empty directory holding "." and ".." (inline when the
// volume allows it, else one dirent block from space). Writes the inode.
Status InitDir(const DirContext& ctx, Inode& dir, uint64_t parent_ino, SpaceSource& space);

// Calls fn for every live entry, in readdir order (logical block order).
Status IterateDir(const DirContext& ctx, const Inode& dir, const std::function<Status(const DirEntry&)>& fn);

// Finds name, through the hash index when the directory has one.
// A missing name is Status NotFound.
Result<DirEntry> LookupDir(const DirContext& ctx, const Inode& dir, std::string_view name);

// Adds name -> ino. Converts an inline directory to blocks when it runs out
// of room, and indexes a block directory once it outgrows one block. Writes
// every block it changes and the directory inode. An existing name is
// Status AlreadyExists-like (EEXIST).
Status AddDirEntry(const DirContext& ctx, Inode& dir, std::string_view name, uint64_t ino, uint8_t file_type,
                   SpaceSource& space);

// Every (hash, dirent block) pair in the index leaves, in leaf order; for
// checkers. Empty for unindexed directories.
Status WalkDxLeaves(const DirContext& ctx, const Inode& dir,
                    const std::function<Status(uint64_t hash, uint64_t dirent_blkno)>& fn);

}  // namespace ocfsx
