// fsck.ocfsx passes 2-4: directory entries and hash indexes, connectivity
// (lost+found), orphans and link counts; plus the space source repairs use.
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "check_internal.h"
#include "ocfsx/bitmap.h"
#include "ocfsx/endian.h"
#include "ocfsx/status.h"

namespace ocfsx::check {
namespace {

std::string B(uint64_t v) { return std::to_string(v); }

uint8_t FileType(uint16_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return OCFSX_FT_REG;
    case S_IFDIR: return OCFSX_FT_DIR;
    case S_IFCHR: return OCFSX_FT_CHRDEV;
    case S_IFBLK: return OCFSX_FT_BLKDEV;
    case S_IFIFO: return OCFSX_FT_FIFO;
    case S_IFSOCK: return OCFSX_FT_SOCK;
    case S_IFLNK: return OCFSX_FT_SYMLINK;
    default: return OCFSX_FT_UNKNOWN;
  }
}

ocfsx_dir_entry* At(uint8_t* p, uint32_t off) { return reinterpret_cast<ocfsx_dir_entry*>(p + off); }

uint32_t UsedLen(const ocfsx_dir_entry* de) { return de->de_ino ? ocfsx_dir_rec_len(de->de_name_len) : 0; }

// A record that may be walked over: fits, aligned, big enough for its name.
bool RecordOk(const uint8_t* p, uint32_t len, uint32_t off) {
  if (len - off < OCFSX_DIRENT_NAME_OFFSET) return false;
  auto* de = reinterpret_cast<const ocfsx_dir_entry*>(p + off);
  uint32_t rl = Le16(de->de_rec_len);
  if (rl < OCFSX_DIRENT_NAME_OFFSET || rl % OCFSX_DIR_ALIGN || rl > len - off) return false;
  if (de->de_ino && (de->de_name_len == 0 || ocfsx_dir_rec_len(de->de_name_len) > rl)) return false;
  return true;
}

// Recomputes the trailer's counts; stops at a damaged record (only a
// declined repair leaves one behind).
void Refresh(uint8_t* p, uint32_t len, ocfsx_dir_trailer* t) {
  uint32_t best = 0, live = 0;
  for (uint32_t off = 0; off < len && RecordOk(p, len, off);) {
    auto* de = At(p, off);
    uint32_t rl = Le16(de->de_rec_len);
    best = std::max(best, rl - UsedLen(de));
    live += de->de_ino != 0;
    off += rl;
  }
  t->dt_largest_free = Le16(static_cast<uint16_t>(best));
  t->dt_live = Le16(static_cast<uint16_t>(live));
}

ocfsx_dir_trailer* Trailer(uint8_t* block, uint32_t bs) {
  return reinterpret_cast<ocfsx_dir_trailer*>(block + bs - OCFSX_DIR_TRAILER_SIZE);
}

}  // namespace

// ---------------------------------------------------------------------------
// Space for repairs

std::optional<uint64_t> Checker::FindFreeCluster() {
  for (uint64_t x = 1; x < geo_.clusters; x++) {
    if (claimed_.Test(x)) continue;
    bool in_window = false;
    for (const Window& w : windows_) in_window |= x >= w.start && x < w.start + w.bits;
    if (!in_window) return x;
  }
  return std::nullopt;
}

std::optional<AllocatedBlock> Checker::FindFreeBlock(bool want_inode) {
  // Inodes from inode allocators; metadata from the slots' meta allocators,
  // then global_inode_alloc (which mkfs also uses for metadata).
  for (int pass = 0; pass < 2; pass++) {
    for (const AllocState& a : allocs_) {
      if (!a.usable) continue;
      bool ok = want_inode ? a.kind == AllocKind::kGlobalInode || (pass == 1 && a.kind == AllocKind::kSlotInode)
                           : (pass == 0 ? a.kind == AllocKind::kSlotMeta : a.kind == AllocKind::kGlobalInode);
      if (!ok) continue;
      for (size_t gi : a.groups) {
        GroupState& g = groups_[gi];
        if (g.rebuilt) continue;
        for (uint32_t b = 0; b < g.bits; b++) {
          // Blocks still marked in use on disk are left alone: they may be
          // leftovers some repair has yet to look at.
          if (bitmap::Test(g.bitmap(), b)) continue;
          uint64_t blk = GroupBitToBlock(g, b);
          if (blk == 0 || blk == g.blkno || BlockUsed(blk) || inodes_.count(blk) || meta_owner_.count(blk)) continue;
          handed_out_.insert(blk);
          AllocatedBlock out;
          out.blkno = blk;
          out.origin.slot = a.slot;
          out.origin.group = g.blkno;
          out.origin.bit = b;
          return out;
        }
      }
    }
  }
  return std::nullopt;
}

Result<ClusterRun> CheckSpace::AllocClusters(uint32_t want) {
  (void)want;
  auto c = c_->FindFreeCluster();
  if (!c) return ErrnoStatus(ENOSPC, "no free cluster for the repair");
  c_->AddExtentClaim(owner_, *c, 1);
  return ClusterRun{*c, 1};
}

Result<AllocatedBlock> CheckSpace::AllocMetaBlock() {
  auto b = c_->FindFreeBlock(false);
  if (!b) return ErrnoStatus(ENOSPC, "no free metadata block for the repair");
  c_->AddMetaClaim(owner_, b->blkno);
  return *b;
}

// ---------------------------------------------------------------------------
// Pass 2

