// Small deterministic random numbers for the guest load programs: the same
// seed must replay the same run, on any libc.
#pragma once

#include <cstdint>

// SplitMix64 finaliser: spreads (seed, k) into an independent 64-bit value.
inline uint64_t GuestMix(uint64_t seed, uint64_t k) {
  uint64_t x = seed + 0x9E3779B97F4A7C15ULL * (k + 1);
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// xorshift64; the state must not be 0.
struct GuestRng {
  uint64_t s;
  explicit GuestRng(uint64_t seed) : s(GuestMix(seed, 0) | 1) {}
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  unsigned Below(unsigned n) { return static_cast<unsigned>(Next() % n); }
};
