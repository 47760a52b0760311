// The ocfsx module's configfs tree (<root>/ocfsx/cluster/...): the contract's
// attribute ranges, and a small class that creates, reads and removes the
// cluster, its nodes and its heartbeat regions.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocfsx/cluster_conf.h"
#include "ocfsx/status.h"

namespace ocfsx {

inline constexpr const char* kDefaultConfigfsRoot = "/sys/kernel/config";
inline constexpr const char* kDefaultSysfsRoot = "/sys";

// The cluster-wide tunables; the defaults are the module's. register-cluster
// always writes all of them, so a node never runs on a module's own default.
struct ClusterParams {
  int heartbeat_interval_ms = 400;
  int dead_threshold = 5;  // heartbeat rounds
  int idle_timeout_ms = 3000;
  int keepalive_delay_ms = 1000;
  int reconnect_delay_ms = 500;
  std::string fence_method = "reboot";  // panic | reboot | halt

  bool operator==(const ClusterParams&) const = default;
};

// One numeric cluster attribute of the contract, for validation and output.
struct ParamRange {
  const char* attr;  // configfs attribute name
  int ClusterParams::*field;
  int min;
  int max;
};
const std::vector<ParamRange>& ClusterParamRanges();
bool ValidFenceMethod(std::string_view method);
// Checks ranges and keepalive < idle; messages name the configfs attribute.
Status ValidateClusterParams(const ClusterParams& p);

// What a node or heartbeat region looks like in configfs.
struct LiveNode {
  std::string name;
  int number = -1;
  std::string ipv4_address;
  int ipv4_port = kDefaultNodePort;
  bool local = false;

  bool operator==(const LiveNode&) const = default;
};

struct LiveRegion {
  std::string name;  // volume UUID
  std::string dev;   // block device path
  uint64_t start_block = 0;
  uint64_t blocks = 0;
  uint32_t block_bytes = 0;
};

struct LiveCluster {
  std::string name;
  ClusterParams params;
  HeartbeatMode heartbeat_mode = HeartbeatMode::kLocal;
  // What the key attribute reads: "" when no key is set, nullopt when the
  // module has no key attribute (or it cannot be read).
  std::optional<std::string> key_fingerprint;
  std::vector<LiveNode> nodes;  // sorted by name
  std::vector<LiveRegion> regions;

  const LiveNode* LocalNode() const;
  // Online = a local node is set: the module then listens and the cluster's
  // timeouts are frozen.
  bool online() const { return LocalNode() != nullptr; }
};

// The read-only status attributes: "key value" lines. Unknown keys are
// ignored and missing ones stay empty/nullopt, so a newer or older module
// never makes status fail. Numbers that do not parse count as missing.
std::vector<std::pair<std::string, std::string>> ParseStatusLines(std::string_view text);

struct ClusterRuntime {  // cluster/NAME/status
  std::string state;     // offline | online | fenced
  std::optional<int64_t> heartbeat_regions;
  std::optional<std::vector<int>> live_nodes;  // node numbers
  std::string quorum;        // none | joining | joined | fenced
  std::string fence_reason;  // none | lease | same_node | no_quorum | join_failed | requested
};
ClusterRuntime ParseClusterStatus(std::string_view text);

struct NodeRuntime {  // node/NAME/status
  std::string hb;     // unknown | dead | live
  std::string hb_generation;
  std::optional<int64_t> hb_age_ms;  // -1: never heard
  std::string conn;                  // none | connecting | handshake | up | refused | down
  std::optional<int64_t> conn_idle_ms, msgs_sent, msgs_recv, bytes_sent, bytes_recv, rtt_us, connects;
};
NodeRuntime ParseNodeStatus(std::string_view text);

struct RegionRuntime {  // heartbeat/REGION/status
  std::string state;    // idle | observing | active | stopping | stopped | conflict | fenced | error
  std::optional<int64_t> rounds;
  std::string error;  // only in state error
};
RegionRuntime ParseRegionStatus(std::string_view text);

// Everything the status attributes of a cluster say; an attribute the module
// does not have (or that cannot be read) is simply absent.
struct LiveStatus {
  std::optional<ClusterRuntime> cluster;
  std::map<std::string, NodeRuntime> nodes;      // by node name
  std::map<std::string, RegionRuntime> regions;  // by region name
};

class Configfs {
 public:
  struct Options {
    std::string configfs_root = kDefaultConfigfsRoot;
    std::string sysfs_root = kDefaultSysfsRoot;
    std::string proc_mounts = "/proc/mounts";
    // Set when the root came from OCFSX_CONFIGFS_ROOT. A test root counts as
    // mounted when it exists; if it is a plain directory rather than
    // configfs, the class also does what the kernel would do on mkdir (see
    // configfs.cc), so tests drive the same code path as a real system.
    bool test_root = false;
    // The emulation plays a module with the cluster key attribute, as the
    // current module is; false ($OCFSX_TEST_KEY_ATTR=0) plays an older one.
    bool emulate_key_attr = true;
    // Told about every mkdir, attribute write and rmdir (o2cbx -v).
    std::function<void(const std::string&)> trace;
  };

