// cluster.conf: parsing the stanza syntax, validating it, editing and writing.
// Errors are single lines that say what is wrong and how to fix it, because
// they are what a user sees when a cluster refuses to come online.
#include "ocfsx/cluster_conf.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "ocfsx/cluster_key.h"
#include "ocfsx/file_util.h"

namespace ocfsx {
namespace {

constexpr const char* kClusterNameRule =
    "use 1 to 16 letters, digits, '-' or '_', starting with a letter or digit";
constexpr const char* kNodeNameRule =
    "use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit";

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string_view Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) b++;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) e--;
  return s.substr(b, e - b);
}

// A line quoted in an error, except that a key's value never is: errors end
// up in logs and tickets.
std::string QuoteLine(std::string_view line) {
  if (line.substr(0, 3) == "key" && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '='))
    return Quote("key ...");
  return Quote(line);
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Strict unsigned decimal: digits only, so "+5", " 5" and "5x" are rejected.
bool ParseDecimal(std::string_view s, long long* out) {
  if (s.empty() || s.size() > 12) return false;
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ValidName(std::string_view name, size_t max_len, bool allow_dot) {
  if (name.empty() || name.size() > max_len) return false;
  if (!std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || (allow_dot && c == '.');
  });
}

// "file:line: " or nothing for in-memory configurations.
class Where {
 public:
  explicit Where(std::string source) : source_(std::move(source)) {}
  bool has_source() const { return !source_.empty(); }
  std::string At(int line) const {
    if (line <= 0 || source_.empty()) return "";
    return source_ + ":" + std::to_string(line) + ": ";
  }

 private:
  std::string source_;
};

const std::vector<std::string_view>& KeysOf(std::string_view stanza) {
  static const std::vector<std::string_view> cluster = {"name", "heartbeat_mode", "node_count", "key"};
  static const std::vector<std::string_view> node = {"name", "cluster", "number", "ip_address", "ip_port"};
  static const std::vector<std::string_view> heartbeat = {"region", "cluster"};
  if (stanza == "cluster") return cluster;
  if (stanza == "node") return node;
  return heartbeat;
}

