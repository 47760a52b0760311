// jbd2 journals from userspace: format, superblock parsing, three-pass
// replay, logdump and a transaction writer, all on jbd2's big-endian format.
//
// Checksums (csum v2/v3), as jbd2 computes them. jbd2_chksum(crc, p, n) is a
// plain crc32c update: the seed goes in as is and the result comes out with
// no final inversion, which is exactly Crc32cUpdate(). From that:
//   superblock: Crc32cUpdate(~0, sb[0..1024) with s_checksum read as zero).
//     Not seeded from the uuid: the uuid is inside the bytes it covers.
//   seed:       Crc32cUpdate(~0, s_uuid, 16), the journal's j_csum_seed.
//   descriptor and revoke blocks: Crc32cUpdate(seed, whole block with the
//     4-byte tail at blocksize-4 read as zero), stored in that tail.
//   commit:     Crc32cUpdate(seed, whole block with h_chksum[0] (offset 16)
//     read as zero), stored in h_chksum[0]; h_chksum_type/size stay 0.
//   data tag:   Crc32cUpdate(Crc32cUpdate(seed, be32 transaction ID, 4),
//     the block exactly as it sits in the log, i.e. still escaped). v3 keeps
//     all 32 bits in the tag, v2 only the low 16.
// Every stored checksum is big-endian.
#include "ocfsx/jbd2.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <unordered_map>

#include "ocfsx/crc32c.h"

