// fsck.ocfsx driver: problem reporting and answers, pass 0 (superblock and
// backups, live-heartbeat refusal, journal recovery) and the final summary.
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>
#include <thread>

#include "check_internal.h"
#include "ocfsx/endian.h"
#include "ocfsx/jbd2.h"
#include "ocfsx/journal_io.h"
#include "ocfsx/status.h"

namespace ocfsx::check {

std::string Hex64(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof(b), "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

Report CheckVolume(const std::string& device, const Options& options, std::ostream& out, std::ostream& err) {
  Checker c(device, options, out, err);
  return c.Run();
}

// ---------------------------------------------------------------------------
// Reporting

bool Checker::Problem(const std::string& msg, bool safe) {
  problems_++;
  bool fix = false;
  switch (opts_.mode) {
    case Mode::kNo:
      break;
    case Mode::kYes:
      fix = !cancelled_;
      break;
    case Mode::kPreen:
      if (safe && !preen_stopped_) {
        fix = true;
      } else if (!preen_stopped_) {
        // Like e2fsck -p: report, then stop changing anything so a human
        // decides the rest.
        out_ << path_ << ": " << msg << ".\n"
             << path_ << ": UNEXPECTED INCONSISTENCY; RUN fsck.ocfsx MANUALLY (without -p).\n";
        preen_stopped_ = true;
        writable_ = false;
        unfixed_++;
        return false;
      }
      break;
    case Mode::kAsk:
      if (cancelled_) break;
      if (answer_all_) {
        fix = true;
      } else if (opts_.ask) {
        Answer a = opts_.ask(msg + ".  Fix? ");
        if (a == Answer::kQuit) cancelled_ = true;
        if (a == Answer::kAll) answer_all_ = true;
        fix = a == Answer::kYes || a == Answer::kAll;
      }
      break;
  }
  if (!writable()) fix = false;
  if (opts_.mode == Mode::kPreen) {
    out_ << path_ << ": " << msg << (fix ? ".  FIXED.\n" : ".\n");
  } else if (opts_.mode != Mode::kAsk || answer_all_ || cancelled_ || !opts_.ask) {
    out_ << msg << ".  Fix? " << (fix ? "yes" : "no") << "\n";
  }
  if (fix) {
    fixed_++;
    modified_ = true;
  } else {
    unfixed_++;
  }
  return fix;
}

void Checker::Unfixable(const std::string& msg) {
  problems_++;
  unfixed_++;
  out_ << msg << ".  Cannot fix.\n";
}

void Checker::Note(const std::string& msg) {
  if (opts_.verbose) out_ << msg << "\n";
}

void Checker::Info(const std::string& msg) { out_ << msg << "\n"; }

void Checker::PassHeader(int pass, const char* what) {
  if (opts_.mode != Mode::kPreen) out_ << "Pass " << pass << ": " << what << "\n";
  last_pct_ = -1;
}

void Checker::Progress(int pass, uint64_t done, uint64_t total) {
  if (!opts_.progress || total == 0) return;
  int pct = static_cast<int>(std::min<uint64_t>(done, total) * 100 / total);
  if (pct == last_pct_) return;
  last_pct_ = pct;
  err_ << "Pass " << pass << ": " << pct << "%" << (pct == 100 ? "\n" : "\r");
  err_.flush();
}

uint64_t Checker::Now() const { return static_cast<uint64_t>(time(nullptr)); }

DirContext Checker::dir_ctx() const {
  DirContext ctx;
  ctx.io = io_.get();
  DirContext::KeyFromBytes(sb_->raw().s_dx_key, &ctx.k0, &ctx.k1);
  ctx.indexed = sb_->has_feature_ro_compat(OCFSX_FEATURE_RO_COMPAT_INDEXED_DIRS);
  ctx.inline_data = sb_->has_feature_incompat(OCFSX_FEATURE_INCOMPAT_INLINE_DATA);
  return ctx;
}

Status Checker::WriteMeta(uint64_t blkno, uint16_t type, void* buf) {
  if (!writable()) return Status();
  modified_ = true;
  return io_->Write(blkno, type, buf);
}

Status Checker::WriteInode(Inode& in) {
  if (!writable()) return Status();
  modified_ = true;
  return in.Write(*io_);
}

// Reads an inode block; a block that is an inode in every respect but its
// checksum is still returned, with *bad_csum set.
Result<Inode> Checker::ReadInodeRaw(uint64_t blkno, bool* bad_csum) {
  if (bad_csum) *bad_csum = false;
  auto in = Inode::Read(*io_, blkno);
  if (in.ok() || !bad_csum) return in;
  AlignedBuffer buf(bs_);
  OCFSX_RETURN_IF_ERROR(io_->ReadRaw(blkno, buf.data()));
  const auto* h = reinterpret_cast<const ocfsx_block_header*>(buf.data());
  if (Le32(h->bh_magic) != OCFSX_META_MAGIC || Le16(h->bh_type) != OCFSX_BT_INODE || Le64(h->bh_blkno) != blkno ||
      Le32(h->bh_fs_generation) != io_->fs_generation())
    return in.status();
  // Only the checksum is wrong: reseal a copy so Inode::Read accepts it.
  SealBlock(buf.data(), OCFSX_BT_INODE, bs_);
  Inode copy = Inode::New(*io_, blkno, {}, 0, OCFSX_BODY_EMPTY);
  std::memcpy(&copy.raw(), buf.data(), bs_);
  uint32_t xs = Le16(copy.raw().i_xattr_inline_size);
  if (xs % 8 || OCFSX_INODE_BODY_OFFSET + xs > bs_) return in.status();
  *bad_csum = true;
  return copy;
}

// ---------------------------------------------------------------------------
// Pass 0: superblock

namespace {

// Fields the kernel updates in the primary only (mount bookkeeping); a
// backup may differ there without being wrong.
void MaskVolatile(ocfsx_super_block* s) {
  s->s_hdr.bh_blkno = 0;
  s->s_hdr.bh_crc32c = 0;
  s->s_hdr.bh_last_writer = 0;
  s->s_state = 0;
  s->s_mtime = s->s_wtime = s->s_lastcheck = 0;
  s->s_mount_count = 0;
}

}  // namespace

int Checker::OpenAndReadSuper() {
  writable_ = opts_.mode != Mode::kNo;
  DeviceOptions dopts;
  dopts.writable = writable_;
  auto dev = Device::Open(path_, dopts);
  if (!dev.ok()) {
    err_ << "fsck.ocfsx: " << dev.status().message() << "\n";
    return kExitOperational;
  }
  dev_ = std::move(dev).value();

  std::string primary_err;
  bool recognisable = false;
  auto sb = Superblock::ReadPrimary(*dev_);
  if (sb.ok()) {
    recognisable = true;
    Status st = sb->Validate(dev_->size());
    if (st.ok()) {
      sb_ = std::move(sb).value();
    } else if (!st.corrupt()) {
      // Unsupported revision or features: not ours to touch.
      err_ << "fsck.ocfsx: " << path_ << ": " << st.message() << "\n";
      return kExitOperational;
    } else {
      primary_err = st.message();
    }
  } else {
    primary_err = sb.status().message();
    // A superblock header with our magic means "an ocfsx volume, damaged".
    AlignedBuffer probe(OCFSX_SUPER_STRUCT_SIZE);
    if (dev_->size() >= OCFSX_SUPER_OFFSET + OCFSX_SUPER_STRUCT_SIZE &&
        dev_->ReadAt(OCFSX_SUPER_OFFSET, probe.data(), probe.size()).ok()) {
      auto* h = reinterpret_cast<const ocfsx_block_header*>(probe.data());
      recognisable = Le32(h->bh_magic) == OCFSX_META_MAGIC && Le16(h->bh_type) == OCFSX_BT_SUPER;
    }
  }

  if (!sb_) {
    // Try the backups at every block size; they sit at fixed byte offsets.
    for (uint32_t bbits = OCFSX_MIN_BLOCKSIZE_BITS; bbits <= OCFSX_MAX_BLOCKSIZE_BITS && !sb_; bbits++) {
      for (unsigned i = 0; i < OCFSX_BACKUP_SB_COUNT && !sb_; i++) {
        if (ocfsx_backup_sb_offset(i) + (1U << bbits) > dev_->size()) break;
        auto b = Superblock::ReadBackup(*dev_, i, bbits);
        if (!b.ok() || !b->Validate(dev_->size()).ok()) continue;
        backup_used_ = static_cast<int>(i);
        sb_ = std::move(b).value();
      }
    }
    if (!sb_ && recognisable) {
      // No backup (small volumes have none): accept a primary whose only
      // fault is its checksum when every field validates.
      AlignedBuffer probe(OCFSX_SUPER_STRUCT_SIZE);
      if (dev_->ReadAt(OCFSX_SUPER_OFFSET, probe.data(), probe.size()).ok()) {
        uint32_t bbits = reinterpret_cast<const ocfsx_super_block*>(probe.data())->s_blocksize_bits;
        if (bbits >= OCFSX_MIN_BLOCKSIZE_BITS && bbits <= OCFSX_MAX_BLOCKSIZE_BITS &&
            dev_->size() >= OCFSX_SUPER_OFFSET + (1ULL << bbits)) {
          Superblock s = Superblock::New(bbits);
          if (dev_->ReadAt(OCFSX_SUPER_OFFSET, &s.raw(), 1U << bbits).ok() &&
              Le64(s.raw().s_hdr.bh_blkno) == ocfsx_super_blkno(bbits) && s.Validate(dev_->size()).ok()) {
            sb_ = std::move(s);
            primary_csum_only_ = true;
          }
        }
      }
    }
    if (!sb_) {
      // Device errors name the path already; format errors do not.
      const bool named = primary_err.rfind(path_ + ":", 0) == 0;
      err_ << "fsck.ocfsx: " << (named ? "" : path_ + ": ") << primary_err
           << (recognisable ? " (no usable backup superblock)" : "") << "\n";
      return recognisable ? kExitUncorrected : kExitOperational;
    }
  }

  geo_ = sb_->geometry();
  bs_ = geo_.block_size();
  // Everything below sizes memory from s_clusters, which Validate() bounded
  // by the device size; refuse absurd counts anyway.
  if (geo_.clusters > (1ULL << 36)) {
    err_ << "fsck.ocfsx: " << path_ << ": " << geo_.clusters << " clusters are more than this fsck can hold in memory\n";
    return kExitOperational;
  }
  io_ = std::make_unique<MetaIo>(dev_.get(), geo_, sb_->fs_generation());
  space_ = std::make_unique<CheckSpace>(this);
  if (!primary_err.empty() && !recognisable) primary_err.clear();
  primary_err_ = primary_err;
  return 0;
}

Status Checker::WriteSuperAll() {
  if (!writable()) return Status();
  modified_ = true;
  AlignedBuffer buf(bs_);
  std::vector<uint64_t> where = sb_->BackupBlknos();
  where.push_back(ocfsx_super_blkno(geo_.bbits));
  for (uint64_t b : where) {
    std::memcpy(buf.data(), &sb_->raw(), bs_);
    auto* h = reinterpret_cast<ocfsx_block_header*>(buf.data());
    h->bh_owner = 0;
    h->bh_alloc_slot = Le16(OCFSX_SLOT_NONE);
    h->bh_alloc_group = 0;
    h->bh_alloc_bit = 0;
    OCFSX_RETURN_IF_ERROR(io_->Write(b, OCFSX_BT_SUPER, buf.data()));
  }
  return Status();
}

void Checker::CheckBackups() {
  if (!primary_err_.empty()) {
    std::string msg = backup_used_ >= 0
                          ? "primary superblock is damaged (" + primary_err_ + "); using backup " + std::to_string(backup_used_)
                          : "primary superblock has a bad checksum but every field is consistent";
    if (Problem(msg, false)) {
      Status st = WriteSuperAll();
      if (!st.ok()) Info("fsck.ocfsx: " + st.message());
    }
    return;  // the backups were rewritten with it (or the primary is left alone)
  }
  auto backups = sb_->BackupBlknos();
  AlignedBuffer buf(bs_);
  bool bad = false;
  for (size_t i = 0; i < backups.size(); i++) {
    std::string why;
    Status st = dev_->ReadBlocks(backups[i], bs_, buf.data());
    if (st.ok()) st = VerifyBlock(buf.data(), OCFSX_BT_SUPER, bs_, backups[i], io_->fs_generation());
    if (!st.ok()) {
      why = "is damaged (" + st.message() + ")";
    } else {
      AlignedBuffer a(bs_);
      std::memcpy(a.data(), &sb_->raw(), bs_);
      MaskVolatile(reinterpret_cast<ocfsx_super_block*>(a.data()));
      MaskVolatile(reinterpret_cast<ocfsx_super_block*>(buf.data()));
      if (std::memcmp(a.data(), buf.data(), bs_) != 0) why = "differs from the primary";
    }
    if (!why.empty()) {
      Problem("backup superblock " + std::to_string(i) + " at block " + std::to_string(backups[i]) + " " + why, true);
      bad = true;
    }
  }
  if (bad && writable()) {
    Status st = WriteSuperAll();
    if (!st.ok()) Info("fsck.ocfsx: " + st.message());
  }
}

int Checker::CheckHeartbeat() {
  const ocfsx_super_block& s = sb_->raw();
  if (sb_->has_feature_incompat(OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT)) return 0;
  if (Le32(s.s_cluster.ci_flags) & OCFSX_CLUSTER_F_GLOBAL_HB) return 0;  // lives on other volumes
  const uint64_t hb = Le64(s.s_hb_blkno);
  AlignedBuffer area(size_t{OCFSX_MAX_NODES} * bs_);
  struct Sample {
    bool valid = false;
    uint64_t gen = 0, seq = 0;
    uint32_t flags = 0, interval = 0;
  };
  auto sample = [&](std::vector<Sample>& v) -> bool {
    v.assign(OCFSX_MAX_NODES, Sample());
    if (!dev_->ReadBlocks(hb, bs_, area.data(), OCFSX_MAX_NODES).ok()) return false;
    for (uint32_t n = 0; n < OCFSX_MAX_NODES; n++) {
      uint8_t* b = area.data() + size_t{n} * bs_;
      auto* h = reinterpret_cast<const ocfsx_heartbeat_block*>(b);
      // A block that never carried a heartbeat cannot be live: skip its
      // checksum (255 of them per sample).
      if (h->hb_seq == 0 && h->hb_generation == 0) continue;
      if (!VerifyBlock(b, OCFSX_BT_HEARTBEAT, bs_, hb + n, io_->fs_generation()).ok()) continue;
      if (Le32(h->hb_node) != n) continue;
      v[n] = {true, Le64(h->hb_generation), Le64(h->hb_seq), Le32(h->hb_flags), Le32(h->hb_interval_ms)};
    }
    return true;
  };
  std::vector<Sample> a, b;
  if (!sample(a)) return 0;  // unreadable area: pass 1 reports it
  // Only a writer that ever wrote and did not stop cleanly can be live; with
  // none, there is nothing to wait for.
  uint32_t wait_ms = 0;
  bool any = false;
  for (const Sample& x : a) {
    if (!x.valid || (x.flags & OCFSX_HB_F_STOPPED) || (x.seq == 0 && x.gen == 0)) continue;
    any = true;
    wait_ms = std::max(wait_ms, std::clamp<uint32_t>(x.interval, 100, 10000));
  }
  if (!any) return 0;
  wait_ms = opts_.heartbeat_wait_ms >= 0 ? static_cast<uint32_t>(opts_.heartbeat_wait_ms) : wait_ms * 3 / 2;
  std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
  if (!sample(b)) return 0;
  std::string live;
  for (uint32_t n = 0; n < OCFSX_MAX_NODES; n++) {
    if (!a[n].valid || !b[n].valid || (b[n].flags & OCFSX_HB_F_STOPPED)) continue;
    if (a[n].gen != b[n].gen || a[n].seq != b[n].seq) live += (live.empty() ? "" : ", ") + std::to_string(n);
  }
  if (live.empty()) return 0;
  if (!opts_.ignore_heartbeat) {
    err_ << "fsck.ocfsx: " << path_ << ": live heartbeat from node" << (live.find(',') != std::string::npos ? "s " : " ")
         << live << ": the volume is in use; unmount it everywhere (or use -F)\n";
    return kExitOperational;
  }
  Info("Warning: live heartbeat from node(s) " + live + "; checking anyway (-F)");
  return 0;
}

std::vector<std::pair<std::string, uint64_t>> Checker::ListDirQuick(const Inode& dir) {
  std::vector<std::pair<std::string, uint64_t>> out;
  auto region = [&](const uint8_t* p, uint32_t len) {
    for (uint32_t off = 0; off + OCFSX_DIRENT_NAME_OFFSET <= len;) {
      auto* de = reinterpret_cast<const ocfsx_dir_entry*>(p + off);
      uint32_t rl = Le16(de->de_rec_len);
      if (rl < OCFSX_DIRENT_NAME_OFFSET || rl % 8 || rl > len - off) break;
      if (de->de_ino && de->de_name_len && OCFSX_DIRENT_NAME_OFFSET + de->de_name_len <= rl)
        out.emplace_back(std::string(reinterpret_cast<const char*>(de) + OCFSX_DIRENT_NAME_OFFSET, de->de_name_len),
                         Le64(de->de_ino));
      off += rl;
    }
  };
  if (dir.body_format() == OCFSX_BODY_INLINE) {
    region(dir.body(), static_cast<uint32_t>(std::min<uint64_t>(dir.size(), dir.body_size())));
    return out;
  }
  if (dir.body_format() != OCFSX_BODY_EXTENTS) return out;
  TreeWalk w = WalkTree(dir.blkno(), dir.body(), ocfsx_inode_extent_recs(bs_, Le16(dir.raw().i_xattr_inline_size)),
                        dir.blkno(), OCFSX_INODE_BODY_OFFSET, false);
  if (!w.error.empty()) return out;
  AlignedBuffer buf(bs_);
  uint64_t nblocks = std::min<uint64_t>(dir.size() / bs_, w.clusters * geo_.blocks_per_cluster());
  uint64_t lb = 0;
  for (const LeafRef& l : w.leaves) {
    for (uint64_t i = 0; i < uint64_t{l.clusters} * geo_.blocks_per_cluster(); i++) {
      lb = geo_.ClusterToBlock(l.lcluster) + i;
      if (lb >= nblocks) break;
      uint64_t blk = geo_.ClusterToBlock(l.start) + i;
      if (!io_->Read(blk, OCFSX_BT_DIRBLOCK, buf.data()).ok()) continue;
      region(buf.data(), ocfsx_dirent_area(bs_));
    }
  }
  return out;
}

void Checker::FindSystemFiles() {
  sysdir_ = Le64(sb_->raw().s_system_dir_blkno);
  auto in = ReadInodeRaw(sysdir_, nullptr);
  if (in.ok() && in->is_dir())
    for (auto& [name, ino] : ListDirQuick(*in))
      if (!sysfiles_.count(name)) sysfiles_[name] = ino;
  RecoverSystemFiles();
}

// System inodes identify themselves (i_sys_type, i_sys_slot), so names the
// system directory lost are found again by scanning global_inode_alloc;
// pass 2 then puts the entries back.
void Checker::RecoverSystemFiles() {
  std::vector<std::string> need = {"global_bitmap", "global_inode_alloc", "slot_map", "heartbeat"};
  for (uint32_t s = 0; s < sb_->max_slots(); s++)
    for (unsigned t = OCFSX_SYS_FIRST_PER_SLOT; t <= OCFSX_SYS_LAST; t++) {
      char name[32];
      ocfsx_sysfile_name(name, sizeof(name), t, s);
      need.push_back(name);
    }
  if (std::all_of(need.begin(), need.end(), [&](const std::string& n) { return sysfiles_.count(n) > 0; })) return;
  AlignedBuffer buf(bs_);
  auto header_ok = [&](uint64_t blkno, uint16_t type) {
    if (blkno == 0 || blkno >= geo_.blocks() || !dev_->ReadBlocks(blkno, bs_, buf.data()).ok()) return false;
    auto* h = reinterpret_cast<const ocfsx_block_header*>(buf.data());
    return Le32(h->bh_magic) == OCFSX_META_MAGIC && Le16(h->bh_type) == type && Le64(h->bh_blkno) == blkno &&
           Le32(h->bh_fs_generation) == io_->fs_generation();
  };
  uint64_t gia = sysfiles_.count("global_inode_alloc") ? sysfiles_["global_inode_alloc"] : 0;
  if (!gia) {
    // The system directory and the root came from global_inode_alloc: the
    // group their headers name is owned by it.
    for (uint64_t from : {sysdir_, Le64(sb_->raw().s_root_blkno)}) {
      if (!header_ok(from, OCFSX_BT_INODE)) continue;
      uint64_t grp = Le64(reinterpret_cast<const ocfsx_block_header*>(buf.data())->bh_alloc_group);
      if (!header_ok(grp, OCFSX_BT_GROUP)) continue;
      uint64_t owner = Le64(reinterpret_cast<const ocfsx_block_header*>(buf.data())->bh_owner);
      auto cand = ReadInodeRaw(owner, nullptr);
      if (cand.ok() && Le16(cand->raw().i_sys_type) == OCFSX_SYS_GLOBAL_INODE_ALLOC && cand->body_format() == OCFSX_BODY_CHAINS) {
        gia = owner;
        break;
      }
    }
  }
  if (!gia) return;
  auto in = ReadInodeRaw(gia, nullptr);
  if (!in.ok() || in->body_format() != OCFSX_BODY_CHAINS) return;
  auto* ct = reinterpret_cast<const ocfsx_chain_table*>(in->body());
  auto* ce = reinterpret_cast<const ocfsx_chain_entry*>(in->body() + sizeof(ocfsx_chain_table));
  const uint32_t used = std::min<uint32_t>(Le16(ct->ct_used), ocfsx_chain_entries(bs_, Le16(in->raw().i_xattr_inline_size)));
  std::set<uint64_t> seen;
  for (uint32_t c = 0; c < used; c++) {
    for (uint64_t g = Le64(ce[c].ce_first_group); g != 0 && seen.insert(g).second && seen.size() < 100000;) {
      if (!header_ok(g, OCFSX_BT_GROUP)) break;
      auto* gd = reinterpret_cast<const ocfsx_group_desc*>(buf.data());
      uint64_t first = Le64(gd->gd_first_cluster), bits = Le32(gd->gd_bits), next = Le64(gd->gd_next);
      if (gd->gd_nr_runs != 0 || first == 0 || first >= geo_.clusters || bits > ocfsx_group_bitmap_bytes(bs_) * 8ULL ||
          geo_.ClusterToBlock(first) + bits > geo_.blocks())
        break;
      for (uint64_t b = geo_.ClusterToBlock(first); b < geo_.ClusterToBlock(first) + bits; b++) {
        if (!header_ok(b, OCFSX_BT_INODE)) continue;
        auto* r = reinterpret_cast<const ocfsx_inode*>(buf.data());
        if ((Le32(r->i_flags) & (OCFSX_IFL_VALID | OCFSX_IFL_SYSTEM)) != (OCFSX_IFL_VALID | OCFSX_IFL_SYSTEM)) continue;
        char name[32];
        if (ocfsx_sysfile_name(name, sizeof(name), Le16(r->i_sys_type), Le16(r->i_sys_slot)) < 0) continue;
        if (!sysfiles_.count(name)) {
          sysfiles_[name] = b;
          Note("found system file " + std::string(name) + " at inode " + std::to_string(b) + " by scanning");
        }
      }
      g = next;
    }
  }
}

void Checker::CheckJournals() {
  const uint32_t slots = sb_->max_slots();
  bool replayed = false;
  for (uint32_t s = 0; s < slots; s++) {
    char name[32];
    ocfsx_sysfile_name(name, sizeof(name), OCFSX_SYS_JOURNAL, s);
    const std::string where = "journal of slot " + std::to_string(s);
    auto it = sysfiles_.find(name);
    if (it == sysfiles_.end()) continue;  // pass 2 reports the missing file
    auto in = ReadInodeRaw(it->second, nullptr);
    if (!in.ok() || Le16(in->raw().i_sys_type) != OCFSX_SYS_JOURNAL || in->body_format() != OCFSX_BODY_EXTENTS)
      continue;  // pass 1 reports it
    TreeWalk w = WalkTree(in->blkno(), in->body(), ocfsx_inode_extent_recs(bs_, Le16(in->raw().i_xattr_inline_size)),
                          in->blkno(), OCFSX_INODE_BODY_OFFSET, false);
    if (!w.error.empty()) continue;
    std::vector<ocfsx_extent> ext;
    for (const LeafRef& l : w.leaves) {
      ocfsx_extent e{};
      e.ex_start = l.start;
      e.ex_lcluster = l.lcluster;
      e.ex_clusters = l.clusters;
      ext.push_back(e);
    }
    const uint64_t nblocks = in->size() / bs_;
    jbd2::JournalIo jio = MapJournal(dev_.get(), geo_, std::move(ext), nblocks, where,
                                     writable() ? JournalWrites::kWrite : JournalWrites::kDiscard);
    const bool dirty_flag = Le32(in->raw().ij_flags) & OCFSX_JOURNAL_F_DIRTY;
    auto info = jbd2::ReadSuperblock(jio, bs_);
    bool mark_clean = false;
    if (!info.ok()) {
      if (nblocks < OCFSX_MIN_JOURNAL_BLOCKS) {
        Unfixable(where + " is too small (" + std::to_string(nblocks) + " blocks)");
        continue;
      }
      if (Problem(where + " has a damaged journal superblock (" + info.status().message() + "); its log is lost", false)) {
        jbd2::FormatOptions fo;
        if (bs_ < 1024) fo.incompat = jbd2::kIncompat64Bit;
        Status st = jbd2::FormatJournal(jio, static_cast<uint32_t>(nblocks), bs_, sb_->raw().s_uuid, fo);
        if (!st.ok()) Info("fsck.ocfsx: " + st.message());
        mark_clean = true;
        replayed = true;
      }
    } else if (jbd2::NeedsRecovery(*info) || dirty_flag) {
      journal_needs_recovery_ = true;
      bool log = jbd2::NeedsRecovery(*info);
      if (opts_.mode == Mode::kNo) {
        Problem(where + " needs recovery" + (log ? "" : " (marked dirty)"), true);
        Info("Warning: skipping journal recovery because this is a read-only check (-n)");
        continue;
      }
      if (Problem(where + " needs recovery" + (log ? "" : " (marked dirty)"), true)) {
        if (log) {
          jbd2::ReplayOptions ro;
          ro.max_fs_block = geo_.blocks();
          auto r = jbd2::Replay(jio, bs_, ro);
          if (!r.ok()) {
            if (Problem(where + " cannot be replayed (" + r.status().message() + "); its log is discarded", false)) {
              jbd2::FormatOptions fo;
              if (bs_ < 1024) fo.incompat = jbd2::kIncompat64Bit;
              Status st = jbd2::FormatJournal(jio, static_cast<uint32_t>(nblocks), bs_, sb_->raw().s_uuid, fo);
              if (!st.ok()) Info("fsck.ocfsx: " + st.message());
            }
          } else {
            Info(where + ": replayed " + std::to_string(r->transactions) + " transaction(s), " +
                 std::to_string(r->blocks_replayed) + " block(s)");
          }
        }
        mark_clean = true;
        replayed = true;
      }
    } else if (info->errno_value != 0) {
      if (Problem(where + " recorded error " + std::to_string(info->errno_value), true)) {
        Status st = jbd2::ClearErrno(jio, bs_);
        if (!st.ok()) Info("fsck.ocfsx: " + st.message());
      }
      journal_needs_recovery_ = true;  // forces the full check
    }
    if (mark_clean) {
      // Replay may have rewritten the journal inode itself: reread it.
      auto again = ReadInodeRaw(it->second, nullptr);
      if (again.ok()) {
        again->raw().ij_flags = Le32(Le32(again->raw().ij_flags) & ~OCFSX_JOURNAL_F_DIRTY);
        again->raw().ij_recovery_gen = Le32(Le32(again->raw().ij_recovery_gen) + 1);
        Status st = WriteInode(*again);
        if (!st.ok()) Info("fsck.ocfsx: " + st.message());
      }
    }
  }
  if (replayed) {
    // The journals may have carried a newer superblock or system directory.
    auto sb = Superblock::ReadPrimary(*dev_);
    if (sb.ok() && sb->Validate(dev_->size()).ok() && sb->fs_generation() == io_->fs_generation() &&
        sb->raw().s_blocksize_bits == geo_.bbits && Le64(sb->raw().s_clusters) == geo_.clusters)
      sb_ = std::move(sb).value();
    sysfiles_.clear();
    FindSystemFiles();
  }
}

bool Checker::CleanEnoughToSkip() const {
  const ocfsx_super_block& s = sb_->raw();
  uint16_t state = Le16(s.s_state);
  if (!(state & OCFSX_STATE_CLEAN) || (state & OCFSX_STATE_ERROR)) return false;
  if (journal_needs_recovery_ || problems_ > 0) return false;
  if (sb_->has_feature_incompat(OCFSX_FEATURE_INCOMPAT_TUNE_IN_PROGRESS)) return false;
  uint32_t interval = Le32(s.s_checkinterval);
  if (interval && Now() >= Le64(s.s_lastcheck) + interval) return false;
  uint16_t maxm = Le16(s.s_max_mount_count);
  if (maxm && Le16(s.s_mount_count) >= maxm) return false;
  return true;
}

void Checker::FinishSuper() {
  if (!writable() || opts_.mode == Mode::kNo) return;
  ocfsx_super_block& s = sb_->raw();
  uint16_t state = Le16(s.s_state);
  if (unfixed_ == 0)
    state = static_cast<uint16_t>(state & ~OCFSX_STATE_ERROR);
  else
    state = static_cast<uint16_t>(state | OCFSX_STATE_ERROR);
  s.s_state = Le16(state);
  s.s_lastcheck = Le64(Now());
  s.s_wtime = Le64(Now());
  s.s_mount_count = 0;
  bool was_modified = modified_;
  Status st = WriteSuperAll();
  if (!st.ok()) Info("fsck.ocfsx: " + st.message());
  // Recording the check is bookkeeping, not a repair.
  modified_ = was_modified;
}

// ---------------------------------------------------------------------------

Report Checker::Run() {
  Report res;
  int rc = OpenAndReadSuper();
  if (rc) {
    res.exit_code = rc;
    return res;
  }
  rc = CheckHeartbeat();
  if (rc) {
    res.exit_code = rc;
    return res;
  }
  if (sb_->unknown_ro_compat()) {
    err_ << "fsck.ocfsx: " << path_ << ": unsupported read-only-compatible features " << Hex64(sb_->unknown_ro_compat())
         << "; this fsck is too old for the volume\n";
    res.exit_code = kExitOperational;
    return res;
  }
  PassHeader(0, "Checking superblocks and journals");
  CheckBackups();
  if (sb_->has_feature_incompat(OCFSX_FEATURE_INCOMPAT_TUNE_IN_PROGRESS))
    Unfixable("an interrupted tunefs operation (flags " + Hex64(Le32(sb_->raw().s_tune_flags)) +
              ") must be finished with tunefs.ocfsx");
  FindSystemFiles();
  CheckJournals();
  if (!cancelled_ && !opts_.force && CleanEnoughToSkip()) {
    Info(path_ + ": clean (use -f to force a full check)");
    res.skipped = true;
  } else if (!cancelled_) {
    claimed_.Resize(geo_.clusters);
    Pass1();
    if (!cancelled_) Pass2();
    if (!cancelled_) Pass3();
    if (!cancelled_) Pass4();
    if (!cancelled_) Pass5();
    if (!cancelled_) FinishSuper();
  }
  if (modified_ || fixed_) {
    if (opts_.mode != Mode::kPreen) Info("\n***** FILE SYSTEM WAS MODIFIED *****");
  }
  if (!res.skipped) {
    uint64_t used_inodes = 0, dirs = 0;
    for (auto& [ino, st] : inodes_)
      if (!st.cleared) used_inodes++, dirs += st.is_dir();
    Info(path_ + ": " + std::to_string(problems_) + " problem(s) found, " + std::to_string(fixed_) + " fixed; " +
         std::to_string(used_inodes) + " inodes (" + std::to_string(dirs) + " directories), " +
         std::to_string(geo_.clusters) + " clusters");
  }
  if (dev_ && writable() && modified_) (void)dev_->Sync();
  int code = 0;
  if (unfixed_) code |= kExitUncorrected;
  if (fixed_) code |= kExitCorrected;
  if (cancelled_) code |= kExitCancelled | (unfixed_ ? 0 : kExitUncorrected);
  res.exit_code = code;
  res.problems = problems_;
  res.fixed = fixed_;
  return res;
}

}  // namespace ocfsx::check
