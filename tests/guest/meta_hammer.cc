// meta_hammer: threads that change one inode's metadata at the same time,
// for tests/vm/fs-extent-crash.sh.
//
//   meta_hammer FILE SECONDS [PAUSE_US]
//
// Creates FILE and runs, each in its own thread, until SECONDS have passed
// (or the power is cut): utimes with an old atime, chmod, chown, setxattr
// of small values that stay in the inode, ftruncate, O_APPEND writes, and
// reads (each read after an old atime updates it, a change made without
// the inode lock). They all rewrite the same inode block in separate
// transactions, so a checksum that one of them set can be overtaken by
// another's change before jbd2 commits the block. Every call must succeed;
// the first failure is printed and the exit status is 1. PAUSE_US makes
// each thread sleep that long after each change, so that another load
// still gets the CPU.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "guest_rng.h"

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_failed{false};
std::atomic<uint64_t> g_ops{0};
unsigned g_pause_us;

void Fail(const char* what) {
  if (!g_failed.exchange(true))
    std::fprintf(stderr, "meta_hammer: %s failed: %s\n", what, std::strerror(errno));
  g_stop = true;
}

// One thread: op k of the list above, on its own descriptor.
void Run(const char* path, unsigned k) {
  int fd = open(path, k == 5 ? O_WRONLY | O_APPEND : O_RDWR);
  if (fd < 0) return Fail("open");
  GuestRng rng(k + 1);
  char buf[512];
  while (!g_stop) {
    unsigned r = rng.Below(1u << 16);
    switch (k) {
      case 0: {
        struct timeval tv[2] = {{1000000 + r, 0}, {2000000 + r, 0}};
        if (futimes(fd, tv)) return Fail("futimes");
        break;
      }
      case 1:
        if (fchmod(fd, 0600 | (r & 077))) return Fail("fchmod");
        break;
      case 2:
        if (fchown(fd, r & 1023, (r >> 10) & 63)) return Fail("fchown");
        break;
      case 3: {
        std::string name = "user.h" + std::to_string(r % 4);
        std::snprintf(buf, sizeof(buf), "v%u", r);
        if (fsetxattr(fd, name.c_str(), buf, std::strlen(buf), 0)) return Fail("fsetxattr");
        break;
      }
      case 4:
        if (ftruncate(fd, r)) return Fail("ftruncate");
        break;
      case 5:
        std::memset(buf, 'a' + r % 26, sizeof(buf));
        if (write(fd, buf, 1 + r % sizeof(buf)) < 0) return Fail("append write");
        break;
      default:
        if (pread(fd, buf, sizeof(buf), r % 4096) < 0) return Fail("pread");
        break;
    }
    ++g_ops;
    if (g_pause_us) usleep(g_pause_us);
  }
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: meta_hammer FILE SECONDS [NICE]\n");
    return 2;
  }
  if (argc == 4) g_pause_us = static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10));
  int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "meta_hammer: cannot create %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  close(fd);
  std::vector<std::thread> threads;
  for (unsigned k = 0; k < 8; k++) threads.emplace_back(Run, argv[1], k > 6 ? 6 : k);
  std::this_thread::sleep_for(std::chrono::seconds(std::atoi(argv[2])));
  g_stop = true;
  for (auto& t : threads) t.join();
  std::printf("meta_hammer: %llu changes to %s\n", static_cast<unsigned long long>(g_ops.load()),
              argv[1]);
  return g_failed ? 1 : 0;
}
