// Cluster keys: hex validation, SHA-256 fingerprints and generation from the
// kernel's random source.
#include "ocfsx/cluster_key.h"

#include <sys/random.h>

#include <cctype>
#include <cerrno>
#include <vector>

#include "ocfsx/file_util.h"
#include "ocfsx/sha256.h"

namespace ocfsx {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Status CheckClusterKey(std::string_view hex) {
  bool ok = hex.size() >= 2 * kMinKeyBytes && hex.size() <= 2 * kMaxKeyBytes && hex.size() % 2 == 0;
  for (char c : hex) ok = ok && HexValue(c) >= 0;
  if (ok) return Status();
  return Status::Invalid("key is invalid: use an even number of 32 to 128 hex digits (16 to 64 bytes); "
                         "'o2cbx generate-key' makes one");
}

std::string NormalizeClusterKey(std::string_view hex) {
  std::string out(hex);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string KeyFingerprint(std::string_view hex) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<uint8_t>(HexValue(hex[i]) << 4 | HexValue(hex[i + 1])));
  return HexEncode(Sha256Digest(bytes)).substr(0, kKeyFingerprintDigits);
}

Result<std::string> GenerateClusterKey() {
  uint8_t bytes[kGeneratedKeyBytes];
  size_t done = 0;
  while (done < sizeof(bytes)) {
    ssize_t n = ::getrandom(bytes + done, sizeof(bytes) - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot read random bytes for the key (getrandom)");
    }
    done += static_cast<size_t>(n);
  }
  return HexEncode(bytes);
}

}  // namespace ocfsx
