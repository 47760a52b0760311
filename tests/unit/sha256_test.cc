// SHA-256 against the FIPS 180-2 example vectors, and split updates.
#include <catch2/catch.hpp>
#include <string>
#include <string_view>

#include "ocfsx/sha256.h"

namespace {

std::string HexSha(std::string_view text) {
  return ocfsx::HexEncode(
      ocfsx::Sha256Digest({reinterpret_cast<const uint8_t*>(text.data()), text.size()}));
}

}  // namespace

TEST_CASE("sha256: FIPS 180 example vectors", "[sha256]") {
  CHECK(HexSha("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(HexSha("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexSha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(HexSha("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
               "mnopqrstnopqrstu") == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(HexSha(std::string(1000000, 'a')) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: any split of the input gives the same digest", "[sha256]") {
  // 55, 56 and 64 bytes sit on the padding's boundaries.
  for (size_t len : {0, 1, 55, 56, 63, 64, 65, 119, 120, 200}) {
    std::string text;
    for (size_t i = 0; i < len; i++) text += static_cast<char>('a' + i % 26);
    const std::string whole = HexSha(text);
    const auto* p = reinterpret_cast<const uint8_t*>(text.data());
    for (size_t cut = 0; cut <= len; cut += 7) {
      ocfsx::Sha256 s;
      s.Update({p, cut});
      s.Update({p + cut, len - cut});
      INFO("len " << len << " cut " << cut);
      CHECK(ocfsx::HexEncode(s.Final()) == whole);
    }
  }
}