void Checker::CheckDir(uint64_t ino) {
  auto self = inodes_.find(ino);
  if (self == inodes_.end() || self->second.cleared) return;
  bool bad_csum = false;
  auto rin = ReadInodeRaw(ino, &bad_csum);
  if (!rin.ok()) return;
  Inode in = std::move(rin).value();
  const DirContext ctx = dir_ctx();
  const std::string where = "directory " + B(ino);
  const bool is_sysdir = ino == sysdir_;
  const bool is_orphan_dir = self->second.sys_type == OCFSX_SYS_ORPHAN_DIR;
  if (is_orphan_dir) orphan_dirs_.insert(ino);
  DirInfo& info = dirs_[ino];
  bool inode_dirty = false;

  struct Blk {
    uint64_t blkno = 0;  // 0: inline
    AlignedBuffer buf;
    uint8_t* p = nullptr;
    uint32_t len = 0;
    bool dirty = false;
    bool csum_bad = false;
    bool damaged = false;  // a bad record was left in place (-n)
  };
  std::vector<Blk> blocks;
  uint64_t nblocks = 0;
  if (in.body_format() == OCFSX_BODY_INLINE) {
    uint64_t len = in.size();
    if (len % OCFSX_DIR_ALIGN || len < OCFSX_DIRENT_NAME_OFFSET || len > in.body_size()) {
      if (Problem(where + ": inline size " + B(len) + " is invalid", false)) {
        in.raw().i_size = Le64(in.body_size());
        inode_dirty = true;
      } else {
        return;
      }
    }
    Blk b;
    b.p = in.body();
    b.len = static_cast<uint32_t>(in.size());
    blocks.push_back(std::move(b));
  } else {
    if (in.size() % bs_) {
      if (!Problem(where + ": size " + B(in.size()) + " is not a whole number of blocks", false)) return;
      in.raw().i_size = Le64(in.size() / bs_ * bs_);
      inode_dirty = true;
    }
    TreeWalk w = WalkTree(ino, in.body(), ocfsx_inode_extent_recs(bs_, Le16(in.raw().i_xattr_inline_size)), ino,
                          OCFSX_INODE_BODY_OFFSET);
    if (!w.error.empty()) return;  // pass 1 reported it
    std::vector<ocfsx_extent> ext;
    for (const LeafRef& l : w.leaves) ext.push_back({l.start, l.lcluster, l.clusters, 0, 0, 0});
    nblocks = in.size() / bs_;
    for (uint64_t lb = 0; lb < nblocks; lb++) {
      uint64_t pb = MapBlockInExtents(ext, geo_, lb);
      if (pb == 0 || pb >= geo_.blocks()) {
        if (!Problem(where + " has a hole at block " + B(lb) + "; truncating it there", false)) return;
        in.raw().i_size = Le64(lb * bs_);
        inode_dirty = true;
        nblocks = lb;
        break;
      }
      Blk b;
      b.blkno = pb;
      b.buf = AlignedBuffer(bs_);
      b.len = ocfsx_dirent_area(bs_);
      if (!dev_->ReadBlocks(pb, bs_, b.buf.data()).ok()) return;
      b.p = b.buf.data();
      Status st = VerifyBlock(b.buf.data(), OCFSX_BT_DIRBLOCK, bs_, pb, io_->fs_generation());
      ocfsx_dir_trailer* t = Trailer(b.buf.data(), bs_);
      if (!st.ok()) {
        bool csum_only = Le32(t->dt_hdr.bh_magic) == OCFSX_META_MAGIC && Le16(t->dt_hdr.bh_type) == OCFSX_BT_DIRBLOCK &&
                         Le64(t->dt_hdr.bh_blkno) == pb && Le32(t->dt_hdr.bh_fs_generation) == io_->fs_generation();
        if (csum_only) {
          b.csum_bad = true;
        } else if (Problem(where + ": block " + B(pb) + " is not a valid dirent block (" + st.message() + "); emptying it",
                           false)) {
          b.buf.Zero();
          InitBlockHeader(b.buf.data(), OCFSX_BT_DIRBLOCK, bs_, pb, ino, io_->fs_generation());
          At(b.p, 0)->de_rec_len = Le16(static_cast<uint16_t>(b.len));
          b.dirty = true;
        } else {
          continue;
        }
      }
      if (Le64(t->dt_hdr.bh_owner) != ino && Problem(where + ": dirent block " + B(pb) + " names owner " + B(Le64(t->dt_hdr.bh_owner)), true)) {
        t->dt_hdr.bh_owner = Le64(ino);
        b.dirty = true;
      }
      blocks.push_back(std::move(b));
    }
  }

  // Entries.
  std::set<std::string> names;
  bool seen_dot = false, seen_dotdot = false;
  uint64_t dotdot = 0;
  std::optional<EntryLoc> dotdot_loc;
  for (Blk& b : blocks) {
    const std::string bwhere = where + (b.blkno ? ", block " + B(b.blkno) : std::string(", inline"));
    uint32_t prev = UINT32_MAX;
    for (uint32_t off = 0; off < b.len;) {
      if (!RecordOk(b.p, b.len, off)) {
        if (!Problem(bwhere + ": damaged entry at offset " + B(off) + "; dropping the rest of the " +
                         (b.blkno ? "block" : "directory"),
                     false)) {
          b.damaged = true;
          break;
        }
        if (prev == UINT32_MAX) {
          std::memset(b.p, 0, OCFSX_DIRENT_NAME_OFFSET);
          At(b.p, 0)->de_rec_len = Le16(static_cast<uint16_t>(b.len));
          off = 0;
        } else {
          At(b.p, prev)->de_rec_len = Le16(static_cast<uint16_t>(b.len - prev));
          off = prev;
        }
        b.dirty = true;
        off += Le16(At(b.p, off)->de_rec_len);
        continue;
      }
      ocfsx_dir_entry* de = At(b.p, off);
      const uint32_t rl = Le16(de->de_rec_len);
      if (!de->de_ino) {
        prev = off;
        off += rl;
        continue;
      }
      const std::string name(reinterpret_cast<const char*>(de) + OCFSX_DIRENT_NAME_OFFSET, de->de_name_len);
      const uint64_t target = Le64(de->de_ino);
      EntryLoc loc{ino, b.blkno, off};
      std::string bad;
      const InodeState* t = target < geo_.blocks() ? Ino(target) : nullptr;
      if (!t && inode_allocs_incomplete_ && target < geo_.blocks() && !inodes_.count(target) && !BlockToGroupBit(target)) {
        // Its allocator could not be read: unknown, not free. Leave it be.
        prev = off;
        off += rl;
        continue;
      }
      if (name.find('/') != std::string::npos || name.find('\0') != std::string::npos) {
        bad = "has an invalid name";
      } else if (name == ".") {
        if (seen_dot) bad = "is a second '.'";
      } else if (name == "..") {
        if (seen_dotdot) bad = "is a second '..'";
      } else if (!t) {
        bad = "refers to unused inode " + B(target);
      } else if (names.count(name)) {
        bad = "is a duplicate name";
      } else if (is_sysdir) {
        char want[32];
        if (!t->is_system() || ocfsx_sysfile_name(want, sizeof(want), t->sys_type, t->sys_slot) < 0 || name != want)
          bad = "does not match the system inode " + B(target) + " it names";
      } else if (t->is_system()) {
        bad = "names system inode " + B(target) + " outside the system directory";
      } else if (target == Le64(sb_->raw().s_root_blkno)) {
        bad = "is a link to the root directory";
      }
      if (!bad.empty()) {
        if (Problem(bwhere + ": entry '" + name + "' " + bad + "; removing it", false)) {
          if (prev == UINT32_MAX) {
            de->de_ino = 0;
          } else {
            At(b.p, prev)->de_rec_len = Le16(static_cast<uint16_t>(Le16(At(b.p, prev)->de_rec_len) + rl));
            b.dirty = true;
            off += rl;
            continue;
          }
          b.dirty = true;
          prev = off;
          off += rl;
          continue;
        }
      }
      if (name == ".") {
        seen_dot = true;
        if (target != ino && Problem(bwhere + ": '.' is " + B(target) + ", should be " + B(ino), false)) {
          de->de_ino = Le64(ino);
          b.dirty = true;
        }
        AddCount(Le64(de->de_ino), 1);
      } else if (name == "..") {
        seen_dotdot = true;
        dotdot = target;
        dotdot_loc = loc;
        if (t && t->is_dir()) AddCount(target, 1);
      } else if (t) {
        names.insert(name);
        if (is_orphan_dir) {
          orphans_.push_back({self->second.sys_slot, target, loc});
        } else {
          AddCount(target, 1);
          if (t->is_dir()) dirs_[target];  // make sure it has an entry
          if (t->is_dir()) dirs_[ino].subdirs.emplace_back(target, loc);
          if (is_sysdir) sysdir_names_[name] = target;
          if (ino == Le64(sb_->raw().s_root_blkno) && name == "lost+found" && t->is_dir()) lost_found_ = target;
        }
      }
      // Cheap fields: the entry's type and its stored hash.
      if (t && name != "." && name != "..") {
        uint8_t ft = FileType(t->mode);
        if (de->de_file_type != ft && Problem(bwhere + ": entry '" + name + "' has file type " + B(de->de_file_type) + ", should be " + B(ft), true)) {
          de->de_file_type = ft;
          b.dirty = true;
        }
      } else if ((name == "." || name == "..") && de->de_file_type != OCFSX_FT_DIR &&
                 Problem(bwhere + ": entry '" + name + "' has file type " + B(de->de_file_type) + ", should be 2", true)) {
        de->de_file_type = OCFSX_FT_DIR;
        b.dirty = true;
      }
      auto h = static_cast<uint32_t>(DirHash(ctx, name));
      if (Le32(de->de_hash) != h && Problem(bwhere + ": entry '" + name + "' has a wrong hash", true)) {
        de->de_hash = Le32(h);
        b.dirty = true;
      }
      prev = off;
      off += rl;
    }
  }
  DirInfo& di = dirs_[ino];
  (void)info;
  di.dotdot = dotdot;
  di.dotdot_loc = dotdot_loc;

  // Trailers, then write what changed.
  const bool indexed = in.body_format() == OCFSX_BODY_EXTENTS && Le64(in.raw().i_dx_root) != 0;
  for (Blk& b : blocks) {
    if (!b.blkno) {
      if (b.dirty) inode_dirty = true;
      continue;
    }
    if (b.damaged) continue;
    ocfsx_dir_trailer* t = Trailer(b.buf.data(), bs_);
    ocfsx_dir_trailer want = *t;
    Refresh(b.p, b.len, &want);
    if (!indexed) want.dt_next_free = 0;
    if ((want.dt_largest_free != t->dt_largest_free || want.dt_live != t->dt_live || want.dt_next_free != t->dt_next_free) &&
        Problem(where + ": dirent block " + B(b.blkno) + " has wrong free-space bookkeeping", true)) {
      *t = want;
      b.dirty = true;
    }
    if (b.csum_bad && !b.dirty && Problem(where + ": dirent block " + B(b.blkno) + " has a bad checksum", false)) b.dirty = true;
    if (b.csum_bad && b.dirty && writable()) b.csum_bad = false;
    if (b.dirty) {
      Status st = WriteMeta(b.blkno, OCFSX_BT_DIRBLOCK, b.buf.data());
      if (!st.ok()) Info("fsck.ocfsx: " + st.message());
    }
  }
  if (in.body_format() == OCFSX_BODY_INLINE && Le64(in.raw().i_dx_root) != 0 &&
      Problem(where + ": inline directory points to an index", true)) {
    in.raw().i_dx_root = 0;
    inode_dirty = true;
  }
  if (inode_dirty) {
    Status st = WriteInode(in);
    if (!st.ok()) Info("fsck.ocfsx: " + st.message());
  }
  if (!seen_dot && Problem(where + " has no '.' entry; adding it", false)) {
    auto fresh = Inode::Read(*io_, ino);
    space_->set_owner(ino);
    if (fresh.ok() && AddDirEntry(ctx, *fresh, ".", ino, OCFSX_FT_DIR, *space_).ok()) AddCount(ino, 1);
  }
  if (!indexed) return;

  // The index: every (hash, dirent block) pair once, sorted; the tree well
  // formed; the free-space list exactly the blocks with room.
  std::string why;
  if (!sb_->has_feature_ro_compat(OCFSX_FEATURE_RO_COMPAT_INDEXED_DIRS)) why = "the volume has no indexed-dirs feature";
  std::vector<std::pair<uint64_t, uint64_t>> want, have;
  std::vector<std::pair<uint64_t, uint16_t>> dx_blocks;
  std::set<uint64_t> dir_blocks;
  std::set<uint64_t> with_room;
  uint64_t names_count = 0;
  // Reread the blocks as written (or as on disk in -n).
  for (Blk& b : blocks) {
    dir_blocks.insert(b.blkno);
    for (uint32_t off = 0; off < b.len && RecordOk(b.p, b.len, off); off += Le16(At(b.p, off)->de_rec_len)) {
      auto* de = At(b.p, off);
      if (!de->de_ino) continue;
      want.emplace_back(DirHash(ctx, std::string_view(reinterpret_cast<const char*>(de) + OCFSX_DIRENT_NAME_OFFSET, de->de_name_len)),
                        b.blkno);
      names_count++;
    }
    if (Le16(Trailer(b.buf.data(), bs_)->dt_largest_free) >= OCFSX_DIR_FREE_LIST_MIN) with_room.insert(b.blkno);
  }
  std::sort(want.begin(), want.end());
  const uint64_t root_blk = Le64(in.raw().i_dx_root);
  std::set<uint64_t> seen;
  std::vector<uint64_t> level{root_blk};
  int expect_level = -1;
  bool is_root = true;
  uint64_t free_head = 0, dr_entries = 0;
  std::map<uint64_t, uint64_t> parent_keys;  // node blkno -> its key in the parent
  while (why.empty() && !level.empty()) {
    std::vector<uint64_t> next_level;
    std::map<uint64_t, uint64_t> key_of;
    for (size_t k = 0; k < level.size() && why.empty(); k++) {
      uint64_t blk = level[k];
      uint16_t type = is_root ? OCFSX_BT_DX_ROOT : OCFSX_BT_DX_NODE;
      AlignedBuffer nb(bs_);
      if (blk == 0 || blk >= geo_.blocks() || !seen.insert(blk).second) {
        why = "index block " + B(blk) + " is invalid or reached twice";
        break;
      }
      Status st = io_->Read(blk, type, nb.data());
      if (!st.ok()) {
        why = st.message();
        break;
      }
      if (Le64(reinterpret_cast<ocfsx_block_header*>(nb.data())->bh_owner) != ino) {
        why = "index block " + B(blk) + " belongs to another inode";
        break;
      }
      auto* nh = is_root ? &reinterpret_cast<ocfsx_dx_root*>(nb.data())->dr_node
                         : &reinterpret_cast<ocfsx_dx_node*>(nb.data())->dn_node;
      auto* ents = reinterpret_cast<ocfsx_dx_entry*>(nb.data() + (is_root ? OCFSX_DX_ROOT_ENTRIES_OFFSET : OCFSX_DX_NODE_ENTRIES_OFFSET));
      uint32_t cap_max = is_root ? ocfsx_dx_root_entries(bs_) : ocfsx_dx_node_entries(bs_);
      uint32_t cnt = Le16(nh->dn_count), lvl = nh->dn_level;
      if (is_root) {
        auto* dr = reinterpret_cast<ocfsx_dx_root*>(nb.data());
        if (dr->dr_hash_version != OCFSX_DX_HASH_SIPHASH24) why = "unknown hash version " + B(dr->dr_hash_version);
        free_head = Le64(dr->dr_free_head);
        dr_entries = Le64(dr->dr_entries);
        expect_level = static_cast<int>(lvl);
        if (lvl > OCFSX_MAX_DX_LEVEL) why = "index height " + B(lvl) + " is too large";
      }
      if (!why.empty()) break;
      if (static_cast<int>(lvl) != expect_level) {
        why = "index block " + B(blk) + " is at level " + B(lvl) + ", expected " + B(expect_level);
        break;
      }
      if (Le16(nh->dn_capacity) > cap_max || cnt > Le16(nh->dn_capacity) || (cnt == 0 && (lvl > 0 || !is_root))) {
        why = "index block " + B(blk) + " has a bad header";
        break;
      }
      uint64_t want_next = k + 1 < level.size() ? level[k + 1] : 0;
      if (Le64(nh->dn_next) != (is_root ? 0 : want_next)) {
        why = "index block " + B(blk) + " has a wrong sibling link";
        break;
      }
      auto kit = parent_keys.find(blk);
      if (kit != parent_keys.end() && cnt && kit->second != Le64(ents[0].dx_hash)) {
        why = "index key of block " + B(blk) + " is not its smallest hash";
        break;
      }
      dx_blocks.emplace_back(blk, type);
      for (uint32_t i = 0; i < cnt; i++) {
        uint64_t h = Le64(ents[i].dx_hash), bn = Le64(ents[i].dx_blkno);
        if (lvl == 0) {
          have.emplace_back(h, bn);
        } else {
          next_level.push_back(bn);
          key_of[bn] = h;
        }
      }
    }
    parent_keys = key_of;
    level = next_level;
    expect_level--;
    is_root = false;
  }
  if (why.empty() && !std::is_sorted(have.begin(), have.end())) why = "index entries are out of order";
  if (why.empty() && have != want) why = "index entries do not match the directory's names";
  if (why.empty() && dr_entries != names_count) why = "entry count " + B(dr_entries) + " is not " + B(names_count);
  if (why.empty()) {
    std::set<uint64_t> on_list;
    for (uint64_t b = free_head; b != 0 && why.empty();) {
      if (!dir_blocks.count(b) || !on_list.insert(b).second) {
        why = "free-space list is broken at block " + B(b);
        break;
      }
      auto bi = std::find_if(blocks.begin(), blocks.end(), [&](const Blk& x) { return x.blkno == b; });
      b = Le64(Trailer(bi->buf.data(), bs_)->dt_next_free);
    }
    if (why.empty() && on_list != with_room) why = "free-space list does not hold exactly the blocks with room";
    for (Blk& b : blocks)
      if (why.empty() && !on_list.count(b.blkno) && Trailer(b.buf.data(), bs_)->dt_next_free != 0)
        why = "block " + B(b.blkno) + " links into the free-space list without being on it";
  }
  if (why.empty()) {
    for (auto& [blk, type] : dx_blocks) {
      if (!ClaimMeta(ino, blk, type, &why)) break;
    }
  }
  if (why.empty()) {
    for (auto& [blk, type] : dx_blocks) meta_owner_[blk] = ino;
    return;
  }
  if (Problem(where + ": hash index is inconsistent (" + why + "); rebuilding it", true)) rebuild_index_.push_back(ino);
}

