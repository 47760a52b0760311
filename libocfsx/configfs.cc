// Access to the ocfsx configfs tree (docs/configfs.md).
//
// Tests point OCFSX_CONFIGFS_ROOT at a plain temporary directory. A plain
// mkdir does not create configfs' default groups (node/, heartbeat/) and
// attribute files, so on such a root this class plays the module's part at
// exactly the places the module acts: MakeGroup() creates what mkdir would,
// RemoveGroup() deletes what rmdir would, and EmulateWrite() refuses what the
// module refuses (EINVAL/EEXIST/EBUSY), all per configfs-schema/ocfsx.schema,
// which a unit test holds this emulation to. Everything above those
// primitives runs unchanged, so register/unregister/status are tested as
// they run on a real node. The emulation is never used on the default root
// or on a root that really is configfs.
#include "ocfsx/configfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "ocfsx/cluster_key.h"
#include "ocfsx/file_util.h"

namespace ocfsx {
namespace {

constexpr long kConfigfsMagic = 0x62656570;

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string TrimNewline(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

bool ToInt64(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// Subdirectories of dir, sorted; a missing dir is empty.
Result<std::vector<std::string>> ListDirs(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return std::vector<std::string>{};
    return ErrnoStatus(errno, "cannot list " + dir);
  }
  std::vector<std::string> out;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (IsDir(dir + "/" + name)) out.push_back(name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Unescape(const std::string& s) {  // /proc/mounts writes ' ' as \040
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const char* d = &s[i + 1];
      if (d[0] >= '0' && d[0] <= '3' && d[1] >= '0' && d[1] <= '7' && d[2] >= '0' && d[2] <= '7') {
        out += static_cast<char>((d[0] - '0') * 64 + (d[1] - '0') * 8 + (d[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// The contract's attributes (configfs-schema/ocfsx.schema), for the
// emulation only: what mkdir creates and which writes the kernel refuses.
enum class AttrType { kU32, kU64, kEnum, kIpv4, kPath, kKey };
enum class Frozen { kNever, kWhileOnline, kWhileLocal };
struct AttrSpec {
  const char* name;
  AttrType type;
  uint64_t min;
  uint64_t max;
  std::vector<std::string_view> values;  // kEnum
  const char* initial;                   // "" = unset: reads return nothing
  Frozen frozen;
};
// The initial values are the schema's (a unit test compares).
const std::vector<AttrSpec> kClusterAttrs = {
    {"heartbeat_interval_ms", AttrType::kU32, 100, 10000, {}, "400", Frozen::kWhileOnline},
    {"dead_threshold", AttrType::kU32, 2, 120, {}, "5", Frozen::kWhileOnline},
    {"idle_timeout_ms", AttrType::kU32, 1000, 600000, {}, "3000", Frozen::kWhileOnline},
    {"keepalive_delay_ms", AttrType::kU32, 100, 60000, {}, "1000", Frozen::kWhileOnline},
    {"reconnect_delay_ms", AttrType::kU32, 100, 60000, {}, "500", Frozen::kWhileOnline},
    {"fence_method", AttrType::kEnum, 0, 0, {"panic", "reboot", "halt"}, "reboot", Frozen::kNever},
    {"heartbeat_mode", AttrType::kEnum, 0, 0, {"local", "global"}, "local", Frozen::kWhileOnline},
};
// Unless Options::emulate_key_attr is false. Reads give the fingerprint, as the
// module's do (see WriteAttr).
const AttrSpec kKeyAttr = {"key", AttrType::kKey, 0, 0, {}, "", Frozen::kWhileOnline};
const std::vector<AttrSpec> kNodeAttrs = {
    {"num", AttrType::kU32, 0, 254, {}, "", Frozen::kWhileLocal},
    {"ipv4_address", AttrType::kIpv4, 0, 0, {}, "", Frozen::kWhileLocal},
    {"ipv4_port", AttrType::kU32, 1, 65535, {}, "7777", Frozen::kWhileLocal},
    {"local", AttrType::kEnum, 0, 0, {"0", "1"}, "0", Frozen::kNever},
};
const std::vector<AttrSpec> kRegionAttrs = {
    {"dev", AttrType::kPath, 1, 255, {}, "", Frozen::kNever},
    {"start_block", AttrType::kU64, 0, UINT64_MAX, {}, "0", Frozen::kNever},
    {"blocks", AttrType::kU32, 1, 255, {}, "255", Frozen::kNever},
    {"block_bytes", AttrType::kEnum, 0, 0, {"512", "1024", "2048", "4096"}, "512", Frozen::kNever},
};

bool ValueFits(const AttrSpec& spec, const std::string& v) {
  switch (spec.type) {
    case AttrType::kU32:
    case AttrType::kU64: {
      uint64_t n = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      return !v.empty() && ec == std::errc() && end == v.data() + v.size() && n >= spec.min && n <= spec.max;
    }
    case AttrType::kEnum:
      return std::find(spec.values.begin(), spec.values.end(), v) != spec.values.end();
    case AttrType::kIpv4:
      return CheckIpv4Address(v).ok();
    case AttrType::kKey:
      return v.empty() || CheckClusterKey(v).ok();
    case AttrType::kPath:
      return v.size() >= spec.min && v.size() <= spec.max && v[0] == '/' &&
             std::all_of(v.begin(), v.end(), [](char c) { return c > ' ' && c < 127; });
  }
  return false;
}

// configfs directory names the module accepts (the schema's regexes).
bool ValidGroupName(const std::string& name, size_t max_len, bool allow_dot, bool alnum_first) {
  if (name.empty() || name.size() > max_len) return false;
  if (alnum_first && !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || (allow_dot && c == '.');
  });
}

}  // namespace

const std::vector<ParamRange>& ClusterParamRanges() {
  static const std::vector<ParamRange> ranges = {
      {"heartbeat_interval_ms", &ClusterParams::heartbeat_interval_ms, 100, 10000},
      {"dead_threshold", &ClusterParams::dead_threshold, 2, 120},
      {"idle_timeout_ms", &ClusterParams::idle_timeout_ms, 1000, 600000},
      {"keepalive_delay_ms", &ClusterParams::keepalive_delay_ms, 100, 60000},
      {"reconnect_delay_ms", &ClusterParams::reconnect_delay_ms, 100, 60000},
  };
  return ranges;
}

bool ValidFenceMethod(std::string_view method) {
  return method == "panic" || method == "reboot" || method == "halt";
}

Status ValidateClusterParams(const ClusterParams& p) {
  for (const auto& r : ClusterParamRanges()) {
    int v = p.*r.field;
    if (v < r.min || v > r.max)
      return Status::Invalid(std::string(r.attr) + " " + std::to_string(v) + " out of range " +
                             std::to_string(r.min) + ".." + std::to_string(r.max));
  }
  if (p.keepalive_delay_ms >= p.idle_timeout_ms)
    return Status::Invalid("keepalive_delay_ms " + std::to_string(p.keepalive_delay_ms) +
                           " must be less than idle_timeout_ms " + std::to_string(p.idle_timeout_ms));
  if (!ValidFenceMethod(p.fence_method))
    return Status::Invalid("fence_method " + Quote(p.fence_method) +
                           " is invalid; use panic, reboot or halt");
  return Status();
}

const LiveNode* LiveCluster::LocalNode() const {
  for (const auto& n : nodes)
    if (n.local) return &n;
  return nullptr;
}

namespace {

bool ParseSigned(std::string_view s, int64_t* out) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > uint64_t{INT64_MAX}) return false;
  *out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

std::optional<int64_t> Number(std::string_view s) {
  int64_t v = 0;
  if (!ParseSigned(s, &v)) return std::nullopt;
  return v;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

}  // namespace

std::vector<std::pair<std::string, std::string>> ParseStatusLines(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    if (line.empty()) continue;
    size_t sp = 0;
    while (sp < line.size() && !IsBlank(line[sp])) sp++;
    std::string_view value = line.substr(sp);
    while (!value.empty() && IsBlank(value.front())) value.remove_prefix(1);
    out.emplace_back(std::string(line.substr(0, sp)), std::string(value));
  }
  return out;
}

ClusterRuntime ParseClusterStatus(std::string_view text) {
  ClusterRuntime r;
  for (const auto& [k, v] : ParseStatusLines(text)) {
    if (k == "state") {
      r.state = v;
    } else if (k == "heartbeat_regions") {
      r.heartbeat_regions = Number(v);
    } else if (k == "live_nodes") {
      std::vector<int> nodes;
      size_t pos = 0;
      while (pos < v.size()) {
        size_t sp = v.find(' ', pos);
        std::string_view tok = std::string_view(v).substr(pos, sp == std::string::npos ? std::string::npos : sp - pos);
        pos = sp == std::string::npos ? v.size() : sp + 1;
        int64_t n = 0;
        if (ParseSigned(tok, &n) && n >= 0 && n <= kMaxNodeNumber) nodes.push_back(static_cast<int>(n));
      }
      r.live_nodes = std::move(nodes);
    } else if (k == "quorum") {
      r.quorum = v;
    } else if (k == "fence_reason") {
      r.fence_reason = v;
    }
  }
  return r;
}

NodeRuntime ParseNodeStatus(std::string_view text) {
  NodeRuntime r;
  const std::pair<const char*, std::optional<int64_t> NodeRuntime::*> numbers[] = {
      {"hb_age_ms", &NodeRuntime::hb_age_ms},   {"conn_idle_ms", &NodeRuntime::conn_idle_ms},
      {"msgs_sent", &NodeRuntime::msgs_sent},   {"msgs_recv", &NodeRuntime::msgs_recv},
      {"bytes_sent", &NodeRuntime::bytes_sent}, {"bytes_recv", &NodeRuntime::bytes_recv},
      {"rtt_us", &NodeRuntime::rtt_us},         {"connects", &NodeRuntime::connects},
  };
  for (const auto& [k, v] : ParseStatusLines(text)) {
    if (k == "hb") r.hb = v;
    if (k == "hb_generation") r.hb_generation = v;
    if (k == "conn") r.conn = v;
    for (const auto& [name, field] : numbers)
      if (k == name) r.*field = Number(v);
  }
  return r;
}

RegionRuntime ParseRegionStatus(std::string_view text) {
  RegionRuntime r;
  for (const auto& [k, v] : ParseStatusLines(text)) {
    if (k == "state") r.state = v;
    if (k == "rounds") r.rounds = Number(v);
    if (k == "error") r.error = v;
  }
  return r;
}

Configfs::Options Configfs::OptionsFromEnv() {
  Options o;
  if (const char* k = std::getenv("OCFSX_TEST_KEY_ATTR"); k && *k)
    o.emulate_key_attr = std::string_view(k) != "0";
  if (const char* r = std::getenv("OCFSX_CONFIGFS_ROOT"); r && *r) {
    o.configfs_root = r;
    o.test_root = true;
  }
  if (const char* s = std::getenv("OCFSX_SYSFS_ROOT"); s && *s) o.sysfs_root = s;
  return o;
}

Configfs::Configfs(Options options) : opts_(std::move(options)) {
  while (opts_.configfs_root.size() > 1 && opts_.configfs_root.back() == '/') opts_.configfs_root.pop_back();
  if (opts_.test_root) {
    struct statfs sfs;
    emulate_ = !(::statfs(opts_.configfs_root.c_str(), &sfs) == 0 && sfs.f_type == kConfigfsMagic);
  }
}

std::string Configfs::ClusterGroupPath() const { return opts_.configfs_root + "/ocfsx/cluster"; }

std::string Configfs::ClusterPath(const std::string& cluster) const {
  return ClusterGroupPath() + "/" + cluster;
}

void Configfs::Trace(const std::string& what) const {
  if (opts_.trace) opts_.trace(what);
}

bool Configfs::ModuleLoaded() const { return IsDir(opts_.sysfs_root + "/module/ocfsx"); }

bool Configfs::Mounted() const {
  if (opts_.test_root) return IsDir(opts_.configfs_root);
  auto mounts = ReadFileToString(opts_.proc_mounts);
  if (!mounts.ok()) return false;
  size_t pos = 0;
  const std::string& text = *mounts;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    // "<source> <mountpoint> <fstype> ..."
    size_t a = line.find(' ');
    if (a == std::string::npos) continue;
    size_t b = line.find(' ', a + 1);
    if (b == std::string::npos) continue;
    size_t c = line.find(' ', b + 1);
    std::string mnt = Unescape(line.substr(a + 1, b - a - 1));
    std::string type = line.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
    if (type == "configfs" && mnt == opts_.configfs_root) return true;
  }
  return false;
}

Status Configfs::CheckReady() const {
  if (!ModuleLoaded())
    return Status::Error(ENODEV, "ocfsx module not loaded; run 'o2cbx load' or 'modprobe ocfsx'");
  if (!Mounted())
    return Status::Error(ENODEV, "configfs is not mounted at " + opts_.configfs_root +
                                     "; run 'mount -t configfs configfs " + opts_.configfs_root +
                                     "' (or 'o2cbx load')");
  if (!IsDir(ClusterGroupPath()))
    return Status::Error(ENODEV, ClusterGroupPath() +
                                     " is missing although the ocfsx module is loaded; the loaded "
                                     "module may be too old: run 'o2cbx unload' and 'o2cbx load'");
  return Status();
}

Result<std::vector<std::string>> Configfs::ListClusters() const { return ListDirs(ClusterGroupPath()); }

Result<std::string> Configfs::ReadAttr(const std::string& dir, const std::string& attr) const {
  const std::string path = ClusterGroupPath() + "/" + dir + "/" + attr;
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return TrimNewline(std::move(*text));
}

Status Configfs::WriteAttr(const std::string& dir, const std::string& attr, const std::string& value) {
  const std::string path = ClusterGroupPath() + "/" + dir + "/" + attr;
  // A key is a secret: traces and errors show its fingerprint only.
  const bool secret = attr == "key";
  const std::string shown = !secret         ? Quote(value)
                            : value.empty() ? std::string("(none)")
                            : CheckClusterKey(value).ok() ? "(key with fingerprint " + KeyFingerprint(value) + ")"
                                                          : std::string("(invalid key)");
  Trace("write " + path + " = " + (secret ? shown : value));
  auto fail = [&](int err) {
    // EINVAL/EEXIST/EBUSY are the module refusing the value; it logs why.
    const bool refused = err == EINVAL || err == EBUSY || err == EEXIST;
    return ErrnoStatus(err, "cannot set " + attr + " = " + shown + " (" + path + ")",
                       refused ? "'dmesg' shows the kernel's reason" : "");
  };
  std::string data = value;
  if (emulate_) {
    Status s = EmulateWrite(path, attr, value);
    if (!s.ok()) return fail(s.err());
    if (secret) data = value.empty() ? "" : KeyFingerprint(value) + "\n";
  }
  // configfs attributes exist once their group does: never create one. The
  // emulation truncates because its "attributes" are ordinary files.
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | (emulate_ ? O_TRUNC : 0));
  if (fd < 0) return fail(errno);
  ssize_t n;
  do {
    n = ::write(fd, data.data(), data.size());
  } while (n < 0 && errno == EINTR);
  int err = n < 0 ? errno : 0;
  if (n >= 0 && static_cast<size_t>(n) != data.size()) err = EIO;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err) return fail(err);
  return Status();
}

// The kernel's checks, for a plain-directory test root only.
Status Configfs::EmulateWrite(const std::string& path, const std::string& attr, const std::string& value) {
  auto read = [](const std::string& p) {
    auto t = ReadFileToString(p);
    return t.ok() ? TrimNewline(*t) : std::string();
  };
  auto err = [](int e) { return ErrnoStatus(e, ""); };
  const std::string dir = path.substr(0, path.rfind('/'));
  const std::string parent = dir.substr(0, dir.rfind('/'));
  const std::string parent_name = parent.substr(parent.rfind('/') + 1);
  const bool is_node = parent_name == "node", is_region = parent_name == "heartbeat";
  const std::string cluster_dir = is_node || is_region ? parent.substr(0, parent.rfind('/')) : dir;

  std::vector<AttrSpec> specs = is_node ? kNodeAttrs : is_region ? kRegionAttrs : kClusterAttrs;
  if (!is_node && !is_region && opts_.emulate_key_attr) specs.push_back(kKeyAttr);
  auto spec = std::find_if(specs.begin(), specs.end(), [&](const AttrSpec& a) { return attr == a.name; });
  if (spec == specs.end()) return err(ENOENT);
  if (!value.empty() && read(path) == value) return Status();  // rewriting a value always succeeds

  auto nodes = ListDirs(cluster_dir + "/node");
  if (!nodes.ok()) return nodes.status();
  auto node_attr = [&](const std::string& node, const char* a) {
    return read(cluster_dir + "/node/" + node + "/" + a);
  };
  const bool online = std::any_of(nodes->begin(), nodes->end(),
                                  [&](const std::string& n) { return node_attr(n, "local") == "1"; });
  if (spec->frozen == Frozen::kWhileOnline && online) return err(EBUSY);
  if (spec->frozen == Frozen::kWhileLocal && read(dir + "/local") == "1") return err(EBUSY);
  if (!ValueFits(*spec, value)) return err(EINVAL);

  const std::string self = dir.substr(dir.rfind('/') + 1);
  auto used_by_other = [&](const char* a) {
    return std::any_of(nodes->begin(), nodes->end(),
                       [&](const std::string& n) { return n != self && node_attr(n, a) == value; });
  };
  if (is_node && (attr == "num" || attr == "ipv4_address") && used_by_other(attr.c_str())) return err(EEXIST);
  if (is_node && attr == "local" && value == "1") {
    if (read(dir + "/num").empty() || read(dir + "/ipv4_address").empty()) return err(EINVAL);
    if (used_by_other("local")) return err(EBUSY);
  }
  if (!is_node && !is_region) {
    int64_t idle = 0, keep = 0;
    ToInt64(read(dir + "/idle_timeout_ms"), &idle);
    ToInt64(read(dir + "/keepalive_delay_ms"), &keep);
    int64_t v = 0;
    ToInt64(value, &v);
    if (attr == "keepalive_delay_ms" && v >= idle) return err(EINVAL);
    if (attr == "idle_timeout_ms" && v <= keep) return err(EINVAL);
  }
  return Status();
}

Status Configfs::MakeGroup(const std::string& rel, GroupKind kind) {
  const std::string path = ClusterGroupPath() + "/" + rel;
  Trace("mkdir " + path);
  if (emulate_) {
    const std::string name = rel.substr(rel.rfind('/') + 1);
    const bool ok = kind == GroupKind::kCluster ? ValidGroupName(name, 16, false, true)
                    : kind == GroupKind::kNode  ? ValidGroupName(name, 64, true, false)
                                                : ValidGroupName(name, 64, false, false);
    if (!ok) return ErrnoStatus(EINVAL, "cannot create " + path);
    if (kind == GroupKind::kCluster) {
      auto clusters = ListClusters();
      if (clusters.ok() && !clusters->empty())
        return ErrnoStatus(EBUSY, "cannot create " + path);  // one cluster at a time
    }
  }
  if (::mkdir(path.c_str(), 0755) != 0) return ErrnoStatus(errno, "cannot create " + path);
  if (!emulate_) return Status();

  // What configfs creates along with the directory: attributes at their
  // initial values and, for a cluster, the default groups.
  std::vector<AttrSpec> attrs = kind == GroupKind::kCluster ? kClusterAttrs
                                : kind == GroupKind::kNode  ? kNodeAttrs
                                                            : kRegionAttrs;
  if (kind == GroupKind::kCluster && opts_.emulate_key_attr) attrs.push_back(kKeyAttr);
  for (const auto& a : attrs) {
    const std::string file = path + "/" + a.name;
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, a.type == AttrType::kKey ? 0600 : 0644);
    if (fd < 0) return ErrnoStatus(errno, "emulated configfs: cannot create " + file);
    ssize_t n = ::write(fd, a.initial, std::strlen(a.initial));
    ::close(fd);
    if (n < 0) return ErrnoStatus(errno, "emulated configfs: cannot write " + file);
  }
  if (kind == GroupKind::kCluster) {
    for (const char* sub : {"/node", "/heartbeat"})
      if (::mkdir((path + sub).c_str(), 0755) != 0)
        return ErrnoStatus(errno, "emulated configfs: cannot create " + path + sub);
  }
  return Status();
}

Status Configfs::RemoveGroup(const std::string& rel) {
  const std::string path = ClusterGroupPath() + "/" + rel;
  Trace("rmdir " + path);
  if (emulate_) {
    // Like the module: the local node cannot go, nor a group with children.
    auto local = ReadFileToString(path + "/local");
    if (local.ok() && TrimNewline(*local) == "1") return ErrnoStatus(EBUSY, "cannot remove " + path);
    for (const char* sub : {"/node", "/heartbeat"}) {
      auto kids = ListDirs(path + sub);
      if (kids.ok() && !kids->empty()) return ErrnoStatus(ENOTEMPTY, "cannot remove " + path);
    }
    DIR* d = ::opendir(path.c_str());
    if (!d) return ErrnoStatus(errno, "cannot remove " + path);
    std::vector<std::string> entries;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") entries.push_back(name);
    }
    ::closedir(d);
    for (const auto& e : entries) {
      const std::string p = path + "/" + e;
      if (IsDir(p) ? ::rmdir(p.c_str()) != 0 : ::unlink(p.c_str()) != 0)
        return ErrnoStatus(errno, "emulated configfs: cannot remove " + p);
    }
  }
  if (::rmdir(path.c_str()) != 0) return ErrnoStatus(errno, "cannot remove " + path);
  return Status();
}

Result<LiveCluster> Configfs::ReadCluster(const std::string& name) const {
  LiveCluster c;
  c.name = name;
  auto num = [&](const std::string& dir, const std::string& attr, int64_t* out) -> Status {
    auto v = ReadAttr(dir, attr);
    if (!v.ok()) return v.status();
    if (v->empty()) {
      *out = -1;  // not set yet
      return Status();
    }
    if (!ToInt64(*v, out))
      return Status::Corrupt("unexpected value " + Quote(*v) + " in " + ClusterGroupPath() + "/" + dir + "/" +
                             attr);
    return Status();
  };
  for (const auto& r : ClusterParamRanges()) {
    int64_t v = 0;
    OCFSX_RETURN_IF_ERROR(num(name, r.attr, &v));
    c.params.*r.field = static_cast<int>(v);
  }
  auto fence = ReadAttr(name, "fence_method");
  if (!fence.ok()) return fence.status();
  c.params.fence_method = *fence;
  auto mode = ReadAttr(name, "heartbeat_mode");
  if (!mode.ok()) return mode.status();
  c.heartbeat_mode = ParseHeartbeatMode(*mode).value_or(HeartbeatMode::kLocal);
  if (auto key = ReadAttr(name, "key"); key.ok()) c.key_fingerprint = *key;

  auto nodes = ListDirs(ClusterPath(name) + "/node");
  if (!nodes.ok()) return nodes.status();
  for (const auto& n : *nodes) {
    const std::string dir = name + "/node/" + n;
    LiveNode node;
    node.name = n;
    int64_t v = 0;
    OCFSX_RETURN_IF_ERROR(num(dir, "num", &v));
    node.number = static_cast<int>(v);
    auto addr = ReadAttr(dir, "ipv4_address");
    if (!addr.ok()) return addr.status();
    node.ipv4_address = *addr;
    OCFSX_RETURN_IF_ERROR(num(dir, "ipv4_port", &v));
    node.ipv4_port = static_cast<int>(v);
    OCFSX_RETURN_IF_ERROR(num(dir, "local", &v));
    node.local = v == 1;
    c.nodes.push_back(std::move(node));
  }

  auto regions = ListDirs(ClusterPath(name) + "/heartbeat");
  if (!regions.ok()) return regions.status();
  for (const auto& r : *regions) {
    const std::string dir = name + "/heartbeat/" + r;
    LiveRegion region;
    region.name = r;
    auto dev = ReadAttr(dir, "dev");
    if (!dev.ok()) return dev.status();
    region.dev = *dev;
    int64_t v = 0;
    OCFSX_RETURN_IF_ERROR(num(dir, "start_block", &v));
    region.start_block = static_cast<uint64_t>(std::max<int64_t>(v, 0));
    OCFSX_RETURN_IF_ERROR(num(dir, "blocks", &v));
    region.blocks = static_cast<uint64_t>(std::max<int64_t>(v, 0));
    OCFSX_RETURN_IF_ERROR(num(dir, "block_bytes", &v));
    region.block_bytes = static_cast<uint32_t>(std::max<int64_t>(v, 0));
    c.regions.push_back(std::move(region));
  }
  return c;
}

LiveStatus Configfs::ReadStatus(const LiveCluster& cluster) const {
  LiveStatus s;
  const std::string& name = cluster.name;
  if (auto t = ReadAttr(name, "status"); t.ok()) s.cluster = ParseClusterStatus(*t);
  for (const auto& n : cluster.nodes)
    if (auto t = ReadAttr(name + "/node/" + n.name, "status"); t.ok()) s.nodes[n.name] = ParseNodeStatus(*t);
  for (const auto& r : cluster.regions)
    if (auto t = ReadAttr(name + "/heartbeat/" + r.name, "status"); t.ok())
      s.regions[r.name] = ParseRegionStatus(*t);
  return s;
}

Status Configfs::SetClusterKey(const std::string& cluster, const std::string& key) {
  if (!key.empty()) OCFSX_RETURN_IF_ERROR(CheckClusterKey(key));
  struct stat st;
  if (::stat((ClusterPath(cluster) + "/key").c_str(), &st) != 0 && errno == ENOENT)
    return Status::Error(EOPNOTSUPP,
                         "the loaded ocfsx module does not support cluster keys (no " + ClusterPath(cluster) +
                             "/key); load a newer module, or remove the key with 'o2cbx remove-key " + cluster +
                             "' on every node");
  return WriteAttr(cluster, "key", key);
}

Status Configfs::CreateCluster(const std::string& name) {
  OCFSX_RETURN_IF_ERROR(CheckClusterName(name));
  return MakeGroup(name, GroupKind::kCluster);
}

Status Configfs::SetClusterParams(const std::string& cluster, const ClusterParams& p, HeartbeatMode mode) {
  OCFSX_RETURN_IF_ERROR(ValidateClusterParams(p));
  auto put = [&](const char* attr, const std::string& v) { return WriteAttr(cluster, attr, v); };
  OCFSX_RETURN_IF_ERROR(put("heartbeat_interval_ms", std::to_string(p.heartbeat_interval_ms)));
  OCFSX_RETURN_IF_ERROR(put("dead_threshold", std::to_string(p.dead_threshold)));
  // The kernel insists on keepalive < idle after every single write, so the
  // order depends on whether idle grows or shrinks.
  auto cur = ReadAttr(cluster, "idle_timeout_ms");
  if (!cur.ok()) return cur.status();
  int64_t cur_idle = 0;
  ToInt64(*cur, &cur_idle);
  const std::string idle = std::to_string(p.idle_timeout_ms), keep = std::to_string(p.keepalive_delay_ms);
  if (p.idle_timeout_ms >= cur_idle) {
    OCFSX_RETURN_IF_ERROR(put("idle_timeout_ms", idle));
    OCFSX_RETURN_IF_ERROR(put("keepalive_delay_ms", keep));
  } else {
    OCFSX_RETURN_IF_ERROR(put("keepalive_delay_ms", keep));
    OCFSX_RETURN_IF_ERROR(put("idle_timeout_ms", idle));
  }
  OCFSX_RETURN_IF_ERROR(put("reconnect_delay_ms", std::to_string(p.reconnect_delay_ms)));
  OCFSX_RETURN_IF_ERROR(put("fence_method", p.fence_method));
  return put("heartbeat_mode", HeartbeatModeName(mode));
}

Status Configfs::AddNode(const std::string& cluster, const LiveNode& node) {
  OCFSX_RETURN_IF_ERROR(CheckNodeName(node.name));
  const std::string dir = cluster + "/node/" + node.name;
  OCFSX_RETURN_IF_ERROR(MakeGroup(dir, GroupKind::kNode));
  OCFSX_RETURN_IF_ERROR(WriteAttr(dir, "num", std::to_string(node.number)));
  OCFSX_RETURN_IF_ERROR(WriteAttr(dir, "ipv4_address", node.ipv4_address));
  return WriteAttr(dir, "ipv4_port", std::to_string(node.ipv4_port));
}

Status Configfs::SetLocalNode(const std::string& cluster, const std::string& node) {
  return WriteAttr(cluster + "/node/" + node, "local", "1");
}

Status Configfs::AddRegion(const std::string& cluster, const LiveRegion& region) {
  const std::string dir = cluster + "/heartbeat/" + region.name;
  OCFSX_RETURN_IF_ERROR(MakeGroup(dir, GroupKind::kRegion));
  OCFSX_RETURN_IF_ERROR(WriteAttr(dir, "block_bytes", std::to_string(region.block_bytes)));
  OCFSX_RETURN_IF_ERROR(WriteAttr(dir, "start_block", std::to_string(region.start_block)));
  OCFSX_RETURN_IF_ERROR(WriteAttr(dir, "blocks", std::to_string(region.blocks)));
  return WriteAttr(dir, "dev", region.dev);
}

Status Configfs::RemoveRegion(const std::string& cluster, const std::string& region) {
  return RemoveGroup(cluster + "/heartbeat/" + region);
}

Status Configfs::RemoveNode(const std::string& cluster, const std::string& node) {
  return RemoveGroup(cluster + "/node/" + node);
}

Status Configfs::RemoveCluster(const std::string& cluster) {
  auto regions = ListDirs(ClusterPath(cluster) + "/heartbeat");
  if (!regions.ok()) return regions.status();
  for (const auto& r : *regions) OCFSX_RETURN_IF_ERROR(RemoveRegion(cluster, r));
  auto nodes = ListDirs(ClusterPath(cluster) + "/node");
  if (!nodes.ok()) return nodes.status();
  // The local node goes last: until it is removed the cluster stays online,
  // so a failure midway (a node still in use) leaves a working cluster.
  std::string local;
  for (const auto& n : *nodes) {
    auto l = ReadAttr(cluster + "/node/" + n, "local");
    if (l.ok() && *l == "1") {
      local = n;
      continue;
    }
    OCFSX_RETURN_IF_ERROR(RemoveNode(cluster, n));
  }
  if (!local.empty()) {
    // The module refuses to remove the local node; clearing "local" is what
    // takes the cluster offline.
    OCFSX_RETURN_IF_ERROR(WriteAttr(cluster + "/node/" + local, "local", "0"));
    OCFSX_RETURN_IF_ERROR(RemoveNode(cluster, local));
  }
  return RemoveGroup(cluster);
}

}  // namespace ocfsx
