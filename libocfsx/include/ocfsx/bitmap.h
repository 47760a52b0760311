// LSB-first bitmap helpers over raw bytes, as used by group descriptors and
// the local-alloc window.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ocfsx::bitmap {

inline bool Test(const uint8_t* map, uint64_t bit) { return (map[bit >> 3] >> (bit & 7)) & 1; }
inline void Set(uint8_t* map, uint64_t bit) { map[bit >> 3] = static_cast<uint8_t>(map[bit >> 3] | (1U << (bit & 7))); }
inline void Clear(uint8_t* map, uint64_t bit) { map[bit >> 3] = static_cast<uint8_t>(map[bit >> 3] & ~(1U << (bit & 7))); }

void SetRange(uint8_t* map, uint64_t bit, uint64_t count);
void ClearRange(uint8_t* map, uint64_t bit, uint64_t count);
// Set bits among the first nbits.
uint64_t CountSet(const uint8_t* map, uint64_t nbits);
// Longest run of clear bits among the first nbits.
uint64_t LongestClearRun(const uint8_t* map, uint64_t nbits);
// First run of at least `count` clear bits starting at or after `from`;
// returns nbits when there is none.
uint64_t FindClearRun(const uint8_t* map, uint64_t nbits, uint64_t from, uint64_t count);
// Length of the run of clear bits starting at bit, capped at max.
uint64_t ClearRunAt(const uint8_t* map, uint64_t nbits, uint64_t bit, uint64_t max);

}  // namespace ocfsx::bitmap
