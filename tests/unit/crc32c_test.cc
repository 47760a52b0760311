#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include "ocfsx/crc32c.h"

using ocfsx::Crc32c;
using ocfsx::Crc32cUpdate;

TEST_CASE("crc32c matches the published check values", "[crc32c]") {
  const std::string check = "123456789";
  CHECK(Crc32c({reinterpret_cast<const uint8_t*>(check.data()), check.size()}) == 0xE3069283u);

  // RFC 3720 (iSCSI) appendix B.4 vectors.
  std::vector<uint8_t> buf(32, 0x00);
  CHECK(Crc32c(buf) == 0x8A9136AAu);
  std::fill(buf.begin(), buf.end(), 0xFF);
  CHECK(Crc32c(buf) == 0x62A8AB43u);
  std::iota(buf.begin(), buf.end(), uint8_t{0});
  CHECK(Crc32c(buf) == 0x46DD794Eu);
  for (size_t i = 0; i < buf.size(); i++) buf[i] = static_cast<uint8_t>(31 - i);
  CHECK(Crc32c(buf) == 0x113FDB5Cu);
}

TEST_CASE("crc32c of an empty buffer is zero", "[crc32c]") {
  CHECK(Crc32c({}) == 0u);
}

TEST_CASE("crc32c computed in pieces equals one pass", "[crc32c]") {
  std::vector<uint8_t> data(4096 + 7);
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<uint8_t>(i * 131 + 17);
  const uint32_t whole = Crc32c(data);
  for (size_t split : {size_t{0}, size_t{1}, size_t{3}, size_t{8}, size_t{1000}, data.size()}) {
    uint32_t c = Crc32cUpdate(~0u, data.data(), split);
    c = Crc32cUpdate(c, data.data() + split, data.size() - split);
    CHECK(~c == whole);
  }
}

TEST_CASE("crc32c detects every single-bit flip in a block", "[crc32c]") {
  std::vector<uint8_t> block(512);
  for (size_t i = 0; i < block.size(); i++) block[i] = static_cast<uint8_t>(i ^ 0x5A);
  const uint32_t good = Crc32c(block);
  for (size_t bit = 0; bit < block.size() * 8; bit++) {
    block[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    REQUIRE(Crc32c(block) != good);
    block[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  }
}
