// cluster.conf and /etc/default/o2cbx: parsing, validation messages, edits
// and the crash-safe writer.
#include "ocfsx/cluster_conf.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "ocfsx/configfs.h"
#include "ocfsx/file_util.h"
#include "ocfsx/o2cb_defaults.h"
#include "testutil.h"

using ocfsx::ClusterConf;
using ocfsx::HeartbeatMode;
using ocfsx::NodeConf;
using ocfsx::O2cbDefaults;

namespace {

// The file o2cb_ctl wrote in the seeds: nodes first, eight-space indents.
const char* kSeedStyle =
    "node:\n"
    "        name = n149.ocfs2.test\n"
    "        cluster = prdcluster\n"
    "        number = 0\n"
    "        ip_address = 10.50.200.149\n"
    "        ip_port = 11111\n"
    "\n"
    "node:\n"
    "        name = n150.ocfs2.test\n"
    "        cluster = prdcluster\n"
    "        number = 1\n"
    "        ip_address = 10.50.200.150\n"
    "        ip_port = 11111\n"
    "\n"
    "cluster:\n"
    "        name = prdcluster\n"
    "        heartbeat_mode = local\n"
    "        node_count = 2\n"
    "\n"
    "        \n";

const char* kCanonicalSeed =
    "cluster:\n"
    "\tname = prdcluster\n"
    "\theartbeat_mode = local\n"
    "\tnode_count = 2\n"
    "\n"
    "node:\n"
    "\tname = n149.ocfs2.test\n"
    "\tcluster = prdcluster\n"
    "\tnumber = 0\n"
    "\tip_address = 10.50.200.149\n"
    "\tip_port = 11111\n"
    "\n"
    "node:\n"
    "\tname = n150.ocfs2.test\n"
    "\tcluster = prdcluster\n"
    "\tnumber = 1\n"
    "\tip_address = 10.50.200.150\n"
    "\tip_port = 11111\n";

std::string ParseError(const std::string& text) {
  auto r = ClusterConf::Parse(text, "cluster.conf");
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

// Lines 1..11; the second node's keys start at line 12.
const std::string kTwoNodeHead =
    "cluster:\n"                 // 1
    "\tname = x\n"               // 2
    "\tnode_count = 2\n"         // 3
    "\n"                         // 4
    "node:\n"                    // 5
    "\tname = n1\n"              // 6
    "\tcluster = x\n"            // 7
    "\tnumber = 0\n"             // 8
    "\tip_address = 10.0.0.1\n"  // 9
    "\n"                         // 10
    "node:\n";                   // 11

std::string SecondNode(const std::string& name, const std::string& cluster, const std::string& number,
                       const std::string& ip, const std::string& port = "7777") {
  return kTwoNodeHead + "\tname = " + name + "\n" +  // 12
         "\tcluster = " + cluster + "\n" +           // 13
         "\tnumber = " + number + "\n" +             // 14
         "\tip_address = " + ip + "\n" +             // 15
         "\tip_port = " + port + "\n";               // 16
}

}  // namespace

TEST_CASE("cluster.conf: a seed-style file parses and is rewritten canonically", "[cluster_conf]") {
  auto conf = ClusterConf::Parse(kSeedStyle, "cluster.conf");
  REQUIRE(conf.ok());
  REQUIRE(conf->clusters().size() == 1);
  const auto& c = conf->clusters()[0];
  CHECK(c.name == "prdcluster");
  CHECK(c.heartbeat_mode == HeartbeatMode::kLocal);
  REQUIRE(c.nodes.size() == 2);
  CHECK(c.nodes[1].name == "n150.ocfs2.test");
  CHECK(c.nodes[1].number == 1);
  CHECK(c.nodes[1].ip_address == "10.50.200.150");
  CHECK(c.nodes[1].ip_port == 11111);
  CHECK(conf->Serialize() == kCanonicalSeed);

  auto again = ClusterConf::Parse(conf->Serialize());
  REQUIRE(again.ok());
  CHECK(again->Serialize() == kCanonicalSeed);
}

TEST_CASE("cluster.conf: key order, missing blank lines, comments and CRLF are accepted", "[cluster_conf]") {
  const char* text =
      "# written by hand\r\n"
      "cluster:\r\n"
      "        node_count = 3\r\n"
      "        name = ocfs2\r\n"
      "node:\n"
      "        ip_port = 777\n"
      "        ip_address = 192.168.7.10\n"
      "        number = 0\n"
      "        name = client01\n"
      "        cluster = ocfs2\n"
      "node:\n"
      "    # indented comment\n"
      "\tip_address = 192.168.7.11\n"
      "\tnumber = 1\n"
      "\tname = client02\n"
      "\tcluster = ocfs2\n"
      "node:\n"
      " \tip_port=777\n"
      " \tip_address=192.168.7.8\n"
      " \tnumber=2\n"
      " \tname=cvm\n"
      " \tcluster=ocfs2\n";
  auto conf = ClusterConf::Parse(text);
  REQUIRE(conf.ok());
  const auto& c = conf->clusters().at(0);
  REQUIRE(c.nodes.size() == 3);
  CHECK(c.nodes[1].ip_port == ocfsx::kDefaultNodePort);  // absent: 7777
  CHECK(c.nodes[2].name == "cvm");
  CHECK(c.nodes[2].ip_port == 777);
  CHECK(c.FindNode("CVM") == &c.nodes[2]);
  CHECK(c.LowestFreeNumber() == 3);
}

TEST_CASE("cluster.conf: several clusters with heartbeat regions round-trip", "[cluster_conf]") {
  const char* text =
      "cluster:\n\tname = a\n\theartbeat_mode = global\n\tnode_count = 1\n\n"
      "node:\n\tname = a1\n\tcluster = a\n\tnumber = 5\n\tip_address = 10.0.0.1\n\tip_port = 7777\n\n"
      "heartbeat:\n\tregion = 0123456789abcdef0123456789abcdef\n\tcluster = a\n\n"
      "heartbeat:\n\tregion = 01234567-89ab-cdef-0123-456789ABCDE0\n\tcluster = a\n\n"
      "cluster:\n\tname = b\n\theartbeat_mode = local\n\tnode_count = 1\n\n"
      "node:\n\tname = a1\n\tcluster = b\n\tnumber = 5\n\tip_address = 10.0.0.1\n\tip_port = 7777\n";
  auto conf = ClusterConf::Parse(text);
  REQUIRE(conf.ok());
  REQUIRE(conf->clusters().size() == 2);
  const auto* a = conf->FindCluster("a");
  REQUIRE(a);
  CHECK(a->heartbeat_mode == HeartbeatMode::kGlobal);
  REQUIRE(a->heartbeats.size() == 2);
  CHECK(a->heartbeats[0].region == "0123456789ABCDEF0123456789ABCDEF");
  CHECK(a->heartbeats[1].region == "0123456789ABCDEF0123456789ABCDE0");
  // Names, numbers and addresses need only be unique within a cluster.
  CHECK(conf->FindCluster("b")->nodes.at(0).name == "a1");

  const std::string expected =
      "cluster:\n\tname = a\n\theartbeat_mode = global\n\tnode_count = 1\n\n"
      "node:\n\tname = a1\n\tcluster = a\n\tnumber = 5\n\tip_address = 10.0.0.1\n\tip_port = 7777\n\n"
      "heartbeat:\n\tregion = 0123456789ABCDEF0123456789ABCDEF\n\tcluster = a\n\n"
      "heartbeat:\n\tregion = 0123456789ABCDEF0123456789ABCDE0\n\tcluster = a\n\n"
      "cluster:\n\tname = b\n\theartbeat_mode = local\n\tnode_count = 1\n\n"
      "node:\n\tname = a1\n\tcluster = b\n\tnumber = 5\n\tip_address = 10.0.0.1\n\tip_port = 7777\n";
  CHECK(conf->Serialize() == expected);
  auto again = ClusterConf::Parse(expected);
  REQUIRE(again.ok());
  CHECK(again->Serialize() == expected);
}

TEST_CASE("cluster.conf: an empty file is an empty configuration", "[cluster_conf]") {
  auto conf = ClusterConf::Parse("\n# nothing yet\n\n");
  REQUIRE(conf.ok());
  CHECK(conf->clusters().empty());
  CHECK(conf->Serialize().empty());
}

TEST_CASE("cluster.conf: node value errors name the line and the rule", "[cluster_conf]") {
  CHECK(ParseError(SecondNode("n2", "x", "300", "10.0.0.2")) ==
        "cluster.conf:14: node \"n2\": number 300 out of range 0..254");
  CHECK(ParseError(SecondNode("n2", "x", "abc", "10.0.0.2")) ==
        "cluster.conf:14: node \"n2\": number \"abc\" is not a number");
  CHECK(ParseError(SecondNode("n2", "x", "-1", "10.0.0.2")) ==
        "cluster.conf:14: node \"n2\": number \"-1\" is not a number");
  CHECK(ParseError(SecondNode("n2", "x", "1", "10.0.0.256")) ==
        "cluster.conf:15: node \"n2\": ip_address \"10.0.0.256\" is not a valid IPv4 address (write four "
        "numbers 0..255, e.g. 10.0.0.1)");
  CHECK(ParseError(SecondNode("n2", "x", "1", "10.0.0")) ==
        "cluster.conf:15: node \"n2\": ip_address \"10.0.0\" is not a valid IPv4 address (write four "
        "numbers 0..255, e.g. 10.0.0.1)");
  CHECK(ParseError(SecondNode("n2", "x", "1", "10.0.0.02")) ==
        "cluster.conf:15: node \"n2\": ip_address \"10.0.0.02\" is not a valid IPv4 address (write four "
        "numbers 0..255, e.g. 10.0.0.1)");
  CHECK(ParseError(SecondNode("n2", "x", "1", "10.0.0.2.5")) ==
        "cluster.conf:15: node \"n2\": ip_address \"10.0.0.2.5\" is not a valid IPv4 address (write four "
        "numbers 0..255, e.g. 10.0.0.1)");
  CHECK(ParseError(SecondNode("n2", "x", "1", "224.0.0.1")) ==
        "cluster.conf:15: node \"n2\": ip_address \"224.0.0.1\" is not a unicast address (use the node's "
        "interconnect address)");
  CHECK(ParseError(SecondNode("n2", "x", "1", "10.0.0.2", "0")) ==
        "cluster.conf:16: node \"n2\": ip_port 0 out of range 1..65535");
  CHECK(ParseError(SecondNode("n2", "x", "1", "10.0.0.2", "65536")) ==
        "cluster.conf:16: node \"n2\": ip_port 65536 out of range 1..65535");
  CHECK(ParseError(SecondNode("n 2", "x", "1", "10.0.0.2")) ==
        "cluster.conf:12: node name \"n 2\" is invalid: use 1 to 64 letters, digits, '-', '_' or '.', "
        "starting with a letter or digit");
  CHECK(ParseError(SecondNode(".n2", "x", "1", "10.0.0.2")) ==
        "cluster.conf:12: node name \".n2\" is invalid: use 1 to 64 letters, digits, '-', '_' or '.', "
        "starting with a letter or digit");
  CHECK(ParseError(SecondNode("n2", "y", "1", "10.0.0.2")) ==
        "cluster.conf:13: node \"n2\": cluster \"y\" is not defined; add a \"cluster:\" stanza named \"y\" "
        "or fix "
        "the name");
}

TEST_CASE("cluster.conf: duplicate numbers, names and addresses are refused", "[cluster_conf]") {
  CHECK(
      ParseError(SecondNode("n2", "x", "0", "10.0.0.2")) ==
      "cluster.conf:14: node \"n2\": number 0 is already used by node \"n1\" (line 8); node numbers must be "
      "unique in cluster \"x\"");
  CHECK(ParseError(SecondNode("N1", "x", "1", "10.0.0.2")) ==
        "cluster.conf:12: node \"N1\" is defined twice in cluster \"x\" (line 6); node names must be unique");
  CHECK(
      ParseError(SecondNode("n2", "x", "1", "10.0.0.1")) ==
      "cluster.conf:15: node \"n2\": ip_address 10.0.0.1 is already used by node \"n1\" (line 9); each node "
      "needs its own address");
}

TEST_CASE("cluster.conf: cluster stanza errors", "[cluster_conf]") {
  CHECK(ParseError("cluster:\n\tname = my cluster\n") ==
        "cluster.conf:2: cluster name \"my cluster\" is invalid: use 1 to 16 letters, digits, '-' or '_', "
        "starting with a letter or digit");
  CHECK(ParseError("cluster:\n\tname = abcdefghijklmnopq\n") ==
        "cluster.conf:2: cluster name \"abcdefghijklmnopq\" is invalid: use 1 to 16 letters, digits, '-' or "
        "'_', starting with a letter or digit");
  CHECK(ClusterConf::Parse("cluster:\n\tname = abcdefghijklmnop\n").ok());  // 16 is fine
  CHECK(ParseError("cluster:\n\tname = _x\n") ==
        "cluster.conf:2: cluster name \"_x\" is invalid: use 1 to 16 letters, digits, '-' or '_', starting "
        "with a letter or digit");
  CHECK(ParseError("cluster:\n\tname = x\n\theartbeat_mode = both\n") ==
        "cluster.conf:3: cluster \"x\": heartbeat_mode \"both\" is invalid; use local or global");
  CHECK(ParseError("cluster:\n\tname = x\n\tnode_count = two\n") ==
        "cluster.conf:3: cluster \"x\": node_count \"two\" is not a number");
  CHECK(ParseError(kTwoNodeHead.substr(0, kTwoNodeHead.rfind("node:"))) ==
        "cluster.conf:3: cluster \"x\": node_count = 2 but 1 nodes are defined; set node_count = 1 (o2cbx "
        "keeps it right when it edits the file)");
  CHECK(ParseError("cluster:\n\tname = x\n\ncluster:\n\tname = x\n") ==
        "cluster.conf:5: cluster \"x\" is defined twice (first on line 1)");
  CHECK(ParseError("cluster:\n\theartbeat_mode = local\n") ==
        "cluster.conf:1: cluster stanza has no \"name\"; add a \"name = ...\" line");
}

TEST_CASE("cluster.conf: missing node keys", "[cluster_conf]") {
  CHECK(ParseError(kTwoNodeHead + "\tname = n2\n\tcluster = x\n\tip_address = 10.0.0.2\n") ==
        "cluster.conf:11: node \"n2\" has no \"number\"; add a \"number = ...\" line");
  CHECK(ParseError(kTwoNodeHead + "\tname = n2\n\tcluster = x\n\tnumber = 1\n") ==
        "cluster.conf:11: node \"n2\" has no \"ip_address\"; add a \"ip_address = ...\" line");
  CHECK(ParseError(kTwoNodeHead + "\tnumber = 1\n") ==
        "cluster.conf:11: node stanza has no \"name\"; add a \"name = ...\" line");
}

TEST_CASE("cluster.conf: syntax errors", "[cluster_conf]") {
  CHECK(ParseError(kTwoNodeHead + "\tipaddress = 10.0.0.2\n") ==
        "cluster.conf:12: unknown key \"ipaddress\" in node stanza (valid keys: name, cluster, number, "
        "ip_address, ip_port)");
  CHECK(ParseError(kTwoNodeHead + "\tname = n2\n\tname = n3\n") ==
        "cluster.conf:13: duplicate key \"name\" in node stanza (first set on line 12)");
  CHECK(ParseError(kTwoNodeHead + "name = n2\n") ==
        "cluster.conf:12: key line \"name = n2\" must be indented with a tab under its stanza line");
  CHECK(ParseError("nodes:\n") ==
        "cluster.conf:1: unknown stanza \"nodes:\"; expected \"cluster:\", \"node:\" or \"heartbeat:\"");
  CHECK(ParseError("\tname = x\n") ==
        "cluster.conf:1: \"name = x\" comes before any \"cluster:\", \"node:\" or \"heartbeat:\" line");
  CHECK(ParseError("hello\n") ==
        "cluster.conf:1: expected a stanza line (\"cluster:\", \"node:\" or \"heartbeat:\"), got \"hello\"");
  CHECK(ParseError("cluster:\n\tname x\n") == "cluster.conf:2: expected \"key = value\", got \"name x\"");
  CHECK(ParseError("cluster:\n\tname =\n") == "cluster.conf:2: empty value for \"name\" in cluster stanza");
}

TEST_CASE("cluster.conf: heartbeat stanza errors", "[cluster_conf]") {
  const std::string head = "cluster:\n\tname = x\n\theartbeat_mode = global\n\n";  // 1..4
  CHECK(ParseError(head + "heartbeat:\n\tregion = xyz\n\tcluster = x\n") ==
        "cluster.conf:6: heartbeat region \"xyz\" is invalid: use the volume's UUID (32 hex digits, dashes "
        "allowed)");
  CHECK(
      ParseError(head + "heartbeat:\n\tregion = 0123456789ABCDEF0123456789ABCDEF\n\tcluster = x\n\n" +
                 "heartbeat:\n\tregion = 01234567-89ab-cdef-0123-456789abcdef\n\tcluster = x\n") ==
      "cluster.conf:10: heartbeat region \"01234567-89ab-cdef-0123-456789abcdef\" is listed twice in cluster "
      "\"x\" (first on line 5)");
  CHECK(
      ParseError(head + "heartbeat:\n\tregion = 0123456789ABCDEF0123456789ABCDEF\n") ==
      "cluster.conf:5: heartbeat \"0123456789ABCDEF0123456789ABCDEF\" has no \"cluster\"; add a \"cluster = "
      "...\" line");
  CHECK(ParseError(head + "heartbeat:\n\tregion = 0123456789ABCDEF0123456789ABCDEF\n\tcluster = q\n") ==
        "cluster.conf:7: heartbeat region \"0123456789ABCDEF0123456789ABCDEF\": cluster \"q\" is not "
        "defined; add a "
        "\"cluster:\" stanza named \"q\" or fix the name");
  std::string many = head;
  for (int i = 0; i < 33; i++) {
    char region[33];
    std::snprintf(region, sizeof(region), "%032X", i);
    many += std::string("heartbeat:\n\tregion = ") + region + "\n\tcluster = x\n";
  }
  CHECK(ParseError(many) ==
        "cluster.conf:101: cluster \"x\" has 33 heartbeat regions; at most 32 are allowed");
}

TEST_CASE("cluster.conf: naming rules", "[cluster_conf]") {
  CHECK(ocfsx::CheckClusterName("a").ok());
  CHECK(ocfsx::CheckClusterName("9-x_y").ok());
  CHECK_FALSE(ocfsx::CheckClusterName("").ok());
  CHECK_FALSE(ocfsx::CheckClusterName("a.b").ok());
  CHECK(ocfsx::CheckNodeName("STREAMING-01").ok());
  CHECK(ocfsx::CheckNodeName("n149.ocfs2.test").ok());
  CHECK_FALSE(ocfsx::CheckNodeName(std::string(65, 'a')).ok());
  CHECK(ocfsx::CheckNodeName(std::string(64, 'a')).ok());
  CHECK(ocfsx::CheckIpv4Address("192.168.10.89").ok());
  CHECK(ocfsx::CheckIpv4Address("127.0.0.1").ok());
  CHECK_FALSE(ocfsx::CheckIpv4Address("0.0.0.0").ok());
  CHECK_FALSE(ocfsx::CheckIpv4Address("255.255.255.255").ok());
  CHECK_FALSE(ocfsx::CheckIpv4Address(" 1.2.3.4").ok());
  CHECK_FALSE(ocfsx::CheckIpv4Address("1..3.4").ok());
  CHECK(*ocfsx::NormalizeRegionName("abcdefab-cdef-abcd-efab-cdefabcdefab") ==
        "ABCDEFABCDEFABCDEFABCDEFABCDEFAB");
  CHECK_FALSE(ocfsx::NormalizeRegionName("ABCDEFABCDEFABCDEFABCDEFABCDEFA").ok());
}

TEST_CASE("cluster.conf: edits keep the configuration valid or change nothing", "[cluster_conf]") {
  auto conf = ClusterConf::Parse(kCanonicalSeed);
  REQUIRE(conf.ok());
  const std::string before = conf->Serialize();

  NodeConf dup_ip;
  dup_ip.name = "n151";
  dup_ip.ip_address = "10.50.200.150";
  auto s = conf->AddNode("prdcluster", dup_ip);
  CHECK(s.message() ==
        "node \"n151\": ip_address 10.50.200.150 is already used by node \"n150.ocfs2.test\"; each node "
        "needs its "
        "own address");
  NodeConf dup_num;
  dup_num.name = "n151";
  dup_num.ip_address = "10.50.200.151";
  dup_num.number = 1;
  CHECK(conf->AddNode("prdcluster", dup_num).message() ==
        "node \"n151\": number 1 is already used by node \"n150.ocfs2.test\"; node numbers must be unique in "
        "cluster \"prdcluster\"");
  CHECK(conf->AddNode("nope", dup_num).message() == "cluster \"nope\" is not defined");
  CHECK(conf->AddCluster("prdcluster").message() == "cluster \"prdcluster\" already exists");
  CHECK(
      conf->AddCluster("bad.name").message() ==
      "cluster name \"bad.name\" is invalid: use 1 to 16 letters, digits, '-' or '_', starting with a letter "
      "or digit");
  CHECK(conf->RemoveNode("prdcluster", "n999").message() == "node \"n999\" is not in cluster \"prdcluster\"");
  CHECK(conf->Serialize() == before);

  // The lowest free number is taken, including a gap left by a removal.
  REQUIRE(conf->RemoveNode("prdcluster", "N149.ocfs2.test").ok());
  NodeConf fresh;
  fresh.name = "n151";
  fresh.ip_address = "10.50.200.151";
  REQUIRE(conf->AddNode("prdcluster", fresh).ok());
  const auto* c = conf->FindCluster("prdcluster");
  CHECK(c->FindNode("n151")->number == 0);
  CHECK(c->FindNode("n151")->cluster == "prdcluster");

  REQUIRE(conf->AddHeartbeat("prdcluster", "0123456789abcdef0123456789abcdef").ok());
  CHECK(conf->AddHeartbeat("prdcluster", "01234567-89AB-CDEF-0123-456789ABCDEF").message() ==
        "heartbeat region \"0123456789ABCDEF0123456789ABCDEF\" is already in cluster \"prdcluster\"");
  REQUIRE(conf->SetHeartbeatMode("prdcluster", HeartbeatMode::kGlobal).ok());
  CHECK(conf->Validate().ok());
  auto reparsed = ClusterConf::Parse(conf->Serialize());
  REQUIRE(reparsed.ok());
  CHECK(reparsed->FindCluster("prdcluster")->heartbeats.size() == 1);
  REQUIRE(conf->RemoveHeartbeat("prdcluster", "0123456789ABCDEF0123456789ABCDEF").ok());
  CHECK(conf->RemoveHeartbeat("prdcluster", "0123456789ABCDEF0123456789ABCDEF").message() ==
        "heartbeat region \"0123456789ABCDEF0123456789ABCDEF\" is not in cluster \"prdcluster\"");
  REQUIRE(conf->RemoveCluster("prdcluster").ok());
  CHECK(conf->clusters().empty());
}

TEST_CASE("cluster.conf: Load names the file in errors and Save writes it atomically", "[cluster_conf]") {
  testutil::TempDir dir;
  const std::string path = dir / "cluster.conf";
  CHECK(ClusterConf::Load(path).status().err() == ENOENT);

  testutil::WriteFile(path, SecondNode("n2", "x", "300", "10.0.0.2"));
  CHECK(ClusterConf::Load(path).status().message() ==
        path + ":14: node \"n2\": number 300 out of range 0..254");

  auto conf = ClusterConf::Parse(kSeedStyle);
  REQUIRE(conf.ok());
  ::chmod(path.c_str(), 0640);
  REQUIRE(conf->Save(path).ok());
  CHECK(testutil::ReadFile(path) == kCanonicalSeed);
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);  // an existing file keeps its mode
  CHECK(testutil::ListDir(dir.path()) == std::vector<std::string>{"cluster.conf"});

