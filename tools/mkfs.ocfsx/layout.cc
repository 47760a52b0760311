// mkfs.ocfsx layout: sizes the volume, places every fixed and system
// structure, and writes them (format §2 and §17).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <random>
#include <sys/stat.h>
#include <vector>

#include "mkfs.h"
#include "ocfsx/alloc.h"
#include "ocfsx/bitmap.h"
#include "ocfsx/block_io.h"
#include "ocfsx/dir.h"
#include "ocfsx/endian.h"
#include "ocfsx/inode.h"
#include "ocfsx/jbd2.h"
#include "ocfsx/journal_io.h"
#include "ocfsx/status.h"
#include "ocfsx/superblock.h"

namespace mkfs {

using ocfsx::AlignedBuffer;
using ocfsx::Geometry;
using ocfsx::Inode;
using ocfsx::Le16;
using ocfsx::Le32;
using ocfsx::Le64;
using ocfsx::Result;
using ocfsx::Status;

constexpr uint64_t kMiB = 1ULL << 20;
constexpr uint64_t kGiB = 1ULL << 30;

uint32_t DefaultSlots(uint64_t bytes) {
  if (bytes < 2 * kGiB) return 2;
  if (bytes < 10 * kGiB) return 4;
  if (bytes < 1024 * kGiB) return 8;
  return 16;
}

uint64_t DefaultJournalBytes(uint64_t bytes) {
  if (bytes < 256 * kMiB) return 4 * kMiB;
  if (bytes < kGiB) return 8 * kMiB;
  if (bytes < 16 * kGiB) return 32 * kMiB;
  if (bytes < 256 * kGiB) return 64 * kMiB;
  if (bytes < 2048 * kGiB) return 128 * kMiB;
  return 256 * kMiB;
}

static uint64_t MinJournalBytes(uint32_t bbits) {
  return std::max<uint64_t>(OCFSX_MIN_JOURNAL_BYTES, uint64_t{OCFSX_MIN_JOURNAL_BLOCKS} << bbits);
}

uint64_t MinimumBytes(uint32_t slots, uint32_t bbits) { return 4 * slots * MinJournalBytes(bbits); }

static std::string Mib(uint64_t bytes) { return std::to_string((bytes + kMiB - 1) / kMiB) + " MiB"; }

Result<Plan> MakePlan(const Options& opts, uint64_t device_bytes) {
  Plan p;
  p.bbits = opts.bbits;
  p.cbits = opts.cbits;
  uint64_t bytes = device_bytes;
  if (opts.blocks) {
    if (opts.blocks > (UINT64_MAX >> opts.bbits) || (opts.blocks << opts.bbits) > device_bytes)
      return ocfsx::Status::Invalid(opts.device + ": " + std::to_string(opts.blocks) + " blocks of " +
                                    std::to_string(1U << opts.bbits) + " bytes do not fit the device (" +
                                    std::to_string(device_bytes) + " bytes)");
    bytes = opts.blocks << opts.bbits;
  }
  p.device_bytes = bytes;
  p.slots = opts.slots ? static_cast<uint32_t>(opts.slots) : DefaultSlots(bytes);
  uint64_t min = MinimumBytes(p.slots, p.bbits);
  if (bytes < min)
    return ocfsx::Status::Invalid(opts.device + ": too small (" + std::to_string(bytes) + " bytes); the minimum for " +
                                  std::to_string(p.slots) + " node slot" + (p.slots == 1 ? "" : "s") + " is " + Mib(min));
  p.clusters = bytes >> p.cbits;
  p.cpg = ocfsx_global_cpg(1U << p.bbits);
  p.groups = (p.clusters + p.cpg - 1) / p.cpg;
  uint64_t last = p.clusters - (p.groups - 1) * p.cpg;
  if (p.groups > 1 && last < 8) {
    // A trailing group this short could not hold a moved descriptor.
    p.groups--;
    p.clusters = p.groups * p.cpg;
  }
  uint64_t jmin = MinJournalBytes(p.bbits);
  uint64_t j = opts.journal_bytes;
  if (j == 0) {
    j = DefaultJournalBytes(bytes);
    if (opts.journal_scale > 0) j = std::min<uint64_t>(j * 2, 256 * kMiB);
    if (opts.journal_scale < 0) j /= 2;
    j = std::max(j, jmin);
    while (j > jmin && p.slots * j * 4 > bytes) j = std::max(j / 2, jmin);
    if (p.slots * j * 4 > bytes)
      return ocfsx::Status::Invalid(opts.device + ": " + std::to_string(p.slots) + " journals of " + Mib(j) +
                                    " exceed 25% of the volume; use fewer node slots (-N)");
  } else if (j < jmin) {
    return ocfsx::Status::Invalid("journal size " + std::to_string(j) + " bytes is below the minimum of " + Mib(jmin));
  }
  p.journal_clusters = (j + (1ULL << p.cbits) - 1) >> p.cbits;
  if (p.slots * p.journal_clusters * 2 > p.clusters)
    return ocfsx::Status::Invalid(opts.device + ": journals of " + Mib(p.journal_clusters << p.cbits) + " for " +
                                  std::to_string(p.slots) + " node slots do not fit a volume of " + Mib(bytes));
  p.backups = ocfsx_backup_sb_count(p.clusters, p.cbits);
  return p;
}

namespace {

// Which clusters are taken, as disjoint intervals. Everything mkfs places
// goes through here, and the global bitmap is generated from it at the end.
class Planner {
 public:
  Planner(const Geometry& geo, uint32_t cpg) : geo_(geo), cpg_(cpg) {}

