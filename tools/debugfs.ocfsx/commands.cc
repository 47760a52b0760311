// debugfs.ocfsx commands (see commands.h). Everything goes through
// libocfsx's verifying readers; values taken from disk are range-checked
// before they index anything, so a damaged volume yields error lines.
#include "commands.h"

#include <sys/stat.h>

#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "ocfsx/alloc.h"
#include "ocfsx/device.h"
#include "ocfsx/endian.h"
#include "ocfsx/inspect.h"
#include "ocfsx/jbd2.h"
#include "ocfsx/status.h"

namespace debugfs {
namespace {

using ocfsx::Inode;
using ocfsx::Le16;
using ocfsx::Le32;
using ocfsx::Le64;
using ocfsx::Result;
using ocfsx::Status;
using ocfsx::Volume;
namespace inspect = ocfsx::inspect;
namespace jbd2 = ocfsx::jbd2;

using Args = std::vector<std::string>;

std::string Fmt(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  return buf;
}

void Out(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }

// A failure whose message the caller prefixes with the command name.
Status Fail(int err, std::string msg) { return ocfsx::Status::Error(err, std::move(msg)); }

// Names from disk may hold anything; keep control bytes off the terminal.
std::string Printable(const std::string& s) {
  std::string o;
  for (unsigned char ch : s) o += (ch < 0x20 || ch == 0x7f) ? '?' : static_cast<char>(ch);
  return o;
}

// Splits a command line on blanks; "double quotes" keep blanks in a word.
Args Split(const std::string& line) {
  Args a;
  std::string cur;
  bool in_word = false, quoted = false;
  for (char ch : line) {
    if (ch == '"') {
      quoted = !quoted;
      in_word = true;
    } else if (!quoted && (ch == ' ' || ch == '\t' || ch == '\r')) {
      if (in_word) a.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (in_word) a.push_back(cur);
  return a;
}

// ------------------------------------------------------------ path lookup

// PATH from the root, //PATH from the system directory, or <INODE>.
Result<uint64_t> Resolve(const Volume& vol, const std::string& spec) {
  const uint64_t blocks = vol.geometry().blocks();
  if (spec.size() >= 2 && spec.front() == '<' && spec.back() == '>') {
    const std::string num = spec.substr(1, spec.size() - 2);
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(num.c_str(), &end, 0);
    if (num.empty() || *end || errno || num[0] == '-') return Fail(EINVAL, spec + ": not an inode number");
    if (v == 0 || v >= blocks)
      return Fail(EINVAL, spec + ": inode number outside the volume (1.." + std::to_string(blocks - 1) + ")");
    return static_cast<uint64_t>(v);
  }
  uint64_t ino = Le64(vol.super().raw().s_root_blkno);
  size_t pos = 0;
  if (spec.rfind("//", 0) == 0) {
    ino = Le64(vol.super().raw().s_system_dir_blkno);
    pos = 2;
  }
  while (pos < spec.size()) {
    size_t end = spec.find('/', pos);
    if (end == std::string::npos) end = spec.size();
    const std::string part = spec.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    auto dir = vol.ReadInode(ino);
    if (!dir.ok()) return Fail(dir.status().err(), spec + ": " + dir.status().message());
    if (!dir->is_dir()) return Fail(ENOTDIR, spec + ": " + std::strerror(ENOTDIR));
    auto e = ocfsx::LookupDir(vol.dir_context(), *dir, part);
    if (!e.ok()) {
      if (e.status().err() == ENOENT) return Fail(ENOENT, spec + ": " + std::strerror(ENOENT));
      return Fail(e.status().err(), spec + ": " + e.status().message());
    }
    if (e->ino == 0 || e->ino >= blocks)
      return ocfsx::Status::Corrupt(spec + ": entry \"" + Printable(part) + "\" names block " + std::to_string(e->ino) +
                                    ", outside the volume");
    ino = e->ino;
  }
  return ino;
}

Result<Inode> ResolveInode(const Volume& vol, const std::string& spec) {
  auto ino = Resolve(vol, spec);
  if (!ino.ok()) return ino.status();
  auto in = vol.ReadInode(*ino);
  if (!in.ok()) return Fail(in.status().err(), spec + ": " + in.status().message());
  return in;
}

// ------------------------------------------------------------ formatting

const char* FileTypeName(uint8_t ft) {
  static const char* const kNames[] = {"unknown", "file", "dir", "chrdev", "blkdev", "fifo", "socket", "symlink"};
  return ft < OCFSX_FT_MAX ? kNames[ft] : "invalid";
}

const char* ModeTypeName(uint16_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "regular file";
    case S_IFDIR: return "directory";
    case S_IFLNK: return "symbolic link";
    case S_IFCHR: return "character device";
    case S_IFBLK: return "block device";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
  }
  return "unknown type";
}

std::string ModeString(uint16_t mode) {
  char t = '?';
  switch (mode & S_IFMT) {
    case S_IFREG: t = '-'; break;
    case S_IFDIR: t = 'd'; break;
    case S_IFLNK: t = 'l'; break;
    case S_IFCHR: t = 'c'; break;
    case S_IFBLK: t = 'b'; break;
    case S_IFIFO: t = 'p'; break;
    case S_IFSOCK: t = 's'; break;
  }
  std::string s(1, t);
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; i++) s += (mode & (0400 >> i)) ? rwx[i] : '-';
  if (mode & S_ISUID) s[3] = (mode & S_IXUSR) ? 's' : 'S';
  if (mode & S_ISGID) s[6] = (mode & S_IXGRP) ? 's' : 'S';
  if (mode & S_ISVTX) s[9] = (mode & S_IXOTH) ? 't' : 'T';
  return s;
}

const char* BodyName(uint8_t f) {
  static const char* const kNames[] = {"empty", "extents", "inline", "chains", "local alloc", "dealloc log"};
  return f <= OCFSX_BODY_DEALLOC_LOG ? kNames[f] : "invalid";
}

std::string FlagNames(uint32_t v, const std::vector<std::pair<uint32_t, const char*>>& names) {
  std::string s = Fmt("0x%x", v);
  std::string words;
  for (const auto& [bit, name] : names)
    if (v & bit) words += (words.empty() ? "" : " ") + std::string(name);
  if (!words.empty()) s += " (" + words + ")";
  return s;
}

std::string SlotName(uint16_t slot) {
  if (slot == OCFSX_SLOT_NONE) return "none";
  if (slot == OCFSX_SLOT_GLOBAL) return "global";
  return std::to_string(slot);
}

std::string SysFileName(uint16_t type, uint16_t slot) {
  char name[32];
  if (type == OCFSX_SYS_SYSTEM_DIR) return "system directory";
  if (ocfsx_sysfile_name(name, sizeof(name), type, slot) < 0) return Fmt("type %u slot %u (unknown)", type, slot);
  return name;
}

// ------------------------------------------------------------ commands

Status CmdStats(Session& s, const Args& a) {
  if (a.size() != 1) return Fail(EINVAL, "usage: stats");
  const Volume& v = *s.vol;
  const auto& sb = v.super();
  const auto& r = sb.raw();
  const auto geo = v.geometry();
  std::string o;
  o += "Volume: " + s.dev + "\n";
  o += "  Label: " + inspect::FixedString(r.s_label, sizeof(r.s_label)) + "\n";
  o += "  UUID: " + inspect::UuidHex(r.s_uuid) + "\n";
  o += Fmt("  Format: %u.%u\n", Le16(r.s_major), Le16(r.s_minor));
  o += Fmt("  Features: %s (compat 0x%x, incompat 0x%x, ro_compat 0x%x)\n", sb.FeatureString().c_str(),
           Le32(r.s_feature_compat), Le32(r.s_feature_incompat), Le32(r.s_feature_ro_compat));
  o += Fmt("  Block size: %u\n", geo.block_size());
  o += Fmt("  Cluster size: %u\n", geo.cluster_size());
  o += Fmt("  Clusters: %" PRIu64 " (%" PRIu64 " bytes)\n", geo.clusters, geo.clusters << geo.cbits);
  // The global bitmap's chain table holds the free count; no group reads.
  std::string free_clusters = "unknown";
  if (auto gb = v.SystemFile(OCFSX_SYS_GLOBAL_BITMAP, OCFSX_SLOT_NONE); gb.ok()) {
    if (auto in = v.ReadInode(*gb); in.ok() && in->body_format() == OCFSX_BODY_CHAINS) {
      const auto* ct = reinterpret_cast<const ocfsx_chain_table*>(in->body());
      free_clusters = std::to_string(Le64(ct->ct_free_bits));
    }
  }
  o += "  Free clusters: " + free_clusters + "\n";
  o += Fmt("  Node slots: %u\n", sb.max_slots());
  const uint16_t state = Le16(r.s_state);
  o += "  State: " + FlagNames(state, {{OCFSX_STATE_CLEAN, "clean"}, {OCFSX_STATE_ERROR, "error"}}) + "\n";
  const uint16_t errs = Le16(r.s_errors);
  o += Fmt("  Errors: %s\n", errs == OCFSX_ERRORS_CONTINUE    ? "continue"
                             : errs == OCFSX_ERRORS_REMOUNT_RO ? "remount-ro"
                             : errs == OCFSX_ERRORS_PANIC      ? "panic"
                                                               : "invalid");
  o += Fmt("  Mount count: %u (max %u)\n", Le16(r.s_mount_count), Le16(r.s_max_mount_count));
  o += Fmt("  Check interval: %u s\n", Le32(r.s_checkinterval));
  o += "  Created: " + inspect::FormatTime(static_cast<int64_t>(Le64(r.s_ctime))) + "\n";
  o += "  Last mounted: " + inspect::FormatTime(static_cast<int64_t>(Le64(r.s_mtime))) + "\n";
  o += "  Last written: " + inspect::FormatTime(static_cast<int64_t>(Le64(r.s_wtime))) + "\n";
  o += "  Last checked: " + inspect::FormatTime(static_cast<int64_t>(Le64(r.s_lastcheck))) + "\n";
  o += "  Tune flags: " +
       FlagNames(Le32(r.s_tune_flags), {{OCFSX_TUNE_RESIZE, "resize"}, {OCFSX_TUNE_SLOTS, "slots"},
                                        {OCFSX_TUNE_FEATURES, "features"}, {OCFSX_TUNE_UUID, "uuid"},
                                        {OCFSX_TUNE_JOURNAL, "journal"}}) +
       "\n";
  const bool local = sb.has_feature_incompat(OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT);
  std::string stack = inspect::FixedString(r.s_cluster.ci_stack, sizeof(r.s_cluster.ci_stack));
  std::string cluster = inspect::FixedString(r.s_cluster.ci_cluster, sizeof(r.s_cluster.ci_cluster));
  o += "  Cluster stack: " + (stack.empty() ? std::string("none") : stack) + "\n";
  o += "  Cluster name: " + (cluster.empty() ? std::string("none") : cluster) + "\n";
  const uint64_t hb = Le64(r.s_hb_blkno);
  o += Fmt("  Heartbeat: %s, blocks %" PRIu64 "-%" PRIu64 "\n",
           local                                                        ? "none (local mount)"
           : (Le32(r.s_cluster.ci_flags) & OCFSX_CLUSTER_F_GLOBAL_HB) ? "global"
                                                                        : "local",
           hb, hb + Le32(r.s_hb_blocks) - 1);
  o += Fmt("  Root directory: %" PRIu64 "\n", Le64(r.s_root_blkno));
  o += Fmt("  System directory: %" PRIu64 "\n", Le64(r.s_system_dir_blkno));
  o += Fmt("  First group: %" PRIu64 "\n", Le64(r.s_first_group_blkno));
  o += Fmt("  Inline xattr size: %u\n", Le16(r.s_inline_xattr_size));
  o += "  Journals:\n";
  Out(o);
  for (uint32_t slot = 0; slot < sb.max_slots(); slot++) {
    uint64_t ino = 0;
    auto jio = inspect::JournalIoForSlot(v, slot, &ino);
    std::string line = Fmt("    slot %u: ", slot);
    if (!jio.ok()) {
      line += "unreadable: " + jio.status().message();
    } else {
      auto in = v.ReadInode(ino);
      auto info = jbd2::ReadSuperblock(*jio, geo.block_size());
      line += Fmt("inode %" PRIu64 ", %" PRIu64 " bytes", ino, in.ok() ? in->size() : 0);
      if (in.ok() && (Le32(in->raw().ij_flags) & OCFSX_JOURNAL_F_DIRTY)) line += ", marked dirty";
      if (!info.ok())
        line += ", bad journal superblock: " + info.status().message();
      else
        line += jbd2::NeedsRecovery(*info) ? ", needs recovery" : ", clean";
    }
    Out(line + "\n");
  }
  return Status();
}

Status CmdLs(Session& s, const Args& a) {
  bool longfmt = false;
  std::string path = "/";
  bool have_path = false;
  for (size_t i = 1; i < a.size(); i++) {
    if (a[i] == "-l") {
      longfmt = true;
    } else if (!have_path && !(a[i].size() > 1 && a[i][0] == '-')) {
      path = a[i];
      have_path = true;
    } else {
      return Fail(EINVAL, "usage: ls [-l] [PATH]");
    }
  }
  const Volume& v = *s.vol;
  auto dir = ResolveInode(v, path);
  if (!dir.ok()) return dir.status();
  if (!dir->is_dir()) return Fail(ENOTDIR, path + ": " + std::strerror(ENOTDIR));
  std::string out;
  Status st = ocfsx::IterateDir(v.dir_context(), *dir, [&](const ocfsx::DirEntry& e) {
    const std::string name = Printable(e.name);
    if (!longfmt) {
      out += Fmt("%10" PRIu64 "  %-7s  ", e.ino, FileTypeName(e.file_type)) + name + "\n";
      return Status();
    }
    auto in = e.ino < v.geometry().blocks() ? v.ReadInode(e.ino) : Result<Inode>(Fail(EINVAL, "outside the volume"));
    if (!in.ok()) {
      out += Fmt("%10" PRIu64 "  %-10s  ", e.ino, "?") + name + "  (" + in.status().message() + ")\n";
      return Status();
    }
    const auto& r = in->raw();
    out += Fmt("%10" PRIu64 "  %s  %4u  %5u  %5u  %12" PRIu64 "  ", e.ino, ModeString(in->mode()).c_str(),
               Le32(r.i_links), Le32(r.i_uid), Le32(r.i_gid), in->size()) +
           inspect::FormatTime(static_cast<int64_t>(Le64(r.i_mtime))) + "  " + name;
    if (in->is_symlink()) {
      auto t = ocfsx::ReadSymlink(v.io(), *in);
      if (t.ok()) out += " -> " + Printable(*t);
    }
    out += "\n";
    return Status();
  });
  Out(out);  // what was listed before any damage is still useful
  if (!st.ok()) return Fail(st.err(), path + ": " + st.message());
  return Status();
}

std::string TimeLine(const char* name, uint64_t sec, uint32_t nsec) {
  return Fmt("  %s: %" PRId64 ".%09u  ", name, static_cast<int64_t>(sec), nsec) +
         inspect::FormatTime(static_cast<int64_t>(sec)) + "\n";
}

std::string XattrLines(const char* where, const inspect::XattrArea& x) {
  if (!x.present) return "";
  std::string o = Fmt("  Xattrs (%s, %u bytes): %zu entr%s\n", where, x.area_size, x.entries.size(),
                      x.entries.size() == 1 ? "y" : "ies");
  for (const auto& e : x.entries)
    o += Fmt("    %s: %u bytes%s\n", e.name.c_str(), e.value_size, e.outside ? " (in clusters)" : "");
  if (!x.problem.empty()) o += "    damaged: " + x.problem + "\n";
  return o;
}

Status CmdStat(Session& s, const Args& a) {
  if (a.size() != 2) return Fail(EINVAL, "usage: stat PATH|<INODE>");
  const Volume& v = *s.vol;
  auto in = ResolveInode(v, a[1]);
  if (!in.ok()) return in.status();
  const auto& r = in->raw();
  const uint16_t mode = in->mode();
  const uint32_t flags = Le32(r.i_flags);
  std::string o;
  o += Fmt("Inode: %" PRIu64 "  Type: %s  Mode: %04o (%s)\n", in->blkno(), ModeTypeName(mode), mode & 07777,
           ModeString(mode).c_str());
  o += "  Flags: " + FlagNames(flags, {{OCFSX_IFL_VALID, "valid"}, {OCFSX_IFL_SYSTEM, "system"},
                                       {OCFSX_IFL_ORPHANED, "orphaned"}, {OCFSX_IFL_TRUNCATE_PENDING, "truncate-pending"}}) +
       "  Attr: " +
       FlagNames(Le32(r.i_attr), {{OCFSX_ATTR_APPEND, "append"}, {OCFSX_ATTR_IMMUTABLE, "immutable"},
                                  {OCFSX_ATTR_NOATIME, "noatime"}, {OCFSX_ATTR_SYNC, "sync"},
                                  {OCFSX_ATTR_DIRSYNC, "dirsync"}, {OCFSX_ATTR_NODUMP, "nodump"}}) +
       "\n";
  o += Fmt("  Links: %u  User: %u  Group: %u  Size: %" PRIu64 "  Clusters: %" PRIu64 "\n", Le32(r.i_links),
           Le32(r.i_uid), Le32(r.i_gid), in->size(), Le64(r.i_clusters));
  o += Fmt("  Generation: 0x%08x  Version: %" PRIu64 "  Project: %u\n", Le32(r.i_generation), Le64(r.i_version),
           Le32(r.i_projid));
  o += Fmt("  Allocated from: slot %s, group %" PRIu64 ", bit %u  Last writer: slot %s\n",
           SlotName(Le16(r.i_hdr.bh_alloc_slot)).c_str(), Le64(r.i_hdr.bh_alloc_group), Le32(r.i_hdr.bh_alloc_bit),
           SlotName(Le16(r.i_hdr.bh_last_writer)).c_str());
  if (flags & OCFSX_IFL_SYSTEM)
    o += "  System file: " + SysFileName(Le16(r.i_sys_type), Le16(r.i_sys_slot)) + "\n";
  if (Le16(r.i_sys_type) == OCFSX_SYS_JOURNAL)
    o += "  Journal flags: " + FlagNames(Le32(r.ij_flags), {{OCFSX_JOURNAL_F_DIRTY, "dirty"}}) +
         Fmt("  Recovery generation: %u\n", Le32(r.ij_recovery_gen));
  if (flags & OCFSX_IFL_ORPHANED) o += "  Orphan slot: " + SlotName(Le16(r.i_orphan_slot)) + "\n";
  if (S_ISCHR(mode) || S_ISBLK(mode)) o += Fmt("  Device: %u:%u\n", Le32(r.i_rdev_major), Le32(r.i_rdev_minor));
  o += TimeLine("ctime", Le64(r.i_ctime), Le32(r.i_ctime_nsec));
  o += TimeLine("atime", Le64(r.i_atime), Le32(r.i_atime_nsec));
  o += TimeLine("mtime", Le64(r.i_mtime), Le32(r.i_mtime_nsec));
  o += TimeLine("crtime", Le64(r.i_crtime), Le32(r.i_crtime_nsec));
  if (Le64(r.i_dtime)) o += TimeLine("dtime", Le64(r.i_dtime), 0);
  if (S_ISDIR(mode)) o += Fmt("  Directory index: %" PRIu64 "\n", Le64(r.i_dx_root));
  o += XattrLines("inline", inspect::ReadInlineXattrs(*in));
  if (Le64(r.i_xattr_blkno)) o += XattrLines(Fmt("block %" PRIu64, Le64(r.i_xattr_blkno)).c_str(), inspect::ReadBlockXattrs(v, *in));
  if (!Le16(r.i_xattr_inline_size) && !Le64(r.i_xattr_blkno)) o += "  Xattrs: none\n";

  Status st;
  const uint8_t body = in->body_format();
  o += Fmt("  Body: %s (%u bytes)\n", BodyName(body), in->body_size());
  switch (body) {
    case OCFSX_BODY_INLINE:
      o += Fmt("  Inline data: %" PRIu64 " bytes\n", in->size());
      if (in->size() > in->body_size()) o += "    damaged: larger than the body\n";
      break;
    case OCFSX_BODY_EXTENTS: {
      const auto* root = in->extent_root();
      o += Fmt("  Extent tree: depth %u, %u of %u records in the inode\n", Le16(root->eh_depth), Le16(root->eh_used),
               Le16(root->eh_capacity));
      std::string blocks;
      std::string recs = "    Logical     Physical     Clusters  Flags\n";
      size_t nrecs = 0;
      st = ocfsx::ForEachExtent(
          v.io(), *in,
          [&](const ocfsx_extent& e) {
            nrecs++;
            recs += Fmt("    %-10u  %-11" PRIu64 "  %-8u  %s\n", e.ex_lcluster, static_cast<uint64_t>(e.ex_start),
                        e.ex_clusters, e.ex_flags & OCFSX_EXT_UNWRITTEN ? "unwritten" : "");
            return Status();
          },
          [&](uint64_t blkno, const ocfsx_extent_block& eb) {
            blocks += Fmt(" %" PRIu64 "(depth %u)", blkno, Le16(eb.eb_list.eh_depth));
            return Status();
          });
      if (!blocks.empty()) o += "  Extent blocks:" + blocks + "\n";
      if (nrecs) {
        // Trim the trailing blank Flags column of written extents.
        std::string trimmed;
        size_t p = 0;
        while (p < recs.size()) {
          size_t e = recs.find('\n', p);
          std::string l = recs.substr(p, e - p);
          while (!l.empty() && l.back() == ' ') l.pop_back();
          trimmed += l + "\n";
          p = e + 1;
        }
        o += trimmed;
      } else {
        o += "    (no extents)\n";
      }
      break;
    }
    case OCFSX_BODY_CHAINS: {
      const auto* ct = reinterpret_cast<const ocfsx_chain_table*>(in->body());
      o += Fmt("  Chains: %u of %u used, %" PRIu64 " bits, %" PRIu64 " free, %u clusters per group, %u bits per cluster\n",
               Le16(ct->ct_used), Le16(ct->ct_capacity), Le64(ct->ct_total_bits), Le64(ct->ct_free_bits),
               Le32(ct->ct_cpg), Le16(ct->ct_bpc));
      const uint32_t fit = (in->body_size() - sizeof(ocfsx_chain_table)) / sizeof(ocfsx_chain_entry);
      const uint32_t used = std::min<uint32_t>(Le16(ct->ct_used), fit);
      const auto* ce = reinterpret_cast<const ocfsx_chain_entry*>(in->body() + sizeof(ocfsx_chain_table));
      for (uint32_t i = 0; i < used; i++)
        o += Fmt("    chain %u: first group %" PRIu64 ", %" PRIu64 " of %" PRIu64 " free\n", i, Le64(ce[i].ce_first_group),
                 Le64(ce[i].ce_free), Le64(ce[i].ce_total));
      if (Le16(ct->ct_used) > fit) o += "    damaged: more chains than the body holds\n";
      break;
    }
    case OCFSX_BODY_LOCAL_ALLOC: {
      auto la = ocfsx::ReadLocalAlloc(*in);
      if (la.ok())
        o += Fmt("  Local alloc: window at cluster %" PRIu64 ", %u bits, %u used (capacity %u)\n", la->window_start,
                 la->window_bits, la->used, la->capacity);
      else
        o += "  Local alloc: damaged: " + la.status().message() + "\n";
      break;
    }
    case OCFSX_BODY_DEALLOC_LOG: {
      auto dl = ocfsx::ReadDeallocLog(*in);
      if (dl.ok()) {
        o += Fmt("  Dealloc log: %zu of %u records\n", dl->records.size(), dl->capacity);
        for (const auto& rec : dl->records)
          o += Fmt("    cluster %" PRIu64 " + %u\n", static_cast<uint64_t>(rec.dr_cluster), rec.dr_clusters);
      } else {
        o += "  Dealloc log: damaged: " + dl.status().message() + "\n";
      }
      break;
    }
    default:
      break;
  }
  if (in->is_symlink()) {
    auto t = ocfsx::ReadSymlink(v.io(), *in);
    o += t.ok() ? "  Target: " + Printable(*t) + "\n" : "  Target: damaged: " + t.status().message() + "\n";
  }
  Out(o);
  if (!st.ok()) return Fail(st.err(), a[1] + ": extent tree: " + st.message());
  return Status();
}

// The directory index, level by level along the dn_next links: what the
// kernel and fsck keep, so tests can compare it exactly.
Status CmdDx(Session& s, const Args& a) {
  if (a.size() != 2) return Fail(EINVAL, "usage: dx PATH|<INODE>");
  const Volume& v = *s.vol;
  auto in = ResolveInode(v, a[1]);
  if (!in.ok()) return in.status();
  if (!in->is_dir()) return Fail(ENOTDIR, a[1] + ": " + std::strerror(ENOTDIR));
  const uint64_t root = Le64(in->raw().i_dx_root);
  if (root == 0) {
    Out(Fmt("Inode %" PRIu64 ": not indexed\n", in->blkno()));
    return Status();
  }
  const uint32_t bs = v.io().block_size();
  ocfsx::AlignedBuffer buf(bs);
  Status st = v.io().Read(root, OCFSX_BT_DX_ROOT, buf.data());
  if (!st.ok()) return Fail(st.err(), a[1] + ": index root: " + st.message());
  const auto* dr = reinterpret_cast<const ocfsx_dx_root*>(buf.data());
  const unsigned height = dr->dr_node.dn_level + 1U;
  std::string o = Fmt("Index root: %" PRIu64 "  height: %u  entries: %" PRIu64 "  free head: %" PRIu64 "\n", root,
                      height, Le64(dr->dr_entries), Le64(dr->dr_free_head));
  uint64_t blk = root, first = 0;
  bool is_root = true;
  const uint64_t limit = v.geometry().blocks();
  while (blk != 0) {
    uint64_t nodes = 0, entries = 0;
    int want_level = -1;
    // One level: follow dn_next from its leftmost node (bounded by the volume size).
    for (uint64_t n = 0; blk != 0; n++) {
      if (n > limit) return Fail(EUCLEAN, a[1] + ": index level loops");
      st = v.io().Read(blk, is_root ? OCFSX_BT_DX_ROOT : OCFSX_BT_DX_NODE, buf.data());
      if (!st.ok()) {
        Out(o);
        return Fail(st.err(), a[1] + ": index block: " + st.message());
      }
      const auto* nh = is_root ? &reinterpret_cast<const ocfsx_dx_root*>(buf.data())->dr_node
                               : &reinterpret_cast<const ocfsx_dx_node*>(buf.data())->dn_node;
      const auto* ents = reinterpret_cast<const ocfsx_dx_entry*>(
          buf.data() + (is_root ? OCFSX_DX_ROOT_ENTRIES_OFFSET : OCFSX_DX_NODE_ENTRIES_OFFSET));
      const uint32_t cap = is_root ? ocfsx_dx_root_entries(bs) : ocfsx_dx_node_entries(bs);
      const uint16_t cnt = Le16(nh->dn_count);
      if (cnt > cap) {
        Out(o);
        return Fail(EUCLEAN, a[1] + Fmt(": index block %" PRIu64 " claims %u entries", blk, cnt));
      }
      if (want_level < 0) {
        want_level = nh->dn_level;
        first = nh->dn_level && cnt ? Le64(ents[0].dx_blkno) : 0;
      }
      nodes++;
      entries += cnt;
      blk = is_root ? 0 : Le64(nh->dn_next);
    }
    o += Fmt("  level %d: %" PRIu64 " node%s, %" PRIu64 " entries\n", want_level, nodes, nodes == 1 ? "" : "s",
             entries);
    blk = first;
    is_root = false;
  }
  Out(o);
  return Status();
}

Status CmdCat(Session& s, const Args& a) {
  if (a.size() != 2) return Fail(EINVAL, "usage: cat PATH|<INODE>");
  auto in = ResolveInode(*s.vol, a[1]);
  if (!in.ok()) return in.status();
  Status st = inspect::ReadFileData(*s.vol, *in, [](std::string_view d) {
    if (std::fwrite(d.data(), 1, d.size(), stdout) != d.size()) return ocfsx::ErrnoStatus(errno, "write to stdout");
    return Status();
  });
  std::fflush(stdout);
  if (!st.ok()) return Fail(st.err(), a[1] + ": " + st.message());
  return Status();
}

Status CmdSlotmap(Session& s, const Args& a) {
  if (a.size() != 1) return Fail(EINVAL, "usage: slotmap");
  auto slots = inspect::ReadSlotMap(*s.vol);
  if (!slots.ok()) return slots.status();
  std::string o = "Slot  Node  Mounted at\n";
  uint32_t used = 0;
  for (const auto& e : *slots) {
    if (e.free()) {
      o += Fmt("%4u  free\n", e.slot);
    } else {
      used++;
      o += Fmt("%4u  %4u  ", e.slot, e.node) + inspect::FormatTime(static_cast<int64_t>(e.mount_time)) +
           (e.node >= OCFSX_MAX_NODES ? "  (invalid node number)" : "") + "\n";
    }
  }
  o += Fmt("%u of %zu slots in use\n", used, slots->size());
  Out(o);
  return Status();
}

Status CmdHb(Session& s, const Args& a) {
  bool once = false;
  for (size_t i = 1; i < a.size(); i++) {
    if (a[i] == "-1")
      once = true;
    else
      return Fail(EINVAL, "usage: hb [-1]");
  }
  std::vector<inspect::HbBlock> sample;
  std::vector<inspect::Liveness> live;
  if (once) {
    auto r = inspect::SampleHeartbeat(*s.vol);
    if (!r.ok()) return r.status();
    sample = std::move(r).value();
  } else {
    auto r = inspect::CheckLiveness(*s.vol, &sample);
    if (!r.ok()) return r.status();
    live = std::move(r).value();
  }
  std::string o = "Node  Sequence    Generation        Written at           Interval  Dead    Slot  Cluster  Host  State\n";
  uint32_t written = 0, bad = 0, nlive = 0;
  for (const auto& h : sample) {
    std::string state = once ? "-" : inspect::LivenessName(live[h.node]);
    if (!h.valid) {
      bad++;
      o += Fmt("%4u  bad: ", h.node) + h.problem + "\n";
      continue;
    }
    if (!h.written()) continue;
    written++;
    if (!once && live[h.node] == inspect::Liveness::kLive) nlive++;
    if (once && h.stopped()) state = "stopped";
    o += Fmt("%4u  %-10" PRIu64 "  %016" PRIx64 "  %-19s  %-8u  %-6u  %-4s  %-7s  %-4s  %s\n", h.node, h.seq,
             h.generation, inspect::FormatTime(static_cast<int64_t>(h.time_sec)).c_str(), h.interval_ms, h.dead_ms,
             SlotName(h.slot).c_str(), h.cluster.empty() ? "-" : h.cluster.c_str(), h.host.empty() ? "-" : h.host.c_str(),
             state.c_str());
  }
  if (once)
    o += Fmt("%u of %zu blocks written, %u damaged (single read: liveness not judged)\n", written, sample.size(), bad);
  else
    o += Fmt("%u of %zu blocks written, %u damaged, %u live\n", written, sample.size(), bad, nlive);
  Out(o);
  return Status();
}

Status CmdLogdump(Session& s, const Args& a) {
  if (a.size() > 2) return Fail(EINVAL, "usage: logdump [SLOT]");
  uint32_t slot = 0;
  if (a.size() == 2) {
    char* end = nullptr;
    errno = 0;
    unsigned long v = std::strtoul(a[1].c_str(), &end, 10);
    if (a[1].empty() || *end || errno || a[1][0] == '-' || v > OCFSX_MAX_SLOTS)
      return Fail(EINVAL, a[1] + ": not a slot number");
    slot = static_cast<uint32_t>(v);
  }
  uint64_t ino = 0;
  auto jio = inspect::JournalIoForSlot(*s.vol, slot, &ino);
  if (!jio.ok()) return jio.status();
  char name[32];
  ocfsx_sysfile_name(name, sizeof(name), OCFSX_SYS_JOURNAL, slot);
  Out(Fmt("Journal of slot %u (%s, inode %" PRIu64 ")\n", slot, name, ino));
  std::fflush(stdout);
  Status st = jbd2::Dump(*jio, s.vol->geometry().block_size(), std::cout);
  std::cout.flush();
  return st;
}

struct Command {
  const char* name;
  const char* args;
  const char* help;
  Status (*fn)(Session&, const Args&);
};

Status CmdHelp(Session&, const Args&);

const Command kCommands[] = {
    {"stats", "", "superblock: geometry, features, cluster, journals", CmdStats},
    {"ls", "[-l] [PATH]", "list a directory (-l: mode, links, owner, size, mtime)", CmdLs},
    {"stat", "PATH|<INODE>", "every field of an inode, its extents and xattrs", CmdStat},
    {"dx", "PATH|<INODE>", "a directory's hash index: root, height, entries, free-list head, nodes per level", CmdDx},
    {"cat", "PATH|<INODE>", "write a file's contents to stdout", CmdCat},
    {"slotmap", "", "slot -> node number", CmdSlotmap},
    {"hb", "[-1]", "heartbeat blocks; live nodes from two reads (-1: one read)", CmdHb},
    {"logdump", "[SLOT]", "walk a slot's journal (default slot 0)", CmdLogdump},
    {"help", "", "this list", CmdHelp},
    {"quit", "", "leave (also q, exit)", nullptr},
};

Status CmdHelp(Session&, const Args&) {
  std::string o;
  for (const auto& c : kCommands) o += Fmt("  %-8s %-14s %s\n", c.name, c.args, c.help);
  o += "PATH starts at the root directory; //PATH at the system directory.\n";
  Out(o);
  return Status();
}

}  // namespace

Outcome RunLine(Session& s, const std::string& line) {
  Args a = Split(line);
  if (a.empty() || a[0][0] == '#') return Outcome::kOk;
  if (a[0] == "quit" || a[0] == "q" || a[0] == "exit") return Outcome::kQuit;
  for (const auto& c : kCommands) {
    if (a[0] != c.name || !c.fn) continue;
    Status st;
    try {
      st = c.fn(s, a);
    } catch (const std::exception& e) {
      st = Fail(EIO, std::string("internal error: ") + e.what());
    }
    std::fflush(stdout);
    if (st.ok()) return Outcome::kOk;
    std::fprintf(stderr, "%s: %s\n", c.name, st.message().c_str());
    return Outcome::kFailed;
  }
  std::fprintf(stderr, "%s: unknown command (type \"help\")\n", Printable(a[0]).c_str());
  return Outcome::kFailed;
}

}  // namespace debugfs
