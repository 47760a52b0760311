// o2cbx verbs that talk to the kernel: register/unregister, heartbeat,
// status, and the service verbs (load, online, offline, unload).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "o2cbx.h"
#include "ocfsx/cluster_register.h"
#include "ocfsx/configfs.h"
#include "ocfsx/kmod.h"
#include "ocfsx/o2cb_defaults.h"

namespace o2cbx {
namespace {

using ocfsx::ClusterConf;
using ocfsx::ClusterDef;
using ocfsx::Configfs;
using ocfsx::Result;
using ocfsx::Status;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

Configfs MakeConfigfs(const Context& ctx) {
  Configfs::Options opts = Configfs::OptionsFromEnv();
  if (ctx.verbose) opts.trace = [](const std::string& what) { std::printf("configfs: %s\n", what.c_str()); };
  return Configfs(std::move(opts));
}

// With the sysfs root redirected (tests), the module state is fake, and
// loading or unloading the host's real module would be wrong.
bool SysfsOverridden() {
  const char* s = std::getenv("OCFSX_SYSFS_ROOT");
  return s && *s;
}

Result<ocfsx::O2cbDefaults> LoadDefaults(const Context& ctx) {
  return ocfsx::O2cbDefaults::Load(ctx.defaults_path);
}

// The cluster a verb without a CLUSTER argument acts on.
Result<std::string> BootCluster(const Context& ctx, const ClusterConf& conf, const ocfsx::O2cbDefaults& d) {
  if (!d.bootcluster.empty()) {
    if (!conf.FindCluster(d.bootcluster))
      return Status::Error(ENOENT, "O2CBX_BOOTCLUSTER=" + d.bootcluster + " in " + ctx.defaults_path +
                                       " is not a cluster in " + ctx.config_path +
                                       "; fix O2CBX_BOOTCLUSTER or run 'o2cbx add-cluster " + d.bootcluster +
                                       "'");
    return d.bootcluster;
  }
  if (conf.clusters().size() == 1) return conf.clusters()[0].name;
  if (conf.clusters().empty())
    return Status::Error(ENOENT,
                         ctx.config_path + " defines no cluster; add one with 'o2cbx add-cluster NAME'");
  std::string names;
  for (const auto& c : conf.clusters()) names += (names.empty() ? "" : ", ") + c.name;
  return Status::Error(EINVAL, ctx.config_path + " defines several clusters (" + names +
                                   "); set O2CBX_BOOTCLUSTER in " + ctx.defaults_path +
                                   " or name the cluster");
}

constexpr const char* kNotAvailable = "n/a";

std::string OrNa(const std::string& s) { return s.empty() ? kNotAvailable : s; }
std::string OrNa(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : kNotAvailable; }

// Rows padded to their column's widest cell; numbers right-aligned. The
// first row is the header.
void PrintTable(const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); i++) width[i] = std::max(width[i], r[i].size());
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); i++) {
      const std::string pad(width[i] - r[i].size(), ' ');
      line += "  " + (right[i] ? pad + r[i] : i + 1 < r.size() ? r[i] + pad : r[i]);
    }
    std::printf("%s\n", line.c_str());
  }
}

std::string HeartbeatCell(const ocfsx::NodeRuntime& n) {
  if (n.hb.empty()) return kNotAvailable;
  if (!n.hb_age_ms) return n.hb;
  if (*n.hb_age_ms < 0) return n.hb == "unknown" ? n.hb : n.hb + ", never seen";
  return n.hb + ", " + std::to_string(*n.hb_age_ms) + " ms ago";
}

void PrintNodeTable(const ocfsx::LiveCluster& live, const ocfsx::LiveStatus& st) {
  std::vector<std::vector<std::string>> rows = {{"NODE", "NUMBER", "HEARTBEAT", "CONNECTION", "RTT_US",
                                                 "MSGS_SENT", "MSGS_RECV", "BYTES_SENT", "BYTES_RECV"}};
  std::vector<ocfsx::LiveNode> nodes = live.nodes;
  std::sort(nodes.begin(), nodes.end(),
            [](const ocfsx::LiveNode& a, const ocfsx::LiveNode& b) { return a.number < b.number; });
  for (const auto& n : nodes) {
    auto it = st.nodes.find(n.name);
    const ocfsx::NodeRuntime rt = it == st.nodes.end() ? ocfsx::NodeRuntime() : it->second;
    rows.push_back({n.name, n.number < 0 ? std::string(kNotAvailable) : std::to_string(n.number),
                    HeartbeatCell(rt), OrNa(rt.conn), OrNa(rt.rtt_us), OrNa(rt.msgs_sent), OrNa(rt.msgs_recv),
                    OrNa(rt.bytes_sent), OrNa(rt.bytes_recv)});
  }
  std::printf("Nodes:\n");
  PrintTable(rows, {false, true, false, false, true, true, true, true, true});
}

