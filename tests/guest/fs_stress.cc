// fs_stress DIR SECONDS PROCS SEED: PROCS processes do random namespace,
// data and xattr operations in one shared tree under DIR for SECONDS.
// Names come from a small set so the processes collide (rename over a file
// another one writes, rmdir of a directory another one fills...). Errors a
// race can cause (ENOENT, EEXIST, ENOTEMPTY, ...) are counted; anything else
// (EIO, EUCLEAN, EROFS, ...) is printed and makes the run exit 1. Same SEED,
// same sequence of choices per process.
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "guest_args.h"
#include "guest_rng.h"

namespace {

enum Op { kCreate, kWrite, kMmapWrite, kRead, kRename, kUnlink, kTruncate, kMkdir, kRmdir,
          kLink, kSymlink, kSetxattr, kRemovexattr, kFsync, kReaddir, kOps };
const char* const kOpNames[kOps] = {"create", "write", "mmap-write", "read", "rename", "unlink",
                                    "truncate", "mkdir", "rmdir", "link", "symlink", "setxattr",
                                    "removexattr", "fsync", "readdir"};
// Relative weights: data and namespace churn dominate.
const int kWeights[kOps] = {12, 14, 3, 6, 10, 8, 6, 5, 4, 4, 3, 5, 2, 3, 3};


std::string g_root;

// A path of depth 0..2 below the root: d0..d3 directories, n0..n11 leaves.
std::string Dir(GuestRng& r) {
  std::string p = g_root;
  unsigned depth = r.Below(3);
  for (unsigned i = 0; i < depth; i++) p += "/d" + std::to_string(r.Below(4));
  return p;
}
std::string Leaf(GuestRng& r) { return Dir(r) + "/n" + std::to_string(r.Below(12)); }

// Errors that only mean another process changed the tree first, or that a
// limit the workload may hit was reached.
bool Expected(int op, int e) {
  switch (e) {
    case ENOENT: case EEXIST: case ENOTEMPTY: case ENOTDIR: case EISDIR:
    case ENODATA: case ENOSPC: case EMLINK: case ELOOP: case EBUSY: case ENAMETOOLONG:
      return true;
    case EINVAL:  // a directory moved below itself
      return op == kRename;
    case EPERM:  // a hard link to a directory
      return op == kLink;
    default:
      return false;
  }
}

// A file another process truncates under our mapping raises SIGBUS on the
// store: a race like ENOENT, counted as such (ENOENT).
sigjmp_buf g_bus;
void OnBus(int) { siglongjmp(g_bus, 1); }

// Its own frame, so the jump clobbers nothing of the caller's.
bool StoreOrBus(char* p, size_t n) {
  if (sigsetjmp(g_bus, 1) != 0) return false;
  std::memset(p, 'M', n);
  return true;
}

struct Stats {
  long done[kOps] = {};
  long failed_expected[kOps] = {};
  long unexpected = 0;
};

void Note(Stats& st, int op, int ret, const std::string& what) {
  if (ret >= 0) {
    st.done[op]++;
    return;
  }
  int e = errno;
  if (Expected(op, e)) {
    st.failed_expected[op]++;
    return;
  }
  // The first few say what broke; after a remount-ro every call fails.
  if (++st.unexpected > 10) return;
  std::printf("fs_stress: %s %s: unexpected error: %s\n", kOpNames[op], what.c_str(), std::strerror(e));
  std::fflush(stdout);
}

void Fill(GuestRng& r, std::vector<char>& buf, size_t n) {
  buf.resize(n);
  for (size_t i = 0; i < n; i++) buf[i] = static_cast<char>('a' + (r.Next() & 15));
}

int OneOp(GuestRng& r, Stats& st) {
  unsigned pick = r.Below(100);
  int op = 0;
  for (int acc = 0; op < kOps; op++) {
    acc += kWeights[op];
    if (static_cast<int>(pick) < acc) break;
  }
  if (op >= kOps) op = kWrite;
  std::string a = Leaf(r), b;
  std::vector<char> buf;
  int ret = 0;
  switch (op) {
    case kCreate: {
      int fd = open(a.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
      ret = fd;
      if (fd >= 0) {
        Fill(r, buf, r.Below(3) ? r.Below(6000) : r.Below(70000));
        ret = static_cast<int>(write(fd, buf.data(), buf.size()));
        close(fd);
      }
      break;
    }
    case kWrite: {
      int fd = open(a.c_str(), O_WRONLY | (r.Below(4) ? 0 : O_APPEND));
      ret = fd;
      if (fd >= 0) {
        Fill(r, buf, 1 + r.Below(r.Below(4) ? 9000 : 40000));
        ret = static_cast<int>(pwrite(fd, buf.data(), buf.size(), r.Below(r.Below(8) ? 65536 : 600000)));
        close(fd);
      }
      break;
    }
    case kMmapWrite: {
      int fd = open(a.c_str(), O_RDWR);
      ret = fd;
      struct stat s;
      if (fd >= 0 && (ret = fstat(fd, &s)) == 0 && S_ISREG(s.st_mode) && s.st_size > 0) {
        size_t len = static_cast<size_t>(s.st_size);
        void* m = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED) {
          ret = -1;
        } else {
          size_t off = r.Below(static_cast<unsigned>(len));
          size_t n = std::min<size_t>(len - off, 1 + r.Below(8192));
          if (StoreOrBus(static_cast<char*>(m) + off, n)) {
            ret = msync(m, len, MS_SYNC);
          } else {
            errno = ENOENT;
            ret = -1;
          }
          munmap(m, len);
        }
      }
      if (fd >= 0) close(fd);
      break;
    }
    case kRead: {
      int fd = open(a.c_str(), O_RDONLY);
      ret = fd;
      if (fd >= 0) {
        buf.resize(65536);
        ssize_t n;
        while ((n = read(fd, buf.data(), buf.size())) > 0) {
        }
        ret = static_cast<int>(n);
        close(fd);
      }
      break;
    }
    case kRename:
      b = r.Below(3) ? Leaf(r) : Dir(r) + "/d" + std::to_string(r.Below(4));
      ret = rename(a.c_str(), b.c_str());
      a += " -> " + b;
      break;
    case kUnlink:
      ret = unlink(a.c_str());
      break;
    case kTruncate:
      ret = truncate(a.c_str(), r.Below(3) ? r.Below(20000) : r.Below(400000));
      break;
    case kMkdir:
      a = Dir(r) + "/d" + std::to_string(r.Below(4));
      ret = mkdir(a.c_str(), 0755);
      break;
    case kRmdir:
      a = Dir(r) + "/d" + std::to_string(r.Below(4));
      ret = rmdir(a.c_str());
      break;
    case kLink:
      b = Leaf(r);
      ret = link(a.c_str(), b.c_str());
      a += " -> " + b;
      break;
    case kSymlink: {
      std::string target(1 + r.Below(r.Below(2) ? 40 : 300), 'x');
      target[0] = '.';
      ret = symlink(target.c_str(), a.c_str());
      break;
    }
    case kSetxattr: {
      std::string name = "user.s" + std::to_string(r.Below(6));
      Fill(r, buf, r.Below(90));
      ret = setxattr(a.c_str(), name.c_str(), buf.data(), buf.size(), 0);
      // A symlink or special file cannot carry user. names.
      if (ret < 0 && errno == EPERM) ret = 0;
      break;
    }
    case kRemovexattr: {
      std::string name = "user.s" + std::to_string(r.Below(6));
      ret = removexattr(a.c_str(), name.c_str());
      if (ret < 0 && errno == EPERM) ret = 0;
      break;
    }
    case kFsync: {
      int fd = open(r.Below(2) ? a.c_str() : Dir(r).c_str(), O_RDONLY);
      ret = fd;
      if (fd >= 0) {
        ret = fsync(fd);
        close(fd);
      }
      break;
    }
    case kReaddir: {
      a = Dir(r);
      DIR* d = opendir(a.c_str());
      ret = d ? 0 : -1;
      if (d) {
        struct stat s;
        while (struct dirent* de = readdir(d)) fstatat(dirfd(d), de->d_name, &s, AT_SYMLINK_NOFOLLOW);
        closedir(d);
      }
      break;
    }
  }
  Note(st, op, ret, a);
  return op;
}

int Worker(unsigned idx, unsigned seconds, uint64_t seed) {
  GuestRng r(GuestMix(seed, idx));
  Stats st;
  signal(SIGBUS, OnBus);
  time_t end = time(nullptr) + seconds;
  long n = 0;
  while (time(nullptr) < end) {
    OneOp(r, st);
    n++;
  }
  std::printf("fs_stress: process %u: %ld operations, %ld unexpected errors;", idx, n, st.unexpected);
  for (int op = 0; op < kOps; op++) std::printf(" %s %ld/%ld", kOpNames[op], st.done[op], st.failed_expected[op]);
  std::printf("\n");
  // The caller leaves with _exit(), which does not flush stdio.
  std::fflush(stdout);
  return st.unexpected ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (!GuestArgc(argc, 5, "fs_stress DIR SECONDS PROCS SEED")) return 2;
  g_root = argv[1];
  unsigned seconds = static_cast<unsigned>(GuestNumber("fs_stress", "SECONDS", argv[2]));
  unsigned procs = static_cast<unsigned>(GuestNumber("fs_stress", "PROCS", argv[3]));
  uint64_t seed = GuestNumber("fs_stress", "SEED", argv[4]);
  std::printf("fs_stress: %u processes for %u s in %s, seed %llu\n", procs, seconds, g_root.c_str(),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  for (unsigned i = 0; i < procs; i++) {
    pid_t pid = fork();
    if (pid == 0) _exit(Worker(i, seconds, seed));
    if (pid < 0) {
      std::perror("fs_stress: fork");
      return 1;
    }
  }
  int bad = 0, status;
  while (wait(&status) > 0) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) bad++;
  }
  std::printf("fs_stress: %s\n", bad ? "unexpected errors (see above)" : "no unexpected errors");
  return bad ? 1 : 0;
}
