// debugfs.ocfsx commands: one session over an open volume; each command
// prints to stdout and reports failure as one "cmd: message" line on stderr.
#pragma once

#include <memory>
#include <string>

#include "ocfsx/volume.h"

namespace debugfs {

struct Session {
  Session(std::string d, std::unique_ptr<ocfsx::Volume> v) : dev(std::move(d)), vol(std::move(v)) {}
  std::string dev;
  std::unique_ptr<ocfsx::Volume> vol;
};

enum class Outcome { kOk, kFailed, kQuit };

// Parses and runs one command line (blank lines and #comments do nothing).
Outcome RunLine(Session& s, const std::string& line);

}  // namespace debugfs
