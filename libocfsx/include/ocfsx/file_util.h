// Whole-file read and crash-safe whole-file replace for small config files.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "ocfsx/status.h"

namespace ocfsx {

// Reads all of path. A missing file is an error with err() == ENOENT.
Result<std::string> ReadFileToString(const std::string& path);

// Replaces path with data so that a crash at any point leaves either the old
// or the new contents, never a mix: the data goes to a temporary file in the
// same directory, which is fsynced, renamed over path, and then the directory
// is fsynced so the rename itself is durable. On failure the temporary file
// is removed and path is untouched. mode applies when path does not exist;
// an existing file keeps its mode unless policy is kForce (a file that now
// holds a secret must not stay readable).
enum class ModePolicy { kKeepExisting, kForce };
Status AtomicWriteFile(const std::string& path, const std::string& data, mode_t mode = 0644,
                       ModePolicy policy = ModePolicy::kKeepExisting);

}  // namespace ocfsx