Status Checker::RebuildIndex(uint64_t dir) {
  auto rin = Inode::Read(*io_, dir);
  if (!rin.ok()) return rin.status();
  Inode in = std::move(rin).value();
  if (in.body_format() != OCFSX_BODY_EXTENTS) return Status();
  const DirContext ctx = dir_ctx();
  TreeWalk w = WalkTree(dir, in.body(), ocfsx_inode_extent_recs(bs_, Le16(in.raw().i_xattr_inline_size)), dir,
                        OCFSX_INODE_BODY_OFFSET);
  if (!w.error.empty()) return Status::Corrupt(w.error);
  std::vector<ocfsx_extent> ext;
  for (const LeafRef& l : w.leaves) ext.push_back({l.start, l.lcluster, l.clusters, 0, 0, 0});
  const uint64_t nblocks = in.size() / bs_;
  std::vector<std::pair<uint64_t, AlignedBuffer>> blocks;
  std::vector<std::pair<uint64_t, uint64_t>> ents;
  for (uint64_t lb = 0; lb < nblocks; lb++) {
    uint64_t pb = MapBlockInExtents(ext, geo_, lb);
    AlignedBuffer buf(bs_);
    OCFSX_RETURN_IF_ERROR(io_->Read(pb, OCFSX_BT_DIRBLOCK, buf.data()));
    const uint32_t len = ocfsx_dirent_area(bs_);
    for (uint32_t off = 0; off < len && RecordOk(buf.data(), len, off); off += Le16(At(buf.data(), off)->de_rec_len)) {
      auto* de = At(buf.data(), off);
      if (de->de_ino)
        ents.emplace_back(DirHash(ctx, std::string_view(reinterpret_cast<const char*>(de) + OCFSX_DIRENT_NAME_OFFSET, de->de_name_len)), pb);
    }
    blocks.emplace_back(pb, std::move(buf));
  }
  std::sort(ents.begin(), ents.end());
  // Free-space list in logical order.
  uint64_t head = 0;
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    ocfsx_dir_trailer* t = Trailer(it->second.data(), bs_);
    Refresh(it->second.data(), ocfsx_dirent_area(bs_), t);
    if (Le16(t->dt_largest_free) >= OCFSX_DIR_FREE_LIST_MIN) {
      t->dt_next_free = Le64(head);
      head = it->first;
    } else {
      t->dt_next_free = 0;
    }
  }
  // Bulk-load the B+tree bottom up: full nodes, keys = each child's first hash.
  const uint32_t root_cap = ocfsx_dx_root_entries(bs_), node_cap = ocfsx_dx_node_entries(bs_);
  std::vector<std::vector<std::vector<std::pair<uint64_t, uint64_t>>>> levels;  // levels[l][node] = entries
  std::vector<std::pair<uint64_t, uint64_t>> cur = ents;
  while (cur.size() > root_cap) {
    if (levels.size() >= OCFSX_MAX_DX_LEVEL) return Status::Corrupt("directory too large for an index");
    std::vector<std::vector<std::pair<uint64_t, uint64_t>>> nodes;
    for (size_t i = 0; i < cur.size(); i += node_cap)
      nodes.emplace_back(cur.begin() + static_cast<long>(i), cur.begin() + static_cast<long>(std::min<size_t>(i + node_cap, cur.size())));
    levels.push_back(nodes);
    cur.clear();
    for (auto& n : nodes) cur.emplace_back(n.front().first, 0);  // blkno filled in below
  }
  space_->set_owner(dir);
  // Allocate every node block first, so a failure changes nothing on disk.
  std::vector<std::vector<AllocatedBlock>> where(levels.size());
  for (size_t l = 0; l < levels.size(); l++) {
    for (size_t n = 0; n < levels[l].size(); n++) {
      auto b = space_->AllocMetaBlock();
      if (!b.ok()) return b.status();
      where[l].push_back(*b);
    }
  }
  auto root_blk = space_->AllocMetaBlock();
  if (!root_blk.ok()) return root_blk.status();
  for (size_t l = 0; l < levels.size(); l++) {
    for (size_t n = 0; n < levels[l].size(); n++) {
      auto& node = levels[l][n];
      if (l > 0)
        for (size_t i = 0; i < node.size(); i++) node[i].second = where[l - 1][n * node_cap + i].blkno;
      AlignedBuffer nb(bs_);
      InitBlockHeader(nb.data(), OCFSX_BT_DX_NODE, bs_, where[l][n].blkno, dir, io_->fs_generation(), where[l][n].origin);
      auto* dn = reinterpret_cast<ocfsx_dx_node*>(nb.data());
      dn->dn_node.dn_level = static_cast<uint8_t>(l);
      dn->dn_node.dn_count = Le16(static_cast<uint16_t>(node.size()));
      dn->dn_node.dn_capacity = Le16(static_cast<uint16_t>(node_cap));
      dn->dn_node.dn_next = Le64(n + 1 < levels[l].size() ? where[l][n + 1].blkno : 0);
      auto* e = reinterpret_cast<ocfsx_dx_entry*>(nb.data() + OCFSX_DX_NODE_ENTRIES_OFFSET);
      for (size_t i = 0; i < node.size(); i++) e[i] = {Le64(node[i].first), Le64(node[i].second)};
      OCFSX_RETURN_IF_ERROR(WriteMeta(where[l][n].blkno, OCFSX_BT_DX_NODE, nb.data()));
    }
  }
  if (!levels.empty())
    for (size_t i = 0; i < cur.size(); i++) cur[i].second = where.back()[i].blkno;
  AlignedBuffer rb(bs_);
  InitBlockHeader(rb.data(), OCFSX_BT_DX_ROOT, bs_, root_blk->blkno, dir, io_->fs_generation(), root_blk->origin);
  auto* dr = reinterpret_cast<ocfsx_dx_root*>(rb.data());
  dr->dr_entries = Le64(ents.size());
  dr->dr_free_head = Le64(head);
  dr->dr_hash_version = OCFSX_DX_HASH_SIPHASH24;
  dr->dr_node.dn_level = static_cast<uint8_t>(levels.size());
  dr->dr_node.dn_count = Le16(static_cast<uint16_t>(cur.size()));
  dr->dr_node.dn_capacity = Le16(static_cast<uint16_t>(root_cap));
  auto* re = reinterpret_cast<ocfsx_dx_entry*>(rb.data() + OCFSX_DX_ROOT_ENTRIES_OFFSET);
  for (size_t i = 0; i < cur.size(); i++) re[i] = {Le64(cur[i].first), Le64(cur[i].second)};
  OCFSX_RETURN_IF_ERROR(WriteMeta(root_blk->blkno, OCFSX_BT_DX_ROOT, rb.data()));
  for (auto& [pb, buf] : blocks) OCFSX_RETURN_IF_ERROR(WriteMeta(pb, OCFSX_BT_DIRBLOCK, buf.data()));
  // Blocks of the old index are no longer this directory's.
  for (auto it = meta_owner_.begin(); it != meta_owner_.end();) {
    bool ours = it->second == dir && it->first != root_blk->blkno;
    for (auto& lvl : where)
      for (auto& b : lvl) ours &= it->first != b.blkno;
    ours &= it->first != Le64(in.raw().i_xattr_blkno);
    // Extent blocks of the directory stay claimed.
    ours &= std::find(w.blocks.begin(), w.blocks.end(), it->first) == w.blocks.end();
    it = ours ? meta_owner_.erase(it) : std::next(it);
  }
  in.raw().i_dx_root = Le64(root_blk->blkno);
  return WriteInode(in);
}

