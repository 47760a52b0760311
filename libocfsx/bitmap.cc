// Bitmap scans; byte-at-a-time skips keep full or empty regions cheap.
#include "ocfsx/bitmap.h"

#include <bit>

namespace ocfsx::bitmap {

namespace {

// Whole bytes where the run covers them, single bits at its ragged ends.
void FillRange(uint8_t* map, uint64_t bit, uint64_t count, bool value) {
  for (uint64_t i = bit; i < bit + count;) {
    if ((i & 7) == 0 && i + 8 <= bit + count) {
      map[i >> 3] = value ? 0xff : 0;
      i += 8;
    } else if (value) {
      Set(map, i++);
    } else {
      Clear(map, i++);
    }
  }
}

}  // namespace

void SetRange(uint8_t* map, uint64_t bit, uint64_t count) { FillRange(map, bit, count, true); }
void ClearRange(uint8_t* map, uint64_t bit, uint64_t count) { FillRange(map, bit, count, false); }

uint64_t CountSet(const uint8_t* map, uint64_t nbits) {
  uint64_t n = 0, i = 0;
  for (; i + 8 <= nbits; i += 8) n += static_cast<uint64_t>(std::popcount(map[i >> 3]));
  for (; i < nbits; i++) n += Test(map, i);
  return n;
}

uint64_t ClearRunAt(const uint8_t* map, uint64_t nbits, uint64_t bit, uint64_t max) {
  uint64_t n = 0;
  while (bit + n < nbits && n < max) {
    uint64_t i = bit + n;
    if ((i & 7) == 0 && i + 8 <= nbits && n + 8 <= max && map[i >> 3] == 0) {
      n += 8;
      continue;
    }
    if (Test(map, i)) break;
    n++;
  }
  return n;
}

uint64_t LongestClearRun(const uint8_t* map, uint64_t nbits) {
  uint64_t best = 0, i = 0;
  while (i < nbits) {
    if ((i & 7) == 0 && i + 8 <= nbits && map[i >> 3] == 0xff) {
      i += 8;
      continue;
    }
    if (Test(map, i)) {
      i++;
      continue;
    }
    uint64_t run = ClearRunAt(map, nbits, i, nbits);
    if (run > best) best = run;
    i += run;
  }
  return best;
}

uint64_t FindClearRun(const uint8_t* map, uint64_t nbits, uint64_t from, uint64_t count) {
  uint64_t i = from;
  while (i < nbits && i + count <= nbits) {
    if ((i & 7) == 0 && i + 8 <= nbits && map[i >> 3] == 0xff) {
      i += 8;
      continue;
    }
    if (Test(map, i)) {
      i++;
      continue;
    }
    uint64_t run = ClearRunAt(map, nbits, i, count);
    if (run >= count) return i;
    i += run;
  }
  return nbits;
}

}  // namespace ocfsx::bitmap
