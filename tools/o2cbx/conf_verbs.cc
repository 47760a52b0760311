// o2cbx verbs that read or edit cluster.conf; none of them touches the kernel.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "o2cbx.h"
#include "ocfsx/cluster_conf.h"
#include "ocfsx/cluster_key.h"
#include "ocfsx/hb_volume.h"

namespace o2cbx {
namespace {

using ocfsx::ClusterConf;
using ocfsx::ClusterDef;
using ocfsx::Result;
using ocfsx::Status;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

// For verbs that only read: a missing file is an error with the fix.
Result<ClusterConf> LoadForRead(const Context& ctx) {
  auto conf = ClusterConf::Load(ctx.config_path);
  if (!conf.ok() && conf.status().err() == ENOENT)
    return Status::Error(ENOENT,
                         ctx.config_path + " does not exist; create a cluster with 'o2cbx add-cluster NAME'");
  return conf;
}

namespace {

// For verbs that edit: a missing file is an empty configuration.
Result<ClusterConf> LoadForEdit(const Context& ctx) {
  auto conf = ClusterConf::Load(ctx.config_path);
  if (!conf.ok() && conf.status().err() == ENOENT) return ClusterConf::Parse("", ctx.config_path);
  return conf;
}

Status Save(const Context& ctx, const ClusterConf& conf) {
  // /etc/ocfsx may not exist on a fresh install; create that one level.
  auto slash = ctx.config_path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = ctx.config_path.substr(0, slash);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0 && ::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return Status::Error(errno, "cannot create directory " + dir + ": " + std::strerror(errno));
  }
  Status s = conf.Save(ctx.config_path);
  if (s.ok()) ctx.Verbose("wrote " + ctx.config_path);
  return s;
}

}  // namespace

Result<const ClusterDef*> Require(const Context& ctx, const ClusterConf& conf, const std::string& name) {
  if (const ClusterDef* c = conf.FindCluster(name)) return c;
  return Status::Error(ENOENT, "cluster " + Quote(name) + " is not defined in " + ctx.config_path +
                                   "; add it with 'o2cbx add-cluster " + name + "'");
}

namespace {

// Loads, checks the cluster exists, applies edit, saves.
template <typename Edit>
int EditCluster(const Context& ctx, const std::string& cluster, Edit edit) {
  auto conf = LoadForEdit(ctx);
  if (!conf.ok()) return Fail(conf.status());
  auto c = Require(ctx, *conf, cluster);
  if (!c.ok()) return Fail(c.status());
  Status s = edit(*conf);
  if (!s.ok()) return Fail(s);
  s = Save(ctx, *conf);
  return s.ok() ? kExitOk : Fail(s);
}

bool ParseNumber(const std::string& s, long min, long max, long* out) {
  if (s.empty() || s.size() > 9) return false;
  long v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

// A heartbeat argument is a region (UUID) or a device holding the volume.
Result<std::string> RegionOf(const std::string& arg) {
  if (!arg.empty() && arg[0] == '/') {
    auto vol = ocfsx::ProbeHeartbeatVolume(arg);
    if (!vol.ok()) return vol.status();
    return vol->uuid;
  }
  return ocfsx::NormalizeRegionName(arg);
}

using KeyValues = std::vector<std::pair<std::string, std::string>>;

void PrintStanza(const char* type, const KeyValues& kv, bool oneline, bool* first) {
  if (oneline) {
    std::printf("%s:", type);
    for (const auto& [k, v] : kv) std::printf(" %s=%s", k.c_str(), v.c_str());
    std::printf("\n");
    return;
  }
  if (!*first) std::printf("\n");
  *first = false;
  std::printf("%s:\n", type);
  for (const auto& [k, v] : kv) std::printf("\t%s = %s\n", k.c_str(), v.c_str());
}

void PrintCluster(const ClusterDef& c, bool oneline, bool* first) {
  KeyValues kv = {{"name", c.name},
                  {"heartbeat_mode", ocfsx::HeartbeatModeName(c.heartbeat_mode)},
                  {"node_count", std::to_string(c.nodes.size())}};
  // Output gets pasted into tickets and chats: never the key itself.
  if (!c.key.empty()) kv.emplace_back("key_fingerprint", ocfsx::KeyFingerprint(c.key));
  PrintStanza("cluster", kv, oneline, first);
}

void PrintNodes(const ClusterDef& c, bool oneline, bool* first) {
  for (const auto& n : c.nodes)
    PrintStanza("node",
                {{"name", n.name},
                 {"cluster", c.name},
                 {"number", std::to_string(n.number)},
                 {"ip_address", n.ip_address},
                 {"ip_port", std::to_string(n.ip_port)}},
                oneline, first);
}

void PrintHeartbeats(const ClusterDef& c, bool oneline, bool* first) {
  for (const auto& h : c.heartbeats)
    PrintStanza("heartbeat", {{"region", h.region}, {"cluster", c.name}}, oneline, first);
}

template <typename Print>
int ListVerb(const Context& ctx, Print print) {
  auto conf = LoadForRead(ctx);
  if (!conf.ok()) return Fail(conf.status());
  auto c = Require(ctx, *conf, ctx.args[0]);
  if (!c.ok()) return Fail(c.status());
  bool first = true;
  print(**c, ctx.Has("oneline"), &first);
  return kExitOk;
}

}  // namespace

int AddCluster(const Context& ctx) {
  const std::string& name = ctx.args[0];
  auto conf = LoadForEdit(ctx);
  if (!conf.ok()) return Fail(conf.status());
  Status s = conf->AddCluster(name);
  if (!s.ok()) {
    if (s.err() == EEXIST) return Fail("cluster " + Quote(name) + " already exists in " + ctx.config_path);
    return Fail(s);
  }
  s = Save(ctx, *conf);
  return s.ok() ? kExitOk : Fail(s);
}

int RemoveCluster(const Context& ctx) {
  const std::string& name = ctx.args[0];
  return EditCluster(ctx, name, [&](ClusterConf& conf) { return conf.RemoveCluster(name); });
}

int AddNode(const Context& ctx) {
  const std::string &cluster = ctx.args[0], &node = ctx.args[1];
  if (!ctx.Has("ip"))
    return Fail("add-node needs the node's address: o2cbx add-node " + cluster + " " + node +
                " --ip ADDRESS");
  ocfsx::NodeConf n;
  n.name = node;
  n.ip_address = ctx.Option("ip");
  long v = 0;
  if (ctx.Has("port")) {
    if (!ParseNumber(ctx.Option("port"), 1, 65535, &v))
      return Fail("--port " + ctx.Option("port") + " is invalid; use a number 1..65535");
    n.ip_port = static_cast<int>(v);
  }
  if (ctx.Has("number")) {
    if (!ParseNumber(ctx.Option("number"), 0, ocfsx::kMaxNodeNumber, &v))
      return Fail("--number " + ctx.Option("number") + " is invalid; use a number 0.." +
                  std::to_string(ocfsx::kMaxNodeNumber));
    n.number = static_cast<int>(v);
  }
  int rc = EditCluster(ctx, cluster, [&](ClusterConf& conf) { return conf.AddNode(cluster, n); });
  return rc;
}

int RemoveNode(const Context& ctx) {
  const std::string &cluster = ctx.args[0], &node = ctx.args[1];
  return EditCluster(ctx, cluster, [&](ClusterConf& conf) { return conf.RemoveNode(cluster, node); });
}

int AddHeartbeat(const Context& ctx) {
  const std::string& cluster = ctx.args[0];
  auto region = RegionOf(ctx.args[1]);
  if (!region.ok()) return Fail(region.status());
  int rc = EditCluster(ctx, cluster, [&](ClusterConf& conf) {
    Status s = conf.AddHeartbeat(cluster, *region);
    if (s.ok() && conf.FindCluster(cluster)->heartbeat_mode != ocfsx::HeartbeatMode::kGlobal)
      ctx.Verbose("note: cluster " + Quote(cluster) +
                  " uses local heartbeat; regions are used only after "
                  "'o2cbx heartbeat-mode " +
                  cluster + " global'");
    return s;
  });
  return rc;
}

int RemoveHeartbeat(const Context& ctx) {
  const std::string& cluster = ctx.args[0];
  auto region = RegionOf(ctx.args[1]);
  if (!region.ok()) return Fail(region.status());
  return EditCluster(ctx, cluster, [&](ClusterConf& conf) { return conf.RemoveHeartbeat(cluster, *region); });
}

int HeartbeatModeVerb(const Context& ctx) {
  const std::string& cluster = ctx.args[0];
  auto mode = ocfsx::ParseHeartbeatMode(ctx.args[1]);
  if (!mode) return Fail("heartbeat mode " + Quote(ctx.args[1]) + " is invalid; use local or global");
  return EditCluster(ctx, cluster, [&](ClusterConf& conf) { return conf.SetHeartbeatMode(cluster, *mode); });
}

int GenerateKey(const Context& ctx) {
  const std::string& cluster = ctx.args[0];
  std::string fingerprint;
  int rc = EditCluster(ctx, cluster, [&](ClusterConf& conf) {
    const ClusterDef* c = conf.FindCluster(cluster);
    if (!c->key.empty() && !ctx.Has("force"))
      return Status::Error(EEXIST, "cluster " + Quote(cluster) + " already has a key (fingerprint " +
                                       ocfsx::KeyFingerprint(c->key) + "); use 'o2cbx generate-key " + cluster +
                                       " --force' to replace it");
    auto key = ocfsx::GenerateClusterKey();
    if (!key.ok()) return key.status();
    fingerprint = ocfsx::KeyFingerprint(*key);
    return conf.SetClusterKey(cluster, *key);
  });
  if (rc == kExitOk)
    std::printf("Cluster %s: new key with fingerprint %s; copy %s to every node\n", Quote(cluster).c_str(),
                fingerprint.c_str(), ctx.config_path.c_str());
  return rc;
}

int RemoveKey(const Context& ctx) {
  const std::string& cluster = ctx.args[0];
  return EditCluster(ctx, cluster, [&](ClusterConf& conf) {
    if (conf.FindCluster(cluster)->key.empty()) ctx.Verbose("cluster " + Quote(cluster) + " has no key");
    return conf.SetClusterKey(cluster, "");
  });
}

int ListClusters(const Context& ctx) {
  auto conf = LoadForRead(ctx);
  if (!conf.ok()) return Fail(conf.status());
  for (const auto& c : conf->clusters()) std::printf("%s\n", c.name.c_str());
  return kExitOk;
}

int ListCluster(const Context& ctx) {
  return ListVerb(ctx, [](const ClusterDef& c, bool oneline, bool* first) {
    PrintCluster(c, oneline, first);
    PrintNodes(c, oneline, first);
    PrintHeartbeats(c, oneline, first);
  });
}

int ListNodes(const Context& ctx) { return ListVerb(ctx, PrintNodes); }

int ListHeartbeats(const Context& ctx) { return ListVerb(ctx, PrintHeartbeats); }

}  // namespace o2cbx
