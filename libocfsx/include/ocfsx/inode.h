// Inodes (one checksummed block each) and their extent trees: read, write,
// walk every extent, map logical blocks, and append extents (mkfs, offline
// tools). Also inline data and symlink targets.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ocfsx/block_io.h"
#include "ocfsx/device.h"
#include "ocfsx/status.h"
#include "ocfsx_fs.h"

namespace ocfsx {

struct AllocatedBlock {
  uint64_t blkno = 0;
  AllocOrigin origin;
};

struct ClusterRun {
  uint64_t start = 0;  // first cluster
  uint32_t count = 0;
};

// Where offline writers get space: data clusters and metadata blocks.
class SpaceSource {
 public:
  virtual ~SpaceSource() = default;
  // A contiguous run of 1..want clusters (as many as one run allows).
  virtual Result<ClusterRun> AllocClusters(uint32_t want) = 0;
  // One metadata block (extent, dx); the caller initialises its header.
  virtual Result<AllocatedBlock> AllocMetaBlock() = 0;
};

class Inode {
 public:
  Inode() = default;
  static Result<Inode> Read(const MetaIo& io, uint64_t blkno);
  // A valid, empty inode in memory: owner = itself, times = now, links 1.
  // Extents bodies get an empty extent root sized to the body.
  static Inode New(const MetaIo& io, uint64_t blkno, const AllocOrigin& origin, uint16_t mode, uint8_t body_format,
                   uint16_t xattr_inline_size = 0);
  Status Write(MetaIo& io);

  uint64_t blkno() const { return blkno_; }
  ocfsx_inode& raw() { return *reinterpret_cast<ocfsx_inode*>(buf_.data()); }
  const ocfsx_inode& raw() const { return *reinterpret_cast<const ocfsx_inode*>(buf_.data()); }
  uint8_t* body() { return buf_.data() + OCFSX_INODE_BODY_OFFSET; }
  const uint8_t* body() const { return buf_.data() + OCFSX_INODE_BODY_OFFSET; }
  uint32_t body_size() const;
  uint32_t block_size() const { return static_cast<uint32_t>(buf_.size()); }

  uint16_t mode() const;
  uint8_t body_format() const { return raw().i_body_format; }
  uint64_t size() const;
  bool is_dir() const;
  bool is_symlink() const;

  ocfsx_extent_hdr* extent_root() { return reinterpret_cast<ocfsx_extent_hdr*>(body()); }
  const ocfsx_extent_hdr* extent_root() const { return reinterpret_cast<const ocfsx_extent_hdr*>(body()); }
  ocfsx_extent* extent_recs() { return reinterpret_cast<ocfsx_extent*>(body() + sizeof(ocfsx_extent_hdr)); }
  const ocfsx_extent* extent_recs() const {
    return reinterpret_cast<const ocfsx_extent*>(body() + sizeof(ocfsx_extent_hdr));
  }
  // Switches the body to an empty extent root (discarding inline data).
  void InitExtentRoot();

 private:
  AlignedBuffer buf_;
  uint64_t blkno_ = 0;
};

// Visits every leaf extent of an extents-format inode in logical order;
// on_block (optional) sees each extent block reached. Checks owner, depth
// and ordering, and stops at the first error a callback returns.
Status ForEachExtent(const MetaIo& io, const Inode& inode, const std::function<Status(const ocfsx_extent&)>& on_leaf,
                     const std::function<Status(uint64_t blkno, const ocfsx_extent_block&)>& on_block = {});
// All leaf extents, in host byte order.
Result<std::vector<ocfsx_extent>> CollectExtents(const MetaIo& io, const Inode& inode);
// Physical block of logical block lblock, or 0 for a hole.
uint64_t MapBlockInExtents(const std::vector<ocfsx_extent>& extents, const Geometry& geo, uint64_t lblock);
Result<uint64_t> MapBlock(const MetaIo& io, const Inode& inode, uint64_t lblock);

// Appends clusters [pcluster, pcluster + clusters) at the inode's logical end
// (merging with the last extent when contiguous), growing the tree by an
// extent block from meta when the root is full. Updates i_clusters and
// i_last_leaf; the caller writes the inode.
Status AppendExtent(MetaIo& io, Inode& inode, uint64_t pcluster, uint32_t clusters, SpaceSource& meta,
                    uint16_t flags = 0);

// Inline body bytes (i_size of them) of an inline-format inode.
Result<std::string> ReadInlineData(const Inode& inode);
// A symlink's target, inline or from its first data block.
Result<std::string> ReadSymlink(const MetaIo& io, const Inode& inode);

}  // namespace ocfsx