  // Defaults, overridden by OCFSX_CONFIGFS_ROOT and OCFSX_SYSFS_ROOT.
  static Options OptionsFromEnv();

  explicit Configfs(Options options);

  const std::string& root() const { return opts_.configfs_root; }
  std::string ClusterGroupPath() const;  // <root>/ocfsx/cluster
  std::string ClusterPath(const std::string& cluster) const;
  bool emulating() const { return emulate_; }

  bool ModuleLoaded() const;  // <sysfs>/module/ocfsx exists
  bool Mounted() const;       // configfs mounted at root
  // Module loaded, configfs mounted and the ocfsx subsystem present; the
  // error says how to get there.
  Status CheckReady() const;

  // Names of registered clusters (the module allows at most one).
  Result<std::vector<std::string>> ListClusters() const;
  Result<LiveCluster> ReadCluster(const std::string& name) const;
  // The status attributes of cluster and of its nodes and regions; never
  // fails (see LiveStatus).
  LiveStatus ReadStatus(const LiveCluster& cluster) const;

  // Building blocks, each one configfs operation or a short fixed sequence.
  Status CreateCluster(const std::string& name);
  // Writes every tunable, ordered so that keepalive < idle holds after each
  // write; fails with EBUSY from the kernel once the cluster is online.
  Status SetClusterParams(const std::string& cluster, const ClusterParams& params, HeartbeatMode mode);
  Status AddNode(const std::string& cluster, const LiveNode& node);  // ignores node.local
  Status SetLocalNode(const std::string& cluster, const std::string& node);
  // Writes the cluster key (hex; empty clears it). A module without the key
  // attribute gets an error that says so.
  Status SetClusterKey(const std::string& cluster, const std::string& key);
  Status AddRegion(const std::string& cluster, const LiveRegion& region);  // dev last: it starts it
  Status RemoveRegion(const std::string& cluster, const std::string& region);
  Status RemoveNode(const std::string& cluster, const std::string& node);
  // Regions, then nodes (the local one last), then the cluster itself.
  Status RemoveCluster(const std::string& cluster);

  // dir is relative to the cluster group, e.g. "c1/node/n1". Errors name the
  // attribute, the value and the errno.
  Result<std::string> ReadAttr(const std::string& dir, const std::string& attr) const;
  Status WriteAttr(const std::string& dir, const std::string& attr, const std::string& value);

 private:
  enum class GroupKind { kCluster, kNode, kRegion };
  Status MakeGroup(const std::string& rel, GroupKind kind);
  Status RemoveGroup(const std::string& rel);
  Status EmulateWrite(const std::string& path, const std::string& attr, const std::string& value);
  void Trace(const std::string& what) const;

  Options opts_;
  bool emulate_ = false;
};

}  // namespace ocfsx
