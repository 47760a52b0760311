// Bringing a cluster.conf cluster into the kernel and out again: choosing
// the local node, registering idempotently, unregistering, and starting and
// stopping global heartbeat.
#pragma once

#include <string>
#include <vector>

#include "ocfsx/cluster_conf.h"
#include "ocfsx/configfs.h"
#include "ocfsx/status.h"

namespace ocfsx {

// The names this host answers to, for matching against node names.
struct HostIdentity {
  std::string hostname;            // uname's nodename, or $OCFSX_HOSTNAME
  std::vector<std::string> forms;  // hostname, its short form, its FQDN
};
// The FQDN of a dotless hostname costs a resolver lookup (which can hang on
// a node whose DNS is down), so callers first try without it. With
// $OCFSX_HOSTNAME set (tests), no lookup is ever made.
HostIdentity LocalHostIdentity(bool resolve_fqdn);

// The node of cluster that is this host: a node whose name equals one of
// host.forms (ignoring case), or, when local_node is not empty, that node.
// The error names the host and the cluster's nodes and says how to fix it.
Result<const NodeConf*> FindLocalNode(const ClusterDef& cluster, const HostIdentity& host,
                                      const std::string& local_node = "");

// What the kernel should hold for a cluster.
struct DesiredCluster {
  std::string name;
  ClusterParams params;
  HeartbeatMode mode = HeartbeatMode::kLocal;
  std::string key;              // hex; empty: none
  std::vector<LiveNode> nodes;  // sorted by name; exactly one is local
};
Result<DesiredCluster> PlanCluster(const ClusterDef& cluster, const ClusterParams& params,
                                   const NodeConf& local);

// Empty when have matches want; else the first difference, for messages.
std::string DescribeDifference(const LiveCluster& have, const DesiredCluster& want);

enum class RegisterOutcome {
  kRegistered,  // created
  kUnchanged,   // already registered exactly like this
  kReplaced,    // a stale, offline registration was torn down and redone
};
// Creates the cluster, sets its tunables and key, adds the nodes and marks
// the local one last. A failure midway removes what was created.
Result<RegisterOutcome> RegisterCluster(Configfs& fs, const DesiredCluster& want);

// Removes the cluster from configfs; false when it was not registered.
Result<bool> UnregisterCluster(Configfs& fs, const std::string& name);

// Global heartbeat: creates a configfs region for every heartbeat stanza of
// cluster not already running, locating each volume by UUID. Returns the
// number of regions started.
Result<int> StartGlobalHeartbeat(Configfs& fs, const ClusterDef& cluster);
// Removes the cluster's configured regions from configfs; returns how many.
Result<int> StopGlobalHeartbeat(Configfs& fs, const ClusterDef& cluster);

}  // namespace ocfsx
