// fs_crash: the workload and the checker of tests/vm/fs-crash.sh.
//
//   fs_crash work DIR LOG SEED ROUND     writes files until the power is cut
//   fs_crash verify DIR LOG SEED ROUND   checks them after the reboot
//
// Every file's name, size and bytes follow from (SEED, ROUND, index), so the
// checker can rebuild what each file must hold. After a file and its
// directory were fsync'ed, "work" appends one 512-byte record naming it to
// LOG, a byte range of the raw device outside the volume (LOG is
// "DEVICE:OFFSET"), with O_DIRECT|O_DSYNC so the record is on disk before the
// next file starts. "verify" requires every recorded file to hold exactly
// its bytes; any other file of the round that survived must hold a prefix
// of its bytes (data=ordered: no stale blocks, no garbage past the data).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "guest_args.h"
#include "guest_rng.h"

namespace {

constexpr uint32_t kRecMagic = 0x43525348;  // "CRSH"
constexpr unsigned kMaxFiles = 4000;

struct Rec {
  uint32_t magic;
  uint32_t round;
  uint32_t index;
  uint32_t size;
  uint64_t seed;
};

uint64_t Mix(uint64_t x) { return GuestMix(x, 0); }

struct File {
  std::string dir, name;
  uint32_t size;
  unsigned kind;  // 0: plain; 1: fsync'ed in place; 2: tmp + fsync + rename
};

std::string g_root;
uint64_t g_seed;
unsigned g_round;

File Describe(unsigned i) {
  uint64_t h = Mix(g_seed ^ Mix(g_round * 100003ULL + i));
  File f;
  f.dir = g_root + "/r" + std::to_string(g_round) + "/s" + std::to_string(h % 4);
  f.name = "f" + std::to_string(i);
  unsigned sz = static_cast<unsigned>((h >> 8) % 8);
  // Mostly small files, a few spanning several clusters.
  f.size = static_cast<uint32_t>(sz < 5 ? (h >> 16) % 9000 : (h >> 16) % 300000);
  f.kind = static_cast<unsigned>((h >> 40) % 3);
  return f;
}

uint8_t ByteAt(unsigned i, uint32_t off) {
  return static_cast<uint8_t>(Mix(g_seed + i * 0x100000001ULL + (off / 8)) >> ((off % 8) * 8));
}

void Content(unsigned i, uint32_t size, std::vector<uint8_t>& buf) {
  buf.resize(size);
  for (uint32_t o = 0; o < size; o++) buf[o] = ByteAt(i, o);
}

[[noreturn]] void Die(const std::string& what) {
  std::printf("fs_crash: %s: %s\n", what.c_str(), std::strerror(errno));
  std::fflush(stdout);
  std::exit(1);
}

int OpenLog(const std::string& spec, off_t* off, int flags) {
  size_t colon = spec.rfind(':');
  if (colon == std::string::npos) {
    errno = EINVAL;
    Die("LOG must be DEVICE:OFFSET");
  }
  *off = static_cast<off_t>(std::strtoull(spec.c_str() + colon + 1, nullptr, 10));
  int fd = open(spec.substr(0, colon).c_str(), flags);
  if (fd < 0) Die("open " + spec);
  return fd;
}

void FsyncPath(const std::string& p) {
  int fd = open(p.c_str(), O_RDONLY);
  if (fd < 0 || fsync(fd) != 0) Die("fsync " + p);
  close(fd);
}

void WriteAll(const std::string& path, unsigned i, const File& f, bool sync) {
  std::vector<uint8_t> buf;
  Content(i, f.size, buf);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) Die("create " + path);
  // Uneven chunks, so writes straddle pages and clusters.
  uint32_t off = 0;
  uint64_t h = Mix(i);
  while (off < f.size) {
    uint32_t n = std::min<uint32_t>(f.size - off, 1 + static_cast<uint32_t>(h % 20000));
    h = Mix(h);
    if (write(fd, buf.data() + off, n) != static_cast<ssize_t>(n)) Die("write " + path);
    off += n;
  }
  if (sync && fsync(fd) != 0) Die("fsync " + path);
  close(fd);
}

