// Whole-file read and atomic replace (temp file + fsync + rename + dir fsync).
#include "ocfsx/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

namespace ocfsx {
namespace {

// Closes an fd on scope exit; close errors on the read path are irrelevant.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteAll(int fd, const std::string& data, const std::string& what) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write " + what);
    }
    done += static_cast<size_t>(n);
  }
  return Status();
}

}  // namespace

Result<std::string> ReadFileToString(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open " + path);
  FdCloser closer(fd);
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status AtomicWriteFile(const std::string& path, const std::string& data, mode_t mode, ModePolicy policy) {
  struct stat st;
  if (policy == ModePolicy::kKeepExisting && ::stat(path.c_str(), &st) == 0) mode = st.st_mode & 07777;

  // A random suffix keeps two concurrent writers from sharing a temp file;
  // O_EXCL makes a collision an error instead of a silent clobber.
  std::random_device rd;
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
    tmp = path + ".tmp." + std::to_string(rd() % 1000000);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return ErrnoStatus(errno, "cannot create temporary file " + tmp);

  auto fail = [&](Status s) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  // open() applied the umask; the final file must have exactly mode.
  if (::fchmod(fd, mode) != 0) return fail(ErrnoStatus(errno, "cannot chmod " + tmp));
  Status s = WriteAll(fd, data, tmp);
  if (!s.ok()) return fail(s);
  if (::fsync(fd) != 0) return fail(ErrnoStatus(errno, "cannot fsync " + tmp));
  int rc = ::close(fd);
  fd = -1;
  if (rc != 0) return fail(ErrnoStatus(errno, "cannot close " + tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return fail(ErrnoStatus(errno, "cannot rename " + tmp + " to " + path));

  const std::string dir = DirName(path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ErrnoStatus(errno, "cannot open directory " + dir);
  FdCloser dcloser(dfd);
  if (::fsync(dfd) != 0) return ErrnoStatus(errno, "cannot fsync directory " + dir);
  return Status();
}

}  // namespace ocfsx
