// jbd2 journals: format, LogWriter + Replay round trips over every tag
// format, damage handling, and a fuzz run that must never crash or stray.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include <catch2/catch.hpp>

#include "ocfsx/jbd2.h"

namespace j = ocfsx::jbd2;
using ocfsx::Status;

namespace {

const uint8_t kUuid[16] = {0x6f, 0x63, 0x66, 0x73, 0x78, 0x2d, 0x6a, 0x6e,
                           0x6c, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x21, 0x01};

// A journal as a vector of blocks plus a map standing in for the filesystem;
// every fs write is also logged so tests can check order and count.
struct Mem {
  uint32_t bs;
  std::vector<std::vector<uint8_t>> blocks;
  std::map<uint64_t, std::vector<uint8_t>> fs;
  std::vector<uint64_t> fs_writes;

  Mem(uint32_t block_size, uint32_t nblocks) : bs(block_size), blocks(nblocks, std::vector<uint8_t>(block_size)) {}

  j::JournalIo io(bool sized = true) {
    j::JournalIo io;
    io.read = [this](uint64_t b, void* buf) {
      if (b >= blocks.size()) return Status::Invalid("read past the journal");
      std::memcpy(buf, blocks[b].data(), bs);
      return Status();
    };
    io.write = [this](uint64_t b, const void* buf) {
      if (b >= blocks.size()) return Status::Invalid("write past the journal");
      std::memcpy(blocks[b].data(), buf, bs);
      return Status();
    };
    io.write_fs = [this](uint64_t b, const void* buf) {
      auto p = static_cast<const uint8_t*>(buf);
      fs[b].assign(p, p + bs);
      fs_writes.push_back(b);
      return Status();
    };
    if (sized) io.size_blocks = blocks.size();
    return io;
  }
};

std::vector<uint8_t> Pattern(uint32_t bs, uint32_t tag) {
  std::vector<uint8_t> v(bs);
  for (uint32_t i = 0; i < bs; i++) v[i] = static_cast<uint8_t>(tag * 31 + i * 7 + (i >> 8));
  v[0] = static_cast<uint8_t>(tag);  // never starts with the jbd2 magic
  return v;
}

std::vector<uint8_t> WithMagic(uint32_t bs, uint32_t tag) {
  auto v = Pattern(bs, tag);
  v[0] = 0xc0, v[1] = 0x3b, v[2] = 0x39, v[3] = 0x98;
  return v;
}

void Format(Mem& m, uint32_t incompat = j::kIncompat64Bit | j::kIncompatCsumV3, uint32_t seq = 1) {
  j::FormatOptions o;
  o.incompat = incompat;
  o.sequence = seq;
  REQUIRE(j::FormatJournal(m.io(), static_cast<uint32_t>(m.blocks.size()), m.bs, kUuid, o).ok());
}

j::LogWriter Writer(Mem& m, uint32_t start = 0) {
  auto w = j::LogWriter::Open(m.io(), m.bs, start);
  REQUIRE(w.ok());
  return std::move(w).value();
}

j::ReplayStats MustReplay(Mem& m) {
  auto r = j::Replay(m.io(), m.bs);
  INFO(r.status().message());
  REQUIRE(r.ok());
  return *r;
}

uint32_t Be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }

const uint32_t kFeatureSets[] = {
    j::kIncompat64Bit | j::kIncompatCsumV3, j::kIncompatCsumV3, j::kIncompat64Bit | j::kIncompatCsumV2,
    j::kIncompatCsumV2, j::kIncompat64Bit, 0};

}  // namespace

