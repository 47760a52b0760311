// mkfs.ocfsx internals shared by its source files: the options, the
// computed geometry, the safety checks and the writer of the initial layout.
#pragma once

#include <cstdint>
#include <string>

#include "ocfsx/device.h"
#include "ocfsx/status.h"

namespace mkfs {

struct Options {
  std::string device;
  uint64_t blocks = 0;  // 0: the whole device
  uint32_t bbits = 12;
  uint32_t cbits = 12;
  bool cbits_set = false;
  int slots = 0;  // 0: by volume size
  std::string label;
  uint8_t uuid[16] = {};
  bool uuid_set = false;
  uint64_t journal_bytes = 0;  // 0: by volume size
  int journal_scale = 0;       // -T preset: +1 doubles, -1 halves the default
  std::string type;
  std::string cluster_name;
  std::string cluster_stack = "o2cb";
  bool global_heartbeat = false;  // heartbeat on the cluster's regions, not at mount
  bool local = false;
  bool force = false;
  bool dry_run = false;
  bool quiet = false;
  bool verbose = false;
};

// Everything mkfs decides before writing.
struct Plan {
  uint64_t device_bytes = 0;
  uint32_t bbits = 0, cbits = 0;
  uint64_t clusters = 0;
  uint32_t cpg = 0;
  uint64_t groups = 0;
  uint32_t slots = 0;
  uint64_t journal_clusters = 0;
  uint32_t backups = 0;
};

// Volume-size defaults (docs/format.md §17).
uint32_t DefaultSlots(uint64_t bytes);
uint64_t DefaultJournalBytes(uint64_t bytes);
// Smallest volume that holds `slots` minimal journals within the 25% rule.
uint64_t MinimumBytes(uint32_t slots, uint32_t bbits);

ocfsx::Result<Plan> MakePlan(const Options& opts, uint64_t device_bytes);

// Refusals (each returns one line naming the device and the reason).
ocfsx::Status CheckNotMounted(const ocfsx::Device& dev);
ocfsx::Status CheckNoSignature(const ocfsx::Device& dev);
ocfsx::Status CheckNoLiveHeartbeat(const ocfsx::Device& dev);

// Writes the whole initial layout.
ocfsx::Status WriteVolume(ocfsx::Device& dev, const Options& opts, const Plan& plan);

}  // namespace mkfs
