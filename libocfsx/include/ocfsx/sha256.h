// SHA-256 (FIPS 180-4), for cluster-key fingerprints: small and dependency
// free, because no library libocfsx already links provides one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ocfsx {

class Sha256 {
 public:
  Sha256();
  void Update(std::span<const uint8_t> data);
  // Finishes the hash; the object must not be updated afterwards.
  std::array<uint8_t, 32> Final();

 private:
  void Block(const uint8_t* p);

  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes
};

std::array<uint8_t, 32> Sha256Digest(std::span<const uint8_t> data);
// Lower-case hex of bytes.
std::string HexEncode(std::span<const uint8_t> bytes);

}  // namespace ocfsx
