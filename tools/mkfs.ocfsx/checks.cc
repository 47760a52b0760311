// mkfs.ocfsx safety checks: refuse a mounted device, a device carrying
// another filesystem, and an ocfsx volume that other nodes heartbeat on.
#include <blkid/blkid.h>
#include <libmount/libmount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "mkfs.h"
#include "ocfsx/block_io.h"
#include "ocfsx/endian.h"
#include "ocfsx/status.h"
#include "ocfsx/superblock.h"

namespace mkfs {

using ocfsx::Le16;
using ocfsx::Le32;
using ocfsx::Le64;
using ocfsx::Status;

Status CheckNotMounted(const ocfsx::Device& dev) {
  struct libmnt_table* tb = mnt_new_table();
  if (!tb) return ocfsx::ErrnoStatus(ENOMEM, "libmount");
  // mountinfo has device numbers; fall back to mtab-style parsing if absent.
  int rc = mnt_table_parse_file(tb, "/proc/self/mountinfo");
  if (rc != 0) rc = mnt_table_parse_mtab(tb, nullptr);
  if (rc != 0) {
    mnt_unref_table(tb);
    return Status();  // cannot tell; O_EXCL still protects block devices
  }
  char* real = realpath(dev.path().c_str(), nullptr);
  std::string devpath = real ? real : dev.path();
  free(real);
  struct libmnt_iter* it = mnt_new_iter(MNT_ITER_FORWARD);
  struct libmnt_fs* fs = nullptr;
  std::string where;
  while (mnt_table_next_fs(tb, it, &fs) == 0) {
    const char* src = mnt_fs_get_srcpath(fs);
    bool same = dev.is_block_device() && mnt_fs_get_devno(fs) == dev.rdev();
    if (!same && src && devpath == src) same = true;
    if (same) {
      const char* target = mnt_fs_get_target(fs);
      where = target ? target : "?";
      break;
    }
  }
  mnt_free_iter(it);
  mnt_unref_table(tb);
  if (!where.empty()) return ocfsx::Status::Error(EBUSY, dev.path() + ": is mounted on " + where + "; unmount it first");
  return Status();
}

Status CheckNoSignature(const ocfsx::Device& dev) {
  blkid_probe pr = blkid_new_probe();
  if (!pr) return ocfsx::ErrnoStatus(ENOMEM, "blkid");
  Status result;
  if (blkid_probe_set_device(pr, dev.fd(), 0, 0) == 0) {
    blkid_probe_enable_superblocks(pr, 1);
    blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
    blkid_probe_enable_partitions(pr, 1);
    blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
    int rc = blkid_do_safeprobe(pr);
    const char* type = nullptr;
    const char* label = nullptr;
    if (rc == 0) {
      blkid_probe_lookup_value(pr, "TYPE", &type, nullptr);
      blkid_probe_lookup_value(pr, "LABEL", &label, nullptr);
      if (type) {
        std::string msg = dev.path() + ": contains " + (std::string("aeiou").find(type[0]) != std::string::npos ? "an " : "a ") +
                          type + " filesystem";
        if (label && *label) msg += std::string(" (label \"") + label + "\")";
        result = ocfsx::Status::Error(EEXIST, msg + "; use -F to overwrite");
      } else {
        const char* pttype = nullptr;
        if (blkid_probe_lookup_value(pr, "PTTYPE", &pttype, nullptr) == 0 && pttype)
          result = ocfsx::Status::Error(EEXIST, dev.path() + ": contains a partition table (" + pttype + "); use -F to overwrite");
      }
    } else if (rc == -2) {
      result = ocfsx::Status::Error(EEXIST, dev.path() + ": contains several conflicting signatures; use -F to overwrite");
    }
  }
  blkid_free_probe(pr);
  return result;
}

namespace {

struct HbSample {
  bool valid = false;
  uint64_t seq = 0, generation = 0;
  uint32_t interval_ms = 0;
  bool stopped = false;
};

ocfsx::Result<std::vector<HbSample>> SampleHeartbeat(const ocfsx::Device& dev, const ocfsx::Superblock& sb) {
  uint32_t bs = sb.block_size();
  uint64_t start = Le64(sb.raw().s_hb_blkno);
  ocfsx::AlignedBuffer buf(static_cast<size_t>(bs) * OCFSX_MAX_NODES);
  OCFSX_RETURN_IF_ERROR(dev.ReadBlocks(start, bs, buf.data(), OCFSX_MAX_NODES));
  std::vector<HbSample> out(OCFSX_MAX_NODES);
  for (uint32_t n = 0; n < OCFSX_MAX_NODES; n++) {
    const uint8_t* b = buf.data() + static_cast<size_t>(n) * bs;
    if (!ocfsx::VerifyBlock(b, OCFSX_BT_HEARTBEAT, bs, start + n, sb.fs_generation()).ok()) continue;
    auto* hb = reinterpret_cast<const ocfsx_heartbeat_block*>(b);
    if (Le32(hb->hb_node) != n) continue;
    out[n].valid = true;
    out[n].seq = Le64(hb->hb_seq);
    out[n].generation = Le64(hb->hb_generation);
    out[n].interval_ms = Le32(hb->hb_interval_ms);
    out[n].stopped = Le32(hb->hb_flags) & OCFSX_HB_F_STOPPED;
  }
  return out;
}

}  // namespace

Status CheckNoLiveHeartbeat(const ocfsx::Device& dev) {
  auto sb = ocfsx::Superblock::ReadPrimary(dev);
  if (!sb.ok()) return Status();  // not an ocfsx volume: nobody heartbeats here
  if (!sb->Validate(dev.size()).ok()) return Status();
  if (sb->has_feature_incompat(OCFSX_FEATURE_INCOMPAT_LOCAL_MOUNT)) return Status();
  auto first = SampleHeartbeat(dev, *sb);
  if (!first.ok()) return Status();
  // Only a node that has written at least once and not stopped cleanly can
  // be live; without one there is nothing to wait for.
  uint32_t wait_ms = 0;
  for (const HbSample& s : *first)
    if (s.valid && !s.stopped && (s.seq || s.generation)) wait_ms = std::max(wait_ms, s.interval_ms ? s.interval_ms : 2000U);
  if (wait_ms == 0) return Status();
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min<uint32_t>(wait_ms, 10000) + 100));
  auto second = SampleHeartbeat(dev, *sb);
  if (!second.ok()) return Status();
  std::string nodes;
  for (uint32_t n = 0; n < OCFSX_MAX_NODES; n++) {
    const HbSample &a = (*first)[n], &b = (*second)[n];
    if (b.valid && (!a.valid || a.seq != b.seq || a.generation != b.generation)) {
      if (!nodes.empty()) nodes += ", ";
      nodes += std::to_string(n);
    }
  }
  if (nodes.empty()) return Status();
  return ocfsx::Status::Error(EBUSY, dev.path() + ": ocfsx volume is in use: live heartbeat from node" +
                                    (nodes.find(',') != std::string::npos ? "s " : " ") + nodes +
                                    "; unmount it on every node first (or use -F)");
}

}  // namespace mkfs
