// Directory regions, the dx hash B+tree and the free-space list.
#include "ocfsx/dir.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "ocfsx/endian.h"
#include "ocfsx/status.h"

namespace ocfsx {
namespace {

// A tiled run of dirent records: the inline body or a block's entry area.
struct Region {
  uint8_t* p;
  uint32_t len;
};

ocfsx_dir_entry* At(Region r, uint32_t off) { return reinterpret_cast<ocfsx_dir_entry*>(r.p + off); }

std::string DirWhere(uint64_t ino) { return "directory " + std::to_string(ino); }

uint32_t UsedLen(const ocfsx_dir_entry* de) { return de->de_ino ? ocfsx_dir_rec_len(de->de_name_len) : 0; }

Status CheckRegion(Region r, uint64_t ino, uint64_t blkno) {
  uint32_t off = 0;
  while (off < r.len) {
    const ocfsx_dir_entry* de = At(r, off);
    uint32_t rl = Le16(de->de_rec_len);
    if (r.len - off < OCFSX_DIRENT_NAME_OFFSET || rl < OCFSX_DIRENT_NAME_OFFSET || rl % OCFSX_DIR_ALIGN ||
        rl > r.len - off || (de->de_ino && (de->de_name_len == 0 || ocfsx_dir_rec_len(de->de_name_len) > rl)))
      return Status::Corrupt(DirWhere(ino) + (blkno ? ", block " + std::to_string(blkno) : std::string(", inline")) +
                             ": bad dirent at offset " + std::to_string(off));
    off += rl;
  }
  return Status();
}

// Largest record an insert could get: a free record whole, or the slack
// after a live one.
uint32_t LargestFree(Region r) {
  uint32_t best = 0;
  for (uint32_t off = 0; off < r.len;) {
    const ocfsx_dir_entry* de = At(r, off);
    uint32_t rl = Le16(de->de_rec_len);
    best = std::max(best, rl - UsedLen(de));
    off += rl;
  }
  return best;
}

uint32_t LiveCount(Region r) {
  uint32_t n = 0;
  for (uint32_t off = 0; off < r.len; off += Le16(At(r, off)->de_rec_len)) n += At(r, off)->de_ino != 0;
  return n;
}

void FillEntry(ocfsx_dir_entry* de, std::string_view name, uint64_t ino, uint8_t ft, uint32_t hash, uint32_t rec_len) {
  de->de_ino = Le64(ino);
  de->de_rec_len = Le16(static_cast<uint16_t>(rec_len));
  de->de_name_len = static_cast<uint8_t>(name.size());
  de->de_file_type = ft;
  de->de_hash = Le32(hash);
  std::memcpy(reinterpret_cast<uint8_t*>(de) + OCFSX_DIRENT_NAME_OFFSET, name.data(), name.size());
  uint32_t used = ocfsx_dir_rec_len(static_cast<uint32_t>(name.size()));
  std::memset(reinterpret_cast<uint8_t*>(de) + OCFSX_DIRENT_NAME_OFFSET + name.size(), 0,
              used - OCFSX_DIRENT_NAME_OFFSET - name.size());
}

// Puts the entry in the first record with room; returns its offset.
std::optional<uint32_t> InsertInRegion(Region r, std::string_view name, uint64_t ino, uint8_t ft, uint32_t hash) {
  uint32_t need = ocfsx_dir_rec_len(static_cast<uint32_t>(name.size()));
  for (uint32_t off = 0; off < r.len;) {
    ocfsx_dir_entry* de = At(r, off);
    uint32_t rl = Le16(de->de_rec_len);
    uint32_t used = UsedLen(de);
    if (rl - used >= need) {
      if (used == 0) {
        FillEntry(de, name, ino, ft, hash, rl);
        return off;
      }
      de->de_rec_len = Le16(static_cast<uint16_t>(used));
      FillEntry(At(r, off + used), name, ino, ft, hash, rl - used);
      return off + used;
    }
    off += rl;
  }
  return std::nullopt;
}

void InitEmptyRegion(Region r) {
  std::memset(r.p, 0, r.len);
  At(r, 0)->de_rec_len = Le16(static_cast<uint16_t>(r.len));
}

Status ForEachInRegion(Region r, uint64_t blkno, const std::function<Status(const DirEntry&)>& fn) {
  for (uint32_t off = 0; off < r.len;) {
    const ocfsx_dir_entry* de = At(r, off);
    if (de->de_ino) {
      DirEntry e;
      e.ino = Le64(de->de_ino);
      e.file_type = de->de_file_type;
      e.hash = Le32(de->de_hash);
      e.name.assign(reinterpret_cast<const char*>(de) + OCFSX_DIRENT_NAME_OFFSET, de->de_name_len);
      e.blkno = blkno;
      e.offset = off;
      OCFSX_RETURN_IF_ERROR(fn(e));
    }
    off += Le16(de->de_rec_len);
  }
  return Status();
}

// One dirent block in memory.
struct DirBlock {
  uint64_t blkno = 0;
  AlignedBuffer buf;
  Region region() { return {buf.data(), ocfsx_dirent_area(static_cast<uint32_t>(buf.size()))}; }
  ocfsx_dir_trailer* trailer() {
    return reinterpret_cast<ocfsx_dir_trailer*>(buf.data() + buf.size() - OCFSX_DIR_TRAILER_SIZE);
  }
  void Refresh() {
    trailer()->dt_largest_free = Le16(static_cast<uint16_t>(LargestFree(region())));
    trailer()->dt_live = Le16(static_cast<uint16_t>(LiveCount(region())));
  }
};

Result<DirBlock> ReadDirBlock(const MetaIo& io, uint64_t ino, uint64_t blkno) {
  DirBlock b;
  b.blkno = blkno;
  b.buf = AlignedBuffer(io.block_size());
  OCFSX_RETURN_IF_ERROR(io.Read(blkno, OCFSX_BT_DIRBLOCK, b.buf.data()));
  if (Le64(b.trailer()->dt_hdr.bh_owner) != ino)
    return Status::Corrupt("block " + std::to_string(blkno) + " (dirent block): owner " +
                           std::to_string(Le64(b.trailer()->dt_hdr.bh_owner)) + " is not " + DirWhere(ino));
  OCFSX_RETURN_IF_ERROR(CheckRegion(b.region(), ino, blkno));
  return b;
}

Status WriteDirBlock(MetaIo& io, DirBlock& b) {
  b.Refresh();
  return io.Write(b.blkno, OCFSX_BT_DIRBLOCK, b.buf.data());
}

uint64_t NumBlocks(const Inode& dir) { return dir.size() / dir.block_size(); }

// Appends an empty dirent block at the directory's logical end.
Result<DirBlock> AppendDirBlock(const DirContext& ctx, Inode& dir, SpaceSource& space) {
  MetaIo& io = *ctx.io;
  const Geometry& geo = io.geometry();
  uint64_t lblock = NumBlocks(dir);
  uint64_t blkno = 0;
  if (lblock < geo.ClusterToBlock(Le64(dir.raw().i_clusters))) {
    auto m = MapBlock(io, dir, lblock);
    if (!m.ok()) return m.status();
    blkno = *m;
  }
  if (blkno == 0) {
    auto run = space.AllocClusters(1);
    if (!run.ok()) return run.status();
    OCFSX_RETURN_IF_ERROR(AppendExtent(io, dir, run->start, 1, space));
    blkno = geo.ClusterToBlock(run->start);
  }
  DirBlock b;
  b.blkno = blkno;
  b.buf = AlignedBuffer(io.block_size());
  InitEmptyRegion(b.region());
  InitBlockHeader(b.buf.data(), OCFSX_BT_DIRBLOCK, io.block_size(), blkno, dir.blkno(), io.fs_generation());
  dir.raw().i_size = Le64((lblock + 1) * io.block_size());
  return b;
}

// ---- dx index ----

struct DxNode {
  uint64_t blkno = 0;
  bool root = false;
  AlignedBuffer buf;
  ocfsx_dx_node_hdr* hdr() {
    return root ? &reinterpret_cast<ocfsx_dx_root*>(buf.data())->dr_node : &reinterpret_cast<ocfsx_dx_node*>(buf.data())->dn_node;
  }
  ocfsx_dx_entry* ents() {
    return reinterpret_cast<ocfsx_dx_entry*>(buf.data() + (root ? OCFSX_DX_ROOT_ENTRIES_OFFSET : OCFSX_DX_NODE_ENTRIES_OFFSET));
  }
  ocfsx_dx_root* dr() { return reinterpret_cast<ocfsx_dx_root*>(buf.data()); }
  uint16_t type() const { return root ? OCFSX_BT_DX_ROOT : OCFSX_BT_DX_NODE; }
  uint32_t count() { return Le16(hdr()->dn_count); }
  uint32_t level() { return hdr()->dn_level; }
};

Result<DxNode> ReadDxNode(const MetaIo& io, uint64_t ino, uint64_t blkno, bool root) {
  DxNode n;
  n.blkno = blkno;
  n.root = root;
  n.buf = AlignedBuffer(io.block_size());
  OCFSX_RETURN_IF_ERROR(io.Read(blkno, n.type(), n.buf.data()));
  std::string where = "block " + std::to_string(blkno) + " (" + BlockTypeName(n.type()) + ")";
  if (Le64(reinterpret_cast<ocfsx_block_header*>(n.buf.data())->bh_owner) != ino)
    return Status::Corrupt(where + ": not owned by " + DirWhere(ino));
  uint32_t cap_max = root ? ocfsx_dx_root_entries(io.block_size()) : ocfsx_dx_node_entries(io.block_size());
  if (Le16(n.hdr()->dn_capacity) > cap_max || n.count() > Le16(n.hdr()->dn_capacity) || n.level() > OCFSX_MAX_DX_LEVEL)
    return Status::Corrupt(where + ": bad node header (count " + std::to_string(n.count()) + ", level " +
                           std::to_string(n.level()) + ")");
  return n;
}

Result<DxNode> NewDxNode(const DirContext& ctx, uint64_t ino, bool root, uint32_t level, SpaceSource& space) {
  auto b = space.AllocMetaBlock();
  if (!b.ok()) return b.status();
  MetaIo& io = *ctx.io;
  DxNode n;
  n.blkno = b->blkno;
  n.root = root;
  n.buf = AlignedBuffer(io.block_size());
  InitBlockHeader(n.buf.data(), n.type(), io.block_size(), n.blkno, ino, io.fs_generation(), b->origin);
  n.hdr()->dn_level = static_cast<uint8_t>(level);
  n.hdr()->dn_capacity =
      Le16(static_cast<uint16_t>(root ? ocfsx_dx_root_entries(io.block_size()) : ocfsx_dx_node_entries(io.block_size())));
  if (root) n.dr()->dr_hash_version = OCFSX_DX_HASH_SIPHASH24;
  return n;
}

Status WriteDxNode(MetaIo& io, DxNode& n) { return io.Write(n.blkno, n.type(), n.buf.data()); }

bool EntryLess(const ocfsx_dx_entry& a, uint64_t hash, uint64_t blkno) {
  return Le64(a.dx_hash) < hash || (Le64(a.dx_hash) == hash && Le64(a.dx_blkno) < blkno);
}

void InsertSorted(DxNode& n, uint64_t hash, uint64_t blkno, uint32_t from = 0) {
  uint32_t cnt = n.count();
  uint32_t pos = from;
  while (pos < cnt && EntryLess(n.ents()[pos], hash, blkno)) pos++;
  std::memmove(&n.ents()[pos + 1], &n.ents()[pos], (cnt - pos) * sizeof(ocfsx_dx_entry));
  n.ents()[pos].dx_hash = Le64(hash);
  n.ents()[pos].dx_blkno = Le64(blkno);
  n.hdr()->dn_count = Le16(static_cast<uint16_t>(cnt + 1));
}

// Rightmost child whose key is strictly below hash, else child 0 (§9.3).
uint32_t ChildFor(DxNode& n, uint64_t hash) {
  uint32_t i = 0;
  for (uint32_t k = 1; k < n.count(); k++)
    if (Le64(n.ents()[k].dx_hash) < hash) i = k;
  return i;
}

struct Split {
  uint64_t hash;
  uint64_t blkno;
};

// Inserts (hash, blkno) below node n; returns the new right sibling when n
// itself had to split (never for the root, which the caller keeps non-full).
Result<std::optional<Split>> DxInsert(const DirContext& ctx, uint64_t ino, DxNode& n, uint64_t hash, uint64_t blkno,
                                      SpaceSource& space) {
  MetaIo& io = *ctx.io;
  uint64_t ins_hash = hash, ins_blkno = blkno;
  if (n.level() > 0) {
    uint32_t ci = ChildFor(n, hash);
    auto child = ReadDxNode(io, ino, Le64(n.ents()[ci].dx_blkno), false);
    if (!child.ok()) return child.status();
    if (child->level() + 1 != n.level()) return Status::Corrupt(DirWhere(ino) + ": dx tree levels are inconsistent");
    auto r = DxInsert(ctx, ino, *child, hash, blkno, space);
    if (!r.ok()) return r.status();
    // Entry 0 acts as -infinity, but keep its stored key the true minimum so
    // the node stays sorted for checkers.
    bool key_moved = ci == 0 && child->count() && child->ents()[0].dx_hash != n.ents()[0].dx_hash;
    if (key_moved) n.ents()[0].dx_hash = child->ents()[0].dx_hash;
    if (!r->has_value()) {
      if (key_moved) OCFSX_RETURN_IF_ERROR(WriteDxNode(io, n));
      return std::optional<Split>();
    }
    ins_hash = (*r)->hash;
    ins_blkno = (*r)->blkno;
  }
  if (n.count() < Le16(n.hdr()->dn_capacity)) {
    InsertSorted(n, ins_hash, ins_blkno, n.level() > 0 ? 1 : 0);
    OCFSX_RETURN_IF_ERROR(WriteDxNode(io, n));
    return std::optional<Split>();
  }
  if (n.root) return Status::Corrupt(DirWhere(ino) + ": dx root unexpectedly full");
  auto sib = NewDxNode(ctx, ino, false, n.level(), space);
  if (!sib.ok()) return sib.status();
  uint32_t cnt = n.count(), half = cnt / 2;
  std::memcpy(sib->ents(), &n.ents()[half], (cnt - half) * sizeof(ocfsx_dx_entry));
  std::memset(&n.ents()[half], 0, (cnt - half) * sizeof(ocfsx_dx_entry));
  sib->hdr()->dn_count = Le16(static_cast<uint16_t>(cnt - half));
  n.hdr()->dn_count = Le16(static_cast<uint16_t>(half));
  sib->hdr()->dn_next = n.hdr()->dn_next;
  n.hdr()->dn_next = Le64(sib->blkno);
  if (Le64(sib->ents()[0].dx_hash) < ins_hash ||
      (Le64(sib->ents()[0].dx_hash) == ins_hash && Le64(sib->ents()[0].dx_blkno) <= ins_blkno))
    InsertSorted(*sib, ins_hash, ins_blkno, n.level() > 0 ? 1 : 0);
  else
    InsertSorted(n, ins_hash, ins_blkno, n.level() > 0 ? 1 : 0);
  OCFSX_RETURN_IF_ERROR(WriteDxNode(io, *sib));
  OCFSX_RETURN_IF_ERROR(WriteDxNode(io, n));
  return std::optional<Split>(Split{Le64(sib->ents()[0].dx_hash), sib->blkno});
}

// Moves a full root's entries into a new child so the root has room again.
Status GrowRoot(const DirContext& ctx, uint64_t ino, DxNode& root, SpaceSource& space) {
  if (root.level() >= OCFSX_MAX_DX_LEVEL) return Status::Error(EOPNOTSUPP, DirWhere(ino) + ": directory index is at its maximum height");
  auto child = NewDxNode(ctx, ino, false, root.level(), space);
  if (!child.ok()) return child.status();
  uint32_t cnt = root.count();
  std::memcpy(child->ents(), root.ents(), cnt * sizeof(ocfsx_dx_entry));
  child->hdr()->dn_count = Le16(static_cast<uint16_t>(cnt));
  OCFSX_RETURN_IF_ERROR(WriteDxNode(*ctx.io, *child));
  std::memset(root.ents(), 0, cnt * sizeof(ocfsx_dx_entry));
  root.hdr()->dn_level = static_cast<uint8_t>(root.level() + 1);
  root.hdr()->dn_count = Le16(1);
  root.ents()[0].dx_hash = child->ents()[0].dx_hash;
  root.ents()[0].dx_blkno = Le64(child->blkno);
  return Status();
}

// Creates the index over every dirent block of an unindexed block directory
// and threads the free-space list through them.
Status BuildIndex(const DirContext& ctx, Inode& dir, std::vector<DirBlock>& blocks, SpaceSource& space) {
  MetaIo& io = *ctx.io;
  auto root = NewDxNode(ctx, dir.blkno(), true, 0, space);
  if (!root.ok()) return root.status();
  uint64_t entries = 0;
  uint64_t head = 0;
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    it->Refresh();
    if (Le16(it->trailer()->dt_largest_free) >= OCFSX_DIR_FREE_LIST_MIN) {
      it->trailer()->dt_next_free = Le64(head);
      head = it->blkno;
    } else {
      it->trailer()->dt_next_free = 0;
    }
  }
  root->dr()->dr_free_head = Le64(head);
  OCFSX_RETURN_IF_ERROR(WriteDxNode(io, *root));
  dir.raw().i_dx_root = Le64(root->blkno);
  for (DirBlock& b : blocks) {
    OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, b));
    std::vector<std::pair<uint64_t, uint64_t>> keys;
    OCFSX_RETURN_IF_ERROR(ForEachInRegion(b.region(), b.blkno, [&](const DirEntry& e) {
      keys.emplace_back(DirHash(ctx, e.name), b.blkno);
      return Status();
    }));
    for (auto& [h, bn] : keys) {
      if (root->count() == Le16(root->hdr()->dn_capacity)) OCFSX_RETURN_IF_ERROR(GrowRoot(ctx, dir.blkno(), *root, space));
      auto ins = DxInsert(ctx, dir.blkno(), *root, h, bn, space);
      if (!ins.ok()) return ins.status();
      entries++;
    }
  }
  root->dr()->dr_entries = Le64(entries);
  return WriteDxNode(io, *root);
}

