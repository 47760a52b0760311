// The ocfsx module's configfs tree (<root>/ocfsx/cluster/...): the contract's
// attribute ranges, and a small class that creates, reads and removes the
// cluster, its nodes and its heartbeat regions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
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
  std::vector<LiveNode> nodes;  // sorted by name
  std::vector<LiveRegion> regions;

  const LiveNode* LocalNode() const;
  // Online = a local node is set: the module then listens and the cluster's
  // timeouts are frozen.
  bool online() const { return LocalNode() != nullptr; }
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

  // Building blocks, each one configfs operation or a short fixed sequence.
  Status CreateCluster(const std::string& name);
  // Writes every tunable, ordered so that keepalive < idle holds after each
  // write; fails with EBUSY from the kernel once the cluster is online.
  Status SetClusterParams(const std::string& cluster, const ClusterParams& params, HeartbeatMode mode);
  Status AddNode(const std::string& cluster, const LiveNode& node);  // ignores node.local
  Status SetLocalNode(const std::string& cluster, const std::string& node);
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
