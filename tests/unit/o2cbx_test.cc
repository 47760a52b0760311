// o2cbx end to end: every verb run as a process on a temporary cluster.conf,
// and the kernel-facing verbs against a fake configfs tree.
//
// The fake: OCFSX_CONFIGFS_ROOT points at a temporary directory holding
// ocfsx/cluster/ (what loading the module creates) and OCFSX_SYSFS_ROOT at
// one holding module/ocfsx/. A plain directory is not configfs, so libocfsx
// itself creates the default groups and attribute files a real mkdir would
// (see configfs.cc); the tests then check the tree the tool left behind.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include "ocfsx/cluster_conf.h"
#include "ocfsx/cluster_key.h"
#include "ocfsx/configfs.h"
#include "ocfsx/crc32c.h"
#include "ocfsx_fs.h"
#include "testutil.h"

namespace {

const std::string kTool = std::string(OCFSX_TOOLS_DIR) + "/o2cbx";

class Fixture {
 public:
  Fixture() {
    std::filesystem::create_directories(dir_ / "cfs/ocfsx/cluster");
    std::filesystem::create_directories(dir_ / "sys/module/ocfsx");
    // Like a fresh install: /etc exists, /etc/ocfsx does not (o2cbx creates it).
    std::filesystem::create_directories(dir_ / "etc");
  }

  std::string conf() const { return dir_ / "etc/ocfsx/cluster.conf"; }
  std::string defaults() const { return dir_ / "default/o2cbx"; }
  std::string path(const std::string& rel) const { return dir_ / rel; }
  std::string cluster_dir() const { return dir_ / "cfs/ocfsx/cluster"; }
  std::string Attr(const std::string& rel) const { return testutil::ReadFile(cluster_dir() + "/" + rel); }