void Checker::Pass2() {
  PassHeader(2, "Checking directory structure");
  std::vector<uint64_t> dirs;
  for (auto& [ino, st] : inodes_)
    if (!st.cleared && st.is_dir()) dirs.push_back(ino);
  std::sort(dirs.begin(), dirs.end());
  for (size_t i = 0; i < dirs.size() && !cancelled_; i++) {
    CheckDir(dirs[i]);
    Progress(2, i + 1, dirs.size());
  }
  // Rebuild indexes only now: every valid index has claimed its blocks, so
  // new index blocks cannot land on one of them.
  for (uint64_t d : rebuild_index_) {
    Status st = RebuildIndex(d);
    if (!st.ok()) {
      Info("cannot rebuild the index of directory " + B(d) + " (" + st.message() + "); dropping it");
      auto in = Inode::Read(*io_, d);
      if (!in.ok()) continue;
      in->raw().i_dx_root = 0;
      Status ws = WriteInode(*in);
      if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
      // Unindexed directories keep no free-space list.
      TreeWalk w = WalkTree(d, in->body(), ocfsx_inode_extent_recs(bs_, Le16(in->raw().i_xattr_inline_size)), d,
                            OCFSX_INODE_BODY_OFFSET);
      AlignedBuffer buf(bs_);
      for (const LeafRef& l : w.leaves) {
        for (uint64_t i = 0; i < geo_.ClusterToBlock(l.clusters); i++) {
          uint64_t pb = geo_.ClusterToBlock(l.start) + i;
          if (!io_->Read(pb, OCFSX_BT_DIRBLOCK, buf.data()).ok()) continue;
          Trailer(buf.data(), bs_)->dt_next_free = 0;
          ws = WriteMeta(pb, OCFSX_BT_DIRBLOCK, buf.data());
          if (!ws.ok()) Info("fsck.ocfsx: " + ws.message());
        }
      }
    }
  }
  rebuild_index_.clear();
  CheckSystemDirNames();
}

