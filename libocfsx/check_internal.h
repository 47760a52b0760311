// Private state of the fsck checker shared by libocfsx/check_*.cc: what the
// passes learn about the volume (claims, inodes, allocators, directories).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ocfsx/alloc.h"
#include "ocfsx/block_io.h"
#include "ocfsx/check_fsck.h"
#include "ocfsx/device.h"
#include "ocfsx/dir.h"
#include "ocfsx/endian.h"
#include "ocfsx/inode.h"
#include "ocfsx/status.h"
#include "ocfsx/superblock.h"
#include "ocfsx_fs.h"

namespace ocfsx::check {

// A bit per cluster (or block), sized once from the validated superblock.
class BitSet {
 public:
  void Resize(uint64_t n) { n_ = n, w_.assign((n + 63) / 64, 0); }
  uint64_t size() const { return n_; }
  bool Test(uint64_t i) const { return i < n_ && ((w_[i >> 6] >> (i & 63)) & 1); }
  void Set(uint64_t i) {
    if (i < n_) w_[i >> 6] |= 1ULL << (i & 63);
  }
  void Clear(uint64_t i) {
    if (i < n_) w_[i >> 6] &= ~(1ULL << (i & 63));
  }
  void SetRange(uint64_t s, uint64_t n) {
    for (uint64_t i = s; i < s + n && i < n_; i++) Set(i);
  }

 private:
  uint64_t n_ = 0;
  std::vector<uint64_t> w_;
};

// One leaf extent and where its record lives, so repairs can rewrite it.
struct LeafRef {
  uint64_t start = 0;     // physical cluster
  uint32_t lcluster = 0;
  uint32_t clusters = 0;
  uint16_t flags = 0;
  uint64_t container = 0;  // block holding the record (inode or extent block)
  uint32_t rec_off = 0;    // byte offset of the record in that block
};

// Result of walking one extent tree (inode body, or an xattr value root).
struct TreeWalk {
  std::vector<LeafRef> leaves;
  std::vector<uint64_t> blocks;  // extent blocks reached, in walk order
  uint64_t clusters = 0;
  uint64_t last_leaf = 0;        // rightmost leaf block, 0 at depth 0
  uint32_t depth = 0;
  // Leaves whose eb_next_leaf is wrong: (leaf, the right value).
  std::vector<std::pair<uint64_t, uint64_t>> bad_links;
  std::string error;             // empty when the tree is sound
};

enum class ClaimKind : uint8_t {
  kFixed,     // reserved area, superblocks, global group descriptors
  kSubGroup,  // clusters of a suballocator group
  kExtent,    // a leaf extent of an inode (data, directory, journal, ...)
  kDealloc,   // clusters waiting in a dealloc log
};

struct Claim {
  uint64_t start = 0;
  uint64_t len = 0;
  uint64_t ino = 0;  // owning inode, 0 for fixed areas
  ClaimKind kind = ClaimKind::kFixed;
  LeafRef ref;       // kExtent: where the record is
  bool dropped = false;
};

// A group descriptor of any allocator, as read (or rebuilt).
struct GroupState {
  uint64_t blkno = 0;
  AlignedBuffer buf;
  bool dirty = false;
  bool rebuilt = false;    // recreated by fsck: no bit-by-bit report
  int alloc = -1;          // index into allocs_
  uint32_t chain = 0;
  uint32_t bits = 0;
  uint64_t first_cluster = 0;
  // Suballocators: block runs (first block, blocks) numbered through in order.
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  ocfsx_group_desc* gd() { return reinterpret_cast<ocfsx_group_desc*>(buf.data()); }
  // The offset is validated (or the descriptor rebuilt) when loaded.
  uint8_t* bitmap() { return buf.data() + Le16(gd()->gd_bitmap_offset); }
};

enum class AllocKind : uint8_t { kGlobalBitmap, kGlobalInode, kSlotInode, kSlotMeta };

struct AllocState {
  AllocKind kind = AllocKind::kGlobalBitmap;
  uint16_t slot = OCFSX_SLOT_NONE;  // origin slot stamped in blocks it hands out
  std::string name;
  uint64_t ino = 0;
  std::optional<Inode> inode;
  bool inode_dirty = false;
  bool usable = false;  // chain table trusted
  std::vector<size_t> groups;  // indexes into groups_
};

// What pass 1 learns about every in-use inode.
struct InodeState {
  uint16_t mode = 0;
  uint32_t flags = 0;
  uint32_t links = 0;        // on disk
  uint32_t counted = 0;      // directory entries naming it
  uint16_t sys_type = 0;
  uint16_t sys_slot = 0;
  uint16_t orphan_slot = OCFSX_SLOT_NONE;
  uint8_t body = 0;
  uint64_t size = 0;
  uint64_t clusters = 0;
  bool cleared = false;      // freed by fsck: its claims no longer count
  bool is_dir() const { return (mode & 0170000) == 0040000; }
  bool is_system() const { return flags & OCFSX_IFL_SYSTEM; }
};

// Where a directory entry lives, so later passes can rewrite it.
struct EntryLoc {
  uint64_t dir = 0;
  uint64_t blkno = 0;  // dirent block, 0 = inline in the directory inode
  uint32_t off = 0;
};

struct DirInfo {
  uint64_t dotdot = 0;                 // target of '..' (0 = none)
  std::optional<EntryLoc> dotdot_loc;
  std::vector<std::pair<uint64_t, EntryLoc>> subdirs;  // child dir, entry
  uint64_t parent = 0;                 // set by pass 3
  bool reached = false;
};

struct OrphanEntry {
  uint16_t slot = 0;
  uint64_t ino = 0;
  EntryLoc loc;
};

class Checker;

// Space for the library's directory code while fsck repairs: clusters and
// metadata blocks that the check found unused.
class CheckSpace : public SpaceSource {
 public:
  explicit CheckSpace(Checker* c) : c_(c) {}
  void set_owner(uint64_t ino) { owner_ = ino; }
  Result<ClusterRun> AllocClusters(uint32_t want) override;
  Result<AllocatedBlock> AllocMetaBlock() override;