  testutil::ProcResult Run(std::vector<std::string> args, testutil::RunOptions opts = {}) const {
    std::vector<std::string> argv = {kTool, "--config-file", conf(), "--defaults-file", defaults()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto set = [&](const char* k, std::optional<std::string> v) {
      if (!opts.env.count(k)) opts.env[k] = std::move(v);
    };
    set("OCFSX_CONFIGFS_ROOT", dir_ / "cfs");
    set("OCFSX_SYSFS_ROOT", dir_ / "sys");
    set("OCFSX_HOSTNAME", hostname);
    set("OCFSX_HB_DEVICES", std::nullopt);
    set("OCFSX_MODULE", std::nullopt);
    return testutil::Run(argv, opts);
  }

  // Runs and requires success; returns stdout.
  std::string Ok(std::vector<std::string> args) const {
    auto r = Run(args);
    INFO("o2cbx " << args.at(0) << " stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    return r.out;
  }

  // Runs and requires failure with exactly one error line; returns it.
  std::string Err(std::vector<std::string> args, int code = 1) const {
    auto r = Run(args);
    INFO("o2cbx " << args.at(0) << " stdout: " << r.out);
    CHECK(r.exit_code == code);
    return r.err;
  }

  // Three nodes; "n1.example.com" is this host in most tests.
  void ThreeNodes() {
    Ok({"add-cluster", "prd"});
    Ok({"add-node", "prd", "n1.example.com", "--ip", "10.0.0.1"});
    Ok({"add-node", "prd", "n2.example.com", "--ip", "10.0.0.2"});
    Ok({"add-node", "prd", "n3.example.com", "--ip=10.0.0.3", "--port=7000"});
  }

  std::string hostname = "n1.example.com";

 private:
  testutil::TempDir dir_;
};

// An ocfsx superblock good enough for ProbeHeartbeatVolume: 4 KiB blocks.
void WriteVolume(const std::string& path, uint8_t uuid_seed, const std::string& cluster) {
  std::vector<uint8_t> image(OCFSX_SUPER_OFFSET + 4096, 0);
  uint8_t* block = image.data() + OCFSX_SUPER_OFFSET;
  auto* sb = reinterpret_cast<ocfsx_super_block*>(block);
  sb->s_hdr.bh_magic = OCFSX_META_MAGIC;
  sb->s_hdr.bh_type = OCFSX_BT_SUPER;
  sb->s_hdr.bh_blkno = OCFSX_SUPER_OFFSET / 4096;
  sb->s_blocksize_bits = 12;
  for (int i = 0; i < OCFSX_UUID_LEN; i++) sb->s_uuid[i] = static_cast<uint8_t>(uuid_seed + i);
  std::memcpy(sb->s_cluster.ci_stack, "ocfsx", 5);
  std::memcpy(sb->s_cluster.ci_cluster, cluster.data(), cluster.size());
  sb->s_cluster.ci_flags = OCFSX_CLUSTER_F_GLOBAL_HB;
  sb->s_hb_blkno = 1042;
  sb->s_hb_blocks = OCFSX_MAX_NODES;
  sb->s_hdr.bh_crc32c = 0;
  sb->s_hdr.bh_crc32c = ocfsx::Crc32c({block, 4096});
  testutil::WriteFile(path, std::string(image.begin(), image.end()));
}

std::string UuidOf(uint8_t seed) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (int i = 0; i < 16; i++) {
    const unsigned b = static_cast<uint8_t>(seed + i);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

const std::vector<std::string> kAllVerbs = {"add-cluster",
                                            "remove-cluster",
                                            "add-node",
                                            "remove-node",
                                            "add-heartbeat",
                                            "remove-heartbeat",
                                            "heartbeat-mode",
                                            "generate-key",
                                            "remove-key",
                                            "list-clusters",
                                            "list-cluster",
                                            "list-nodes",
                                            "list-heartbeats",
                                            "register-cluster",
                                            "unregister-cluster",
                                            "start-heartbeat",
                                            "stop-heartbeat",
                                            "cluster-status",
                                            "status",
                                            "load",
                                            "online",
                                            "offline",
                                            "unload"};

}  // namespace

TEST_CASE("o2cbx: help lists every verb; version; usage errors exit 2", "[o2cbx]") {
  Fixture f;
  std::string help = f.Ok({"-h"});
  for (const auto& v : kAllVerbs) CHECK(help.find("  " + v + " ") != std::string::npos);
  CHECK(f.Ok({"-V"}).rfind("o2cbx (ocfsx) ", 0) == 0);
  CHECK(f.Ok({"add-node", "-h"}) ==
        "usage: o2cbx add-node CLUSTER NODE --ip ADDRESS [--port PORT] [--number NUMBER]\n"
        "Add a node to a cluster in the config file.\n");

  auto r = f.Run({"frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK(r.err == "o2cbx: unknown command \"frobnicate\"\nrun 'o2cbx -h' for the list of commands\n");
  r = f.Run({"add-node", "prd"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("o2cbx: add-node: missing arguments\n", 0) == 0);
  r = f.Run({"list-clusters", "--ip", "1.2.3.4"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("o2cbx: unknown option --ip for list-clusters\n", 0) == 0);
  CHECK(testutil::Run({kTool}).exit_code == 2);
}

TEST_CASE("o2cbx: cluster and node verbs edit cluster.conf", "[o2cbx]") {
  Fixture f;
  CHECK(f.Err({"list-clusters"}) ==
        "o2cbx: " + f.conf() + " does not exist; create a cluster with 'o2cbx add-cluster NAME'\n");
  f.ThreeNodes();
  f.Ok({"add-cluster", "other"});
  CHECK(f.Ok({"list-clusters"}) == "prd\nother\n");
  CHECK(f.Ok({"list-nodes", "prd", "--oneline"}) ==
        "node: name=n1.example.com cluster=prd number=0 ip_address=10.0.0.1 ip_port=7777\n"
        "node: name=n2.example.com cluster=prd number=1 ip_address=10.0.0.2 ip_port=7777\n"
        "node: name=n3.example.com cluster=prd number=2 ip_address=10.0.0.3 ip_port=7000\n");

  // The lowest free number fills the gap; --number picks one.
  f.Ok({"remove-node", "prd", "n2.example.com"});
  f.Ok({"add-node", "prd", "n4", "--ip", "10.0.0.4"});
  f.Ok({"add-node", "prd", "n5", "--ip", "10.0.0.5", "--number", "200"});
  f.Ok({"remove-cluster", "other"});
  f.Ok({"heartbeat-mode", "prd", "global"});
  CHECK(testutil::ReadFile(f.conf()) ==
        "cluster:\n\tname = prd\n\theartbeat_mode = global\n\tnode_count = 4\n\n"
        "node:\n\tname = n1.example.com\n\tcluster = prd\n\tnumber = 0\n\tip_address = 10.0.0.1\n\tip_port = "
        "7777\n\n"
        "node:\n\tname = n3.example.com\n\tcluster = prd\n\tnumber = 2\n\tip_address = 10.0.0.3\n\tip_port = "
        "7000\n\n"
        "node:\n\tname = n4\n\tcluster = prd\n\tnumber = 1\n\tip_address = 10.0.0.4\n\tip_port = 7777\n\n"
        "node:\n\tname = n5\n\tcluster = prd\n\tnumber = 200\n\tip_address = 10.0.0.5\n\tip_port = 7777\n");
  CHECK(f.Ok({"list-cluster", "prd"}) == testutil::ReadFile(f.conf()));
  CHECK(f.Ok({"list-cluster", "prd", "--oneline"})
            .rfind("cluster: name=prd heartbeat_mode=global node_count=4\nnode: name=n1.example.com ", 0) ==
        0);
  f.Ok({"heartbeat-mode", "prd", "local"});
  CHECK(f.Err({"heartbeat-mode", "prd", "both"}) ==
        "o2cbx: heartbeat mode \"both\" is invalid; use local or global\n");
  CHECK(f.Err({"list-nodes", "nope"}) ==
        "o2cbx: cluster \"nope\" is not defined in " + f.conf() + "; add it with 'o2cbx add-cluster nope'\n");
  CHECK(f.Err({"remove-node", "prd", "n9"}) == "o2cbx: node \"n9\" is not in cluster \"prd\"\n");
  CHECK(f.Err({"add-cluster", "prd"}) == "o2cbx: cluster \"prd\" already exists in " + f.conf() + "\n");
}

TEST_CASE("o2cbx: heartbeat verbs take a UUID or a device", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  WriteVolume(f.path("disk1"), 0x10, "prd");
  f.Ok({"add-heartbeat", "prd", f.path("disk1")});
  f.Ok({"add-heartbeat", "prd", "aabbccdd-0011-2233-4455-66778899aabb"});
  CHECK(f.Ok({"list-heartbeats", "prd"}) ==
        "heartbeat:\n\tregion = " + UuidOf(0x10) + "\n\tcluster = prd\n\n" +
            "heartbeat:\n\tregion = AABBCCDD00112233445566778899AABB\n\tcluster = prd\n");
  CHECK(f.Ok({"list-heartbeats", "prd", "--oneline"}) ==
        "heartbeat: region=" + UuidOf(0x10) +
            " cluster=prd\nheartbeat: region=AABBCCDD00112233445566778899AABB cluster=prd\n");
  CHECK(f.Err({"add-heartbeat", "prd", UuidOf(0x10)}) ==
        "o2cbx: heartbeat region \"" + UuidOf(0x10) + "\" is already in cluster \"prd\"\n");
  testutil::WriteFile(f.path("junk"), std::string(70000, 'x'));
  CHECK(f.Err({"add-heartbeat", "prd", f.path("junk")}) ==
        "o2cbx: " + f.path("junk") +
            " is not an ocfsx volume (no superblock at 64 KiB); format it with mkfs.ocfsx\n");
  CHECK(f.Err({"add-heartbeat", "prd", "not-a-uuid"}) ==
        "o2cbx: heartbeat region \"not-a-uuid\" is invalid: use the volume's UUID (32 hex digits, dashes "
        "allowed)\n");
  f.Ok({"remove-heartbeat", "prd", f.path("disk1")});
  f.Ok({"remove-heartbeat", "prd", "AABBCCDD00112233445566778899AABB"});
  CHECK(f.Ok({"list-heartbeats", "prd"}).empty());
}

TEST_CASE("o2cbx: setup traps from the seeds give one line with the fix", "[o2cbx]") {
  Fixture f;
  CHECK(f.Err({"add-cluster", "my cluster"}) ==
        "o2cbx: cluster name \"my cluster\" is invalid: use 1 to 16 letters, digits, '-' or '_', starting "
        "with a "
        "letter or digit\n");
  f.Ok({"add-cluster", "mycluster"});
  f.Ok({"add-node", "mycluster", "node1", "--ip", "10.0.0.1"});
  f.Ok({"add-node", "mycluster", "node2", "--ip", "10.0.0.2"});
  // Seed 000: the same address pasted for node3.
  CHECK(
      f.Err({"add-node", "mycluster", "node3", "--ip", "10.0.0.2"}) ==
      "o2cbx: node \"node3\": ip_address 10.0.0.2 is already used by node \"node2\"; each node needs its own "
      "address\n");
  CHECK(f.Err({"add-node", "mycluster", "node3", "--ip", "10.0.0.3", "--number", "1"}) ==
        "o2cbx: node \"node3\": number 1 is already used by node \"node2\"; node numbers must be unique in "
        "cluster "
        "\"mycluster\"\n");
  CHECK(f.Err({"add-node", "mycluster", "node3", "--ip", "10.0.0.3", "--number", "255"}) ==
        "o2cbx: --number 255 is invalid; use a number 0..254\n");
  CHECK(f.Err({"add-node", "mycluster", "node3"}) ==
        "o2cbx: add-node needs the node's address: o2cbx add-node mycluster node3 --ip ADDRESS\n");
  CHECK(f.Err({"add-node", "mycluster", "node3", "--ip", "10.0.0.3", "--port", "99999"}) ==
        "o2cbx: --port 99999 is invalid; use a number 1..65535\n");

  // Seed 001: duplicate numbers written by hand are caught with their line.
  testutil::WriteFile(
      f.conf(),
      "cluster:\n\tname = ocfs2\n\tnode_count = 2\n\n"
      "node:\n\tname = client01\n\tcluster = ocfs2\n\tnumber = 0\n\tip_address = 192.168.7.10\n\n"
      "node:\n\tname = cvm\n\tcluster = ocfs2\n\tnumber = 0\n\tip_address = 192.168.7.8\n");
  CHECK(f.Err({"register-cluster", "ocfs2"}) ==
        "o2cbx: " + f.conf() +
            ":14: node \"cvm\": number 0 is already used by node \"client01\" (line 8); node "
            "numbers must be unique in cluster \"ocfs2\"\n");
}

TEST_CASE("o2cbx: register-cluster fills configfs and marks the local node last", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  testutil::WriteFile(
      f.defaults(),
      "O2CBX_HEARTBEAT_THRESHOLD=7\nO2CBX_IDLE_TIMEOUT_MS=5000\nO2CBX_KEEPALIVE_DELAY_MS=2000\n"
      "O2CBX_RECONNECT_DELAY_MS=2000\nO2CBX_HEARTBEAT_INTERVAL_MS=1000\nO2CBX_FENCE_METHOD=panic\n");
  f.Ok({"register-cluster", "prd"});
  CHECK(testutil::ListDir(f.cluster_dir()) == std::vector<std::string>{"prd"});
  CHECK(f.Attr("prd/dead_threshold") == "7");
  CHECK(f.Attr("prd/idle_timeout_ms") == "5000");
  CHECK(f.Attr("prd/keepalive_delay_ms") == "2000");
  CHECK(f.Attr("prd/reconnect_delay_ms") == "2000");
  CHECK(f.Attr("prd/heartbeat_interval_ms") == "1000");
  CHECK(f.Attr("prd/fence_method") == "panic");
  CHECK(f.Attr("prd/heartbeat_mode") == "local");
  CHECK(testutil::ListDir(f.cluster_dir() + "/prd/node") ==
        std::vector<std::string>{"n1.example.com", "n2.example.com", "n3.example.com"});
  CHECK(f.Attr("prd/node/n3.example.com/num") == "2");
  CHECK(f.Attr("prd/node/n3.example.com/ipv4_address") == "10.0.0.3");
  CHECK(f.Attr("prd/node/n3.example.com/ipv4_port") == "7000");
  CHECK(f.Attr("prd/node/n1.example.com/local") == "1");
  CHECK(f.Attr("prd/node/n2.example.com/local") == "0");

  // -v shows every configfs step, the local flag after all nodes.
  f.Ok({"unregister-cluster", "prd"});
  std::string out = f.Ok({"-v", "register-cluster", "prd"});
  CHECK(out.find("local node: n1.example.com (number 0)\n") != std::string::npos);
  CHECK(out.find("n3.example.com/ipv4_port = 7000") < out.find("n1.example.com/local = 1"));

  // Again with the same configuration: nothing to do, success.
  CHECK(f.Ok({"-v", "register-cluster", "prd"}) ==
        "local node: n1.example.com (number 0)\ncluster \"prd\" is already registered with this "
        "configuration\n");
}

TEST_CASE("o2cbx: the local node is found by full, short or overridden name", "[o2cbx]") {
  Fixture f;
  f.Ok({"add-cluster", "prd"});
  f.Ok({"add-node", "prd", "alpha", "--ip", "10.0.0.1"});
  f.Ok({"add-node", "prd", "beta.example.com", "--ip", "10.0.0.2"});

  f.hostname = "ALPHA.corp.example";  // short form, any case
  f.Ok({"register-cluster", "prd"});
  CHECK(f.Attr("prd/node/alpha/local") == "1");
  f.Ok({"unregister-cluster", "prd"});

  f.hostname = "beta.example.com";
  f.Ok({"register-cluster", "prd"});
  CHECK(f.Attr("prd/node/beta.example.com/local") == "1");
  f.Ok({"unregister-cluster", "prd"});

  f.hostname = "gamma";
  f.Ok({"register-cluster", "prd", "--local-node", "alpha"});
  CHECK(f.Attr("prd/node/alpha/local") == "1");
  f.Ok({"unregister-cluster", "prd"});
  CHECK(f.Err({"register-cluster", "prd", "--local-node", "delta"}) ==
        "o2cbx: node \"delta\" given with --local-node is not in cluster \"prd\" (node names: alpha, "
        "beta.example.com)\n");
}

TEST_CASE("o2cbx: a host matching no node is refused (seed 004)", "[o2cbx]") {
  Fixture f;
  f.Ok({"add-cluster", "prdcluster"});
  f.Ok({"add-node", "prdcluster", "n149.ocfs2.test", "--ip", "10.50.200.149", "--port", "11111"});
  f.Ok({"add-node", "prdcluster", "n150.ocfs2.test", "--ip", "10.50.200.150", "--port", "11111"});
  f.hostname = "n149.test.com";
  CHECK(f.Err({"register-cluster", "prdcluster"}) ==
        "o2cbx: no node in cluster \"prdcluster\" matches this host \"n149.test.com\" (node names: "
        "n149.ocfs2.test, n150.ocfs2.test); rename the node or use --local-node\n");
  CHECK(testutil::ListDir(f.cluster_dir()).empty());
  f.Ok({"add-cluster", "empty"});
  CHECK(f.Err({"register-cluster", "empty"}) ==
        "o2cbx: cluster \"empty\" has no nodes; add them with 'o2cbx add-node empty NAME --ip ADDRESS'\n");
}

TEST_CASE("o2cbx: registered with another configuration or cluster", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  f.Ok({"add-cluster", "a"});
  f.Ok({"add-node", "a", "n1.example.com", "--ip", "10.0.0.1"});
  f.Ok({"register-cluster", "prd"});

  CHECK(
      f.Err({"register-cluster", "a"}) ==
      "o2cbx: cluster \"prd\" is registered, and only one cluster can be; run 'o2cbx unregister-cluster prd' "
      "first\n");
  testutil::WriteFile(f.defaults(), "O2CBX_IDLE_TIMEOUT_MS=8000\n");
  CHECK(
      f.Err({"register-cluster", "prd"}) ==
      "o2cbx: cluster \"prd\" is registered with a different configuration (idle_timeout_ms is 3000, wanted "
      "8000); run 'o2cbx unregister-cluster prd' first\n");
  testutil::WriteFile(f.defaults(), "");
  f.Ok({"add-node", "prd", "n4", "--ip", "10.0.0.4"});
  CHECK(f.Err({"register-cluster", "prd"}) ==
        "o2cbx: cluster \"prd\" is registered with a different configuration (node \"n4\" is missing); run "
        "'o2cbx "
        "unregister-cluster prd' first\n");
  f.hostname = "n2.example.com";
  f.Ok({"remove-node", "prd", "n4"});
  CHECK(f.Err({"register-cluster", "prd"}) ==
        "o2cbx: cluster \"prd\" is registered with a different configuration (the local node is "
        "\"n1.example.com\", wanted \"n2.example.com\"); run 'o2cbx unregister-cluster prd' first\n");
  CHECK(f.Err({"unregister-cluster", "a"}) ==
        "o2cbx: cluster \"a\" is not registered (cluster \"prd\" is)\n");
}

TEST_CASE("o2cbx: a stale offline registration is replaced", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  // What an interrupted register leaves: the cluster and one node, no local.
  ocfsx::Configfs::Options o;
  o.configfs_root = f.path("cfs");
  o.sysfs_root = f.path("sys");
  o.test_root = true;
  ocfsx::Configfs fs(o);
  REQUIRE(fs.CreateCluster("prd").ok());
  REQUIRE(fs.AddNode("prd", {"n2.example.com", 1, "10.0.0.2", 7777, false}).ok());
  f.Ok({"register-cluster", "prd"});
  CHECK(f.Attr("prd/node/n1.example.com/local") == "1");
  CHECK(testutil::ListDir(f.cluster_dir() + "/prd/node").size() == 3);
}

TEST_CASE("o2cbx: unregister-cluster removes everything and is idempotent", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  f.Ok({"register-cluster", "prd"});
  f.Ok({"unregister-cluster", "prd"});
  CHECK(testutil::ListDir(f.cluster_dir()).empty());
  CHECK(f.Ok({"-v", "unregister-cluster", "prd"}) == "cluster \"prd\" was not registered\n");
}

TEST_CASE("o2cbx: module not loaded and configfs not mounted", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  std::filesystem::remove_all(f.path("sys/module/ocfsx"));
  CHECK(f.Err({"register-cluster", "prd"}) ==
        "o2cbx: ocfsx module not loaded; run 'o2cbx load' or 'modprobe ocfsx'\n");
  CHECK(f.Err({"load"}) ==
        "o2cbx: ocfsx module not loaded in the test tree (OCFSX_SYSFS_ROOT is set); not loading the real "
        "module\n");
  std::filesystem::create_directories(f.path("sys/module/ocfsx"));
  testutil::RunOptions gone;
  gone.env["OCFSX_CONFIGFS_ROOT"] = f.path("nowhere");
  auto r = f.Run({"register-cluster", "prd"}, gone);
  CHECK(r.exit_code == 1);
  CHECK(r.err == "o2cbx: configfs is not mounted at " + f.path("nowhere") +
                     "; run 'mount -t configfs configfs " + f.path("nowhere") + "' (or 'o2cbx load')\n");
  std::filesystem::remove_all(f.path("cfs/ocfsx"));
  CHECK(f.Err({"register-cluster", "prd"}) ==
        "o2cbx: " + f.cluster_dir() +
            " is missing although the ocfsx module is loaded; the loaded module may be "
            "too old: run 'o2cbx unload' and 'o2cbx load'\n");
}

TEST_CASE("o2cbx: status and cluster-status", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  auto r = f.Run({"status"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "Module \"ocfsx\": Loaded\nFilesystem \"configfs\": Mounted at " + f.path("cfs") +
                     "\nCluster \"prd\": Offline\nHeartbeat active: no (no cluster is registered)\n");
  r = f.Run({"cluster-status"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "No cluster is online\n");
  r = f.Run({"cluster-status", "prd"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "Cluster \"prd\" is offline\n");

  testutil::WriteFile(f.defaults(),
                      "O2CBX_HEARTBEAT_THRESHOLD=31\nO2CBX_IDLE_TIMEOUT_MS=30000\n"
                      "O2CBX_KEEPALIVE_DELAY_MS=2000\nO2CBX_RECONNECT_DELAY_MS=2000\n");
  f.Ok({"register-cluster", "prd"});
  CHECK(f.Ok({"status"}) ==
        "Module \"ocfsx\": Loaded\n"
        "Filesystem \"configfs\": Mounted at " +
            f.path("cfs") +
            "\n"
            "Cluster \"prd\": Online\n"
            "  State: n/a\n"
            "  Quorum: n/a\n"
            "  Fence reason: n/a\n"
            "  Key fingerprint: none\n"
            "  Local node: n1.example.com (number 0)\n"
            "  Nodes: 3\n"
            "  Live nodes: n/a\n"
            "  Heartbeat interval: 400 ms\n"
            "  Heartbeat dead threshold: 31\n"
            "  Network idle timeout: 30000 ms\n"
            "  Network keepalive delay: 2000 ms\n"
            "  Network reconnect delay: 2000 ms\n"
            "  Fence method: reboot\n"
            "  Heartbeat mode: Local\n"
            "Nodes:\n"
            "  NODE            NUMBER  HEARTBEAT  CONNECTION  RTT_US  MSGS_SENT  MSGS_RECV  BYTES_SENT  BYTES_RECV\n"
            "  n1.example.com       0  n/a        n/a            n/a        n/a        n/a         n/a         n/a\n"
            "  n2.example.com       1  n/a        n/a            n/a        n/a        n/a         n/a         n/a\n"
            "  n3.example.com       2  n/a        n/a            n/a        n/a        n/a         n/a         n/a\n"
            "Heartbeat active: unknown (not provided by this module version)\n");
  CHECK(f.Ok({"cluster-status"}) == "Cluster \"prd\" is online\n");
  CHECK(f.Ok({"cluster-status", "prd"}) == "Cluster \"prd\" is online\n");
  r = f.Run({"cluster-status", "other"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "Cluster \"other\" is offline\n");

  std::filesystem::remove_all(f.path("sys/module/ocfsx"));
  r = f.Run({"status"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.rfind("Module \"ocfsx\": Not loaded\n", 0) == 0);
  CHECK(f.Run({"cluster-status"}).exit_code == 1);
}

namespace {

const std::string kKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kKeyFingerprint = "630dcd2966c43366";  // SHA-256 of those 32 bytes

mode_t ModeOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// The key line of cluster.conf, "" when there is none.
std::string KeyIn(const std::string& conf) {
  const std::string text = testutil::ReadFile(conf);
  const auto at = text.find("\tkey = ");
  return at == std::string::npos ? "" : text.substr(at + 7, text.find('\n', at) - at - 7);
}

void SetKey(const std::string& conf_path, const std::string& key) {
  auto conf = ocfsx::ClusterConf::Load(conf_path);
  REQUIRE(conf.ok());
  REQUIRE(conf->SetClusterKey("prd", key).ok());
  REQUIRE(conf->Save(conf_path).ok());
}

// A module with the key attribute (the emulation's default).
testutil::RunOptions KeyModule() {
  testutil::RunOptions o;
  o.env["OCFSX_TEST_KEY_ATTR"] = "1";
  return o;
}

// An older module, without the key attribute.
testutil::RunOptions KeylessModule() {
  testutil::RunOptions o;
  o.env["OCFSX_TEST_KEY_ATTR"] = "0";
  return o;
}

}  // namespace

TEST_CASE("o2cbx: generate-key and remove-key edit cluster.conf, which turns 0600", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  CHECK(ModeOf(f.conf()) == 0644);
  const std::string out = f.Ok({"generate-key", "prd"});
  const std::string key = KeyIn(f.conf());
  REQUIRE(key.size() == 64);
  CHECK(ocfsx::CheckClusterKey(key).ok());
  const std::string fp = ocfsx::KeyFingerprint(key);
  CHECK(out == "Cluster \"prd\": new key with fingerprint " + fp + "; copy " + f.conf() + " to every node\n");
  CHECK(ModeOf(f.conf()) == 0600);

  // Listings show the fingerprint, never the key.
  const std::string listed = f.Ok({"list-cluster", "prd"});
  CHECK(listed.rfind("cluster:\n\tname = prd\n\theartbeat_mode = local\n\tnode_count = 3\n\tkey_fingerprint = " +
                         fp + "\n\nnode:\n",
                     0) == 0);
  CHECK(listed.find(key) == std::string::npos);
  CHECK(f.Ok({"list-cluster", "prd", "--oneline"})
            .rfind("cluster: name=prd heartbeat_mode=local node_count=3 key_fingerprint=" + fp + "\n", 0) == 0);

  CHECK(f.Err({"generate-key", "prd"}) == "o2cbx: cluster \"prd\" already has a key (fingerprint " + fp +
                                              "); use 'o2cbx generate-key prd --force' to replace it\n");
  CHECK(KeyIn(f.conf()) == key);
  f.Ok({"generate-key", "prd", "-f"});
  const std::string key2 = KeyIn(f.conf());
  CHECK(key2.size() == 64);
  CHECK(key2 != key);
  f.Ok({"generate-key", "--force", "prd"});
  CHECK(KeyIn(f.conf()) != key2);
  // Other edits keep the key and the mode.
  f.Ok({"add-node", "prd", "n4", "--ip", "10.0.0.4"});
  CHECK(KeyIn(f.conf()).size() == 64);
  CHECK(ModeOf(f.conf()) == 0600);

  CHECK(f.Ok({"remove-key", "prd"}).empty());
  CHECK(KeyIn(f.conf()).empty());
  CHECK(testutil::ReadFile(f.conf()).find("key") == std::string::npos);
  CHECK(f.Ok({"-v", "remove-key", "prd"}) == "cluster \"prd\" has no key\nwrote " + f.conf() + "\n");
  CHECK(f.Err({"generate-key", "nope"}) ==
        "o2cbx: cluster \"nope\" is not defined in " + f.conf() + "; add it with 'o2cbx add-cluster nope'\n");
  CHECK(f.Err({"generate-key", "prd", "--force=yes"}, 2).rfind("o2cbx: unknown option --force=yes", 0) == 0);
}

TEST_CASE("o2cbx: a malformed key in cluster.conf is one line with its line number", "[o2cbx]") {
  Fixture f;
  f.Ok({"add-cluster", "prd"});
  testutil::WriteFile(f.conf(), "cluster:\n\tname = prd\n\tnode_count = 0\n\tkey = 00112233445566778899\n");
  const std::string want = "o2cbx: " + f.conf() +
                           ":4: cluster \"prd\": key is invalid: use an even number of 32 to 128 hex digits "
                           "(16 to 64 bytes); 'o2cbx generate-key' makes one\n";
  CHECK(f.Err({"list-clusters"}) == want);
  CHECK(f.Err({"register-cluster", "prd"}) == want);
  CHECK(f.Err({"remove-key", "prd"}) == want);
}

TEST_CASE("o2cbx: register-cluster writes the key before any node", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  SetKey(f.conf(), kKey);

  // A module without the key attribute: refused, nothing left behind.
  auto keyless = f.Run({"register-cluster", "prd"}, KeylessModule());
  CHECK(keyless.exit_code == 1);
  CHECK(keyless.err ==
        "o2cbx: cannot register cluster \"prd\": the loaded ocfsx module does not support cluster keys (no " +
            f.cluster_dir() +
            "/prd/key); load a newer module, or remove the key with 'o2cbx remove-key prd' on every node\n");
  CHECK(testutil::ListDir(f.cluster_dir()).empty());

  auto r = f.Run({"-v", "register-cluster", "prd"}, KeyModule());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(kKey) == std::string::npos);  // not even with -v
  const std::string key_write = "write " + f.cluster_dir() + "/prd/key = (key with fingerprint " + kKeyFingerprint + ")";
  CHECK(r.out.find(key_write) != std::string::npos);
  CHECK(r.out.find(key_write) < r.out.find("mkdir " + f.cluster_dir() + "/prd/node/n1.example.com"));
  CHECK(f.Attr("prd/key") == kKeyFingerprint + "\n");
  CHECK(ModeOf(f.cluster_dir() + "/prd/key") == 0600);
  CHECK(f.Run({"register-cluster", "prd"}, KeyModule()).exit_code == 0);  // unchanged: nothing to do

  SetKey(f.conf(), std::string(64, 'f'));
  r = f.Run({"register-cluster", "prd"}, KeyModule());
  CHECK(r.exit_code == 1);
  CHECK(r.err == "o2cbx: cluster \"prd\" is registered with a different configuration (the key has fingerprint " +
                     kKeyFingerprint + ", wanted " + ocfsx::KeyFingerprint(std::string(64, 'f')) +
                     "); run 'o2cbx unregister-cluster prd' first\n");
  SetKey(f.conf(), "");
  r = f.Run({"register-cluster", "prd"}, KeyModule());
  CHECK(r.err.find("(the key has fingerprint " + kKeyFingerprint + ", wanted none)") != std::string::npos);
  f.Ok({"unregister-cluster", "prd"});
  // No key and a module with the attribute: nothing is written to it.
  REQUIRE(f.Run({"register-cluster", "prd"}, KeyModule()).exit_code == 0);
  CHECK(f.Attr("prd/key").empty());
}

TEST_CASE("o2cbx: status shows the module's per-node and region state", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  SetKey(f.conf(), kKey);
  REQUIRE(f.Run({"register-cluster", "prd"}, KeyModule()).exit_code == 0);
  // What a module with status attributes shows; unknown keys are ignored,
  // n3 lacks most lines.
  testutil::WriteFile(f.cluster_dir() + "/prd/status",
                      "state online\nheartbeat_regions 1\nlive_nodes 0 1\nquorum joined\nfence_reason none\n"
                      "next_gen_field 7\n");
  testutil::WriteFile(f.cluster_dir() + "/prd/node/n1.example.com/status",
                      "hb live\nhb_generation 0x5a\nhb_age_ms 150\nconn none\nconn_idle_ms 0\nmsgs_sent 0\n"
                      "msgs_recv 0\nbytes_sent 0\nbytes_recv 0\nrtt_us 0\nconnects 0\n");
  testutil::WriteFile(f.cluster_dir() + "/prd/node/n2.example.com/status",
                      "hb live\nhb_generation 0x7b\nhb_age_ms 380\nconn up\nconn_idle_ms 12\nmsgs_sent 1024\n"
                      "msgs_recv 998\nbytes_sent 1048576\nbytes_recv 65536\nrtt_us 412\nconnects 1\nfuture 1\n");
  testutil::WriteFile(f.cluster_dir() + "/prd/node/n3.example.com/status", "hb dead\nhb_age_ms -1\nconn refused\n");
  CHECK(f.Ok({"status"}) ==
        "Module \"ocfsx\": Loaded\n"
        "Filesystem \"configfs\": Mounted at " +
            f.path("cfs") +
            "\n"
            "Cluster \"prd\": Online\n"
            "  State: online\n"
            "  Quorum: joined\n"
            "  Fence reason: none\n"
            "  Key fingerprint: " +
            kKeyFingerprint +
            "\n"
            "  Local node: n1.example.com (number 0)\n"
            "  Nodes: 3\n"
            "  Live nodes: 0 1\n"
            "  Heartbeat interval: 400 ms\n"
            "  Heartbeat dead threshold: 5\n"
            "  Network idle timeout: 3000 ms\n"
            "  Network keepalive delay: 1000 ms\n"
            "  Network reconnect delay: 500 ms\n"
            "  Fence method: reboot\n"
            "  Heartbeat mode: Local\n"
            "Nodes:\n"
            "  NODE            NUMBER  HEARTBEAT         CONNECTION  RTT_US  MSGS_SENT  MSGS_RECV  BYTES_SENT  "
            "BYTES_RECV\n"
            "  n1.example.com       0  live, 150 ms ago  none             0          0          0           0  "
            "         0\n"
            "  n2.example.com       1  live, 380 ms ago  up             412       1024        998     1048576  "
            "     65536\n"
            "  n3.example.com       2  dead, never seen  refused        n/a        n/a        n/a         n/a  "
            "       n/a\n"
            "Heartbeat active: yes (1 region)\n");

  // Fenced, nothing beating, no node live.
  testutil::WriteFile(f.cluster_dir() + "/prd/status",
                      "state fenced\nheartbeat_regions 0\nlive_nodes\nquorum fenced\nfence_reason lease\n");
  const std::string out = f.Ok({"status"});
  CHECK(out.find("  State: fenced\n  Quorum: fenced\n  Fence reason: lease\n") != std::string::npos);
  CHECK(out.find("  Live nodes: none\n") != std::string::npos);
  CHECK(out.find("\nHeartbeat active: no (no region is beating)\n") != std::string::npos);

  // A keyless cluster on a module with the key attribute.
  f.Ok({"unregister-cluster", "prd"});
  SetKey(f.conf(), "");
  REQUIRE(f.Run({"register-cluster", "prd"}, KeyModule()).exit_code == 0);
  CHECK(f.Ok({"status"}).find("  Key fingerprint: none\n") != std::string::npos);
}

TEST_CASE("o2cbx: online, offline, load and unload", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  f.Ok({"add-cluster", "second"});
  CHECK(f.Err({"online"}) == "o2cbx: " + f.conf() +
                                 " defines several clusters (prd, second); set O2CBX_BOOTCLUSTER in " +
                                 f.defaults() + " or name the cluster\n");
  testutil::WriteFile(f.defaults(), "O2CBX_ENABLED=true\nO2CBX_BOOTCLUSTER=third\n");
  CHECK(f.Err({"online"}) == "o2cbx: O2CBX_BOOTCLUSTER=third in " + f.defaults() + " is not a cluster in " +
                                 f.conf() + "; fix O2CBX_BOOTCLUSTER or run 'o2cbx add-cluster third'\n");
  testutil::WriteFile(f.defaults(), "O2CBX_ENABLED=false\nO2CBX_BOOTCLUSTER=prd\n");
  CHECK(f.Err({"online"}) ==
        "o2cbx: O2CBX_ENABLED=false in " + f.defaults() +
            "; set O2CBX_ENABLED=true to bring the cluster online at boot (or run 'o2cbx online "
            "CLUSTER')\n");
  testutil::WriteFile(f.defaults(), "O2CBX_ENABLED=true\nO2CBX_BOOTCLUSTER=prd\n");

  CHECK(f.Ok({"load"}).empty());  // already loaded, configfs there
  CHECK(f.Ok({"online"}) == "Starting cluster \"prd\": OK\n");
  CHECK(f.Ok({"online"}) == "Cluster \"prd\" is already online\n");
  CHECK(f.Run({"cluster-status", "prd"}).exit_code == 0);
  CHECK(f.Ok({"offline"}) == "Stopping cluster \"prd\": OK\n");
  CHECK(f.Ok({"offline"}).empty());
  CHECK(testutil::ListDir(f.cluster_dir()).empty());
  CHECK(f.Ok({"online", "prd"}) == "Starting cluster \"prd\": OK\n");
  CHECK(f.Err({"unload"}) == "o2cbx: OCFSX_SYSFS_ROOT is set (test tree); not unloading the real module\n");
  CHECK(testutil::ListDir(f.cluster_dir()).empty());  // unload took it offline first
  std::filesystem::remove_all(f.path("sys/module/ocfsx"));
  CHECK(f.Ok({"unload"}).empty());  // not loaded: nothing to do
  CHECK(f.Ok({"offline"}).empty());
}

TEST_CASE("o2cbx: global heartbeat starts and stops on the configured volumes", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  WriteVolume(f.path("dev/sdb"), 0x20, "prd");
  WriteVolume(f.path("dev/sdc"), 0x40, "");
  WriteVolume(f.path("dev/sdd"), 0x60, "elsewhere");
  f.Ok({"add-heartbeat", "prd", f.path("dev/sdb")});
  f.Ok({"add-heartbeat", "prd", f.path("dev/sdc")});
  f.Ok({"register-cluster", "prd"});
  CHECK(f.Err({"start-heartbeat", "prd"}) ==
        "o2cbx: cluster \"prd\" uses local heartbeat, which mount starts for each volume; for global "
        "heartbeat run "
        "'o2cbx heartbeat-mode prd global' and register again\n");
  f.Ok({"heartbeat-mode", "prd", "global"});
  CHECK(f.Err({"start-heartbeat", "prd"}) ==
        "o2cbx: cluster \"prd\" is registered with local heartbeat; run 'o2cbx unregister-cluster prd' and "
        "'o2cbx "
        "register-cluster prd'\n");
  f.Ok({"unregister-cluster", "prd"});

  testutil::WriteFile(f.defaults(), "O2CBX_BOOTCLUSTER=prd\n");
  testutil::RunOptions devs;
  devs.env["OCFSX_HB_DEVICES"] = f.path("dev/sdd") + ":" + f.path("dev/sdc") + ":" + f.path("dev/sdb");
  auto r = f.Run({"online"}, devs);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "Starting cluster \"prd\": OK\nStarting global heartbeat on 2 region(s): OK\n");
  CHECK(f.Attr("prd/heartbeat_mode") == "global");
  const std::string region = "prd/heartbeat/" + UuidOf(0x20);
  CHECK(f.Attr(region + "/dev") == f.path("dev/sdb"));
  CHECK(f.Attr(region + "/start_block") == "1042");
  CHECK(f.Attr(region + "/blocks") == "255");
  CHECK(f.Attr(region + "/block_bytes") == "4096");
  CHECK(f.Attr("prd/heartbeat/" + UuidOf(0x40) + "/dev") == f.path("dev/sdc"));
  CHECK(f.Run({"start-heartbeat", "prd"}, devs).exit_code == 0);  // already running: no-op
  auto st = f.Ok({"status"});
  CHECK(st.find("  Heartbeat mode: Global\n  Heartbeat regions: 2 (" + UuidOf(0x20) + ", " + UuidOf(0x40) +
                ")\n") != std::string::npos);
  CHECK(st.find("Heartbeat regions:\n  REGION" + std::string(26, ' ') + "  DEVICE") != std::string::npos);
  CHECK(st.find("  " + UuidOf(0x40) + "  " + f.path("dev/sdc") + "  n/a       n/a\n") != std::string::npos);
  testutil::WriteFile(f.cluster_dir() + "/" + region + "/status", "state active\nrounds 4711\n");
  testutil::WriteFile(f.cluster_dir() + "/prd/heartbeat/" + UuidOf(0x40) + "/status",
                      "state error\nrounds 3\nerror I/O error\n");
  st = f.Ok({"status"});
  CHECK(st.find("  " + UuidOf(0x20) + "  " + f.path("dev/sdb") + "  active               4711\n") !=
        std::string::npos);
  CHECK(st.find("  " + UuidOf(0x40) + "  " + f.path("dev/sdc") + "  error (I/O error)       3\n") !=
        std::string::npos);

  f.Ok({"stop-heartbeat", "prd"});
  CHECK(testutil::ListDir(f.cluster_dir() + "/prd/heartbeat").empty());

  // A volume of another cluster, and one that is not attached.
  f.Ok({"add-heartbeat", "prd", f.path("dev/sdd")});
  r = f.Run({"start-heartbeat", "prd"}, devs);
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "o2cbx: heartbeat volume " + f.path("dev/sdd") + " (" + UuidOf(0x60) +
            ") belongs to cluster \"elsewhere\", not \"prd\"; remove it with 'o2cbx remove-heartbeat prd " +
            UuidOf(0x60) + "'\n");
  f.Ok({"remove-heartbeat", "prd", UuidOf(0x60)});
  f.Ok({"add-heartbeat", "prd", UuidOf(0x70)});
  r = f.Run({"start-heartbeat", "prd"}, devs);
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "o2cbx: no device holds heartbeat region " + UuidOf(0x70) +
            " (searched 3 block devices); attach the volume, or drop the region with 'o2cbx remove-heartbeat "
            "CLUSTER " +
            UuidOf(0x70) + "'\n");
  f.Ok({"offline"});
  CHECK(testutil::ListDir(f.cluster_dir()).empty());
}

TEST_CASE("o2cbx: a failed write of cluster.conf leaves the old file", "[o2cbx]") {
  Fixture f;
  f.ThreeNodes();
  for (int i = 4; i < 30; i++)
    f.Ok({"add-node", "prd", "node" + std::to_string(i), "--ip", "10.0.1." + std::to_string(i)});
  const std::string before = testutil::ReadFile(f.conf());
  REQUIRE(before.size() > 2048);
  testutil::RunOptions limited;
  limited.file_size_limit = 1024;
  auto r = f.Run({"add-node", "prd", "late", "--ip", "10.0.2.1"}, limited);
  CHECK(r.exit_code == 1);
  CHECK(r.err.rfind("o2cbx: cannot write " + f.conf() + ".tmp.", 0) == 0);
  CHECK(r.err.find(": File too large\n") != std::string::npos);
  CHECK(testutil::ReadFile(f.conf()) == before);
  CHECK(testutil::ListDir(f.path("etc/ocfsx")) == std::vector<std::string>{"cluster.conf"});
}

TEST_CASE("configfs: kernel refusals name the attribute, value and errno", "[configfs]") {
  Fixture f;
  ocfsx::Configfs::Options o;
  o.configfs_root = f.path("cfs");
  o.sysfs_root = f.path("sys");
  o.test_root = true;
  ocfsx::Configfs fs(o);
  REQUIRE(fs.emulating());
  REQUIRE(fs.CheckReady().ok());
  REQUIRE(fs.CreateCluster("c").ok());
  REQUIRE(fs.AddNode("c", {"a", 0, "10.0.0.1", 7777, false}).ok());
  auto s = fs.WriteAttr("c/node/a", "num", "300");
  CHECK(s.err() == EINVAL);
  CHECK(s.message() == "cannot set num = \"300\" (" + f.cluster_dir() +
                           "/c/node/a/num): Invalid argument; 'dmesg' shows the kernel's reason");
  CHECK(fs.AddNode("c", {"b", 0, "10.0.0.2", 7777, false}).err() == EEXIST);
  CHECK(fs.WriteAttr("c", "keepalive_delay_ms", "4000").err() == EINVAL);
  REQUIRE(fs.SetLocalNode("c", "a").ok());
  // Online: the node is frozen and the timeouts cannot change.
  CHECK(fs.WriteAttr("c/node/a", "ipv4_port", "7000").err() == EBUSY);
  CHECK(fs.WriteAttr("c", "idle_timeout_ms", "5000").err() == EBUSY);
  auto live = fs.ReadCluster("c");
  REQUIRE(live.ok());
  CHECK(live->online());
  CHECK(live->LocalNode()->name == "a");
  CHECK(live->nodes.size() == 2);
  CHECK(live->nodes[1].number == -1);  // "b" never got its number
  REQUIRE(fs.RemoveCluster("c").ok());
  CHECK(testutil::ListDir(f.cluster_dir()).empty());
}

namespace {

struct SchemaEntry {
  std::string path, kind, type, range, initial, online;
};

// configfs-schema/ocfsx.schema, the module's contract.
std::vector<SchemaEntry> LoadSchema() {
  std::vector<SchemaEntry> out;
  std::stringstream in(testutil::ReadFile(std::string(OCFSX_SOURCE_DIR) + "/configfs-schema/ocfsx.schema"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ls(line);
    SchemaEntry e;
    std::string mode;
    if (ls >> e.path >> e.kind >> mode >> e.type >> e.range >> e.initial >> e.online) out.push_back(e);
  }
  return out;
}

// Schema path -> path in a tree with cluster "c", node "n" and region "r".
std::string Concrete(std::string path) {
  for (size_t pos; (pos = path.find('*')) != std::string::npos;) {
    const std::string before = path.substr(0, pos);
    const char* name = before == "cluster/"                                    ? "c"
                       : before.size() > 10 && before.ends_with("/heartbeat/") ? "r"
                                                                               : "n";
    path.replace(pos, 1, name);
  }
  return path;
}

}  // namespace

TEST_CASE("configfs: the test-root emulation matches the module's schema", "[configfs]") {
  auto schema = LoadSchema();
  REQUIRE(schema.size() > 15);
  // The read-only status reports (TYPE text) describe a running cluster
  // stack: the emulation has none.
  std::erase_if(schema, [](const SchemaEntry& e) { return e.type == "text"; });
  Fixture f;
  ocfsx::Configfs::Options o;
  o.configfs_root = f.path("cfs");
  o.sysfs_root = f.path("sys");
  o.test_root = true;
  ocfsx::Configfs fs(o);
  REQUIRE(fs.CreateCluster("c").ok());
  REQUIRE(fs.AddRegion("c", {"r", "/dev/vdb", 0, 255, 512}).ok());
  REQUIRE(fs.AddNode("c", {"n", 0, "10.0.0.1", 7777, false}).ok());
  // Back to the initial values the schema lists.
  testutil::WriteFile(f.path("cfs/ocfsx/cluster/c/node/n/num"), "");
  testutil::WriteFile(f.path("cfs/ocfsx/cluster/c/node/n/ipv4_address"), "");
  testutil::WriteFile(f.path("cfs/ocfsx/cluster/c/heartbeat/r/dev"), "");
  testutil::WriteFile(f.path("cfs/ocfsx/cluster/c/heartbeat/r/blocks"), "255");

  // Every entry exists with its initial value, and nothing else does.
  std::map<std::string, std::vector<std::string>> children;
  for (const auto& e : schema) {
    const std::string rel = Concrete(e.path);
    const std::string full = f.path("cfs/ocfsx") + (rel == "." ? "" : "/" + rel);
    INFO(e.path);
    if (e.kind == "attr") {
      REQUIRE(std::filesystem::is_regular_file(full));
      CHECK(testutil::ReadFile(full) == (e.initial == "unset" ? "" : e.initial));
    } else {
      CHECK(std::filesystem::is_directory(full));
    }
    if (rel != ".") {
      const auto slash = rel.rfind('/');
      children[slash == std::string::npos ? "." : rel.substr(0, slash)].push_back(rel.substr(slash + 1));
    }
  }
  for (auto& [dir, names] : children) {
    std::sort(names.begin(), names.end());
    INFO(dir);
    CHECK(testutil::ListDir(f.path("cfs/ocfsx") + (dir == "." ? "" : "/" + dir)) == names);
  }

  // Values outside each attribute's range are refused with EINVAL.
  for (const auto& e : schema) {
    if (e.kind != "attr") continue;
    const std::string rel = Concrete(e.path);
    const std::string dir =
        rel.substr(std::string("cluster/").size(), rel.rfind('/') - std::string("cluster/").size());
    const std::string attr = rel.substr(rel.rfind('/') + 1);
    // An empty value clears the (hex) key; it is refused everywhere else.
    std::vector<std::string> bad = {"bogus", "-1"};
    if (e.type != "hex") bad.push_back("");
    const auto dots = e.range.find("..");
    if ((e.type == "u32" || e.type == "u64") && dots != std::string::npos) {
      const unsigned long long max = std::stoull(e.range.substr(dots + 2));
      if (max < UINT64_MAX) bad.push_back(std::to_string(max + 1));
      const unsigned long long min = std::stoull(e.range.substr(0, dots));
      if (min > 0) bad.push_back(std::to_string(min - 1));
    }
    if (e.type == "ipv4") bad.insert(bad.end(), {"10.0.0.256", "010.0.0.1", "224.0.0.1"});
    if (e.type == "path") bad.insert(bad.end(), {"relative/path", "/" + std::string(255, 'x')});
    if (e.type == "hex") bad.insert(bad.end(), {std::string(31, 'a'), std::string(30, 'a'), std::string(130, 'a')});
    for (const auto& v : bad) {
      INFO(e.path << " = \"" << v << "\"");
      CHECK(fs.WriteAttr(dir, attr, v).err() == EINVAL);
    }
  }

  // Online freezes exactly what the schema says.
  REQUIRE(fs.WriteAttr("c/node/n", "num", "3").ok());
  REQUIRE(fs.WriteAttr("c/node/n", "ipv4_address", "10.0.0.9").ok());
  REQUIRE(fs.SetLocalNode("c", "n").ok());
  for (const auto& e : schema) {
    if (e.kind != "attr" || e.online == "yes") continue;
    const std::string rel = Concrete(e.path);
    if (e.type == "hex") {  // reads give a fingerprint, not the value
      INFO(e.path);
      CHECK(fs.WriteAttr(rel.substr(8, rel.rfind('/') - 8), rel.substr(rel.rfind('/') + 1), std::string(64, 'a'))
                .err() == EBUSY);
      continue;
    }
    const std::string dir = rel.substr(8, rel.rfind('/') - 8);
    const std::string attr = rel.substr(rel.rfind('/') + 1);
    const std::string now = testutil::ReadFile(f.path("cfs/ocfsx/" + rel));
    // A valid value other than the current one.
    std::string other = e.type == "ipv4" ? "10.0.0.77" : e.range.substr(0, e.range.find_first_of(".|"));
    if (other == now) other = e.range.substr(e.range.find_last_of(".|") + 1);
    INFO(e.path);
    CHECK(fs.WriteAttr(dir, attr, now).ok());  // the same value always succeeds
    CHECK(fs.WriteAttr(dir, attr, other).err() == EBUSY);
  }
  CHECK(fs.RemoveNode("c", "n").err() == EBUSY);  // the local node stays
  CHECK(fs.CreateCluster("d").err() == EBUSY);    // one cluster at a time
  REQUIRE(fs.RemoveCluster("c").ok());
}

TEST_CASE("configfs: on a real root, mounted means a configfs line in /proc/mounts", "[configfs]") {
  testutil::TempDir dir;
  ocfsx::Configfs::Options o;
  o.configfs_root = dir / "config root/";  // a space, escaped as \040 in /proc/mounts
  o.sysfs_root = dir / "sys";
  o.proc_mounts = dir / "mounts";
  std::filesystem::create_directories(o.configfs_root);
  std::filesystem::create_directories(dir / "sys/module/ocfsx");
  ocfsx::Configfs fs(o);
  CHECK_FALSE(fs.emulating());
  CHECK(fs.root() == dir / "config root");
  CHECK(fs.ModuleLoaded());

  testutil::WriteFile(o.proc_mounts, "sysfs /sys sysfs rw 0 0\nnone " + dir.path() +
                                         "/config\\040root tmpfs rw 0 0\n");
  CHECK_FALSE(fs.Mounted());
  CHECK(fs.CheckReady().message() == "configfs is not mounted at " + dir.path() +
                                         "/config root; run 'mount -t configfs configfs " + dir.path() +
                                         "/config root' (or 'o2cbx load')");
  testutil::WriteFile(o.proc_mounts, "sysfs /sys sysfs rw 0 0\nconfigfs " + dir.path() +
                                         "/config\\040root configfs rw,relatime 0 0\n");
  CHECK(fs.Mounted());
}