void Checker::CheckSystemDirNames() {
  if (!Ino(sysdir_)) return;
  const DirContext ctx = dir_ctx();
  std::map<std::string, uint64_t> found;
  for (auto& [ino, st] : inodes_) {
    if (st.cleared || !st.is_system() || ino == sysdir_) continue;
    char name[32];
    if (ocfsx_sysfile_name(name, sizeof(name), st.sys_type, st.sys_slot) < 0) continue;
    found.emplace(name, ino);
    auto it = sysdir_names_.find(name);
    if (it != sysdir_names_.end()) continue;
    if (!Problem("system file " + std::string(name) + " (inode " + B(ino) + ") is missing from the system directory; adding it", false))
      continue;
    auto dir = Inode::Read(*io_, sysdir_);
    space_->set_owner(sysdir_);
    Status s2 = dir.ok() ? AddDirEntry(ctx, *dir, name, ino, FileType(st.mode), *space_) : dir.status();
    if (!s2.ok()) {
      Info("fsck.ocfsx: " + s2.message());
      continue;
    }
    sysdir_names_[name] = ino;
    AddCount(ino, 1);
    if (st.is_dir()) dirs_[sysdir_].subdirs.emplace_back(ino, EntryLoc{});
  }
  auto need = [&](unsigned type, unsigned slot) {
    char name[32];
    ocfsx_sysfile_name(name, sizeof(name), type, slot);
    if (!found.count(name)) Unfixable("system file " + std::string(name) + " does not exist");
  };
  for (unsigned t : {OCFSX_SYS_GLOBAL_BITMAP, OCFSX_SYS_GLOBAL_INODE_ALLOC, OCFSX_SYS_SLOT_MAP, OCFSX_SYS_HEARTBEAT})
    need(t, OCFSX_SLOT_NONE);
  for (uint32_t s = 0; s < sb_->max_slots(); s++)
    for (unsigned t = OCFSX_SYS_FIRST_PER_SLOT; t <= OCFSX_SYS_LAST; t++) need(t, s);
}