int Work(const std::string& log) {
  off_t log_off;
  int lfd = OpenLog(log, &log_off, O_WRONLY | O_DIRECT | O_DSYNC);
  void* rec_buf;
  if (posix_memalign(&rec_buf, 4096, 4096) != 0) Die("memalign");
  // An empty first record ends the list of an earlier round.
  std::memset(rec_buf, 0, 4096);
  if (pwrite(lfd, rec_buf, 4096, log_off) != 4096) Die("clear log");
  std::string rdir = g_root + "/r" + std::to_string(g_round);
  if (mkdir(rdir.c_str(), 0755) != 0) Die("mkdir " + rdir);
  for (int s = 0; s < 4; s++) {
    std::string d = rdir + "/s" + std::to_string(s);
    if (mkdir(d.c_str(), 0755) != 0) Die("mkdir " + d);
  }
  FsyncPath(rdir);
  FsyncPath(g_root);
  unsigned recorded = 0;
  for (unsigned i = 0; i < kMaxFiles; i++) {
    File f = Describe(i);
    std::string path = f.dir + "/" + f.name;
    if (f.kind == 2) {
      std::string tmp = f.dir + "/t" + std::to_string(i);
      WriteAll(tmp, i, f, true);
      if (rename(tmp.c_str(), path.c_str()) != 0) Die("rename " + tmp);
    } else {
      WriteAll(path, i, f, f.kind == 1);
    }
    // Churn that must not disturb the recorded files: a name made and
    // removed, an older unsynced file truncated or renamed away.
    std::string junk = f.dir + "/j" + std::to_string(i);
    if (symlink(f.name.c_str(), junk.c_str()) != 0 || unlink(junk.c_str()) != 0) Die("symlink " + junk);
    if (f.kind != 0) {
      FsyncPath(f.dir);
      Rec* r = static_cast<Rec*>(rec_buf);
      std::memset(rec_buf, 0, 512);
      *r = Rec{kRecMagic, g_round, i, f.size, g_seed};
      off_t at = log_off + static_cast<off_t>(recorded) * 512;
      // The next slot, zeroed in the same write, ends the list.
      std::memset(static_cast<char*>(rec_buf) + 512, 0, 512);
      if (pwrite(lfd, rec_buf, 1024, at) != 1024) Die("write log");
      recorded++;
    }
  }
  std::printf("fs_crash: round %u wrote %u files (%u recorded) without a power cut\n", g_round, kMaxFiles,
              recorded);
  return 0;
}

int Verify(const std::string& log) {
  off_t log_off;
  // O_DIRECT: the node checking may hold an older copy of the log in its
  // page cache (node 2 checks every other round).
  int lfd = OpenLog(log, &log_off, O_RDONLY | O_DIRECT);
  void* blk;
  if (posix_memalign(&blk, 4096, 4096) != 0) Die("memalign");
  std::vector<bool> recorded(kMaxFiles, false);
  unsigned nrec = 0, bad = 0, prefixes = 0, missing_plain = 0;
  for (;; nrec++) {
    Rec r;
    if (nrec % 8 == 0 &&
        pread(lfd, blk, 4096, log_off + static_cast<off_t>(nrec / 8) * 4096) != 4096)
      Die("read log");
    std::memcpy(&r, static_cast<char*>(blk) + (nrec % 8) * 512, sizeof(r));
    if (r.magic != kRecMagic) break;
    if (r.round != g_round || r.seed != g_seed || r.index >= kMaxFiles) {
      std::printf("fs_crash: log record %u is of round %u seed %llu, expected round %u\n", nrec, r.round,
                  static_cast<unsigned long long>(r.seed), g_round);
      return 1;
    }
    recorded[r.index] = true;
  }
  std::vector<uint8_t> want, got;
  // Files are made in index order: after 100 missing ones in a row none
  // of the rest can exist.
  for (unsigned i = 0, misses = 0; i < kMaxFiles && misses < 100; i++) {
    File f = Describe(i);
    std::string path = f.dir + "/" + f.name;
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) {
      if (errno != ENOENT) Die("open " + path);
      if (recorded[i]) {
        std::printf("fs_crash: %s was fsync'ed (%u bytes) but is missing\n", path.c_str(), f.size);
        bad++;
      } else {
        missing_plain++;
      }
      misses++;
      continue;
    }
    misses = 0;
    struct stat st;
    if (fstat(fd, &st) != 0) Die("stat " + path);
    got.resize(static_cast<size_t>(st.st_size));
    if (st.st_size > 0 && pread(fd, got.data(), got.size(), 0) != st.st_size) Die("read " + path);
    close(fd);
    Content(i, f.size, want);
    bool prefix = got.size() <= want.size() && std::memcmp(got.data(), want.data(), got.size()) == 0;
    if (recorded[i] && (got.size() != want.size() || !prefix)) {
      std::printf("fs_crash: %s was fsync'ed with %u bytes; it has %zu bytes%s\n", path.c_str(), f.size,
                  got.size(), prefix ? " (a prefix)" : ", not a prefix of its data");
      bad++;
    } else if (!recorded[i] && !prefix) {
      size_t at = 0;
      while (at < got.size() && at < want.size() && got[at] == want[at]) at++;
      std::printf("fs_crash: %s (not fsync'ed) has %zu bytes that are not a prefix of its %u bytes "
                  "(first difference at byte %zu)\n",
                  path.c_str(), got.size(), f.size, at);
      bad++;
    } else if (!recorded[i]) {
      prefixes++;
    }
  }
  std::printf("fs_crash: round %u: %u fsync'ed files checked, %u other files hold a prefix, %u problems\n",
              g_round, nrec, prefixes, bad);
  (void)missing_plain;
  return bad ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (!GuestArgc(argc, 6, "fs_crash work|verify DIR DEVICE:OFFSET SEED ROUND")) return 2;
  g_root = argv[2];
  g_seed = GuestNumber("fs_crash", "SEED", argv[4]);
  g_round = static_cast<unsigned>(GuestNumber("fs_crash", "ROUND", argv[5]));
  std::string mode = argv[1];
  if (mode == "work") return Work(argv[3]);
  if (mode == "verify") return Verify(argv[3]);
  std::fprintf(stderr, "fs_crash: unknown mode %s\n", mode.c_str());
  return 2;
}
