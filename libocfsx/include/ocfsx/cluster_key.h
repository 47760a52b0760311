// Cluster keys: the shared secret in cluster.conf's cluster stanza that the
// module uses to authenticate nodes. Validation, fingerprints, generation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "ocfsx/status.h"

namespace ocfsx {

inline constexpr size_t kMinKeyBytes = 16;
inline constexpr size_t kMaxKeyBytes = 64;
inline constexpr size_t kGeneratedKeyBytes = 32;
inline constexpr size_t kKeyFingerprintDigits = 16;

// 32..128 hex digits, an even count, either case. The message states the
// rule and never repeats the value: it is a secret.
Status CheckClusterKey(std::string_view hex);
// Lower-case form of a key CheckClusterKey accepts.
std::string NormalizeClusterKey(std::string_view hex);
// The first 16 hex digits of SHA-256 over the key's bytes (not its text),
// as the module's key attribute reads. hex must pass CheckClusterKey.
std::string KeyFingerprint(std::string_view hex);
// kGeneratedKeyBytes from getrandom(2), as lower-case hex.
Result<std::string> GenerateClusterKey();

}  // namespace ocfsx