void PrintRegionTable(const ocfsx::LiveCluster& live, const ocfsx::LiveStatus& st) {
  std::vector<std::vector<std::string>> rows = {{"REGION", "DEVICE", "STATE", "ROUNDS"}};
  for (const auto& r : live.regions) {
    auto it = st.regions.find(r.name);
    const ocfsx::RegionRuntime rt = it == st.regions.end() ? ocfsx::RegionRuntime() : it->second;
    std::string state = OrNa(rt.state);
    if (!rt.error.empty()) state += " (" + rt.error + ")";
    rows.push_back({r.name, OrNa(r.dev), state, OrNa(rt.rounds)});
  }
  std::printf("Heartbeat regions:\n");
  PrintTable(rows, {false, false, false, true});
}

// register-cluster's work, shared with online.
Result<ocfsx::RegisterOutcome> Register(const Context& ctx, Configfs& fs, const ClusterDef& def) {
  auto defaults = LoadDefaults(ctx);
  if (!defaults.ok()) return defaults.status();
  auto local = ocfsx::FindLocalNode(def, ocfsx::LocalHostIdentity(false), ctx.Option("local-node"));
  if (!local.ok() && ctx.Option("local-node").empty())
    local = ocfsx::FindLocalNode(def, ocfsx::LocalHostIdentity(true));
  if (!local.ok()) return local.status();
  auto plan = ocfsx::PlanCluster(def, defaults->params, **local);
  if (!plan.ok()) return plan.status().WithContext(ctx.defaults_path);
  ctx.Verbose("local node: " + (*local)->name + " (number " + std::to_string((*local)->number) + ")");
  return ocfsx::RegisterCluster(fs, *plan);
}

// load's work, shared with online.
Status LoadStack(const Context& ctx, Configfs& fs) {
  if (!fs.ModuleLoaded()) {
    if (SysfsOverridden())
      return Status::Error(EPERM,
                           "ocfsx module not loaded in the test tree (OCFSX_SYSFS_ROOT is set); "
                           "not loading the real module");
    const char* path = std::getenv("OCFSX_MODULE");
    OCFSX_RETURN_IF_ERROR(ocfsx::LoadOcfsxModule(path ? path : ""));
    std::printf("Loading module \"ocfsx\": OK\n");
  } else {
    ctx.Verbose("module \"ocfsx\" is already loaded");
  }
  if (!fs.Mounted()) {
    if (std::getenv("OCFSX_CONFIGFS_ROOT") && *std::getenv("OCFSX_CONFIGFS_ROOT"))
      return Status::Error(ENOENT, "configfs root " + fs.root() + " (OCFSX_CONFIGFS_ROOT) does not exist");
    OCFSX_RETURN_IF_ERROR(ocfsx::MountConfigfs(fs.root()));
    std::printf("Mounting configfs filesystem at %s: OK\n", fs.root().c_str());
  }
  return fs.CheckReady();
}

// The registered cluster's name, or "" when none is (or cannot be).
std::string RegisteredName(const Configfs& fs) {
  if (!fs.ModuleLoaded() || !fs.Mounted()) return "";
  auto names = fs.ListClusters();
  return names.ok() && !names->empty() ? names->front() : "";
}

Status DoOffline(const Context& ctx, Configfs& fs, const std::string& name) {
  auto removed = ocfsx::UnregisterCluster(fs, name);
  if (!removed.ok()) return removed.status();
  if (*removed)
    std::printf("Stopping cluster %s: OK\n", Quote(name).c_str());
  else
    ctx.Verbose("cluster " + Quote(name) + " is not registered");
  return Status();
}

}  // namespace

int RegisterClusterVerb(const Context& ctx) {
  auto conf = LoadForRead(ctx);
  if (!conf.ok()) return Fail(conf.status());
  auto def = Require(ctx, *conf, ctx.args[0]);
  if (!def.ok()) return Fail(def.status());
  Configfs fs = MakeConfigfs(ctx);
  auto outcome = Register(ctx, fs, **def);
  if (!outcome.ok()) return Fail(outcome.status());
  if (*outcome == ocfsx::RegisterOutcome::kUnchanged)
    ctx.Verbose("cluster " + Quote(ctx.args[0]) + " is already registered with this configuration");
  else
    ctx.Verbose("registered cluster " + Quote(ctx.args[0]));
  return kExitOk;
}

int UnregisterClusterVerb(const Context& ctx) {
  Configfs fs = MakeConfigfs(ctx);
  auto removed = ocfsx::UnregisterCluster(fs, ctx.args[0]);
  if (!removed.ok()) return Fail(removed.status());
  ctx.Verbose(*removed ? "unregistered cluster " + Quote(ctx.args[0])
                       : "cluster " + Quote(ctx.args[0]) + " was not registered");
  return kExitOk;
}