TEST_CASE("a fresh journal reads back clean with 64bit and csum v3", "[jbd2]") {
  const uint32_t bs = GENERATE(1024u, 4096u);
  Mem m(bs, 1024);
  REQUIRE(j::FormatJournal(m.io(), 1024, bs, kUuid).ok());
  auto info = j::ReadSuperblock(m.io(), bs);
  REQUIRE(info.ok());
  CHECK(info->format_version == 2);
  CHECK(info->block_size == bs);
  CHECK(info->maxlen == 1024);
  CHECK(info->first == 1);
  CHECK(info->sequence == 1);
  CHECK(info->start == 0);
  CHECK_FALSE(j::NeedsRecovery(*info));
  CHECK(info->feature_incompat == (j::kIncompat64Bit | j::kIncompatCsumV3));
  CHECK(info->feature_compat == 0);
  CHECK(info->feature_ro_compat == 0);
  CHECK(info->checksum_type == j::kChecksumTypeCrc32c);
  CHECK(info->nr_users == 1);
  CHECK(info->tag_bytes() == 16);
  CHECK(std::memcmp(info->uuid, kUuid, 16) == 0);
  // Big-endian on disk: magic, then type 4 (v2 superblock).
  CHECK(Be32(m.blocks[0].data()) == j::kMagic);
  CHECK(Be32(m.blocks[0].data() + 4) == j::kSuperblockV2);
  CHECK(Be32(m.blocks[0].data() + 0x10) == 1024);
  // Nothing to do on a clean journal.
  auto r = MustReplay(m);
  CHECK(r.transactions == 0);
  CHECK(m.fs_writes.empty());
}

TEST_CASE("FormatJournal refuses geometries jbd2 would refuse", "[jbd2]") {
  Mem m(1024, 1024);
  CHECK(j::FormatJournal(m.io(), 1023, 1024, kUuid).err() == EINVAL);
  CHECK(j::FormatJournal(m.io(), 1024, 0, kUuid).err() == EINVAL);
  CHECK(j::FormatJournal(m.io(), 1024, 3000, kUuid).err() == EINVAL);
  Mem small(512, 1024);
  CHECK(j::FormatJournal(small.io(), 1024, 512, kUuid).err() == EINVAL);  // csum needs >= 1 KiB
  j::FormatOptions o;
  o.incompat = j::kIncompat64Bit;
  CHECK(j::FormatJournal(small.io(), 1024, 512, kUuid, o).ok());
  CHECK(j::ReadSuperblock(small.io(), 512).ok());
  o.incompat = j::kIncompatCsumV2 | j::kIncompatCsumV3;
  CHECK(j::FormatJournal(m.io(), 1024, 1024, kUuid, o).err() == EINVAL);
}

TEST_CASE("replay applies committed transactions in order for every tag format", "[jbd2]") {
  const uint32_t bs = GENERATE(1024u, 4096u);
  const uint32_t features = GENERATE(from_range(std::begin(kFeatureSets), std::end(kFeatureSets)));
  INFO("bs " << bs << " incompat 0x" << std::hex << features);
  Mem m(bs, 1024);
  Format(m, features);
  auto info = j::ReadSuperblock(m.io(), bs);
  REQUIRE(info.ok());
  const bool big = features & j::kIncompat64Bit;
  const uint64_t high = big ? (uint64_t{5} << 32) + 77 : 4000000000ull;

  auto w = Writer(m);
  REQUIRE(w.Add(10, Pattern(bs, 1)).ok());
  REQUIRE(w.Add(11, Pattern(bs, 2)).ok());
  REQUIRE(w.Add(high, Pattern(bs, 3)).ok());
  REQUIRE(w.Commit().ok());
  REQUIRE(w.Add(10, Pattern(bs, 4)).ok());
  REQUIRE(w.Add(12, WithMagic(bs, 5)).ok());
  REQUIRE(w.Commit().ok());
  if (!big) CHECK(w.Add(uint64_t{1} << 32, Pattern(bs, 9)).err() == EINVAL);

  auto dirty = j::ReadSuperblock(m.io(), bs);
  REQUIRE(dirty.ok());
  CHECK(j::NeedsRecovery(*dirty));
  CHECK(dirty->start == 1);

  auto r = MustReplay(m);
  CHECK(r.transactions == 2);
  CHECK(r.blocks_replayed == 5);
  CHECK(r.blocks_bad_checksum == 0);
  CHECK(r.last_sequence == 2);
  CHECK_FALSE(r.corrupt_tail);
  CHECK(m.fs.size() == 4);
  CHECK(m.fs[10] == Pattern(bs, 4));  // the later transaction wins
  CHECK(m.fs[11] == Pattern(bs, 2));
  CHECK(m.fs[high] == Pattern(bs, 3));
  CHECK(m.fs[12] == WithMagic(bs, 5));  // escaped in the log, restored on replay
  CHECK(m.fs_writes == std::vector<uint64_t>{10, 11, high, 10, 12});

  auto clean = j::ReadSuperblock(m.io(), bs);
  REQUIRE(clean.ok());
  CHECK_FALSE(j::NeedsRecovery(*clean));
  CHECK(clean->sequence == 4);  // IDs 1, 2 replayed, 3 skipped for safety
  m.fs_writes.clear();
  auto again = MustReplay(m);
  CHECK(again.transactions == 0);
  CHECK(m.fs_writes.empty());
}