  void Take(uint64_t c, uint64_t n) { used_[c] = n; }
  bool Used(uint64_t c) const {
    auto it = used_.upper_bound(c);
    if (it == used_.begin()) return false;
    --it;
    return c < it->first + it->second;
  }
  uint64_t UsedEnd(uint64_t c) const {
    auto it = --used_.upper_bound(c);
    return it->first + it->second;
  }
  // Free clusters from c up to the next taken one or the group end.
  uint64_t FreeRun(uint64_t c, uint64_t max) const {
    uint64_t limit = std::min<uint64_t>((c / cpg_ + 1) * cpg_, geo_.clusters);
    auto it = used_.upper_bound(c);
    if (it != used_.end()) limit = std::min(limit, it->first);
    return std::min(max, limit - c);
  }
  // A single run of n clusters inside one group, first fit from `from`.
  std::optional<uint64_t> Contig(uint64_t n, uint64_t from) {
    for (int pass = 0; pass < 2; pass++) {
      uint64_t c = pass ? 0 : from;
      uint64_t end = pass ? from : geo_.clusters;
      while (c < end && c + n <= geo_.clusters) {
        if (Used(c)) {
          c = UsedEnd(c);
          continue;
        }
        uint64_t run = FreeRun(c, n);
        if (run >= n) {
          Take(c, n);
          return c;
        }
        c += run;
      }
    }
    return std::nullopt;
  }
  // n clusters as few runs as possible, preferring one run.
  Result<std::vector<ocfsx::ClusterRun>> Runs(uint64_t n, uint64_t from) {
    std::vector<ocfsx::ClusterRun> out;
    if (n <= cpg_) {
      if (auto c = Contig(n, from)) {
        out.push_back({*c, static_cast<uint32_t>(n)});
        return out;
      }
    }
    uint64_t c = from;
    uint64_t scanned = 0;
    while (n > 0 && scanned < geo_.clusters) {
      if (c >= geo_.clusters) c = 0;
      if (Used(c)) {
        uint64_t e = UsedEnd(c);
        scanned += e - c;
        c = e;
        continue;
      }
      uint64_t run = FreeRun(c, n);
      Take(c, run);
      out.push_back({c, static_cast<uint32_t>(run)});
      n -= run;
      c += run;
      scanned += run;
    }
    if (n > 0) return ocfsx::ErrnoStatus(ENOSPC, "volume too small for its metadata");
    return out;
  }
  const std::map<uint64_t, uint64_t>& used() const { return used_; }

 private:
  Geometry geo_;
  uint32_t cpg_;
  std::map<uint64_t, uint64_t> used_;
};

// Data clusters from the planner, metadata blocks from global_inode_alloc.
class MkfsSpace : public ocfsx::SpaceSource {
 public:
  MkfsSpace(ocfsx::MetaIo& io, Planner& planner, ocfsx::ChainAllocator& ialloc, uint32_t sub_cpg, uint64_t* cursor)
      : io_(io), planner_(planner), ialloc_(ialloc), sub_cpg_(sub_cpg), cursor_(cursor) {}