int StartHeartbeat(const Context& ctx) {
  auto conf = LoadForRead(ctx);
  if (!conf.ok()) return Fail(conf.status());
  auto def = Require(ctx, *conf, ctx.args[0]);
  if (!def.ok()) return Fail(def.status());
  Configfs fs = MakeConfigfs(ctx);
  auto n = ocfsx::StartGlobalHeartbeat(fs, **def);
  if (!n.ok()) return Fail(n.status());
  ctx.Verbose("started heartbeat on " + std::to_string(*n) + " region(s)");
  return kExitOk;
}

int StopHeartbeat(const Context& ctx) {
  auto conf = LoadForRead(ctx);
  if (!conf.ok()) return Fail(conf.status());
  auto def = Require(ctx, *conf, ctx.args[0]);
  if (!def.ok()) return Fail(def.status());
  Configfs fs = MakeConfigfs(ctx);
  auto n = ocfsx::StopGlobalHeartbeat(fs, **def);
  if (!n.ok()) return Fail(n.status());
  ctx.Verbose("stopped heartbeat on " + std::to_string(*n) + " region(s)");
  return kExitOk;
}

int ClusterStatus(const Context& ctx) {
  Configfs fs = MakeConfigfs(ctx);
  const std::string registered = RegisteredName(fs);
  const std::string name = ctx.args.empty() ? registered : ctx.args[0];
  if (name.empty()) {
    std::printf("No cluster is online\n");
    return kExitError;
  }
  if (name != registered) {
    std::printf("Cluster %s is offline\n", Quote(name).c_str());
    return kExitError;
  }
  auto live = fs.ReadCluster(name);
  if (!live.ok()) return Fail(live.status());
  if (!live->online()) {
    std::printf("Cluster %s is registered but offline (no local node)\n", Quote(name).c_str());
    return kExitError;
  }
  std::printf("Cluster %s is online\n", Quote(name).c_str());
  return kExitOk;
}

int StatusVerb(const Context& ctx) {
  Configfs fs = MakeConfigfs(ctx);
  const bool loaded = fs.ModuleLoaded(), mounted = fs.Mounted();
  std::printf("Module \"ocfsx\": %s\n", loaded ? "Loaded" : "Not loaded");
  std::printf("Filesystem \"configfs\": %s\n", mounted ? ("Mounted at " + fs.root()).c_str() : "Not mounted");

  const std::string registered = RegisteredName(fs);
  std::string name = ctx.args.empty() ? registered : ctx.args[0];
  if (name.empty()) {
    // Nothing registered: name the cluster that would come online, if known.
    auto conf = ocfsx::ClusterConf::Load(ctx.config_path);
    auto defaults = LoadDefaults(ctx);
    if (conf.ok() && defaults.ok()) {
      auto boot = BootCluster(ctx, *conf, *defaults);
      if (boot.ok()) name = *boot;
    }
  }
  if (name.empty() || name != registered) {
    std::printf("Cluster%s: Offline\n", name.empty() ? "" : (" " + Quote(name)).c_str());
    std::printf("Heartbeat active: no (no cluster is registered)\n");
    return kExitError;
  }

  auto live = fs.ReadCluster(name);
  if (!live.ok()) return Fail(live.status());
  const ocfsx::LiveStatus st = fs.ReadStatus(*live);
  const ocfsx::ClusterRuntime crt = st.cluster.value_or(ocfsx::ClusterRuntime());
  const auto& p = live->params;
  const ocfsx::LiveNode* local = live->LocalNode();
  std::printf("Cluster %s: %s\n", Quote(name).c_str(),
              local ? "Online" : "Registered, offline (no local node)");
  std::printf("  State: %s\n", OrNa(crt.state).c_str());
  std::printf("  Quorum: %s\n", OrNa(crt.quorum).c_str());
  std::printf("  Fence reason: %s\n", OrNa(crt.fence_reason).c_str());
  std::printf("  Key fingerprint: %s\n",
              !live->key_fingerprint             ? kNotAvailable
              : live->key_fingerprint->empty() ? "none"
                                               : live->key_fingerprint->c_str());
  if (local) std::printf("  Local node: %s (number %d)\n", local->name.c_str(), local->number);
  std::printf("  Nodes: %zu\n", live->nodes.size());
  std::string live_nodes = kNotAvailable;
  if (crt.live_nodes) {
    live_nodes = crt.live_nodes->empty() ? "none" : "";
    for (int n : *crt.live_nodes) live_nodes += (live_nodes.empty() ? "" : " ") + std::to_string(n);
  }
  std::printf("  Live nodes: %s\n", live_nodes.c_str());
  std::printf("  Heartbeat interval: %d ms\n", p.heartbeat_interval_ms);
  std::printf("  Heartbeat dead threshold: %d\n", p.dead_threshold);
  std::printf("  Network idle timeout: %d ms\n", p.idle_timeout_ms);
  std::printf("  Network keepalive delay: %d ms\n", p.keepalive_delay_ms);
  std::printf("  Network reconnect delay: %d ms\n", p.reconnect_delay_ms);
  std::printf("  Fence method: %s\n", p.fence_method.c_str());
  std::printf("  Heartbeat mode: %s\n",
              live->heartbeat_mode == ocfsx::HeartbeatMode::kGlobal ? "Global" : "Local");
  if (!live->regions.empty()) {
    std::string regions;
    for (const auto& r : live->regions) regions += (regions.empty() ? "" : ", ") + r.name;
    std::printf("  Heartbeat regions: %zu (%s)\n", live->regions.size(), regions.c_str());
  }
  PrintNodeTable(*live, st);
  if (!live->regions.empty()) PrintRegionTable(*live, st);
  // Without the cluster's status attribute (an older module) nothing says
  // whether heartbeat runs, and either answer would be a guess.
  if (!crt.heartbeat_regions) {
    std::printf("Heartbeat active: unknown (not provided by this module version)\n");
  } else if (*crt.heartbeat_regions > 0) {
    std::printf("Heartbeat active: yes (%lld region%s)\n", static_cast<long long>(*crt.heartbeat_regions),
                *crt.heartbeat_regions == 1 ? "" : "s");
  } else {
    std::printf("Heartbeat active: no (no region is beating)\n");
  }
  return local ? kExitOk : kExitError;
}