// ---------------------------------------------------------------------------
// Entry surgery used by passes 3 and 4

bool Checker::RemoveEntryAt(const EntryLoc& loc, uint64_t expect_ino) {
  if (!writable()) return false;
  AlignedBuffer buf;
  uint8_t* p;
  uint32_t len;
  std::optional<Inode> in;
  if (loc.blkno == 0) {
    auto r = Inode::Read(*io_, loc.dir);
    if (!r.ok()) return false;
    in = std::move(r).value();
    p = in->body();
    len = static_cast<uint32_t>(std::min<uint64_t>(in->size(), in->body_size()));
  } else {
    buf = AlignedBuffer(bs_);
    if (!io_->Read(loc.blkno, OCFSX_BT_DIRBLOCK, buf.data()).ok()) return false;
    p = buf.data();
    len = ocfsx_dirent_area(bs_);
  }
  uint32_t prev = UINT32_MAX;
  for (uint32_t off = 0; off < len && RecordOk(p, len, off); prev = off, off += Le16(At(p, off)->de_rec_len)) {
    if (off != loc.off) continue;
    auto* de = At(p, off);
    if (Le64(de->de_ino) != expect_ino) return false;
    if (prev == UINT32_MAX)
      de->de_ino = 0;
    else
      At(p, prev)->de_rec_len = Le16(static_cast<uint16_t>(Le16(At(p, prev)->de_rec_len) + Le16(de->de_rec_len)));
    Status st;
    if (in) {
      st = WriteInode(*in);
    } else {
      Refresh(p, len, Trailer(buf.data(), bs_));
      st = WriteMeta(loc.blkno, OCFSX_BT_DIRBLOCK, buf.data());
      auto d = Inode::Read(*io_, loc.dir);
      if (st.ok() && d.ok() && d->body_format() == OCFSX_BODY_EXTENTS && Le64(d->raw().i_dx_root)) st = RebuildIndex(loc.dir);
    }
    if (!st.ok()) Info("fsck.ocfsx: " + st.message());
    return st.ok();
  }
  return false;
}

bool Checker::SetDotDot(uint64_t dir, uint64_t parent) {
  DirInfo& di = dirs_[dir];
  if (!writable()) return false;
  bool done = false;
  if (di.dotdot_loc) {
    const EntryLoc& loc = *di.dotdot_loc;
    if (loc.blkno == 0) {
      auto in = Inode::Read(*io_, dir);
      if (in.ok() && loc.off + OCFSX_DIRENT_NAME_OFFSET <= in->body_size()) {
        At(in->body(), loc.off)->de_ino = Le64(parent);
        done = WriteInode(*in).ok();
      }
    } else {
      AlignedBuffer buf(bs_);
      if (io_->Read(loc.blkno, OCFSX_BT_DIRBLOCK, buf.data()).ok() && loc.off + OCFSX_DIRENT_NAME_OFFSET <= bs_) {
        At(buf.data(), loc.off)->de_ino = Le64(parent);
        done = WriteMeta(loc.blkno, OCFSX_BT_DIRBLOCK, buf.data()).ok();
      }
    }
  } else {
    auto in = Inode::Read(*io_, dir);
    space_->set_owner(dir);
    done = in.ok() && AddDirEntry(dir_ctx(), *in, "..", parent, OCFSX_FT_DIR, *space_).ok();
  }
  if (!done) return false;
  if (di.dotdot && Ino(di.dotdot) && Ino(di.dotdot)->is_dir()) AddCount(di.dotdot, -1);
  AddCount(parent, 1);
  di.dotdot = parent;
  return true;
}