  // A directory that does not exist: nothing is created.
  CHECK_FALSE(conf->Save(dir / "missing/cluster.conf").ok());
  CHECK_FALSE(testutil::Exists(dir / "missing"));
}

TEST_CASE("cluster.conf: a writer failing midway leaves the old file intact", "[cluster_conf]") {
  testutil::TempDir dir;
  const std::string path = dir / "cluster.conf";
  const std::string old_text = "cluster:\n\tname = old\n\theartbeat_mode = local\n\tnode_count = 0\n";
  testutil::WriteFile(path, old_text);

  ClusterConf conf = *ClusterConf::Parse(old_text);
  REQUIRE(conf.AddCluster("big").ok());
  for (int i = 0; i < 40; i++) {
    NodeConf n;
    n.name = "node" + std::to_string(i);
    n.ip_address = "10.0.1." + std::to_string(i + 1);
    REQUIRE(conf.AddNode("big", n).ok());
  }
  REQUIRE(conf.Serialize().size() > 2048);

  // The child may write at most 1 KiB to any file: the temporary file's
  // write fails with EFBIG halfway through the new contents.
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {1024, 1024};
    ::setrlimit(RLIMIT_FSIZE, &rl);
    ocfsx::Status s = conf.Save(path);
    ::_exit(!s.ok() && s.err() == EFBIG ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(testutil::ReadFile(path) == old_text);
  CHECK(testutil::ListDir(dir.path()) == std::vector<std::string>{"cluster.conf"});  // temp file removed

  REQUIRE(conf.Save(path).ok());
  CHECK(testutil::ReadFile(path) == conf.Serialize());
}

TEST_CASE("cluster.conf: an unwritable directory leaves the old file intact", "[cluster_conf]") {
  if (::geteuid() == 0)
    SUCCEED("root ignores directory permissions; the RLIMIT_FSIZE test covers this");
  else {
    testutil::TempDir dir;
    const std::string path = dir / "cluster.conf";
    testutil::WriteFile(path, "cluster:\n\tname = old\n");
    ::chmod(dir.path().c_str(), 0555);
    auto conf = ClusterConf::Parse("cluster:\n\tname = new\n");
    CHECK_FALSE(conf->Save(path).ok());
    ::chmod(dir.path().c_str(), 0755);
    CHECK(testutil::ReadFile(path) == "cluster:\n\tname = old\n");
  }
}

TEST_CASE("o2cbx defaults: every key, quoting, export and comments", "[o2cb_defaults]") {
  const char* text =
      "# ocfsx cluster stack\n"
      "O2CBX_ENABLED=true\n"
      "O2CBX_BOOTCLUSTER=prd\n"
      "export O2CBX_HEARTBEAT_THRESHOLD=7\n"
      "O2CBX_HEARTBEAT_INTERVAL_MS=\"1000\"\n"
      "  O2CBX_IDLE_TIMEOUT_MS='5000'   # five seconds\n"
      "O2CBX_KEEPALIVE_DELAY_MS=2000\n"
      "O2CBX_RECONNECT_DELAY_MS=2000\n"
      "O2CBX_FENCE_METHOD=panic\n"
      "SOMETHING_ELSE=\"is ignored\"\n";
  auto d = O2cbDefaults::Parse(text, "o2cbx");
  REQUIRE(d.ok());
  CHECK(d->enabled);
  CHECK(d->bootcluster == "prd");
  CHECK(d->params.dead_threshold == 7);
  CHECK(d->params.heartbeat_interval_ms == 1000);
  CHECK(d->params.idle_timeout_ms == 5000);
  CHECK(d->params.keepalive_delay_ms == 2000);
  CHECK(d->params.reconnect_delay_ms == 2000);
  CHECK(d->params.fence_method == "panic");
}

TEST_CASE("o2cbx defaults: absent file, keys and empty values mean the module's defaults",
          "[o2cb_defaults]") {
  testutil::TempDir dir;
  auto missing = O2cbDefaults::Load(dir / "none");
  REQUIRE(missing.ok());
  CHECK(missing->enabled);
  CHECK(missing->bootcluster.empty());
  CHECK(missing->params == ocfsx::ClusterParams());
  CHECK(missing->params.heartbeat_interval_ms == 400);
  CHECK(missing->params.dead_threshold == 5);
  CHECK(missing->params.idle_timeout_ms == 3000);
  CHECK(missing->params.keepalive_delay_ms == 1000);
  CHECK(missing->params.reconnect_delay_ms == 500);
  CHECK(missing->params.fence_method == "reboot");

  auto empty =
      O2cbDefaults::Parse("O2CBX_HEARTBEAT_THRESHOLD=\nO2CBX_ENABLED=no\nO2CBX_FENCE_METHOD=\n", "x");
  REQUIRE(empty.ok());
  CHECK(empty->params.dead_threshold == 5);
  CHECK_FALSE(empty->enabled);
}

TEST_CASE("o2cbx defaults: the shipped template parses to the module's defaults", "[o2cb_defaults]") {
  auto d = O2cbDefaults::Load(std::string(OCFSX_SOURCE_DIR) + "/tools/o2cbx/default.o2cbx");
  REQUIRE(d.ok());
  CHECK(d->enabled);
  CHECK(d->bootcluster.empty());
  CHECK(d->params == ocfsx::ClusterParams());
}

TEST_CASE("o2cbx defaults: errors name the line, the key and the fix", "[o2cb_defaults]") {
  auto err = [](const std::string& text) {
    auto d = O2cbDefaults::Parse(text, "o2cbx");
    REQUIRE_FALSE(d.ok());
    return d.status().message();
  };
  CHECK(err("\nO2CBX_HEARTBEAT_THRESHOLD=200\n") ==
        "o2cbx:2: O2CBX_HEARTBEAT_THRESHOLD=200 out of range 2..120");
  CHECK(err("O2CBX_HEARTBEAT_INTERVAL_MS=50\n") ==
        "o2cbx:1: O2CBX_HEARTBEAT_INTERVAL_MS=50 out of range 100..10000");
  CHECK(err("O2CBX_IDLE_TIMEOUT_MS=600001\n") ==
        "o2cbx:1: O2CBX_IDLE_TIMEOUT_MS=600001 out of range 1000..600000");
  CHECK(err("O2CBX_RECONNECT_DELAY_MS=fast\n") ==
        "o2cbx:1: O2CBX_RECONNECT_DELAY_MS=fast out of range 100..60000");
  CHECK(err("O2CBX_KEEPALIVE_DELAY_MS=5000\n") ==
        "o2cbx:1: O2CBX_KEEPALIVE_DELAY_MS (5000) must be less than O2CBX_IDLE_TIMEOUT_MS (3000)");
  CHECK(err("O2CBX_ENABLED=maybe\n") == "o2cbx:1: O2CBX_ENABLED=maybe is invalid; use true or false");
  CHECK(err("O2CBX_FENCE_METHOD=shoot\n") ==
        "o2cbx:1: O2CBX_FENCE_METHOD=shoot is invalid; use panic, reboot or halt");
  CHECK(err("O2CB_ENABLED=true\n") == "o2cbx:1: O2CB_ENABLED is o2cb's name; ocfsx reads O2CBX_ENABLED");
  CHECK(err("O2CBX_IDLE_TIMEOUT=5000\n") ==
        "o2cbx:1: unknown setting O2CBX_IDLE_TIMEOUT (known: O2CBX_ENABLED, O2CBX_BOOTCLUSTER, "
        "O2CBX_HEARTBEAT_THRESHOLD, O2CBX_HEARTBEAT_INTERVAL_MS, O2CBX_IDLE_TIMEOUT_MS, "
        "O2CBX_KEEPALIVE_DELAY_MS, "
        "O2CBX_RECONNECT_DELAY_MS, O2CBX_FENCE_METHOD)");
  CHECK(err("O2CBX_IDLE_TIMEOUT_MS = 5000\n") ==
        "o2cbx:1: expected KEY=value (no spaces around '='), got \"O2CBX_IDLE_TIMEOUT_MS = 5000\"");
  CHECK(
      err("O2CBX_BOOTCLUSTER=\"a b\"\n") ==
      "o2cbx:1: O2CBX_BOOTCLUSTER: cluster name \"a b\" is invalid: use 1 to 16 letters, digits, '-' or '_', "
      "starting with a letter or digit");
  CHECK(err("O2CBX_BOOTCLUSTER=\"abc\n") == "o2cbx:1: O2CBX_BOOTCLUSTER: missing closing \"");
  CHECK(err("O2CBX_BOOTCLUSTER=$(hostname)\n") ==
        "o2cbx:1: O2CBX_BOOTCLUSTER: '$' is not supported here; write a plain value");
  CHECK(err("O2CBX_BOOTCLUSTER=a b\n") ==
        "o2cbx:1: O2CBX_BOOTCLUSTER: unexpected text after the value (quote values that contain spaces)");
}

TEST_CASE("cluster params: ranges and keepalive below idle", "[configfs]") {
  ocfsx::ClusterParams p;
  CHECK(ocfsx::ValidateClusterParams(p).ok());
  p.keepalive_delay_ms = 3000;
  CHECK(ocfsx::ValidateClusterParams(p).message() ==
        "keepalive_delay_ms 3000 must be less than idle_timeout_ms 3000");
  p = {};
  p.dead_threshold = 1;
  CHECK(ocfsx::ValidateClusterParams(p).message() == "dead_threshold 1 out of range 2..120");
  p = {};
  p.fence_method = "off";
  CHECK(ocfsx::ValidateClusterParams(p).message() ==
        "fence_method \"off\" is invalid; use panic, reboot or halt");
}