TEST_CASE("an escaped block is zeroed in the log and flagged in its tag", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  REQUIRE(w.Add(7, WithMagic(1024, 1)).ok());
  REQUIRE(w.Commit().ok());
  const auto& t = w.written().at(0);
  REQUIRE(t.data_blocks.size() == 1);
  CHECK(Be32(m.blocks[t.data_blocks[0]].data()) == 0);
  const uint8_t* desc = m.blocks[t.descriptor_blocks.at(0)].data();
  CHECK((Be32(desc + 12 + 4) & (j::kFlagEscape | j::kFlagLastTag)) == (j::kFlagEscape | j::kFlagLastTag));
  MustReplay(m);
  CHECK(m.fs[7] == WithMagic(1024, 1));
}

TEST_CASE("an uncommitted trailing transaction is not replayed", "[jbd2]") {
  Mem m(4096, 1024);
  Format(m);
  auto w = Writer(m);
  REQUIRE(w.Add(5, Pattern(4096, 1)).ok());
  REQUIRE(w.Commit().ok());
  REQUIRE(w.Add(5, Pattern(4096, 2)).ok());
  REQUIRE(w.Add(6, Pattern(4096, 3)).ok());
  REQUIRE(w.WriteUncommitted().ok());
  CHECK_FALSE(w.Commit().ok());
  auto r = MustReplay(m);
  CHECK(r.transactions == 1);
  CHECK(m.fs.size() == 1);
  CHECK(m.fs[5] == Pattern(4096, 1));
  CHECK(r.new_sequence == 3);  // 2 was torn: skip it
}

TEST_CASE("an uncommitted only transaction replays nothing but cleans the journal", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  REQUIRE(w.Add(5, Pattern(1024, 1)).ok());
  REQUIRE(w.WriteUncommitted().ok());
  auto r = MustReplay(m);
  CHECK(r.transactions == 0);
  CHECK(m.fs_writes.empty());
  CHECK_FALSE(j::NeedsRecovery(*j::ReadSuperblock(m.io(), 1024)));
}

TEST_CASE("revokes hide earlier copies but not later ones", "[jbd2]") {
  const uint32_t features = GENERATE(from_range(std::begin(kFeatureSets), std::end(kFeatureSets)));
  Mem m(1024, 1024);
  Format(m, features);
  auto w = Writer(m);
  REQUIRE(w.Add(20, Pattern(1024, 1)).ok());
  REQUIRE(w.Add(21, Pattern(1024, 2)).ok());
  REQUIRE(w.Add(30, Pattern(1024, 3)).ok());
  REQUIRE(w.Commit().ok());
  REQUIRE(w.Revoke(20).ok());
  REQUIRE(w.Revoke(30).ok());
  REQUIRE(w.Add(22, Pattern(1024, 4)).ok());
  REQUIRE(w.Commit().ok());
  REQUIRE(w.Add(30, Pattern(1024, 5)).ok());  // journaled again after the revoke
  REQUIRE(w.Commit().ok());
  CHECK(j::ReadSuperblock(m.io(), 1024)->feature_incompat == (features | j::kIncompatRevoke));
  auto r = MustReplay(m);
  CHECK(r.transactions == 3);
  CHECK(r.revoke_records == 2);
  CHECK(r.blocks_revoked == 2);  // 20 and the first 30
  CHECK(m.fs.count(20) == 0);
  CHECK(m.fs[21] == Pattern(1024, 2));
  CHECK(m.fs[22] == Pattern(1024, 4));
  CHECK(m.fs[30] == Pattern(1024, 5));
  CHECK(std::count(m.fs_writes.begin(), m.fs_writes.end(), 30) == 1);
}

TEST_CASE("an uncommitted transaction's revokes are ignored", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  REQUIRE(w.Add(20, Pattern(1024, 1)).ok());
  REQUIRE(w.Commit().ok());
  REQUIRE(w.Revoke(20).ok());
  REQUIRE(w.WriteUncommitted().ok());
  MustReplay(m);
  CHECK(m.fs[20] == Pattern(1024, 1));
}