std::optional<uint64_t> Checker::EnsureLostFound() {
  if (lost_found_ && Ino(lost_found_)) return lost_found_;
  const uint64_t root = Le64(sb_->raw().s_root_blkno);
  if (!Ino(root) || !writable()) return std::nullopt;
  if (!Problem("/lost+found not found; creating it", false)) return std::nullopt;
  auto blk = FindFreeBlock(true);
  if (!blk) {
    Info("no free inode for /lost+found");
    return std::nullopt;
  }
  const DirContext ctx = dir_ctx();
  uint16_t xs = Le16(sb_->raw().s_inline_xattr_size);
  if (xs % 8 || OCFSX_INODE_BODY_OFFSET + xs + 64 > bs_) xs = 0;
  Inode lf = Inode::New(*io_, blk->blkno, blk->origin, S_IFDIR | 0700,
                        ctx.inline_data ? OCFSX_BODY_INLINE : OCFSX_BODY_EXTENTS, xs);
  space_->set_owner(lf.blkno());
  InodeState st;
  st.mode = S_IFDIR | 0700;
  st.flags = OCFSX_IFL_VALID;
  st.links = 2;
  st.body = lf.body_format();
  inodes_[lf.blkno()] = st;
  Status s = InitDir(ctx, lf, root, *space_);
  if (s.ok()) {
    lf.raw().i_links = Le32(2);
    s = WriteInode(lf);
  }
  auto rin = Inode::Read(*io_, root);
  space_->set_owner(root);
  if (s.ok()) s = rin.ok() ? AddDirEntry(ctx, *rin, "lost+found", lf.blkno(), OCFSX_FT_DIR, *space_) : rin.status();
  if (!s.ok()) {
    Info("cannot create /lost+found: " + s.message());
    inodes_[lf.blkno()].cleared = true;
    return std::nullopt;
  }
  modified_ = true;
  lost_found_ = lf.blkno();
  AddCount(lost_found_, 2);  // '.' and its name in the root
  AddCount(root, 1);         // its '..'
  DirInfo& di = dirs_[lost_found_];
  di.dotdot = root;
  di.reached = true;
  di.parent = root;
  // Find the '..' entry InitDir wrote so later passes can rewrite it.
  auto again = Inode::Read(*io_, lost_found_);
  if (again.ok() && again->body_format() == OCFSX_BODY_INLINE) {
    const uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(again->size(), again->body_size()));
    for (uint32_t off = 0; off < len && RecordOk(again->body(), len, off); off += Le16(At(again->body(), off)->de_rec_len)) {
      auto* de = At(again->body(), off);
      if (de->de_ino && de->de_name_len == 2 && std::memcmp(reinterpret_cast<char*>(de) + 16, "..", 2) == 0)
        di.dotdot_loc = EntryLoc{lost_found_, 0, off};
    }
  }
  return lost_found_;
}

bool Checker::Reconnect(uint64_t ino, bool is_dir) {
  auto lf = EnsureLostFound();
  if (!lf) return false;
  auto in = Inode::Read(*io_, *lf);
  if (!in.ok()) return false;
  space_->set_owner(*lf);
  const InodeState* st = Ino(ino);
  Status s = AddDirEntry(dir_ctx(), *in, "#" + B(ino), ino, st ? FileType(st->mode) : OCFSX_FT_UNKNOWN, *space_);
  if (!s.ok()) {
    Info("cannot connect inode " + B(ino) + " to /lost+found: " + s.message());
    return false;
  }
  AddCount(ino, 1);
  if (is_dir) dirs_[*lf].subdirs.emplace_back(ino, EntryLoc{});
  return true;
}

// ---------------------------------------------------------------------------
// Pass 3

void Checker::Pass3() {
  PassHeader(3, "Checking directory connectivity");
  if (tree_broken_ || inode_allocs_incomplete_) {
    Info("skipping connectivity and link counts: the directory tree or an inode allocator is unreadable");
    return;
  }
  const uint64_t root = Le64(sb_->raw().s_root_blkno);
  if (!Ino(root) || !Ino(root)->is_dir()) {
    Unfixable("the root directory is missing or not a directory");
    return;
  }
  std::map<uint64_t, uint64_t> named_by;
  for (auto& [d, di] : dirs_)
    for (auto& [child, loc] : di.subdirs) named_by.emplace(child, d);
  auto bfs = [&](uint64_t start, uint64_t parent) {
    std::vector<uint64_t> q{start};
    dirs_[start].reached = true;
    dirs_[start].parent = parent;
    while (!q.empty()) {
      uint64_t d = q.back();
      q.pop_back();
      auto subs = dirs_[d].subdirs;
      for (auto& [child, loc] : subs) {
        if (!Ino(child) || !Ino(child)->is_dir()) continue;
        DirInfo& ci = dirs_[child];
        if (ci.reached) {
          if (loc.dir && Problem("directory " + B(child) + " has more than one parent (" + B(ci.parent) + " and " + B(d) +
                                     "); removing the entry in " + B(d),
                                 false) &&
              RemoveEntryAt(loc, child))
            AddCount(child, -1);
          continue;
        }
        ci.reached = true;
        ci.parent = d;
        q.push_back(child);
      }
    }
  };
  bfs(root, root);
  if (Ino(sysdir_)) bfs(sysdir_, sysdir_);
  std::vector<uint64_t> all;
  for (auto& [d, di] : dirs_) all.push_back(d);
  for (uint64_t d : all) {
    const InodeState* st = Ino(d);
    if (!st || !st->is_dir() || dirs_[d].reached) continue;
    if (st->flags & OCFSX_IFL_ORPHANED) continue;  // pass 4 decides
    // Reconnect the top of the unreachable subtree, not each member.
    uint64_t top = d;
    std::set<uint64_t> path{d};
    for (auto it = named_by.find(top); it != named_by.end(); it = named_by.find(top)) {
      uint64_t p = it->second;
      if (!Ino(p) || dirs_[p].reached || !path.insert(p).second) break;
      if (Ino(p)->flags & OCFSX_IFL_ORPHANED) break;
      top = p;
    }
    uint64_t old_parent = dirs_[top].dotdot;
    if (Problem("unconnected directory " + B(top) + " (was under " + B(old_parent) + "); connecting it to /lost+found", false) &&
        Reconnect(top, true)) {
      bfs(top, lost_found_);
    } else {
      bfs(top, old_parent);  // report its subtree once, not again below
    }
  }
  // '..' of every reached directory names its parent.
  for (auto& [d, di] : dirs_) {
    const InodeState* st = Ino(d);
    if (!st || !di.reached) continue;
    uint64_t want = d == root ? root : d == sysdir_ ? sysdir_ : di.parent;
    if (di.dotdot == want || !Ino(want)) continue;
    if (Problem("'..' in directory " + B(d) + " is " + B(di.dotdot) + ", should be " + B(want), false)) SetDotDot(d, want);
  }
}