std::string JoinKeys(const std::vector<std::string_view>& keys) {
  std::string out;
  for (auto k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// One stanza as read, before its values are interpreted.
struct RawStanza {
  std::string type;
  StanzaSource source;
  std::map<std::string, std::string, std::less<>> values;

  const std::string* Get(std::string_view key) const {
    auto it = values.find(key);
    return it == values.end() ? nullptr : &it->second;
  }
};

Result<std::vector<RawStanza>> Tokenize(std::string_view text, const Where& where) {
  std::vector<RawStanza> stanzas;
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    lineno++;
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    const bool indented = raw[0] == ' ' || raw[0] == '\t';

    if (!indented) {
      if (line.back() == ':' && line.find('=') == std::string_view::npos) {
        std::string type(Trim(line.substr(0, line.size() - 1)));
        if (type != "cluster" && type != "node" && type != "heartbeat")
          return Status::Invalid(where.At(lineno) + "unknown stanza " + Quote(line) +
                                 "; expected \"cluster:\", \"node:\" or \"heartbeat:\"");
        RawStanza st;
        st.type = std::move(type);
        st.source.line = lineno;
        stanzas.push_back(std::move(st));
        continue;
      }
      if (line.find('=') != std::string_view::npos)
        return Status::Invalid(where.At(lineno) + "key line " + QuoteLine(line) +
                               " must be indented with a tab under its stanza line");
      return Status::Invalid(where.At(lineno) +
                             "expected a stanza line (\"cluster:\", "
                             "\"node:\" or \"heartbeat:\"), got " +
                             Quote(line));
    }

    size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return Status::Invalid(where.At(lineno) + "expected \"key = value\", got " + QuoteLine(line));
    std::string key(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    if (stanzas.empty())
      return Status::Invalid(where.At(lineno) + QuoteLine(line) +
                             " comes before any \"cluster:\", \"node:\" or \"heartbeat:\" line");
    RawStanza& st = stanzas.back();
    const auto& valid = KeysOf(st.type);
    if (std::find(valid.begin(), valid.end(), key) == valid.end())
      return Status::Invalid(where.At(lineno) + "unknown key " + Quote(key) + " in " + st.type +
                             " stanza (valid keys: " + JoinKeys(valid) + ")");
    if (st.values.count(key))
      return Status::Invalid(where.At(lineno) + "duplicate key " + Quote(key) + " in " + st.type +
                             " stanza (first set on line " + std::to_string(st.source.LineOf(key)) + ")");
    if (value.empty())
      return Status::Invalid(where.At(lineno) + "empty value for " + Quote(key) + " in " + st.type +
                             " stanza");
    st.source.keys.push_back({key, lineno});
    st.values.emplace(std::move(key), std::move(value));
  }
  return stanzas;
}

// Checks of one node on its own (not against other nodes).
Status CheckNode(const NodeConf& n, const Where& where) {
  Status s = CheckNodeName(n.name);
  if (!s.ok()) return Status::Invalid(where.At(n.source.LineOf("name")) + s.message());
  if (n.number < 0 || n.number > kMaxNodeNumber)
    return Status::Invalid(where.At(n.source.LineOf("number")) + "node " + Quote(n.name) + ": number " +
                           std::to_string(n.number) + " out of range 0.." + std::to_string(kMaxNodeNumber));
  s = CheckIpv4Address(n.ip_address);
  if (!s.ok())
    return Status::Invalid(where.At(n.source.LineOf("ip_address")) + "node " + Quote(n.name) +
                           ": ip_address " + s.message());
  if (n.ip_port < 1 || n.ip_port > 65535)
    return Status::Invalid(where.At(n.source.LineOf("ip_port")) + "node " + Quote(n.name) + ": ip_port " +
                           std::to_string(n.ip_port) + " out of range 1..65535");
  return Status();
}

Status CheckCluster(const ClusterDef& c, const Where& where) {
  Status s = CheckClusterName(c.name);
  if (!s.ok()) return Status::Invalid(where.At(c.source.LineOf("name")) + s.message());
  if (!c.key.empty()) {
    s = CheckClusterKey(c.key);
    if (!s.ok())
      return Status::Invalid(where.At(c.source.LineOf("key")) + "cluster " + Quote(c.name) + ": " + s.message());
  }
  for (size_t i = 0; i < c.nodes.size(); i++) {
    const NodeConf& n = c.nodes[i];
    OCFSX_RETURN_IF_ERROR(CheckNode(n, where));
    for (size_t j = 0; j < i; j++) {
      const NodeConf& o = c.nodes[j];
      auto first = [&](std::string_view key) {
        int l = o.source.LineOf(key);
        return l > 0 && where.has_source() ? " (line " + std::to_string(l) + ")" : std::string();
      };
      if (EqualsNoCase(n.name, o.name))
        return Status::Invalid(where.At(n.source.LineOf("name")) + "node " + Quote(n.name) +
                               " is defined twice in cluster " + Quote(c.name) + first("name") +
                               "; node names must be unique");
      if (n.number == o.number)
        return Status::Invalid(where.At(n.source.LineOf("number")) + "node " + Quote(n.name) + ": number " +
                               std::to_string(n.number) + " is already used by node " + Quote(o.name) +
                               first("number") + "; node numbers must be unique in cluster " + Quote(c.name));
      if (n.ip_address == o.ip_address)
        return Status::Invalid(where.At(n.source.LineOf("ip_address")) + "node " + Quote(n.name) +
                               ": ip_address " + n.ip_address + " is already used by node " + Quote(o.name) +
                               first("ip_address") + "; each node needs its own address");
    }
  }
  if (c.heartbeats.size() > kMaxHeartbeatRegions)
    return Status::Invalid(where.At(c.heartbeats[kMaxHeartbeatRegions].source.line) + "cluster " +
                           Quote(c.name) + " has " + std::to_string(c.heartbeats.size()) +
                           " heartbeat regions; at most " + std::to_string(kMaxHeartbeatRegions) +
                           " are allowed");
  for (size_t i = 0; i < c.heartbeats.size(); i++) {
    const HeartbeatConf& h = c.heartbeats[i];
    auto norm = NormalizeRegionName(h.region);
    if (!norm.ok()) return Status::Invalid(where.At(h.source.LineOf("region")) + norm.status().message());
    for (size_t j = 0; j < i; j++) {
      auto other = NormalizeRegionName(c.heartbeats[j].region);
      if (other.ok() && *other == *norm) {
        int l = where.has_source() ? c.heartbeats[j].source.line : 0;
        return Status::Invalid(where.At(h.source.LineOf("region")) + "heartbeat region " + Quote(h.region) +
                               " is listed twice in cluster " + Quote(c.name) +
                               (l > 0 ? " (first on line " + std::to_string(l) + ")" : ""));
      }
    }
  }
  return Status();
}

Status ValidateAll(const std::vector<ClusterDef>& clusters, const Where& where) {
  for (size_t i = 0; i < clusters.size(); i++) {
    for (size_t j = 0; j < i; j++) {
      if (clusters[i].name == clusters[j].name) {
        int l = where.has_source() ? clusters[j].source.line : 0;
        return Status::Invalid(where.At(clusters[i].source.LineOf("name")) + "cluster " +
                               Quote(clusters[i].name) + " is defined twice" +
                               (l > 0 ? " (first on line " + std::to_string(l) + ")" : ""));
      }
    }
    OCFSX_RETURN_IF_ERROR(CheckCluster(clusters[i], where));
  }
  return Status();
}

// Turns a numeric value into an int or a line-numbered error.
Status ParseNumberKey(const RawStanza& st, std::string_view key, const std::string& what, const Where& where,
                      int* out) {
  const std::string* v = st.Get(key);
  long long n = 0;
  if (!ParseDecimal(*v, &n))
    return Status::Invalid(where.At(st.source.LineOf(key)) + what + std::string(key) + " " + Quote(*v) +
                           " is not a number");
  // Out-of-range values are reported by the range checks, so clamp instead
  // of overflowing int.
  *out = static_cast<int>(std::min<long long>(n, 1 << 30));
  return Status();
}

}  // namespace

int StanzaSource::LineOf(std::string_view key) const {
  for (const auto& k : keys)
    if (k.key == key) return k.line;
  return line;
}

const char* HeartbeatModeName(HeartbeatMode mode) {
  return mode == HeartbeatMode::kGlobal ? "global" : "local";
}

std::optional<HeartbeatMode> ParseHeartbeatMode(std::string_view text) {
  if (text == "local") return HeartbeatMode::kLocal;
  if (text == "global") return HeartbeatMode::kGlobal;
  return std::nullopt;
}

Status CheckClusterName(std::string_view name) {
  if (ValidName(name, kMaxClusterNameLen, false)) return Status();
  return Status::Invalid("cluster name " + Quote(name) + " is invalid: " + kClusterNameRule);
}

Status CheckNodeName(std::string_view name) {
  if (ValidName(name, kMaxNodeNameLen, true)) return Status();
  return Status::Invalid("node name " + Quote(name) + " is invalid: " + kNodeNameRule);
}

Status CheckIpv4Address(std::string_view address) {
  int octets[4];
  int count = 0;
  size_t pos = 0;
  bool ok = true;
  while (ok && count < 4) {
    size_t dot = address.find('.', pos);
    std::string_view part =
        address.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    long long v = 0;
    // No leading zeros: "010" reads as octal to some tools and decimal to others.
    ok = ParseDecimal(part, &v) && part.size() <= 3 && v <= 255 && !(part.size() > 1 && part[0] == '0');
    if (ok) octets[count++] = static_cast<int>(v);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
    if (count == 4) ok = false;  // a fifth part
  }
  if (!ok || count != 4)
    return Status::Invalid(Quote(address) +
                           " is not a valid IPv4 address (write four numbers 0..255, e.g. 10.0.0.1)");
  if (octets[0] == 0 || octets[0] >= 224)
    return Status::Invalid(Quote(address) +
                           " is not a unicast address (use the node's interconnect address)");
  return Status();
}

Result<std::string> NormalizeRegionName(std::string_view region) {
  std::string out;
  bool ok = true;
  for (char c : region) {
    if (c == '-') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) ok = false;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (!ok || out.size() != 32)
    return Status::Invalid("heartbeat region " + Quote(region) +
                           " is invalid: use the volume's UUID (32 hex digits, dashes allowed)");
  return out;
}

const NodeConf* ClusterDef::FindNode(std::string_view node_name) const {
  for (const auto& n : nodes)
    if (EqualsNoCase(n.name, node_name)) return &n;
  return nullptr;
}

const NodeConf* ClusterDef::FindNodeByNumber(int number) const {
  for (const auto& n : nodes)
    if (n.number == number) return &n;
  return nullptr;
}

int ClusterDef::LowestFreeNumber() const {
  for (int i = 0; i <= kMaxNodeNumber; i++)
    if (!FindNodeByNumber(i)) return i;
  return -1;
}

Result<ClusterConf> ClusterConf::Parse(std::string_view text, const std::string& source) {
  const Where where(source);
  auto tokens = Tokenize(text, where);
  if (!tokens.ok()) return tokens.status();

  ClusterConf conf;
  struct NodeCount {
    int value;
    int line;
  };
  std::vector<std::optional<NodeCount>> node_counts;  // parallel to clusters_
  std::vector<NodeConf> nodes;
  std::vector<HeartbeatConf> heartbeats;

  for (const RawStanza& st : *tokens) {
    auto missing = [&](const std::string& who, std::string_view key) {
      return Status::Invalid(where.At(st.source.line) + who + " has no " + Quote(key) + "; add a \"" +
                             std::string(key) + " = ...\" line");
    };
    if (st.type == "cluster") {
      ClusterDef c;
      c.source = st.source;
      if (!st.Get("name")) return missing("cluster stanza", "name");
      c.name = *st.Get("name");
      const std::string who = "cluster " + Quote(c.name) + ": ";
      if (const std::string* mode = st.Get("heartbeat_mode")) {
        auto m = ParseHeartbeatMode(*mode);
        if (!m)
          return Status::Invalid(where.At(st.source.LineOf("heartbeat_mode")) + who + "heartbeat_mode " +
                                 Quote(*mode) + " is invalid; use local or global");
        c.heartbeat_mode = *m;
      }
      if (const std::string* key = st.Get("key")) c.key = *key;  // checked with the cluster
      std::optional<NodeCount> count;
      if (st.Get("node_count")) {
        int v = 0;
        OCFSX_RETURN_IF_ERROR(ParseNumberKey(st, "node_count", who, where, &v));
        count = NodeCount{v, st.source.LineOf("node_count")};
      }
      conf.clusters_.push_back(std::move(c));
      node_counts.push_back(count);
    } else if (st.type == "node") {
      NodeConf n;
      n.source = st.source;
      if (!st.Get("name")) return missing("node stanza", "name");
      n.name = *st.Get("name");
      const std::string who = "node " + Quote(n.name);
      for (std::string_view key : {"cluster", "number", "ip_address"})
        if (!st.Get(key)) return missing(who, key);
      n.cluster = *st.Get("cluster");
      n.ip_address = *st.Get("ip_address");
      OCFSX_RETURN_IF_ERROR(ParseNumberKey(st, "number", who + ": ", where, &n.number));
      if (st.Get("ip_port"))
        OCFSX_RETURN_IF_ERROR(ParseNumberKey(st, "ip_port", who + ": ", where, &n.ip_port));
      nodes.push_back(std::move(n));
    } else {
      HeartbeatConf h;
      h.source = st.source;
      if (!st.Get("region")) return missing("heartbeat stanza", "region");
      if (!st.Get("cluster")) return missing("heartbeat " + Quote(*st.Get("region")), "cluster");
      h.region = *st.Get("region");
      h.cluster = *st.Get("cluster");
      heartbeats.push_back(std::move(h));
    }
  }

  // Nodes and regions may come before their cluster stanza (o2cb_ctl writes
  // files that way), so they are attached only once every cluster is known.
  auto owner = [&](const std::string& cluster, const std::string& who,
                   const StanzaSource& src) -> Result<ClusterDef*> {
    for (auto& c : conf.clusters_)
      if (c.name == cluster) return &c;
    return Status::Invalid(where.At(src.LineOf("cluster")) + who + ": cluster " + Quote(cluster) +
                           " is not defined; add a \"cluster:\" stanza named " + Quote(cluster) +
                           " or fix the name");
  };
  for (auto& n : nodes) {
    auto c = owner(n.cluster, "node " + Quote(n.name), n.source);
    if (!c.ok()) return c.status();
    (*c)->nodes.push_back(std::move(n));
  }
  for (auto& h : heartbeats) {
    auto c = owner(h.cluster, "heartbeat region " + Quote(h.region), h.source);
    if (!c.ok()) return c.status();
    (*c)->heartbeats.push_back(std::move(h));
  }

  OCFSX_RETURN_IF_ERROR(ValidateAll(conf.clusters_, where));

  for (size_t i = 0; i < conf.clusters_.size(); i++) {
    const ClusterDef& c = conf.clusters_[i];
    if (node_counts[i] && node_counts[i]->value != static_cast<int>(c.nodes.size()))
      return Status::Invalid(where.At(node_counts[i]->line) + "cluster " + Quote(c.name) +
                             ": node_count = " + std::to_string(node_counts[i]->value) + " but " +
                             std::to_string(c.nodes.size()) +
                             " nodes are defined; set node_count = " + std::to_string(c.nodes.size()) +
                             " (o2cbx keeps it right when it edits the file)");
  }
  // Regions and keys are kept in the canonical form configfs uses.
  for (auto& c : conf.clusters_) {
    for (auto& h : c.heartbeats) h.region = *NormalizeRegionName(h.region);
    c.key = NormalizeClusterKey(c.key);
  }
  return conf;
}

Result<ClusterConf> ClusterConf::Load(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

std::string ClusterConf::Serialize() const {
  std::string out;
  auto stanza = [&](const char* type, std::initializer_list<std::pair<const char*, std::string>> kv) {
    if (!out.empty()) out += "\n";
    out += type;
    out += ":\n";
    for (const auto& [k, v] : kv) out += std::string("\t") + k + " = " + v + "\n";
  };
  for (const auto& c : clusters_) {
    stanza("cluster", {{"name", c.name},
                       {"heartbeat_mode", HeartbeatModeName(c.heartbeat_mode)},
                       {"node_count", std::to_string(c.nodes.size())}});
    if (!c.key.empty()) out += "\tkey = " + c.key + "\n";
    for (const auto& n : c.nodes)
      stanza("node", {{"name", n.name},
                      {"cluster", c.name},
                      {"number", std::to_string(n.number)},
                      {"ip_address", n.ip_address},
                      {"ip_port", std::to_string(n.ip_port)}});
    for (const auto& h : c.heartbeats) stanza("heartbeat", {{"region", h.region}, {"cluster", c.name}});
  }
  return out;
}

Status ClusterConf::Validate() const { return ValidateAll(clusters_, Where("")); }

Status ClusterConf::Save(const std::string& path) const {
  OCFSX_RETURN_IF_ERROR(Validate());
  if (HasKey()) return AtomicWriteFile(path, Serialize(), 0600, ModePolicy::kForce);
  return AtomicWriteFile(path, Serialize(), 0644);
}

bool ClusterConf::HasKey() const {
  return std::any_of(clusters_.begin(), clusters_.end(), [](const ClusterDef& c) { return !c.key.empty(); });
}

const ClusterDef* ClusterConf::FindCluster(std::string_view name) const {
  for (const auto& c : clusters_)
    if (c.name == name) return &c;
  return nullptr;
}

ClusterDef* ClusterConf::MutableCluster(std::string_view name) {
  for (auto& c : clusters_)
    if (c.name == name) return &c;
  return nullptr;
}

namespace {
Status NoSuchCluster(std::string_view name) {
  return Status::Error(ENOENT, "cluster " + Quote(name) + " is not defined");
}
}  // namespace

Status ClusterConf::AddCluster(const std::string& name) {
  OCFSX_RETURN_IF_ERROR(CheckClusterName(name));
  if (FindCluster(name)) return Status::Error(EEXIST, "cluster " + Quote(name) + " already exists");
  ClusterDef c;
  c.name = name;
  clusters_.push_back(std::move(c));
  return Status();
}

Status ClusterConf::RemoveCluster(std::string_view name) {
  auto it =
      std::find_if(clusters_.begin(), clusters_.end(), [&](const ClusterDef& c) { return c.name == name; });
  if (it == clusters_.end()) return NoSuchCluster(name);
  clusters_.erase(it);
  return Status();
}

Status ClusterConf::AddNode(std::string_view cluster, NodeConf node) {
  ClusterDef* c = MutableCluster(cluster);
  if (!c) return NoSuchCluster(cluster);
  node.cluster = c->name;
  if (node.number < 0) {
    node.number = c->LowestFreeNumber();
    if (node.number < 0)
      return Status::Invalid("cluster " + Quote(cluster) + " already has " +
                             std::to_string(kMaxNodeNumber + 1) + " nodes, the maximum");
  }
  ClusterDef trial = *c;
  trial.nodes.push_back(std::move(node));
  OCFSX_RETURN_IF_ERROR(CheckCluster(trial, Where("")));
  *c = std::move(trial);
  return Status();
}

Status ClusterConf::RemoveNode(std::string_view cluster, std::string_view node_name) {
  ClusterDef* c = MutableCluster(cluster);
  if (!c) return NoSuchCluster(cluster);
  auto it = std::find_if(c->nodes.begin(), c->nodes.end(),
                         [&](const NodeConf& n) { return EqualsNoCase(n.name, node_name); });
  if (it == c->nodes.end())
    return Status::Error(ENOENT, "node " + Quote(node_name) + " is not in cluster " + Quote(cluster));
  c->nodes.erase(it);
  return Status();
}

Status ClusterConf::AddHeartbeat(std::string_view cluster, std::string_view region) {
  ClusterDef* c = MutableCluster(cluster);
  if (!c) return NoSuchCluster(cluster);
  auto norm = NormalizeRegionName(region);
  if (!norm.ok()) return norm.status();
  for (const auto& h : c->heartbeats)
    if (h.region == *norm)
      return Status::Error(EEXIST,
                           "heartbeat region " + Quote(*norm) + " is already in cluster " + Quote(cluster));
  ClusterDef trial = *c;
  HeartbeatConf h;
  h.region = *norm;
  h.cluster = c->name;
  trial.heartbeats.push_back(std::move(h));
  OCFSX_RETURN_IF_ERROR(CheckCluster(trial, Where("")));
  *c = std::move(trial);
  return Status();
}

Status ClusterConf::RemoveHeartbeat(std::string_view cluster, std::string_view region) {
  ClusterDef* c = MutableCluster(cluster);
  if (!c) return NoSuchCluster(cluster);
  auto norm = NormalizeRegionName(region);
  if (!norm.ok()) return norm.status();
  auto it = std::find_if(c->heartbeats.begin(), c->heartbeats.end(),
                         [&](const HeartbeatConf& h) { return h.region == *norm; });
  if (it == c->heartbeats.end())
    return Status::Error(ENOENT, "heartbeat region " + Quote(*norm) + " is not in cluster " + Quote(cluster));
  c->heartbeats.erase(it);
  return Status();
}

Status ClusterConf::SetHeartbeatMode(std::string_view cluster, HeartbeatMode mode) {
  ClusterDef* c = MutableCluster(cluster);
  if (!c) return NoSuchCluster(cluster);
  c->heartbeat_mode = mode;
  return Status();
}

Status ClusterConf::SetClusterKey(std::string_view cluster, std::string_view key) {
  ClusterDef* c = MutableCluster(cluster);
  if (!c) return NoSuchCluster(cluster);
  if (!key.empty()) OCFSX_RETURN_IF_ERROR(CheckClusterKey(key));
  c->key = NormalizeClusterKey(key);
  return Status();
}

}  // namespace ocfsx
