// Interconnect wire format (kernel/cluster/net_wire.h): the layout
// docs/interconnect.md gives and the frame-header check the kernel runs on
// every frame before trusting its length.
#include <arpa/inet.h>

#include <cstddef>
#include <cstring>

#include <catch2/catch.hpp>

#include "../../kernel/cluster/net_wire.h"

namespace {

struct ocfsx_net_hdr Header(uint32_t magic, uint16_t type, uint16_t flags, uint32_t len) {
  struct ocfsx_net_hdr h;
  std::memset(&h, 0, sizeof(h));
  h.magic = htonl(magic);
  h.type = htons(type);
  h.flags = htons(flags);
  h.len = htonl(len);
  return h;
}

}  // namespace

TEST_CASE("net wire: header and hello layout", "[net]") {
  CHECK(sizeof(struct ocfsx_net_hdr) == 24);
  CHECK(offsetof(struct ocfsx_net_hdr, len) == 12);
  CHECK(offsetof(struct ocfsx_net_hdr, status) == 20);
  CHECK(sizeof(struct ocfsx_net_hello) == 96);
  CHECK(offsetof(struct ocfsx_net_hello, version) == 0);
  CHECK(offsetof(struct ocfsx_net_hello, cluster_name) == 32);
  CHECK(offsetof(struct ocfsx_net_hello, nonce) == 64);
}

TEST_CASE("net wire: frame header check", "[net]") {
  auto h = Header(OCFSX_NET_MAGIC, OCFSX_NET_T_HELLO, 0, 96);
  CHECK(ocfsx_net_check_hdr(&h) == OCFSX_NET_HDR_OK);
  h = Header(OCFSX_NET_MAGIC, 7, OCFSX_NET_F_REPLY, OCFSX_NET_MAX_PAYLOAD);
  CHECK(ocfsx_net_check_hdr(&h) == OCFSX_NET_HDR_OK);
  h = Header(OCFSX_NET_MAGIC + 1, 7, 0, 0);
  CHECK(ocfsx_net_check_hdr(&h) == OCFSX_NET_HDR_BAD_MAGIC);
  h = Header(OCFSX_NET_MAGIC, 7, 0, OCFSX_NET_MAX_PAYLOAD + 1);
  CHECK(ocfsx_net_check_hdr(&h) == OCFSX_NET_HDR_TOO_LONG);
  h = Header(OCFSX_NET_MAGIC, 7, 0, 0xffffffffu);
  CHECK(ocfsx_net_check_hdr(&h) == OCFSX_NET_HDR_TOO_LONG);
  h = Header(OCFSX_NET_MAGIC, 7, 0x0002, 0);
  CHECK(ocfsx_net_check_hdr(&h) == OCFSX_NET_HDR_BAD_FLAGS);
  const unsigned char be[4] = {0x6f, 0x78, 0x6e, 0x31};
  CHECK(ocfsx_net_be32_get(be) == OCFSX_NET_MAGIC);
}
