// o2cbx verbs that talk to the kernel: register/unregister, heartbeat,
// status, and the service verbs (load, online, offline, unload).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

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
  const auto& p = live->params;
  const ocfsx::LiveNode* local = live->LocalNode();
  std::printf("Cluster %s: %s\n", Quote(name).c_str(),
              local ? "Online" : "Registered, offline (no local node)");
  if (local) std::printf("  Local node: %s (number %d)\n", local->name.c_str(), local->number);
  std::printf("  Nodes: %zu\n", live->nodes.size());
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
  // The module's configfs tree has no attribute that says whether a region
  // is beating, so claiming either answer would be a guess.
  std::printf("Heartbeat active: unknown (not provided by this module version)\n");
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
