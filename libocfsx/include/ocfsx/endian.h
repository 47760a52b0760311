// Little-endian field access for the on-disk structures. Converting LE to
// host and host to LE is the same operation, so one function serves both.
#pragma once

#include <endian.h>

#include <cstdint>

namespace ocfsx {

inline uint16_t Le16(uint16_t v) { return le16toh(v); }
inline uint32_t Le32(uint32_t v) { return le32toh(v); }
inline uint64_t Le64(uint64_t v) { return le64toh(v); }

}  // namespace ocfsx