TEST_CASE("large transactions span several descriptor and revoke blocks", "[jbd2]") {
  const uint32_t features = GENERATE(j::kIncompat64Bit | j::kIncompatCsumV3, j::kIncompatCsumV2, 0u);
  Mem m(1024, 2048);
  Format(m, features);
  auto w = Writer(m);
  for (uint32_t i = 0; i < 300; i++) REQUIRE(w.Revoke(100000 + i).ok());
  for (uint32_t i = 0; i < 200; i++) REQUIRE(w.Add(1000 + i, Pattern(1024, i)).ok());
  REQUIRE(w.Commit().ok());
  CHECK(w.written()[0].descriptor_blocks.size() > 1);
  CHECK(w.written()[0].revoke_blocks.size() > 1);
  auto r = MustReplay(m);
  CHECK(r.revoke_records == 300);
  CHECK(r.blocks_replayed == 200);
  for (uint32_t i = 0; i < 200; i++) CHECK(m.fs[1000 + i] == Pattern(1024, i));
}

TEST_CASE("the log wraps around the end of the journal", "[jbd2]") {
  const uint32_t bs = GENERATE(1024u, 4096u);
  Mem m(bs, 1024);
  Format(m);
  auto w = Writer(m, 1020);  // blocks 1020..1023, then 1, 2, ...
  for (uint32_t t = 0; t < 4; t++) {
    for (uint32_t i = 0; i < 3; i++) REQUIRE(w.Add(50 + i, Pattern(bs, t * 10 + i)).ok());
    if (t == 2) REQUIRE(w.Revoke(60).ok());
    REQUIRE(w.Commit().ok());
  }
  CHECK(w.head() < 1020);
  auto r = MustReplay(m);
  CHECK(r.transactions == 4);
  CHECK(r.blocks_replayed == 12);
  for (uint32_t i = 0; i < 3; i++) CHECK(m.fs[50 + i] == Pattern(bs, 30 + i));
}

TEST_CASE("transaction IDs wrap past 2^32", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m, j::kIncompat64Bit | j::kIncompatCsumV3, 0xFFFFFFFEu);
  auto w = Writer(m);
  REQUIRE(w.Add(9, Pattern(1024, 1)).ok());
  REQUIRE(w.Add(8, Pattern(1024, 2)).ok());
  REQUIRE(w.Commit().ok());  // 0xFFFFFFFE
  REQUIRE(w.Add(7, Pattern(1024, 3)).ok());
  REQUIRE(w.Commit().ok());  // 0xFFFFFFFF
  REQUIRE(w.Revoke(9).ok());
  REQUIRE(w.Commit().ok());  // 0
  auto r = MustReplay(m);
  CHECK(r.transactions == 3);
  CHECK(r.last_sequence == 0);
  CHECK(m.fs.count(9) == 0);
  CHECK(m.fs.size() == 2);
  CHECK(r.new_sequence == 2);
}

TEST_CASE("a bad commit checksum ends the log at that transaction", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  for (uint32_t t = 0; t < 3; t++) {
    REQUIRE(w.Add(40 + t, Pattern(1024, t)).ok());
    REQUIRE(w.Add(99, Pattern(1024, 100 + t)).ok());
    REQUIRE(w.Commit().ok());
  }
  m.blocks[w.written()[1].commit_block][100] ^= 0x40;
  auto r = MustReplay(m);
  CHECK(r.transactions == 1);
  CHECK(r.corrupt_tail);
  CHECK(m.fs.size() == 2);
  CHECK(m.fs[99] == Pattern(1024, 100));
  CHECK(r.new_sequence == 3);
  CHECK_FALSE(j::NeedsRecovery(*j::ReadSuperblock(m.io(), 1024)));
}

TEST_CASE("a stale commit block (older time) ends the log quietly", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  w.set_commit_time(1000, 0);
  REQUIRE(w.Add(1, Pattern(1024, 1)).ok());
  REQUIRE(w.Commit().ok());
  w.set_commit_time(900, 0);
  REQUIRE(w.Add(2, Pattern(1024, 2)).ok());
  REQUIRE(w.Commit().ok());
  m.blocks[w.written()[1].commit_block][200] ^= 1;
  auto r = MustReplay(m);
  CHECK(r.transactions == 1);
  CHECK_FALSE(r.corrupt_tail);
}