namespace ocfsx::jbd2 {
namespace {

// ---- big-endian access (jbd2 is big-endian whatever the host) ----
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
uint64_t Get64(const uint8_t* p) { return uint64_t{Get32(p)} << 32 | Get32(p + 4); }
void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}
void Put64(uint8_t* p, uint64_t v) {
  Put32(p, static_cast<uint32_t>(v >> 32));
  Put32(p + 4, static_cast<uint32_t>(v));
}

// ---- byte offsets, from the structures in linux/jbd2.h ----
constexpr size_t kHdrMagic = 0, kHdrType = 4, kHdrSeq = 8, kHdrBytes = 12;
constexpr size_t kSbBlocksize = 0x0C, kSbMaxlen = 0x10, kSbFirst = 0x14, kSbSequence = 0x18,
                 kSbStart = 0x1C, kSbErrno = 0x20, kSbCompat = 0x24, kSbIncompat = 0x28,
                 kSbRoCompat = 0x2C, kSbUuid = 0x30, kSbNrUsers = 0x40, kSbChecksumType = 0x50,
                 kSbNumFc = 0x54, kSbChecksum = 0xFC;
constexpr size_t kCommitChksumType = 12, kCommitChksumSize = 13, kCommitChksum0 = 16,
                 kCommitSec = 48, kCommitNsec = 56;
constexpr size_t kRevokeCount = 12, kRevokeRecords = 16;
constexpr size_t kTailBytes = 4;

// jbd2's tid_gt(): transaction IDs wrap, so compare by signed difference.
bool TidGt(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

std::string Fmt(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

bool ValidBlockSize(uint32_t bs) { return bs >= 512 && bs <= 65536 && (bs & (bs - 1)) == 0; }

uint32_t SuperblockCsum(const uint8_t* sb) {
  static const uint8_t zero[4] = {};
  uint32_t c = Crc32cUpdate(~0u, sb, kSbChecksum);
  c = Crc32cUpdate(c, zero, 4);
  return Crc32cUpdate(c, sb + kSbChecksum + 4, kSuperblockBytes - kSbChecksum - 4);
}

// Checksum of a block with the 4 bytes at `hole` read as zero.
uint32_t BlockCsum(uint32_t seed, const uint8_t* b, uint32_t bs, size_t hole) {
  static const uint8_t zero[4] = {};
  uint32_t c = Crc32cUpdate(seed, b, hole);
  c = Crc32cUpdate(c, zero, 4);
  return Crc32cUpdate(c, b + hole + 4, bs - hole - 4);
}

uint32_t TagCsum(uint32_t seed, uint32_t sequence, const uint8_t* data, uint32_t bs) {
  uint8_t seq[4];
  Put32(seq, sequence);
  return Crc32cUpdate(Crc32cUpdate(seed, seq, 4), data, bs);
}

bool TailOk(const JournalInfo& in, const uint8_t* b) {
  if (!in.has_csum()) return true;
  const size_t at = in.block_size - kTailBytes;
  return Get32(b + at) == BlockCsum(in.csum_seed(), b, in.block_size, at);
}
void SetTail(const JournalInfo& in, uint8_t* b) {
  if (!in.has_csum()) return;
  const size_t at = in.block_size - kTailBytes;
  Put32(b + at, BlockCsum(in.csum_seed(), b, in.block_size, at));
}
bool CommitOk(const JournalInfo& in, const uint8_t* b) {
  if (!in.has_csum()) return true;
  return Get32(b + kCommitChksum0) == BlockCsum(in.csum_seed(), b, in.block_size, kCommitChksum0);
}
bool TagCsumOk(const JournalInfo& in, uint32_t stored, uint32_t sequence, const uint8_t* data) {
  if (!in.has_csum()) return true;
  const uint32_t c = TagCsum(in.csum_seed(), sequence, data, in.block_size);
  return in.csum_v3() ? stored == c : stored == (c & 0xFFFF);
}

struct Tag {
  uint64_t fsblock;
  uint32_t flags;
  uint32_t csum;
  uint32_t log_block;  // filled in by the walker
};

// The tags of a descriptor block, read the way jbd2 counts them: a tag is
// read only if it fits before the tail, a 16-byte uuid follows any tag
// without SAME_UUID, and LAST_TAG ends the list. Flags are the be16 at offset
// 6 of every tag format (the low half of tag3's be32 t_flags).
std::vector<Tag> ParseTags(const JournalInfo& in, const uint8_t* b) {
  std::vector<Tag> tags;
  const size_t tb = in.tag_bytes();
  const size_t limit = in.block_size - (in.has_csum() ? kTailBytes : 0);
  size_t off = kHdrBytes;
  while (off + tb <= limit) {
    const uint8_t* t = b + off;
    Tag tag{};
    tag.fsblock = Get32(t);
    if (in.is_64bit()) tag.fsblock |= uint64_t{Get32(t + 8)} << 32;
    tag.flags = Get16(t + 6);
    tag.csum = in.csum_v3() ? Get32(t + 12) : Get16(t + 4);
    tags.push_back(tag);
    off += tb;
    if (!(tag.flags & kFlagSameUuid)) off += 16;
    if (tag.flags & kFlagLastTag) break;
  }
  return tags;
}

// Revoke records, or an empty optional-like flag when r_count is impossible.
bool ParseRevokes(const JournalInfo& in, const uint8_t* b, std::vector<uint64_t>* out) {
  const uint32_t count = Get32(b + kRevokeCount);
  const uint32_t max = in.block_size - (in.has_csum() ? kTailBytes : 0);
  if (count > max || count < kRevokeRecords) return false;
  const size_t rec = in.is_64bit() ? 8 : 4;
  for (size_t off = kRevokeRecords; off + rec <= count; off += rec)
    out->push_back(rec == 8 ? Get64(b + off) : Get32(b + off));
  return true;
}

Status ReadBlock(const JournalIo& io, uint64_t jblock, uint8_t* buf) {
  Status st = io.read(jblock, buf);
  if (!st.ok()) return st.WithContext(Fmt("journal block %" PRIu64, jblock));
  return Status();
}

Status CheckBlockSizeArg(uint32_t block_size) {
  if (!ValidBlockSize(block_size))
    return Status::Invalid(
        Fmt("journal block size %u is not a power of two from 512 to 65536", block_size));
  return Status();
}

// Refuses what this code cannot replay or append to correctly.
Status CheckReplayable(const JournalInfo& in) {
  const uint32_t unknown_in = in.feature_incompat & ~kKnownIncompat;
  const uint32_t unknown_ro = in.feature_ro_compat & ~kKnownRoCompat;
  if (unknown_in || unknown_ro)
    return Status::Error(EOPNOTSUPP, Fmt("journal has unknown features (incompat 0x%x, ro_compat 0x%x)",
                                    unknown_in, unknown_ro));
  if (in.feature_incompat & kIncompatFastCommit)
    return Status::Error(EOPNOTSUPP, "journal uses fast commits, which ocfsx never writes");
  if (in.feature_compat & kCompatChecksum)
    return Status::Error(EOPNOTSUPP, "journal uses v1 (crc32) commit checksums, which ocfsx never writes");
  return Status();
}

// One committed transaction found by the scan pass.
struct Txn {
  uint32_t sequence = 0;
  std::vector<Tag> tags;
  std::vector<uint64_t> revokes;
  uint64_t commit_sec = 0;
};

struct ScanResult {
  std::vector<Txn> txns;
  uint32_t end_sequence = 0;  // first ID not found committed
  uint32_t end_block = 0;     // log block after the last commit block
  uint32_t used_blocks = 0;   // blocks from s_start to end_block
  std::string end_reason;
  bool corrupt = false;
};

uint32_t NextLog(const JournalInfo& in, uint32_t b) { return b + 1 >= in.maxlen ? in.first : b + 1; }

// Pass 1: walk the log from s_start and keep every transaction whose commit
// block is present and valid. Stops at the first block that is not the next
// expected journal block, or at the first transaction with a bad checksum on
// its descriptor, revoke or commit block. Never walks more than the log size,
// so a log that loops on itself cannot loop forever.
Result<ScanResult> Scan(const JournalIo& io, const JournalInfo& in, uint64_t max_fs_block) {
  ScanResult r;
  const uint32_t log_size = in.maxlen - in.first;
  std::vector<uint8_t> buf(in.block_size);
  uint32_t blk = in.start, seq = in.sequence;
  uint64_t walked = 0;
  uint64_t last_commit_sec = 0;
  bool have_commit = false;
  Txn cur{seq, {}, {}, 0};
  std::string damage;  // first checksum/format problem of the current transaction
  r.end_block = blk;
  for (;;) {
    if (walked >= log_size) {
      r.end_reason = Fmt("the log runs a full circle back to block %u", blk);
      break;
    }
    const uint32_t here = blk;
    OCFSX_RETURN_IF_ERROR(ReadBlock(io, here, buf.data()));
    blk = NextLog(in, blk);
    walked++;
    const uint8_t* b = buf.data();
    if (Get32(b + kHdrMagic) != kMagic) {
      r.end_reason = Fmt("block %u is not a journal block", here);
      break;
    }
    const uint32_t type = Get32(b + kHdrType), hseq = Get32(b + kHdrSeq);
    if (hseq != seq) {
      r.end_reason = Fmt("block %u belongs to transaction %u, not %u", here, hseq, seq);
      break;
    }
    if (type == kDescriptorBlock) {
      if (!TailOk(in, b) && damage.empty())
        damage = Fmt("descriptor block %u of transaction %u has a bad checksum", here, seq);
      for (Tag t : ParseTags(in, b)) {
        t.log_block = blk;
        blk = NextLog(in, blk);
        walked++;
        cur.tags.push_back(t);
      }
    } else if (type == kRevokeBlock) {
      if (!TailOk(in, b) && damage.empty())
        damage = Fmt("revoke block %u of transaction %u has a bad checksum", here, seq);
      if (!ParseRevokes(in, b, &cur.revokes) && damage.empty())
        damage = Fmt("revoke block %u of transaction %u has an impossible length %u", here, seq,
                     Get32(b + kRevokeCount));
    } else if (type == kCommitBlock) {
      const uint64_t sec = Get64(b + kCommitSec);
      if (damage.empty() && !CommitOk(in, b))
        damage = Fmt("commit block %u of transaction %u has a bad checksum", here, seq);
      if (walked > log_size && damage.empty())
        damage = Fmt("transaction %u is longer than the log", seq);
      if (!damage.empty()) {
        // Like jbd2: a commit older than the previous one means these are
        // stale blocks from an earlier use of the log, the ordinary end.
        const bool stale = have_commit && sec < last_commit_sec;
        r.end_reason = damage + (stale ? " (stale, older than the previous commit)" : "");
        r.corrupt = !stale;
        break;
      }
      if (max_fs_block)
        for (const Tag& t : cur.tags)
          if (t.fsblock >= max_fs_block)
            return Status::Corrupt(
                Fmt("journal transaction %u names block %" PRIu64 ", past the end of the filesystem (%" PRIu64
                    " blocks)",
                    seq, t.fsblock, max_fs_block));
      cur.commit_sec = sec;
      last_commit_sec = sec;
      have_commit = true;
      r.txns.push_back(std::move(cur));
      seq++;
      cur = Txn{seq, {}, {}, 0};
      r.end_block = blk;
      r.used_blocks = static_cast<uint32_t>(walked);
    } else {
      r.end_reason = Fmt("block %u has unknown journal block type %u", here, type);
      break;
    }
  }
  if (!damage.empty() && r.end_reason.find(damage) == std::string::npos)
    r.end_reason += "; the unfinished transaction also had: " + damage;
  r.end_sequence = seq;
  return r;
}

Status WriteSuper(const JournalIo& io, const JournalInfo& in, uint8_t* block) {
  if (in.has_csum()) Put32(block + kSbChecksum, SuperblockCsum(block));
  Status st = io.write(0, block);
  if (!st.ok()) return st.WithContext("journal superblock");
  return Status();
}

// Reads block 0, lets `edit` change it, and writes it back with a fresh
// checksum; bytes past the 1024-byte structure are preserved.
template <typename F>
Status UpdateSuper(const JournalIo& io, const JournalInfo& in, F edit) {
  std::vector<uint8_t> block(in.block_size);
  OCFSX_RETURN_IF_ERROR(ReadBlock(io, 0, block.data()));
  edit(block.data());
  return WriteSuper(io, in, block.data());
}

std::string FeatureNames(const JournalInfo& in) {
  std::string s;
  auto add = [&](bool on, const char* n) {
    if (on) s += s.empty() ? n : std::string(" ") + n;
  };
  add(in.feature_compat & kCompatChecksum, "checksum_v1");
  add(in.feature_incompat & kIncompatRevoke, "revoke");
  add(in.is_64bit(), "64bit");
  add(in.feature_incompat & kIncompatAsyncCommit, "async_commit");
  add(in.csum_v2(), "csum_v2");
  add(in.csum_v3(), "csum_v3");
  add(in.feature_incompat & kIncompatFastCommit, "fast_commit");
  if ((in.feature_incompat & ~kKnownIncompat) || (in.feature_compat & ~kKnownCompat) ||
      (in.feature_ro_compat & ~kKnownRoCompat))
    add(true, "UNKNOWN");
  return s.empty() ? "(none)" : s;
}

}  // namespace

uint32_t JournalInfo::tag_bytes() const {
  // Mirrors journal_tag_bytes(): tag3 is always 16 bytes; the older tag is
  // 12 bytes with its high word, plus 2 bytes under csum v2, minus the high
  // word without 64bit.
  if (csum_v3()) return 16;
  uint32_t sz = 12;
  if (csum_v2()) sz += 2;
  return is_64bit() ? sz : sz - 4;
}

uint32_t JournalInfo::csum_seed() const { return Crc32cUpdate(~0u, uuid, sizeof uuid); }

bool NeedsRecovery(const JournalInfo& info) { return info.start != 0; }

Status FormatJournal(const JournalIo& io, uint32_t journal_blocks, uint32_t block_size,
                     const uint8_t uuid[16]) {
  return FormatJournal(io, journal_blocks, block_size, uuid, FormatOptions{});
}

Status FormatJournal(const JournalIo& io, uint32_t journal_blocks, uint32_t block_size,
                     const uint8_t uuid[16], const FormatOptions& options) {
  OCFSX_RETURN_IF_ERROR(CheckBlockSizeArg(block_size));
  // The superblock checksum covers 1024 bytes; at 512-byte blocks half of
  // them would lie outside the block, so the kernel would checksum whatever
  // follows the buffer in memory.
  const uint32_t allowed = kIncompat64Bit | kIncompatCsumV2 | kIncompatCsumV3;
  if ((options.incompat & ~allowed) ||
      (options.incompat & (kIncompatCsumV2 | kIncompatCsumV3)) == (kIncompatCsumV2 | kIncompatCsumV3))
    return Status::Invalid(Fmt("cannot format a journal with incompat features 0x%x", options.incompat));
  const bool csum = options.incompat & (kIncompatCsumV2 | kIncompatCsumV3);
  if (csum && block_size < kSuperblockBytes)
    return Status::Invalid(
        Fmt("a checksummed jbd2 journal needs blocks of at least 1024 bytes, not %u", block_size));
  if (journal_blocks < kMinJournalBlocks)
    return Status::Invalid(
        Fmt("journal of %u blocks is shorter than jbd2's minimum of %u", journal_blocks, kMinJournalBlocks));
  if (options.sequence == 0)
    return Status::Invalid("journal sequence 0 is reserved");

  std::vector<uint8_t> block(block_size, 0);
  if (options.zero_log)
    for (uint32_t b = 1; b < journal_blocks; b++) {
      Status st = io.write(b, block.data());
      if (!st.ok()) return st.WithContext(Fmt("journal block %u", b));
    }

  uint8_t* sb = block.data();
  Put32(sb + kHdrMagic, kMagic);
  Put32(sb + kHdrType, kSuperblockV2);
  Put32(sb + kSbBlocksize, block_size);
  Put32(sb + kSbMaxlen, journal_blocks);
  Put32(sb + kSbFirst, 1);
  Put32(sb + kSbSequence, options.sequence);
  Put32(sb + kSbStart, 0);
  JournalInfo in;
  in.block_size = block_size;
  in.feature_incompat = options.incompat;
  Put32(sb + kSbIncompat, in.feature_incompat);
  std::memcpy(sb + kSbUuid, uuid, 16);
  Put32(sb + kSbNrUsers, 1);  // an internal journal has exactly one user
  if (csum) sb[kSbChecksumType] = kChecksumTypeCrc32c;
  return WriteSuper(io, in, sb);
}

Result<JournalInfo> ReadSuperblock(const JournalIo& io, uint32_t block_size) {
  OCFSX_RETURN_IF_ERROR(CheckBlockSizeArg(block_size));
  std::vector<uint8_t> block(std::max<uint32_t>(block_size, kSuperblockBytes), 0);
  OCFSX_RETURN_IF_ERROR(ReadBlock(io, 0, block.data()));
  const uint8_t* sb = block.data();

  JournalInfo in;
  if (Get32(sb + kHdrMagic) != kMagic)
    return Status::Corrupt(Fmt("journal superblock has bad magic 0x%08x", Get32(sb + kHdrMagic)));
  const uint32_t type = Get32(sb + kHdrType);
  if (type == kSuperblockV1)
    in.format_version = 1;
  else if (type == kSuperblockV2)
    in.format_version = 2;
  else
    return Status::Corrupt(Fmt("journal superblock has unknown type %u", type));
  in.block_size = Get32(sb + kSbBlocksize);
  in.maxlen = Get32(sb + kSbMaxlen);
  in.first = Get32(sb + kSbFirst);
  in.sequence = Get32(sb + kSbSequence);
  in.start = Get32(sb + kSbStart);
  in.errno_value = static_cast<int32_t>(Get32(sb + kSbErrno));
  if (in.format_version == 2) {
    in.feature_compat = Get32(sb + kSbCompat);
    in.feature_incompat = Get32(sb + kSbIncompat);
    in.feature_ro_compat = Get32(sb + kSbRoCompat);
    std::memcpy(in.uuid, sb + kSbUuid, 16);
    in.nr_users = Get32(sb + kSbNrUsers);
    in.checksum_type = sb[kSbChecksumType];
    in.num_fc_blocks = Get32(sb + kSbNumFc);
    in.checksum = Get32(sb + kSbChecksum);
  }

  if (in.block_size != block_size)
    return Status::Corrupt(
        Fmt("journal block size %u differs from the filesystem block size %u", in.block_size, block_size));
  if (in.maxlen < 2)
    return Status::Corrupt(Fmt("journal length %u blocks is too short", in.maxlen));
  if (io.size_blocks && in.maxlen > io.size_blocks)
    return Status::Corrupt(Fmt("journal superblock claims %u blocks but the journal file has %" PRIu64,
                                  in.maxlen, io.size_blocks));
  if (in.first == 0 || in.first >= in.maxlen)
    return Status::Corrupt(Fmt("journal first log block %u is outside 1..%u", in.first, in.maxlen - 1));
  if (in.start != 0 && (in.start < in.first || in.start >= in.maxlen))
    return Status::Corrupt(
        Fmt("journal log start %u is outside the log (%u..%u)", in.start, in.first, in.maxlen - 1));
  if (in.csum_v2() && in.csum_v3())
    return Status::Corrupt("journal has both checksum v2 and v3 set");
  if (in.has_csum()) {
    if (in.feature_compat & kCompatChecksum)
      return Status::Corrupt("journal has both checksum v1 and v2/v3 set");
    if (block_size < kSuperblockBytes)
      return Status::Error(EOPNOTSUPP, 
          Fmt("checksummed journal with %u-byte blocks (its superblock checksum covers 1024 bytes)", block_size));
    if (in.checksum_type != kChecksumTypeCrc32c)
      return Status::Corrupt(Fmt("journal checksum type %u is not crc32c (4)", in.checksum_type));
    const uint32_t want = SuperblockCsum(sb);
    if (in.checksum != want)
      return Status::Corrupt(
          Fmt("journal superblock checksum 0x%08x does not match its contents (0x%08x)", in.checksum, want));
  }
  return in;
}

Status ClearErrno(const JournalIo& io, uint32_t block_size) {
  auto in = ReadSuperblock(io, block_size);
  if (!in.ok()) return in.status();
  if (in->errno_value == 0) return Status();
  return UpdateSuper(io, *in, [](uint8_t* sb) { Put32(sb + kSbErrno, 0); });
}

Result<ReplayStats> Replay(const JournalIo& io, uint32_t block_size) {
  return Replay(io, block_size, ReplayOptions{});
}

Result<ReplayStats> Replay(const JournalIo& io, uint32_t block_size, const ReplayOptions& options) {
  auto info = ReadSuperblock(io, block_size);
  if (!info.ok()) return info.status();
  const JournalInfo& in = *info;
  ReplayStats stats;
  if (!NeedsRecovery(in)) {
    stats.new_sequence = in.sequence;
    stats.end_reason = "the journal is clean";
    return stats;
  }
  OCFSX_RETURN_IF_ERROR(CheckReplayable(in));

  // Pass 1: scan.
  auto scan = Scan(io, in, options.max_fs_block);
  if (!scan.ok()) return scan.status();
  stats.end_reason = scan->end_reason;
  stats.corrupt_tail = scan->corrupt;

  // Pass 2: revoke records of committed transactions. A block is revoked
  // for every transaction up to and including the latest one revoking it.
  std::unordered_map<uint64_t, uint32_t> revoked;
  for (const Txn& t : scan->txns)
    for (uint64_t blk : t.revokes) {
      stats.revoke_records++;
      auto [it, fresh] = revoked.emplace(blk, t.sequence);
      if (!fresh && TidGt(t.sequence, it->second)) it->second = t.sequence;
    }

  // Pass 3: replay in transaction order, so later copies win.
  std::vector<uint8_t> buf(in.block_size);
  for (const Txn& t : scan->txns) {
    for (const Tag& tag : t.tags) {
      auto it = revoked.find(tag.fsblock);
      if (it != revoked.end() && !TidGt(t.sequence, it->second)) {
        stats.blocks_revoked++;
        continue;
      }
      OCFSX_RETURN_IF_ERROR(ReadBlock(io, tag.log_block, buf.data()));
      if (!TagCsumOk(in, tag.csum, t.sequence, buf.data())) {
        // jbd2 skips such a block and reports the error; so do we, counted.
        stats.blocks_bad_checksum++;
        continue;
      }
      if (tag.flags & kFlagEscape) Put32(buf.data(), kMagic);
      if (!options.dry_run) {
        Status st = io.write_fs(tag.fsblock, buf.data());
        if (!st.ok())
          return st.WithContext(Fmt("replaying block %" PRIu64 " of journal transaction %u", tag.fsblock, t.sequence));
      }
      stats.blocks_replayed++;
    }
    stats.transactions++;
    stats.last_sequence = t.sequence;
  }

  // Mark clean, skipping the first ID not found: a torn transaction with
  // that ID may have left blocks in the log, and they must never match.
  stats.new_sequence = scan->end_sequence + 1;
  if (!options.dry_run)
    OCFSX_RETURN_IF_ERROR(UpdateSuper(io, in, [&](uint8_t* sb) {
      Put32(sb + kSbStart, 0);
      Put32(sb + kSbSequence, stats.new_sequence);
    }));
  return stats;
}

Status Dump(const JournalIo& io, uint32_t block_size, std::ostream& out) {
  auto info = ReadSuperblock(io, block_size);
  if (!info.ok()) {
    out << "journal superblock: " << info.status().message() << "\n";
    return info.status();
  }
  const JournalInfo& in = *info;
  char uuid[40];
  for (int i = 0; i < 16; i++) std::snprintf(uuid + 2 * i, 3, "%02x", in.uuid[i]);
  out << Fmt("Journal superblock v%u: block size %u, %u blocks, first log block %u\n", in.format_version,
             in.block_size, in.maxlen, in.first);
  out << Fmt("  sequence %u, start %u (%s), errno %d, users %u\n", in.sequence, in.start,
             in.start ? "needs recovery" : "clean", in.errno_value, in.nr_users);
  out << Fmt("  features compat 0x%x incompat 0x%x ro_compat 0x%x: ", in.feature_compat, in.feature_incompat,
             in.feature_ro_compat)
      << FeatureNames(in) << "\n";
  out << "  uuid " << uuid << ", tag size " << in.tag_bytes();
  if (in.has_csum()) out << Fmt(", checksum type %u, superblock checksum 0x%08x ok", in.checksum_type, in.checksum);
  out << "\n";

  // Walk like the scan pass, but print everything and keep going past bad
  // checksums; only a block that is not the next expected one ends it.
  const uint32_t log_size = in.maxlen - in.first;
  uint32_t blk = in.start ? in.start : in.first, seq = in.sequence;
  out << Fmt("Log from block %u, expecting transaction %u%s\n", blk, seq,
             in.start ? "" : " (the journal is clean: nothing below is replayed)");
  std::vector<uint8_t> buf(in.block_size), data(in.block_size);
  uint64_t walked = 0;
  uint32_t committed = 0;
  for (;;) {
    if (walked >= log_size) {
      out << Fmt("End: the log runs a full circle back to block %u\n", blk);
      break;
    }
    const uint32_t here = blk;
    OCFSX_RETURN_IF_ERROR(ReadBlock(io, here, buf.data()));
    blk = NextLog(in, blk);
    walked++;
    const uint8_t* b = buf.data();
    if (Get32(b + kHdrMagic) != kMagic) {
      out << Fmt("End: block %u is not a journal block\n", here);
      break;
    }
    const uint32_t type = Get32(b + kHdrType), hseq = Get32(b + kHdrSeq);
    if (hseq != seq) {
      out << Fmt("End: block %u (type %u) belongs to transaction %u, not %u\n", here, type, hseq, seq);
      break;
    }
    if (type == kDescriptorBlock) {
      const auto tags = ParseTags(in, b);
      out << Fmt("  block %u: descriptor, transaction %u, %zu tag(s)%s\n", here, seq, tags.size(),
                 TailOk(in, b) ? "" : " BAD CHECKSUM");
      for (size_t i = 0; i < tags.size(); i++) {
        const uint32_t at = blk;
        blk = NextLog(in, blk);
        walked++;
        OCFSX_RETURN_IF_ERROR(ReadBlock(io, at, data.data()));
        const bool ok = TagCsumOk(in, tags[i].csum, seq, data.data());
        out << Fmt("    fs block %" PRIu64 " in log block %u%s%s%s\n", tags[i].fsblock, at,
                   tags[i].flags & kFlagEscape ? " escaped" : "",
                   tags[i].flags & kFlagDeleted ? " deleted" : "", ok ? "" : " BAD DATA CHECKSUM");
      }
    } else if (type == kRevokeBlock) {
      std::vector<uint64_t> recs;
      const bool len_ok = ParseRevokes(in, b, &recs);
      out << Fmt("  block %u: revoke, transaction %u, %zu record(s)%s%s\n", here, seq, recs.size(),
                 len_ok ? "" : Fmt(" BAD LENGTH %u", Get32(b + kRevokeCount)).c_str(),
                 TailOk(in, b) ? "" : " BAD CHECKSUM");
      for (size_t i = 0; i < recs.size(); i += 8) {
        out << "   ";
        for (size_t j = i; j < recs.size() && j < i + 8; j++) out << " " << recs[j];
        out << "\n";
      }
    } else if (type == kCommitBlock) {
      out << Fmt("  block %u: commit, transaction %u, time %" PRIu64 ".%09u%s\n", here, seq, Get64(b + kCommitSec),
                 Get32(b + kCommitNsec), CommitOk(in, b) ? "" : " BAD CHECKSUM");
      committed++;
      seq++;
    } else {
      out << Fmt("End: block %u has unknown journal block type %u\n", here, type);
      break;
    }
  }
  out << Fmt("%u commit block(s) found; next transaction would be %u\n", committed, seq);
  return Status();
}

// ---------------------------------------------------------------- LogWriter

Result<LogWriter> LogWriter::Open(const JournalIo& io, uint32_t block_size, uint32_t start_block) {
  auto info = ReadSuperblock(io, block_size);
  if (!info.ok()) return info.status();
  OCFSX_RETURN_IF_ERROR(CheckReplayable(*info));
  if (info->format_version != 2) return Status::Error(EOPNOTSUPP, "LogWriter needs a v2 journal superblock");
  LogWriter w(io, *info);
  w.commit_sec_ = static_cast<uint64_t>(std::time(nullptr));
  if (!NeedsRecovery(*info)) {
    const uint32_t start = start_block ? start_block : info->first;
    if (start < info->first || start >= info->maxlen)
      return Status::Invalid(Fmt("log start %u is outside the log", start));
    w.head_ = w.tail_ = start;
    w.sequence_ = info->sequence;
    return w;
  }
  auto scan = Scan(io, *info, 0);
  if (!scan.ok()) return scan.status();
  w.tail_ = info->start;
  w.head_ = scan->end_block;
  w.used_ = scan->used_blocks;
  w.sequence_ = scan->end_sequence;
  return w;
}

Status LogWriter::Add(uint64_t fsblock, std::span<const uint8_t> data) {
  if (data.size() != info_.block_size)
    return Status::Invalid(Fmt("journal block must be %u bytes, not %zu", info_.block_size, data.size()));
  if (!info_.is_64bit() && fsblock > UINT32_MAX)
    return Status::Invalid(Fmt("block %" PRIu64 " needs a 64bit journal", fsblock));
  // Journaling a block again cancels its revoke, as jbd2 does.
  revokes_.erase(std::remove(revokes_.begin(), revokes_.end(), fsblock), revokes_.end());
  for (auto& [blk, bytes] : blocks_)
    if (blk == fsblock) {
      bytes.assign(data.begin(), data.end());
      return Status();
    }
  blocks_.emplace_back(fsblock, std::vector<uint8_t>(data.begin(), data.end()));
  return Status();
}

Status LogWriter::Revoke(uint64_t fsblock) {
  if (!info_.is_64bit() && fsblock > UINT32_MAX)
    return Status::Invalid(Fmt("block %" PRIu64 " needs a 64bit journal", fsblock));
  // Revoking drops the block from the transaction, like jbd2_journal_forget.
  std::erase_if(blocks_, [&](const auto& e) { return e.first == fsblock; });
  if (std::find(revokes_.begin(), revokes_.end(), fsblock) == revokes_.end()) revokes_.push_back(fsblock);
  return Status();
}

Result<uint32_t> LogWriter::Commit() { return WriteTransaction(true); }
Result<uint32_t> LogWriter::WriteUncommitted() { return WriteTransaction(false); }

Result<uint32_t> LogWriter::WriteTransaction(bool commit) {
  if (crashed_) return Status::Invalid("the log ends in an uncommitted transaction");
  const uint32_t bs = info_.block_size;
  const uint32_t tail_bytes = info_.has_csum() ? kTailBytes : 0;
  const uint32_t tb = info_.tag_bytes();

  // Plan the descriptor groups: tags fit while the tag (and the uuid after
  // each descriptor's first tag) stays clear of the checksum tail.
  std::vector<size_t> group_sizes;
  for (size_t i = 0; i < blocks_.size();) {
    size_t off = kHdrBytes + tb + 16, n = 1;
    while (i + n < blocks_.size() && off + tb <= bs - tail_bytes) off += tb, n++;
    group_sizes.push_back(n);
    i += n;
  }
  const size_t rec = info_.is_64bit() ? 8 : 4;
  const size_t per_revoke = (bs - tail_bytes - kRevokeRecords) / rec;
  const size_t revoke_blocks = (revokes_.size() + per_revoke - 1) / per_revoke;
  const uint64_t need = revoke_blocks + group_sizes.size() + blocks_.size() + (commit ? 1 : 0);
  const uint32_t log_size = info_.maxlen - info_.first;
  if (used_ + need >= log_size)
    return Status::Error(
        ENOSPC, Fmt("journal full: transaction needs %" PRIu64 " blocks, %u free", need, log_size - used_ - 1));

  // The first transaction in an empty log sets s_start, as jbd2 updates the
  // log tail before its first commit.
  if (used_ == 0)
    OCFSX_RETURN_IF_ERROR(UpdateSuper(io_, info_, [&](uint8_t* sb) {
      Put32(sb + kSbStart, tail_);
      Put32(sb + kSbSequence, sequence_);
    }));

  // jbd2 turns INCOMPAT_REVOKE on before it first logs a revoke record.
  if (!revokes_.empty() && !(info_.feature_incompat & kIncompatRevoke)) {
    info_.feature_incompat |= kIncompatRevoke;
    OCFSX_RETURN_IF_ERROR(UpdateSuper(io_, info_, [&](uint8_t* sb) { Put32(sb + kSbIncompat, info_.feature_incompat); }));
  }

  Written w;
  w.sequence = sequence_;
  std::vector<uint8_t> b(bs);
  auto put = [&](const uint8_t* data) -> Result<uint32_t> {
    const uint32_t at = head_;
    Status st = io_.write(at, data);
    if (!st.ok()) return st.WithContext(Fmt("journal block %u", at));
    head_ = Next(head_);
    used_++;
    return at;
  };
  auto header = [&](uint32_t type) {
    std::fill(b.begin(), b.end(), 0);
    Put32(b.data() + kHdrMagic, kMagic);
    Put32(b.data() + kHdrType, type);
    Put32(b.data() + kHdrSeq, sequence_);
  };

  for (size_t i = 0; i < revokes_.size(); i += per_revoke) {
    header(kRevokeBlock);
    size_t off = kRevokeRecords;
    for (size_t j = i; j < revokes_.size() && j < i + per_revoke; j++, off += rec) {
      if (rec == 8)
        Put64(b.data() + off, revokes_[j]);
      else
        Put32(b.data() + off, static_cast<uint32_t>(revokes_[j]));
    }
    Put32(b.data() + kRevokeCount, static_cast<uint32_t>(off));
    SetTail(info_, b.data());
    auto at = put(b.data());
    if (!at.ok()) return at.status();
    w.revoke_blocks.push_back(*at);
  }

  std::vector<std::vector<uint8_t>> logged;
  size_t next = 0;
  for (size_t n : group_sizes) {
    header(kDescriptorBlock);
    logged.clear();
    size_t off = kHdrBytes;
    for (size_t k = 0; k < n; k++) {
      const auto& [fsblock, bytes] = blocks_[next + k];
      std::vector<uint8_t> copy = bytes;
      uint32_t flags = k == 0 ? 0 : kFlagSameUuid;
      if (Get32(copy.data()) == kMagic) {  // would look like a journal block: escape it
        Put32(copy.data(), 0);
        flags |= kFlagEscape;
      }
      if (k + 1 == n) flags |= kFlagLastTag;
      uint8_t* t = b.data() + off;
      Put32(t, static_cast<uint32_t>(fsblock));
      if (info_.is_64bit()) Put32(t + 8, static_cast<uint32_t>(fsblock >> 32));
      const uint32_t c = TagCsum(info_.csum_seed(), sequence_, copy.data(), bs);
      if (info_.csum_v3()) {
        Put32(t + 4, flags);
        Put32(t + 12, c);
      } else {
        Put16(t + 6, static_cast<uint16_t>(flags));
        if (info_.csum_v2()) Put16(t + 4, static_cast<uint16_t>(c));
      }
      off += tb;
      if (k == 0) {
        std::memcpy(b.data() + off, info_.uuid, 16);
        off += 16;
      }
      logged.push_back(std::move(copy));
    }
    SetTail(info_, b.data());
    auto at = put(b.data());
    if (!at.ok()) return at.status();
    w.descriptor_blocks.push_back(*at);
    for (const auto& copy : logged) {
      auto d = put(copy.data());
      if (!d.ok()) return d.status();
      w.data_blocks.push_back(*d);
    }
    next += n;
  }

  blocks_.clear();
  revokes_.clear();
  if (!commit) {
    crashed_ = true;
    written_.push_back(std::move(w));
    return sequence_;
  }
  header(kCommitBlock);
  Put64(b.data() + kCommitSec, commit_sec_);
  Put32(b.data() + kCommitNsec, commit_nsec_);
  b[kCommitChksumType] = 0;  // v2/v3 leave type and size 0
  b[kCommitChksumSize] = 0;
  if (info_.has_csum())
    Put32(b.data() + kCommitChksum0, BlockCsum(info_.csum_seed(), b.data(), bs, kCommitChksum0));
  auto at = put(b.data());
  if (!at.ok()) return at.status();
  w.commit_block = *at;
  written_.push_back(std::move(w));
  return sequence_++;
}

}  // namespace ocfsx::jbd2