Status CheckName(uint64_t ino, std::string_view name) {
  if (name.empty() || name.size() > OCFSX_NAME_MAX || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos)
    return Status::Invalid(DirWhere(ino) + ": invalid name \"" + std::string(name) + "\"");
  return Status();
}

}  // namespace

void DirContext::KeyFromBytes(const uint8_t key[16], uint64_t* k0, uint64_t* k1) {
  uint64_t a = 0, b = 0;
  for (int i = 7; i >= 0; i--) {
    a = (a << 8) | key[i];
    b = (b << 8) | key[8 + i];
  }
  *k0 = a;
  *k1 = b;
}

uint64_t DirHash(const DirContext& ctx, std::string_view name) {
  return ocfsx_dx_hash_ref(ctx.k0, ctx.k1, name.data(), static_cast<uint32_t>(name.size()));
}

Status InitDir(const DirContext& ctx, Inode& dir, uint64_t parent_ino, SpaceSource& space) {
  MetaIo& io = *ctx.io;
  std::string_view dot = ".", dotdot = "..";
  if (ctx.inline_data) {
    dir.raw().i_body_format = OCFSX_BODY_INLINE;
    Region r{dir.body(), dir.body_size()};
    InitEmptyRegion(r);
    InsertInRegion(r, dot, dir.blkno(), OCFSX_FT_DIR, static_cast<uint32_t>(DirHash(ctx, dot)));
    InsertInRegion(r, dotdot, parent_ino, OCFSX_FT_DIR, static_cast<uint32_t>(DirHash(ctx, dotdot)));
    dir.raw().i_size = Le64(dir.body_size());
    return dir.Write(io);
  }
  dir.InitExtentRoot();
  dir.raw().i_size = 0;
  auto b = AppendDirBlock(ctx, dir, space);
  if (!b.ok()) return b.status();
  InsertInRegion(b->region(), dot, dir.blkno(), OCFSX_FT_DIR, static_cast<uint32_t>(DirHash(ctx, dot)));
  InsertInRegion(b->region(), dotdot, parent_ino, OCFSX_FT_DIR, static_cast<uint32_t>(DirHash(ctx, dotdot)));
  OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, *b));
  return dir.Write(io);
}