  Result<ocfsx::ClusterRun> AllocClusters(uint32_t want) override {
    auto runs = planner_.Runs(1, *cursor_);
    if (!runs.ok()) return runs.status();
    (void)want;
    *cursor_ = (*runs)[0].start + 1;
    return (*runs)[0];
  }

  Result<ocfsx::AllocatedBlock> AllocMetaBlock() override {
    if (ialloc_.free_bits() == 0) OCFSX_RETURN_IF_ERROR(Grow());
    return ialloc_.AllocBlock(OCFSX_SLOT_GLOBAL);
  }

  Status Grow() {
    auto c = planner_.Contig(sub_cpg_, *cursor_);
    if (!c) return ocfsx::ErrnoStatus(ENOSPC, "no room for an inode allocator group");
    *cursor_ = *c + sub_cpg_;
    uint32_t chain = ialloc_.chains_used() < ialloc_.chain_capacity()
                         ? ialloc_.chains_used()
                         : static_cast<uint32_t>(ialloc_.group_count() % ialloc_.chain_capacity());
    auto gi = ialloc_.AddGroup(io_.geometry().ClusterToBlock(*c), *c, sub_cpg_, chain, OCFSX_SLOT_GLOBAL);
    if (!gi.ok()) return gi.status();
    // Unallocated inode blocks must not look like leftovers of an old mkfs.
    return io_.device()->ZeroRange(*c << io_.geometry().cbits, uint64_t{sub_cpg_} << io_.geometry().cbits);
  }

 private:
  ocfsx::MetaIo& io_;
  Planner& planner_;
  ocfsx::ChainAllocator& ialloc_;
  uint32_t sub_cpg_;
  uint64_t* cursor_;
};

class Progress {
 public:
  Progress(const char* what, bool show) : what_(what), show_(show) {}
  void Update(uint64_t done, uint64_t total) {
    if (!show_ || total == 0) return;
    int pct = static_cast<int>(done * 100 / total);
    if (pct == last_) return;
    last_ = pct;
    std::printf("\r%s: %d%%", what_, pct);
    std::fflush(stdout);
  }
  void Done() {
    if (show_ && last_ >= 0) std::printf("\r%s: done\n", what_);
  }

