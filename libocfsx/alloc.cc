// Chain allocators: loading, bit operations with three-level free counts,
// run allocation, consistency checks and write-back.
#include "ocfsx/alloc.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "ocfsx/bitmap.h"
#include "ocfsx/endian.h"
#include "ocfsx/status.h"

namespace ocfsx {
namespace {

std::string GroupWhere(uint64_t blkno) { return "block " + std::to_string(blkno) + " (group descriptor)"; }

}  // namespace

uint8_t* ChainAllocator::Group::bitmap() { return buf.data() + Le16(gd()->gd_bitmap_offset); }
const uint8_t* ChainAllocator::Group::bitmap() const { return buf.data() + Le16(gd()->gd_bitmap_offset); }
uint32_t ChainAllocator::Group::bits() const { return Le32(gd()->gd_bits); }
uint32_t ChainAllocator::Group::free() const { return Le32(gd()->gd_free); }

ocfsx_chain_table* ChainAllocator::table() { return reinterpret_cast<ocfsx_chain_table*>(inode_.body()); }
const ocfsx_chain_table* ChainAllocator::table() const {
  return reinterpret_cast<const ocfsx_chain_table*>(inode_.body());
}
ocfsx_chain_entry* ChainAllocator::chain(uint32_t c) {
  return reinterpret_cast<ocfsx_chain_entry*>(inode_.body() + sizeof(ocfsx_chain_table)) + c;
}
const ocfsx_chain_entry* ChainAllocator::chain(uint32_t c) const {
  return reinterpret_cast<const ocfsx_chain_entry*>(inode_.body() + sizeof(ocfsx_chain_table)) + c;
}
uint32_t ChainAllocator::chain_capacity() const { return Le16(table()->ct_capacity); }
uint32_t ChainAllocator::chains_used() const { return Le16(table()->ct_used); }
uint64_t ChainAllocator::total_bits() const { return Le64(table()->ct_total_bits); }
uint64_t ChainAllocator::free_bits() const { return Le64(table()->ct_free_bits); }
uint16_t ChainAllocator::bpc() const { return Le16(table()->ct_bpc); }
bool ChainAllocator::is_global_bitmap() const { return Le16(inode_.raw().i_sys_type) == OCFSX_SYS_GLOBAL_BITMAP; }

Result<ChainAllocator> ChainAllocator::Load(const MetaIo& io, uint64_t inode_blkno) {
  ChainAllocator a;
  auto in = Inode::Read(io, inode_blkno);
  if (!in.ok()) return in.status();
  a.inode_ = std::move(in).value();
  a.bs_ = io.block_size();
  a.cs_ = io.geometry().cluster_size();
  a.fs_generation_ = io.fs_generation();
  const std::string where = "inode " + std::to_string(inode_blkno);
  if (a.inode_.body_format() != OCFSX_BODY_CHAINS)
    return Status::Corrupt(where + ": not an allocator (body format " + std::to_string(a.inode_.body_format()) + ")");
  uint32_t cap_max = ocfsx_chain_entries(a.bs_, Le16(a.inode_.raw().i_xattr_inline_size));
  if (a.chain_capacity() > cap_max || a.chains_used() > a.chain_capacity())
    return Status::Corrupt(where + ": chain table uses " + std::to_string(a.chains_used()) + " of " +
                           std::to_string(a.chain_capacity()) + " entries (at most " + std::to_string(cap_max) + " fit)");
  if (a.bpc() == 0 || a.bpc() > io.geometry().blocks_per_cluster())
    return Status::Corrupt(where + ": bits per cluster " + std::to_string(a.bpc()) + " is invalid");
  std::set<uint64_t> seen;
  for (uint32_t c = 0; c < a.chains_used(); c++) {
    for (uint64_t b = Le64(a.chain(c)->ce_first_group); b != 0;) {
      if (!seen.insert(b).second) return Status::Corrupt(where + ": chain " + std::to_string(c) + " loops at block " + std::to_string(b));
      Group g;
      g.blkno = b;
      g.buf = AlignedBuffer(a.bs_);
      OCFSX_RETURN_IF_ERROR(io.Read(b, OCFSX_BT_GROUP, g.buf.data()));
      if (Le64(g.gd()->gd_hdr.bh_owner) != inode_blkno)
        return Status::Corrupt(GroupWhere(b) + ": owner " + std::to_string(Le64(g.gd()->gd_hdr.bh_owner)) + " is not " + where);
      if (Le16(g.gd()->gd_chain) != c)
        return Status::Corrupt(GroupWhere(b) + ": on chain " + std::to_string(c) + " but says chain " +
                               std::to_string(Le16(g.gd()->gd_chain)));
      uint32_t off = Le16(g.gd()->gd_bitmap_offset);
      uint32_t runs_end = OCFSX_GROUP_RUNS_OFFSET + Le16(g.gd()->gd_nr_runs) * sizeof(ocfsx_group_run);
      if (off < runs_end || off % 8 || off >= a.bs_ || g.bits() > (a.bs_ - off) * 8ULL || g.free() > g.bits())
        return Status::Corrupt(GroupWhere(b) + ": bitmap of " + std::to_string(g.bits()) + " bits at offset " +
                               std::to_string(off) + " does not fit");
      b = Le64(g.gd()->gd_next);
      a.by_first_cluster_[Le64(g.gd()->gd_first_cluster)] = a.groups_.size();
      a.groups_.push_back(std::move(g));
    }
  }
  return a;
}

ChainAllocator ChainAllocator::Create(const MetaIo& io, Inode inode, uint32_t cpg, uint16_t bpc) {
  ChainAllocator a;
  a.inode_ = std::move(inode);
  a.bs_ = io.block_size();
  a.cs_ = io.geometry().cluster_size();
  a.fs_generation_ = io.fs_generation();
  a.inode_.raw().i_body_format = OCFSX_BODY_CHAINS;
  std::memset(a.inode_.body(), 0, a.inode_.body_size());
  ocfsx_chain_table* t = a.table();
  t->ct_cpg = Le32(cpg);
  t->ct_bpc = Le16(bpc);
  t->ct_capacity = Le16(static_cast<uint16_t>(ocfsx_chain_entries(a.bs_, Le16(a.inode_.raw().i_xattr_inline_size))));
  return a;
}

Result<size_t> ChainAllocator::AddGroup(uint64_t desc_blkno, uint64_t first_cluster, uint32_t clusters, uint32_t c,
                                        uint16_t alloc_slot) {
  (void)alloc_slot;
  uint64_t bits64 = uint64_t{clusters} * bpc();
  if (bits64 == 0 || bits64 > ocfsx_group_bitmap_bytes(bs_) * 8ULL)
    return Status::Invalid("group of " + std::to_string(bits64) + " bits does not fit one descriptor");
  if (c > chains_used() || c >= chain_capacity())
    return Status::Invalid("chain " + std::to_string(c) + " cannot be used (" + std::to_string(chains_used()) + " of " +
                           std::to_string(chain_capacity()) + " in use)");
  auto bits = static_cast<uint32_t>(bits64);
  Group g;
  g.blkno = desc_blkno;
  g.buf = AlignedBuffer(bs_);
  InitBlockHeader(g.buf.data(), OCFSX_BT_GROUP, bs_, desc_blkno, inode_.blkno(), fs_generation_);
  ocfsx_group_desc* gd = g.gd();
  gd->gd_first_cluster = Le64(first_cluster);
  gd->gd_bits = Le32(bits);
  gd->gd_free = Le32(bits);
  gd->gd_contig_free = Le32(bits);
  gd->gd_chain = Le16(static_cast<uint16_t>(c));
  gd->gd_bitmap_offset = Le16(OCFSX_GROUP_BITMAP_OFFSET);
  g.dirty = true;

  if (c == chains_used()) {
    table()->ct_used = Le16(static_cast<uint16_t>(c + 1));
    chain(c)->ce_first_group = Le64(desc_blkno);
  } else {
    // Append after the chain's current tail.
    for (auto& other : groups_) {
      if (Le16(other.gd()->gd_chain) == c && other.gd()->gd_next == 0) {
        other.gd()->gd_next = Le64(desc_blkno);
        other.dirty = true;
        break;
      }
    }
  }
  chain(c)->ce_total = Le64(Le64(chain(c)->ce_total) + bits);
  chain(c)->ce_free = Le64(Le64(chain(c)->ce_free) + bits);
  table()->ct_total_bits = Le64(total_bits() + bits);
  table()->ct_free_bits = Le64(free_bits() + bits);
  inode_.raw().i_clusters = Le64(Le64(inode_.raw().i_clusters) + clusters);
  inode_.raw().i_size = Le64(Le64(inode_.raw().i_clusters) * cs_);
  size_t gi = groups_.size();
  by_first_cluster_[first_cluster] = gi;
  groups_.push_back(std::move(g));
  if (!is_global_bitmap()) {
    uint64_t bit = desc_blkno - first_cluster * bpc();
    if (desc_blkno < first_cluster * bpc() || bit >= bits)
      return Status::Invalid("descriptor block " + std::to_string(desc_blkno) + " is outside its group");
    OCFSX_RETURN_IF_ERROR(SetBits(gi, static_cast<uint32_t>(bit), 1));
  }
  return gi;
}

void ChainAllocator::AdjustFree(size_t gi, int64_t delta) {
  Group& g = groups_[gi];
  g.gd()->gd_free = Le32(static_cast<uint32_t>(static_cast<int64_t>(g.free()) + delta));
  ocfsx_chain_entry* ce = chain(Le16(g.gd()->gd_chain));
  ce->ce_free = Le64(static_cast<uint64_t>(static_cast<int64_t>(Le64(ce->ce_free)) + delta));
  table()->ct_free_bits = Le64(static_cast<uint64_t>(static_cast<int64_t>(free_bits()) + delta));
  g.dirty = true;
}

bool ChainAllocator::Test(size_t gi, uint32_t bit) const { return bitmap::Test(groups_[gi].bitmap(), bit); }

Status ChainAllocator::SetBits(size_t gi, uint32_t bit, uint32_t count) {
  Group& g = groups_[gi];
  if (uint64_t{bit} + count > g.bits())
    return Status::Invalid(GroupWhere(g.blkno) + ": bits " + std::to_string(bit) + "+" + std::to_string(count) + " past its " +
                           std::to_string(g.bits()) + " bits");
  for (uint32_t i = bit; i < bit + count; i++)
    if (bitmap::Test(g.bitmap(), i))
      return Status::Corrupt(GroupWhere(g.blkno) + ": bit " + std::to_string(i) + " is already in use");
  bitmap::SetRange(g.bitmap(), bit, count);
  AdjustFree(gi, -static_cast<int64_t>(count));
  return Status();
}

Status ChainAllocator::ClearBits(size_t gi, uint32_t bit, uint32_t count) {
  Group& g = groups_[gi];
  if (uint64_t{bit} + count > g.bits())
    return Status::Invalid(GroupWhere(g.blkno) + ": bits " + std::to_string(bit) + "+" + std::to_string(count) + " past its " +
                           std::to_string(g.bits()) + " bits");
  for (uint32_t i = bit; i < bit + count; i++)
    if (!bitmap::Test(g.bitmap(), i)) return Status::Corrupt(GroupWhere(g.blkno) + ": bit " + std::to_string(i) + " is already free");
  bitmap::ClearRange(g.bitmap(), bit, count);
  AdjustFree(gi, static_cast<int64_t>(count));
  return Status();
}

Result<ChainAllocator::Run> ChainAllocator::AllocRun(uint32_t min, uint32_t max) {
  if (min == 0 || max < min) return Status::Invalid("bad allocation request");
  for (size_t gi = 0; gi < groups_.size(); gi++) {
    Group& g = groups_[gi];
    if (g.free() < min) continue;
    uint64_t bit = bitmap::FindClearRun(g.bitmap(), g.bits(), 0, min);
    if (bit >= g.bits()) continue;
    auto len = static_cast<uint32_t>(bitmap::ClearRunAt(g.bitmap(), g.bits(), bit, max));
    OCFSX_RETURN_IF_ERROR(SetBits(gi, static_cast<uint32_t>(bit), len));
    return Run{gi, static_cast<uint32_t>(bit), len};
  }
  return ErrnoStatus(ENOSPC, "allocator inode " + std::to_string(inode_.blkno()) + ": no run of " + std::to_string(min) +
                              " free bits");
}

uint64_t ChainAllocator::BitToBlkno(size_t gi, uint32_t bit) const {
  const Group& g = groups_[gi];
  uint32_t nruns = Le16(g.gd()->gd_nr_runs);
  if (nruns == 0) return Le64(g.gd()->gd_first_cluster) * bpc() + bit;
  auto* runs = reinterpret_cast<const ocfsx_group_run*>(g.buf.data() + OCFSX_GROUP_RUNS_OFFSET);
  uint64_t b = bit;
  for (uint32_t r = 0; r < nruns; r++) {
    uint64_t n = uint64_t{Le32(runs[r].gr_clusters)} * bpc();
    if (b < n) return Le64(runs[r].gr_cluster) * bpc() + b;
    b -= n;
  }
  return 0;
}

Result<AllocatedBlock> ChainAllocator::AllocBlock(uint16_t slot) {
  auto run = AllocRun(1, 1);
  if (!run.ok()) return run.status();
  AllocatedBlock b;
  b.blkno = BitToBlkno(run->group, run->bit);
  b.origin.slot = slot;
  b.origin.group = groups_[run->group].blkno;
  b.origin.bit = run->bit;
  return b;
}

Result<size_t> ChainAllocator::GroupOfCluster(uint64_t cluster) const {
  auto it = by_first_cluster_.upper_bound(cluster);
  if (it != by_first_cluster_.begin()) {
    --it;
    const Group& g = groups_[it->second];
    if (cluster < it->first + g.bits()) return it->second;
  }
  return Status::Invalid("cluster " + std::to_string(cluster) + " is in no group of allocator inode " +
                         std::to_string(inode_.blkno()));
}

Status ChainAllocator::SetClusters(uint64_t cluster, uint64_t count) {
  while (count > 0) {
    auto gi = GroupOfCluster(cluster);
    if (!gi.ok()) return gi.status();
    uint64_t bit = cluster - Le64(groups_[*gi].gd()->gd_first_cluster);
    uint64_t n = std::min<uint64_t>(count, groups_[*gi].bits() - bit);
    OCFSX_RETURN_IF_ERROR(SetBits(*gi, static_cast<uint32_t>(bit), static_cast<uint32_t>(n)));
    cluster += n;
    count -= n;
  }
  return Status();
}

Status ChainAllocator::ClearClusters(uint64_t cluster, uint64_t count) {
  while (count > 0) {
    auto gi = GroupOfCluster(cluster);
    if (!gi.ok()) return gi.status();
    uint64_t bit = cluster - Le64(groups_[*gi].gd()->gd_first_cluster);
    uint64_t n = std::min<uint64_t>(count, groups_[*gi].bits() - bit);
    OCFSX_RETURN_IF_ERROR(ClearBits(*gi, static_cast<uint32_t>(bit), static_cast<uint32_t>(n)));
    cluster += n;
    count -= n;
  }
  return Status();
}

Result<bool> ChainAllocator::TestCluster(uint64_t cluster) const {
  auto gi = GroupOfCluster(cluster);
  if (!gi.ok()) return gi.status();
  return Test(*gi, static_cast<uint32_t>(cluster - Le64(groups_[*gi].gd()->gd_first_cluster)));
}

Status ChainAllocator::CheckCounts() const {
  const std::string where = "allocator inode " + std::to_string(inode_.blkno());
  std::vector<uint64_t> cfree(chains_used()), ctotal(chains_used());
  uint64_t tfree = 0, ttotal = 0;
  for (const Group& g : groups_) {
    uint64_t used = bitmap::CountSet(g.bitmap(), g.bits());
    if (g.free() != g.bits() - used)
      return Status::Corrupt(GroupWhere(g.blkno) + ": free count " + std::to_string(g.free()) + ", bitmap has " +
                             std::to_string(g.bits() - used) + " clear bits");
    uint64_t contig = bitmap::LongestClearRun(g.bitmap(), g.bits());
    if (Le32(g.gd()->gd_contig_free) != contig)
      return Status::Corrupt(GroupWhere(g.blkno) + ": contig free " + std::to_string(Le32(g.gd()->gd_contig_free)) +
                             ", longest clear run is " + std::to_string(contig));
    uint32_t c = Le16(g.gd()->gd_chain);
    cfree[c] += g.free();
    ctotal[c] += g.bits();
    tfree += g.free();
    ttotal += g.bits();
  }
  for (uint32_t c = 0; c < chains_used(); c++) {
    if (Le64(chain(c)->ce_free) != cfree[c] || Le64(chain(c)->ce_total) != ctotal[c])
      return Status::Corrupt(where + ": chain " + std::to_string(c) + " says " + std::to_string(Le64(chain(c)->ce_free)) + "/" +
                             std::to_string(Le64(chain(c)->ce_total)) + " free/total, groups sum to " + std::to_string(cfree[c]) +
                             "/" + std::to_string(ctotal[c]));
  }
  if (free_bits() != tfree || total_bits() != ttotal)
    return Status::Corrupt(where + ": chain table says " + std::to_string(free_bits()) + "/" + std::to_string(total_bits()) +
                           " free/total, groups sum to " + std::to_string(tfree) + "/" + std::to_string(ttotal));
  return Status();
}

Status ChainAllocator::Flush(MetaIo& io) {
  for (Group& g : groups_) {
    if (!g.dirty) continue;
    g.gd()->gd_contig_free = Le32(static_cast<uint32_t>(bitmap::LongestClearRun(g.bitmap(), g.bits())));
    OCFSX_RETURN_IF_ERROR(io.Write(g.blkno, OCFSX_BT_GROUP, g.buf.data()));
    g.dirty = false;
  }
  return inode_.Write(io);
}

Result<ClusterRun> OfflineSpace::AllocClusters(uint32_t want) {
  auto run = global_->AllocRun(1, want);
  if (!run.ok()) return run.status();
  return ClusterRun{Le64(global_->group(run->group).gd()->gd_first_cluster) + run->bit, run->count};
}

Result<AllocatedBlock> OfflineSpace::AllocMetaBlock() {
  if (meta_->free_bits() == 0) {
    // Grow the suballocator by one group taken from the global bitmap.
    uint32_t cpg = Le32(meta_->table()->ct_cpg);
    auto run = global_->AllocRun(cpg, cpg);
    if (!run.ok()) return run.status();
    uint64_t first = Le64(global_->group(run->group).gd()->gd_first_cluster) + run->bit;
    // The clusters may hold anything an earlier user left, including blocks
    // that still verify as metadata; readers that scan a group (fsck, the
    // kernel's inode scans) must find its free blocks empty.
    const uint32_t cbits = io_.geometry().cbits;
    Status zs = io_.device()->ZeroRange(first << cbits, uint64_t{cpg} << cbits);
    if (!zs.ok()) {
      (void)global_->ClearBits(run->group, run->bit, run->count);
      return zs.WithContext("cannot initialise a new group of allocator inode " + std::to_string(meta_->inode().blkno()));
    }
    uint32_t c = meta_->chains_used() < meta_->chain_capacity()
                     ? meta_->chains_used()
                     : static_cast<uint32_t>(meta_->group_count() % meta_->chain_capacity());
    auto gi = meta_->AddGroup(io_.geometry().ClusterToBlock(first), first, cpg, c, meta_slot_);
    if (!gi.ok()) return gi.status();
  }
  return meta_->AllocBlock(meta_slot_);
}

Status OfflineSpace::Flush() {
  OCFSX_RETURN_IF_ERROR(meta_->Flush(io_));
  return global_->Flush(io_);
}

Result<LocalAllocInfo> ReadLocalAlloc(const Inode& inode) {
  if (inode.body_format() != OCFSX_BODY_LOCAL_ALLOC)
    return Status::Corrupt("inode " + std::to_string(inode.blkno()) + ": not a local-alloc inode");
  LocalAllocInfo info;
  auto* la = reinterpret_cast<const ocfsx_local_alloc*>(inode.body());
  info.window_start = Le64(la->la_window_start);
  info.window_bits = Le32(la->la_window_bits);
  info.used = Le32(la->la_used);
  info.capacity = (inode.body_size() - sizeof(ocfsx_local_alloc)) * 8;
  if (info.window_bits > info.capacity || info.used > info.window_bits)
    return Status::Corrupt("inode " + std::to_string(inode.blkno()) + ": local-alloc window of " + std::to_string(info.window_bits) +
                           " bits (" + std::to_string(info.used) + " used) exceeds capacity " + std::to_string(info.capacity));
  const uint8_t* map = inode.body() + sizeof(ocfsx_local_alloc);
  info.bitmap.assign(map, map + (info.window_bits + 7) / 8);
  if (bitmap::CountSet(map, info.window_bits) != info.used)
    return Status::Corrupt("inode " + std::to_string(inode.blkno()) + ": local-alloc used count " + std::to_string(info.used) +
                           " disagrees with its bitmap");
  return info;
}

Result<DeallocLogInfo> ReadDeallocLog(const Inode& inode) {
  if (inode.body_format() != OCFSX_BODY_DEALLOC_LOG)
    return Status::Corrupt("inode " + std::to_string(inode.blkno()) + ": not a dealloc-log inode");
  DeallocLogInfo info;
  auto* dl = reinterpret_cast<const ocfsx_dealloc_log*>(inode.body());
  info.capacity = Le16(dl->dl_capacity);
  uint32_t used = Le16(dl->dl_used);
  uint32_t fits = (inode.body_size() - sizeof(ocfsx_dealloc_log)) / sizeof(ocfsx_dealloc_rec);
  if (info.capacity > fits || used > info.capacity)
    return Status::Corrupt("inode " + std::to_string(inode.blkno()) + ": dealloc log uses " + std::to_string(used) + " of " +
                           std::to_string(info.capacity) + " records (" + std::to_string(fits) + " fit)");
  auto* recs = reinterpret_cast<const ocfsx_dealloc_rec*>(inode.body() + sizeof(ocfsx_dealloc_log));
  for (uint32_t i = 0; i < used; i++) {
    ocfsx_dealloc_rec r = recs[i];
    r.dr_cluster = Le64(r.dr_cluster);
    r.dr_clusters = Le32(r.dr_clusters);
    info.records.push_back(r);
  }
  return info;
}

}  // namespace ocfsx