TEST_CASE("a bad descriptor checksum ends the log, a bad data checksum skips the block", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  REQUIRE(w.Add(1, Pattern(1024, 1)).ok());
  REQUIRE(w.Add(2, Pattern(1024, 2)).ok());
  REQUIRE(w.Commit().ok());
  REQUIRE(w.Add(3, Pattern(1024, 3)).ok());
  REQUIRE(w.Commit().ok());
  REQUIRE(w.Add(4, Pattern(1024, 4)).ok());
  REQUIRE(w.Commit().ok());
  m.blocks[w.written()[0].data_blocks[1]][500] ^= 0xFF;       // block 2's data
  m.blocks[w.written()[2].descriptor_blocks[0]][1000] ^= 1;   // transaction 3's descriptor
  auto r = MustReplay(m);
  CHECK(r.transactions == 2);
  CHECK(r.blocks_bad_checksum == 1);
  CHECK(r.corrupt_tail);
  CHECK(m.fs.count(1) == 1);
  CHECK(m.fs.count(2) == 0);
  CHECK(m.fs.count(3) == 1);
  CHECK(m.fs.count(4) == 0);
}

TEST_CASE("LogWriter appends to a dirty journal", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  {
    auto w = Writer(m);
    REQUIRE(w.Add(1, Pattern(1024, 1)).ok());
    REQUIRE(w.Commit().ok());
  }
  auto w = Writer(m);
  CHECK(w.next_sequence() == 2);
  REQUIRE(w.Add(1, Pattern(1024, 2)).ok());
  REQUIRE(w.Commit().ok());
  auto r = MustReplay(m);
  CHECK(r.transactions == 2);
  CHECK(m.fs[1] == Pattern(1024, 2));
}

TEST_CASE("LogWriter refuses a transaction larger than the free log", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  for (uint32_t i = 0; i < 1100; i++) REQUIRE(w.Add(i + 1, Pattern(1024, i)).ok());
  auto c = w.Commit();
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().err() == ENOSPC);
}

TEST_CASE("replay refuses tags past the end of the filesystem without writing", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  REQUIRE(w.Add(5, Pattern(1024, 1)).ok());
  REQUIRE(w.Add(5000, Pattern(1024, 2)).ok());
  REQUIRE(w.Commit().ok());
  j::ReplayOptions o;
  o.max_fs_block = 4096;
  auto r = j::Replay(m.io(), 1024, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().corrupt());
  CHECK(m.fs_writes.empty());
  CHECK(j::NeedsRecovery(*j::ReadSuperblock(m.io(), 1024)));
  o.max_fs_block = 0;
  o.dry_run = true;
  auto d = j::Replay(m.io(), 1024, o);
  REQUIRE(d.ok());
  CHECK(d->blocks_replayed == 2);
  CHECK(m.fs_writes.empty());
  CHECK(j::NeedsRecovery(*j::ReadSuperblock(m.io(), 1024)));
}

TEST_CASE("bad superblocks are reported as corruption", "[jbd2]") {
  auto set32 = [](std::vector<uint8_t>& b, size_t off, uint32_t v) {
    for (int i = 0; i < 4; i++) b[off + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  };
  auto expect_corrupt = [](Mem& m, uint32_t bs) {
    auto r = j::ReadSuperblock(m.io(), bs);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().corrupt());
    CHECK(r.status().message().find('\n') == std::string::npos);
    CHECK_FALSE(j::Replay(m.io(), bs).ok());
    std::ostringstream out;
    CHECK_FALSE(j::Dump(m.io(), bs, out).ok());
  };
  Mem m(1024, 1024);
  Format(m, j::kIncompat64Bit);  // no checksum, so fields can be patched directly
  SECTION("all zero") { std::fill(m.blocks[0].begin(), m.blocks[0].end(), 0); expect_corrupt(m, 1024); }
  SECTION("block size mismatch") { expect_corrupt(m, 2048); }
  SECTION("zero block size in the superblock") { set32(m.blocks[0], 0x0C, 0); expect_corrupt(m, 1024); }
  SECTION("maxlen past the journal file") { set32(m.blocks[0], 0x10, 5000); expect_corrupt(m, 1024); }
  SECTION("first 0") { set32(m.blocks[0], 0x14, 0); expect_corrupt(m, 1024); }
  SECTION("first past maxlen") { set32(m.blocks[0], 0x14, 1024); expect_corrupt(m, 1024); }
  SECTION("start outside the log") { set32(m.blocks[0], 0x1C, 4000); expect_corrupt(m, 1024); }
  SECTION("unknown type") { set32(m.blocks[0], 4, 9); expect_corrupt(m, 1024); }
  SECTION("v2 and v3 together") { set32(m.blocks[0], 0x28, 0x18); expect_corrupt(m, 1024); }
  SECTION("zero block size argument") { CHECK(j::ReadSuperblock(m.io(), 0).status().err() == EINVAL); }
  SECTION("unknown incompat feature: readable, not replayable") {
    set32(m.blocks[0], 0x28, 0x2 | 0x1000);
    set32(m.blocks[0], 0x1C, 1);
    CHECK(j::ReadSuperblock(m.io(), 1024).ok());
    CHECK(j::Replay(m.io(), 1024).status().err() == EOPNOTSUPP);
  }
  SECTION("csum v3 superblock with one flipped bit") {
    Mem c(1024, 1024);
    Format(c);
    c.blocks[0][0x18] ^= 1;  // s_sequence
    expect_corrupt(c, 1024);
  }
}