 private:
  const char* what_;
  bool show_;
  int last_ = -1;
};

// The one place mkfs creates a journal: jbd2's own format, written through
// the journal inode's extents (regions were zeroed when they were placed).
Status WriteEmptyJournal(ocfsx::MetaIo& io, const Inode& journal, const uint8_t uuid[16]) {
  const uint32_t bs = io.block_size();
  const uint64_t nblocks = journal.size() / bs;
  auto jio = ocfsx::MapJournalInode(io, journal, "journal inode " + std::to_string(journal.blkno()),
                                    ocfsx::JournalWrites::kWrite);
  if (!jio.ok()) return jio.status();
  ocfsx::jbd2::FormatOptions fo;
  fo.zero_log = false;  // already zeroed (hole punch / BLKZEROOUT), far faster
  // jbd2 checksums need room in 512-byte blocks that is not there.
  if (bs < 1024) fo.incompat = ocfsx::jbd2::kIncompat64Bit;
  // Mapping errors name the journal inode themselves; I/O errors name the device.
  return ocfsx::jbd2::FormatJournal(*jio, static_cast<uint32_t>(nblocks), bs, uuid, fo);
}

}  // namespace

Status WriteVolume(ocfsx::Device& dev, const Options& opts, const Plan& plan) {
  Geometry geo;
  geo.bbits = plan.bbits;
  geo.cbits = plan.cbits;
  geo.clusters = plan.clusters;
  const uint32_t bs = geo.block_size();
  const uint32_t bpc = geo.blocks_per_cluster();
  std::random_device rd;
  uint32_t fs_gen = rd();
  if (fs_gen == 0) fs_gen = 1;
  ocfsx::MetaIo io(&dev, geo, fs_gen);
  const bool show_progress = !opts.quiet && (opts.verbose || isatty(STDOUT_FILENO));

  // Wipe the reserved area and the old primary superblock first, so an
  // interrupted mkfs leaves nothing that looks like a valid volume.
  const uint64_t sb_blkno = ocfsx_super_blkno(geo.bbits);
  const uint64_t gd0 = sb_blkno + 1;
  OCFSX_RETURN_IF_ERROR(dev.ZeroRange(0, (gd0 + 1) * uint64_t{bs}));

  Planner planner(geo, plan.cpg);
  planner.Take(0, geo.BlockToCluster(gd0) + 1);
  for (uint64_t g = 1; g < plan.groups; g++) {
    uint64_t c = geo.BlockToCluster(ocfsx_global_group_desc_blkno(g, plan.cpg, geo.bbits, geo.cbits));
    if (!planner.Used(c)) planner.Take(c, 1);
  }
  for (uint32_t i = 0; i < plan.backups; i++) {
    uint64_t c = geo.BlockToCluster(ocfsx_backup_sb_blkno(i, geo.bbits));
    if (!planner.Used(c)) planner.Take(c, 1);
  }
  uint64_t cursor = geo.BlockToCluster(gd0) + 1;

  // global_inode_alloc is created first so every system inode can come
  // from it; its inode is allocated from itself below.
  const uint32_t sub_cpg = ocfsx_suballoc_cpg(geo.bbits, geo.cbits);
  ocfsx::ChainAllocator ialloc =
      ocfsx::ChainAllocator::Create(io, Inode::New(io, 0, {}, S_IFREG, OCFSX_BODY_CHAINS), sub_cpg, static_cast<uint16_t>(bpc));
  MkfsSpace space(io, planner, ialloc, sub_cpg, &cursor);
  OCFSX_RETURN_IF_ERROR(space.Grow());

  // Root and lost+found get the default inline xattr area; system inodes none.
  const uint16_t xattr_default = bs == 512 ? 0 : (bs == 1024 ? 128 : 256);
  auto new_inode = [&](uint16_t mode, uint8_t body, uint16_t sys_type, uint16_t slot,
                       uint16_t xattr = 0) -> Result<Inode> {
    auto b = space.AllocMetaBlock();
    if (!b.ok()) return b.status();
    Inode in = Inode::New(io, b->blkno, b->origin, mode, body, xattr);
    if (sys_type != OCFSX_SYS_NONE) {
      in.raw().i_flags = Le32(OCFSX_IFL_VALID | OCFSX_IFL_SYSTEM);
      in.raw().i_sys_type = Le16(sys_type);
      in.raw().i_sys_slot = Le16(slot);
    }
    return in;
  };
  auto sysfile_inode = new_inode;

  // Inodes in the order of format §2.2.
  const uint16_t kNone = OCFSX_SLOT_NONE;
  auto sysdir = sysfile_inode(S_IFDIR | 0755, OCFSX_BODY_INLINE, OCFSX_SYS_SYSTEM_DIR, kNone);
  if (!sysdir.ok()) return sysdir.status();
  auto root = new_inode(S_IFDIR | 0755, OCFSX_BODY_INLINE, OCFSX_SYS_NONE, kNone, xattr_default);
  if (!root.ok()) return root.status();
  auto gbm = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_CHAINS, OCFSX_SYS_GLOBAL_BITMAP, kNone);
  if (!gbm.ok()) return gbm.status();
  auto gia = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_CHAINS, OCFSX_SYS_GLOBAL_INODE_ALLOC, kNone);
  if (!gia.ok()) return gia.status();
  auto slotmap = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_EXTENTS, OCFSX_SYS_SLOT_MAP, kNone);
  if (!slotmap.ok()) return slotmap.status();
  auto hb = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_EXTENTS, OCFSX_SYS_HEARTBEAT, kNone);
  if (!hb.ok()) return hb.status();
  struct SlotFiles {
    Inode journal, ialloc, meta, local, dealloc, orphan;
  };
  std::vector<SlotFiles> slots(plan.slots);
  for (uint32_t s = 0; s < plan.slots; s++) {
    auto sl = static_cast<uint16_t>(s);
    auto j = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_EXTENTS, OCFSX_SYS_JOURNAL, sl);
    auto ia = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_CHAINS, OCFSX_SYS_INODE_ALLOC, sl);
    auto ma = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_CHAINS, OCFSX_SYS_META_ALLOC, sl);
    auto la = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_LOCAL_ALLOC, OCFSX_SYS_LOCAL_ALLOC, sl);
    auto dl = sysfile_inode(S_IFREG | 0644, OCFSX_BODY_DEALLOC_LOG, OCFSX_SYS_DEALLOC_LOG, sl);
    auto od = sysfile_inode(S_IFDIR | 0755, OCFSX_BODY_INLINE, OCFSX_SYS_ORPHAN_DIR, sl);
    for (auto* r : {&j, &ia, &ma, &la, &dl, &od})
      if (!r->ok()) return r->status();
    slots[s] = SlotFiles{std::move(j).value(), std::move(ia).value(), std::move(ma).value(),
                         std::move(la).value(), std::move(dl).value(), std::move(od).value()};
  }
  auto lf = new_inode(S_IFDIR | 0755, OCFSX_BODY_INLINE, OCFSX_SYS_NONE, kNone, xattr_default);
  if (!lf.ok()) return lf.status();

  // Heartbeat: 255 blocks, each with a valid header and no writer yet.
  uint64_t hb_clusters = (uint64_t{OCFSX_MAX_NODES} * bs + geo.cluster_size() - 1) >> geo.cbits;
  auto hb_run = planner.Contig(hb_clusters, cursor);
  if (!hb_run) return ocfsx::ErrnoStatus(ENOSPC, opts.device + ": no room for the heartbeat area");
  cursor = *hb_run + hb_clusters;
  uint64_t hb_blkno = geo.ClusterToBlock(*hb_run);
  {
    AlignedBuffer area(static_cast<size_t>(hb_clusters) << geo.cbits);
    for (uint32_t n = 0; n < OCFSX_MAX_NODES; n++) {
      uint8_t* b = area.data() + static_cast<size_t>(n) * bs;
      ocfsx::InitBlockHeader(b, OCFSX_BT_HEARTBEAT, bs, hb_blkno + n, hb->blkno(), fs_gen);
      auto* h = reinterpret_cast<ocfsx_heartbeat_block*>(b);
      h->hb_node = Le32(n);
      h->hb_slot = Le16(OCFSX_SLOT_NONE);
      ocfsx::SealBlock(b, OCFSX_BT_HEARTBEAT, bs);
    }
    OCFSX_RETURN_IF_ERROR(dev.WriteAt(*hb_run << geo.cbits, area.data(), area.size()));
    OCFSX_RETURN_IF_ERROR(ocfsx::AppendExtent(io, *hb, *hb_run, static_cast<uint32_t>(hb_clusters), space));
    hb->raw().i_size = Le64(uint64_t{OCFSX_MAX_NODES} * bs);
  }

  // Slot map: every slot free.
  uint32_t sm_blocks = ocfsx_slot_map_blocks(bs, plan.slots);
  uint64_t sm_clusters = (uint64_t{sm_blocks} + bpc - 1) / bpc;
  auto sm_run = planner.Contig(sm_clusters, cursor);
  if (!sm_run) return ocfsx::ErrnoStatus(ENOSPC, opts.device + ": no room for the slot map");
  cursor = *sm_run + sm_clusters;
  {
    AlignedBuffer area(static_cast<size_t>(sm_clusters) << geo.cbits);
    uint64_t first = geo.ClusterToBlock(*sm_run);
    uint32_t per = ocfsx_slots_per_block(bs);
    for (uint32_t i = 0; i < sm_blocks; i++) {
      uint8_t* b = area.data() + static_cast<size_t>(i) * bs;
      ocfsx::InitBlockHeader(b, OCFSX_BT_SLOT_MAP, bs, first + i, slotmap->blkno(), fs_gen);
      auto* sm = reinterpret_cast<ocfsx_slot_map_block*>(b);
      uint32_t count = std::min(per, plan.slots - i * per);
      sm->sm_first_slot = Le16(static_cast<uint16_t>(i * per));
      sm->sm_count = Le16(static_cast<uint16_t>(count));
      auto* ents = reinterpret_cast<ocfsx_slot_entry*>(b + OCFSX_SLOT_MAP_ENTRIES_OFFSET);
      for (uint32_t e = 0; e < count; e++) ents[e].se_node = Le32(OCFSX_NODE_NONE);
      ocfsx::SealBlock(b, OCFSX_BT_SLOT_MAP, bs);
    }
    OCFSX_RETURN_IF_ERROR(dev.WriteAt(*sm_run << geo.cbits, area.data(), area.size()));
    OCFSX_RETURN_IF_ERROR(ocfsx::AppendExtent(io, *slotmap, *sm_run, static_cast<uint32_t>(sm_clusters), space));
    slotmap->raw().i_size = Le64(uint64_t{sm_blocks} * bs);
  }

  // Journals: journal s right after the descriptor of group s when that
  // group exists, never straddling a descriptor.
  for (uint32_t s = 0; s < plan.slots; s++) {
    uint64_t from = (s > 0 && s < plan.groups) ? s * uint64_t{plan.cpg} : cursor;
    auto runs = planner.Runs(plan.journal_clusters, from);
    if (!runs.ok()) return ocfsx::ErrnoStatus(ENOSPC, opts.device + ": no room for journal " + std::to_string(s));
    Inode& j = slots[s].journal;
    for (const auto& r : *runs) {
      OCFSX_RETURN_IF_ERROR(dev.ZeroRange(r.start << geo.cbits, uint64_t{r.count} << geo.cbits));
      OCFSX_RETURN_IF_ERROR(ocfsx::AppendExtent(io, j, r.start, r.count, space));
    }
    if (s == 0) cursor = runs->back().start + runs->back().count;
    j.raw().i_size = Le64(plan.journal_clusters << geo.cbits);
  }

  // Per-slot allocators start empty; local alloc holds no window.
  for (uint32_t s = 0; s < plan.slots; s++) {
    for (Inode* a : {&slots[s].ialloc, &slots[s].meta}) {
      Inode copy = std::move(*a);
      ocfsx::ChainAllocator ca = ocfsx::ChainAllocator::Create(io, std::move(copy), sub_cpg, static_cast<uint16_t>(bpc));
      OCFSX_RETURN_IF_ERROR(ca.inode().Write(io));
      *a = std::move(ca.inode());
    }
    std::memset(slots[s].local.body(), 0, slots[s].local.body_size());
    auto* dl = reinterpret_cast<ocfsx_dealloc_log*>(slots[s].dealloc.body());
    std::memset(slots[s].dealloc.body(), 0, slots[s].dealloc.body_size());
    dl->dl_capacity = Le16(static_cast<uint16_t>(ocfsx_dealloc_recs(bs, 0)));
    OCFSX_RETURN_IF_ERROR(slots[s].local.Write(io));
    OCFSX_RETURN_IF_ERROR(slots[s].dealloc.Write(io));
  }

  // The superblock is built now so directory hashes can use its key.
  ocfsx::Superblock sb = ocfsx::Superblock::New(geo.bbits);
  ocfsx_super_block& s = sb.raw();
  s.s_hdr.bh_fs_generation = Le32(fs_gen);
  s.s_major = Le16(OCFSX_FORMAT_MAJOR);
  s.s_minor = Le16(OCFSX_FORMAT_MINOR);
  s.s_feature_compat = Le32(OCFSX_FEATURE_COMPAT_BACKUP_SB);
  s.s_feature_incompat = Le32(OCFSX_FEATURE_INCOMPAT_INLINE_DATA | (opts.local ? OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT : 0));
  s.s_feature_ro_compat = Le32(OCFSX_FEATURE_RO_COMPAT_INDEXED_DIRS | OCFSX_FEATURE_RO_COMPAT_XATTR);
  s.s_blocksize_bits = static_cast<uint8_t>(geo.bbits);
  s.s_clustersize_bits = static_cast<uint8_t>(geo.cbits);
  s.s_max_slots = Le16(static_cast<uint16_t>(plan.slots));
  s.s_state = Le16(OCFSX_STATE_CLEAN);
  s.s_errors = Le16(OCFSX_ERRORS_DEFAULT);
  s.s_clusters = Le64(geo.clusters);
  s.s_root_blkno = Le64(root->blkno());
  s.s_system_dir_blkno = Le64(sysdir->blkno());
  s.s_first_group_blkno = Le64(gd0);
  uint64_t now = static_cast<uint64_t>(time(nullptr));
  s.s_ctime = s.s_wtime = s.s_lastcheck = Le64(now);
  s.s_inline_xattr_size = Le16(xattr_default);
  std::memcpy(s.s_uuid, opts.uuid, 16);
  std::memcpy(s.s_label, opts.label.data(), std::min<size_t>(opts.label.size(), OCFSX_LABEL_LEN));
  for (auto& k : s.s_dx_key) k = static_cast<uint8_t>(rd());
  if (!opts.local) {
    std::memcpy(s.s_cluster.ci_stack, opts.cluster_stack.data(), std::min<size_t>(opts.cluster_stack.size(), OCFSX_STACK_NAME_LEN));
    std::memcpy(s.s_cluster.ci_cluster, opts.cluster_name.data(),
                std::min<size_t>(opts.cluster_name.size(), OCFSX_CLUSTER_NAME_LEN));
    if (opts.global_heartbeat) s.s_cluster.ci_flags = Le32(OCFSX_CLUSTER_F_GLOBAL_HB);
  }
  s.s_hb_blkno = Le64(hb_blkno);
  s.s_hb_blocks = Le32(OCFSX_MAX_NODES);

  ocfsx::DirContext dctx;
  dctx.io = &io;
  ocfsx::DirContext::KeyFromBytes(s.s_dx_key, &dctx.k0, &dctx.k1);
  dctx.indexed = true;
  dctx.inline_data = true;

  // Journals need their extents on disk before jbd2 formats them.
  for (uint32_t sl = 0; sl < plan.slots; sl++) OCFSX_RETURN_IF_ERROR(slots[sl].journal.Write(io));
  for (uint32_t sl = 0; sl < plan.slots; sl++) {
    // jbd2 seeds its block checksums from the journal uuid: a uuid per slot
    // keeps a block misdirected from one slot's journal from verifying in
    // another's.
    uint8_t juuid[16];
    std::memcpy(juuid, opts.uuid, sizeof(juuid));
    const uint32_t tag = sl + 1;
    juuid[14] ^= static_cast<uint8_t>(tag >> 8);
    juuid[15] ^= static_cast<uint8_t>(tag);
    OCFSX_RETURN_IF_ERROR(WriteEmptyJournal(io, slots[sl].journal, juuid));
  }

  // Directories.
  OCFSX_RETURN_IF_ERROR(ocfsx::InitDir(dctx, *sysdir, sysdir->blkno(), space));
  OCFSX_RETURN_IF_ERROR(ocfsx::InitDir(dctx, *root, root->blkno(), space));
  OCFSX_RETURN_IF_ERROR(ocfsx::InitDir(dctx, *lf, root->blkno(), space));
  OCFSX_RETURN_IF_ERROR(ocfsx::AddDirEntry(dctx, *root, "lost+found", lf->blkno(), OCFSX_FT_DIR, space));
  root->raw().i_links = Le32(3);
  lf->raw().i_links = Le32(2);
  OCFSX_RETURN_IF_ERROR(root->Write(io));
  OCFSX_RETURN_IF_ERROR(lf->Write(io));
  for (uint32_t sl = 0; sl < plan.slots; sl++) {
    OCFSX_RETURN_IF_ERROR(ocfsx::InitDir(dctx, slots[sl].orphan, sysdir->blkno(), space));
    slots[sl].orphan.raw().i_links = Le32(2);
    OCFSX_RETURN_IF_ERROR(slots[sl].orphan.Write(io));
  }
  auto add_sys = [&](const Inode& in, uint8_t ft) -> Status {
    char name[32];
    ocfsx_sysfile_name(name, sizeof(name), Le16(in.raw().i_sys_type), Le16(in.raw().i_sys_slot));
    return ocfsx::AddDirEntry(dctx, *sysdir, name, in.blkno(), ft, space);
  };
  for (const Inode* in : {&*gbm, &*gia, &*slotmap, &*hb}) OCFSX_RETURN_IF_ERROR(add_sys(*in, OCFSX_FT_REG));
  for (uint32_t sl = 0; sl < plan.slots; sl++) {
    const SlotFiles& f = slots[sl];
    for (const Inode* in : {&f.journal, &f.ialloc, &f.meta, &f.local, &f.dealloc}) OCFSX_RETURN_IF_ERROR(add_sys(*in, OCFSX_FT_REG));
    OCFSX_RETURN_IF_ERROR(add_sys(f.orphan, OCFSX_FT_DIR));
  }
  sysdir->raw().i_links = Le32(2 + plan.slots);
  OCFSX_RETURN_IF_ERROR(sysdir->Write(io));
  for (Inode* in : {&*slotmap, &*hb}) OCFSX_RETURN_IF_ERROR(in->Write(io));

  // global_inode_alloc is complete now: adopt the inode allocated for it.
  {
    Inode& target = *gia;
    std::memcpy(target.body(), ialloc.inode().body(), target.body_size());
    target.raw().i_clusters = ialloc.inode().raw().i_clusters;
    target.raw().i_size = ialloc.inode().raw().i_size;
    uint64_t gia_blkno = target.blkno();
    for (size_t g = 0; g < ialloc.group_count(); g++) {
      ialloc.group(g).gd()->gd_hdr.bh_owner = Le64(gia_blkno);
      ialloc.group(g).dirty = true;
    }
    ialloc.inode() = std::move(target);
    OCFSX_RETURN_IF_ERROR(ialloc.Flush(io));
  }

  // Global bitmap, generated group by group from the planner.
  {
    Inode& g = *gbm;
    std::memset(g.body(), 0, g.body_size());
    auto* ct = reinterpret_cast<ocfsx_chain_table*>(g.body());
    auto* ce = reinterpret_cast<ocfsx_chain_entry*>(g.body() + sizeof(ocfsx_chain_table));
    uint32_t cap = ocfsx_chain_entries(bs, 0);
    uint64_t k = (plan.groups + cap - 1) / cap;
    uint32_t chains = static_cast<uint32_t>((plan.groups + k - 1) / k);
    ct->ct_cpg = Le32(plan.cpg);
    ct->ct_bpc = Le16(1);
    ct->ct_capacity = Le16(static_cast<uint16_t>(cap));
    ct->ct_used = Le16(static_cast<uint16_t>(chains));
    uint64_t total_free = 0;
    AlignedBuffer gdbuf(bs);
    auto it = planner.used().begin();
    Progress progress("Writing allocation groups", show_progress && plan.groups >= 256);
    for (uint64_t gi = 0; gi < plan.groups; gi++) {
      uint64_t first = gi * plan.cpg;
      uint64_t end = std::min<uint64_t>(first + plan.cpg, geo.clusters);
      auto bits = static_cast<uint32_t>(end - first);
      uint64_t blkno = ocfsx_global_group_desc_blkno(gi, plan.cpg, geo.bbits, geo.cbits);
      gdbuf.Zero();
      ocfsx::InitBlockHeader(gdbuf.data(), OCFSX_BT_GROUP, bs, blkno, g.blkno(), fs_gen);
      auto* gd = reinterpret_cast<ocfsx_group_desc*>(gdbuf.data());
      uint8_t* map = gdbuf.data() + OCFSX_GROUP_BITMAP_OFFSET;
      while (it != planner.used().end() && it->first + it->second <= first) ++it;
      for (auto j = it; j != planner.used().end() && j->first < end; ++j) {
        uint64_t a = std::max(j->first, first), b = std::min(j->first + j->second, end);
        ocfsx::bitmap::SetRange(map, a - first, b - a);
      }
      auto used = static_cast<uint32_t>(ocfsx::bitmap::CountSet(map, bits));
      uint32_t chain = static_cast<uint32_t>(gi / k);
      gd->gd_next = Le64((gi + 1 < plan.groups && (gi + 1) / k == chain)
                             ? ocfsx_global_group_desc_blkno(gi + 1, plan.cpg, geo.bbits, geo.cbits)
                             : 0);
      gd->gd_first_cluster = Le64(first);
      gd->gd_bits = Le32(bits);
      gd->gd_free = Le32(bits - used);
      gd->gd_contig_free = Le32(static_cast<uint32_t>(ocfsx::bitmap::LongestClearRun(map, bits)));
      gd->gd_chain = Le16(static_cast<uint16_t>(chain));
      gd->gd_bitmap_offset = Le16(OCFSX_GROUP_BITMAP_OFFSET);
      OCFSX_RETURN_IF_ERROR(io.Write(blkno, OCFSX_BT_GROUP, gdbuf.data()));
      if (gi % k == 0) ce[chain].ce_first_group = Le64(blkno);
      ce[chain].ce_total = Le64(Le64(ce[chain].ce_total) + bits);
      ce[chain].ce_free = Le64(Le64(ce[chain].ce_free) + bits - used);
      total_free += bits - used;
      progress.Update(gi + 1, plan.groups);
    }
    progress.Done();
    ct->ct_total_bits = Le64(geo.clusters);
    ct->ct_free_bits = Le64(total_free);
    g.raw().i_clusters = Le64(geo.clusters);
    g.raw().i_size = Le64(geo.clusters << geo.cbits);
    OCFSX_RETURN_IF_ERROR(g.Write(io));
  }

  OCFSX_RETURN_IF_ERROR(sb.WriteAll(io));
  return dev.Sync();
}

}  // namespace mkfs
