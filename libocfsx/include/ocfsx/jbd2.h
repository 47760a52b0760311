// Userspace side of the per-slot jbd2 journals: create empty journals, read
// their superblock, replay dirty ones, dump them, and write logs for tests.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "ocfsx/status.h"

namespace ocfsx::jbd2 {

// ---- On-disk constants (jbd2's own format; every integer is big-endian) ----
// Written from the layout in linux/jbd2.h, names shortened for our use.
inline constexpr uint32_t kMagic = 0xc03b3998U;
inline constexpr uint32_t kDescriptorBlock = 1;
inline constexpr uint32_t kCommitBlock = 2;
inline constexpr uint32_t kSuperblockV1 = 3;
inline constexpr uint32_t kSuperblockV2 = 4;
inline constexpr uint32_t kRevokeBlock = 5;

inline constexpr uint32_t kCompatChecksum = 0x1;  // checksum v1 (crc32 in commit)
inline constexpr uint32_t kIncompatRevoke = 0x1;
inline constexpr uint32_t kIncompat64Bit = 0x2;
inline constexpr uint32_t kIncompatAsyncCommit = 0x4;
inline constexpr uint32_t kIncompatCsumV2 = 0x8;
inline constexpr uint32_t kIncompatCsumV3 = 0x10;
inline constexpr uint32_t kIncompatFastCommit = 0x20;
// What Linux 6.1's jbd2 knows; anything else makes it refuse the journal.
inline constexpr uint32_t kKnownCompat = kCompatChecksum;
inline constexpr uint32_t kKnownIncompat = kIncompatRevoke | kIncompat64Bit | kIncompatAsyncCommit |
                                           kIncompatCsumV2 | kIncompatCsumV3 | kIncompatFastCommit;
inline constexpr uint32_t kKnownRoCompat = 0;

inline constexpr uint8_t kChecksumTypeCrc32c = 4;  // s_checksum_type with csum v2/v3

inline constexpr uint32_t kFlagEscape = 1;    // first 4 bytes were the magic; zeroed in the log
inline constexpr uint32_t kFlagSameUuid = 2;  // no 16-byte uuid follows this tag
inline constexpr uint32_t kFlagDeleted = 4;
inline constexpr uint32_t kFlagLastTag = 8;

// jbd2's journal_reset() refuses a log (maxlen - first) shorter than this.
inline constexpr uint32_t kMinJournalBlocks = 1024;
// journal_superblock_t is 1024 bytes; csum v2/v3 checksums all of it.
inline constexpr uint32_t kSuperblockBytes = 1024;

struct JournalIo {  // the journal's logical blocks 0..n-1, mapped by the caller
  std::function<Status(uint64_t jblock, void* buf)> read;
  std::function<Status(uint64_t jblock, const void* buf)> write;
  // Filesystem blocks (for replay targets), device-absolute block numbers:
  std::function<Status(uint64_t fsblock, const void* buf)> write_fs;
  // Blocks the caller actually mapped (the inode's size), 0 = unknown. When
  // known, a superblock whose s_maxlen is larger is rejected as corrupt
  // instead of failing later with a read error.
  uint64_t size_blocks = 0;
};

struct FormatOptions {
  // Incompat features: any mix of 64BIT and one of CSUM_V2/CSUM_V3 (tests
  // use the others; ocfsx wants the default). 512-byte blocks need no csum.
  uint32_t incompat = kIncompat64Bit | kIncompatCsumV3;
  uint32_t sequence = 1;  // first transaction ID
  bool zero_log = true;   // zero blocks 1..n-1 so no stale block can look like log
};

// Writes an empty, clean journal: v2 superblock, s_first 1, s_start 0,
// features INCOMPAT_64BIT | INCOMPAT_CSUM_V3 (checksum type crc32c).
Status FormatJournal(const JournalIo& io, uint32_t journal_blocks, uint32_t block_size,
                     const uint8_t uuid[16]);
Status FormatJournal(const JournalIo& io, uint32_t journal_blocks, uint32_t block_size,
                     const uint8_t uuid[16], const FormatOptions& options);

struct JournalInfo {
  uint32_t format_version = 0;  // 1 or 2 (superblock block type 3 or 4)
  uint32_t block_size = 0;
  uint32_t maxlen = 0;          // blocks in the journal, superblock included
  uint32_t first = 0;           // first log block
  uint32_t sequence = 0;        // first transaction ID expected in the log
  uint32_t start = 0;           // first log block to replay; 0 == clean
  int32_t errno_value = 0;      // s_errno, set by jbd2_journal_abort()
  uint32_t feature_compat = 0;  // v1 superblocks report 0 for all three
  uint32_t feature_incompat = 0;
  uint32_t feature_ro_compat = 0;
  uint8_t uuid[16] = {};
  uint32_t nr_users = 0;
  uint8_t checksum_type = 0;
  uint32_t num_fc_blocks = 0;
  uint32_t checksum = 0;        // s_checksum as stored