// ---------------------------------------------------------------------------
// Pass 4

void Checker::ProcessOrphans() {
  std::set<uint64_t> listed;
  for (const OrphanEntry& o : orphans_) {
    auto it = inodes_.find(o.ino);
    if (it == inodes_.end() || it->second.cleared) continue;
    InodeState& st = it->second;
    const std::string where = "inode " + B(o.ino);
    if (!(st.flags & OCFSX_IFL_ORPHANED)) {
      if (Problem(where + " is in the orphan directory of slot " + B(o.slot) + " but not marked orphaned; removing the entry", false))
        RemoveEntryAt(o.loc, o.ino);
      continue;
    }
    listed.insert(o.ino);
    bool linked = st.is_dir() ? dirs_[o.ino].reached : st.counted > 0;
    bool truncate = st.flags & OCFSX_IFL_TRUNCATE_PENDING;
    if (linked) {
      if (!Problem(where + " is an orphan of slot " + B(o.slot) + (truncate ? " with a pending truncate; finishing it" : " but still linked; keeping it"), true))
        continue;
      auto in = Inode::Read(*io_, o.ino);
      if (!in.ok()) continue;
      if (truncate && in->body_format() == OCFSX_BODY_EXTENTS && Le16(in->extent_root()->eh_depth) == 0) {
        // Trim records past i_size, as the kernel's orphan recovery would.
        uint64_t keep = (in->size() + geo_.cluster_size() - 1) >> geo_.cbits;
        ocfsx_extent_hdr* eh = in->extent_root();
        ocfsx_extent* recs = in->extent_recs();
        uint32_t used = Le16(eh->eh_used), out = 0;
        uint64_t clusters = 0;
        for (uint32_t i = 0; i < used; i++) {
          uint64_t lc = Le32(recs[i].ex_lcluster), n = Le32(recs[i].ex_clusters);
          if (lc >= keep) continue;
          if (lc + n > keep) recs[i].ex_clusters = Le32(static_cast<uint32_t>(keep - lc));
          clusters += Le32(recs[i].ex_clusters);
          recs[out++] = recs[i];
        }
        std::memset(&recs[out], 0, sizeof(ocfsx_extent) * (used - out));
        eh->eh_used = Le16(static_cast<uint16_t>(out));
        in->raw().i_clusters = Le64(clusters);
        for (Claim& c : claims_) {
          if (c.ino != o.ino || c.kind != ClaimKind::kExtent || c.dropped) continue;
          if (c.ref.lcluster >= keep) c.dropped = true;
          else if (c.ref.lcluster + c.len > keep) c.len = keep - c.ref.lcluster;
        }
      }
      in->raw().i_flags = Le32(Le32(in->raw().i_flags) & ~(OCFSX_IFL_ORPHANED | OCFSX_IFL_TRUNCATE_PENDING));
      in->raw().i_orphan_slot = Le16(OCFSX_SLOT_NONE);
      in->raw().i_dtime = 0;
      Status s = WriteInode(*in);
      if (!s.ok()) Info("fsck.ocfsx: " + s.message());
      st.flags &= ~(OCFSX_IFL_ORPHANED | OCFSX_IFL_TRUNCATE_PENDING);
      RemoveEntryAt(o.loc, o.ino);
    } else if (Problem(where + " is an unlinked orphan of slot " + B(o.slot) + "; freeing it", true)) {
      RemoveEntryAt(o.loc, o.ino);
      ClearInode(o.ino, "orphan");
    }
  }
  // Marked orphaned but in no orphan directory.
  for (auto& [ino, st] : inodes_) {
    if (st.cleared || !(st.flags & OCFSX_IFL_ORPHANED) || listed.count(ino)) continue;
    bool linked = st.is_dir() ? dirs_[ino].reached : st.counted > 0;
    if (linked) {
      if (!Problem("inode " + B(ino) + " is marked orphaned but is in no orphan directory", true)) continue;
      auto in = Inode::Read(*io_, ino);
      if (!in.ok()) continue;
      in->raw().i_flags = Le32(Le32(in->raw().i_flags) & ~(OCFSX_IFL_ORPHANED | OCFSX_IFL_TRUNCATE_PENDING));
      in->raw().i_orphan_slot = Le16(OCFSX_SLOT_NONE);
      Status s = WriteInode(*in);
      if (!s.ok()) Info("fsck.ocfsx: " + s.message());
      st.flags &= ~(OCFSX_IFL_ORPHANED | OCFSX_IFL_TRUNCATE_PENDING);
    } else if (Problem("inode " + B(ino) + " is an unlinked orphan in no orphan directory; freeing it", true)) {
      ClearInode(ino, "orphan");
    }
  }
}

void Checker::Pass4() {
  PassHeader(4, "Checking reference counts and orphans");
  if (tree_broken_ || inode_allocs_incomplete_) return;  // counts would be wrong
  ProcessOrphans();
  std::vector<uint64_t> all;
  for (auto& [ino, st] : inodes_) all.push_back(ino);
  std::sort(all.begin(), all.end());
  for (uint64_t ino : all) {
    InodeState& st = inodes_[ino];
    if (st.cleared || st.is_system() || st.is_dir() || st.counted > 0 || (st.flags & OCFSX_IFL_ORPHANED)) continue;
    if (st.size == 0 && st.clusters == 0) {
      if (Problem("unattached zero-length inode " + B(ino) + "; clearing it", false)) ClearInode(ino, "unattached");
    } else if (Problem("unattached inode " + B(ino) + "; connecting it to /lost+found", false)) {
      Reconnect(ino, false);
    }
  }
  for (uint64_t ino : all) {
    InodeState& st = inodes_[ino];
    if (st.cleared || st.links == st.counted) continue;
    if (opts_.mode == Mode::kNo && (st.flags & OCFSX_IFL_ORPHANED)) continue;  // reported as an orphan
    if (!Problem("inode " + B(ino) + " has link count " + B(st.links) + ", should be " + B(st.counted), true)) continue;
    auto in = Inode::Read(*io_, ino);
    if (!in.ok()) continue;
    in->raw().i_links = Le32(st.counted);
    Status s = WriteInode(*in);
    if (!s.ok()) Info("fsck.ocfsx: " + s.message());
    st.links = st.counted;
  }
}

}  // namespace ocfsx::check