 private:
  Checker* c_;
  uint64_t owner_ = 0;
};

class Checker {
 public:
  Checker(const std::string& device, const Options& opts, std::ostream& out, std::ostream& err)
      : path_(device), opts_(opts), out_(out), err_(err) {}
  Report Run();

  // ---- used by CheckSpace ----
  std::optional<uint64_t> FindFreeCluster();
  std::optional<AllocatedBlock> FindFreeBlock(bool want_inode);
  void AddExtentClaim(uint64_t ino, uint64_t start, uint64_t len);
  void AddMetaClaim(uint64_t ino, uint64_t blkno);

 private:
  friend class CheckSpace;
  // ---- reporting (check_fsck.cc) ----
  // Reports one problem; returns true when it may be fixed now. `safe`
  // problems are fixed by -p; anything else stops -p from writing.
  bool Problem(const std::string& msg, bool safe);
  void Note(const std::string& msg);   // verbose only
  void Info(const std::string& msg);   // always
  void Unfixable(const std::string& msg);
  bool writable() const { return writable_ && !cancelled_; }
  void Progress(int pass, uint64_t done, uint64_t total);
  void PassHeader(int pass, const char* what);

  // ---- pass 0 (check_fsck.cc) ----
  int OpenAndReadSuper();
  void CheckBackups();
  int CheckHeartbeat();
  void FindSystemFiles();
  void RecoverSystemFiles();
  // Live (name, ino) pairs of a directory, skipping whatever does not parse.
  std::vector<std::pair<std::string, uint64_t>> ListDirQuick(const Inode& dir);
  void CheckJournals();
  bool CleanEnoughToSkip() const;
  void FinishSuper();
  Status WriteSuperAll();

  // ---- pass 1 (check_pass1.cc) ----
  void Pass1();
  void ClaimFixed();
  void LoadGlobalBitmap();
  void RebuildGlobalChains(AllocState& a, uint32_t cpg, uint64_t ngroups);
  void LoadSuballocator(AllocKind kind, uint16_t slot, const std::string& name);
  void CheckLocalAllocs();
  void CheckDeallocLogs();
  void ScanInodes();
  void CheckInode(uint64_t blkno, Inode& in, bool bad_csum, int gi, uint32_t bit);
  bool CheckXattrs(uint64_t ino, Inode& in, std::vector<LeafRef>* leaves, std::vector<uint64_t>* blocks,
                   std::string* why);
  void CheckSlotMap();
  void CheckHeartbeatArea();
  void ResolveDuplicates();
  bool CloneExtent(Claim& c);
  void ClearInode(uint64_t ino, const std::string& why);
  bool ClaimMeta(uint64_t ino, uint64_t blkno, uint16_t type, std::string* why);

  // ---- passes 2-4 (check_dirs.cc) ----
  void Pass2();
  void CheckDir(uint64_t ino);
  void CheckSystemDirNames();
  Status RebuildIndex(uint64_t dir);
  void Pass3();
  std::optional<uint64_t> EnsureLostFound();
  bool Reconnect(uint64_t ino, bool is_dir);
  bool SetDotDot(uint64_t dir, uint64_t parent);
  bool RemoveEntryAt(const EntryLoc& loc, uint64_t expect_ino);
  void Pass4();
  void ProcessOrphans();

  // ---- pass 5 (check_pass1.cc) ----
  void Pass5();
  // Compares each group's bitmap with the expected bits (from `expect`, or
  // from want_bits by group index when given) and fixes bits and counts.
  void CheckGroupBitmaps(AllocState& a, const std::function<bool(GroupState&, uint32_t)>& expect,
                         const std::map<size_t, std::vector<uint8_t>>* want_bits = nullptr);
  void CheckWindows();

