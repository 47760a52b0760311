// CRC32C (Castagnoli), the checksum on every ocfsx metadata block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ocfsx {

// Raw update with no pre- or post-inversion: the same contract as the
// kernel's crc32c(seed, data, len), so both sides compute identical values.
uint32_t Crc32cUpdate(uint32_t crc, const void* data, size_t len);

// The standard CRC-32C of a buffer (initial ~0, final inversion).
inline uint32_t Crc32c(std::span<const uint8_t> data) {
  return ~Crc32cUpdate(~uint32_t{0}, data.data(), data.size());
}

}  // namespace ocfsx
