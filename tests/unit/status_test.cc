#include <catch2/catch.hpp>

#include "ocfsx/status.h"

using ocfsx::Result;
using ocfsx::Status;

namespace {
Result<int> Half(int x) {
  if (x % 2) return Status::Invalid("odd number " + std::to_string(x));
  return x / 2;
}
Status Chain(int x, int* out) {
  OCFSX_RETURN_IF_ERROR(Half(x).status());
  *out = *Half(x);
  return Status();
}
}  // namespace

TEST_CASE("Status carries errno and message", "[status]") {
  CHECK(Status().ok());
  Status s = Status::Corrupt("inode 17: bad checksum");
  CHECK_FALSE(s.ok());
  CHECK(s.corrupt());
  CHECK(s.err() == EUCLEAN);
  CHECK(s.WithContext("/dev/vda").message() == "/dev/vda: inode 17: bad checksum");
  CHECK(Status::Error(0, "x").err() == EIO);  // an error is never ok
}

TEST_CASE("Result holds a value or the reason", "[status]") {
  auto r = Half(8);
  REQUIRE(r.ok());
  CHECK(*r == 4);
  auto bad = Half(3);
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().err() == EINVAL);
  CHECK(bad.status().message() == "odd number 3");
  int out = 0;
  CHECK(Chain(10, &out).ok());
  CHECK(out == 5);
  CHECK(Chain(7, &out).message() == "odd number 7");
}
