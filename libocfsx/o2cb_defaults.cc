// Parser for /etc/default/o2cbx. The file is also sourced by shell scripts,
// so the accepted syntax is the subset of sh that assigns plain values.
#include "ocfsx/o2cb_defaults.h"

#include <cctype>

#include "ocfsx/file_util.h"

namespace ocfsx {
namespace {

struct IntKey {
  const char* key;
  const char* attr;  // the configfs attribute it feeds
};
const IntKey kIntKeys[] = {
    {"O2CBX_HEARTBEAT_THRESHOLD", "dead_threshold"},
    {"O2CBX_HEARTBEAT_INTERVAL_MS", "heartbeat_interval_ms"},
    {"O2CBX_IDLE_TIMEOUT_MS", "idle_timeout_ms"},
    {"O2CBX_KEEPALIVE_DELAY_MS", "keepalive_delay_ms"},
    {"O2CBX_RECONNECT_DELAY_MS", "reconnect_delay_ms"},
};
constexpr const char* kKnownKeys =
    "O2CBX_ENABLED, O2CBX_BOOTCLUSTER, O2CBX_HEARTBEAT_THRESHOLD, O2CBX_HEARTBEAT_INTERVAL_MS, "
    "O2CBX_IDLE_TIMEOUT_MS, O2CBX_KEEPALIVE_DELAY_MS, O2CBX_RECONNECT_DELAY_MS, O2CBX_FENCE_METHOD";

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

bool ValidShellName(std::string_view k) {
  if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// Splits the value off "KEY=<rest>": quotes, then only a comment may follow.
bool ParseShellValue(std::string_view rest, std::string* out, std::string* why) {
  out->clear();
  size_t i = 0;
  while (i < rest.size() && !std::isspace(static_cast<unsigned char>(rest[i]))) {
    char c = rest[i];
    if (c == '"' || c == '\'') {
      size_t end = i + 1;
      while (end < rest.size() && rest[end] != c) {
        if (c == '"' && rest[end] == '\\' && end + 1 < rest.size()) {
          out->push_back(rest[end + 1]);
          end += 2;
          continue;
        }
        out->push_back(rest[end++]);
      }
      if (end >= rest.size()) {
        *why = std::string("missing closing ") + c;
        return false;
      }
      i = end + 1;
    } else if (c == '$' || c == '`' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')') {
      *why = std::string("'") + c + "' is not supported here; write a plain value";
      return false;
    } else {
      out->push_back(c);
      i++;
    }
  }
  std::string_view tail = TrimLeft(rest.substr(i));
  if (!tail.empty() && tail[0] != '#') {
    *why = "unexpected text after the value (quote values that contain spaces)";
    return false;
  }
  return true;
}

}  // namespace

Result<O2cbDefaults> O2cbDefaults::Parse(std::string_view text, const std::string& source) {
  O2cbDefaults d;
  int lineno = 0;
  int keepalive_line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    lineno++;
    const std::string at = source + ":" + std::to_string(lineno) + ": ";
    line = TrimLeft(line);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    if (line.substr(0, 7) == "export ") line = TrimLeft(line.substr(7));

    size_t eq = line.find('=');
    std::string key(line.substr(0, eq == std::string_view::npos ? line.size() : eq));
    if (eq == std::string_view::npos || !ValidShellName(key))
      return Status::Invalid(at + "expected KEY=value (no spaces around '='), got \"" + std::string(line) +
                             "\"");
    std::string value, why;
    if (!ParseShellValue(line.substr(eq + 1), &value, &why)) return Status::Invalid(at + key + ": " + why);

    if (key.rfind("O2CB_", 0) == 0)
      return Status::Invalid(at + key + " is o2cb's name; ocfsx reads O2CBX_" + key.substr(5));
    if (key.rfind("O2CBX_", 0) != 0) continue;  // someone else's variable

    if (key == "O2CBX_ENABLED") {
      std::string v;
      for (char c : value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (v.empty() || v == "true" || v == "yes" || v == "1") {
        d.enabled = true;
      } else if (v == "false" || v == "no" || v == "0") {
        d.enabled = false;
      } else {
        return Status::Invalid(at + "O2CBX_ENABLED=" + value + " is invalid; use true or false");
      }
    } else if (key == "O2CBX_BOOTCLUSTER") {
      if (!value.empty()) {
        Status s = CheckClusterName(value);
        if (!s.ok()) return Status::Invalid(at + "O2CBX_BOOTCLUSTER: " + s.message());
      }
      d.bootcluster = value;
    } else if (key == "O2CBX_FENCE_METHOD") {
      if (value.empty()) value = ClusterParams().fence_method;
      if (!ValidFenceMethod(value))
        return Status::Invalid(at + "O2CBX_FENCE_METHOD=" + value + " is invalid; use panic, reboot or halt");
      d.params.fence_method = value;
    } else {
      const IntKey* ik = nullptr;
      for (const auto& k : kIntKeys)
        if (key == k.key) ik = &k;
      if (!ik) return Status::Invalid(at + "unknown setting " + key + " (known: " + kKnownKeys + ")");
      const ParamRange* range = nullptr;
      for (const auto& r : ClusterParamRanges())
        if (std::string_view(r.attr) == ik->attr) range = &r;
      if (value.empty()) {
        d.params.*range->field = ClusterParams().*range->field;
        continue;
      }
      long long v = 0;
      bool digits = value.size() <= 9;
      for (char c : value) digits = digits && c >= '0' && c <= '9';
      if (digits) v = std::stoll(value);
      if (!digits || v < range->min || v > range->max)
        return Status::Invalid(at + key + "=" + value + " out of range " + std::to_string(range->min) + ".." +
                               std::to_string(range->max));
      d.params.*range->field = static_cast<int>(v);
      if (key == "O2CBX_KEEPALIVE_DELAY_MS" || key == "O2CBX_IDLE_TIMEOUT_MS") keepalive_line = lineno;
    }
  }
  if (d.params.keepalive_delay_ms >= d.params.idle_timeout_ms)
    return Status::Invalid(source + ":" + std::to_string(keepalive_line) + ": O2CBX_KEEPALIVE_DELAY_MS (" +
                           std::to_string(d.params.keepalive_delay_ms) +
                           ") must be less than O2CBX_IDLE_TIMEOUT_MS (" +
                           std::to_string(d.params.idle_timeout_ms) + ")");
  return d;
}

Result<O2cbDefaults> O2cbDefaults::Load(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) {
    if (text.status().err() == ENOENT) return O2cbDefaults();
    return text.status();
  }
  return Parse(*text, path);
}

}  // namespace ocfsx
