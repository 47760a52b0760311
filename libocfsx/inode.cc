// Inode blocks, extent-tree walking and offline extent appends.
#include "ocfsx/inode.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "ocfsx/endian.h"
#include "ocfsx/status.h"

namespace ocfsx {
namespace {

std::string InodeWhere(uint64_t blkno) { return "inode " + std::to_string(blkno); }

Status WalkNode(const MetaIo& io, uint64_t ino, const ocfsx_extent_hdr* hdr, const ocfsx_extent* recs,
                uint32_t expect_depth, bool is_root, uint64_t span_end,
                const std::function<Status(const ocfsx_extent&)>& on_leaf,
                const std::function<Status(uint64_t, const ocfsx_extent_block&)>& on_block) {
  uint32_t depth = Le16(hdr->eh_depth), used = Le16(hdr->eh_used), cap = Le16(hdr->eh_capacity);
  if (depth > OCFSX_MAX_EXTENT_DEPTH) return Status::Corrupt(InodeWhere(ino) + ": extent tree depth " + std::to_string(depth) + " exceeds 8");
  if (!is_root && depth != expect_depth)
    return Status::Corrupt(InodeWhere(ino) + ": extent block at depth " + std::to_string(depth) + ", expected " +
                           std::to_string(expect_depth));
  if (used > cap) return Status::Corrupt(InodeWhere(ino) + ": extent node uses " + std::to_string(used) + " of " + std::to_string(cap) + " records");
  uint64_t prev_end = 0;
  for (uint32_t i = 0; i < used; i++) {
    ocfsx_extent e = recs[i];
    e.ex_start = Le64(e.ex_start);
    e.ex_lcluster = Le32(e.ex_lcluster);
    e.ex_clusters = Le32(e.ex_clusters);
    e.ex_flags = Le16(e.ex_flags);
    if (e.ex_lcluster < prev_end) return Status::Corrupt(InodeWhere(ino) + ": extent records out of order");
    if (depth == 0) {
      uint64_t end = uint64_t{e.ex_lcluster} + e.ex_clusters;
      if (e.ex_clusters == 0 || end > span_end) return Status::Corrupt(InodeWhere(ino) + ": bad extent length");
      prev_end = end;
      OCFSX_RETURN_IF_ERROR(on_leaf(e));
      continue;
    }
    uint64_t child_end = i + 1 < used ? Le32(recs[i + 1].ex_lcluster) : span_end;
    prev_end = e.ex_lcluster;
    AlignedBuffer buf(io.block_size());
    OCFSX_RETURN_IF_ERROR(io.Read(e.ex_start, OCFSX_BT_EXTENT, buf.data()));
    auto* eb = reinterpret_cast<const ocfsx_extent_block*>(buf.data());
    if (Le64(eb->eb_hdr.bh_owner) != ino)
      return Status::Corrupt("block " + std::to_string(e.ex_start) + " (extent block): owner " +
                             std::to_string(Le64(eb->eb_hdr.bh_owner)) + " is not inode " + std::to_string(ino));
    if (Le16(eb->eb_list.eh_capacity) > ocfsx_extent_block_recs(io.block_size()))
      return Status::Corrupt("block " + std::to_string(e.ex_start) + " (extent block): capacity too large");
    if (on_block) OCFSX_RETURN_IF_ERROR(on_block(e.ex_start, *eb));
    auto* child = reinterpret_cast<const ocfsx_extent*>(buf.data() + OCFSX_EXTENT_BLOCK_RECS_OFFSET);
    OCFSX_RETURN_IF_ERROR(WalkNode(io, ino, &eb->eb_list, child, depth - 1, false, child_end, on_leaf, on_block));
  }
  return Status();
}

}  // namespace

Result<Inode> Inode::Read(const MetaIo& io, uint64_t blkno) {
  Inode in;
  in.buf_ = AlignedBuffer(io.block_size());
  in.blkno_ = blkno;
  OCFSX_RETURN_IF_ERROR(io.Read(blkno, OCFSX_BT_INODE, in.buf_.data()));
  uint32_t xs = Le16(in.raw().i_xattr_inline_size);
  if (xs % 8 || OCFSX_INODE_BODY_OFFSET + xs > io.block_size())
    return Status::Corrupt(InodeWhere(blkno) + ": inline xattr size " + std::to_string(xs) + " does not fit the block");
  // Every body reader may then rely on its fixed header being inside the
  // block; only the records after it need their own bounds.
  size_t need = 0;
  switch (in.body_format()) {
    case OCFSX_BODY_EXTENTS: need = sizeof(ocfsx_extent_hdr); break;
    case OCFSX_BODY_CHAINS: need = sizeof(ocfsx_chain_table); break;
    case OCFSX_BODY_LOCAL_ALLOC: need = sizeof(ocfsx_local_alloc); break;
    case OCFSX_BODY_DEALLOC_LOG: need = sizeof(ocfsx_dealloc_log); break;
    default: break;
  }
  if (in.body_size() < need)
    return Status::Corrupt(InodeWhere(blkno) + ": body of " + std::to_string(in.body_size()) + " bytes is too small for body format " +
                           std::to_string(in.body_format()));
  return in;
}

Inode Inode::New(const MetaIo& io, uint64_t blkno, const AllocOrigin& origin, uint16_t mode, uint8_t body_format,
                 uint16_t xattr_inline_size) {
  Inode in;
  in.buf_ = AlignedBuffer(io.block_size());
  in.blkno_ = blkno;
  InitBlockHeader(in.buf_.data(), OCFSX_BT_INODE, io.block_size(), blkno, blkno, io.fs_generation(), origin);
  ocfsx_inode& r = in.raw();
  r.i_mode = Le16(mode);
  r.i_body_format = body_format;
  r.i_links = Le32(1);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t sec = static_cast<uint64_t>(ts.tv_sec);
  uint32_t nsec = static_cast<uint32_t>(ts.tv_nsec);
  r.i_atime = r.i_ctime = r.i_mtime = r.i_crtime = Le64(sec);
  r.i_atime_nsec = r.i_ctime_nsec = r.i_mtime_nsec = r.i_crtime_nsec = Le32(nsec);
  r.i_flags = Le32(OCFSX_IFL_VALID);
  r.i_xattr_inline_size = Le16(xattr_inline_size);
  r.i_sys_slot = Le16(OCFSX_SLOT_NONE);
  r.i_orphan_slot = Le16(OCFSX_SLOT_NONE);
  if (body_format == OCFSX_BODY_EXTENTS) in.InitExtentRoot();
  return in;
}

Status Inode::Write(MetaIo& io) { return io.Write(blkno_, OCFSX_BT_INODE, buf_.data()); }

uint32_t Inode::body_size() const { return ocfsx_inode_body_size(block_size(), Le16(raw().i_xattr_inline_size)); }
uint16_t Inode::mode() const { return Le16(raw().i_mode); }
uint64_t Inode::size() const { return Le64(raw().i_size); }
bool Inode::is_dir() const { return S_ISDIR(mode()); }
bool Inode::is_symlink() const { return S_ISLNK(mode()); }

void Inode::InitExtentRoot() {
  std::memset(body(), 0, body_size());
  raw().i_body_format = OCFSX_BODY_EXTENTS;
  extent_root()->eh_capacity = Le16(static_cast<uint16_t>(ocfsx_inode_extent_recs(block_size(), Le16(raw().i_xattr_inline_size))));
  raw().i_last_leaf = 0;
}

Status ForEachExtent(const MetaIo& io, const Inode& inode, const std::function<Status(const ocfsx_extent&)>& on_leaf,
                     const std::function<Status(uint64_t, const ocfsx_extent_block&)>& on_block) {
  if (inode.body_format() != OCFSX_BODY_EXTENTS)
    return Status::Invalid(InodeWhere(inode.blkno()) + ": body format " + std::to_string(inode.body_format()) + " has no extents");
  if (Le16(inode.extent_root()->eh_capacity) >
      ocfsx_inode_extent_recs(inode.block_size(), Le16(inode.raw().i_xattr_inline_size)))
    return Status::Corrupt(InodeWhere(inode.blkno()) + ": extent root capacity too large");
  return WalkNode(io, inode.blkno(), inode.extent_root(), inode.extent_recs(), 0, true, OCFSX_MAX_FILE_CLUSTERS, on_leaf,
                  on_block);
}

Result<std::vector<ocfsx_extent>> CollectExtents(const MetaIo& io, const Inode& inode) {
  std::vector<ocfsx_extent> v;
  OCFSX_RETURN_IF_ERROR(ForEachExtent(io, inode, [&](const ocfsx_extent& e) {
    v.push_back(e);
    return Status();
  }));
  return v;
}

uint64_t MapBlockInExtents(const std::vector<ocfsx_extent>& extents, const Geometry& geo, uint64_t lblock) {
  uint64_t lcluster = lblock >> (geo.cbits - geo.bbits);
  auto it = std::upper_bound(extents.begin(), extents.end(), lcluster,
                             [](uint64_t c, const ocfsx_extent& e) { return c < e.ex_lcluster; });
  if (it == extents.begin()) return 0;
  --it;
  if (lcluster >= uint64_t{it->ex_lcluster} + it->ex_clusters) return 0;
  uint64_t off = lblock - geo.ClusterToBlock(it->ex_lcluster);
  return geo.ClusterToBlock(it->ex_start) + off;
}

Result<uint64_t> MapBlock(const MetaIo& io, const Inode& inode, uint64_t lblock) {
  auto ext = CollectExtents(io, inode);
  if (!ext.ok()) return ext.status();
  return MapBlockInExtents(*ext, io.geometry(), lblock);
}

Status AppendExtent(MetaIo& io, Inode& inode, uint64_t pcluster, uint32_t clusters, SpaceSource& meta, uint16_t flags) {
  const uint32_t bs = io.block_size();
  const uint64_t ino = inode.blkno();
  if (inode.body_format() != OCFSX_BODY_EXTENTS) return Status::Invalid(InodeWhere(ino) + ": not an extents inode");
  if (clusters == 0) return Status();
  ocfsx_extent_hdr* root = inode.extent_root();
  uint32_t depth = Le16(root->eh_depth);
  if (depth > 1) return Status::Error(EOPNOTSUPP, InodeWhere(ino) + ": offline append supports extent trees of depth 0 and 1");

  // The node that receives the record: the root at depth 0, else the last leaf.
  AlignedBuffer leaf_buf;
  ocfsx_extent_hdr* node = root;
  ocfsx_extent* recs = inode.extent_recs();
  uint64_t leaf_blkno = 0;
  if (depth == 1) {
    leaf_blkno = Le64(inode.raw().i_last_leaf);
    if (leaf_blkno == 0) return Status::Corrupt(InodeWhere(ino) + ": extent tree of depth 1 without a last leaf");
    leaf_buf = AlignedBuffer(bs);
    OCFSX_RETURN_IF_ERROR(io.Read(leaf_blkno, OCFSX_BT_EXTENT, leaf_buf.data()));
    node = &reinterpret_cast<ocfsx_extent_block*>(leaf_buf.data())->eb_list;
    recs = reinterpret_cast<ocfsx_extent*>(leaf_buf.data() + OCFSX_EXTENT_BLOCK_RECS_OFFSET);
  }
  uint32_t used = Le16(node->eh_used);
  uint64_t lstart = 0;
  if (used) {
    ocfsx_extent& last = recs[used - 1];
    lstart = uint64_t{Le32(last.ex_lcluster)} + Le32(last.ex_clusters);
    if (Le64(last.ex_start) + Le32(last.ex_clusters) == pcluster && Le16(last.ex_flags) == flags &&
        uint64_t{Le32(last.ex_clusters)} + clusters < (1ULL << 32)) {
      if (lstart + clusters > OCFSX_MAX_FILE_CLUSTERS) return Status::Invalid(InodeWhere(ino) + ": file would exceed 2^32 clusters");
      last.ex_clusters = Le32(Le32(last.ex_clusters) + clusters);
      inode.raw().i_clusters = Le64(Le64(inode.raw().i_clusters) + clusters);
      if (depth == 1) return io.Write(leaf_blkno, OCFSX_BT_EXTENT, leaf_buf.data());
      return Status();
    }
  } else if (depth == 1) {
    return Status::Corrupt(InodeWhere(ino) + ": empty last extent leaf");
  }
  if (lstart + clusters > OCFSX_MAX_FILE_CLUSTERS) return Status::Invalid(InodeWhere(ino) + ": file would exceed 2^32 clusters");

  ocfsx_extent rec{};
  rec.ex_start = Le64(pcluster);
  rec.ex_lcluster = Le32(static_cast<uint32_t>(lstart));
  rec.ex_clusters = Le32(clusters);
  rec.ex_flags = Le16(flags);

  auto new_leaf = [&](AlignedBuffer& buf, AllocatedBlock& blk) -> Status {
    auto b = meta.AllocMetaBlock();
    if (!b.ok()) return b.status();
    blk = *b;
    buf = AlignedBuffer(bs);
    InitBlockHeader(buf.data(), OCFSX_BT_EXTENT, bs, blk.blkno, ino, io.fs_generation(), blk.origin);
    auto* eb = reinterpret_cast<ocfsx_extent_block*>(buf.data());
    eb->eb_list.eh_capacity = Le16(static_cast<uint16_t>(ocfsx_extent_block_recs(bs)));
    return Status();
  };

  if (used < Le16(node->eh_capacity)) {
    recs[used] = rec;
    node->eh_used = Le16(static_cast<uint16_t>(used + 1));
    inode.raw().i_clusters = Le64(Le64(inode.raw().i_clusters) + clusters);
    if (depth == 1) return io.Write(leaf_blkno, OCFSX_BT_EXTENT, leaf_buf.data());
    return Status();
  }

  if (depth == 0) {
    // Root full: push its records down into a first leaf, root becomes depth 1.
    AlignedBuffer buf;
    AllocatedBlock blk;
    OCFSX_RETURN_IF_ERROR(new_leaf(buf, blk));
    auto* eb = reinterpret_cast<ocfsx_extent_block*>(buf.data());
    auto* lrecs = reinterpret_cast<ocfsx_extent*>(buf.data() + OCFSX_EXTENT_BLOCK_RECS_OFFSET);
    std::memcpy(lrecs, recs, used * sizeof(ocfsx_extent));
    lrecs[used] = rec;
    eb->eb_list.eh_used = Le16(static_cast<uint16_t>(used + 1));
    OCFSX_RETURN_IF_ERROR(io.Write(blk.blkno, OCFSX_BT_EXTENT, buf.data()));
    std::memset(recs, 0, used * sizeof(ocfsx_extent));
    root->eh_depth = Le16(1);
    root->eh_used = Le16(1);
    recs[0].ex_start = Le64(blk.blkno);
    inode.raw().i_last_leaf = Le64(blk.blkno);
    inode.raw().i_clusters = Le64(Le64(inode.raw().i_clusters) + clusters);
    return Status();
  }

  // Depth 1, last leaf full: start a new leaf to its right.
  uint32_t root_used = Le16(root->eh_used);
  if (root_used >= Le16(root->eh_capacity))
    return Status::Error(EOPNOTSUPP, InodeWhere(ino) + ": extent tree full for an offline append");
  AlignedBuffer buf;
  AllocatedBlock blk;
  OCFSX_RETURN_IF_ERROR(new_leaf(buf, blk));
  auto* eb = reinterpret_cast<ocfsx_extent_block*>(buf.data());
  reinterpret_cast<ocfsx_extent*>(buf.data() + OCFSX_EXTENT_BLOCK_RECS_OFFSET)[0] = rec;
  eb->eb_list.eh_used = Le16(1);
  OCFSX_RETURN_IF_ERROR(io.Write(blk.blkno, OCFSX_BT_EXTENT, buf.data()));
  reinterpret_cast<ocfsx_extent_block*>(leaf_buf.data())->eb_next_leaf = Le64(blk.blkno);
  OCFSX_RETURN_IF_ERROR(io.Write(leaf_blkno, OCFSX_BT_EXTENT, leaf_buf.data()));
  ocfsx_extent& irec = inode.extent_recs()[root_used];
  std::memset(&irec, 0, sizeof(irec));
  irec.ex_start = Le64(blk.blkno);
  irec.ex_lcluster = Le32(static_cast<uint32_t>(lstart));
  root->eh_used = Le16(static_cast<uint16_t>(root_used + 1));
  inode.raw().i_last_leaf = Le64(blk.blkno);
  inode.raw().i_clusters = Le64(Le64(inode.raw().i_clusters) + clusters);
  return Status();
}

Result<std::string> ReadInlineData(const Inode& inode) {
  if (inode.body_format() != OCFSX_BODY_INLINE) return Status::Invalid(InodeWhere(inode.blkno()) + ": data is not inline");
  if (inode.size() > inode.body_size())
    return Status::Corrupt(InodeWhere(inode.blkno()) + ": inline size " + std::to_string(inode.size()) + " exceeds the body (" +
                           std::to_string(inode.body_size()) + " bytes)");
  return std::string(reinterpret_cast<const char*>(inode.body()), static_cast<size_t>(inode.size()));
}

Result<std::string> ReadSymlink(const MetaIo& io, const Inode& inode) {
  if (!inode.is_symlink()) return Status::Invalid(InodeWhere(inode.blkno()) + ": not a symlink");
  if (inode.body_format() == OCFSX_BODY_INLINE) return ReadInlineData(inode);
  if (inode.size() == 0 || inode.size() > io.block_size() || inode.size() > 4096)
    return Status::Corrupt(InodeWhere(inode.blkno()) + ": symlink length " + std::to_string(inode.size()) + " is invalid");
  auto blk = MapBlock(io, inode, 0);
  if (!blk.ok()) return blk.status();
  if (*blk == 0) return Status::Corrupt(InodeWhere(inode.blkno()) + ": symlink target block is a hole");
  AlignedBuffer buf(io.block_size());
  OCFSX_RETURN_IF_ERROR(io.ReadRaw(*blk, buf.data()));
  return std::string(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(inode.size()));
}

}  // namespace ocfsx
