// Registration of a cluster.conf cluster in configfs, and global heartbeat.
// Every refusal is one line naming the fix, because these run at boot and
// in a hurry, when the user has only the service log to go on.
#include "ocfsx/cluster_register.h"

#include <netdb.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ocfsx/cluster_key.h"
#include "ocfsx/file_util.h"
#include "ocfsx/hb_volume.h"

namespace ocfsx {
namespace {

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string NodeNames(const ClusterDef& c) {
  std::string out;
  for (const auto& n : c.nodes) {
    if (!out.empty()) out += ", ";
    out += n.name;
  }
  return out;
}

Result<bool> IsRegistered(const Configfs& fs, const std::string& name) {
  auto names = fs.ListClusters();
  if (!names.ok()) return names.status();
  return std::find(names->begin(), names->end(), name) != names->end();
}

}  // namespace

HostIdentity LocalHostIdentity(bool resolve_fqdn) {
  HostIdentity id;
  const char* env = std::getenv("OCFSX_HOSTNAME");
  if (env && *env) {
    id.hostname = env;
  } else {
    struct utsname u;
    if (::uname(&u) == 0) id.hostname = u.nodename;
  }
  if (id.hostname.empty()) return id;
  id.forms.push_back(id.hostname);
  auto dot = id.hostname.find('.');
  if (dot != std::string::npos) {
    id.forms.push_back(id.hostname.substr(0, dot));
  } else if (resolve_fqdn && !(env && *env)) {
    // A short hostname may still be listed under its FQDN in cluster.conf.
    struct addrinfo hints;
    std::memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_CANONNAME;
    struct addrinfo* res = nullptr;
    if (::getaddrinfo(id.hostname.c_str(), nullptr, &hints, &res) == 0) {
      if (res && res->ai_canonname && std::strchr(res->ai_canonname, '.') &&
          !EqualsNoCase(res->ai_canonname, id.hostname))
        id.forms.push_back(res->ai_canonname);
      ::freeaddrinfo(res);
    }
  }
  return id;
}

Result<const NodeConf*> FindLocalNode(const ClusterDef& cluster, const HostIdentity& host,
                                      const std::string& local_node) {
  if (cluster.nodes.empty())
    return Status::Error(ENOENT, "cluster " + Quote(cluster.name) +
                                     " has no nodes; add them with 'o2cbx add-node " + cluster.name +
                                     " NAME --ip ADDRESS'");
  if (!local_node.empty()) {
    if (const NodeConf* n = cluster.FindNode(local_node)) return n;
    return Status::Error(ENOENT, "node " + Quote(local_node) + " given with --local-node is not in cluster " +
                                     Quote(cluster.name) + " (node names: " + NodeNames(cluster) + ")");
  }
  for (const auto& form : host.forms)
    if (const NodeConf* n = cluster.FindNode(form)) return n;
  return Status::Error(ENOENT, "no node in cluster " + Quote(cluster.name) + " matches this host " +
                                   Quote(host.hostname) + " (node names: " + NodeNames(cluster) +
                                   "); rename the node or use --local-node");
}

Result<DesiredCluster> PlanCluster(const ClusterDef& cluster, const ClusterParams& params,
                                   const NodeConf& local) {
  OCFSX_RETURN_IF_ERROR(ValidateClusterParams(params));
  DesiredCluster d;
  d.name = cluster.name;
  d.params = params;
  d.mode = cluster.heartbeat_mode;
  d.key = cluster.key;
  for (const auto& n : cluster.nodes)
    d.nodes.push_back(LiveNode{n.name, n.number, n.ip_address, n.ip_port, n.name == local.name});
  std::sort(d.nodes.begin(), d.nodes.end(),
            [](const LiveNode& a, const LiveNode& b) { return a.name < b.name; });
  return d;
}

std::string DescribeDifference(const LiveCluster& have, const DesiredCluster& want) {
  for (const auto& r : ClusterParamRanges())
    if (have.params.*r.field != want.params.*r.field)
      return std::string(r.attr) + " is " + std::to_string(have.params.*r.field) + ", wanted " +
             std::to_string(want.params.*r.field);
  if (have.params.fence_method != want.params.fence_method)
    return "fence_method is " + have.params.fence_method + ", wanted " + want.params.fence_method;
  if (have.heartbeat_mode != want.mode)
    return std::string("heartbeat_mode is ") + HeartbeatModeName(have.heartbeat_mode) + ", wanted " +
           HeartbeatModeName(want.mode);
  // Keys are compared by fingerprint, the only form the module shows.
  const std::string have_fp = have.key_fingerprint.value_or("");
  const std::string want_fp = want.key.empty() ? "" : KeyFingerprint(want.key);
  if (have_fp != want_fp)
    return "the key has fingerprint " + (have_fp.empty() ? std::string("none") : have_fp) + ", wanted " +
           (want_fp.empty() ? std::string("none") : want_fp);
  for (const auto& w : want.nodes) {
    auto it = std::find_if(have.nodes.begin(), have.nodes.end(),
                           [&](const LiveNode& h) { return h.name == w.name; });
    if (it == have.nodes.end()) return "node " + Quote(w.name) + " is missing";
    if (it->number != w.number)
      return "node " + Quote(w.name) + " has number " + std::to_string(it->number) + ", wanted " +
             std::to_string(w.number);
    if (it->ipv4_address != w.ipv4_address || it->ipv4_port != w.ipv4_port)
      return "node " + Quote(w.name) + " has address " + it->ipv4_address + ":" +
             std::to_string(it->ipv4_port) + ", wanted " + w.ipv4_address + ":" + std::to_string(w.ipv4_port);
  }
  for (const auto& h : have.nodes)
    if (std::none_of(want.nodes.begin(), want.nodes.end(),
                     [&](const LiveNode& w) { return w.name == h.name; }))
      return "node " + Quote(h.name) + " is not in cluster.conf";
  const LiveNode* hl = have.LocalNode();
  auto wl = std::find_if(want.nodes.begin(), want.nodes.end(), [](const LiveNode& n) { return n.local; });
  const std::string want_local = wl == want.nodes.end() ? "" : wl->name;
  if (!hl) return "no local node is set, wanted " + Quote(want_local);
  if (hl->name != want_local) return "the local node is " + Quote(hl->name) + ", wanted " + Quote(want_local);
  return "";
}

Result<RegisterOutcome> RegisterCluster(Configfs& fs, const DesiredCluster& want) {
  OCFSX_RETURN_IF_ERROR(fs.CheckReady());
  auto names = fs.ListClusters();
  if (!names.ok()) return names.status();
  RegisterOutcome outcome = RegisterOutcome::kRegistered;
  for (const auto& other : *names) {
    if (other != want.name)
      return Status::Error(EBUSY, "cluster " + Quote(other) +
                                      " is registered, and only one cluster can be; "
                                      "run 'o2cbx unregister-cluster " +
                                      other + "' first");
    auto have = fs.ReadCluster(other);
    if (!have.ok()) return have.status();
    const std::string diff = DescribeDifference(*have, want);
    if (diff.empty()) return RegisterOutcome::kUnchanged;
    if (have->online())
      return Status::Error(EBUSY, "cluster " + Quote(other) +
                                      " is registered with a different configuration (" + diff +
                                      "); run 'o2cbx unregister-cluster " + other + "' first");
    // Offline leftovers (an interrupted register) serve nobody: redo them.
    OCFSX_RETURN_IF_ERROR(fs.RemoveCluster(other));
    outcome = RegisterOutcome::kReplaced;
  }

  bool created = false;
  auto build = [&]() -> Status {
    OCFSX_RETURN_IF_ERROR(fs.CreateCluster(want.name));
    created = true;
    OCFSX_RETURN_IF_ERROR(fs.SetClusterParams(want.name, want.params, want.mode));
    // Before any node: the module must never talk to a peer unauthenticated.
    if (!want.key.empty()) OCFSX_RETURN_IF_ERROR(fs.SetClusterKey(want.name, want.key));
    for (const auto& n : want.nodes) OCFSX_RETURN_IF_ERROR(fs.AddNode(want.name, n));
    // Marking the local node freezes the timeouts and starts the network
    // side, so it comes after everything else is in place.
    for (const auto& n : want.nodes)
      if (n.local) OCFSX_RETURN_IF_ERROR(fs.SetLocalNode(want.name, n.name));
    return Status();
  };
  Status s = build();
  if (!s.ok()) {
    if (created) (void)fs.RemoveCluster(want.name);  // best effort: leave nothing half-made
    return s.WithContext("cannot register cluster " + Quote(want.name));
  }
  return outcome;
}

Result<bool> UnregisterCluster(Configfs& fs, const std::string& name) {
  if (!fs.ModuleLoaded() || !fs.Mounted()) return false;  // nothing can be registered
  auto names = fs.ListClusters();
  if (!names.ok()) return names.status();
  if (std::find(names->begin(), names->end(), name) == names->end()) {
    if (!names->empty())
      return Status::Error(
          ENOENT, "cluster " + Quote(name) + " is not registered (cluster " + Quote(names->front()) + " is)");
    return false;
  }
  Status s = fs.RemoveCluster(name);
  if (!s.ok()) {
    std::string msg = "cannot unregister cluster " + Quote(name) + ": " + s.message();
    if (s.err() == EBUSY || s.err() == ENOTEMPTY) msg += "; unmount its ocfsx volumes first";
    return Status::Error(EBUSY, msg);
  }
  return true;
}

Result<int> StartGlobalHeartbeat(Configfs& fs, const ClusterDef& cluster) {
  const std::string& name = cluster.name;
  if (cluster.heartbeat_mode != HeartbeatMode::kGlobal)
    return Status::Error(EINVAL, "cluster " + Quote(name) +
                                     " uses local heartbeat, which mount starts for each volume; for global "
                                     "heartbeat run 'o2cbx heartbeat-mode " +
                                     name + " global' and register again");
  if (cluster.heartbeats.empty())
    return Status::Error(EINVAL, "cluster " + Quote(name) +
                                     " has no heartbeat regions; add one with 'o2cbx "
                                     "add-heartbeat " +
                                     name + " DEVICE'");
  OCFSX_RETURN_IF_ERROR(fs.CheckReady());
  auto reg = IsRegistered(fs, name);
  if (!reg.ok()) return reg.status();
  if (!*reg)
    return Status::Error(ENOENT, "cluster " + Quote(name) +
                                     " is not registered; run 'o2cbx register-cluster " + name + "' first");
  auto have = fs.ReadCluster(name);
  if (!have.ok()) return have.status();
  if (have->heartbeat_mode != HeartbeatMode::kGlobal)
    return Status::Error(EINVAL, "cluster " + Quote(name) +
                                     " is registered with local heartbeat; run "
                                     "'o2cbx unregister-cluster " +
                                     name + "' and 'o2cbx register-cluster " + name + "'");
  int started = 0;
  for (const auto& h : cluster.heartbeats) {
    if (std::any_of(have->regions.begin(), have->regions.end(),
                    [&](const LiveRegion& r) { return r.name == h.region; }))
      continue;
    auto vol = FindHeartbeatVolume(h.region);
    if (!vol.ok()) return vol.status();
    if (!vol->cluster_name.empty() && vol->cluster_name != name)
      return Status::Error(EINVAL, "heartbeat volume " + vol->device + " (" + h.region +
                                       ") belongs to cluster " + Quote(vol->cluster_name) + ", not " +
                                       Quote(name) + "; remove it with 'o2cbx remove-heartbeat " + name +
                                       " " + h.region + "'");
    LiveRegion r{h.region, vol->device, vol->hb_start_block, vol->hb_blocks, vol->block_bytes};
    Status s = fs.AddRegion(name, r);
    if (!s.ok()) {
      (void)fs.RemoveRegion(name, h.region);
      return s.WithContext("cannot start heartbeat on " + vol->device);
    }
    started++;
  }
  return started;
}

Result<int> StopGlobalHeartbeat(Configfs& fs, const ClusterDef& cluster) {
  const std::string& name = cluster.name;
  if (cluster.heartbeat_mode != HeartbeatMode::kGlobal)
    return Status::Error(EINVAL,
                         "cluster " + Quote(name) +
                             " uses local heartbeat; its regions stop when their volumes are unmounted");
  if (!fs.ModuleLoaded() || !fs.Mounted()) return 0;
  auto reg = IsRegistered(fs, name);
  if (!reg.ok()) return reg.status();
  if (!*reg) return 0;
  auto have = fs.ReadCluster(name);
  if (!have.ok()) return have.status();
  int stopped = 0;
  for (const auto& r : have->regions) {
    if (std::none_of(cluster.heartbeats.begin(), cluster.heartbeats.end(),
                     [&](const HeartbeatConf& h) { return h.region == r.name; }))
      continue;
    Status s = fs.RemoveRegion(name, r.name);
    if (!s.ok()) {
      std::string msg = "cannot stop heartbeat region " + r.name + ": " + s.message();
      if (s.err() == EBUSY) msg += "; unmount the cluster's ocfsx volumes first";
      return Status::Error(EBUSY, msg);
    }
    stopped++;
  }
  return stopped;
}

}  // namespace ocfsx
