// Parsing the module's read-only status attributes: known keys, unknown keys
// (a newer module) ignored, missing keys (an older one) left empty.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ocfsx/configfs.h"

using ocfsx::ParseClusterStatus;
using ocfsx::ParseNodeStatus;
using ocfsx::ParseRegionStatus;

TEST_CASE("status attributes: lines split into key and value", "[configfs][o2cbx]") {
  using Lines = std::vector<std::pair<std::string, std::string>>;
  CHECK(ocfsx::ParseStatusLines("state online\n  live_nodes   1 2 \n\nlive_nodes\r\nx") ==
        Lines{{"state", "online"}, {"live_nodes", "1 2"}, {"live_nodes", ""}, {"x", ""}});
  CHECK(ocfsx::ParseStatusLines("").empty());
}

TEST_CASE("status attributes: cluster status", "[configfs][o2cbx]") {
  auto c = ParseClusterStatus(
      "state online\nheartbeat_regions 2\nlive_nodes 1 2 3\nquorum joined\nfence_reason none\n"
      "future_key some value\n");
  CHECK(c.state == "online");
  CHECK(c.heartbeat_regions == 2);
  REQUIRE(c.live_nodes.has_value());
  CHECK(*c.live_nodes == std::vector<int>{1, 2, 3});
  CHECK(c.quorum == "joined");
  CHECK(c.fence_reason == "none");

  c = ParseClusterStatus("state fenced\nlive_nodes\nfence_reason same_node\nheartbeat_regions many\n");
  CHECK(c.state == "fenced");
  CHECK_FALSE(c.heartbeat_regions.has_value());  // not a number: treated as missing
  REQUIRE(c.live_nodes.has_value());
  CHECK(c.live_nodes->empty());
  CHECK(c.quorum.empty());
  CHECK(c.fence_reason == "same_node");

  c = ParseClusterStatus("live_nodes 4 x 300 -1 7\n");
  CHECK(*c.live_nodes == std::vector<int>{4, 7});
  CHECK_FALSE(ParseClusterStatus("").live_nodes.has_value());
}

TEST_CASE("status attributes: node status", "[configfs][o2cbx]") {
  auto n = ParseNodeStatus(
      "hb live\nhb_generation 0x1f2e3d4c\nhb_age_ms 120\nconn up\nconn_idle_ms 35\nmsgs_sent 1000\n"
      "msgs_recv 998\nbytes_sent 123456789012\nbytes_recv 42\nrtt_us 350\nconnects 3\nnew_counter 9\n");
  CHECK(n.hb == "live");
  CHECK(n.hb_generation == "0x1f2e3d4c");
  CHECK(n.hb_age_ms == 120);
  CHECK(n.conn == "up");
  CHECK(n.conn_idle_ms == 35);
  CHECK(n.msgs_sent == 1000);
  CHECK(n.msgs_recv == 998);
  CHECK(n.bytes_sent == 123456789012LL);
  CHECK(n.bytes_recv == 42);
  CHECK(n.rtt_us == 350);
  CHECK(n.connects == 3);

  n = ParseNodeStatus("hb unknown\nhb_age_ms -1\nrtt_us 12us\n");
  CHECK(n.hb == "unknown");
  CHECK(n.hb_age_ms == -1);
  CHECK_FALSE(n.rtt_us.has_value());
  CHECK(n.conn.empty());
  CHECK_FALSE(n.msgs_sent.has_value());
}

TEST_CASE("status attributes: region status", "[configfs][o2cbx]") {
  auto r = ParseRegionStatus("state active\nrounds 4711\n");
  CHECK(r.state == "active");
  CHECK(r.rounds == 4711);
  CHECK(r.error.empty());
  r = ParseRegionStatus("state error\nrounds 0\nerror I/O error on /dev/vdb\n");
  CHECK(r.state == "error");
  CHECK(r.rounds == 0);
  CHECK(r.error == "I/O error on /dev/vdb");
}
