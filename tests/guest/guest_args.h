// Command lines of the guest test programs: a wrong argument count prints
// the usage line, and a number that does not parse stops the program
// rather than running a different test with 0.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

// True when argc is WANT; otherwise prints "usage: USAGE" and is false.
inline bool GuestArgc(int argc, int want, const char* usage) {
  if (argc == want) return true;
  std::fprintf(stderr, "usage: %s\n", usage);
  return false;
}

// S as an unsigned decimal; exits 2 naming PROG and WHAT if it is not one.
inline uint64_t GuestNumber(const char* prog, const char* what, const char* s) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || *s == '-') {
    std::fprintf(stderr, "%s: %s '%s' is not an unsigned decimal number; pass one\n", prog, what, s);
    std::exit(2);
  }
  return v;
}
