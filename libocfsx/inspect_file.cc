// File contents, journal access and xattr listing for the inspection tools
// (see inspect.h). Everything read from disk is range-checked before use,
// because these run on damaged volumes too.
#include <algorithm>
#include <cstring>
#include <memory>

#include "ocfsx/endian.h"
#include "ocfsx/inspect.h"
#include "ocfsx/journal_io.h"
#include "ocfsx/status.h"

namespace ocfsx::inspect {
namespace {

constexpr size_t kChunk = 1 << 20;  // bytes handed to the caller at a time

Status EmitZeros(uint64_t n, const std::function<Status(std::string_view)>& out) {
  static const std::string zeros(kChunk, '\0');
  while (n) {
    size_t k = static_cast<size_t>(std::min<uint64_t>(n, kChunk));
    OCFSX_RETURN_IF_ERROR(out(std::string_view(zeros.data(), k)));
    n -= k;
  }
  return Status();
}

const char* XattrPrefix(uint8_t index) {
  switch (index) {
    case OCFSX_XATTR_INDEX_USER: return "user.";
    case OCFSX_XATTR_INDEX_POSIX_ACL_ACCESS: return "system.posix_acl_access";
    case OCFSX_XATTR_INDEX_POSIX_ACL_DEFAULT: return "system.posix_acl_default";
    case OCFSX_XATTR_INDEX_TRUSTED: return "trusted.";
    case OCFSX_XATTR_INDEX_SECURITY: return "security.";
    case OCFSX_XATTR_INDEX_SYSTEM: return "system.";
  }
  return nullptr;
}

// Parses one xattr area of len bytes (format §10), stopping at the first
// entry that does not fit.
XattrArea ParseArea(const uint8_t* p, uint32_t len) {
  XattrArea a;
  a.present = true;
  a.area_size = len;
  if (len < sizeof(ocfsx_xattr_header)) {
    a.problem = "area of " + std::to_string(len) + " bytes is smaller than its header";
    return a;
  }
  ocfsx_xattr_header h;
  std::memcpy(&h, p, sizeof(h));
  const uint32_t count = Le16(h.xh_count);
  if (count == 0) return a;  // never used (a fresh area may be all zero)
  if (Le16(h.xh_area_size) != len) {
    a.problem = "header says " + std::to_string(Le16(h.xh_area_size)) + " bytes, area has " + std::to_string(len);
    return a;
  }
  const uint64_t table_end = sizeof(ocfsx_xattr_header) + uint64_t{count} * sizeof(ocfsx_xattr_entry);
  if (table_end > len) {
    a.problem = std::to_string(count) + " entries do not fit the area";
    return a;
  }
  for (uint32_t i = 0; i < count; i++) {
    ocfsx_xattr_entry e;
    std::memcpy(&e, p + sizeof(ocfsx_xattr_header) + i * sizeof(ocfsx_xattr_entry), sizeof(e));
    const uint32_t off = Le16(e.xe_offset), nlen = e.xe_name_len, vsize = Le32(e.xe_value_size);
    const bool outside = e.xe_flags & OCFSX_XE_VALUE_OUTSIDE;
    const uint64_t name_pad = (uint64_t{nlen} + 7) & ~uint64_t{7};
    const uint64_t value_bytes = outside ? sizeof(ocfsx_xattr_value_root) : ((uint64_t{vsize} + 7) & ~uint64_t{7});
    const char* prefix = XattrPrefix(e.xe_index);
    if (!prefix || off < table_end || off + name_pad + value_bytes > len || vsize > OCFSX_XATTR_VALUE_MAX) {
      a.problem = "entry " + std::to_string(i) + " is damaged";
      return a;
    }
    XattrInfo x;
    x.name = prefix;
    std::string name(reinterpret_cast<const char*>(p + off), nlen);
    for (char& c : name)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    x.name += name;
    x.value_size = vsize;
    x.outside = outside;
    a.entries.push_back(std::move(x));
  }
  return a;
}

}  // namespace

Status ReadFileData(const Volume& vol, const Inode& inode, const std::function<Status(std::string_view)>& out) {
  const uint64_t ino = inode.blkno();
  switch (inode.body_format()) {
    case OCFSX_BODY_EMPTY:
      return Status();
    case OCFSX_BODY_INLINE: {
      auto d = ReadInlineData(inode);
      if (!d.ok()) return d.status();
      return out(*d);
    }
    case OCFSX_BODY_EXTENTS:
      break;
    default:
      return Status::Invalid("inode " + std::to_string(ino) + " holds no file data (body format " +
                             std::to_string(inode.body_format()) + ")");
  }
  const MetaIo& io = vol.io();
  const Geometry& geo = io.geometry();
  auto ext = CollectExtents(io, inode);
  if (!ext.ok()) return ext.status();
  const uint64_t size = inode.size();
  const uint64_t cs = geo.cluster_size();
  std::vector<uint8_t> buf(kChunk);
  uint64_t pos = 0;  // bytes emitted so far
  for (const ocfsx_extent& e : *ext) {
    if (pos >= size) break;
    if (e.ex_start >= geo.clusters || e.ex_clusters > geo.clusters - e.ex_start)
      return Status::Corrupt("inode " + std::to_string(ino) + ": extent at cluster " + std::to_string(e.ex_start) + "+" +
                             std::to_string(e.ex_clusters) + " lies outside the volume");
    const uint64_t lstart = uint64_t{e.ex_lcluster} * cs;
    // ForEachExtent guarantees sorted, non-overlapping records.
    if (lstart > pos) {
      OCFSX_RETURN_IF_ERROR(EmitZeros(std::min(lstart, size) - pos, out));
      pos = std::min(lstart, size);
    }
    const uint64_t lend = std::min(lstart + uint64_t{e.ex_clusters} * cs, size);
    if (e.ex_flags & OCFSX_EXT_UNWRITTEN) {
      if (lend > pos) OCFSX_RETURN_IF_ERROR(EmitZeros(lend - pos, out));
      pos = std::max(pos, lend);
      continue;
    }
    while (pos < lend) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(lend - pos, kChunk));
      const uint64_t phys = e.ex_start * cs + (pos - lstart);
      OCFSX_RETURN_IF_ERROR(io.device()->ReadAt(phys, buf.data(), k));
      OCFSX_RETURN_IF_ERROR(out(std::string_view(reinterpret_cast<const char*>(buf.data()), k)));
      pos += k;
    }
  }
  if (pos < size) OCFSX_RETURN_IF_ERROR(EmitZeros(size - pos, out));
  return Status();
}