TEST_CASE("ClearErrno zeroes s_errno and keeps the checksum valid", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  // A csum-less journal lets the test set s_errno by patching the block.
  Mem n(1024, 1024);
  Format(n, j::kIncompat64Bit);
  n.blocks[0][0x23] = 5;
  auto info = j::ReadSuperblock(n.io(), 1024);
  REQUIRE(info.ok());
  CHECK(info->errno_value == 5);
  REQUIRE(j::ClearErrno(n.io(), 1024).ok());
  CHECK(j::ReadSuperblock(n.io(), 1024)->errno_value == 0);
  REQUIRE(j::ClearErrno(m.io(), 1024).ok());
  CHECK(j::ReadSuperblock(m.io(), 1024).ok());
}

TEST_CASE("Dump walks the log", "[jbd2]") {
  Mem m(1024, 1024);
  Format(m);
  auto w = Writer(m);
  REQUIRE(w.Add(77, WithMagic(1024, 1)).ok());
  REQUIRE(w.Commit().ok());
  REQUIRE(w.Revoke(77).ok());
  REQUIRE(w.Add(78, Pattern(1024, 2)).ok());
  REQUIRE(w.WriteUncommitted().ok());
  std::ostringstream out;
  REQUIRE(j::Dump(m.io(), 1024, out).ok());
  const std::string s = out.str();
  INFO(s);
  CHECK(s.find("needs recovery") != std::string::npos);
  CHECK(s.find("64bit csum_v3") != std::string::npos);
  CHECK(s.find("descriptor, transaction 1, 1 tag(s)") != std::string::npos);
  CHECK(s.find("fs block 77 in log block 2 escaped") != std::string::npos);
  CHECK(s.find("commit, transaction 1") != std::string::npos);
  CHECK(s.find("revoke, transaction 2, 1 record(s)") != std::string::npos);
  CHECK(s.find("1 commit block(s) found") != std::string::npos);
  CHECK(s.find("BAD") == std::string::npos);
}

