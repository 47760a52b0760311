// Status helpers that need more than the header: errno text.
#include "ocfsx/status.h"

#include <cstring>

namespace ocfsx {

Status ErrnoStatus(int err, const std::string& context, std::string_view hint) {
  std::string msg = context;
  if (!msg.empty()) msg += ": ";
  msg += std::strerror(err);
  if (!hint.empty()) {
    msg += "; ";
    msg += hint;
  }
  return Status::Error(err, std::move(msg));
}

}  // namespace ocfsx