Result<jbd2::JournalIo> JournalIoForSlot(const Volume& vol, uint32_t slot, uint64_t* ino_out) {
  if (slot >= vol.super().max_slots())
    return Status::Invalid("slot " + std::to_string(slot) + " does not exist (slots are 0.." +
                           std::to_string(vol.super().max_slots() - 1) + ")");
  auto ino = vol.SystemFile(OCFSX_SYS_JOURNAL, slot);
  if (!ino.ok()) return ino.status();
  if (ino_out) *ino_out = *ino;
  auto inode = vol.ReadInode(*ino);
  if (!inode.ok()) return inode.status();
  return MapJournalInode(vol.io(), *inode, "journal of slot " + std::to_string(slot), JournalWrites::kRefuse);
}

XattrArea ReadInlineXattrs(const Inode& inode) {
  const uint32_t xs = Le16(inode.raw().i_xattr_inline_size);
  if (xs == 0) return {};
  // Inode::Read checked that xs fits the block.
  const uint8_t* base = reinterpret_cast<const uint8_t*>(&inode.raw()) + inode.block_size() - xs;
  return ParseArea(base, xs);
}

XattrArea ReadBlockXattrs(const Volume& vol, const Inode& inode) {
  const uint64_t blk = Le64(inode.raw().i_xattr_blkno);
  if (blk == 0) return {};
  XattrArea a;
  a.present = true;
  const MetaIo& io = vol.io();
  if (blk >= io.geometry().blocks()) {
    a.problem = "block " + std::to_string(blk) + " lies outside the volume";
    return a;
  }
  AlignedBuffer buf(io.block_size());
  Status st = io.Read(blk, OCFSX_BT_XATTR, buf.data());
  if (!st.ok()) {
    a.problem = st.message();
    return a;
  }
  const auto* xb = reinterpret_cast<const ocfsx_xattr_block*>(buf.data());
  if (Le64(xb->xb_hdr.bh_owner) != inode.blkno()) {
    a.problem = "block " + std::to_string(blk) + " belongs to inode " + std::to_string(Le64(xb->xb_hdr.bh_owner));
    return a;
  }
  return ParseArea(buf.data() + OCFSX_XATTR_BLOCK_AREA_OFFSET, io.block_size() - OCFSX_XATTR_BLOCK_AREA_OFFSET);
}

}  // namespace ocfsx::inspect