Status IterateDir(const DirContext& ctx, const Inode& dir, const std::function<Status(const DirEntry&)>& fn) {
  if (!dir.is_dir()) return Status::Invalid("inode " + std::to_string(dir.blkno()) + " is not a directory");
  if (dir.body_format() == OCFSX_BODY_INLINE) {
    if (dir.size() > dir.body_size()) return Status::Corrupt(DirWhere(dir.blkno()) + ": inline size exceeds the body");
    Region r{const_cast<uint8_t*>(dir.body()), static_cast<uint32_t>(dir.size())};
    OCFSX_RETURN_IF_ERROR(CheckRegion(r, dir.blkno(), 0));
    return ForEachInRegion(r, 0, fn);
  }
  if (dir.body_format() != OCFSX_BODY_EXTENTS)
    return Status::Corrupt(DirWhere(dir.blkno()) + ": body format " + std::to_string(dir.body_format()) + " is not a directory's");
  if (dir.size() % dir.block_size()) return Status::Corrupt(DirWhere(dir.blkno()) + ": size is not a whole number of blocks");
  auto ext = CollectExtents(*ctx.io, dir);
  if (!ext.ok()) return ext.status();
  for (uint64_t lb = 0; lb < NumBlocks(dir); lb++) {
    uint64_t blkno = MapBlockInExtents(*ext, ctx.io->geometry(), lb);
    if (blkno == 0) return Status::Corrupt(DirWhere(dir.blkno()) + ": hole at block " + std::to_string(lb));
    auto b = ReadDirBlock(*ctx.io, dir.blkno(), blkno);
    if (!b.ok()) return b.status();
    OCFSX_RETURN_IF_ERROR(ForEachInRegion(b->region(), blkno, fn));
  }
  return Status();
}

