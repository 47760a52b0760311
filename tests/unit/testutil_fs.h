// Helpers for filesystem tests: sparse temporary image files and running
// the built tools as processes.
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace fstest {

// A sparse file of `bytes` bytes in $TMPDIR, removed on destruction.
class TempImage {
 public:
  explicit TempImage(unsigned long long bytes) {
    const char* dir = getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/ocfsx-img-XXXXXX";
    int fd = mkstemp(path_.data());
    if (fd >= 0) {
      if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) path_.clear();
      close(fd);
    }
  }
  ~TempImage() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempImage(const TempImage&) = delete;
  TempImage& operator=(const TempImage&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs a shell command line, capturing its output.
inline RunResult Run(const std::string& cmd) {
  RunResult r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  int st = pclose(p);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// A built tool, by name.
inline std::string Tool(const std::string& name) { return std::string(OCFSX_TOOLS_DIR) + "/" + name; }

}  // namespace fstest
