// Slot map and heartbeat readers for the inspection tools (see inspect.h):
// who holds which slot, and which nodes are heartbeating right now.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include "ocfsx/endian.h"
#include "ocfsx/inspect.h"
#include "ocfsx/status.h"

namespace ocfsx::inspect {

Result<std::vector<SlotEntry>> ReadSlotMap(const Volume& vol) {
  const MetaIo& io = vol.io();
  const uint32_t bs = io.block_size();
  const uint32_t slots = vol.super().max_slots();
  const uint32_t per = OCFSX_SLOTS_PER_BLOCK(bs);
  auto ino = vol.SystemFile(OCFSX_SYS_SLOT_MAP, OCFSX_SLOT_NONE);
  if (!ino.ok()) return ino.status();
  auto inode = vol.ReadInode(*ino);
  if (!inode.ok()) return inode.status();
  auto ext = CollectExtents(io, *inode);
  if (!ext.ok()) return ext.status();

  std::vector<SlotEntry> out;
  AlignedBuffer buf(bs);
  const uint32_t nblocks = (slots + per - 1) / per;
  for (uint32_t b = 0; b < nblocks; b++) {
    const std::string where = "slot map block " + std::to_string(b);
    uint64_t phys = MapBlockInExtents(*ext, io.geometry(), b);
    if (phys == 0) return Status::Corrupt(where + " is a hole");
    if (phys >= io.geometry().blocks()) return Status::Corrupt(where + " lies outside the volume");
    OCFSX_RETURN_IF_ERROR(io.Read(phys, OCFSX_BT_SLOT_MAP, buf.data()));
    const auto* sm = reinterpret_cast<const ocfsx_slot_map_block*>(buf.data());
    const uint32_t first = Le16(sm->sm_first_slot), count = Le16(sm->sm_count);
    const uint32_t expect = std::min(per, slots - b * per);
    if (Le64(sm->sm_hdr.bh_owner) != *ino)
      return Status::Corrupt(where + ": owner " + std::to_string(Le64(sm->sm_hdr.bh_owner)) + " is not the slot map inode");
    if (first != b * per || count != expect)
      return Status::Corrupt(where + ": holds slots " + std::to_string(first) + "+" + std::to_string(count) + ", expected " +
                             std::to_string(b * per) + "+" + std::to_string(expect));
    const auto* ents = reinterpret_cast<const ocfsx_slot_entry*>(buf.data() + OCFSX_SLOT_MAP_ENTRIES_OFFSET);
    for (uint32_t i = 0; i < count; i++) {
      SlotEntry e;
      e.slot = first + i;
      e.node = Le32(ents[i].se_node);
      e.mount_time = Le64(ents[i].se_mount_time);
      out.push_back(e);
    }
  }
  return out;
}

Result<std::vector<HbBlock>> SampleHeartbeat(const Volume& vol) {
  const MetaIo& io = vol.io();
  const uint32_t bs = io.block_size();
  const uint64_t start = Le64(vol.super().raw().s_hb_blkno);
  // Superblock::Validate already placed the 255 blocks inside the volume.
  AlignedBuffer area(static_cast<size_t>(bs) * OCFSX_MAX_NODES);
  OCFSX_RETURN_IF_ERROR(io.device()->ReadBlocks(start, bs, area.data(), OCFSX_MAX_NODES));
  std::vector<HbBlock> out(OCFSX_MAX_NODES);
  for (uint32_t n = 0; n < OCFSX_MAX_NODES; n++) {
    HbBlock& h = out[n];
    h.node = n;
    const uint8_t* b = area.data() + static_cast<size_t>(n) * bs;
    Status st = VerifyBlock(b, OCFSX_BT_HEARTBEAT, bs, start + n, io.fs_generation());
    if (!st.ok()) {
      h.problem = st.message();
      continue;
    }
    const auto* hb = reinterpret_cast<const ocfsx_heartbeat_block*>(b);
    if (Le32(hb->hb_node) != n) {
      h.problem = "block of node " + std::to_string(n) + " claims node " + std::to_string(Le32(hb->hb_node));
      continue;
    }
    h.valid = true;
    h.seq = Le64(hb->hb_seq);
    h.generation = Le64(hb->hb_generation);
    h.time_sec = Le64(hb->hb_time_sec);
    h.time_nsec = Le32(hb->hb_time_nsec);
    h.interval_ms = Le32(hb->hb_interval_ms);
    h.dead_ms = Le32(hb->hb_dead_ms);
    h.flags = Le32(hb->hb_flags);
    h.slot = Le16(hb->hb_slot);
    h.cluster = FixedString(hb->hb_cluster, sizeof(hb->hb_cluster));
    h.host = FixedString(hb->hb_host, sizeof(hb->hb_host));
  }
  return out;
}

const char* LivenessName(Liveness l) {
  switch (l) {
    case Liveness::kUnused: return "unused";
    case Liveness::kLive: return "live";
    case Liveness::kDead: return "dead";
    case Liveness::kStopped: return "stopped";
    case Liveness::kBad: return "bad";
  }
  return "?";
}

uint32_t LivenessWaitMs(const std::vector<HbBlock>& first) {
  uint32_t longest = 0;
  bool any = false;
  for (const HbBlock& h : first) {
    if (!h.written() || h.stopped()) continue;
    any = true;
    longest = std::max(longest, h.interval_ms ? h.interval_ms : 2000U);
  }
  // Nothing that a running writer owns: no sample could change.
  if (!any) return 0;
  if (const char* env = std::getenv("OCFSX_HB_INTERVAL_MS"); env && *env) {
    char* end = nullptr;
    unsigned long v = std::strtoul(env, &end, 10);
    if (end && *end == '\0' && v <= 600000) return static_cast<uint32_t>(v);
  }
  // A writer a little late must still be seen: one interval plus slack.
  return std::min<uint32_t>(longest + longest / 10 + 100, 10000);
}

std::vector<Liveness> JudgeLiveness(const std::vector<HbBlock>& first, const std::vector<HbBlock>& second) {
  std::vector<Liveness> out(second.size(), Liveness::kUnused);
  for (size_t n = 0; n < second.size(); n++) {
    const HbBlock& b = second[n];
    if (!b.valid) {
      out[n] = Liveness::kBad;
    } else if (!b.written()) {
      out[n] = Liveness::kUnused;
    } else if (b.stopped()) {
      out[n] = Liveness::kStopped;
    } else if (n < first.size() && first[n].valid &&
               (first[n].seq != b.seq || first[n].generation != b.generation)) {
      out[n] = Liveness::kLive;
    } else {
      // Unchanged, or the first sample was damaged (a torn write counts as
      // a miss, never as life).
      out[n] = Liveness::kDead;
    }
  }
  return out;
}

Result<std::vector<Liveness>> CheckLiveness(const Volume& vol, std::vector<HbBlock>* second) {
  auto a = SampleHeartbeat(vol);
  if (!a.ok()) return a.status();
  const uint32_t wait = LivenessWaitMs(*a);
  if (wait) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  auto b = SampleHeartbeat(vol);
  if (!b.ok()) return b.status();
  auto l = JudgeLiveness(*a, *b);
  if (second) *second = std::move(b).value();
  return l;
}

std::string FormatTime(int64_t sec) {
  if (sec == 0) return "never";
  time_t t = static_cast<time_t>(sec);
  struct tm tm;
  if (!localtime_r(&t, &tm)) return std::to_string(sec);
  char buf[64];
  if (strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0) return std::to_string(sec);
  return buf;
}

std::string UuidHex(const uint8_t uuid[16]) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string s;
  for (int i = 0; i < 16; i++) {
    s += kHex[uuid[i] >> 4];
    s += kHex[uuid[i] & 15];
  }
  return s;
}

std::string FixedString(const uint8_t* p, size_t n) {
  size_t len = strnlen(reinterpret_cast<const char*>(p), n);
  std::string s(reinterpret_cast<const char*>(p), len);
  // Control characters from a damaged field must not reach the terminal.
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

}  // namespace ocfsx::inspect