Result<DirEntry> LookupDir(const DirContext& ctx, const Inode& dir, std::string_view name) {
  uint32_t h32 = static_cast<uint32_t>(DirHash(ctx, name));
  std::optional<DirEntry> found;
  auto match = [&](const DirEntry& e) -> Status {
    if (!found && e.hash == h32 && e.name == name) found = e;
    return Status();
  };
  uint64_t dx = Le64(dir.raw().i_dx_root);
  if (dx == 0 || dir.body_format() != OCFSX_BODY_EXTENTS) {
    OCFSX_RETURN_IF_ERROR(IterateDir(ctx, dir, match));
  } else {
    uint64_t hash = DirHash(ctx, name);
    const MetaIo& io = *ctx.io;
    auto node = ReadDxNode(io, dir.blkno(), dx, true);
    if (!node.ok()) return node.status();
    DxNode n = std::move(node).value();
    for (int guard = 0; n.level() > 0; guard++) {
      if (guard > OCFSX_MAX_DX_LEVEL || n.count() == 0) return Status::Corrupt(DirWhere(dir.blkno()) + ": broken dx tree");
      auto child = ReadDxNode(io, dir.blkno(), Le64(n.ents()[ChildFor(n, hash)].dx_blkno), false);
      if (!child.ok()) return child.status();
      if (child->level() + 1 != n.level()) return Status::Corrupt(DirWhere(dir.blkno()) + ": dx tree levels are inconsistent");
      n = std::move(child).value();
    }
    std::unordered_set<uint64_t> visited;  // a damaged chain must not loop forever
    for (;;) {
      for (uint32_t i = 0; i < n.count() && !found; i++) {
        if (Le64(n.ents()[i].dx_hash) != hash) continue;
        auto b = ReadDirBlock(io, dir.blkno(), Le64(n.ents()[i].dx_blkno));
        if (!b.ok()) return b.status();
        OCFSX_RETURN_IF_ERROR(ForEachInRegion(b->region(), b->blkno, match));
      }
      uint64_t next = Le64(n.hdr()->dn_next);
      if (found || next == 0) break;
      if (!visited.insert(next).second) return Status::Corrupt(DirWhere(dir.blkno()) + ": dx leaf chain loops at block " + std::to_string(next));
      auto nx = ReadDxNode(io, dir.blkno(), next, false);
      if (!nx.ok()) return nx.status();
      if (nx->count() == 0 || Le64(nx->ents()[0].dx_hash) != hash) break;
      n = std::move(nx).value();
    }
  }
  if (!found) return ErrnoStatus(ENOENT, DirWhere(dir.blkno()) + ": \"" + std::string(name) + "\"");
  return *found;
}

