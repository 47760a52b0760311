// Allocators (format §8): chain allocators (the global cluster bitmap and the
// block suballocators) held in memory with their group descriptors, and an
// offline SpaceSource built on them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ocfsx/block_io.h"
#include "ocfsx/inode.h"
#include "ocfsx/status.h"
#include "ocfsx_fs.h"

namespace ocfsx {

// One allocator inode with body format "chains" and all of its groups.
// Changes stay in memory until Flush(); all three levels of free counts
// (group, chain entry, chain table) are kept in step on every change.
class ChainAllocator {
 public:
  struct Group {
    uint64_t blkno = 0;
    AlignedBuffer buf;
    bool dirty = false;
    ocfsx_group_desc* gd() { return reinterpret_cast<ocfsx_group_desc*>(buf.data()); }
    const ocfsx_group_desc* gd() const { return reinterpret_cast<const ocfsx_group_desc*>(buf.data()); }
    uint8_t* bitmap();
    const uint8_t* bitmap() const;
    uint32_t bits() const;
    uint32_t free() const;
  };

  // Reads the allocator inode and every group on every chain, checking each
  // descriptor's header, owner and chain index.
  static Result<ChainAllocator> Load(const MetaIo& io, uint64_t inode_blkno);
  // Wraps an in-memory allocator inode (body CHAINS) with an empty table.
  static ChainAllocator Create(const MetaIo& io, Inode inode, uint32_t cpg, uint16_t bpc);

  Inode& inode() { return inode_; }
  const Inode& inode() const { return inode_; }
  ocfsx_chain_table* table();
  const ocfsx_chain_table* table() const;
  ocfsx_chain_entry* chain(uint32_t c);
  const ocfsx_chain_entry* chain(uint32_t c) const;
  uint32_t chain_capacity() const;
  uint32_t chains_used() const;
  uint64_t total_bits() const;
  uint64_t free_bits() const;
  uint16_t bpc() const;
  bool is_global_bitmap() const;
  size_t group_count() const { return groups_.size(); }
  Group& group(size_t i) { return groups_[i]; }
  const Group& group(size_t i) const { return groups_[i]; }

  // Appends a contiguous group (descriptor at desc_blkno covering `clusters`
  // clusters from first_cluster) at the end of chain `chain`, opening the
  // chain if it is the next unused one. Suballocator groups mark the
  // descriptor's own block in use; global groups leave marking to the caller.
  Result<size_t> AddGroup(uint64_t desc_blkno, uint64_t first_cluster, uint32_t clusters, uint32_t chain,
                          uint16_t alloc_slot);

  bool Test(size_t gi, uint32_t bit) const;
  // Fail with Corrupt if any bit is already in the target state.
  Status SetBits(size_t gi, uint32_t bit, uint32_t count);
  Status ClearBits(size_t gi, uint32_t bit, uint32_t count);
  // Finds and sets a run of min..max clear bits inside one group (longest
  // available up to max, first fit). Returns group index, bit, length.
  struct Run {
    size_t group;
    uint32_t bit;
    uint32_t count;
  };
  Result<Run> AllocRun(uint32_t min, uint32_t max);

  // Block number of bit `bit` of a suballocator group (through its runs if
  // discontiguous).
  uint64_t BitToBlkno(size_t gi, uint32_t bit) const;
  // Suballocators: one block, with the origin to put in its header.
  Result<AllocatedBlock> AllocBlock(uint16_t slot);

  // Global bitmap: cluster-level access (group = cluster / cpg).
  Result<size_t> GroupOfCluster(uint64_t cluster) const;
  Status SetClusters(uint64_t cluster, uint64_t count);
  Status ClearClusters(uint64_t cluster, uint64_t count);
  Result<bool> TestCluster(uint64_t cluster) const;

  // Recomputes every count from the bitmaps and reports the first
  // disagreement (what fsck checks, format §18.4).
  Status CheckCounts() const;
  // Writes dirty groups (with gd_contig_free recomputed) and the inode.
  Status Flush(MetaIo& io);

 private:
  void AdjustFree(size_t gi, int64_t delta);

  Inode inode_;
  std::vector<Group> groups_;
  std::map<uint64_t, size_t> by_first_cluster_;
  uint32_t bs_ = 0;
  uint32_t cs_ = 0;
  uint32_t fs_generation_ = 0;
};

// A SpaceSource for offline tools: clusters from the global bitmap, metadata
// blocks from one suballocator, which grows by a group from the global
// bitmap when it is full. Both stay in memory until Flush().
class OfflineSpace : public SpaceSource {
 public:
  OfflineSpace(MetaIo& io, ChainAllocator* global, ChainAllocator* meta, uint16_t meta_slot)
      : io_(io), global_(global), meta_(meta), meta_slot_(meta_slot) {}
  Result<ClusterRun> AllocClusters(uint32_t want) override;
  Result<AllocatedBlock> AllocMetaBlock() override;
  Status Flush();

 private:
  MetaIo& io_;
  ChainAllocator* global_;
  ChainAllocator* meta_;
  uint16_t meta_slot_;
};

// Read-only views of the two other allocator bodies.
struct LocalAllocInfo {
  uint64_t window_start = 0;
  uint32_t window_bits = 0;
  uint32_t used = 0;
  uint32_t capacity = 0;  // bits the body can hold
  std::vector<uint8_t> bitmap;
};
Result<LocalAllocInfo> ReadLocalAlloc(const Inode& inode);

struct DeallocLogInfo {
  uint32_t capacity = 0;
  std::vector<ocfsx_dealloc_rec> records;  // host byte order
};
Result<DeallocLogInfo> ReadDeallocLog(const Inode& inode);

}  // namespace ocfsx
