// o2cbx internals shared by main.cc and the verb files: the parsed command
// line and the verb entry points.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ocfsx/cluster_conf.h"
#include "ocfsx/status.h"

namespace o2cbx {

// Exit codes (documented in o2cbx.8).
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // also "not online" for cluster-status/status
inline constexpr int kExitUsage = 2;

struct Context {
  std::string config_path;
  std::string defaults_path;
  bool verbose = false;
  std::vector<std::string> args;               // positional arguments after the verb
  std::map<std::string, std::string> options;  // verb options without "--"; flags map to ""

  bool Has(const std::string& opt) const { return options.count(opt) != 0; }
  std::string Option(const std::string& opt) const {
    auto it = options.find(opt);
    return it == options.end() ? std::string() : it->second;
  }
  void Verbose(const std::string& line) const;  // stdout, only with -v
};

// Prints "o2cbx: message" on stderr and returns kExitError.
int Fail(const std::string& message);
int Fail(const ocfsx::Status& status);

// cluster.conf for verbs that only read it: a missing file is an error
// that says how to create one.
ocfsx::Result<ocfsx::ClusterConf> LoadForRead(const Context& ctx);
// The named cluster, or the error that says how to add it.
ocfsx::Result<const ocfsx::ClusterDef*> Require(const Context& ctx, const ocfsx::ClusterConf& conf,
                                                const std::string& name);

// cluster.conf verbs (conf_verbs.cc).
int AddCluster(const Context& ctx);
int RemoveCluster(const Context& ctx);
int AddNode(const Context& ctx);
int RemoveNode(const Context& ctx);
int AddHeartbeat(const Context& ctx);
int RemoveHeartbeat(const Context& ctx);
int HeartbeatModeVerb(const Context& ctx);
int GenerateKey(const Context& ctx);
int RemoveKey(const Context& ctx);
int ListClusters(const Context& ctx);
int ListCluster(const Context& ctx);
int ListNodes(const Context& ctx);
int ListHeartbeats(const Context& ctx);

// configfs and service verbs (stack_verbs.cc).
int RegisterClusterVerb(const Context& ctx);
int UnregisterClusterVerb(const Context& ctx);
int StartHeartbeat(const Context& ctx);
int StopHeartbeat(const Context& ctx);
int ClusterStatus(const Context& ctx);
int StatusVerb(const Context& ctx);
int Load(const Context& ctx);
int Online(const Context& ctx);
int Offline(const Context& ctx);
int Unload(const Context& ctx);

}  // namespace o2cbx