Status AddDirEntry(const DirContext& ctx, Inode& dir, std::string_view name, uint64_t ino, uint8_t file_type,
                   SpaceSource& space) {
  MetaIo& io = *ctx.io;
  OCFSX_RETURN_IF_ERROR(CheckName(dir.blkno(), name));
  auto existing = LookupDir(ctx, dir, name);
  if (existing.ok()) return ErrnoStatus(EEXIST, DirWhere(dir.blkno()) + ": \"" + std::string(name) + "\"");
  if (existing.status().err() != ENOENT) return existing.status();
  uint64_t hash = DirHash(ctx, name);
  auto h32 = static_cast<uint32_t>(hash);

  if (dir.body_format() == OCFSX_BODY_INLINE) {
    Region r{dir.body(), static_cast<uint32_t>(dir.size())};
    if (InsertInRegion(r, name, ino, file_type, h32)) return dir.Write(io);
    // Out of room: move the entries into a first dirent block.
    std::vector<DirEntry> live;
    OCFSX_RETURN_IF_ERROR(ForEachInRegion(r, 0, [&](const DirEntry& e) {
      live.push_back(e);
      return Status();
    }));
    dir.InitExtentRoot();
    dir.raw().i_size = 0;
    auto b = AppendDirBlock(ctx, dir, space);
    if (!b.ok()) return b.status();
    for (const DirEntry& e : live)
      if (!InsertInRegion(b->region(), e.name, e.ino, e.file_type, e.hash))
        return Status::Corrupt(DirWhere(dir.blkno()) + ": inline entries do not fit one block");
    if (!InsertInRegion(b->region(), name, ino, file_type, h32)) {
      OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, *b));
      OCFSX_RETURN_IF_ERROR(dir.Write(io));
      return AddDirEntry(ctx, dir, name, ino, file_type, space);
    }
    OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, *b));
    return dir.Write(io);
  }
  if (dir.body_format() != OCFSX_BODY_EXTENTS) return Status::Corrupt(DirWhere(dir.blkno()) + ": not a directory body");

  uint64_t dx = Le64(dir.raw().i_dx_root);
  if (dx == 0) {
    std::vector<DirBlock> blocks;
    auto ext = CollectExtents(io, dir);
    if (!ext.ok()) return ext.status();
    for (uint64_t lb = 0; lb < NumBlocks(dir); lb++) {
      auto b = ReadDirBlock(io, dir.blkno(), MapBlockInExtents(*ext, io.geometry(), lb));
      if (!b.ok()) return b.status();
      if (InsertInRegion(b->region(), name, ino, file_type, h32)) {
        OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, *b));
        return dir.Write(io);
      }
      blocks.push_back(std::move(b).value());
    }
    auto nb = AppendDirBlock(ctx, dir, space);
    if (!nb.ok()) return nb.status();
    InsertInRegion(nb->region(), name, ino, file_type, h32);
    blocks.push_back(std::move(nb).value());
    if (ctx.indexed && blocks.size() > 1) {
      OCFSX_RETURN_IF_ERROR(BuildIndex(ctx, dir, blocks, space));
    } else {
      OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, blocks.back()));
    }
    return dir.Write(io);
  }

  // Indexed: probe the free-space list, else append a block and push it.
  auto root = ReadDxNode(io, dir.blkno(), dx, true);
  if (!root.ok()) return root.status();
  uint64_t target = 0;
  uint64_t prev = 0;  // 0 = the root's head pointer
  std::optional<DirBlock> prev_blk;
  uint64_t cur = Le64(root->dr()->dr_free_head);
  for (int probes = 0; cur != 0 && probes < 4 && target == 0; probes++) {
    auto b = ReadDirBlock(io, dir.blkno(), cur);
    if (!b.ok()) return b.status();
    uint64_t next = Le64(b->trailer()->dt_next_free);
    if (Le16(b->trailer()->dt_largest_free) >= ocfsx_dir_rec_len(static_cast<uint32_t>(name.size())) &&
        InsertInRegion(b->region(), name, ino, file_type, h32)) {
      target = cur;
      b->Refresh();
      if (Le16(b->trailer()->dt_largest_free) < OCFSX_DIR_FREE_LIST_MIN) {
        // Unlink the now nearly full block from the list.
        b->trailer()->dt_next_free = 0;
        if (prev == 0) {
          root->dr()->dr_free_head = Le64(next);
        } else {
          prev_blk->trailer()->dt_next_free = Le64(next);
          OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, *prev_blk));
        }
      }
      OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, *b));
      break;
    }
    prev = cur;
    prev_blk = std::move(b).value();
    cur = next;
  }
  if (target == 0) {
    auto nb = AppendDirBlock(ctx, dir, space);
    if (!nb.ok()) return nb.status();
    InsertInRegion(nb->region(), name, ino, file_type, h32);
    nb->trailer()->dt_next_free = root->dr()->dr_free_head;
    root->dr()->dr_free_head = Le64(nb->blkno);
    OCFSX_RETURN_IF_ERROR(WriteDirBlock(io, *nb));
    target = nb->blkno;
  }
  root->dr()->dr_entries = Le64(Le64(root->dr()->dr_entries) + 1);
  if (root->count() == Le16(root->hdr()->dn_capacity)) OCFSX_RETURN_IF_ERROR(GrowRoot(ctx, dir.blkno(), *root, space));
  auto ins = DxInsert(ctx, dir.blkno(), *root, hash, target, space);
  if (!ins.ok()) return ins.status();
  OCFSX_RETURN_IF_ERROR(WriteDxNode(io, *root));
  return dir.Write(io);
}