TEST_CASE("fuzz: flipped bytes never crash replay or send it astray", "[jbd2][fuzz]") {
  const uint32_t features = GENERATE(j::kIncompat64Bit | j::kIncompatCsumV3, j::kIncompatCsumV2);
  const uint32_t bs = 1024;
  Mem base(bs, 1024);
  Format(base, features);
  std::set<uint64_t> tagged;
  {
    auto w = Writer(base, 1000);
    for (uint32_t t = 0; t < 8; t++) {
      for (uint32_t i = 0; i < 4 + t; i++) {
        const uint64_t blk = 100 + t * 3 + i;
        tagged.insert(blk);
        REQUIRE(w.Add(blk, i == 1 ? WithMagic(bs, t) : Pattern(bs, t * 16 + i)).ok());
      }
      if (t % 3 == 2) REQUIRE(w.Revoke(100 + t).ok());
      if (t == 7)
        REQUIRE(w.WriteUncommitted().ok());
      else
        REQUIRE(w.Commit().ok());
    }
  }
  // The blocks the log occupies (it wraps from 1000 to the start).
  std::vector<uint32_t> hot = {0};
  for (uint32_t b = 1000; b < 1024; b++) hot.push_back(b);
  for (uint32_t b = 1; b < 60; b++) hot.push_back(b);

  int replayed_some = 0, replayed_nothing = 0, refused = 0;
  std::mt19937 rng(12345);
  auto R = [&rng] { return static_cast<uint32_t>(rng()); };
  Mem m = base;
  for (int iter = 0; iter < 2000; iter++) {
    std::vector<std::pair<std::pair<uint32_t, uint32_t>, uint8_t>> undo;
    const int flips = 1 + static_cast<int>(R() % 4);
    for (int f = 0; f < flips; f++) {
      const uint32_t blk = hot[R() % hot.size()];
      // Bias half the flips into the headers and tags, where parsing lives.
      const uint32_t off = R() % 2 ? R() % 96 : R() % bs;
      undo.push_back({{blk, off}, m.blocks[blk][off]});
      m.blocks[blk][off] ^= static_cast<uint8_t>(1 + R() % 255);
    }
    m.fs.clear();
    m.fs_writes.clear();
    auto sb = j::ReadSuperblock(m.io(), bs);
    if (iter % 5 == 0) {  // Dump reads every data block too; a sample keeps the test quick
      std::ostringstream sink;
      (void)j::Dump(m.io(), bs, sink);
    }
    auto r = j::Replay(m.io(), bs);
    (r.ok() ? (m.fs_writes.empty() ? replayed_nothing : replayed_some) : refused)++;
    // Only checksummed logs can promise to stay on the original tags.
    if (r.ok() && sb.ok() && sb->has_csum())
      for (uint64_t b : m.fs_writes)
        if (!tagged.count(b)) {
          INFO("iteration " << iter << " wrote block " << b);
          FAIL("replay wrote a block no tag of the original log names");
        }
    // Restore, including the superblock replay may have rewritten.
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) m.blocks[it->first.first][it->first.second] = it->second;
    m.blocks[0] = base.blocks[0];
  }
  // The flips must reach all three outcomes, or the test proves little.
  CHECK(replayed_some > 500);
  CHECK(replayed_nothing > 10);
  CHECK(refused > 10);
}

TEST_CASE("fuzz: random garbage journals never crash or hang", "[jbd2][fuzz]") {
  std::mt19937 rng(777);
  auto R = [&rng] { return static_cast<uint32_t>(rng()); };
  for (int iter = 0; iter < 400; iter++) {
    const uint32_t bs = R() % 2 ? 1024 : 512;
    const uint32_t n = 8 + R() % 120;
    Mem m(bs, n);
    const uint32_t seq = R() % 4;
    for (auto& b : m.blocks) {
      for (auto& byte : b) byte = static_cast<uint8_t>(R());
      if (R() % 3) {  // make many blocks look like log blocks of a plausible transaction
        const uint32_t hdr[3] = {j::kMagic, 1 + R() % 5, seq + R() % 3};
        for (int k = 0; k < 3; k++)
          for (int i = 0; i < 4; i++) b[k * 4 + i] = static_cast<uint8_t>(hdr[k] >> (24 - 8 * i));
        if (R() % 2) b[19] = static_cast<uint8_t>(R() % 64), b[16] = b[17] = b[18] = 0;  // small r_count
      }
    }
    auto put = [&](size_t off, uint32_t v) {
      for (int i = 0; i < 4; i++) m.blocks[0][off + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
    };
    put(0, j::kMagic);
    put(4, j::kSuperblockV2);
    put(0x0C, bs);
    put(0x10, R() % 4 ? n : R());
    put(0x14, R() % 4 ? 1 : R() % (n + 2));
    put(0x18, seq);
    put(0x1C, 1 + R() % n);
    put(0x24, 0);
    put(0x28, R() % 4);  // revoke/64bit mixes, no checksums: the parser sees everything
    put(0x2C, 0);
    const bool sized = R() % 2;
    std::ostringstream sink;
    (void)j::Dump(m.io(sized), bs, sink);
    auto r = j::Replay(m.io(sized), bs);
    if (!r.ok()) CHECK(r.status().message().find('\n') == std::string::npos);
    (void)j::LogWriter::Open(m.io(sized), bs);
  }
}