int Load(const Context& ctx) {
  Configfs fs = MakeConfigfs(ctx);
  Status s = LoadStack(ctx, fs);
  return s.ok() ? kExitOk : Fail(s);
}

int Online(const Context& ctx) {
  auto defaults = LoadDefaults(ctx);
  if (!defaults.ok()) return Fail(defaults.status());
  if (ctx.args.empty() && !defaults->enabled)
    return Fail(
        "O2CBX_ENABLED=false in " + ctx.defaults_path +
        "; set O2CBX_ENABLED=true to bring the cluster online at boot (or run 'o2cbx online CLUSTER')");
  auto conf = LoadForRead(ctx);
  if (!conf.ok()) return Fail(conf.status());
  auto name = ctx.args.empty() ? BootCluster(ctx, *conf, *defaults) : Result<std::string>(ctx.args[0]);
  if (!name.ok()) return Fail(name.status());
  auto def = Require(ctx, *conf, *name);
  if (!def.ok()) return Fail(def.status());

  Configfs fs = MakeConfigfs(ctx);
  Status s = LoadStack(ctx, fs);
  if (!s.ok()) return Fail(s);
  auto outcome = Register(ctx, fs, **def);
  if (!outcome.ok()) return Fail(outcome.status());
  if (*outcome == ocfsx::RegisterOutcome::kUnchanged)
    std::printf("Cluster %s is already online\n", Quote(*name).c_str());
  else
    std::printf("Starting cluster %s: OK\n", Quote(*name).c_str());
  if ((*def)->heartbeat_mode == ocfsx::HeartbeatMode::kGlobal) {
    auto n = ocfsx::StartGlobalHeartbeat(fs, **def);
    if (!n.ok()) return Fail(n.status());
    if (*n > 0) std::printf("Starting global heartbeat on %d region(s): OK\n", *n);
  }
  return kExitOk;
}

int Offline(const Context& ctx) {
  Configfs fs = MakeConfigfs(ctx);
  std::string name = ctx.args.empty() ? RegisteredName(fs) : ctx.args[0];
  if (name.empty()) {
    ctx.Verbose("no cluster is registered");
    return kExitOk;
  }
  Status s = DoOffline(ctx, fs, name);
  return s.ok() ? kExitOk : Fail(s);
}

int Unload(const Context& ctx) {
  Configfs fs = MakeConfigfs(ctx);
  if (!fs.ModuleLoaded()) {
    ctx.Verbose("module \"ocfsx\" is not loaded");
    return kExitOk;
  }
  const std::string name = RegisteredName(fs);
  if (!name.empty()) {
    Status s = DoOffline(ctx, fs, name);
    if (!s.ok()) return Fail(s);
  }
  if (SysfsOverridden()) return Fail("OCFSX_SYSFS_ROOT is set (test tree); not unloading the real module");
  Status s = ocfsx::UnloadOcfsxModule();
  if (!s.ok()) return Fail(s);
  std::printf("Unloading module \"ocfsx\": OK\n");
  return kExitOk;
}

}  // namespace o2cbx