Status WalkDxLeaves(const DirContext& ctx, const Inode& dir, const std::function<Status(uint64_t, uint64_t)>& fn) {
  uint64_t dx = Le64(dir.raw().i_dx_root);
  if (dx == 0) return Status();
  auto node = ReadDxNode(*ctx.io, dir.blkno(), dx, true);
  if (!node.ok()) return node.status();
  DxNode n = std::move(node).value();
  while (n.level() > 0) {
    if (n.count() == 0) return Status::Corrupt(DirWhere(dir.blkno()) + ": empty interior dx node");
    auto c = ReadDxNode(*ctx.io, dir.blkno(), Le64(n.ents()[0].dx_blkno), false);
    if (!c.ok()) return c.status();
    if (c->level() + 1 != n.level()) return Status::Corrupt(DirWhere(dir.blkno()) + ": dx tree levels are inconsistent");
    n = std::move(c).value();
  }
  std::unordered_set<uint64_t> visited;  // a damaged chain must not loop forever
  for (;;) {
    for (uint32_t i = 0; i < n.count(); i++) OCFSX_RETURN_IF_ERROR(fn(Le64(n.ents()[i].dx_hash), Le64(n.ents()[i].dx_blkno)));
    uint64_t next = Le64(n.hdr()->dn_next);
    if (next == 0 || n.root) break;
    if (!visited.insert(next).second) return Status::Corrupt(DirWhere(dir.blkno()) + ": dx leaf chain loops at block " + std::to_string(next));
    auto c = ReadDxNode(*ctx.io, dir.blkno(), next, false);
    if (!c.ok()) return c.status();
    n = std::move(c).value();
  }
  return Status();
}

}  // namespace ocfsx
