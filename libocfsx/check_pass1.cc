// fsck.ocfsx pass 1 (allocators, inodes, extent trees, doubly-allocated
// clusters) and pass 5 (allocator bitmaps and counts against actual use).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <cstring>
#include <functional>

#include "check_internal.h"
#include "ocfsx/bitmap.h"
#include "ocfsx/endian.h"
#include "ocfsx/status.h"

namespace ocfsx::check {
namespace {

std::string B(uint64_t v) { return std::to_string(v); }

std::string Range(uint64_t a, uint64_t b) { return a == b ? B(a) : B(a) + "-" + B(b); }

// Body formats each kind of inode may have (format §5, §11).
bool BodyAllowed(uint16_t mode, uint8_t body, uint16_t sys_type) {
  switch (sys_type) {
    case OCFSX_SYS_GLOBAL_BITMAP:
    case OCFSX_SYS_GLOBAL_INODE_ALLOC:
    case OCFSX_SYS_INODE_ALLOC:
    case OCFSX_SYS_META_ALLOC:
      return S_ISREG(mode) && body == OCFSX_BODY_CHAINS;
    case OCFSX_SYS_LOCAL_ALLOC:
      return S_ISREG(mode) && body == OCFSX_BODY_LOCAL_ALLOC;
    case OCFSX_SYS_DEALLOC_LOG:
      return S_ISREG(mode) && body == OCFSX_BODY_DEALLOC_LOG;
    case OCFSX_SYS_JOURNAL:
    case OCFSX_SYS_SLOT_MAP:
    case OCFSX_SYS_HEARTBEAT:
      return S_ISREG(mode) && body == OCFSX_BODY_EXTENTS;
    case OCFSX_SYS_SYSTEM_DIR:
    case OCFSX_SYS_ORPHAN_DIR:
      return S_ISDIR(mode) && (body == OCFSX_BODY_INLINE || body == OCFSX_BODY_EXTENTS);
    default:
      break;
  }
  switch (mode & S_IFMT) {
    case S_IFREG:
    case S_IFDIR:
    case S_IFLNK:
      return body == OCFSX_BODY_EXTENTS || body == OCFSX_BODY_INLINE;
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
      return body == OCFSX_BODY_EMPTY;
    default:
      return false;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Extent trees

TreeWalk Checker::WalkTree(uint64_t ino, const uint8_t* hdr_ptr, uint32_t cap_max, uint64_t container,
                           uint32_t hdr_off, bool) {
  TreeWalk w;
  std::set<uint64_t> seen;
  uint64_t prev_leaf = 0, prev_next = 0;
  const uint32_t eb_max = ocfsx_extent_block_recs(bs_);
  std::function<bool(const uint8_t*, uint32_t, uint64_t, uint32_t, int, uint64_t, uint64_t)> walk =
      [&](const uint8_t* h, uint32_t cmax, uint64_t cont, uint32_t hoff, int expect, uint64_t span_lo,
          uint64_t span_hi) -> bool {
    auto* eh = reinterpret_cast<const ocfsx_extent_hdr*>(h);
    uint32_t depth = Le16(eh->eh_depth), cap = Le16(eh->eh_capacity), used = Le16(eh->eh_used);
    const std::string where = cont == ino ? "extent root" : "extent block " + B(cont);
    if (expect < 0) {
      if (depth > OCFSX_MAX_EXTENT_DEPTH) return w.error = "extent tree depth " + B(depth) + " exceeds 8", false;
      w.depth = depth;
    } else if (depth != static_cast<uint32_t>(expect)) {
      return w.error = where + " has depth " + B(depth) + ", expected " + B(expect), false;
    }
    if (cap > cmax || used > cap)
      return w.error = where + " uses " + B(used) + " of " + B(cap) + " records (at most " + B(cmax) + " fit)", false;
    if (used == 0 && (depth > 0 || expect >= 0)) return w.error = where + " is empty", false;
    auto* recs = reinterpret_cast<const ocfsx_extent*>(h + sizeof(ocfsx_extent_hdr));
    uint64_t prev_end = span_lo;
    for (uint32_t i = 0; i < used; i++) {
      const ocfsx_extent& e = recs[i];
      uint64_t start = Le64(e.ex_start), lc = Le32(e.ex_lcluster), n = Le32(e.ex_clusters);
      uint16_t flags = Le16(e.ex_flags);
      uint32_t rec_off = hoff + sizeof(ocfsx_extent_hdr) + i * sizeof(ocfsx_extent);
      if (depth == 0) {
        if (n == 0) return w.error = where + ": record " + B(i) + " has length 0", false;
        if (lc < prev_end || lc + n > span_hi)
          return w.error = where + ": record " + B(i) + " (logical " + B(lc) + "+" + B(n) + ") overlaps or is out of order", false;
        if (start == 0 || start >= geo_.clusters || n > geo_.clusters - start)
          return w.error = "extent " + B(start) + "+" + B(n) + " is outside the volume", false;
        if (flags & ~OCFSX_EXT_UNWRITTEN) return w.error = where + ": record " + B(i) + " has unknown flags " + Hex64(flags), false;
        prev_end = lc + n;
        w.leaves.push_back({start, static_cast<uint32_t>(lc), static_cast<uint32_t>(n), flags, cont, rec_off});
        w.clusters += n;
        continue;
      }
      if (lc < prev_end || (i > 0 && lc == prev_end && i != 0 && lc <= Le32(recs[i - 1].ex_lcluster)) || lc >= span_hi)
        return w.error = where + ": interior record " + B(i) + " is out of order", false;
      prev_end = lc + (i > 0 ? 1 : 0);
      uint64_t child_hi = i + 1 < used ? Le32(recs[i + 1].ex_lcluster) : span_hi;
      if (child_hi <= lc) return w.error = where + ": interior records out of order", false;
      if (start == 0 || start >= geo_.blocks()) return w.error = where + ": child block " + B(start) + " is outside the volume", false;
      if (!seen.insert(start).second) return w.error = "extent block " + B(start) + " is reached twice", false;
      AlignedBuffer buf(bs_);
      Status st = io_->Read(start, OCFSX_BT_EXTENT, buf.data());
      if (!st.ok()) return w.error = st.message(), false;
      auto* eb = reinterpret_cast<const ocfsx_extent_block*>(buf.data());
      if (Le64(eb->eb_hdr.bh_owner) != ino)
        return w.error = "extent block " + B(start) + " belongs to inode " + B(Le64(eb->eb_hdr.bh_owner)), false;
      w.blocks.push_back(start);
      if (depth == 1) {
        // A leaf block: check the left-to-right chain as we meet leaves.
        if (prev_leaf && prev_next != start) w.bad_links.emplace_back(prev_leaf, start);
        prev_leaf = start;
        prev_next = Le64(eb->eb_next_leaf);
      }
      if (!walk(buf.data() + offsetof(ocfsx_extent_block, eb_list), eb_max, start,
                static_cast<uint32_t>(offsetof(ocfsx_extent_block, eb_list)), static_cast<int>(depth) - 1, lc, child_hi))
        return false;
    }
    return true;
  };
  uint32_t root_cap = cap_max;
  if (walk(hdr_ptr, root_cap, container, hdr_off, -1, 0, OCFSX_MAX_FILE_CLUSTERS)) {
    if (prev_leaf && prev_next != 0) w.bad_links.emplace_back(prev_leaf, 0);
    w.last_leaf = prev_leaf;
  }
  return w;
}

// ---------------------------------------------------------------------------
// Claims

void Checker::AddExtentClaim(uint64_t ino, uint64_t start, uint64_t len) {
  Claim c;
  c.start = start;
  c.len = len;
  c.ino = ino;
  c.kind = ClaimKind::kExtent;
  c.ref.start = start;
  c.ref.clusters = static_cast<uint32_t>(len);
  claims_.push_back(c);
  claimed_.SetRange(start, len);
}

void Checker::AddMetaClaim(uint64_t ino, uint64_t blkno) { meta_owner_[blkno] = ino; }

namespace {

void ClaimRange(BitSet& claimed, BitSet& dup, bool& any_dup, uint64_t start, uint64_t len) {
  for (uint64_t c = start; c < start + len && c < claimed.size(); c++) {
    if (claimed.Test(c)) {
      if (!any_dup) dup.Resize(claimed.size());
      any_dup = true;
      dup.Set(c);
    } else {
      claimed.Set(c);
    }
  }
}

}  // namespace

std::optional<std::tuple<size_t, uint32_t>> Checker::BlockToGroupBit(uint64_t blkno) const {
  auto it = block_runs_.upper_bound(blkno);
  if (it == block_runs_.begin()) return std::nullopt;
  --it;
  auto [gi, first_bit, n] = it->second;
  if (blkno >= it->first + n) return std::nullopt;
  return std::make_tuple(gi, static_cast<uint32_t>(first_bit + (blkno - it->first)));
}

uint64_t Checker::GroupBitToBlock(const GroupState& g, uint32_t bit) const {
  uint64_t b = bit;
  for (auto& [first, n] : g.runs) {
    if (b < n) return first + b;
    b -= n;
  }
  return 0;
}

bool Checker::BlockUsed(uint64_t blkno) const {
  if (group_blknos_.count(blkno) || handed_out_.count(blkno)) return true;
  auto m = meta_owner_.find(blkno);
  if (m != meta_owner_.end() && (m->second == 0 || Ino(m->second))) return true;
  return Ino(blkno) != nullptr;
}

// Checks a metadata block reached from inode `ino` lies in a suballocator
// group, that nobody else uses it, and that its header names its origin.
bool Checker::ClaimMeta(uint64_t ino, uint64_t blkno, uint16_t type, std::string* why) {
  auto m = meta_owner_.find(blkno);
  if (m != meta_owner_.end() && m->second != ino && Ino(m->second)) {
    *why = BlockTypeName(type) + std::string(" ") + B(blkno) + " is also used by inode " + B(m->second);
    return false;
  }
  auto gb = BlockToGroupBit(blkno);
  if (!gb || group_blknos_.count(blkno) || (inodes_.count(blkno) && blkno != ino)) {
    *why = BlockTypeName(type) + std::string(" ") + B(blkno) + " is not in a metadata allocator";
    return false;
  }
  return true;
}

void Checker::ClaimFixed() {
  const uint64_t gd0 = ocfsx_super_blkno(geo_.bbits) + 1;
  auto fixed = [&](uint64_t c, uint64_t n) {
    for (uint64_t i = c; i < c + n && i < geo_.clusters; i++) {
      if (hard_.Test(i)) continue;  // the same cluster can hold several fixed things
      Claim cl;
      cl.start = i;
      cl.len = 1;
      cl.kind = ClaimKind::kFixed;
      claims_.push_back(cl);
      ClaimRange(claimed_, dup_, any_dup_, i, 1);
      hard_.Set(i);
    }
  };
  fixed(0, geo_.BlockToCluster(gd0) + 1);
  for (uint64_t b : sb_->BackupBlknos()) fixed(geo_.BlockToCluster(b), 1);
  fixed_claim_ = fixed;
}

// ---------------------------------------------------------------------------
// Allocators

ocfsx::Result<Inode> Checker::ReadNamedInode(uint64_t blkno, const std::string& name) {
  bool bad = false;
  auto in = ReadInodeRaw(blkno, &bad);
  if (in.ok() || blkno == 0 || blkno >= geo_.blocks()) return in;
  AlignedBuffer buf(bs_);
  if (!io_->ReadRaw(blkno, buf.data()).ok()) return in;
  auto* r = reinterpret_cast<ocfsx_inode*>(buf.data());
  char want[32];
  uint32_t xs = Le16(r->i_xattr_inline_size);
  if (ocfsx_sysfile_name(want, sizeof(want), Le16(r->i_sys_type), Le16(r->i_sys_slot)) < 0 || name != want ||
      xs % 8 || OCFSX_INODE_BODY_OFFSET + xs + 16 > bs_)
    return in;
  if (!restored_.count(blkno)) {
    restored_.insert(blkno);
    bool fix = Problem("inode " + B(blkno) + " (" + name + ") has a damaged header; restoring it", false);
    r->i_hdr.bh_magic = Le32(OCFSX_META_MAGIC);
    r->i_hdr.bh_type = Le16(OCFSX_BT_INODE);
    r->i_hdr.bh_blkno = Le64(blkno);
    r->i_hdr.bh_fs_generation = Le32(io_->fs_generation());
    r->i_flags = Le32(Le32(r->i_flags) | OCFSX_IFL_VALID | OCFSX_IFL_SYSTEM);
    if (fix) {
      Status ws = WriteMeta(blkno, OCFSX_BT_INODE, buf.data());
      if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
    }
  } else {
    r->i_hdr.bh_magic = Le32(OCFSX_META_MAGIC);
    r->i_hdr.bh_type = Le16(OCFSX_BT_INODE);
    r->i_hdr.bh_blkno = Le64(blkno);
    r->i_hdr.bh_fs_generation = Le32(io_->fs_generation());
    r->i_flags = Le32(Le32(r->i_flags) | OCFSX_IFL_VALID | OCFSX_IFL_SYSTEM);
  }
  SealBlock(buf.data(), OCFSX_BT_INODE, bs_);
  Inode copy = Inode::New(*io_, blkno, {}, 0, OCFSX_BODY_EMPTY);
  std::memcpy(&copy.raw(), buf.data(), bs_);
  return copy;
}

void Checker::LoadGlobalBitmap() {
  AllocState a;
  a.kind = AllocKind::kGlobalBitmap;
  a.name = "global_bitmap";
  auto it = sysfiles_.find(a.name);
  const uint32_t def_cpg = ocfsx_global_cpg(bs_);
  uint32_t cpg = def_cpg;
  if (it == sysfiles_.end()) {
    Unfixable("system file global_bitmap is missing");
    sys_damaged_ = true;
  } else {
    a.ino = it->second;
    auto in = ReadNamedInode(a.ino, a.name);
    if (in.ok() && Le16(in->raw().i_sys_type) == OCFSX_SYS_GLOBAL_BITMAP) in->raw().i_body_format = OCFSX_BODY_CHAINS;
    if (!in.ok() || in->body_format() != OCFSX_BODY_CHAINS) {
      Unfixable("global bitmap inode " + B(a.ino) + " is damaged" + (in.ok() ? "" : " (" + in.status().message() + ")"));
    sys_damaged_ = true;
    } else {
      a.inode = std::move(in).value();
      a.usable = true;
    }
  }
  // Descriptors sit at computed places: claim them even without the inode.
  if (a.usable) {
    auto* ct = reinterpret_cast<ocfsx_chain_table*>(a.inode->body());
    uint32_t c = Le32(ct->ct_cpg);
    uint32_t cap_max = ocfsx_chain_entries(bs_, Le16(a.inode->raw().i_xattr_inline_size));
    if (c == 0 || c > def_cpg) {
      if (Problem("global bitmap: clusters per group " + B(c) + " is invalid, should be " + B(def_cpg), true)) {
        ct->ct_cpg = Le32(def_cpg);
        a.inode_dirty = true;
      }
    } else {
      cpg = c;
    }
    if (Le16(ct->ct_bpc) != 1 && Problem("global bitmap: bits per cluster is " + B(Le16(ct->ct_bpc)) + ", should be 1", true)) {
      ct->ct_bpc = Le16(1);
      a.inode_dirty = true;
    }
    if ((Le16(ct->ct_capacity) > cap_max || Le16(ct->ct_capacity) == 0) &&
        Problem("global bitmap: chain capacity " + B(Le16(ct->ct_capacity)) + " is invalid", true)) {
      ct->ct_capacity = Le16(static_cast<uint16_t>(cap_max));
      a.inode_dirty = true;
    }
    if (Le64(a.inode->raw().i_clusters) != geo_.clusters || a.inode->size() != (geo_.clusters << geo_.cbits)) {
      if (Problem("global bitmap inode: size does not match the volume's " + B(geo_.clusters) + " clusters", true)) {
        a.inode->raw().i_clusters = Le64(geo_.clusters);
        a.inode->raw().i_size = Le64(geo_.clusters << geo_.cbits);
        a.inode_dirty = true;
      }
    }
  }
  const uint64_t ngroups = (geo_.clusters + cpg - 1) / cpg;
  for (uint64_t g = 0; g < ngroups; g++) {
    uint64_t b = ocfsx_global_group_desc_blkno(g, cpg, geo_.bbits, geo_.cbits);
    if (b < geo_.blocks()) fixed_claim_(geo_.BlockToCluster(b), 1);
  }
  const size_t ai = allocs_.size();
  allocs_.push_back(std::move(a));
  AllocState& al = allocs_.back();
  if (!al.usable) return;

  bool chains_bad = false;
  std::map<uint64_t, size_t> by_blk;
  for (uint64_t g = 0; g < ngroups; g++) {
    const uint64_t b = ocfsx_global_group_desc_blkno(g, cpg, geo_.bbits, geo_.cbits);
    const uint64_t first = g * cpg;
    const auto bits = static_cast<uint32_t>(std::min<uint64_t>(cpg, geo_.clusters - first));
    GroupState gs;
    gs.blkno = b;
    gs.alloc = static_cast<int>(ai);
    gs.first_cluster = first;
    gs.bits = bits;
    gs.buf = AlignedBuffer(bs_);
    std::string why;
    bool csum_only = false;
    Status st = dev_->ReadBlocks(b, bs_, gs.buf.data());
    if (st.ok()) st = VerifyBlock(gs.buf.data(), OCFSX_BT_GROUP, bs_, b, io_->fs_generation());
    if (!st.ok()) {
      auto* h = reinterpret_cast<const ocfsx_block_header*>(gs.buf.data());
      csum_only = Le32(h->bh_magic) == OCFSX_META_MAGIC && Le16(h->bh_type) == OCFSX_BT_GROUP && Le64(h->bh_blkno) == b &&
                  Le32(h->bh_fs_generation) == io_->fs_generation();
      why = st.message();
    }
    const ocfsx_group_desc* gd = gs.gd();
    std::string field;
    if (why.empty() || csum_only) {
      if (Le64(gd->gd_hdr.bh_owner) != al.ino) field = "owner " + B(Le64(gd->gd_hdr.bh_owner));
      else if (Le64(gd->gd_first_cluster) != first) field = "first cluster " + B(Le64(gd->gd_first_cluster));
      else if (Le32(gd->gd_bits) != bits) field = "size " + B(Le32(gd->gd_bits)) + " bits";
      else if (Le16(gd->gd_bitmap_offset) != OCFSX_GROUP_BITMAP_OFFSET || Le16(gd->gd_nr_runs) != 0) field = "bitmap layout";
    }
    const std::string where = "global bitmap group " + B(g) + " (block " + B(b) + ")";
    if (!why.empty() && !(csum_only && field.empty())) {
      if (Problem(where + " is damaged (" + why + "); rebuilding it", false)) gs.dirty = true;
      gs.rebuilt = true;
      chains_bad = true;
    } else if (!field.empty()) {
      if (Problem(where + " has a wrong " + field + "; rebuilding it", false)) gs.dirty = true;
      gs.rebuilt = true;
      chains_bad = true;
    } else if (csum_only) {
      if (Problem(where + " has a bad checksum", false)) gs.dirty = true;
    }
    if (gs.rebuilt) {
      // Fresh header; pass 5 fills the bitmap from actual use.
      gs.buf.Zero();
      InitBlockHeader(gs.buf.data(), OCFSX_BT_GROUP, bs_, b, al.ino, io_->fs_generation());
      gs.gd()->gd_first_cluster = Le64(first);
      gs.gd()->gd_bits = Le32(bits);
      gs.gd()->gd_bitmap_offset = Le16(OCFSX_GROUP_BITMAP_OFFSET);
      gs.gd()->gd_chain = Le16(0xffff);
    }
    by_blk[b] = groups_.size();
    al.groups.push_back(groups_.size());
    groups_.push_back(std::move(gs));
  }
  // Every group on exactly one chain, each chain a proper list.
  auto* ct = reinterpret_cast<ocfsx_chain_table*>(al.inode->body());
  auto* ce = reinterpret_cast<ocfsx_chain_entry*>(al.inode->body() + sizeof(ocfsx_chain_table));
  uint32_t used = Le16(ct->ct_used);
  std::set<size_t> seen;
  if (used > Le16(ct->ct_capacity) || used == 0 || used > ocfsx_chain_entries(bs_, Le16(al.inode->raw().i_xattr_inline_size)))
    chains_bad = true;
  for (uint32_t c = 0; c < used && !chains_bad; c++) {
    for (uint64_t b = Le64(ce[c].ce_first_group); b != 0;) {
      auto f = by_blk.find(b);
      if (f == by_blk.end() || !seen.insert(f->second).second || Le16(groups_[f->second].gd()->gd_chain) != c) {
        chains_bad = true;
        break;
      }
      b = Le64(groups_[f->second].gd()->gd_next);
    }
  }
  if (seen.size() != ngroups) chains_bad = true;
  if (chains_bad && Problem("global bitmap chains are inconsistent; relinking them", true)) RebuildGlobalChains(al, cpg, ngroups);
}

void Checker::RebuildGlobalChains(AllocState& a, uint32_t cpg, uint64_t ngroups) {
  auto* ct = reinterpret_cast<ocfsx_chain_table*>(a.inode->body());
  auto* ce = reinterpret_cast<ocfsx_chain_entry*>(a.inode->body() + sizeof(ocfsx_chain_table));
  const uint32_t cap_max = ocfsx_chain_entries(bs_, Le16(a.inode->raw().i_xattr_inline_size));
  uint32_t cap = Le16(ct->ct_capacity);
  if (cap == 0 || cap > cap_max) cap = cap_max;
  ct->ct_capacity = Le16(static_cast<uint16_t>(cap));
  uint64_t k = (ngroups + cap - 1) / cap;
  auto chains = static_cast<uint32_t>((ngroups + k - 1) / k);
  std::memset(ce, 0, sizeof(ocfsx_chain_entry) * cap);
  ct->ct_used = Le16(static_cast<uint16_t>(chains));
  for (uint64_t g = 0; g < ngroups; g++) {
    GroupState& gs = groups_[a.groups[g]];
    auto chain = static_cast<uint32_t>(g / k);
    uint64_t next = (g + 1 < ngroups && (g + 1) / k == chain)
                        ? ocfsx_global_group_desc_blkno(g + 1, cpg, geo_.bbits, geo_.cbits)
                        : 0;
    gs.gd()->gd_next = Le64(next);
    gs.gd()->gd_chain = Le16(static_cast<uint16_t>(chain));
    gs.dirty = true;
    if (g % k == 0) ce[chain].ce_first_group = Le64(gs.blkno);
  }
  a.inode_dirty = true;
}

void Checker::LoadSuballocator(AllocKind kind, uint16_t slot, const std::string& name) {
  AllocState a;
  a.kind = kind;
  a.slot = slot;
  a.name = name;
  auto it = sysfiles_.find(name);
  if (it == sysfiles_.end()) {
    Unfixable("system file " + name + " is missing");
    sys_damaged_ = true;
    if (kind == AllocKind::kGlobalInode || kind == AllocKind::kSlotInode) inode_allocs_incomplete_ = true;
    return;
  }
  a.ino = it->second;
  auto in = ReadNamedInode(a.ino, name);
  if (in.ok() && in->body_format() != OCFSX_BODY_CHAINS && ocfsx_sysfile_prefix(Le16(in->raw().i_sys_type)) &&
      Le16(in->raw().i_sys_type) == (kind == AllocKind::kGlobalInode ? OCFSX_SYS_GLOBAL_INODE_ALLOC
                                     : kind == AllocKind::kSlotInode ? OCFSX_SYS_INODE_ALLOC
                                                                      : OCFSX_SYS_META_ALLOC)) {
    // Only the body-format byte is off; pass 1's inode check repairs it.
    in->raw().i_body_format = OCFSX_BODY_CHAINS;
  }
  if (!in.ok() || in->body_format() != OCFSX_BODY_CHAINS) {
    if (kind == AllocKind::kGlobalInode || kind == AllocKind::kSlotInode) inode_allocs_incomplete_ = true;
    Unfixable(name + " inode " + B(a.ino) + " is damaged" + (in.ok() ? "" : " (" + in.status().message() + ")"));
    sys_damaged_ = true;
    return;
  }
  a.inode = std::move(in).value();
  auto* ct = reinterpret_cast<ocfsx_chain_table*>(a.inode->body());
  auto* ce = reinterpret_cast<ocfsx_chain_entry*>(a.inode->body() + sizeof(ocfsx_chain_table));
  const uint32_t cap_max = ocfsx_chain_entries(bs_, Le16(a.inode->raw().i_xattr_inline_size));
  const uint32_t bpc = geo_.blocks_per_cluster();
  const uint32_t max_bits = ocfsx_group_bitmap_bytes(bs_) * 8;
  if (Le16(ct->ct_capacity) > cap_max || Le16(ct->ct_capacity) == 0) {
    if (!Problem(name + ": chain capacity " + B(Le16(ct->ct_capacity)) + " is invalid", true)) return;
    ct->ct_capacity = Le16(static_cast<uint16_t>(cap_max));
    a.inode_dirty = true;
  }
  if (Le16(ct->ct_used) > Le16(ct->ct_capacity)) {
    if (!Problem(name + ": chain table uses " + B(Le16(ct->ct_used)) + " of " + B(Le16(ct->ct_capacity)) + " entries", false))
      return;
    ct->ct_used = ct->ct_capacity;
    a.inode_dirty = true;
  }
  if (Le16(ct->ct_bpc) != bpc && Problem(name + ": bits per cluster is " + B(Le16(ct->ct_bpc)) + ", should be " + B(bpc), true)) {
    ct->ct_bpc = Le16(static_cast<uint16_t>(bpc));
    a.inode_dirty = true;
  }
  uint32_t cpg = Le32(ct->ct_cpg);
  if (cpg == 0 || uint64_t{cpg} * bpc > max_bits) {
    uint32_t want = ocfsx_suballoc_cpg(geo_.bbits, geo_.cbits);
    if (Problem(name + ": clusters per group " + B(cpg) + " is invalid, should be " + B(want), true)) {
      ct->ct_cpg = Le32(want);
      a.inode_dirty = true;
    }
    cpg = want;
  }
  a.usable = true;
  const size_t ai = allocs_.size();
  allocs_.push_back(std::move(a));
  AllocState& al = allocs_.back();
  auto* ct2 = reinterpret_cast<ocfsx_chain_table*>(al.inode->body());
  ce = reinterpret_cast<ocfsx_chain_entry*>(al.inode->body() + sizeof(ocfsx_chain_table));
  const uint32_t used = Le16(ct2->ct_used);
  for (uint32_t c = 0; c < used; c++) {
    size_t prev = SIZE_MAX;
    uint64_t count = 0;
    for (uint64_t b = Le64(ce[c].ce_first_group); b != 0; count++) {
      std::string why;
      GroupState gs;
      gs.blkno = b;
      gs.alloc = static_cast<int>(ai);
      gs.chain = c;
      gs.buf = AlignedBuffer(bs_);
      bool csum_only = false;
      if (group_blknos_.count(b) || count > geo_.clusters) {
        why = "it loops or joins another chain";
      } else if (b >= geo_.blocks()) {
        why = "block " + B(b) + " is outside the volume";
      } else {
        Status st = dev_->ReadBlocks(b, bs_, gs.buf.data());
        if (st.ok()) st = VerifyBlock(gs.buf.data(), OCFSX_BT_GROUP, bs_, b, io_->fs_generation());
        if (!st.ok()) {
          auto* h = reinterpret_cast<const ocfsx_block_header*>(gs.buf.data());
          csum_only = Le32(h->bh_magic) == OCFSX_META_MAGIC && Le16(h->bh_type) == OCFSX_BT_GROUP &&
                      Le64(h->bh_blkno) == b && Le32(h->bh_fs_generation) == io_->fs_generation();
          if (!csum_only) why = st.message();
        }
      }
      if (why.empty()) {
        // Every field must be sane before a descriptor is trusted.
        const ocfsx_group_desc* gd = gs.gd();
        uint32_t bits = Le32(gd->gd_bits), off = Le16(gd->gd_bitmap_offset), nruns = Le16(gd->gd_nr_runs);
        uint64_t first = Le64(gd->gd_first_cluster);
        uint64_t runs_end = OCFSX_GROUP_RUNS_OFFSET + uint64_t{nruns} * sizeof(ocfsx_group_run);
        if (Le64(gd->gd_hdr.bh_owner) != al.ino) {
          why = "owner is " + B(Le64(gd->gd_hdr.bh_owner));
        } else if (bits == 0 || bits % bpc || off < runs_end || off % 8 || off >= bs_ || bits > uint64_t{bs_ - off} * 8) {
          why = "bitmap of " + B(bits) + " bits at offset " + B(off) + " does not fit";
        } else if (nruns == 0) {
          if (first == 0 || first >= geo_.clusters || bits / bpc > geo_.clusters - first)
            why = "group at cluster " + B(first) + " is outside the volume";
          else
            gs.runs.emplace_back(geo_.ClusterToBlock(first), bits);
        } else {
          auto* runs = reinterpret_cast<const ocfsx_group_run*>(gs.buf.data() + OCFSX_GROUP_RUNS_OFFSET);
          uint64_t total = 0;
          for (uint32_t r = 0; r < nruns && why.empty(); r++) {
            uint64_t rc = Le64(runs[r].gr_cluster), rn = Le32(runs[r].gr_clusters);
            if (rc == 0 || rn == 0 || rc >= geo_.clusters || rn > geo_.clusters - rc)
              why = "run " + B(r) + " is outside the volume";
            total += rn * bpc;
            gs.runs.emplace_back(geo_.ClusterToBlock(rc), rn * bpc);
          }
          if (why.empty() && total != bits) why = "runs cover " + B(total) + " blocks, bitmap has " + B(bits);
          if (why.empty() && Le64(gd->gd_first_cluster) != Le64(runs[0].gr_cluster)) why = "first cluster differs from its first run";
        }
        if (why.empty()) {
          bool inside = false;
          for (auto& [fb, n] : gs.runs) inside |= b >= fb && b < fb + n;
          if (!inside) why = "its own block lies outside the group";
        }
        if (why.empty() && csum_only && kind != AllocKind::kGlobalBitmap && bits != uint64_t{cpg} * bpc && nruns == 0)
          why = "bad checksum and an unexpected size";
        gs.bits = bits;
        gs.first_cluster = first;
        // The block is a descriptor of this allocator whose fields are
        // garbage: groups are made with the descriptor in their first
        // block and cpg clusters, so rebuild it that way when that fits.
        const uint64_t c0 = geo_.BlockToCluster(b);
        bool fits = !why.empty() && b % bpc == 0 && c0 != 0 && c0 + cpg <= geo_.clusters;
        for (uint64_t x = c0; fits && x < c0 + cpg; x++) fits = !hard_.Test(x);
        if (fits) {
          bool fix = Problem(name + ": group descriptor " + B(b) + " is damaged (" + why + "); rebuilding it", false);
          ocfsx_group_desc* w = gs.gd();
          w->gd_hdr.bh_owner = Le64(al.ino);
          w->gd_first_cluster = Le64(c0);
          w->gd_bits = Le32(cpg * bpc);
          w->gd_free = 0;
          w->gd_bitmap_offset = Le16(OCFSX_GROUP_BITMAP_OFFSET);
          w->gd_nr_runs = 0;
          w->gd_chain = Le16(static_cast<uint16_t>(c));
          w->gd_flags = 0;
          if (Le64(w->gd_next) >= geo_.blocks()) w->gd_next = 0;
          gs.runs.assign(1, {b, uint64_t{cpg} * bpc});
          gs.bits = cpg * bpc;
          gs.first_cluster = c0;
          gs.rebuilt = true;
          gs.dirty = fix;
          csum_only = false;
          why.clear();
        }
      }
      if (!why.empty()) {
        if (Problem(name + ": chain " + B(c) + " is broken at group descriptor " + B(b) + " (" + why +
                        "); the rest of the chain is dropped",
                    false)) {
          if (prev == SIZE_MAX) {
            ce[c].ce_first_group = 0;
            al.inode_dirty = true;
          } else {
            groups_[prev].gd()->gd_next = 0;
            groups_[prev].dirty = true;
          }
        }
        break;
      }
      if (csum_only && Problem(name + ": group descriptor " + B(b) + " has a bad checksum", false)) gs.dirty = true;
      if (Le16(gs.gd()->gd_chain) != c) {
        if (Problem(name + ": group descriptor " + B(b) + " says chain " + B(Le16(gs.gd()->gd_chain)) + " but is on chain " + B(c), true)) {
          gs.gd()->gd_chain = Le16(static_cast<uint16_t>(c));
          gs.dirty = true;
        }
      }
      size_t gi = groups_.size();
      uint64_t bit = 0;
      for (auto& [fb, n] : gs.runs) {
        block_runs_[fb] = std::make_tuple(gi, bit, n);
        bit += n;
        uint64_t c0 = geo_.BlockToCluster(fb);
        Claim cl;
        cl.start = c0;
        cl.len = n / bpc;
        cl.ino = al.ino;
        cl.kind = ClaimKind::kSubGroup;
        claims_.push_back(cl);
        ClaimRange(claimed_, dup_, any_dup_, c0, n / bpc);
        hard_.SetRange(c0, n / bpc);
      }
      group_blknos_.insert(b);
      b = Le64(gs.gd()->gd_next);
      al.groups.push_back(gi);
      groups_.push_back(std::move(gs));
      prev = gi;
    }
  }
}

void Checker::CheckLocalAllocs() {
  for (uint32_t s = 0; s < sb_->max_slots(); s++) {
    char name[32];
    ocfsx_sysfile_name(name, sizeof(name), OCFSX_SYS_LOCAL_ALLOC, s);
    auto it = sysfiles_.find(name);
    if (it == sysfiles_.end() || !Ino(it->second)) continue;
    auto in = Inode::Read(*io_, it->second);
    if (!in.ok() || in->body_format() != OCFSX_BODY_LOCAL_ALLOC) continue;
    auto* la = reinterpret_cast<ocfsx_local_alloc*>(in->body());
    uint64_t start = Le64(la->la_window_start), bits = Le32(la->la_window_bits);
    uint32_t cap = (in->body_size() - sizeof(ocfsx_local_alloc)) * 8;
    std::string why;
    if (start == 0) {
      if (bits != 0 || la->la_used != 0) why = "no window but " + B(bits) + " bits";
    } else {
      const uint32_t cpg = ocfsx_global_cpg(bs_);
      uint32_t gcpg = cpg;
      if (!allocs_.empty() && allocs_[0].kind == AllocKind::kGlobalBitmap && allocs_[0].usable)
        gcpg = std::max<uint32_t>(1, Le32(reinterpret_cast<ocfsx_chain_table*>(allocs_[0].inode->body())->ct_cpg));
      if (bits == 0 || bits > cap || start >= geo_.clusters || bits > geo_.clusters - start)
        why = "window " + B(start) + "+" + B(bits) + " is invalid";
      else if (start / gcpg != (start + bits - 1) / gcpg)
        why = "window " + B(start) + "+" + B(bits) + " spans two global groups";
      else if (Le32(la->la_used) > bits)
        why = "used count " + B(Le32(la->la_used)) + " exceeds the window";
      for (uint64_t c = start; why.empty() && c < start + bits; c++)
        if (hard_.Test(c)) why = "window overlaps allocator metadata at cluster " + B(c);
      for (const Window& w : windows_)
        if (why.empty() && start < w.start + w.bits && w.start < start + bits) why = "window overlaps slot " + B(w.slot) + "'s";
    }
    if (!why.empty()) {
      // Returning the window is always consistent: files keep their clusters
      // and pass 5 rebuilds the global bitmap from actual use.
      if (Problem("local alloc of slot " + B(s) + ": " + why + "; returning the window", true)) {
        std::memset(in->body(), 0, in->body_size());
        Status st = WriteInode(*in);
        if (!st.ok()) Info("fsck.ocfsx: " + st.message());
      }
      continue;
    }
    if (start) windows_.push_back({static_cast<uint16_t>(s), it->second, start, bits});
  }
}

void Checker::CheckDeallocLogs() {
  for (uint32_t s = 0; s < sb_->max_slots(); s++) {
    char name[32];
    ocfsx_sysfile_name(name, sizeof(name), OCFSX_SYS_DEALLOC_LOG, s);
    auto it = sysfiles_.find(name);
    if (it == sysfiles_.end() || !Ino(it->second)) continue;
    auto in = Inode::Read(*io_, it->second);
    if (!in.ok() || in->body_format() != OCFSX_BODY_DEALLOC_LOG) continue;
    auto* dl = reinterpret_cast<ocfsx_dealloc_log*>(in->body());
    auto* recs = reinterpret_cast<ocfsx_dealloc_rec*>(in->body() + sizeof(ocfsx_dealloc_log));
    uint32_t fits = (in->body_size() - sizeof(ocfsx_dealloc_log)) / sizeof(ocfsx_dealloc_rec);
    bool dirty = false;
    if (Le16(dl->dl_capacity) > fits || Le16(dl->dl_capacity) == 0) {
      if (Problem("dealloc log of slot " + B(s) + ": capacity " + B(Le16(dl->dl_capacity)) + " is invalid", true)) {
        dl->dl_capacity = Le16(static_cast<uint16_t>(fits));
        dirty = true;
      }
    }
    uint32_t used = std::min<uint32_t>(Le16(dl->dl_used), std::min<uint32_t>(Le16(dl->dl_capacity), fits));
    if (used != Le16(dl->dl_used) && Problem("dealloc log of slot " + B(s) + ": " + B(Le16(dl->dl_used)) + " records do not fit", true)) {
      dl->dl_used = Le16(static_cast<uint16_t>(used));
      dirty = true;
    }
    uint32_t keep = 0;
    for (uint32_t i = 0; i < used; i++) {
      uint64_t c = Le64(recs[i].dr_cluster), n = Le32(recs[i].dr_clusters);
      bool ok = c != 0 && n != 0 && c < geo_.clusters && n <= geo_.clusters - c;
      for (uint64_t x = c; ok && x < c + n; x++) ok = !claimed_.Test(x);
      if (!ok) {
        if (Problem("dealloc log of slot " + B(s) + ": record " + B(c) + "+" + B(n) + " is invalid or in use; dropping it", true)) {
          dirty = true;
          continue;
        }
      }
      recs[keep++] = recs[i];
      if (ok) {
        Claim cl;
        cl.start = c;
        cl.len = n;
        cl.ino = it->second;
        cl.kind = ClaimKind::kDealloc;
        claims_.push_back(cl);
        claimed_.SetRange(c, n);
      }
    }
    if (dirty) {
      std::memset(&recs[keep], 0, sizeof(ocfsx_dealloc_rec) * (used - keep));
      dl->dl_used = Le16(static_cast<uint16_t>(keep));
      Status st = WriteInode(*in);
      if (!st.ok()) Info("fsck.ocfsx: " + st.message());
    }
  }
}

// ---------------------------------------------------------------------------
// Inodes

bool Checker::CheckXattrs(uint64_t ino, Inode& in, std::vector<LeafRef>* leaves, std::vector<uint64_t>* blocks,
                          std::string* why) {
  auto area = [&](const uint8_t* base, uint32_t size, uint64_t container, uint32_t base_off) -> bool {
    if (size < sizeof(ocfsx_xattr_header)) return *why = "xattr area too small", false;
    auto* xh = reinterpret_cast<const ocfsx_xattr_header*>(base);
    uint32_t count = Le16(xh->xh_count);
    if (count == 0) return true;
    if (Le16(xh->xh_area_size) != size) return *why = "xattr area size " + B(Le16(xh->xh_area_size)) + " is not " + B(size), false;
    if (sizeof(ocfsx_xattr_header) + uint64_t{count} * sizeof(ocfsx_xattr_entry) > size)
      return *why = B(count) + " xattr entries do not fit", false;
    auto* xe = reinterpret_cast<const ocfsx_xattr_entry*>(base + sizeof(ocfsx_xattr_header));
    for (uint32_t i = 0; i < count; i++) {
      uint32_t off = Le16(xe[i].xe_offset), nl = xe[i].xe_name_len, vs = Le32(xe[i].xe_value_size);
      uint32_t name_end = off + ((nl + 7) & ~7U);
      bool outside = xe[i].xe_flags & OCFSX_XE_VALUE_OUTSIDE;
      uint64_t end = name_end + (outside ? sizeof(ocfsx_xattr_value_root) : ((uint64_t{vs} + 7) & ~7ULL));
      if (xe[i].xe_index == 0 || xe[i].xe_index > OCFSX_XATTR_INDEX_MAX || vs > OCFSX_XATTR_VALUE_MAX || off < 16 ||
          end > size)
        return *why = "xattr entry " + B(i) + " is invalid", false;
      if (outside) {
        TreeWalk w = WalkTree(ino, base + name_end, OCFSX_XATTR_VALUE_ROOT_RECS, container, base_off + name_end);
        if (!w.error.empty()) return *why = "xattr value: " + w.error, false;
        leaves->insert(leaves->end(), w.leaves.begin(), w.leaves.end());
        blocks->insert(blocks->end(), w.blocks.begin(), w.blocks.end());
      }
    }
    return true;
  };
  uint32_t xs = Le16(in.raw().i_xattr_inline_size);
  if (xs && !area(in.body() + in.body_size(), xs, ino, bs_ - xs)) return false;
  uint64_t xb = Le64(in.raw().i_xattr_blkno);
  if (xb) {
    if (!sb_->has_feature_ro_compat(OCFSX_FEATURE_RO_COMPAT_XATTR)) return *why = "xattr block without the xattr feature", false;
    AlignedBuffer buf(bs_);
    if (xb >= geo_.blocks()) return *why = "xattr block " + B(xb) + " is outside the volume", false;
    Status st = io_->Read(xb, OCFSX_BT_XATTR, buf.data());
    if (!st.ok()) return *why = st.message(), false;
    if (Le64(reinterpret_cast<ocfsx_block_header*>(buf.data())->bh_owner) != ino)
      return *why = "xattr block " + B(xb) + " belongs to another inode", false;
    if (!area(buf.data() + OCFSX_XATTR_BLOCK_AREA_OFFSET, bs_ - OCFSX_XATTR_BLOCK_AREA_OFFSET, xb,
              OCFSX_XATTR_BLOCK_AREA_OFFSET))
      return false;
    blocks->push_back(xb);
  }
  return true;
}

void Checker::ClearInode(uint64_t ino, const std::string& why) {
  (void)why;
  auto it = inodes_.find(ino);
  if (it != inodes_.end()) it->second.cleared = true;
  for (Claim& c : claims_)
    if (c.ino == ino && c.kind == ClaimKind::kExtent) c.dropped = true;
  if (!writable()) return;
  AlignedBuffer buf(bs_);
  if (!io_->ReadRaw(ino, buf.data()).ok()) return;
  auto* r = reinterpret_cast<ocfsx_inode*>(buf.data());
  r->i_flags = Le32(Le32(r->i_flags) & ~(OCFSX_IFL_VALID | OCFSX_IFL_ORPHANED | OCFSX_IFL_TRUNCATE_PENDING));
  r->i_links = 0;
  r->i_dtime = Le64(Now());
  Status st = WriteMeta(ino, OCFSX_BT_INODE, buf.data());
  if (!st.ok()) Info("fsck.ocfsx: " + st.message());
}

void Checker::CheckInode(uint64_t blkno, Inode& in, bool bad_csum, int gi, uint32_t bit) {
  ocfsx_inode& r = in.raw();
  const std::string where = "inode " + B(blkno);
  bool dirty = false;
  std::string err;
  const uint32_t flags = Le32(r.i_flags);
  const uint16_t sys_type = Le16(r.i_sys_type), sys_slot = Le16(r.i_sys_slot);
  const bool sys = flags & OCFSX_IFL_SYSTEM;

  // System inodes have fixed shapes: fields that disagree with their system
  // type are put back rather than declared fatal.
  if (sys && sys_type != OCFSX_SYS_NONE && sys_type <= OCFSX_SYS_LAST && (sys_type == OCFSX_SYS_SYSTEM_DIR || ocfsx_sysfile_prefix(sys_type))) {
    const std::string w = "system inode " + B(blkno);
    if ((r.i_xattr_blkno || r.i_xattr_inline_size) && Problem(w + ": system inodes carry no extended attributes", false)) {
      r.i_xattr_blkno = 0;
      r.i_xattr_inline_size = 0;
      dirty = true;
    }
    uint8_t want_body = 0xff;
    uint16_t want_type = S_IFREG;
    switch (sys_type) {
      case OCFSX_SYS_GLOBAL_BITMAP:
      case OCFSX_SYS_GLOBAL_INODE_ALLOC:
      case OCFSX_SYS_INODE_ALLOC:
      case OCFSX_SYS_META_ALLOC: want_body = OCFSX_BODY_CHAINS; break;
      case OCFSX_SYS_LOCAL_ALLOC: want_body = OCFSX_BODY_LOCAL_ALLOC; break;
      case OCFSX_SYS_DEALLOC_LOG: want_body = OCFSX_BODY_DEALLOC_LOG; break;
      case OCFSX_SYS_JOURNAL:
      case OCFSX_SYS_SLOT_MAP:
      case OCFSX_SYS_HEARTBEAT: want_body = OCFSX_BODY_EXTENTS; break;
      default: want_type = S_IFDIR; break;
    }
    if ((Le16(r.i_mode) & S_IFMT) != want_type && Problem(w + ": mode " + Hex64(Le16(r.i_mode)) + " is not its system type's", false)) {
      r.i_mode = Le16(static_cast<uint16_t>(want_type | (want_type == S_IFDIR ? 0755 : 0644)));
      dirty = true;
    }
    if (want_body != 0xff && r.i_body_format != want_body && Problem(w + ": body format " + B(r.i_body_format) + " is not its system type's", false)) {
      r.i_body_format = want_body;
      dirty = true;
    }
  }
  const uint16_t mode = Le16(r.i_mode);
  const uint32_t xs = Le16(r.i_xattr_inline_size);
  if (sys != (sys_type != OCFSX_SYS_NONE)) {
    err = "system flag and system type " + B(sys_type) + " disagree";
  } else if (sys && (sys_type > OCFSX_SYS_LAST || !(sys_type == OCFSX_SYS_SYSTEM_DIR || ocfsx_sysfile_prefix(sys_type)))) {
    err = "unknown system type " + B(sys_type);
  } else if (sys && sys_type >= OCFSX_SYS_FIRST_PER_SLOT && sys_slot >= sb_->max_slots()) {
    err = "system slot " + B(sys_slot) + " is out of range";
  } else if (!BodyAllowed(mode, r.i_body_format, sys_type)) {
    char m[16];
    std::snprintf(m, sizeof(m), "0%o", mode);
    err = "mode " + std::string(m) + " and body format " + B(r.i_body_format) + " do not match";
  } else if (xs % 8 || OCFSX_INODE_BODY_OFFSET + xs + 16 > bs_) {
    err = "inline xattr area of " + B(xs) + " bytes does not fit";
  } else if (r.i_body_format == OCFSX_BODY_INLINE && !sb_->has_feature_incompat(OCFSX_FEATURE_INCOMPAT_INLINE_DATA)) {
    err = "inline data without the inline-data feature";
  }

  // Header: owner and allocator origin must name where we found it.
  const GroupState& g = groups_[gi];
  const AllocState& a = allocs_[g.alloc];
  if (err.empty()) {
    if (Le64(r.i_hdr.bh_owner) != blkno && Problem(where + ": owner field is " + B(Le64(r.i_hdr.bh_owner)), true)) {
      r.i_hdr.bh_owner = Le64(blkno);
      dirty = true;
    }
    if ((Le16(r.i_hdr.bh_alloc_slot) != a.slot || Le64(r.i_hdr.bh_alloc_group) != g.blkno || Le32(r.i_hdr.bh_alloc_bit) != bit) &&
        Problem(where + ": allocator origin does not match its place in " + a.name, true)) {
      r.i_hdr.bh_alloc_slot = Le16(a.slot);
      r.i_hdr.bh_alloc_group = Le64(g.blkno);
      r.i_hdr.bh_alloc_bit = Le32(bit);
      dirty = true;
    }
  }

  TreeWalk w;
  std::vector<LeafRef> xleaves;
  std::vector<uint64_t> xblocks;
  if (err.empty()) {
    switch (r.i_body_format) {
      case OCFSX_BODY_INLINE:
        if (in.size() > in.body_size()) {
          if (S_ISDIR(mode)) {
            // Pass 2 salvages the entries of an inline directory.
          } else if (Problem(where + ": inline size " + B(in.size()) + " exceeds the body (" + B(in.body_size()) + ")", false)) {
            r.i_size = Le64(in.body_size());
            dirty = true;
          }
        }
        if (Le64(r.i_clusters) != 0 && Problem(where + ": inline inode claims " + B(Le64(r.i_clusters)) + " clusters", true)) {
          r.i_clusters = 0;
          dirty = true;
        }
        break;
      case OCFSX_BODY_EXTENTS: {
        w = WalkTree(blkno, in.body(), ocfsx_inode_extent_recs(bs_, xs), blkno, OCFSX_INODE_BODY_OFFSET);
        if (!w.error.empty()) {
          err = w.error;
          break;
        }
        break;
      }
      case OCFSX_BODY_EMPTY:
        if (Le64(r.i_clusters) != 0 && Problem(where + ": inode without data claims " + B(Le64(r.i_clusters)) + " clusters", true)) {
          r.i_clusters = 0;
          dirty = true;
        }
        break;
      default:
        break;  // allocator bodies: checked with their allocators
    }
  }
  if (err.empty()) {
    std::string why;
    if (!CheckXattrs(blkno, in, &xleaves, &xblocks, &why)) {
      if (sys) {
        err = why;
      } else if (Problem(where + ": extended attributes are damaged (" + why + "); removing them", false)) {
        if (xs) std::memset(in.body() + in.body_size(), 0, xs);
        r.i_xattr_blkno = 0;
        dirty = true;
        xleaves.clear();
        xblocks.clear();
      } else {
        xleaves.clear();
        xblocks.clear();
      }
    }
  }
  // Metadata blocks must be unshared and inside a metadata allocator.
  std::vector<uint64_t> metas = w.blocks;
  metas.insert(metas.end(), xblocks.begin(), xblocks.end());
  if (err.empty()) {
    for (uint64_t m : metas) {
      std::string why;
      if (!ClaimMeta(blkno, m, OCFSX_BT_EXTENT, &why)) {
        err = why;
        break;
      }
    }
  }

  InodeState st;
  st.mode = mode;
  st.flags = flags;
  st.links = Le32(r.i_links);
  st.sys_type = sys_type;
  st.sys_slot = sys_slot;
  st.orphan_slot = Le16(r.i_orphan_slot);
  st.body = r.i_body_format;
  st.size = in.size();
  st.clusters = Le64(r.i_clusters);
  if (!err.empty()) {
    if (sys || blkno == Le64(sb_->raw().s_root_blkno)) {
      Unfixable("system inode " + B(blkno) + ": " + err);
      sys_damaged_ = true;
      inodes_[blkno] = st;  // kept (its blocks are not trusted)
    } else if (Problem(where + ": " + err + "; clearing the inode", false)) {
      st.cleared = true;
      inodes_[blkno] = st;
      ClearInode(blkno, err);
    } else {
      inodes_[blkno] = st;
    }
    return;
  }
  if (r.i_body_format == OCFSX_BODY_EXTENTS) {
    if (Le64(r.i_clusters) != w.clusters && Problem(where + ": i_clusters is " + B(Le64(r.i_clusters)) + ", extents hold " + B(w.clusters), true)) {
      r.i_clusters = Le64(w.clusters);
      st.clusters = w.clusters;
      dirty = true;
    }
    if (Le64(r.i_last_leaf) != w.last_leaf && Problem(where + ": last leaf is " + B(Le64(r.i_last_leaf)) + ", should be " + B(w.last_leaf), true)) {
      r.i_last_leaf = Le64(w.last_leaf);
      dirty = true;
    }
    for (auto& [leaf, next] : w.bad_links) {
      if (!Problem(where + ": extent leaf " + B(leaf) + " links to the wrong next leaf", true)) continue;
      AlignedBuffer buf(bs_);
      if (!io_->Read(leaf, OCFSX_BT_EXTENT, buf.data()).ok()) continue;
      reinterpret_cast<ocfsx_extent_block*>(buf.data())->eb_next_leaf = Le64(next);
      Status ws = WriteMeta(leaf, OCFSX_BT_EXTENT, buf.data());
      if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
    }
  }
  if (bad_csum && Problem(where + " passes checks but its checksum does not match", false)) dirty = true;
  inodes_[blkno] = st;
  std::vector<LeafRef> leaves = w.leaves;
  leaves.insert(leaves.end(), xleaves.begin(), xleaves.end());
  for (const LeafRef& l : leaves) {
    Claim c;
    c.start = l.start;
    c.len = l.clusters;
    c.ino = blkno;
    c.kind = ClaimKind::kExtent;
    c.ref = l;
    claims_.push_back(c);
    ClaimRange(claimed_, dup_, any_dup_, l.start, l.clusters);
  }
  for (uint64_t m : metas) {
    meta_owner_[m] = blkno;
    // The block's header should say which allocator bit it holds.
    auto gb = BlockToGroupBit(m);
    AlignedBuffer buf(bs_);
    if (!gb || !dev_->ReadBlocks(m, bs_, buf.data()).ok()) continue;
    auto* h = reinterpret_cast<ocfsx_block_header*>(buf.data());
    const GroupState& mg = groups_[std::get<0>(*gb)];
    uint16_t slot = allocs_[mg.alloc].slot;
    if (Le16(h->bh_alloc_slot) != slot || Le64(h->bh_alloc_group) != mg.blkno || Le32(h->bh_alloc_bit) != std::get<1>(*gb)) {
      if (Problem(std::string(BlockTypeName(Le16(h->bh_type))) + " " + B(m) + " of inode " + B(blkno) +
                      ": allocator origin does not match its place in " + allocs_[mg.alloc].name,
                  true)) {
        h->bh_alloc_slot = Le16(slot);
        h->bh_alloc_group = Le64(mg.blkno);
        h->bh_alloc_bit = Le32(std::get<1>(*gb));
        Status ws = WriteMeta(m, Le16(h->bh_type), buf.data());
        if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
      }
    }
  }
  if (dirty) {
    Status ws = WriteInode(in);
    if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
  }
}

void Checker::ScanInodes() {
  named_inodes_.clear();
  for (auto& [name, ino] : sysfiles_) named_inodes_.emplace(ino, name);
  named_inodes_[Le64(sb_->raw().s_system_dir_blkno)] = "system directory";
  named_inodes_[Le64(sb_->raw().s_root_blkno)] = "/";
  uint64_t total = 0, done = 0;
  for (const AllocState& a : allocs_)
    if (a.kind == AllocKind::kGlobalInode || a.kind == AllocKind::kSlotInode)
      for (size_t gi : a.groups) total += groups_[gi].bits;
  const uint32_t kBatch = 64;
  AlignedBuffer buf(size_t{kBatch} * bs_);
  for (size_t ai = 0; ai < allocs_.size(); ai++) {
    if (allocs_[ai].kind != AllocKind::kGlobalInode && allocs_[ai].kind != AllocKind::kSlotInode) continue;
    for (size_t gi : std::vector<size_t>(allocs_[ai].groups)) {
      uint32_t bit = 0;
      for (auto [first, n] : std::vector<std::pair<uint64_t, uint64_t>>(groups_[gi].runs)) {
        for (uint64_t i = 0; i < n; i += kBatch) {
          auto cnt = static_cast<uint32_t>(std::min<uint64_t>(kBatch, n - i));
          // Sparse image files: a hole reads as zeroes, which holds no
          // inode, so skip it without reading (block devices have no holes).
          if (!dev_->is_block_device()) {
            off_t at = static_cast<off_t>((first + i) * bs_);
            off_t data = ::lseek(dev_->fd(), at, SEEK_DATA);
            if ((data < 0 && errno == ENXIO) || (data >= 0 && data >= at + static_cast<off_t>(uint64_t{cnt} * bs_))) {
              bit += cnt;
              done += cnt;
              Progress(1, done, total);
              continue;
            }
          }
          if (!dev_->ReadBlocks(first + i, bs_, buf.data(), cnt).ok()) {
            bit += cnt;
            continue;
          }
          for (uint32_t k = 0; k < cnt; k++, bit++) {
            const uint64_t blkno = first + i + k;
            const uint8_t* p = buf.data() + size_t{k} * bs_;
            auto* h = reinterpret_cast<const ocfsx_block_header*>(p);
            const bool valid = Le32(reinterpret_cast<const ocfsx_inode*>(p)->i_flags) & OCFSX_IFL_VALID;
            bool header_ok = Le32(h->bh_magic) == OCFSX_META_MAGIC && Le16(h->bh_type) == OCFSX_BT_INODE &&
                             Le64(h->bh_blkno) == blkno && Le32(h->bh_fs_generation) == io_->fs_generation();
            if (blkno == groups_[gi].blkno || inodes_.count(blkno)) continue;
            auto named = named_inodes_.find(blkno);
            if ((!header_ok || !valid) && named == named_inodes_.end()) continue;
            Inode in = Inode::New(*io_, blkno, {}, 0, OCFSX_BODY_EMPTY);
            std::memcpy(&in.raw(), p, bs_);
            bool bad_csum = !VerifyBlock(p, OCFSX_BT_INODE, bs_, blkno, io_->fs_generation()).ok();
            if (!header_ok || !valid) {
              // The superblock or the system directory names this block as
              // an inode: restore its identity if the rest still fits.
              ocfsx_inode& r = in.raw();
              const std::string& want = named->second;
              char name[32];
              bool fits = want == "/" ? S_ISDIR(Le16(r.i_mode)) && !(Le32(r.i_flags) & OCFSX_IFL_SYSTEM)
                                      : ocfsx_sysfile_name(name, sizeof(name), Le16(r.i_sys_type), Le16(r.i_sys_slot)) >= 0 &&
                                            (want == name || (want == "system directory" && Le16(r.i_sys_type) == OCFSX_SYS_SYSTEM_DIR));
              if (want == "system directory" && Le16(r.i_sys_type) == OCFSX_SYS_SYSTEM_DIR) fits = true;
              if (!fits) continue;
              bool fix = restored_.count(blkno) ? writable() : Problem("inode " + B(blkno) + " (" + want + ") has a damaged header; restoring it", false);
              restored_.insert(blkno);
              r.i_hdr.bh_magic = Le32(OCFSX_META_MAGIC);
              r.i_hdr.bh_type = Le16(OCFSX_BT_INODE);
              r.i_hdr.bh_blkno = Le64(blkno);
              r.i_hdr.bh_fs_generation = Le32(io_->fs_generation());
              r.i_flags = Le32(Le32(r.i_flags) | OCFSX_IFL_VALID);
              bad_csum = false;
              if (fix) {
                Status ws = WriteInode(in);
                if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
              }
            }
            CheckInode(blkno, in, bad_csum, static_cast<int>(gi), bit);
          }
          done += cnt;
          Progress(1, done, total);
        }
      }
    }
  }
  Progress(1, total, total);
}

// ---------------------------------------------------------------------------
// Slot map and heartbeat area

void Checker::CheckSlotMap() {
  auto it = sysfiles_.find("slot_map");
  if (it == sysfiles_.end() || !Ino(it->second)) return;
  auto in = Inode::Read(*io_, it->second);
  if (!in.ok() || in->body_format() != OCFSX_BODY_EXTENTS) return;
  TreeWalk w = WalkTree(in->blkno(), in->body(), ocfsx_inode_extent_recs(bs_, Le16(in->raw().i_xattr_inline_size)),
                        in->blkno(), OCFSX_INODE_BODY_OFFSET);
  if (!w.error.empty()) return;
  std::vector<ocfsx_extent> ext;
  for (const LeafRef& l : w.leaves) ext.push_back({l.start, l.lcluster, l.clusters, 0, 0, 0});
  const uint32_t per = ocfsx_slots_per_block(bs_), slots = sb_->max_slots();
  const uint32_t nblocks = ocfsx_slot_map_blocks(bs_, slots);
  std::set<uint32_t> nodes;
  AlignedBuffer buf(bs_);
  for (uint32_t i = 0; i < nblocks; i++) {
    uint64_t b = MapBlockInExtents(ext, geo_, i);
    if (b == 0 || b >= geo_.blocks()) {
      Unfixable("slot map block " + B(i) + " is not mapped");
      continue;
    }
    bool dirty = false;
    const uint32_t count = std::min(per, slots - i * per);
    Status st = io_->Read(b, OCFSX_BT_SLOT_MAP, buf.data());
    auto* sm = reinterpret_cast<ocfsx_slot_map_block*>(buf.data());
    auto* ents = reinterpret_cast<ocfsx_slot_entry*>(buf.data() + OCFSX_SLOT_MAP_ENTRIES_OFFSET);
    if (!st.ok()) {
      if (!Problem("slot map block " + B(b) + " is damaged (" + st.message() + "); marking its slots free", false)) continue;
      buf.Zero();
      InitBlockHeader(buf.data(), OCFSX_BT_SLOT_MAP, bs_, b, in->blkno(), io_->fs_generation());
      sm->sm_first_slot = Le16(static_cast<uint16_t>(i * per));
      sm->sm_count = Le16(static_cast<uint16_t>(count));
      for (uint32_t e = 0; e < count; e++) ents[e].se_node = Le32(OCFSX_NODE_NONE);
      dirty = true;
    }
    if ((Le16(sm->sm_first_slot) != i * per || Le16(sm->sm_count) != count || Le64(sm->sm_hdr.bh_owner) != in->blkno()) &&
        Problem("slot map block " + B(b) + " has a wrong header", true)) {
      sm->sm_first_slot = Le16(static_cast<uint16_t>(i * per));
      sm->sm_count = Le16(static_cast<uint16_t>(count));
      sm->sm_hdr.bh_owner = Le64(in->blkno());
      dirty = true;
    }
    for (uint32_t e = 0; e < count; e++) {
      uint32_t node = Le32(ents[e].se_node);
      if (node == OCFSX_NODE_NONE) continue;
      std::string why;
      if (node >= OCFSX_MAX_NODES) why = "node " + B(node) + " is out of range";
      else if (!nodes.insert(node).second) why = "node " + B(node) + " already holds another slot";
      if (!why.empty() && Problem("slot " + B(i * per + e) + " in the slot map: " + why + "; freeing the slot", true)) {
        ents[e].se_node = Le32(OCFSX_NODE_NONE);
        ents[e].se_flags = 0;
        dirty = true;
      }
    }
    if (dirty) {
      Status ws = WriteMeta(b, OCFSX_BT_SLOT_MAP, buf.data());
      if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
    }
  }
}

void Checker::CheckHeartbeatArea() {
  if (sb_->has_feature_incompat(OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT)) return;
  auto it = sysfiles_.find("heartbeat");
  if (it == sysfiles_.end() || !Ino(it->second)) return;
  auto in = Inode::Read(*io_, it->second);
  if (!in.ok() || in->body_format() != OCFSX_BODY_EXTENTS) return;
  const uint64_t hb = Le64(sb_->raw().s_hb_blkno);
  TreeWalk w = WalkTree(in->blkno(), in->body(), ocfsx_inode_extent_recs(bs_, Le16(in->raw().i_xattr_inline_size)),
                        in->blkno(), OCFSX_INODE_BODY_OFFSET);
  if (!w.error.empty()) return;
  if (w.leaves.size() != 1 || geo_.ClusterToBlock(w.leaves[0].start) != hb ||
      geo_.ClusterToBlock(w.leaves[0].clusters) < OCFSX_MAX_NODES) {
    Unfixable("the heartbeat inode does not map the superblock's heartbeat area at block " + B(hb));
    return;
  }
  if (Le32(sb_->raw().s_cluster.ci_flags) & OCFSX_CLUSTER_F_GLOBAL_HB) return;
  AlignedBuffer area(size_t{OCFSX_MAX_NODES} * bs_);
  if (!dev_->ReadBlocks(hb, bs_, area.data(), OCFSX_MAX_NODES).ok()) return;
  for (uint32_t n = 0; n < OCFSX_MAX_NODES; n++) {
    uint8_t* b = area.data() + size_t{n} * bs_;
    Status st = VerifyBlock(b, OCFSX_BT_HEARTBEAT, bs_, hb + n, io_->fs_generation());
    auto* h = reinterpret_cast<ocfsx_heartbeat_block*>(b);
    if (st.ok() && Le32(h->hb_node) == n && Le64(h->hb_hdr.bh_owner) == in->blkno()) continue;
    if (!Problem("heartbeat block of node " + B(n) + " (block " + B(hb + n) + ") is damaged" +
                     (st.ok() ? "" : " (" + st.message() + ")"),
                 true))
      continue;
    std::memset(b, 0, bs_);
    InitBlockHeader(b, OCFSX_BT_HEARTBEAT, bs_, hb + n, in->blkno(), io_->fs_generation());
    h->hb_node = Le32(n);
    h->hb_slot = Le16(OCFSX_SLOT_NONE);
    h->hb_flags = Le32(OCFSX_HB_F_STOPPED);
    Status ws = WriteMeta(hb + n, OCFSX_BT_HEARTBEAT, b);
    if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
  }
}

// ---------------------------------------------------------------------------
// Doubly-allocated clusters (pass 1B)

bool Checker::CloneExtent(Claim& c) {
  // First fit for a run the check found entirely unused.
  uint64_t run = 0, at = 0;
  for (uint64_t x = 1; x < geo_.clusters && run < c.len; x++) {
    bool in_window = false;
    for (const Window& w : windows_) in_window |= x >= w.start && x < w.start + w.bits;
    if (claimed_.Test(x) || in_window) {
      run = 0;
      continue;
    }
    if (run == 0) at = x;
    run++;
  }
  if (run < c.len) return false;
  std::vector<uint8_t> data(geo_.cluster_size());
  for (uint64_t i = 0; i < c.len; i++) {
    if (!dev_->ReadAt((c.start + i) << geo_.cbits, data.data(), data.size()).ok()) std::fill(data.begin(), data.end(), 0);
    if (!dev_->WriteAt((at + i) << geo_.cbits, data.data(), data.size()).ok()) return false;
  }
  AlignedBuffer buf(bs_);
  if (!io_->ReadRaw(c.ref.container, buf.data()).ok()) return false;
  auto* rec = reinterpret_cast<ocfsx_extent*>(buf.data() + c.ref.rec_off);
  if (Le64(rec->ex_start) != c.start) return false;
  rec->ex_start = Le64(at);
  uint16_t type = Le16(reinterpret_cast<ocfsx_block_header*>(buf.data())->bh_type);
  if (!WriteMeta(c.ref.container, type, buf.data()).ok()) return false;
  claimed_.SetRange(at, c.len);
  c.start = at;
  c.ref.start = at;
  return true;
}

void Checker::ResolveDuplicates() {
  Info("Pass 1B: Resolving doubly-allocated clusters");
  BitSet owned;
  owned.Resize(geo_.clusters);
  auto movable = [&](const Claim& c) {
    if (c.kind != ClaimKind::kExtent) return false;
    auto it = inodes_.find(c.ino);
    return it != inodes_.end() && !it->second.is_system();
  };
  auto owner_of = [&](const Claim& self, uint64_t cl) -> std::string {
    for (const Claim& o : claims_) {
      if (&o == &self || o.dropped || cl < o.start || cl >= o.start + o.len) continue;
      if (o.kind == ClaimKind::kFixed) return "fixed metadata";
      if (o.kind == ClaimKind::kSubGroup) return "allocator group of inode " + B(o.ino);
      return "inode " + B(o.ino);
    }
    return "another owner";
  };
  // Unmovable claims keep their clusters; file data moves out of their way,
  // and dealloc-log records (pending frees) give way to everything.
  auto round_of = [&](const Claim& c) { return c.kind == ClaimKind::kDealloc ? 2 : movable(c) ? 1 : 0; };
  for (int round = 0; round < 3; round++) {
    for (Claim& c : claims_) {
      if (c.dropped || round_of(c) != round) continue;
      if (c.kind == ClaimKind::kExtent && !Ino(c.ino)) continue;  // owner cleared
      uint64_t conflict = UINT64_MAX;
      for (uint64_t x = c.start; x < c.start + c.len; x++)
        if (dup_.Test(x) && owned.Test(x)) {
          conflict = x;
          break;
        }
      if (conflict == UINT64_MAX) {
        owned.SetRange(c.start, c.len);
        continue;
      }
      std::string other = owner_of(c, conflict);
      if (round == 1) {
        if (Problem("inode " + B(c.ino) + ": clusters " + Range(c.start, c.start + c.len - 1) + " are also used by " + other +
                        " (doubly allocated); cloning them",
                    false)) {
          if (!CloneExtent(c)) {
            Info("no free space to clone; clearing inode " + B(c.ino));
            ClearInode(c.ino, "doubly allocated");
            continue;
          }
        }
        owned.SetRange(c.start, c.len);
      } else if (round == 2) {
        c.dropped = true;
      } else {
        Unfixable(std::string(c.kind == ClaimKind::kSubGroup ? "allocator group" : "system inode " + B(c.ino)) +
                  " clusters " + Range(c.start, c.start + c.len - 1) + " are also used by " + other);
        owned.SetRange(c.start, c.len);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Pass 1

void Checker::Pass1() {
  PassHeader(1, "Checking allocators, inodes and extent trees");
  hard_.Resize(geo_.clusters);
  ClaimFixed();
  LoadGlobalBitmap();
  LoadSuballocator(AllocKind::kGlobalInode, OCFSX_SLOT_GLOBAL, "global_inode_alloc");
  for (uint32_t s = 0; s < sb_->max_slots(); s++) {
    char name[32];
    ocfsx_sysfile_name(name, sizeof(name), OCFSX_SYS_INODE_ALLOC, s);
    LoadSuballocator(AllocKind::kSlotInode, static_cast<uint16_t>(s), name);
    ocfsx_sysfile_name(name, sizeof(name), OCFSX_SYS_META_ALLOC, s);
    LoadSuballocator(AllocKind::kSlotMeta, static_cast<uint16_t>(s), name);
  }
  ScanInodes();
  for (uint64_t must : {Le64(sb_->raw().s_root_blkno), Le64(sb_->raw().s_system_dir_blkno)})
    if (!Ino(must) && (tree_broken_ = sys_damaged_ = true)) Unfixable(std::string(must == Le64(sb_->raw().s_root_blkno) ? "root" : "system") + " directory inode " + B(must) + " is not in use");
  CheckLocalAllocs();
  CheckDeallocLogs();
  CheckSlotMap();
  CheckHeartbeatArea();
  if (any_dup_) ResolveDuplicates();
}

// ---------------------------------------------------------------------------
// Pass 5

void Checker::CheckGroupBitmaps(AllocState& a, const std::function<bool(GroupState&, uint32_t)>& expect_fn,
                                const std::map<size_t, std::vector<uint8_t>>* want_bits) {
  // Per group: the expected bitmap when precomputed, else ask expect_fn.
  auto wanted = [&](size_t gi) -> const uint8_t* {
    if (!want_bits) return nullptr;
    auto it = want_bits->find(gi);
    return it == want_bits->end() ? nullptr : it->second.data();
  };
  auto expect = [&](GroupState& g, const uint8_t* wv, uint32_t b) { return wv ? bitmap::Test(wv, b) : expect_fn(g, b); };
  const bool global = a.kind == AllocKind::kGlobalBitmap;
  const char* unit = global ? "cluster" : "block";
  std::vector<std::pair<uint64_t, uint64_t>> extra, missing;  // ranges (unit numbers)
  auto add = [](std::vector<std::pair<uint64_t, uint64_t>>& v, uint64_t x) {
    if (!v.empty() && v.back().second + 1 == x)
      v.back().second = x;
    else
      v.emplace_back(x, x);
  };
  for (size_t gi : a.groups) {
    GroupState& g = groups_[gi];
    if (g.rebuilt) continue;
    uint8_t* map = g.bitmap();
    const uint8_t* wv = wanted(gi);
    for (uint32_t b = 0; b < g.bits; b++) {
      bool want = expect(g, wv, b), have = bitmap::Test(map, b);
      if (want == have) continue;
      uint64_t x = global ? g.first_cluster + b : GroupBitToBlock(g, b);
      add(want ? missing : extra, x);
    }
  }
  auto describe = [&](const std::vector<std::pair<uint64_t, uint64_t>>& v, const char* what) {
    std::string s;
    uint64_t n = 0;
    for (size_t i = 0; i < v.size(); i++) {
      n += v[i].second - v[i].first + 1;
      if (i < 8) s += (i ? ", " : "") + Range(v[i].first, v[i].second);
    }
    if (v.size() > 8) s += ", ...";
    return a.name + ": " + B(n) + " " + unit + (n == 1 ? " " : "s ") + s + (n == 1 ? " is " : " are ") + what;
  };
  // With a damaged system inode, "unused" may be its blocks: keep them.
  if (sys_damaged_ && !extra.empty()) {
    Info(a.name + ": not freeing " + B(extra.size()) + " range(s) while a system inode is damaged");
    extra.clear();
  }
  bool fix_extra = !extra.empty() && Problem(describe(extra, "marked in use but unused"), true);
  bool fix_missing = !missing.empty() && Problem(describe(missing, "in use but marked free"), true);
  for (size_t gi : a.groups) {
    GroupState& g = groups_[gi];
    uint8_t* map = g.bitmap();
    bool rewrite = g.rebuilt ? writable() : false;
    const uint8_t* wv = wanted(gi);
    for (uint32_t b = 0; b < g.bits; b++) {
      bool want = expect(g, wv, b), have = bitmap::Test(map, b);
      if (want == have) continue;
      if (!want && sys_damaged_) continue;
      if (g.rebuilt || (want ? fix_missing : fix_extra)) {
        want ? bitmap::Set(map, b) : bitmap::Clear(map, b);
        rewrite = true;
      }
    }
    if (rewrite) g.dirty = true;
    const ocfsx_group_desc* gd = g.gd();
    auto free = static_cast<uint32_t>(g.bits - bitmap::CountSet(map, g.bits));
    auto contig = static_cast<uint32_t>(bitmap::LongestClearRun(map, g.bits));
    if (Le32(gd->gd_free) != free || Le32(gd->gd_contig_free) != contig) {
      if (rewrite || Problem(a.name + ": group descriptor " + B(g.blkno) + " counts " + B(Le32(gd->gd_free)) + " free (longest run " +
                                 B(Le32(gd->gd_contig_free)) + "), bitmap has " + B(free) + " (" + B(contig) + ")",
                             true)) {
        g.gd()->gd_free = Le32(free);
        g.gd()->gd_contig_free = Le32(contig);
        g.dirty = true;
      }
    }
  }
  // Chain entries and the table are sums over the groups.
  if (!a.inode) return;
  auto* ct = reinterpret_cast<ocfsx_chain_table*>(a.inode->body());
  auto* ce = reinterpret_cast<ocfsx_chain_entry*>(a.inode->body() + sizeof(ocfsx_chain_table));
  // A declined repair may have left ct_used beyond what the body holds.
  const uint32_t used = std::min<uint32_t>(Le16(ct->ct_used), ocfsx_chain_entries(bs_, Le16(a.inode->raw().i_xattr_inline_size)));
  std::vector<uint64_t> cfree(used), ctotal(used);
  uint64_t tfree = 0, ttotal = 0, tclusters = 0;
  for (size_t gi : a.groups) {
    GroupState& g = groups_[gi];
    uint32_t c = Le16(g.gd()->gd_chain);
    uint64_t f = Le32(g.gd()->gd_free);
    if (c < used) cfree[c] += f, ctotal[c] += g.bits;
    tfree += f;
    ttotal += g.bits;
    tclusters += global ? g.bits : g.bits / std::max<uint32_t>(1, Le16(ct->ct_bpc));
  }
  for (uint32_t c = 0; c < used; c++) {
    if (Le64(ce[c].ce_free) == cfree[c] && Le64(ce[c].ce_total) == ctotal[c]) continue;
    if (Problem(a.name + ": chain " + B(c) + " counts " + B(Le64(ce[c].ce_free)) + "/" + B(Le64(ce[c].ce_total)) +
                    " free/total, its groups hold " + B(cfree[c]) + "/" + B(ctotal[c]),
                true)) {
      ce[c].ce_free = Le64(cfree[c]);
      ce[c].ce_total = Le64(ctotal[c]);
      a.inode_dirty = true;
    }
  }
  if ((Le64(ct->ct_free_bits) != tfree || Le64(ct->ct_total_bits) != ttotal) &&
      Problem(a.name + ": counts " + B(Le64(ct->ct_free_bits)) + "/" + B(Le64(ct->ct_total_bits)) +
                  " free/total, its groups hold " + B(tfree) + "/" + B(ttotal),
              true)) {
    ct->ct_free_bits = Le64(tfree);
    ct->ct_total_bits = Le64(ttotal);
    a.inode_dirty = true;
  }
  if (!global && (Le64(a.inode->raw().i_clusters) != tclusters || a.inode->size() != (tclusters << geo_.cbits)) &&
      Problem(a.name + ": size says " + B(Le64(a.inode->raw().i_clusters)) + " clusters, its groups hold " + B(tclusters), true)) {
    a.inode->raw().i_clusters = Le64(tclusters);
    a.inode->raw().i_size = Le64(tclusters << geo_.cbits);
    a.inode_dirty = true;
  }
  for (size_t gi : a.groups) {
    GroupState& g = groups_[gi];
    if (!g.dirty) continue;
    Status st = WriteMeta(g.blkno, OCFSX_BT_GROUP, g.buf.data());
    if (!st.ok()) Info("fsck.ocfsx: " + st.message());
    g.dirty = false;
  }
  if (a.inode_dirty) {
    // Reread the inode's other fields (pass 4 may have changed them) and
    // write only the chain body and sizes on top.
    auto fresh = Inode::Read(*io_, a.ino);
    if (fresh.ok()) {
      std::memcpy(fresh->body(), a.inode->body(), fresh->body_size());
      fresh->raw().i_clusters = a.inode->raw().i_clusters;
      fresh->raw().i_size = a.inode->raw().i_size;
      Status st = WriteInode(*fresh);
      if (!st.ok()) Info("fsck.ocfsx: " + st.message());
    } else {
      Status st = WriteInode(*a.inode);
      if (!st.ok()) Info("fsck.ocfsx: " + st.message());
    }
    a.inode_dirty = false;
  }
}

void Checker::CheckWindows() {
  for (const Window& w : windows_) {
    std::vector<uint8_t> want((w.bits + 7) / 8, 0);
    for (const Claim& c : claims_) {
      if (c.dropped || c.kind != ClaimKind::kExtent || !Ino(c.ino)) continue;
      uint64_t lo = std::max(c.start, w.start), hi = std::min(c.start + c.len, w.start + w.bits);
      for (uint64_t x = lo; x < hi; x++) bitmap::Set(want.data(), x - w.start);
    }
    auto in = Inode::Read(*io_, w.ino);
    if (!in.ok()) continue;
    auto* la = reinterpret_cast<ocfsx_local_alloc*>(in->body());
    uint8_t* map = in->body() + sizeof(ocfsx_local_alloc);
    uint64_t used = bitmap::CountSet(want.data(), w.bits);
    bool same = Le32(la->la_used) == used;
    for (uint64_t b = 0; b < w.bits && same; b++) same = bitmap::Test(map, b) == bitmap::Test(want.data(), b);
    if (same) continue;
    if (Problem("local alloc of slot " + B(w.slot) + ": window bitmap does not match the files in it", true)) {
      for (uint64_t b = 0; b < w.bits; b++) bitmap::Test(want.data(), b) ? bitmap::Set(map, b) : bitmap::Clear(map, b);
      la->la_used = Le32(static_cast<uint32_t>(used));
      Status st = WriteInode(*in);
      if (!st.ok()) Info("fsck.ocfsx: " + st.message());
    }
  }
}

void Checker::Pass5() {
  PassHeader(5, "Checking allocator bitmaps and counts");
  BitSet exp;
  exp.Resize(geo_.clusters);
  for (const Claim& c : claims_) {
    if (c.dropped) continue;
    if (c.kind == ClaimKind::kExtent && !Ino(c.ino)) continue;
    exp.SetRange(c.start, c.len);
  }
  for (const Window& w : windows_) exp.SetRange(w.start, w.bits);
  uint64_t total = allocs_.size(), done = 0;
  for (AllocState& a : allocs_) {
    if (!a.usable) continue;
    if (a.kind == AllocKind::kGlobalBitmap) {
      CheckGroupBitmaps(a, [&](GroupState& g, uint32_t b) { return exp.Test(g.first_cluster + b); });
    } else {
      // Expected bits from what is in use (cheaper than asking per bit).
      std::map<size_t, std::vector<uint8_t>> want;
      for (size_t gi : a.groups) {
        auto& v = want[gi];
        v.assign((groups_[gi].bits + 7) / 8, 0);
        if (auto gb = BlockToGroupBit(groups_[gi].blkno); gb && std::get<0>(*gb) == gi) bitmap::Set(v.data(), std::get<1>(*gb));
      }
      auto mark = [&](uint64_t blk) {
        auto gb = BlockToGroupBit(blk);
        if (!gb) return;
        auto it = want.find(std::get<0>(*gb));
        if (it != want.end()) bitmap::Set(it->second.data(), std::get<1>(*gb));
      };
      for (auto& [ino, st] : inodes_)
        if (!st.cleared) mark(ino);
      for (auto& [blk, owner] : meta_owner_)
        if (owner == 0 || Ino(owner)) mark(blk);
      for (uint64_t blk : handed_out_) mark(blk);
      CheckGroupBitmaps(a, [&](GroupState&, uint32_t) { return false; }, &want);
    }
    Progress(5, ++done, total);
  }
  CheckWindows();
}

}  // namespace ocfsx::check