  bool csum_v2() const { return feature_incompat & kIncompatCsumV2; }
  bool csum_v3() const { return feature_incompat & kIncompatCsumV3; }
  bool has_csum() const { return csum_v2() || csum_v3(); }
  bool is_64bit() const { return feature_incompat & kIncompat64Bit; }
  // Bytes per descriptor tag, as jbd2's journal_tag_bytes() sizes them.
  uint32_t tag_bytes() const;
  // crc32c seed of every v2/v3 checksum except the superblock's.
  uint32_t csum_seed() const;
};

// Reads and validates block 0. Status::Corrupt for anything jbd2 would refuse to
// load (bad magic, block size mismatch, s_first/s_maxlen/s_start out of
// range, superblock checksum, v2+v3 together); features it does not know are
// reported in the info, not refused (Replay refuses them).
Result<JournalInfo> ReadSuperblock(const JournalIo& io, uint32_t block_size);
bool NeedsRecovery(const JournalInfo&);

// Zeroes s_errno (fsck does this after it has recorded the error).
Status ClearErrno(const JournalIo& io, uint32_t block_size);

struct ReplayOptions {
  uint64_t max_fs_block = 0;  // non-zero: a committed tag naming a block >= this is corruption
  bool dry_run = false;       // scan and count, write nothing (not even the superblock)
};

struct ReplayStats {
  uint32_t transactions = 0;     // committed transactions replayed
  uint32_t blocks_replayed = 0;  // fs blocks written
  uint32_t blocks_revoked = 0;   // tagged blocks skipped because a revoke covers them
  uint64_t last_sequence = 0;    // ID of the last transaction replayed (valid if transactions > 0)
  uint32_t revoke_records = 0;      // revoke records read
  uint32_t blocks_bad_checksum = 0; // data blocks skipped: tag checksum mismatch
  uint32_t new_sequence = 0;        // s_sequence written when marking the journal clean
  // Why the log ended where it did, e.g. "block 37: not a journal block".
  std::string end_reason;
  // The log ended on damage rather than on the natural end of the log (bad
  // descriptor/revoke/commit checksum of a transaction that otherwise looks
  // current). Committed transactions before it were replayed; fsck should
  // check the whole filesystem.
  bool corrupt_tail = false;
};

// Recovers a dirty journal in three passes like jbd2: scan (find the last
// committed transaction), revoke (collect revoke records), replay (write the
// surviving blocks in transaction order). Then marks the journal clean:
// s_start = 0 and s_sequence = one past the first ID not found, so stale
// blocks of a torn transaction can never match again. A clean journal is
// left untouched.
Result<ReplayStats> Replay(const JournalIo& io, uint32_t block_size);
Result<ReplayStats> Replay(const JournalIo& io, uint32_t block_size, const ReplayOptions& options);

// For debugfs's logdump: the superblock and a walk of the log.
Status Dump(const JournalIo& io, uint32_t block_size, std::ostream& out);

// Builds transactions the way jbd2's commit does (revoke blocks, then
// descriptor blocks each followed by their data blocks, then the commit
// block) and sets s_start, leaving a dirty journal to replay. For tests and
// crash harnesses; it writes no real filesystem blocks.
class LogWriter {
 public:
  struct Written {  // where one transaction landed in the log
    uint32_t sequence = 0;
    std::vector<uint32_t> revoke_blocks;
    std::vector<uint32_t> descriptor_blocks;
    std::vector<uint32_t> data_blocks;
    uint32_t commit_block = 0;  // 0 if not committed
  };

  // Opens a formatted journal. If it is clean, the log starts at
  // `start_block` (0 = s_first) with transaction s_sequence; a start near
  // the end makes the log wrap. If it is dirty, appends after the last
  // committed transaction.
  static Result<LogWriter> Open(const JournalIo& io, uint32_t block_size, uint32_t start_block = 0);

  // Stages a block for the current transaction (later copies replace earlier
  // ones of the same block, like jbd2's buffer list).
  Status Add(uint64_t fsblock, std::span<const uint8_t> data);
  Status Revoke(uint64_t fsblock);
  // Writes the staged transaction with its commit block; returns its ID.
  Result<uint32_t> Commit();
  // Writes the staged transaction without a commit block, as a crash in the
  // middle of a commit leaves it. Nothing can be committed afterwards.
  Result<uint32_t> WriteUncommitted();

  void set_commit_time(uint64_t sec, uint32_t nsec) { commit_sec_ = sec, commit_nsec_ = nsec; }
  uint32_t next_sequence() const { return sequence_; }
  uint32_t head() const { return head_; }
  const std::vector<Written>& written() const { return written_; }
  const JournalInfo& info() const { return info_; }

 private:
  LogWriter(const JournalIo& io, JournalInfo info) : io_(io), info_(info) {}
  Result<uint32_t> WriteTransaction(bool commit);
  uint32_t Next(uint32_t b) const { return b + 1 >= info_.maxlen ? info_.first : b + 1; }

  JournalIo io_;
  JournalInfo info_;
  uint32_t head_ = 0;      // next log block to write
  uint32_t tail_ = 0;      // s_start once anything is in the log
  uint32_t used_ = 0;      // blocks in use between tail_ and head_
  uint32_t sequence_ = 0;  // ID of the staged transaction
  bool crashed_ = false;
  uint64_t commit_sec_ = 1;
  uint32_t commit_nsec_ = 0;
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> blocks_;
  std::vector<uint64_t> revokes_;
  std::vector<Written> written_;
};

}  // namespace ocfsx::jbd2
