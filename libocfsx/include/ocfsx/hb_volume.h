// What o2cbx needs from an ocfsx volume to run global heartbeat on it: its
// UUID (the region name) and where the heartbeat blocks are. Reads only the
// primary superblock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ocfsx/status.h"

namespace ocfsx {

struct HeartbeatVolume {
  std::string device;
  std::string uuid;  // 32 upper-case hex digits
  std::string label;
  std::string cluster_name;  // from the superblock's cluster info; may be empty
  bool global_heartbeat = false;
  uint32_t block_bytes = 0;
  uint64_t hb_start_block = 0;
  uint32_t hb_blocks = 0;
};

// Reads and checks (magic, type, location, checksum) device's superblock.
Result<HeartbeatVolume> ProbeHeartbeatVolume(const std::string& device);

// Devices to search for a UUID: $OCFSX_HB_DEVICES (colon-separated) when
// set, else every block device named in /proc/partitions, as /dev/NAME.
std::vector<std::string> CandidateHeartbeatDevices();

// The first candidate whose superblock has uuid (any case, dashes allowed).
Result<HeartbeatVolume> FindHeartbeatVolume(const std::string& uuid);

}  // namespace ocfsx