  // ---- helpers ----
  Status WriteMeta(uint64_t blkno, uint16_t type, void* buf);
  Status WriteInode(Inode& in);
  Result<Inode> ReadInodeRaw(uint64_t blkno, bool* bad_csum);
  // Walks an extent tree whose root header is at hdr_ptr (byte hdr_off of
  // block `container`); reads and checks every extent block, claims nothing.
  TreeWalk WalkTree(uint64_t ino, const uint8_t* hdr_ptr, uint32_t cap_max, uint64_t container, uint32_t hdr_off,
                    bool unused = false);
  uint64_t GroupBitToBlock(const GroupState& g, uint32_t bit) const;
  bool BlockUsed(uint64_t blkno) const;
  const InodeState* Ino(uint64_t ino) const {
    auto it = inodes_.find(ino);
    return it == inodes_.end() || it->second.cleared ? nullptr : &it->second;
  }
  DirContext dir_ctx() const;
  std::string SysName(uint64_t ino) const;
  std::optional<std::tuple<size_t, uint32_t>> BlockToGroupBit(uint64_t blkno) const;
  uint64_t Now() const;

  // ---- configuration and I/O ----
  std::string path_;
  Options opts_;
  std::ostream& out_;
  std::ostream& err_;
  bool writable_ = false;
  bool preen_stopped_ = false;
  bool answer_all_ = false;
  bool cancelled_ = false;
  std::unique_ptr<Device> dev_;
  std::optional<Superblock> sb_;
  std::unique_ptr<MetaIo> io_;
  Geometry geo_;
  uint32_t bs_ = 0;
  bool sb_dirty_ = false;
  std::string primary_err_;
  int backup_used_ = -1;
  bool primary_csum_only_ = false;
  bool modified_ = false;
  int last_pct_ = -1;

  uint64_t problems_ = 0, fixed_ = 0, unfixed_ = 0;
  bool journal_needs_recovery_ = false;

  // system files by name ("journal:0000" -> ino), from the system directory
  std::map<std::string, uint64_t> sysfiles_;
  std::map<uint64_t, std::string> named_inodes_;  // inodes the superblock or system directory names

  // ---- what the passes learn ----
  BitSet claimed_;        // clusters claimed by anything (pass 1 order)
  BitSet dup_;            // clusters claimed twice
  bool any_dup_ = false;
  // A damaged system inode's blocks are unknown: never free anything then.
  bool sys_damaged_ = false;
  // An inode allocator could not be loaded: inodes outside the loaded groups
  // are unknown, not free, so entries naming them are kept.
  bool inode_allocs_incomplete_ = false;
  bool tree_broken_ = false;             // root or system directory missing
  std::set<uint64_t> restored_;          // named inodes whose header was restored
  // A system inode named by the system directory whose header may be
  // damaged: restored (in memory always, on disk when the fix is allowed).
  ocfsx::Result<Inode> ReadNamedInode(uint64_t blkno, const std::string& name);
  std::vector<Claim> claims_;
  struct Window {
    uint16_t slot;
    uint64_t ino, start, bits;
  };
  std::vector<Window> windows_;   // local-alloc windows held by slots
  BitSet hard_;                   // fixed areas and suballocator groups
  struct Dealloc {
    uint16_t slot;
    uint64_t ino;
    uint32_t index;
  };
  std::vector<Dealloc> dealloc_recs_;  // parallel to kDealloc claims (by claim order)
  std::vector<AllocState> allocs_;
  std::vector<GroupState> groups_;
  std::map<uint64_t, std::tuple<size_t, uint64_t, uint64_t>> block_runs_;  // first blk -> (group, first bit, n)
  std::set<uint64_t> group_blknos_;
  std::unordered_map<uint64_t, InodeState> inodes_;
  std::unordered_map<uint64_t, uint64_t> meta_owner_;   // meta block -> owning inode
  std::unordered_set<uint64_t> handed_out_;             // blocks given out by CheckSpace
  std::map<uint64_t, DirInfo> dirs_;
  std::vector<OrphanEntry> orphans_;
  std::set<uint64_t> orphan_dirs_;
  uint64_t lost_found_ = 0;
  std::optional<uint64_t> root_;
  uint64_t sysdir_ = 0;
  std::unique_ptr<CheckSpace> space_;
  std::function<void(uint64_t, uint64_t)> fixed_claim_;  // set by ClaimFixed
  std::map<std::string, uint64_t> sysdir_names_;         // kept system-directory entries (pass 2)
  std::vector<uint64_t> rebuild_index_;                  // directories whose index pass 2 rebuilds
  void AddCount(uint64_t ino, int delta) {
    auto it = inodes_.find(ino);
    if (it != inodes_.end()) it->second.counted = static_cast<uint32_t>(static_cast<int64_t>(it->second.counted) + delta);
  }
};

std::string Hex64(uint64_t v);

}  // namespace ocfsx::check
