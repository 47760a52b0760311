// /etc/ocfsx/cluster.conf: the cluster, node and heartbeat-region stanzas
// every node of a cluster shares. Parser (with file:line errors), semantic
// validation, editing and a crash-safe writer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocfsx/status.h"

namespace ocfsx {

inline constexpr const char* kDefaultClusterConfPath = "/etc/ocfsx/cluster.conf";
inline constexpr int kMaxNodeNumber = 254;  // node numbers are 0..254
inline constexpr int kDefaultNodePort = 7777;
inline constexpr size_t kMaxClusterNameLen = 16;  // fits the superblock's field
inline constexpr size_t kMaxNodeNameLen = 64;
inline constexpr size_t kMaxHeartbeatRegions = 32;

enum class HeartbeatMode { kLocal, kGlobal };
const char* HeartbeatModeName(HeartbeatMode mode);  // "local" / "global"
std::optional<HeartbeatMode> ParseHeartbeatMode(std::string_view text);

// Where a stanza and each of its keys were read, so errors can name the
// exact line. Empty (line 0) for anything built in memory.
struct StanzaSource {
  struct KeyLine {
    std::string key;
    int line;
  };
  int line = 0;  // the "node:" (etc.) line
  std::vector<KeyLine> keys;

  int LineOf(std::string_view key) const;  // the key's line, else the stanza's
};

struct NodeConf {
  std::string name;
  std::string cluster;
  int number = -1;
  std::string ip_address;
  int ip_port = kDefaultNodePort;
  StanzaSource source;
};

struct HeartbeatConf {
  std::string region;  // volume UUID, 32 upper-case hex digits
  std::string cluster;
  StanzaSource source;
};

struct ClusterDef {
  std::string name;
  HeartbeatMode heartbeat_mode = HeartbeatMode::kLocal;
  std::string key;  // lower-case hex (see cluster_key.h); empty: none
  std::vector<NodeConf> nodes;  // in file order
  std::vector<HeartbeatConf> heartbeats;
  StanzaSource source;

  const NodeConf* FindNode(std::string_view node_name) const;  // case-insensitive
  const NodeConf* FindNodeByNumber(int number) const;
  int LowestFreeNumber() const;  // -1 when all 255 are taken
};

// Naming and value rules, shared with the command-line tools. Each returns a
// one-line message that states the rule.
Status CheckClusterName(std::string_view name);
Status CheckNodeName(std::string_view name);
Status CheckIpv4Address(std::string_view address);
// Accepts a UUID with or without dashes, in any case; returns 32 upper-case
// hex digits, the form configfs and the superblock use.
Result<std::string> NormalizeRegionName(std::string_view region);

class ClusterConf {
 public:
  // Parses and validates text. Every error names source and line:
  //   cluster.conf:12: node "n2": number 300 out of range 0..254
  static Result<ClusterConf> Parse(std::string_view text, const std::string& source = "cluster.conf");
  // Reads path and parses it, using path as the source name in errors. A
  // missing file is Status::NotFound (callers that create it treat that as
  // an empty configuration).
  static Result<ClusterConf> Load(const std::string& path);

  // The file text: stanzas in OCFS2 syntax, tab-indented, a blank line
  // between stanzas, node_count recomputed. Comments are not preserved.
  std::string Serialize() const;
  // Validates, then replaces path atomically (see AtomicWriteFile). A file
  // holding a key is written with mode 0600, whatever its mode was.
  Status Save(const std::string& path) const;
  bool HasKey() const;
  // The semantic checks Parse applies (unique numbers, names, addresses,
  // ranges, ...), for configurations built or edited in memory.
  Status Validate() const;

  const std::vector<ClusterDef>& clusters() const { return clusters_; }
  const ClusterDef* FindCluster(std::string_view name) const;

  // Edits. Each either succeeds leaving a valid configuration or fails
  // leaving it unchanged, with a message that says what to change.
  Status AddCluster(const std::string& name);
  Status RemoveCluster(std::string_view name);
  // node.cluster is set from cluster; node.number < 0 picks the lowest free.
  Status AddNode(std::string_view cluster, NodeConf node);
  Status RemoveNode(std::string_view cluster, std::string_view node_name);
  Status AddHeartbeat(std::string_view cluster, std::string_view region);
  Status RemoveHeartbeat(std::string_view cluster, std::string_view region);
  Status SetHeartbeatMode(std::string_view cluster, HeartbeatMode mode);
  // key must pass CheckClusterKey; an empty key removes it.
  Status SetClusterKey(std::string_view cluster, std::string_view key);

 private:
  ClusterDef* MutableCluster(std::string_view name);

  std::vector<ClusterDef> clusters_;
};

}  // namespace ocfsx
