// posix_test DIR: POSIX behaviour with exact expectations (sizes, contents,
// errno), run in the test VMs on ocfsx and on ext4 so both must agree.
//
//   posix_test [-l] [-k PATTERN]... DIR
//
// Every case runs in its own child process with its own fresh directory
// DIR/posix.PID/CASE as the working directory (removed when the case passes),
// so a crash or a hang fails that case only. Prints one line per failed
// expectation, then "ok: CASE" or "FAILED: CASE", and "N passed, N failed"
// (expectations) last. -k selects cases by fnmatch pattern, -l lists them.
//
// POSIX_TEST_XFAIL="case ..." names cases known to fail: such a case that
// fails prints "XFAIL: CASE" and does not fail the run; one that passes
// prints "XPASS: CASE" and fails the run, so the list cannot rot.
// POSIX_TEST_LARGE_DIR=N sets the entries of large-dir (default 5000;
// 100000 for the full check, which needs that many free inodes).
// POSIX_TEST_KEEP=1 keeps passed cases' directories too, for fsck to check.
// Must run as root (chown, mknod, trusted.* xattrs, drop_caches).
#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <grp.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace {

int g_passed = 0;
int g_failed = 0;
std::string g_dir;
std::string g_test;

void Expect(bool ok, const std::string& what) {
  if (ok) {
    g_passed++;
    return;
  }
  g_failed++;
  std::printf("FAIL %s: %s (errno now %d: %s)\n", g_test.c_str(), what.c_str(), errno, std::strerror(errno));
}

// Expects call() == -1 with errno == want.
void ExpectErrno(long long ret, int want, const std::string& what) {
  bool ok = ret == -1 && errno == want;
  if (!ok) {
    std::printf("FAIL %s: %s returned %lld errno %d (%s), want errno %d (%s)\n", g_test.c_str(), what.c_str(), ret,
                errno, std::strerror(errno), want, std::strerror(want));
    g_failed++;
  } else {
    g_passed++;
  }
}

// A value as a failure line shows it: strings escaped and cut at 40 bytes.
template <typename T>
std::string Show(const T& v) {
  if constexpr (std::is_convertible_v<T, std::string>) {
    std::string s = v, out = "\"";
    for (size_t i = 0; i < s.size() && i < 40; i++) {
      unsigned char c = s[i];
      char b[8];
      std::snprintf(b, sizeof(b), c >= 32 && c < 127 && c != '"' && c != '\\' ? "%c" : "\\x%02x", c);
      out += b;
    }
    out += "\"";
    if (s.size() > 40) out += "... (" + std::to_string(s.size()) + " bytes)";
    return out;
  } else if constexpr (std::is_same_v<T, bool>) {
    return v ? "true" : "false";
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    if constexpr (std::is_signed_v<T> || std::is_enum_v<T>) return std::to_string(static_cast<long long>(v));
    else return std::to_string(static_cast<unsigned long long>(v));
  } else if constexpr (std::is_same_v<T, std::set<std::string>>) {
    std::string out = "{";
    size_t n = 0;
    for (const auto& s : v) {
      if (n++ == 8) {
        out += " ... (" + std::to_string(v.size()) + " names)";
        break;
      }
      out += (n > 1 ? "," : "") + s;
    }
    return out + "}";
  } else {
    return "?";
  }
}

// Expects actual == want; a failure shows both values.
template <typename A, typename W>
void ExpectEq(const A& actual, const W& want, const char* what, int line) {
  int err = errno;
  bool ok = actual == want;
  errno = err;
  Expect(ok, "line " + std::to_string(line) + ": " + what + " is " + Show(actual) + ", want " + Show(want));
}

// Expects two byte strings equal; a failure shows the first difference.
void ExpectData(const std::string& actual, const std::string& want, const char* what, int line) {
  size_t i = 0;
  while (i < want.size() && i < actual.size() && want[i] == actual[i]) i++;
  char b[160];
  if (i < want.size() && i < actual.size())
    std::snprintf(b, sizeof(b), "%zu bytes with 0x%02x at offset %zu, want %zu bytes with 0x%02x there",
                  actual.size(), static_cast<unsigned char>(actual[i]), i, want.size(),
                  static_cast<unsigned char>(want[i]));
  else
    std::snprintf(b, sizeof(b), "%zu bytes, want %zu (equal up to offset %zu)", actual.size(), want.size(), i);
  Expect(actual == want, "line " + std::to_string(line) + ": " + what + ": " + b);
}

// Short forms of the above that name the expression and the line.
#define EQ(actual, want) ExpectEq((actual), (want), #actual, __LINE__)
#define DATA(actual, want) ExpectData((actual), (want), #actual, __LINE__)
#define TRUE(cond, what) Expect((cond), "line " + std::to_string(__LINE__) + ": " + (what))
#define ERR(call, err) ExpectErrno(static_cast<long long>(call), (err), "line " + std::to_string(__LINE__) + ": " #call)
#define SYS(call) Sys((call), #call, __LINE__)

// Expects call to succeed (not -1); yields its result either way.
template <typename T>
T Sys(T r, const char* what, int line) {
  Expect(r != static_cast<T>(-1), "line " + std::to_string(line) + ": " + what + " succeeds");
  return r;
}

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  operator int() const { return fd; }
};

#define OPEN(path, flags, ...) SYS(open((path), (flags)__VA_OPT__(, ) __VA_ARGS__))

constexpr off_t KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB;

std::string P(const std::string& name) { return g_dir + "/" + name; }

bool WriteFile(const std::string& path, const std::string& data, int flags = O_WRONLY | O_CREAT | O_TRUNC) {
  int fd = open(path.c_str(), flags, 0644);
  if (fd < 0) return false;
  bool ok = write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  return close(fd) == 0 && ok;
}

std::string ReadFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return "<open failed>";
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, n);
  close(fd);
  return out;
}

off_t SizeOf(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// Deterministic bytes from a xorshift: data that is lost or misplaced
// cannot read back as the same pattern by accident.
std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 12345;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

void Put(const std::string& path, const std::string& data) { Expect(WriteFile(path, data), "write " + path); }

void WriteAll(int fd, const std::string& d, off_t off) {
  ssize_t n = pwrite(fd, d.data(), d.size(), off);
  Expect(n == static_cast<ssize_t>(d.size()),
         "pwrite " + std::to_string(d.size()) + " bytes at " + std::to_string(off) + " wrote " + std::to_string(n));
}

std::string ReadAt(int fd, off_t off, size_t len) {
  std::string s(len, '\0');
  size_t done = 0;
  while (done < len) {
    ssize_t n = pread(fd, s.data() + done, len - done, off + done);
    if (n <= 0) {
      Expect(n == 0, "pread at " + std::to_string(off + done));
      break;
    }
    done += n;
  }
  s.resize(done);
  return s;
}

struct stat Stat(const std::string& path) {
  struct stat st = {};
  Expect(stat(path.c_str(), &st) == 0, "stat " + path);
  return st;
}

struct stat Lstat(const std::string& path) {
  struct stat st = {};
  Expect(lstat(path.c_str(), &st) == 0, "lstat " + path);
  return st;
}

struct stat Fstat(int fd) {
  struct stat st = {};
  Expect(fstat(fd, &st) == 0, "fstat");
  return st;
}

void Touch(const std::string& path) { Fd fd(OPEN(path.c_str(), O_WRONLY | O_CREAT, 0644)); }

// Names in a directory (with "." and ".."), each with its d_type; a name
// listed twice is a failed expectation.
std::map<std::string, int> DirTypes(const std::string& path) {
  std::map<std::string, int> out;
  DIR* d = opendir(path.c_str());
  Expect(d != nullptr, "opendir " + path);
  if (!d) return out;
  errno = 0;
  int dups = 0;
  while (struct dirent* e = readdir(d)) dups += !out.emplace(e->d_name, e->d_type).second;
  Expect(errno == 0 && dups == 0, "readdir " + path + " lists each name once, without error");
  closedir(d);
  return out;
}

std::set<std::string> DirNames(const std::string& path) {
  std::set<std::string> s;
  for (auto& [n, t] : DirTypes(path)) s.insert(n);
  return s;
}

std::set<std::string> Names(std::initializer_list<std::string> l) {
  std::set<std::string> s{".", ".."};
  s.insert(l.begin(), l.end());
  return s;
}

std::string Xget(const std::string& path, const char* name) {
  ssize_t n = getxattr(path.c_str(), name, nullptr, 0);
  Expect(n >= 0, "getxattr " + path + " " + name);
  if (n < 0) return "<no value>";
  std::string v(n, '\0');
  EQ(getxattr(path.c_str(), name, v.data(), v.size()), n);
  return v;
}

std::set<std::string> Xlist(const std::string& path) {
  std::set<std::string> out;
  ssize_t n = SYS(llistxattr(path.c_str(), nullptr, 0));
  if (n < 0) return out;
  std::string buf(n, '\0');
  EQ(llistxattr(path.c_str(), buf.data(), buf.size()), n);
  for (size_t i = 0; i < buf.size(); i += std::strlen(buf.c_str() + i) + 1) out.insert(buf.c_str() + i);
  return out;
}

// Runs fn in a child with the given credentials; yields its exit status,
// 0 when every expectation in fn held.
int RunAs(uid_t uid, gid_t gid, const std::function<void()>& fn) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    if (setgroups(0, nullptr) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) _exit(99);
    int before = g_failed;
    fn();
    std::fflush(stdout);
    _exit(g_failed == before ? 0 : 1);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void Pause() {
  // Coarse timestamps tick at most every few ms: sleep past one.
  struct timespec ts = {0, 30 * 1000 * 1000};
  nanosleep(&ts, nullptr);
}

bool TsEq(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

char* AlignedBuf(size_t n) { return static_cast<char*>(aligned_alloc(4096, n)); }

void* Map(int fd, size_t len, int prot, int flags) {
  void* p = mmap(nullptr, len, prot, flags, fd, 0);
  Expect(p != MAP_FAILED, "mmap " + std::to_string(len) + " bytes");
  return p == MAP_FAILED ? nullptr : p;
}

// Writes back and drops every clean cache, so what follows reads the disk.
void DropCaches() {
  Fd d(OPEN(".", O_RDONLY | O_DIRECTORY));
  SYS(syncfs(d));
  Fd fd(OPEN("/proc/sys/vm/drop_caches", O_WRONLY));
  EQ(write(fd, "3", 1), 1);
}

// create, open, read, write through the page cache

// O_CREAT|O_EXCL creates an empty 0644 file once, EEXIST after.
void TestCreateExcl() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT | O_EXCL, 0666));
  struct stat st = Fstat(fd);
  EQ(S_ISREG(st.st_mode), true);
  EQ(st.st_mode & 07777, 0644u);  // umask 022
  EQ(st.st_size, 0);
  EQ(st.st_nlink, 1u);
  EQ(st.st_uid, 0u);
  EQ(st.st_blocks, 0);
  ERR(open("f", O_RDWR | O_CREAT | O_EXCL, 0666), EEXIST);
  EQ(DirNames("."), Names({"f"}));
}

// ENOENT, ENOTDIR, EISDIR, ELOOP/O_NOFOLLOW and O_DIRECTORY errors of open.
void TestOpenErrors() {
  ERR(open("missing", O_RDONLY), ENOENT);
  ERR(open("nodir/f", O_RDWR | O_CREAT, 0644), ENOENT);
  Touch("f");
  ERR(open("f/x", O_RDONLY), ENOTDIR);
  ERR(open("f/x", O_RDWR | O_CREAT, 0644), ENOTDIR);
  ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
  SYS(mkdir("d", 0755));
  ERR(open("d", O_WRONLY), EISDIR);
  ERR(open("d", O_RDWR), EISDIR);
  ERR(open("d", O_RDONLY | O_CREAT, 0644), EISDIR);
  Fd d(OPEN("d", O_RDONLY | O_DIRECTORY));
  SYS(symlink("f", "l"));
  ERR(open("l", O_RDONLY | O_NOFOLLOW), ELOOP);
}

// A 5-byte write reads back exactly; size 5; read at EOF is 0.
void TestWriteReadSmall() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  EQ(write(fd, "hello", 5), 5);
  EQ(lseek(fd, 0, SEEK_CUR), 5);
  EQ(Fstat(fd).st_size, 5);
  char buf[16];
  EQ(read(fd, buf, sizeof buf), 0);
  EQ(pread(fd, buf, sizeof buf, 0), 5);
  EQ(std::string(buf, 5), std::string("hello"));
  EQ(pread(fd, buf, sizeof buf, 3), 2);
  EQ(pread(fd, buf, sizeof buf, 5), 0);
  EQ(pread(fd, buf, sizeof buf, 1 << 20), 0);
  DATA(ReadFile("f"), "hello");
}

// 1 MiB written in odd-sized chunks reads back in other odd-sized chunks.
void TestWriteRead1mChunks() {
  std::string d = Pattern(MiB + 17, 1);
  {
    Fd fd(OPEN("f", O_WRONLY | O_CREAT, 0644));
    size_t off = 0, step = 1;
    while (off < d.size()) {
      size_t n = std::min(step, d.size() - off);
      EQ(write(fd, d.data() + off, n), static_cast<ssize_t>(n));
      off += n;
      step = step * 3 + 7;
      if (step > 70000) step = 333;
    }
  }
  Fd fd(OPEN("f", O_RDONLY));
  std::string back;
  char buf[5003];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) back.append(buf, n);
  EQ(n, 0);
  DATA(back, d);
  EQ(Fstat(fd).st_size, MiB + 17);
}

// Pwrite past EOF leaves a zero-filled gap and sets the size exactly.
void TestPwritePastEof() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  EQ(pwrite(fd, "abc", 3, 10000), 3);
  EQ(Fstat(fd).st_size, 10003);
  EQ(lseek(fd, 0, SEEK_CUR), 0);
  DATA(ReadAt(fd, 0, 20000), std::string(10000, '\0') + "abc");
  EQ(pwrite(fd, "XY", 2, 4095), 2);
  DATA(ReadAt(fd, 4094, 4), std::string("\0XY\0", 4));
}

// Overwriting across page boundaries changes only the written bytes.
void TestOverwriteMiddle() {
  std::string d = Pattern(5 * 4096, 2);
  Put("f", d);
  Fd fd(OPEN("f", O_RDWR));
  std::string w = Pattern(4096 + 200, 3);
  WriteAll(fd, w, 4000);
  d.replace(4000, w.size(), w);
  DATA(ReadAt(fd, 0, 10 * 4096), d);
  EQ(Fstat(fd).st_size, 5 * 4096);
}

// O_TRUNC empties an existing file and frees its blocks.
void TestOTrunc() {
  Put("f", Pattern(100000, 4));
  Fd fd(OPEN("f", O_RDWR | O_TRUNC));
  struct stat st = Fstat(fd);
  EQ(st.st_size, 0);
  EQ(st.st_blocks, 0);
  char c;
  EQ(read(fd, &c, 1), 0);
}

// O_APPEND writes land at EOF for every fd, even after lseek and with pwrite.
void TestOAppend() {
  Fd a(OPEN("f", O_WRONLY | O_CREAT | O_APPEND, 0644));
  Fd b(OPEN("f", O_WRONLY | O_APPEND));
  Fd plain(OPEN("f", O_WRONLY));
  EQ(write(a, "aa", 2), 2);
  EQ(write(b, "bbb", 3), 3);
  EQ(lseek(b, 0, SEEK_CUR), 5);
  EQ(lseek(a, 0, SEEK_SET), 0);
  EQ(write(a, "c", 1), 1);
  EQ(lseek(a, 0, SEEK_CUR), 6);
  EQ(pwrite(b, "d", 1, 0), 1);  // Linux appends: documented in pwrite(2) BUGS
  EQ(write(plain, "Z", 1), 1);  // a plain fd still writes at its offset
  DATA(ReadFile("f"), "Zabbbcd");
  EQ(Stat("f").st_size, 7);
}

// Two processes appending 1000 records each lose and tear none.
void TestAppendConcurrent() {
  Fd fd(OPEN("f", O_WRONLY | O_CREAT | O_APPEND, 0644));
  fflush(stdout);
  pid_t pid = SYS(fork());
  char rec[32];
  const char who = pid == 0 ? 'c' : 'p';
  for (int i = 0; i < 1000; i++) {
    snprintf(rec, sizeof rec, "%c%07d\n", who, i);
    if (write(fd, rec, 9) != 9) _exit(3);
  }
  if (pid == 0) _exit(0);
  int st;
  SYS(waitpid(pid, &st, 0));
  EQ(st, 0);
  std::string all = ReadFile("f");
  EQ(all.size(), 18000u);
  int next[2] = {0, 0};
  for (size_t i = 0; i < all.size(); i += 9) {
    int k = all[i] == 'p' ? 0 : 1;
    snprintf(rec, sizeof rec, "%c%07d\n", all[i], next[k]++);
    EQ(all.substr(i, 9), std::string(rec));
  }
  EQ(next[0] + next[1], 2000);
}

// A write through one fd is seen at once through another fd and a mapping.
void TestPageCacheCoherence() {
  Fd w(OPEN("f", O_RDWR | O_CREAT, 0644));
  Fd r(OPEN("f", O_RDONLY));
  WriteAll(w, Pattern(8192, 5), 0);
  void* p = mmap(nullptr, 8192, PROT_READ, MAP_SHARED, r, 0);
  TRUE(p != MAP_FAILED, "mmap");
  WriteAll(w, "NEW", 4096);
  DATA(ReadAt(r, 4096, 3), "NEW");
  EQ(std::string(static_cast<char*>(p) + 4096, 3), std::string("NEW"));
  munmap(p, 8192);
}

// SEEK_DATA/SEEK_HOLE find a 1 MiB-aligned data block in a sparse file; ENXIO past EOF.
void TestLseekDataHole() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  WriteAll(fd, Pattern(4096, 6), MiB);
  SYS(fsync(fd));
  EQ(lseek(fd, 0, SEEK_DATA), MiB);
  EQ(lseek(fd, 0, SEEK_HOLE), 0);
  EQ(lseek(fd, MiB, SEEK_HOLE), MiB + 4096);  // the virtual hole at EOF
  ERR(lseek(fd, MiB + 4096, SEEK_DATA), ENXIO);
  ERR(lseek(fd, MiB + 4096, SEEK_HOLE), ENXIO);
  EQ(lseek(fd, 0, SEEK_END), MiB + 4096);
  ERR(lseek(fd, -1, SEEK_SET), EINVAL);
}

// A byte at 100 MiB: zeros before it, st_blocks far below the size.
void TestSparseFile() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  EQ(pwrite(fd, "x", 1, 100 * MiB), 1);
  SYS(fsync(fd));
  struct stat st = Fstat(fd);
  EQ(st.st_size, 100 * MiB + 1);
  TRUE(st.st_blocks > 0 && st.st_blocks * 512 <= 2 * MiB, "0 < st_blocks*512 <= 2 MiB");
  DATA(ReadAt(fd, 50 * MiB, 65536), std::string(65536, '\0'));
  DATA(ReadAt(fd, 100 * MiB - 3, 10), std::string("\0\0\0x", 4));
  // Filling part of the hole allocates there and nowhere else.
  WriteAll(fd, Pattern(8192, 7), 10 * MiB);
  DATA(ReadAt(fd, 10 * MiB - 1, 8194), std::string(1, '\0') + Pattern(8192, 7) + std::string(1, '\0'));
  EQ(Fstat(fd).st_size, 100 * MiB + 1);
}


// O_DIRECT aligned writes and reads round-trip and agree with buffered reads.
void TestOdirectRoundtrip() {
  const size_t n = 256 * KiB;
  std::string d = Pattern(n, 8);
  char* buf = AlignedBuf(n);
  memcpy(buf, d.data(), n);
  Fd fd(OPEN("f", O_RDWR | O_CREAT | O_DIRECT, 0644));
  EQ(pwrite(fd, buf, n, 0), static_cast<ssize_t>(n));
  EQ(pwrite(fd, buf, 4096, MiB), 4096);  // extends the file, leaving a hole
  EQ(Fstat(fd).st_size, MiB + 4096);
  memset(buf, 0, n);
  EQ(pread(fd, buf, n, 0), static_cast<ssize_t>(n));
  DATA(std::string(buf, n), d);
  EQ(pread(fd, buf, 8192, MiB - 4096), 8192);
  DATA(std::string(buf, 8192), std::string(4096, '\0') + d.substr(0, 4096));
  EQ(pread(fd, buf, 8192, MiB + 4096), 0);  // at EOF
  Fd b(OPEN("f", O_RDONLY));
  DATA(ReadAt(b, 0, n), d);
  free(buf);
}

// O_DIRECT with a misaligned offset, length or buffer is EINVAL.
void TestOdirectUnaligned() {
  char* buf = AlignedBuf(8192);
  memset(buf, 'a', 8192);
  Fd fd(OPEN("f", O_RDWR | O_CREAT | O_DIRECT, 0644));
  ERR(pwrite(fd, buf, 4096, 1), EINVAL);
  ERR(pwrite(fd, buf, 100, 0), EINVAL);
  ERR(pwrite(fd, buf + 1, 4096, 0), EINVAL);
  EQ(Fstat(fd).st_size, 0);
  free(buf);
}

// O_DIRECT reads see dirty buffered data; buffered reads see O_DIRECT writes.
void TestOdirectBufferedMix() {
  char* buf = AlignedBuf(65536);
  Fd b(OPEN("f", O_RDWR | O_CREAT, 0644));
  Fd d(OPEN("f", O_RDWR | O_DIRECT));
  std::string p1 = Pattern(65536, 9), p2 = Pattern(16384, 10);
  WriteAll(b, p1, 0);  // dirty in the page cache, not yet written back
  EQ(pread(d, buf, 65536, 0), 65536);
  DATA(std::string(buf, 65536), p1);
  DATA(ReadAt(b, 0, 65536), p1);  // pages now cached
  memcpy(buf, p2.data(), p2.size());
  EQ(pwrite(d, buf, 16384, 8192), 16384);
  p1.replace(8192, 16384, p2);
  DATA(ReadAt(b, 0, 65536), p1);
  free(buf);
}

// mmap


// A read mapping shows the file; the tail of the last page reads as zeros.
void TestMmapRead() {
  std::string d = Pattern(10000, 11);
  Put("f", d);
  Fd fd(OPEN("f", O_RDONLY));
  char* p = static_cast<char*>(Map(fd, 12288, PROT_READ, MAP_SHARED));
  DATA(std::string(p, 10000), d);
  DATA(std::string(p + 10000, 12288 - 10000), std::string(12288 - 10000, '\0'));
  munmap(p, 12288);
}

// MAP_SHARED stores reach read() at once and the file after msync and reopen.
void TestMmapWriteShared() {
  Put("f", std::string(3 * 4096, 'a'));
  {
    Fd fd(OPEN("f", O_RDWR));
    char* p = static_cast<char*>(Map(fd, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED));
    memcpy(p + 4090, "mapped-write", 12);
    DATA(ReadAt(fd, 4088, 16), "aamapped-writeaa");
    EQ(msync(p, 3 * 4096, MS_SYNC), 0);
    munmap(p, 3 * 4096);
    EQ(Fstat(fd).st_size, 3 * 4096);
  }
  std::string want(3 * 4096, 'a');
  want.replace(4090, 12, "mapped-write");
  DATA(ReadFile("f"), want);
}

// MAP_PRIVATE stores stay private; the file and other mappings are unchanged.
void TestMmapPrivate() {
  Put("f", std::string(4096, 'a'));
  Fd fd(OPEN("f", O_RDWR));
  char* p = static_cast<char*>(Map(fd, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE));
  p[0] = 'Z';
  DATA(ReadFile("f"), std::string(4096, 'a'));
  EQ(p[0], 'Z');
  munmap(p, 4096);
}

sigjmp_buf g_jmp;
void OnSigbus(int) { siglongjmp(g_jmp, 1); }

// Touching a mapped page wholly past EOF raises SIGBUS.
void TestMmapSigbus() {
  Put("f", std::string(100, 'a'));
  Fd fd(OPEN("f", O_RDWR));
  char* p = static_cast<char*>(Map(fd, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED));
  signal(SIGBUS, OnSigbus);
  volatile int got = 0;
  if (sigsetjmp(g_jmp, 1) == 0) {
    got = p[4096];
    got = 1000;
  } else {
    got = -1;
  }
  EQ(static_cast<int>(got), -1);
  EQ(p[99], 'a');
  EQ(p[100], '\0');
  munmap(p, 2 * 4096);
}

// Stores through a mapping of a sparse file allocate and persist.
void TestMmapFillHole() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  SYS(ftruncate(fd, MiB));
  EQ(Fstat(fd).st_blocks, 0);
  char* p = static_cast<char*>(Map(fd, MiB, PROT_READ | PROT_WRITE, MAP_SHARED));
  for (off_t off = 0; off < MiB; off += 64 * KiB) p[off + 1] = static_cast<char>(off >> 16);
  EQ(msync(p, MiB, MS_SYNC), 0);
  munmap(p, MiB);
  TRUE(Fstat(fd).st_blocks >= 16 * 8, "st_blocks >= 16 pages after msync");
  for (off_t off = 0; off < MiB; off += 64 * KiB)
    DATA(ReadAt(fd, off, 3), (std::string{'\0', static_cast<char>(off >> 16), '\0'}));
  EQ(Fstat(fd).st_size, MiB);
}

// Truncate down then up zeroes the cut part of a mapped page.
void TestMmapTruncate() {
  Put("f", std::string(8192, 'x'));
  Fd fd(OPEN("f", O_RDWR));
  char* p = static_cast<char*>(Map(fd, 8192, PROT_READ | PROT_WRITE, MAP_SHARED));
  SYS(ftruncate(fd, 1000));
  SYS(ftruncate(fd, 8192));
  EQ(p[999], 'x');
  EQ(p[1000], '\0');
  EQ(p[5000], '\0');
  DATA(ReadAt(fd, 0, 8192), std::string(1000, 'x') + std::string(7192, '\0'));
  munmap(p, 8192);
}

// A shared writable mapping of an O_RDONLY fd is EACCES; of O_WRONLY too.
void TestMmapEacces() {
  Put("f", "abc");
  Fd r(OPEN("f", O_RDONLY));
  ERR(reinterpret_cast<intptr_t>(mmap(nullptr, 4096, PROT_WRITE, MAP_SHARED, r, 0)), EACCES);
  Fd w(OPEN("f", O_WRONLY));
  ERR(reinterpret_cast<intptr_t>(mmap(nullptr, 4096, PROT_READ, MAP_SHARED, w, 0)), EACCES);
}

// mkdir, rmdir, unlink

// Mkdir: mode, st_nlink 2, parent st_nlink grows, EEXIST, ENOENT, ENOTDIR.
void TestMkdirBasic() {
  nlink_t parent = Stat(".").st_nlink;
  SYS(mkdir("d", 0777));
  struct stat st = Stat("d");
  EQ(S_ISDIR(st.st_mode), true);
  EQ(st.st_mode & 07777, 0755u);
  EQ(st.st_nlink, 2u);
  EQ(Stat(".").st_nlink, parent + 1);
  EQ(DirNames("d"), Names({}));
  ERR(mkdir("d", 0755), EEXIST);
  ERR(mkdir("x/y", 0755), ENOENT);
  Touch("f");
  ERR(mkdir("f", 0755), EEXIST);
  ERR(mkdir("f/y", 0755), ENOTDIR);
  for (int i = 0; i < 3; i++) SYS(mkdir(("d/s" + std::to_string(i)).c_str(), 0700));
  EQ(Stat("d").st_nlink, 5u);
  EQ(Stat("d/s1").st_mode & 07777, 0700u);
  SYS(rmdir("d/s1"));
  EQ(Stat("d").st_nlink, 4u);
}

// Rmdir: ENOTEMPTY, EINVAL for '.', ENOTDIR, ENOENT; success frees the name.
void TestRmdirErrors() {
  SYS(mkdir("d", 0755));
  Touch("d/f");
  ERR(rmdir("d"), ENOTEMPTY);
  ERR(rmdir("d/."), EINVAL);
  ERR(rmdir("d/.."), ENOTEMPTY);
  ERR(rmdir("d/f"), ENOTDIR);
  ERR(rmdir("nope"), ENOENT);
  SYS(unlink("d/f"));
  nlink_t parent = Stat(".").st_nlink;
  SYS(rmdir("d"));
  EQ(Stat(".").st_nlink, parent - 1);
  ERR(access("d", F_OK), ENOENT);
  EQ(DirNames("."), Names({}));
}

// A removed directory still open has st_nlink 0 and refuses new entries (ENOENT).
void TestRmdirOpen() {
  SYS(mkdir("d", 0755));
  Fd d(OPEN("d", O_RDONLY | O_DIRECTORY));
  SYS(rmdir("d"));
  EQ(Fstat(d).st_nlink, 0u);
  ERR(openat(d, "x", O_RDWR | O_CREAT, 0644), ENOENT);
  ERR(mkdirat(d, "x", 0755), ENOENT);
}

// Unlink removes the name; EISDIR for directories; ENOENT twice.
void TestUnlinkBasic() {
  Touch("f");
  SYS(mkdir("d", 0755));
  SYS(unlink("f"));
  ERR(unlink("f"), ENOENT);
  ERR(unlink("d"), EISDIR);
  ERR(unlink("nodir/f"), ENOENT);
  EQ(DirNames("."), Names({"d"}));
}

// An unlinked open file keeps its data, st_nlink 0, and stays writable.
void TestUnlinkOpenFile() {
  std::string d = Pattern(50000, 12);
  Put("f", d);
  Fd fd(OPEN("f", O_RDWR));
  SYS(unlink("f"));
  EQ(Fstat(fd).st_nlink, 0u);
  DATA(ReadAt(fd, 0, 60000), d);
  WriteAll(fd, "tail", 50000);
  EQ(Fstat(fd).st_size, 50004);
  EQ(DirNames("."), Names({}));
  Touch("f");  // the name is free for a new file
  EQ(Stat("f").st_size, 0);
  TRUE(Stat("f").st_ino != Fstat(fd).st_ino, "a new inode number");
}

// A 20-level path resolves; a file in the middle is ENOTDIR.
void TestDeepPath() {
  std::string p = ".";
  for (int i = 0; i < 20; i++) {
    p += "/d" + std::to_string(i);
    SYS(mkdir(p.c_str(), 0755));
  }
  Put((p + "/leaf").c_str(), "deep");
  DATA(ReadFile((p + "/leaf").c_str()), "deep");
  EQ(Stat("d0/d1/d2/..").st_ino, Stat("d0/d1").st_ino);
  Touch("d0/d1/file");
  ERR(open("d0/d1/file/d2", O_RDONLY), ENOTDIR);
}

// rename

// Rename within a directory keeps the inode, data and link count.
void TestRenameSameDir() {
  Put("a", "data");
  ino_t ino = Stat("a").st_ino;
  SYS(rename("a", "b"));
  EQ(DirNames("."), Names({"b"}));
  EQ(Stat("b").st_ino, ino);
  EQ(Stat("b").st_nlink, 1u);
  DATA(ReadFile("b"), "data");
  ERR(rename("a", "c"), ENOENT);
  ERR(rename("b", "nodir/c"), ENOENT);
}

// Rename over an existing file replaces it; the old target lives on while open.
void TestRenameOverFile() {
  Put("a", "new");
  Put("b", "old");
  Fd old(OPEN("b", O_RDONLY));
  ino_t ia = Stat("a").st_ino;
  SYS(rename("a", "b"));
  EQ(DirNames("."), Names({"b"}));
  EQ(Stat("b").st_ino, ia);
  DATA(ReadFile("b"), "new");
  EQ(Fstat(old).st_nlink, 0u);
  DATA(ReadAt(old, 0, 10), "old");
}

// Rename across directories moves files and dirs, fixes '..' and link counts.
void TestRenameAcrossDirs() {
  SYS(mkdir("p", 0755));
  SYS(mkdir("q", 0755));
  SYS(mkdir("p/sub", 0755));
  Put("p/f", "file");
  SYS(rename("p/f", "q/f2"));
  DATA(ReadFile("q/f2"), "file");
  EQ(DirNames("p"), Names({"sub"}));
  SYS(rename("p/sub", "q/sub"));
  EQ(Stat("p").st_nlink, 2u);
  EQ(Stat("q").st_nlink, 3u);
  EQ(Stat("q/sub/..").st_ino, Stat("q").st_ino);
  auto t = DirTypes("q/sub");
  EQ(t.size(), 2u);
  EQ(DirNames("q"), Names({"f2", "sub"}));
  EQ(DirNames("p"), Names({}));
}

// Dir over empty dir ok; over non-empty ENOTEMPTY; dir/file mixes ENOTDIR/EISDIR; into itself EINVAL.
void TestRenameDirRules() {
  SYS(mkdir("a", 0755));
  SYS(mkdir("b", 0755));
  SYS(mkdir("c", 0755));
  Touch("c/x");
  Touch("f");
  ino_t ia = Stat("a").st_ino;
  nlink_t parent = Stat(".").st_nlink;
  SYS(rename("a", "b"));
  EQ(Stat("b").st_ino, ia);
  EQ(Stat(".").st_nlink, parent - 1);
  ERR(rename("b", "c"), ENOTEMPTY);
  ERR(rename("b", "f"), ENOTDIR);
  ERR(rename("f", "b"), EISDIR);
  ERR(rename("c", "c/sub"), EINVAL);
  SYS(mkdir("c/in", 0755));
  ERR(rename("c", "c/in/deeper"), EINVAL);
  ERR(rename("c/in", "c/in/x"), EINVAL);
  EQ(DirNames("."), Names({"b", "c", "f"}));
  EQ(DirNames("c"), Names({"x", "in"}));
}

// Rename of a name onto itself or onto a hard link of the same file does nothing.
void TestRenameSameInode() {
  Put("a", "x");
  SYS(link("a", "b"));
  SYS(rename("a", "a"));
  SYS(rename("a", "b"));
  EQ(DirNames("."), Names({"a", "b"}));
  EQ(Stat("a").st_nlink, 2u);
}

// RENAME_NOREPLACE: EEXIST over an existing name (both kept), renames otherwise.
void TestRenameNoreplace() {
  Put("a", "A");
  Put("b", "B");
  ERR(renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_NOREPLACE), EEXIST);
  DATA(ReadFile("a"), "A");
  DATA(ReadFile("b"), "B");
  SYS(mkdir("d", 0755));
  ERR(renameat2(AT_FDCWD, "a", AT_FDCWD, "d", RENAME_NOREPLACE), EEXIST);
  SYS(renameat2(AT_FDCWD, "a", AT_FDCWD, "d/c", RENAME_NOREPLACE));
  DATA(ReadFile("d/c"), "A");
  EQ(DirNames("."), Names({"b", "d"}));
  ERR(renameat2(AT_FDCWD, "b", AT_FDCWD, "d/c", RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
}

// RENAME_EXCHANGE swaps a file and a directory across parents; '..' and link counts follow.
void TestRenameExchange() {
  SYS(mkdir("p", 0755));
  SYS(mkdir("q", 0755));
  Put("p/f", "file");
  SYS(mkdir("q/d", 0755));
  Touch("q/d/inner");
  ino_t fi = Stat("p/f").st_ino, di = Stat("q/d").st_ino;
  SYS(renameat2(AT_FDCWD, "p/f", AT_FDCWD, "q/d", RENAME_EXCHANGE));
  EQ(Stat("p/f").st_ino, di);
  EQ(Stat("q/d").st_ino, fi);
  DATA(ReadFile("q/d"), "file");
  EQ(DirNames("p/f"), Names({"inner"}));
  EQ(Stat("p/f/..").st_ino, Stat("p").st_ino);
  EQ(Stat("p").st_nlink, 3u);
  EQ(Stat("q").st_nlink, 2u);
  auto tp = DirTypes("p"), tq = DirTypes("q");
  EQ(tp["f"], static_cast<int>(DT_DIR));
  EQ(tq["d"], static_cast<int>(DT_REG));
  ERR(renameat2(AT_FDCWD, "p/f", AT_FDCWD, "q/none", RENAME_EXCHANGE), ENOENT);
  Put("x", "X");
  Put("y", "Y");
  SYS(renameat2(AT_FDCWD, "x", AT_FDCWD, "y", RENAME_EXCHANGE));
  DATA(ReadFile("x"), "Y");
  DATA(ReadFile("y"), "X");
}

// hard links and symlinks

// Link shares the inode: st_nlink counts names, data is shared, unlink drops one.
void TestLinkBasic() {
  Put("a", "shared");
  SYS(mkdir("d", 0755));
  SYS(link("a", "b"));
  SYS(link("a", "d/c"));
  EQ(Stat("a").st_nlink, 3u);
  EQ(Stat("d/c").st_ino, Stat("a").st_ino);
  Put("b", "changed");
  DATA(ReadFile("d/c"), "changed");
  SYS(unlink("a"));
  EQ(Stat("b").st_nlink, 2u);
  ERR(link("b", "d/c"), EEXIST);
  ERR(link("d", "d2"), EPERM);
  ERR(link("missing", "x"), ENOENT);
  EQ(DirNames("."), Names({"b", "d"}));
}

// 200 hard links give st_nlink 201; removing them counts down to 1.
void TestLinkMany() {
  Touch("f");
  for (int i = 0; i < 200; i++) SYS(link("f", ("l" + std::to_string(i)).c_str()));
  EQ(Stat("f").st_nlink, 201u);
  EQ(DirNames(".").size(), 203u);
  for (int i = 0; i < 200; i += 2) SYS(unlink(("l" + std::to_string(i)).c_str()));
  EQ(Stat("l1").st_nlink, 101u);
  for (int i = 1; i < 200; i += 2) SYS(unlink(("l" + std::to_string(i)).c_str()));
  EQ(Stat("f").st_nlink, 1u);
}

// Symlinks of 1..4095 bytes read back exactly with st_size = length; 4096 is ENAMETOOLONG.
void TestSymlinkLengths() {
  for (size_t len : {1, 2, 59, 60, 61, 100, 255, 256, 1000, 4000, 4095}) {
    std::string target = Pattern(len, static_cast<uint32_t>(len));
    for (auto& c : target) c = static_cast<char>('a' + static_cast<unsigned char>(c) % 26);
    if (len > 1) target[len / 2] = '/';
    std::string name = "s" + std::to_string(len);
    SYS(symlink(target.c_str(), name.c_str()));
    struct stat st = Lstat(name.c_str());
    EQ(S_ISLNK(st.st_mode), true);
    EQ(st.st_size, static_cast<off_t>(len));
    std::string buf(5000, '\0');
    EQ(readlink(name.c_str(), buf.data(), buf.size()), static_cast<ssize_t>(len));
    EQ(buf.substr(0, len), target);
    EQ(readlink(name.c_str(), buf.data(), 3), static_cast<ssize_t>(std::min<size_t>(3, len)));
  }
  ERR(symlink(std::string(4096, 'a').c_str(), "toolong"), ENAMETOOLONG);
  ERR(symlink("", "empty"), ENOENT);
}

// Symlinks resolve to files and dirs; dangling: ENOENT and O_CREAT creates the target; loops ELOOP.
void TestSymlinkResolve() {
  SYS(mkdir("d", 0755));
  Put("d/f", "via link");
  SYS(symlink("d", "ld"));
  SYS(symlink("d/f", "lf"));
  DATA(ReadFile("ld/f"), "via link");
  DATA(ReadFile("lf"), "via link");
  EQ(Stat("lf").st_ino, Stat("d/f").st_ino);
  SYS(symlink("nothere", "dangling"));
  ERR(access("dangling", F_OK), ENOENT);
  EQ(S_ISLNK(Lstat("dangling").st_mode), true);
  { Fd fd(OPEN("dangling", O_WRONLY | O_CREAT, 0644)); }
  EQ(DirNames(".").count("nothere"), 1u);
  SYS(symlink("loop2", "loop1"));
  SYS(symlink("loop1", "loop2"));
  ERR(open("loop1", O_RDONLY), ELOOP);
  char lbuf[8];
  ERR(readlink("d/f", lbuf, sizeof lbuf), EINVAL);
  SYS(unlink("ld"));
  EQ(S_ISDIR(Stat("d").st_mode), true);
  EQ(DirTypes(".")["lf"], static_cast<int>(DT_LNK));
}

// readdir

// An empty directory lists exactly '.' and '..' with the right inodes and DT_DIR.
void TestReaddirDots() {
  SYS(mkdir("d", 0755));
  DIR* dir = opendir("d");
  TRUE(dir != nullptr, "opendir");
  std::map<std::string, std::pair<ino_t, int>> seen;
  while (struct dirent* e = readdir(dir)) seen[e->d_name] = {e->d_ino, e->d_type};
  closedir(dir);
  EQ(seen.size(), 2u);
  EQ(seen["."].first, Stat("d").st_ino);
  EQ(seen[".."].first, Stat(".").st_ino);
  EQ(seen["."].second, static_cast<int>(DT_DIR));
  EQ(seen[".."].second, static_cast<int>(DT_DIR));
}

// Readdir lists every entry once with its d_type and d_ino.
void TestReaddirTypes() {
  SYS(mkdir("d", 0755));
  Touch("f");
  SYS(symlink("f", "l"));
  SYS(mkfifo("p", 0644));
  SYS(mknod("c", S_IFCHR | 0644, makedev(1, 3)));
  SYS(mknod("b", S_IFBLK | 0644, makedev(7, 0)));
  int s = SYS(socket(AF_UNIX, SOCK_STREAM, 0));
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  strcpy(sa.sun_path, "s");
  SYS(bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
  close(s);
  std::map<std::string, int> want = {{".", DT_DIR}, {"..", DT_DIR}, {"d", DT_DIR}, {"f", DT_REG},
                                     {"l", DT_LNK}, {"p", DT_FIFO}, {"c", DT_CHR},  {"b", DT_BLK},
                                     {"s", DT_SOCK}};
  auto got = DirTypes(".");
  EQ(got.size(), want.size());
  for (auto& [n, t] : want) EQ(got.count(n) ? got[n] : -1, t);
  DIR* dir = opendir(".");
  while (struct dirent* e = readdir(dir)) EQ(e->d_ino, Lstat(e->d_name).st_ino);
  closedir(dir);
}

// Telldir/seekdir return to the same entry in a 300-entry directory.
void TestReaddirSeekdir() {
  for (int i = 0; i < 300; i++) Touch(("f" + std::to_string(i)).c_str());
  DIR* dir = opendir(".");
  std::vector<std::pair<long, std::string>> pos;
  for (;;) {
    long p = telldir(dir);
    struct dirent* e = readdir(dir);
    if (!e) break;
    pos.push_back({p, e->d_name});
  }
  EQ(pos.size(), 302u);
  for (size_t i : {0, 1, 7, 150, 299, 301}) {
    seekdir(dir, pos[i].first);
    struct dirent* e = readdir(dir);
    TRUE(e != nullptr, "readdir after seekdir");
    EQ(std::string(e->d_name), pos[i].second);
  }
  rewinddir(dir);
  EQ(std::string(readdir(dir)->d_name), pos[0].second);
  closedir(dir);
}

// Entries created or removed mid-listing: every untouched entry exactly once.
void TestReaddirChangesMidway() {
  for (int i = 0; i < 1000; i++) Touch(("keep" + std::to_string(i)).c_str());
  for (int i = 0; i < 500; i++) Touch(("gone" + std::to_string(i)).c_str());
  DIR* dir = opendir(".");
  std::map<std::string, int> seen;
  int n = 0;
  while (struct dirent* e = readdir(dir)) {
    seen[e->d_name]++;
    if (++n == 700) {
      for (int i = 0; i < 500; i++) SYS(unlink(("gone" + std::to_string(i)).c_str()));
      for (int i = 0; i < 500; i++) Touch(("new" + std::to_string(i)).c_str());
    }
  }
  closedir(dir);
  for (int i = 0; i < 1000; i++) EQ(seen["keep" + std::to_string(i)], 1);
  EQ(seen["."], 1);
  EQ(seen[".."], 1);
  for (auto& [name, count] : seen) {
    EQ(count, 1);
    TRUE(name.rfind("keep", 0) == 0 || name.rfind("gone", 0) == 0 || name.rfind("new", 0) == 0 ||
             name == "." || name == "..",
         "only names that existed");
  }
}

// 20 full listings while another process creates and removes: stable entries exactly once.
void TestReaddirConcurrent() {
  SYS(mkdir("d", 0755));
  for (int i = 0; i < 2000; i++) Touch(("d/stable" + std::to_string(i)).c_str());
  fflush(stdout);
  pid_t pid = SYS(fork());
  if (pid == 0) {
    for (int round = 0;; round++) {
      for (int i = 0; i < 200; i++) {
        std::string n = "d/churn" + std::to_string(round % 5) + "_" + std::to_string(i);
        int fd = open(n.c_str(), O_WRONLY | O_CREAT, 0644);
        if (fd < 0) _exit(2);
        close(fd);
      }
      for (int i = 0; i < 200; i++) {
        std::string n = "d/churn" + std::to_string(round % 5) + "_" + std::to_string(i);
        if (unlink(n.c_str())) _exit(3);
      }
    }
  }
  for (int pass = 0; pass < 20; pass++) {
    DIR* dir = opendir("d");
    std::vector<char> seen(2000, 0);
    int dots = 0;
    while (struct dirent* e = readdir(dir)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") {
        dots++;
      } else if (n.rfind("stable", 0) == 0) {
        int i = atoi(n.c_str() + 6);
        if (i >= 0 && i < 2000) seen[i]++;
      } else if (n.rfind("churn", 0) != 0) {
        TRUE(false, "only stable* or churn* names, not " + n);
      }
    }
    closedir(dir);
    EQ(dots, 2);
    for (int i = 0; i < 2000; i++) {
      if (seen[i] != 1) kill(pid, SIGKILL);
      EQ(static_cast<int>(seen[i]), 1);
    }
  }
  kill(pid, SIGKILL);
  int st;
  SYS(waitpid(pid, &st, 0));
  EQ(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, true);  // churned until killed, no error exit
}

// truncate

// Truncate down keeps the head; growing again reads zeros, not old data.
void TestTruncateDownUp() {
  std::string d = Pattern(20000, 13);
  Put("f", d);
  SYS(truncate("f", 100));
  EQ(Stat("f").st_size, 100);
  DATA(ReadFile("f"), d.substr(0, 100));
  SYS(truncate("f", 20000));
  DATA(ReadFile("f"), d.substr(0, 100) + std::string(19900, '\0'));
  SYS(truncate("f", 0));
  EQ(Stat("f").st_size, 0);
  EQ(Stat("f").st_blocks, 0);
}

// Truncate inside a block zeroes the rest of that block for later growth.
void TestTruncatePartialBlock() {
  Put("f", std::string(8192, '\xff'));
  SYS(truncate("f", 5000));
  Fd fd(OPEN("f", O_RDWR));
  EQ(pwrite(fd, "E", 1, 8191), 1);
  DATA(ReadAt(fd, 0, 9000), std::string(5000, '\xff') + std::string(3191, '\0') + "E");
}

// Truncate up to 1 GiB allocates nothing and reads zeros.
void TestTruncateUpSparse() {
  Touch("f");
  SYS(truncate("f", GiB));
  struct stat st = Stat("f");
  EQ(st.st_size, GiB);
  EQ(st.st_blocks, 0);
  Fd fd(OPEN("f", O_RDONLY));
  DATA(ReadAt(fd, GiB - 4096, 8192), std::string(4096, '\0'));
}

// Truncate: EISDIR on a directory, EINVAL negative, EINVAL/EBADF on a read-only fd.
void TestTruncateErrors() {
  SYS(mkdir("d", 0755));
  ERR(truncate("d", 0), EISDIR);
  Touch("f");
  ERR(truncate("f", -1), EINVAL);
  Fd r(OPEN("f", O_RDONLY));
  ERR(ftruncate(r, 10), EINVAL);
  ERR(truncate("missing", 0), ENOENT);
}

// Truncate to a new size updates mtime and ctime.
void TestTruncateTimes() {
  Put("f", "12345");
  struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  SYS(utimensat(AT_FDCWD, "f", old, 0));
  SYS(truncate("f", 2));
  struct stat st = Stat("f");
  TRUE(st.st_mtim.tv_sec > 1000000000, "mtime moved from 2001");
  EQ(st.st_atim.tv_sec, 1000000000);
}

// fallocate

// Fallocate mode 0 sets the size, allocates every block and reads zeros.
void TestFallocateBasic() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  SYS(fallocate(fd, 0, 0, MiB));
  struct stat st = Fstat(fd);
  EQ(st.st_size, MiB);
  TRUE(st.st_blocks * 512 >= MiB, "st_blocks*512 >= 1 MiB");
  DATA(ReadAt(fd, 0, 2 * MiB), std::string(MiB, '\0'));
  SYS(fallocate(fd, 0, 0, 4096));  // inside: no change
  EQ(Fstat(fd).st_size, MiB);
  SYS(fallocate(fd, 0, 2 * MiB, 4096));
  EQ(Fstat(fd).st_size, 2 * MiB + 4096);
}

// FALLOC_FL_KEEP_SIZE allocates past EOF without changing the size.
void TestFallocateKeepSize() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  WriteAll(fd, "head", 0);
  SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, MiB));
  struct stat st = Fstat(fd);
  EQ(st.st_size, 4);
  TRUE(st.st_blocks * 512 >= MiB, "st_blocks*512 >= 1 MiB");
  DATA(ReadAt(fd, 0, 100), "head");
  WriteAll(fd, "tail", 500 * KiB);  // into the preallocated range
  EQ(Fstat(fd).st_size, 500 * KiB + 4);
  DATA(ReadAt(fd, 0, MiB), std::string("head") + std::string(500 * KiB - 4, '\0') + "tail");
  SYS(ftruncate(fd, 4));  // truncating drops the preallocation beyond EOF
  TRUE(Fstat(fd).st_blocks * 512 <= 64 * KiB, "st_blocks*512 <= 64 KiB after truncate");
}

// PUNCH_HOLE|KEEP_SIZE zeroes the range, frees its blocks, keeps the size.
void TestFallocatePunchHole() {
  std::string d = Pattern(MiB, 14);
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  WriteAll(fd, d, 0);
  SYS(fsync(fd));
  blkcnt_t before = Fstat(fd).st_blocks;
  SYS(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 256 * KiB, 256 * KiB));
  struct stat st = Fstat(fd);
  EQ(st.st_size, MiB);
  EQ(st.st_blocks, before - 512);
  d.replace(256 * KiB, 256 * KiB, std::string(256 * KiB, '\0'));
  DATA(ReadAt(fd, 0, MiB), d);
  EQ(lseek(fd, 0, SEEK_HOLE), 256 * KiB);
  EQ(lseek(fd, 256 * KiB, SEEK_DATA), 512 * KiB);
  ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP);
}

// Punching a range not aligned to blocks zeroes exactly those bytes.
void TestFallocatePunchPartial() {
  std::string d = Pattern(16384, 15);
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  WriteAll(fd, d, 0);
  SYS(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 9000));
  d.replace(100, 9000, std::string(9000, '\0'));
  DATA(ReadAt(fd, 0, 20000), d);
  SYS(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16000, 100000));  // past EOF
  d.replace(16000, 384, std::string(384, '\0'));
  DATA(ReadAt(fd, 0, 20000), d);
  EQ(Fstat(fd).st_size, 16384);
}

// Preallocated (unwritten) blocks read as zeros around a write into their middle.
void TestFallocateUnwritten() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  SYS(fallocate(fd, 0, 0, 256 * KiB));
  SYS(fsync(fd));
  WriteAll(fd, "middle", 100 * KiB + 3);
  SYS(fsync(fd));
  std::string want(256 * KiB, '\0');
  want.replace(100 * KiB + 3, 6, "middle");
  DATA(ReadAt(fd, 0, 512 * KiB), want);
  Fd d(OPEN("f", O_RDONLY | O_DIRECT));
  char* buf = AlignedBuf(256 * KiB);
  EQ(pread(d, buf, 256 * KiB, 0), 256 * KiB);
  DATA(std::string(buf, 256 * KiB), want);
  free(buf);
  EQ(Fstat(fd).st_size, 256 * KiB);
}

// Fallocate: EINVAL for len 0 or negative offset, EBADF read-only, ESPIPE on a FIFO.
void TestFallocateErrors() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  ERR(fallocate(fd, 0, 0, 0), EINVAL);
  ERR(fallocate(fd, 0, -1, 10), EINVAL);
  Fd r(OPEN("f", O_RDONLY));
  ERR(fallocate(r, 0, 0, 10), EBADF);
  SYS(mkfifo("p", 0644));
  Fd p(OPEN("p", O_RDWR));
  ERR(fallocate(p, 0, 0, 10), ESPIPE);
  EQ(Fstat(fd).st_size, 0);
}

// files over 4 GiB

// A sparse 5 GiB file: writes across the 4 GiB line and at 5 GiB read back.
void TestLargeFile5g() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  std::string a = Pattern(8192, 16), b = Pattern(4096, 17);
  WriteAll(fd, a, 4 * GiB - 4096);
  WriteAll(fd, b, 5 * GiB);
  SYS(fsync(fd));
  struct stat st = Fstat(fd);
  EQ(st.st_size, 5 * GiB + 4096);
  TRUE(st.st_blocks * 512 <= 4 * MiB, "st_blocks*512 <= 4 MiB");
  DATA(ReadAt(fd, 4 * GiB - 4096, 8192), a);
  DATA(ReadAt(fd, 5 * GiB, 10000), b);
  DATA(ReadAt(fd, 4 * GiB + 4096, 4096), std::string(4096, '\0'));
  EQ(lseek(fd, 0, SEEK_END), 5 * GiB + 4096);
  EQ(lseek(fd, 4 * GiB + 4096, SEEK_DATA), 5 * GiB);
  SYS(ftruncate(fd, 4 * GiB + 1));
  DATA(ReadAt(fd, 4 * GiB - 4096, 8192), a.substr(0, 4097));
  Fd again(OPEN("f", O_RDONLY));
  EQ(Fstat(again).st_size, 4 * GiB + 1);
}

// O_DIRECT and mmap at offsets past 4 GiB and 8 GiB.
void TestLargeFileOdirectMmap() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT | O_DIRECT, 0644));
  char* buf = AlignedBuf(65536);
  std::string d = Pattern(65536, 18);
  memcpy(buf, d.data(), d.size());
  EQ(pwrite(fd, buf, 65536, 8 * GiB), 65536);
  EQ(Fstat(fd).st_size, 8 * GiB + 65536);
  Fd b(OPEN("f", O_RDWR));
  char* p = static_cast<char*>(mmap(nullptr, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, b, 8 * GiB));
  TRUE(p != MAP_FAILED, "mmap at 8 GiB");
  DATA(std::string(p, 65536), d);
  memcpy(p, "MAPPED", 6);
  EQ(msync(p, 65536, MS_SYNC), 0);
  munmap(p, 65536);
  EQ(pread(fd, buf, 4096, 8 * GiB), 4096);
  DATA(std::string(buf, 6), "MAPPED");
  free(buf);
}

// fsync, fdatasync, syncfs, statfs

// Fsync/fdatasync/syncfs succeed on files and dirs; EBADF on a closed fd, EINVAL on a pipe.
void TestSyncCalls() {
  Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
  WriteAll(fd, Pattern(100000, 19), 0);
  EQ(fsync(fd), 0);
  WriteAll(fd, "more", 100000);
  EQ(fdatasync(fd), 0);
  EQ(syncfs(fd), 0);
  Fd d(OPEN(".", O_RDONLY | O_DIRECTORY));
  EQ(fsync(d), 0);
  EQ(fdatasync(d), 0);
  Fd r(OPEN("f", O_RDONLY));
  EQ(fsync(r), 0);
  int pfd[2];
  SYS(pipe(pfd));
  ERR(fsync(pfd[0]), EINVAL);
  close(pfd[0]);
  close(pfd[1]);
  ERR(fsync(pfd[0]), EBADF);
  EQ(Fstat(fd).st_size, 100004);
}

// Statfs: sane fields, namelen 255, free blocks fall by a written 8 MiB and come back.
void TestStatfsCounts() {
  struct statfs a;
  SYS(statfs(".", &a));
  TRUE(a.f_bsize >= 512 && a.f_blocks > 0 && a.f_bfree <= a.f_blocks && a.f_bavail <= a.f_bfree,
       "0 < bsize, bavail <= bfree <= blocks");
  TRUE(a.f_files > 0 && a.f_ffree <= a.f_files, "ffree <= files");
  EQ(a.f_namelen, 255);
  struct statvfs v;
  SYS(statvfs(".", &v));
  EQ(v.f_namemax, 255ul);
  EQ(v.f_flag & ST_RDONLY, 0ul);
  {
    Fd fd(OPEN("f", O_RDWR | O_CREAT, 0644));
    WriteAll(fd, Pattern(8 * MiB, 20), 0);
    SYS(fsync(fd));
  }
  struct statfs b;
  SYS(statfs(".", &b));
  uint64_t want = 8 * MiB / a.f_bsize;
  TRUE(a.f_bfree - b.f_bfree >= want, "f_bfree fell by at least 8 MiB");
  TRUE(a.f_bfree - b.f_bfree <= want + want / 8 + 64, "f_bfree fell by at most 8 MiB plus metadata");
  SYS(unlink("f"));
  Fd d(OPEN(".", O_RDONLY));
  SYS(syncfs(d));
  struct statfs c;
  SYS(statfs(".", &c));
  TRUE(c.f_bfree + 64 >= a.f_bfree, "f_bfree back within 64 blocks after unlink and syncfs");
}

// chmod, chown, utimes and timestamps

// Chmod stores every permission bit exactly (0..07777) and updates ctime only.
void TestChmodModes() {
  Touch("f");
  SYS(mkdir("d", 0755));
  for (mode_t m : {0000, 0777, 0644, 04755, 02755, 01777, 07777, 0400, 07000}) {
    SYS(chmod("f", m));
    EQ(Stat("f").st_mode, S_IFREG | m);
    SYS(chmod("d", m));
    EQ(Stat("d").st_mode, S_IFDIR | m);
  }
  struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  SYS(utimensat(AT_FDCWD, "f", old, 0));
  struct stat before = Stat("f");
  Pause();
  SYS(chmod("f", 0600));
  struct stat st = Stat("f");
  EQ(st.st_mtim.tv_sec, 1000000000);
  TRUE(!TsEq(st.st_ctim, before.st_ctim), "ctime changed");
  Fd fd(OPEN("f", O_RDONLY));
  SYS(fchmod(fd, 0640));
  EQ(Fstat(fd).st_mode & 07777, 0640u);
}

// Chown sets uid/gid, -1 keeps, it clears setuid and group-exec setgid, lchown hits the link.
void TestChownIds() {
  Touch("f");
  SYS(chown("f", 1000, 2000));
  EQ(Stat("f").st_uid, 1000u);
  EQ(Stat("f").st_gid, 2000u);
  SYS(chown("f", static_cast<uid_t>(-1), 3000));
  EQ(Stat("f").st_uid, 1000u);
  EQ(Stat("f").st_gid, 3000u);
  SYS(chown("f", 4000000000u, 4000000001u));  // 32-bit ids
  EQ(Stat("f").st_uid, 4000000000u);
  EQ(Stat("f").st_gid, 4000000001u);
  SYS(chmod("f", 06755));
  SYS(chown("f", 0, 0));
  EQ(Stat("f").st_mode & 07777, 0755u);
  SYS(chmod("f", 02644));  // setgid without group exec is mandatory locking: kept
  SYS(chown("f", 5, 5));
  EQ(Stat("f").st_mode & 07777, 02644u);
  SYS(symlink("f", "l"));
  SYS(lchown("l", 77, 88));
  EQ(Lstat("l").st_uid, 77u);
  EQ(Lstat("l").st_gid, 88u);
  EQ(Stat("f").st_uid, 5u);
}

// Utimensat stores exact nanoseconds, dates before 1970 and after 2038; UTIME_OMIT keeps.
void TestUtimesExact() {
  Touch("f");
  for (time_t t : {time_t{0}, time_t{1}, time_t{1000000000}, time_t{-1000000000}, time_t{2147483647},
                   time_t{2147483648}, time_t{4102444800}}) {
    struct timespec ts[2] = {{t, 123456789}, {t + 7, 999999999}};
    SYS(utimensat(AT_FDCWD, "f", ts, 0));
    struct stat st = Stat("f");
    EQ(static_cast<long long>(st.st_atim.tv_sec), static_cast<long long>(t));
    EQ(st.st_atim.tv_nsec, 123456789);
    EQ(static_cast<long long>(st.st_mtim.tv_sec), static_cast<long long>(t + 7));
    EQ(st.st_mtim.tv_nsec, 999999999);
  }
  struct timespec keep[2] = {{0, UTIME_OMIT}, {5, 5}};
  SYS(utimensat(AT_FDCWD, "f", keep, 0));
  EQ(Stat("f").st_atim.tv_sec, 4102444800);
  EQ(Stat("f").st_mtim.tv_sec, 5);
  struct timeval tv[2] = {{100, 1}, {200, 2}};
  SYS(utimes("f", tv));
  EQ(Stat("f").st_mtim.tv_sec, 200);
  EQ(Stat("f").st_mtim.tv_nsec, 2000);
  struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
  ERR(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
  SYS(symlink("f", "l"));
  struct timespec lt[2] = {{300, 0}, {400, 0}};
  SYS(utimensat(AT_FDCWD, "l", lt, AT_SYMLINK_NOFOLLOW));
  EQ(Lstat("l").st_mtim.tv_sec, 400);
  EQ(Stat("f").st_mtim.tv_sec, 200);
}

// UTIME_NOW and utimes(NULL) set times to the current time.
void TestUtimeNow() {
  Touch("f");
  struct timespec old[2] = {{1000, 0}, {1000, 0}};
  SYS(utimensat(AT_FDCWD, "f", old, 0));
  time_t before = time(nullptr);
  struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  SYS(utimensat(AT_FDCWD, "f", now, 0));
  struct stat st = Stat("f");
  TRUE(st.st_mtim.tv_sec >= before - 1 && st.st_mtim.tv_sec <= time(nullptr) + 1, "mtime is now");
  TRUE(st.st_atim.tv_sec >= before - 1, "atime is now");
  SYS(utimensat(AT_FDCWD, "f", old, 0));
  SYS(utimes("f", nullptr));
  TRUE(Stat("f").st_mtim.tv_sec >= before - 1, "utimes(NULL) sets now");
}

// Write bumps file mtime/ctime; create, unlink and rename bump the directories' mtime.
void TestTimesOnChange() {
  Touch("f");
  SYS(mkdir("d", 0755));
  SYS(mkdir("e", 0755));
  struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  SYS(utimensat(AT_FDCWD, "f", old, 0));
  SYS(utimensat(AT_FDCWD, "d", old, 0));
  SYS(utimensat(AT_FDCWD, "e", old, 0));
  struct stat f0 = Stat("f");
  Pause();
  Put("f", "x");
  struct stat f1 = Stat("f");
  TRUE(f1.st_mtim.tv_sec > 1000000000, "write moved mtime");
  TRUE(!TsEq(f1.st_ctim, f0.st_ctim), "write moved ctime");
  Touch("d/new");
  TRUE(Stat("d").st_mtim.tv_sec > 1000000000, "create moved dir mtime");
  SYS(utimensat(AT_FDCWD, "d", old, 0));
  SYS(rename("d/new", "e/new"));
  TRUE(Stat("d").st_mtim.tv_sec > 1000000000, "rename moved source dir mtime");
  TRUE(Stat("e").st_mtim.tv_sec > 1000000000, "rename moved target dir mtime");
  SYS(utimensat(AT_FDCWD, "e", old, 0));
  struct stat n0 = Stat("e/new");
  Pause();
  SYS(link("e/new", "e/new2"));
  TRUE(!TsEq(Stat("e/new").st_ctim, n0.st_ctim), "link moved the inode's ctime");
  SYS(utimensat(AT_FDCWD, "e", old, 0));
  SYS(unlink("e/new"));
  TRUE(Stat("e").st_mtim.tv_sec > 1000000000, "unlink moved dir mtime");
}

// A non-root user: EACCES on mode bits, sticky dirs refuse others' unlink (EPERM).
void TestPermissionsEnforced() {
  Put("secret", "s");
  SYS(chmod("secret", 0600));
  Put("open", "o");
  SYS(chmod("open", 0644));
  SYS(mkdir("sticky", 0755));
  SYS(chmod("sticky", 01777));  // mkdir's mode passes through the umask
  Touch("sticky/rootfile");
  SYS(mkdir("closed", 0700));
  EQ(RunAs(1000, 1000, [] {
       ERR(open("secret", O_RDONLY), EACCES);
       ERR(open("open", O_WRONLY), EACCES);
       Fd r(OPEN("open", O_RDONLY));
       ERR(open("closed/x", O_RDWR | O_CREAT, 0644), EACCES);
       ERR(unlink("sticky/rootfile"), EPERM);
       Touch("sticky/mine");
       EQ(Stat("sticky/mine").st_uid, 1000u);
       EQ(Stat("sticky/mine").st_gid, 1000u);
       SYS(unlink("sticky/mine"));
       ERR(chmod("open", 0777), EPERM);
       ERR(chown("open", 1000, 1000), EPERM);
     }),
     0);
}

// Files in a setgid directory take its group; subdirectories inherit the bit.
void TestSetgidDir() {
  SYS(mkdir("d", 0755));
  SYS(chown("d", 0, 1234));
  SYS(chmod("d", 02775));
  Touch("d/f");
  SYS(mkdir("d/sub", 0755));
  EQ(Stat("d/f").st_gid, 1234u);
  EQ(Stat("d/sub").st_gid, 1234u);
  EQ(Stat("d/sub").st_mode & 07777, 02755u);
}

// extended attributes

// User.* set/get/list/remove with exact values; a new file has no xattrs.
void TestXattrUserBasic() {
  Touch("f");
  EQ(Xlist("f"), std::set<std::string>{});
  SYS(setxattr("f", "user.one", "value1", 6, 0));
  SYS(setxattr("f", "user.two", "", 0, 0));
  EQ(getxattr("f", "user.one", nullptr, 0), 6);
  DATA(Xget("f", "user.one"), "value1");
  EQ(getxattr("f", "user.two", nullptr, 0), 0);
  EQ(Xlist("f"), (std::set<std::string>{"user.one", "user.two"}));
  SYS(setxattr("f", "user.one", "v", 1, 0));
  DATA(Xget("f", "user.one"), "v");
  SYS(removexattr("f", "user.one"));
  EQ(Xlist("f"), std::set<std::string>{"user.two"});
  ERR(getxattr("f", "user.one", nullptr, 0), ENODATA);
}

// XATTR_CREATE EEXIST, XATTR_REPLACE/remove/get ENODATA, ERANGE, E2BIG, EOPNOTSUPP, EINVAL.
void TestXattrFlagsErrors() {
  Touch("f");
  SYS(setxattr("f", "user.a", "12345", 5, XATTR_CREATE));
  ERR(setxattr("f", "user.a", "x", 1, XATTR_CREATE), EEXIST);
  ERR(setxattr("f", "user.b", "x", 1, XATTR_REPLACE), ENODATA);
  SYS(setxattr("f", "user.a", "678", 3, XATTR_REPLACE));
  ERR(removexattr("f", "user.b"), ENODATA);
  char buf[2];
  ERR(getxattr("f", "user.a", buf, 2), ERANGE);
  ERR(listxattr("f", buf, 2), ERANGE);
  ERR(setxattr("f", ("user." + std::string(251, 'n')).c_str(), "x", 1, 0), ERANGE);
  SYS(setxattr("f", ("user." + std::string(250, 'n')).c_str(), "x", 1, 0));
  std::string huge(65537, 'h');
  ERR(setxattr("f", "user.huge", huge.data(), huge.size(), 0), E2BIG);
  ERR(setxattr("f", "nonamespace.a", "x", 1, 0), EOPNOTSUPP);
  ERR(setxattr("f", "user.", "x", 1, 0), EINVAL);
  ERR(getxattr("missing", "user.a", buf, 2), ENOENT);
  DATA(Xget("f", "user.a"), "678");
}

// Values of 0..2000 bytes round-trip exactly and grow and shrink in place.
void TestXattrSizes() {
  Touch("f");
  SYS(mkdir("d", 0755));
  for (size_t n : {0, 1, 15, 16, 17, 100, 255, 256, 1000, 2000, 3, 1500, 0}) {
    std::string v = Pattern(n, static_cast<uint32_t>(n + 100));
    SYS(setxattr("f", "user.v", v.data(), v.size(), 0));
    DATA(Xget("f", "user.v"), v);
    SYS(setxattr("d", "user.v", v.data(), v.size(), 0));
    DATA(Xget("d", "user.v"), v);
  }
}

// 60 user.* attributes list and read back exactly; removing half leaves the rest.
void TestXattrMany() {
  Touch("f");
  std::set<std::string> want;
  for (int i = 0; i < 60; i++) {
    std::string n = "user.attr" + std::to_string(i), v = "val" + std::to_string(i * 7);
    SYS(setxattr("f", n.c_str(), v.data(), v.size(), XATTR_CREATE));
    want.insert(n);
  }
  EQ(Xlist("f"), want);
  for (int i = 0; i < 60; i += 2) {
    std::string n = "user.attr" + std::to_string(i);
    SYS(removexattr("f", n.c_str()));
    want.erase(n);
  }
  EQ(Xlist("f"), want);
  for (int i = 1; i < 60; i += 2)
    DATA(Xget("f", ("user.attr" + std::to_string(i)).c_str()), "val" + std::to_string(i * 7));
}

// Trusted.* and security.* attributes set, list and read back next to user.*.
void TestXattrNamespaces() {
  Touch("f");
  SYS(setxattr("f", "user.u", "U", 1, 0));
  SYS(setxattr("f", "trusted.t", "TT", 2, 0));
  SYS(setxattr("f", "security.s", "SSS", 3, 0));
  EQ(Xlist("f"), (std::set<std::string>{"user.u", "trusted.t", "security.s"}));
  DATA(Xget("f", "trusted.t"), "TT");
  DATA(Xget("f", "security.s"), "SSS");
  SYS(removexattr("f", "trusted.t"));
  SYS(removexattr("f", "security.s"));
  EQ(Xlist("f"), std::set<std::string>{"user.u"});
  EQ(RunAs(1000, 1000, [] {
       ERR(setxattr("f", "trusted.x", "x", 1, 0), EPERM);
       ERR(setxattr("f", "user.x", "x", 1, 0), EACCES);  // 0644, owned by root
       EQ(Xlist("f"), std::set<std::string>{"user.u"});    // trusted.* hidden
     }),
     0);
}

// User.* is EPERM on symlinks and FIFOs; trusted.* works on them; lgetxattr reads the link.
void TestXattrSpecialFiles() {
  Touch("f");
  SYS(symlink("f", "l"));
  SYS(mkfifo("p", 0644));
  ERR(lsetxattr("l", "user.a", "x", 1, 0), EPERM);
  ERR(setxattr("p", "user.a", "x", 1, 0), EPERM);
  SYS(lsetxattr("l", "trusted.a", "link", 4, 0));
  SYS(setxattr("p", "trusted.a", "fifo", 4, 0));
  std::string v(16, '\0');
  EQ(lgetxattr("l", "trusted.a", v.data(), v.size()), 4);
  EQ(v.substr(0, 4), std::string("link"));
  ERR(getxattr("l", "trusted.a", v.data(), v.size()), ENODATA);  // follows to f
  DATA(Xget("p", "trusted.a"), "fifo");
}

// Xattrs follow the inode through rename and hard links and go with unlink.
void TestXattrFollowInode() {
  Touch("f");
  SYS(setxattr("f", "user.k", "kept", 4, 0));
  SYS(rename("f", "g"));
  SYS(link("g", "h"));
  DATA(Xget("h", "user.k"), "kept");
  SYS(setxattr("h", "user.k", "new", 3, 0));
  DATA(Xget("g", "user.k"), "new");
  SYS(unlink("g"));
  SYS(unlink("h"));
  Touch("g");
  EQ(Xlist("g"), std::set<std::string>{});
}

// POSIX ACLs, as the system.posix_acl_* xattrs in the kernel's binary layout:
// a little-endian u32 version (2), then {u16 tag, u16 perm, u32 id} entries.

enum : uint16_t { kUserObj = 1, kUser = 2, kGroupObj = 4, kGroup = 8, kMask = 0x10, kOther = 0x20 };

struct AclEntry {
  uint16_t tag, perm;
  uint32_t id;
};

std::string Acl(const std::vector<AclEntry>& es) {
  std::string s;
  auto put = [&s](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; i++) s += static_cast<char>(v >> (8 * i));
  };
  put(2, 4);
  for (const auto& e : es) {
    put(e.tag, 2), put(e.perm, 2);
    put(e.tag == kUser || e.tag == kGroup ? e.id : 0xffffffffu, 4);
  }
  return s;
}

constexpr uint32_t kNone = 0xffffffffu;

void SetAcl(const char* path, const char* name, const std::string& acl) {
  SYS(setxattr(path, name, acl.data(), acl.size(), 0));
}

// An extended access ACL reads back byte for byte and sets the group bits to the mask.
void TestAclAccess() {
  Touch("f");
  std::string acl = Acl({{kUserObj, 6, kNone}, {kUser, 4, 1000}, {kUser, 7, 1001}, {kGroupObj, 4, kNone},
                         {kGroup, 2, 50}, {kMask, 6, kNone}, {kOther, 0, kNone}});
  SetAcl("f", "system.posix_acl_access", acl);
  DATA(Xget("f", "system.posix_acl_access"), acl);
  EQ(Stat("f").st_mode & 07777, 0660u);
  EQ(Xlist("f").count("system.posix_acl_access"), 1u);
  char buf[8];
  ERR(getxattr("f", "system.posix_acl_access", buf, sizeof buf), ERANGE);
}

// A minimal access ACL becomes the mode and no xattr; removing an ACL keeps the mode.
void TestAclMinimal() {
  Touch("f");
  SetAcl("f", "system.posix_acl_access", Acl({{kUserObj, 7, kNone}, {kGroupObj, 5, kNone}, {kOther, 1, kNone}}));
  EQ(Stat("f").st_mode & 07777, 0751u);
  ERR(getxattr("f", "system.posix_acl_access", nullptr, 0), ENODATA);
  SetAcl("f", "system.posix_acl_access",
         Acl({{kUserObj, 6, kNone}, {kUser, 4, 9}, {kGroupObj, 4, kNone}, {kMask, 4, kNone}, {kOther, 4, kNone}}));
  EQ(Stat("f").st_mode & 07777, 0644u);
  SYS(removexattr("f", "system.posix_acl_access"));
  EQ(Stat("f").st_mode & 07777, 0644u);
  ERR(getxattr("f", "system.posix_acl_access", nullptr, 0), ENODATA);
}

// Chmod of a file with an extended ACL rewrites the mask entry, not the named entries.
void TestAclChmodMask() {
  Touch("f");
  SetAcl("f", "system.posix_acl_access",
         Acl({{kUserObj, 6, kNone}, {kUser, 7, 1000}, {kGroupObj, 4, kNone}, {kMask, 7, kNone}, {kOther, 0, kNone}}));
  SYS(chmod("f", 0741));
  DATA(Xget("f", "system.posix_acl_access"),
       Acl({{kUserObj, 7, kNone}, {kUser, 7, 1000}, {kGroupObj, 4, kNone}, {kMask, 4, kNone}, {kOther, 1, kNone}}));
}

// A default ACL is inherited: files get it masked by the create mode (umask ignored), dirs get both.
void TestAclDefaultInherit() {
  SYS(mkdir("d", 0755));
  std::string def = Acl({{kUserObj, 7, kNone}, {kUser, 7, 1000}, {kGroupObj, 5, kNone}, {kMask, 7, kNone},
                         {kOther, 5, kNone}});
  SetAcl("d", "system.posix_acl_default", def);
  DATA(Xget("d", "system.posix_acl_default"), def);
  ERR(getxattr("d", "system.posix_acl_access", nullptr, 0), ENODATA);
  { Fd fd(OPEN("d/f", O_RDWR | O_CREAT, 0666)); }
  EQ(Stat("d/f").st_mode & 07777, 0664u);  // umask 022 would have given 0644
  DATA(Xget("d/f", "system.posix_acl_access"),
       Acl({{kUserObj, 6, kNone}, {kUser, 7, 1000}, {kGroupObj, 5, kNone}, {kMask, 6, kNone}, {kOther, 4, kNone}}));
  ERR(getxattr("d/f", "system.posix_acl_default", nullptr, 0), ENODATA);
  SYS(mkdir("d/sub", 0777));
  EQ(Stat("d/sub").st_mode & 07777, 0775u);
  DATA(Xget("d/sub", "system.posix_acl_default"), def);
  DATA(Xget("d/sub", "system.posix_acl_access"), def);
}

// Malformed ACLs are EINVAL; a default ACL on a file is EACCES.
void TestAclInvalid() {
  Touch("f");
  std::string bad_version = Acl({{kUserObj, 6, kNone}, {kGroupObj, 4, kNone}, {kOther, 4, kNone}});
  bad_version[0] = 1;
  ERR(setxattr("f", "system.posix_acl_access", bad_version.data(), bad_version.size(), 0), EOPNOTSUPP);
  std::string no_mask = Acl({{kUserObj, 6, kNone}, {kUser, 4, 5}, {kGroupObj, 4, kNone}, {kOther, 4, kNone}});
  ERR(setxattr("f", "system.posix_acl_access", no_mask.data(), no_mask.size(), 0), EINVAL);
  std::string no_other = Acl({{kUserObj, 6, kNone}, {kGroupObj, 4, kNone}});
  ERR(setxattr("f", "system.posix_acl_access", no_other.data(), no_other.size(), 0), EINVAL);
  std::string torn = Acl({{kUserObj, 6, kNone}, {kGroupObj, 4, kNone}, {kOther, 4, kNone}}).substr(0, 13);
  ERR(setxattr("f", "system.posix_acl_access", torn.data(), torn.size(), 0), EINVAL);
  std::string ok = Acl({{kUserObj, 6, kNone}, {kGroupObj, 4, kNone}, {kOther, 4, kNone}});
  ERR(setxattr("f", "system.posix_acl_default", ok.data(), ok.size(), 0), EACCES);
  EQ(Stat("f").st_mode & 07777, 0644u);
}

// A named-user ACL entry grants and the mask limits access for that user.
void TestAclEnforced() {
  Put("f", "secret");
  SYS(chmod("f", 0600));
  EQ(RunAs(1000, 1000, [] { ERR(open("f", O_RDONLY), EACCES); }), 0);
  SetAcl("f", "system.posix_acl_access",
         Acl({{kUserObj, 6, kNone}, {kUser, 6, 1000}, {kGroupObj, 0, kNone}, {kMask, 4, kNone}, {kOther, 0, kNone}}));
  EQ(RunAs(1000, 1000, [] {
       Fd fd(OPEN("f", O_RDONLY));
       ERR(open("f", O_WRONLY), EACCES);  // rw- entry masked to r--
     }),
     0);
  EQ(RunAs(1001, 1001, [] { ERR(open("f", O_RDONLY), EACCES); }), 0);
}

// small files and directories: whatever the filesystem keeps inline must
// behave exactly like block-mapped data while growing and shrinking.

// A file grown by appends through 0..70000 bytes and truncated back reads exactly at each size.
void TestSmallFileGrowShrink() {
  const std::vector<size_t> sizes = {0,   1,   2,   59,   60,   61,   100,  128,  150,  156,   160,  200,
                                     255, 256, 500, 1000, 2000, 3000, 4095, 4096, 4097, 10000, 70000};
  std::string full = Pattern(70000, 21);
  Fd fd(OPEN("f", O_RDWR | O_CREAT | O_APPEND, 0644));  // WriteAll's pwrite appends
  size_t cur = 0;
  for (size_t n : sizes) {
    WriteAll(fd, full.substr(cur, n - cur), 0);
    cur = n;
    EQ(Fstat(fd).st_size, static_cast<off_t>(n));
    DATA(ReadAt(fd, 0, 80000), full.substr(0, n));
  }
  for (auto it = sizes.rbegin(); it != sizes.rend(); ++it) {
    SYS(ftruncate(fd, *it));
    EQ(Fstat(fd).st_size, static_cast<off_t>(*it));
    DATA(ReadFile("f"), full.substr(0, *it));
  }
  EQ(Fstat(fd).st_blocks, 0);
  WriteAll(fd, "again", 0);
  DATA(ReadFile("f"), "again");
}

// Tiny files: mmap write, O_DIRECT read, fallocate, punch and xattrs next to the data.
void TestSmallFileOps() {
  Put("f", "tiny file contents");
  SYS(setxattr("f", "user.x", "attr", 4, 0));
  {
    Fd fd(OPEN("f", O_RDWR));
    char* p = static_cast<char*>(Map(fd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED));
    memcpy(p, "TINY", 4);
    SYS(msync(p, 4096, MS_SYNC));
    munmap(p, 4096);
  }
  DATA(ReadFile("f"), "TINY file contents");
  {
    Fd d(OPEN("f", O_RDONLY | O_DIRECT));
    char* buf = AlignedBuf(4096);
    EQ(pread(d, buf, 4096, 0), 18);
    DATA(std::string(buf, 18), "TINY file contents");
    free(buf);
  }
  Put("g", "0123456789");
  {
    Fd fd(OPEN("g", O_RDWR));
    SYS(fallocate(fd, 0, 0, 20000));
    EQ(Fstat(fd).st_size, 20000);
    DATA(ReadAt(fd, 0, 30000), "0123456789" + std::string(19990, '\0'));
    SYS(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3));
    DATA(ReadAt(fd, 0, 10), std::string("01\0\0\0" "56789", 10));
  }
  Put("h", "xyz");
  SYS(truncate("h", 100000));
  DATA(ReadFile("h"), "xyz" + std::string(99997, '\0'));
  DATA(Xget("f", "user.x"), "attr");
  EQ(Xlist("f"), std::set<std::string>{"user.x"});
}

// 300 files of 0..299 bytes each read back their own contents.
void TestSmallFilesMany() {
  for (int i = 0; i < 300; i++) Put(("f" + std::to_string(i)).c_str(), Pattern(i, 1000 + i));
  for (int i = 0; i < 300; i++) {
    EQ(Stat(("f" + std::to_string(i)).c_str()).st_size, i);
    DATA(ReadFile(("f" + std::to_string(i)).c_str()), Pattern(i, 1000 + i));
  }
}

// A directory grown to 600 entries and shrunk to none lists exactly its names at each step.
void TestSmallDirGrowShrink() {
  SYS(mkdir("d", 0755));
  std::set<std::string> want = {".", ".."};
  int made = 0;
  for (int target : {1, 2, 3, 5, 8, 12, 20, 40, 80, 150, 300, 600}) {
    for (; made < target; made++) {
      // Names of mixed lengths fill entries unevenly.
      std::string n = "e" + std::to_string(made) + std::string(made % 37, 'x');
      Touch(("d/" + n).c_str());
      want.insert(n);
    }
    EQ(DirNames("d"), want);
    EQ(Stat("d").st_nlink, 2u);
  }
  SYS(mkdir("d/sub", 0755));
  EQ(Stat("d").st_nlink, 3u);
  SYS(rmdir("d/sub"));
  std::vector<std::string> order(want.begin(), want.end());
  int left = made;
  for (int target : {300, 100, 20, 5, 1, 0}) {
    for (const auto& n : order) {
      if (left <= target) break;
      if (n == "." || n == ".." || !want.count(n)) continue;
      SYS(unlink(("d/" + n).c_str()));
      want.erase(n);
      left--;
    }
    EQ(DirNames("d"), want);
  }
  Touch("d/last");
  EQ(DirNames("d"), Names({"last"}));
  SYS(unlink("d/last"));
  SYS(rmdir("d"));
  EQ(DirNames("."), Names({}));
}

// Lookups hit exactly the right entry in tiny and grown directories; misses are ENOENT.
void TestSmallDirLookup() {
  SYS(mkdir("d", 0755));
  for (int i = 0; i < 3; i++) Put(("d/n" + std::to_string(i)).c_str(), std::to_string(i));
  ERR(access("d/n3", F_OK), ENOENT);
  DATA(ReadFile("d/n2"), "2");
  for (int i = 3; i < 400; i++) Put(("d/n" + std::to_string(i)).c_str(), std::to_string(i));
  for (int i = 0; i < 400; i += 13) DATA(ReadFile(("d/n" + std::to_string(i)).c_str()), std::to_string(i));
  ERR(access("d/n400", F_OK), ENOENT);
  ERR(access("d/N1", F_OK), ENOENT);
}

// large directories: correctness with many entries (speed is benchmarks')

// 3000 entries with 202-254 byte names list and resolve exactly.
void TestLargeDirLongNames() {
  SYS(mkdir("d", 0755));
  std::set<std::string> want = {".", ".."};
  for (int i = 0; i < 3000; i++) {
    std::string n = std::to_string(i) + "_" + std::string(200 + i % 50, static_cast<char>('a' + i % 26));
    want.insert(n);
    Touch(("d/" + n).c_str());
  }
  EQ(DirNames("d"), want);
  int k = 0;
  for (const auto& n : want) {
    if (n != "." && n != ".." && k++ % 100 == 0) EQ(S_ISREG(Stat(("d/" + n).c_str()).st_mode), true);
  }
}

// special files

// Mkfifo makes a FIFO (size 0, mode) that carries data between processes.
void TestFifo() {
  SYS(mkfifo("p", 0640));
  struct stat st = Stat("p");
  EQ(S_ISFIFO(st.st_mode), true);
  EQ(st.st_mode & 07777, 0640u);
  EQ(st.st_size, 0);
  ERR(mkfifo("p", 0640), EEXIST);
  fflush(stdout);
  pid_t pid = SYS(fork());
  if (pid == 0) {
    int fd = open("p", O_WRONLY);
    _exit(fd >= 0 && write(fd, "through the fifo", 16) == 16 ? 0 : 1);
  }
  Fd fd(OPEN("p", O_RDONLY));
  std::string got;
  char buf[64];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) got.append(buf, n);
  int wst;
  SYS(waitpid(pid, &wst, 0));
  EQ(wst, 0);
  EQ(got, std::string("through the fifo"));
  EQ(Stat("p").st_size, 0);
}

// Mknod char and block devices keep exact major/minor numbers (also > 255 and > 65535).
void TestDeviceNodes() {
  struct Dev {
    const char* name;
    mode_t type;
    unsigned maj, min;
  };
  for (Dev d : std::initializer_list<Dev>{{"null", S_IFCHR, 1, 3},
                                          {"blk", S_IFBLK, 7, 200},
                                          {"bigc", S_IFCHR, 300, 70000},
                                          {"bigb", S_IFBLK, 4095, 1048575}}) {
    SYS(mknod(d.name, d.type | 0600, makedev(d.maj, d.min)));
    struct stat st = Lstat(d.name);
    EQ(st.st_mode & S_IFMT, d.type);
    EQ(st.st_mode & 07777, 0600u);
    EQ(major(st.st_rdev), d.maj);
    EQ(minor(st.st_rdev), d.min);
    EQ(st.st_size, 0);
  }
  Fd fd(OPEN("null", O_RDWR));  // the node opens /dev/null's driver
  EQ(write(fd, "gone", 4), 4);
  char c;
  EQ(read(fd, &c, 1), 0);
  SYS(rename("null", "null2"));
  SYS(link("null2", "null3"));
  EQ(Stat("null3").st_nlink, 2u);
  EQ(Stat("null3").st_rdev, makedev(1, 3));
  ERR(mknod("dir", S_IFDIR | 0755, 0), EPERM);
  ERR(mknod("null2", S_IFCHR | 0600, makedev(1, 3)), EEXIST);
  SYS(mknod("reg", S_IFREG | 0600, 0));
  EQ(S_ISREG(Stat("reg").st_mode), true);
}

// A bound AF_UNIX socket is an S_IFSOCK inode that connects; bind again EADDRINUSE.
void TestUnixSocket() {
  int s = SYS(socket(AF_UNIX, SOCK_STREAM, 0));
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  strcpy(sa.sun_path, "sock");
  SYS(bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
  SYS(listen(s, 1));
  EQ(S_ISSOCK(Stat("sock").st_mode), true);
  int c = SYS(socket(AF_UNIX, SOCK_STREAM, 0));
  SYS(connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa));
  int a = SYS(accept(s, nullptr, nullptr));
  EQ(write(c, "ping", 4), 4);
  char buf[8];
  EQ(read(a, buf, sizeof buf), 4);
  EQ(std::string(buf, 4), std::string("ping"));
  int s2 = SYS(socket(AF_UNIX, SOCK_STREAM, 0));
  ERR(bind(s2, reinterpret_cast<sockaddr*>(&sa), sizeof sa), EADDRINUSE);
  close(a), close(c), close(s), close(s2);
  SYS(unlink("sock"));
  EQ(DirNames("."), Names({}));
}

// Every object on the filesystem shares st_dev, has a unique st_ino and st_blksize > 0.
void TestStatConsistency() {
  Touch("f");
  SYS(mkdir("d", 0755));
  SYS(symlink("f", "l"));
  SYS(mkfifo("p", 0644));
  std::set<ino_t> inos;
  dev_t dev = Stat(".").st_dev;
  for (const char* n : {".", "f", "d", "l", "p"}) {
    struct stat st = Lstat(n);
    EQ(st.st_dev, dev);
    TRUE(inos.insert(st.st_ino).second, "unique inode number");
    TRUE(st.st_blksize > 0, "st_blksize > 0");
  }
}

// what reaches the disk: after syncfs and dropping the clean caches, every
// object is read back from the filesystem's on-disk form.


// The attributes a reread must reproduce exactly (atime left out: reads move it).
std::string StatKey(const char* path) {
  struct stat st = Lstat(path);
  char b[320];
  snprintf(b, sizeof b, "ino=%llu mode=%o nlink=%llu uid=%u gid=%u rdev=%llx size=%lld blocks=%lld mtime=%lld.%09ld",
           static_cast<unsigned long long>(st.st_ino), st.st_mode, static_cast<unsigned long long>(st.st_nlink),
           st.st_uid, st.st_gid, static_cast<unsigned long long>(st.st_rdev), static_cast<long long>(st.st_size),
           static_cast<long long>(st.st_blocks), static_cast<long long>(st.st_mtim.tv_sec), st.st_mtim.tv_nsec);
  return b;
}

// After syncfs and drop_caches every kind of object rereads identically from disk.
void TestPersistReread() {
  std::string big = Pattern(300 * KiB + 5, 30), tiny = Pattern(50, 31);
  Put("big", big);
  Put("tiny", tiny);
  Touch("empty");
  {
    Fd fd(OPEN("sparse", O_RDWR | O_CREAT, 0644));
    WriteAll(fd, "far", 5 * GiB);
    WriteAll(fd, "near", 4096);
    Fd p(OPEN("punched", O_RDWR | O_CREAT, 0644));
    WriteAll(p, Pattern(MiB, 32), 0);
    SYS(fallocate(p, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 256 * KiB, 256 * KiB));
    Fd k(OPEN("prealloc", O_RDWR | O_CREAT, 0644));
    WriteAll(k, "x", 0);
    SYS(fallocate(k, FALLOC_FL_KEEP_SIZE, 0, MiB));
  }
  Put("shrunk", Pattern(20000, 33));
  SYS(truncate("shrunk", 7000));
  SYS(truncate("shrunk", 9000));
  SYS(mkdir("dir", 0750));
  for (int i = 0; i < 500; i++) Touch(("dir/e" + std::to_string(i)).c_str());
  SYS(mkdir("smalldir", 0755));
  Touch("smalldir/one");
  SYS(link("big", "dir/biglink"));
  std::string longtarget(3000, 't');
  SYS(symlink("big", "short"));
  SYS(symlink(longtarget.c_str(), "long"));
  SYS(mkfifo("fifo", 0600));
  SYS(mknod("chr", S_IFCHR | 0640, makedev(300, 70000)));
  SYS(chown("tiny", 1234, 5678));
  SYS(chmod("tiny", 04751));
  struct timespec ts[2] = {{2000000000, 1}, {4102444800, 123456789}};
  SYS(utimensat(AT_FDCWD, "empty", ts, 0));
  SYS(setxattr("tiny", "user.a", "alpha", 5, 0));
  SYS(setxattr("big", "trusted.b", Pattern(1500, 34).data(), 1500, 0));
  SYS(setxattr("dir", "security.c", "gamma", 5, 0));
  std::string acl = Acl({{kUserObj, 6, kNone}, {kUser, 4, 1000}, {kGroupObj, 4, kNone}, {kMask, 6, kNone},
                         {kOther, 0, kNone}});
  SetAcl("empty", "system.posix_acl_access", acl);
  std::string def = Acl({{kUserObj, 7, kNone}, {kUser, 5, 1000}, {kGroupObj, 5, kNone}, {kMask, 5, kNone},
                         {kOther, 0, kNone}});
  SetAcl("dir", "system.posix_acl_default", def);

  const char* objs[] = {".",      "big",  "tiny", "empty", "sparse", "punched", "prealloc", "shrunk", "dir",
                        "smalldir", "dir/biglink", "short", "long", "fifo", "chr"};
  std::map<std::string, std::string> keys;
  for (const char* o : objs) keys[o] = StatKey(o);
  auto names = DirNames("dir");
  auto small_names = DirNames("smalldir");
  auto top = DirTypes(".");

  DropCaches();

  for (const char* o : objs) EQ(StatKey(o), keys[o]);
  DATA(ReadFile("big"), big);
  DATA(ReadFile("dir/biglink"), big);
  DATA(ReadFile("tiny"), tiny);
  DATA(ReadFile("empty"), "");
  {
    Fd fd(OPEN("sparse", O_RDONLY));
    DATA(ReadAt(fd, 5 * GiB - 2, 10), std::string(2, '\0') + "far");
    DATA(ReadAt(fd, 4090, 12), std::string(6, '\0') + "near" + std::string(2, '\0'));
    EQ(lseek(fd, 8192, SEEK_DATA), 5 * GiB);
  }
  std::string punched = Pattern(MiB, 32);
  punched.replace(256 * KiB, 256 * KiB, std::string(256 * KiB, '\0'));
  DATA(ReadFile("punched"), punched);
  DATA(ReadFile("prealloc"), "x");
  DATA(ReadFile("shrunk"), Pattern(7000, 33) + std::string(2000, '\0'));
  EQ(DirNames("dir"), names);
  EQ(DirNames("smalldir"), small_names);
  EQ(DirTypes(".") == top, true);
  std::string buf(4000, '\0');
  EQ(readlink("short", buf.data(), buf.size()), 3);
  EQ(readlink("long", buf.data(), buf.size()), 3000);
  EQ(buf.substr(0, 3000), longtarget);
  DATA(Xget("tiny", "user.a"), "alpha");
  DATA(Xget("big", "trusted.b"), Pattern(1500, 34));
  DATA(Xget("dir", "security.c"), "gamma");
  DATA(Xget("empty", "system.posix_acl_access"), acl);
  DATA(Xget("dir", "system.posix_acl_default"), def);
  EQ(Xlist("tiny"), std::set<std::string>{"user.a"});
  Touch("dir/inherits");  // the reread default ACL still applies
  DATA(Xget("dir/inherits", "system.posix_acl_access"),
       Acl({{kUserObj, 6, kNone}, {kUser, 5, 1000}, {kGroupObj, 5, kNone}, {kMask, 4, kNone}, {kOther, 0, kNone}}));
  EQ(Stat("dir/inherits").st_mode & 07777, 0640u);
}


void TestCreateReadWrite() {
  std::string data = Pattern(12345, 1);
  Expect(WriteFile(P("rw"), data), "write 12345 bytes");
  Expect(SizeOf(P("rw")) == 12345, "size 12345");
  Expect(ReadFile(P("rw")) == data, "content read back");
  int fd = open(P("rw").c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  ExpectErrno(fd, EEXIST, "O_EXCL on an existing file");
  int rfd = open(P("rw").c_str(), O_RDWR);
  Expect(pwrite(rfd, "XYZ", 3, 100) == 3, "pwrite 3 bytes at 100");
  char b[4] = {};
  Expect(pread(rfd, b, 3, 100) == 3 && std::string(b) == "XYZ", "pread back XYZ");
  Expect(fsync(rfd) == 0, "fsync");
  Expect(fdatasync(rfd) == 0, "fdatasync");
  close(rfd);
  ExpectErrno(open(P("nonexistent").c_str(), O_RDONLY), ENOENT, "open missing");
  ExpectErrno(open(P(std::string(256, 'n')).c_str(), O_RDWR | O_CREAT, 0644), ENAMETOOLONG, "256-byte name");
  Expect(WriteFile(P(std::string(255, 'm')), "x"), "255-byte name works");
}

void TestAppend() {
  Expect(WriteFile(P("app"), "one"), "create");
  Expect(WriteFile(P("app"), "two", O_WRONLY | O_APPEND), "append two");
  int fd = open(P("app").c_str(), O_WRONLY | O_APPEND);
  Expect(lseek(fd, 0, SEEK_SET) == 0, "seek to 0");
  Expect(write(fd, "three", 5) == 5, "append after seek");
  close(fd);
  Expect(ReadFile(P("app")) == "onetwothree", "O_APPEND writes at the end");
}

void TestDirect() {
  int fd = open(P("direct").c_str(), O_RDWR | O_CREAT | O_DIRECT, 0644);
  Expect(fd >= 0, "open O_DIRECT");
  if (fd < 0) return;
  void* buf = nullptr;
  if (posix_memalign(&buf, 4096, 8192) != 0) std::abort();
  std::string data = Pattern(8192, 3);
  std::memcpy(buf, data.data(), 8192);
  Expect(pwrite(fd, buf, 8192, 0) == 8192, "O_DIRECT write 8192");
  std::memset(buf, 0, 8192);
  Expect(pread(fd, buf, 8192, 0) == 8192, "O_DIRECT read 8192");
  Expect(std::memcmp(buf, data.data(), 8192) == 0, "O_DIRECT content");
  close(fd);
  free(buf);
  Expect(SizeOf(P("direct")) == 8192, "O_DIRECT size");
  Expect(ReadFile(P("direct")) == data, "buffered read of O_DIRECT data");
}

void TestMmap() {
  int fd = open(P("mm").c_str(), O_RDWR | O_CREAT, 0644);
  Expect(ftruncate(fd, 8192) == 0, "ftruncate 8192");
  void* m = mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  Expect(m != MAP_FAILED, "mmap shared");
  if (m != MAP_FAILED) {
    std::memcpy(static_cast<char*>(m) + 4000, "mapped!", 7);
    Expect(msync(m, 8192, MS_SYNC) == 0, "msync");
    munmap(m, 8192);
  }
  close(fd);
  std::string s = ReadFile(P("mm"));
  Expect(s.size() == 8192 && s.compare(4000, 7, "mapped!") == 0, "mmap write visible to read");
  Expect(s.substr(0, 4000) == std::string(4000, '\0'), "rest of the mapped file is zero");
}

void TestDirs() {
  Expect(mkdir(P("d").c_str(), 0755) == 0, "mkdir");
  ExpectErrno(mkdir(P("d").c_str(), 0755), EEXIST, "mkdir existing");
  Expect(WriteFile(P("d/f"), "x"), "file in dir");
  ExpectErrno(rmdir(P("d").c_str()), ENOTEMPTY, "rmdir non-empty");
  ExpectErrno(rmdir(P("d/f").c_str()), ENOTDIR, "rmdir of a file");
  ExpectErrno(unlink(P("d").c_str()), EISDIR, "unlink of a directory");
  struct stat st;
  Expect(stat(P("d").c_str(), &st) == 0 && st.st_nlink == 2, "new dir has 2 links");
  Expect(mkdir(P("d/sub").c_str(), 0700) == 0, "mkdir sub");
  Expect(stat(P("d").c_str(), &st) == 0 && st.st_nlink == 3, "parent gains a link");
  Expect(rmdir(P("d/sub").c_str()) == 0, "rmdir sub");
  Expect(stat(P("d").c_str(), &st) == 0 && st.st_nlink == 2, "parent loses the link");
  Expect(unlink(P("d/f").c_str()) == 0, "unlink f");
  Expect(rmdir(P("d").c_str()) == 0, "rmdir empty");
  ExpectErrno(stat(P("d").c_str(), &st), ENOENT, "dir gone");
}

void TestUnlinkOpen() {
  Expect(WriteFile(P("ul"), "still here"), "create");
  int fd = open(P("ul").c_str(), O_RDONLY);
  Expect(unlink(P("ul").c_str()) == 0, "unlink while open");
  ExpectErrno(open(P("ul").c_str(), O_RDONLY), ENOENT, "name gone");
  struct stat st;
  Expect(fstat(fd, &st) == 0 && st.st_nlink == 0, "fstat: 0 links");
  char b[16] = {};
  Expect(read(fd, b, sizeof(b)) == 10 && std::string(b) == "still here", "data readable via fd");
  close(fd);
}

void TestRename() {
  Expect(WriteFile(P("r1"), "first"), "r1");
  Expect(rename(P("r1").c_str(), P("r2").c_str()) == 0, "rename");
  Expect(ReadFile(P("r2")) == "first" && SizeOf(P("r1")) == -1, "moved");
  Expect(WriteFile(P("r3"), "third"), "r3");
  Expect(rename(P("r3").c_str(), P("r2").c_str()) == 0, "rename over target");
  Expect(ReadFile(P("r2")) == "third", "target replaced");
  Expect(mkdir(P("ra").c_str(), 0755) == 0 && mkdir(P("rb").c_str(), 0755) == 0, "two dirs");
  Expect(rename(P("r2").c_str(), P("ra/x").c_str()) == 0, "rename across dirs");
  Expect(ReadFile(P("ra/x")) == "third", "content after cross-dir rename");
  Expect(rename(P("ra").c_str(), P("rb/ra").c_str()) == 0, "move a dir into another");
  struct stat a, b;
  Expect(stat(P("rb/ra/..").c_str(), &a) == 0 && stat(P("rb").c_str(), &b) == 0 && a.st_ino == b.st_ino,
         ".. follows the moved dir");
  Expect(stat(P("rb").c_str(), &b) == 0 && b.st_nlink == 3, "new parent link count");
  Expect(WriteFile(P("n1"), "n1") && WriteFile(P("n2"), "n2"), "n1 n2");
  ExpectErrno(renameat2(AT_FDCWD, P("n1").c_str(), AT_FDCWD, P("n2").c_str(), RENAME_NOREPLACE), EEXIST,
              "RENAME_NOREPLACE onto existing");
  Expect(renameat2(AT_FDCWD, P("n1").c_str(), AT_FDCWD, P("n3").c_str(), RENAME_NOREPLACE) == 0,
         "RENAME_NOREPLACE to a new name");
  Expect(renameat2(AT_FDCWD, P("n2").c_str(), AT_FDCWD, P("n3").c_str(), RENAME_EXCHANGE) == 0, "RENAME_EXCHANGE");
  Expect(ReadFile(P("n2")) == "n1" && ReadFile(P("n3")) == "n2", "contents swapped");
  Expect(mkdir(P("full").c_str(), 0755) == 0 && WriteFile(P("full/f"), "f") && mkdir(P("empty").c_str(), 0755) == 0,
         "dirs for rename-over-dir");
  ExpectErrno(rename(P("empty").c_str(), P("full").c_str()), ENOTEMPTY, "rename over a non-empty dir");
  Expect(rename(P("full").c_str(), P("empty").c_str()) == 0, "rename over an empty dir");
  Expect(ReadFile(P("empty/f")) == "f", "dir replaced");
}

void TestLinks() {
  Expect(WriteFile(P("hl"), "linked"), "create");
  Expect(link(P("hl").c_str(), P("hl2").c_str()) == 0, "link");
  struct stat a, b;
  Expect(stat(P("hl").c_str(), &a) == 0 && stat(P("hl2").c_str(), &b) == 0 && a.st_ino == b.st_ino && a.st_nlink == 2,
         "same inode, 2 links");
  Expect(mkdir(P("ld").c_str(), 0755) == 0, "dir");
  ExpectErrno(link(P("ld").c_str(), P("ld2").c_str()), EPERM, "hard link to a dir");
  ExpectErrno(link(P("hl").c_str(), P("hl2").c_str()), EEXIST, "link onto existing");
  Expect(unlink(P("hl").c_str()) == 0, "unlink one name");
  Expect(stat(P("hl2").c_str(), &b) == 0 && b.st_nlink == 1 && ReadFile(P("hl2")) == "linked", "other name keeps data");
  Expect(symlink("hl2", P("sl").c_str()) == 0, "symlink");
  char buf[4200] = {};
  Expect(readlink(P("sl").c_str(), buf, sizeof(buf)) == 3 && std::string(buf) == "hl2", "readlink");
  Expect(lstat(P("sl").c_str(), &a) == 0 && S_ISLNK(a.st_mode) && a.st_size == 3, "lstat symlink");
  Expect(ReadFile(P("sl")) == "linked", "read through symlink");
  std::string longt(4000, 'L');
  Expect(symlink(longt.c_str(), P("sl-long").c_str()) == 0, "4000-byte symlink");
  std::memset(buf, 0, sizeof(buf));
  Expect(readlink(P("sl-long").c_str(), buf, sizeof(buf)) == 4000 && std::string(buf) == longt, "readlink long");
  Expect(symlink("nowhere", P("dangling").c_str()) == 0, "dangling symlink");
  ExpectErrno(open(P("dangling").c_str(), O_RDONLY), ENOENT, "open dangling");
}

void TestReaddir() {
  Expect(mkdir(P("rd").c_str(), 0755) == 0, "mkdir");
  std::set<std::string> want = {".", ".."};
  for (int i = 0; i < 50; i++) {
    std::string n = "entry-" + std::to_string(i);
    want.insert(n);
    Expect(WriteFile(P("rd/" + n), n), "create " + n);
  }
  DIR* d = opendir(P("rd").c_str());
  std::set<std::string> got;
  int dups = 0;
  while (struct dirent* e = readdir(d)) dups += !got.insert(e->d_name).second;
  closedir(d);
  Expect(got == want && dups == 0, "readdir lists exactly . .. and 50 entries");
}

// N entries (POSIX_TEST_LARGE_DIR, default 5000; 100000 for the full check):
// all listed once, every lookup right, half removed, then all; prints the time.
void TestLargeDir() {
  const char* env = std::getenv("POSIX_TEST_LARGE_DIR");
  const int n = env ? std::atoi(env) : 5000;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  SYS(mkdir("d", 0755));
  Fd dir(OPEN("d", O_RDONLY | O_DIRECTORY));
  char name[32];
  for (int i = 0; i < n; i++) {
    snprintf(name, sizeof name, "file-%07d", i);
    SYS(mknodat(dir, name, S_IFREG | 0644, 0));
  }
  auto check = [&](int step_removed) {
    std::vector<char> seen(n, 0);
    size_t total = 0;
    for (auto& [nm, t] : DirTypes("d")) {
      total++;
      if (nm == "." || nm == "..") continue;
      int i = atoi(nm.c_str() + 5);
      bool named = nm.size() == 12 && i >= 0 && i < n;
      TRUE(named, "file-NNNNNNN names only, not " + nm);
      EQ(t, static_cast<int>(DT_REG));
      if (named) seen[i]++;
    }
    size_t live = 0;
    for (int i = 0; i < n; i++) {
      bool want = step_removed == 0 || (step_removed == 2 && i % 2 == 1);
      EQ(static_cast<int>(seen[i]), want ? 1 : 0);
      live += want;
    }
    EQ(total, live + 2);
  };
  check(0);
  struct stat st;
  for (int i = 0; i < n; i += 997) {
    snprintf(name, sizeof name, "file-%07d", i);
    SYS(fstatat(dir, name, &st, 0));
  }
  snprintf(name, sizeof name, "file-%07d", n);
  ERR(fstatat(dir, name, &st, 0), ENOENT);
  for (int i = 0; i < n; i += 2) {
    snprintf(name, sizeof name, "file-%07d", i);
    SYS(unlinkat(dir, name, 0));
  }
  check(2);
  snprintf(name, sizeof name, "file-%07d", 4);
  ERR(fstatat(dir, name, &st, 0), ENOENT);
  for (int i = 1; i < n; i += 2) {
    snprintf(name, sizeof name, "file-%07d", i);
    SYS(unlinkat(dir, name, 0));
  }
  check(1);
  SYS(rmdir("d"));
  clock_gettime(CLOCK_MONOTONIC, &t1);
  std::printf("# large-dir: %d entries created, listed, looked up and removed in %.1f s\n", n,
              (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

void TestTruncateSparse() {
  std::string data = Pattern(20000, 5);
  Expect(WriteFile(P("tr"), data), "create 20000");
  Expect(truncate(P("tr").c_str(), 5000) == 0, "truncate to 5000");
  Expect(ReadFile(P("tr")) == data.substr(0, 5000), "first 5000 kept");
  Expect(truncate(P("tr").c_str(), 9000) == 0, "extend to 9000");
  Expect(ReadFile(P("tr")) == data.substr(0, 5000) + std::string(4000, '\0'), "extension reads as zeros");
  int fd = open(P("sparse").c_str(), O_RDWR | O_CREAT, 0644);
  Expect(pwrite(fd, "end", 3, 1 << 20) == 3, "pwrite at 1 MiB");
  struct stat st;
  Expect(fstat(fd, &st) == 0 && st.st_size == (1 << 20) + 3, "sparse size");
  Expect(st.st_blocks <= 64, "sparse file allocates little (" + std::to_string(st.st_blocks) + " sectors)");
  char hole[4096];
  std::memset(hole, 1, sizeof(hole));
  Expect(pread(fd, hole, sizeof(hole), 65536) == 4096 && std::string(hole, 4096) == std::string(4096, '\0'),
         "hole reads as zeros");
  const off_t big = 5LL << 30;
  Expect(pwrite(fd, "beyond4g", 8, big) == 8, "pwrite at 5 GiB");
  char b[9] = {};
  Expect(pread(fd, b, 8, big) == 8 && std::string(b) == "beyond4g", "read back at 5 GiB");
  Expect(fstat(fd, &st) == 0 && st.st_size == big + 8, "size beyond 4 GiB");
  Expect(ftruncate(fd, 100) == 0 && fstat(fd, &st) == 0 && st.st_size == 100, "truncate the big sparse file");
  close(fd);
}

void TestFallocate() {
  int fd = open(P("fa").c_str(), O_RDWR | O_CREAT, 0644);
  Expect(fallocate(fd, 0, 0, 65536) == 0, "fallocate 64 KiB");
  struct stat st;
  Expect(fstat(fd, &st) == 0 && st.st_size == 65536 && st.st_blocks >= 128, "size 65536, blocks allocated");
  Expect(ReadFile(P("fa")) == std::string(65536, '\0'), "allocated range reads as zeros");
  Expect(fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 1 << 20) == 0, "fallocate KEEP_SIZE 1 MiB");
  Expect(fstat(fd, &st) == 0 && st.st_size == 65536 && st.st_blocks >= 128 + 2048, "size kept, blocks allocated");
  ExpectErrno(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP, "PUNCH_HOLE without KEEP_SIZE");
  close(fd);
  std::string data = Pattern(16384, 9);
  Expect(WriteFile(P("ph"), data), "16 KiB file");
  fd = open(P("ph").c_str(), O_RDWR);
  Expect(fsync(fd) == 0, "fsync before punching");
  Expect(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192) == 0, "punch 8 KiB at 4 KiB");
  Expect(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 100) == 0, "punch 100 bytes at 100");
  Expect(fstat(fd, &st) == 0 && st.st_size == 16384, "size unchanged by punching");
  Expect(st.st_blocks == 16, "two blocks left (" + std::to_string(st.st_blocks) + " sectors)");
  close(fd);
  std::string want = data;
  std::memset(&want[4096], 0, 8192);
  std::memset(&want[100], 0, 100);
  Expect(ReadFile(P("ph")) == want, "punched ranges read as zeros, the rest unchanged");
}

void TestXattrs() {
  Expect(WriteFile(P("xa"), "x"), "create");
  const char* f = nullptr;
  std::string path = P("xa");
  f = path.c_str();
  Expect(setxattr(f, "user.color", "blue", 4, 0) == 0, "setxattr user.color");
  Expect(setxattr(f, "user.shape", "round", 5, XATTR_CREATE) == 0, "setxattr user.shape CREATE");
  Expect(getxattr(f, "user.color", nullptr, 0) == 4, "size query 4");
  char v[64] = {};
  Expect(getxattr(f, "user.color", v, sizeof(v)) == 4 && std::string(v) == "blue", "value blue");
  ExpectErrno(getxattr(f, "user.color", v, 2), ERANGE, "buffer too small");
  ExpectErrno(setxattr(f, "user.color", "red", 3, XATTR_CREATE), EEXIST, "CREATE on existing");
  ExpectErrno(setxattr(f, "user.none", "x", 1, XATTR_REPLACE), ENODATA, "REPLACE on missing");
  Expect(setxattr(f, "user.color", "turquoise", 9, XATTR_REPLACE) == 0, "REPLACE with a longer value");
  std::memset(v, 0, sizeof(v));
  Expect(getxattr(f, "user.color", v, sizeof(v)) == 9 && std::string(v) == "turquoise", "value turquoise");
  char list[256] = {};
  ssize_t n = listxattr(f, list, sizeof(list));
  std::set<std::string> names;
  for (ssize_t i = 0; i < n; i += std::strlen(list + i) + 1) names.insert(list + i);
  Expect(names == std::set<std::string>({"user.color", "user.shape"}), "listxattr: user.color user.shape");
  Expect(removexattr(f, "user.color") == 0, "removexattr");
  ExpectErrno(getxattr(f, "user.color", v, sizeof(v)), ENODATA, "removed name is gone");
  ExpectErrno(removexattr(f, "user.color"), ENODATA, "remove again");
  std::memset(v, 0, sizeof(v));
  Expect(getxattr(f, "user.shape", v, sizeof(v)) == 5 && std::string(v) == "round", "other name kept");
  Expect(mkdir(P("xd").c_str(), 0755) == 0 && setxattr(P("xd").c_str(), "user.d", "1", 1, 0) == 0,
         "xattr on a directory");
}

void TestAcls() {
  Expect(WriteFile(P("acl"), "a"), "create");
  std::string path = P("acl");
  std::string acl = Acl({{kUserObj, 6, kNone}, {kUser, 4, 1000}, {kGroupObj, 4, kNone}, {kMask, 4, kNone},
                             {kOther, 0, kNone}});
  Expect(setxattr(path.c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0) == 0, "set access ACL");
  char buf[256];
  ssize_t n = getxattr(path.c_str(), "system.posix_acl_access", buf, sizeof(buf));
  Expect(n == static_cast<ssize_t>(acl.size()) && std::string(buf, n) == acl, "access ACL reads back");
  struct stat st;
  Expect(stat(path.c_str(), &st) == 0 && (st.st_mode & 0777) == 0640, "mode follows the ACL (0640)");
  Expect(chmod(path.c_str(), 0600) == 0, "chmod 0600");
  n = getxattr(path.c_str(), "system.posix_acl_access", buf, sizeof(buf));
  std::string want = Acl({{kUserObj, 6, kNone}, {kUser, 4, 1000}, {kGroupObj, 4, kNone}, {kMask, 0, kNone},
                              {kOther, 0, kNone}});
  Expect(n == static_cast<ssize_t>(want.size()) && std::string(buf, n) == want, "chmod updates the mask");
  Expect(mkdir(P("acld").c_str(), 0777) == 0, "dir");
  std::string def = Acl({{kUserObj, 7, kNone}, {kGroupObj, 5, kNone}, {kOther, 0, kNone}});
  Expect(setxattr(P("acld").c_str(), "system.posix_acl_default", def.data(), def.size(), 0) == 0, "set default ACL");
  int fd = open(P("acld/f").c_str(), O_CREAT | O_WRONLY, 0666);
  Expect(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640, "new file mode from the default ACL (0640)");
  close(fd);
  Expect(mkdir(P("acld/sub").c_str(), 0777) == 0, "subdir");
  n = getxattr(P("acld/sub").c_str(), "system.posix_acl_default", buf, sizeof(buf));
  Expect(n == static_cast<ssize_t>(def.size()) && std::string(buf, n) == def, "subdir inherits the default ACL");
  Expect(stat(P("acld/sub").c_str(), &st) == 0 && (st.st_mode & 0777) == 0750, "subdir mode 0750");
}

void TestAttrs() {
  Expect(WriteFile(P("at"), "a"), "create");
  Expect(chmod(P("at").c_str(), 0640) == 0, "chmod");
  Expect(chown(P("at").c_str(), 1234, 5678) == 0, "chown");
  struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
  Expect(utimensat(AT_FDCWD, P("at").c_str(), ts, 0) == 0, "utimensat");
  struct stat st;
  Expect(stat(P("at").c_str(), &st) == 0, "stat");
  Expect((st.st_mode & 07777) == 0640, "mode 0640");
  Expect(st.st_uid == 1234 && st.st_gid == 5678, "owner 1234:5678");
  Expect(st.st_atim.tv_sec == 1000000000 && st.st_atim.tv_nsec == 123456789, "atime with nanoseconds");
  Expect(st.st_mtim.tv_sec == 1100000000 && st.st_mtim.tv_nsec == 987654321, "mtime with nanoseconds");
  Expect(mkfifo(P("fifo").c_str(), 0600) == 0, "mkfifo");
  Expect(mknod(P("chr").c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0, "mknod char 1:3");
  Expect(stat(P("fifo").c_str(), &st) == 0 && S_ISFIFO(st.st_mode), "fifo type");
  Expect(stat(P("chr").c_str(), &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3,
         "char device 1:3");
  struct statfs sf;
  Expect(statfs(g_dir.c_str(), &sf) == 0 && sf.f_bsize > 0 && sf.f_bfree <= sf.f_blocks && sf.f_blocks > 0, "statfs");
}

// Xattrs past the inode's own room (an external block on ocfsx): many
// names, 4000-byte values and a 104-entry ACL, exact after a reread from
// disk and enforced; removing them all leaves none, and the room is reused
// (fsck.ocfsx checks the blocks after the ocfsx run).
void TestXattrBlock() {
  Touch("f");
  std::set<std::string> want;
  for (int i = 0; i < 40; i++) {
    std::string n = "user.many-" + std::to_string(i), v = Pattern(20 + i, 500 + i);
    SYS(setxattr("f", n.c_str(), v.data(), v.size(), XATTR_CREATE));
    want.insert(n);
  }
  EQ(Xlist("f"), want);
  std::string big = Pattern(4000, 77);
  Touch("b");
  SYS(setxattr("b", "user.big", big.data(), big.size(), 0));
  Touch("g");
  SYS(setxattr("g", "trusted.big", big.data(), big.size(), 0));
  SYS(setxattr("g", "security.s", "small", 5, 0));
  std::vector<AclEntry> ents = {{kUserObj, 6, kNone}};
  for (uint32_t id = 2000; id < 2100; id++) ents.push_back({kUser, static_cast<uint16_t>(id % 8), id});
  ents.push_back({kGroupObj, 4, kNone});
  ents.push_back({kMask, 7, kNone});
  ents.push_back({kOther, 0, kNone});
  std::string acl = Acl(ents);
  EQ(acl.size(), 4u + 8u * 104u);
  Put("h", "acl");
  SYS(setxattr("h", "system.posix_acl_access", acl.data(), acl.size(), 0));
  EQ(Stat("h").st_mode & 07777, 0670u);
  DropCaches();
  EQ(Xlist("f"), want);
  for (int i = 0; i < 40; i++)
    DATA(Xget("f", ("user.many-" + std::to_string(i)).c_str()), Pattern(20 + i, 500 + i));
  DATA(Xget("b", "user.big"), big);
  DATA(Xget("g", "trusted.big"), big);
  DATA(Xget("g", "security.s"), "small");
  EQ(Xlist("g"), (std::set<std::string>{"trusted.big", "security.s"}));
  DATA(Xget("h", "system.posix_acl_access"), acl);
  // Named entries: 2001 has --x (2001 % 8), 2004 has r--, both under mask rwx.
  EQ(RunAs(2001, 2001, [] { ERR(open("h", O_RDONLY), EACCES); }), 0);
  EQ(RunAs(2004, 2004, [] {
       Fd fd(OPEN("h", O_RDONLY));
       DATA(ReadAt(fd, 0, 10), "acl");
       ERR(open("h", O_WRONLY), EACCES);
     }),
     0);
  std::string bigger = Pattern(3900, 78);
  SYS(setxattr("b", "user.big", bigger.data(), bigger.size(), XATTR_REPLACE));
  DATA(Xget("b", "user.big"), bigger);
  for (const auto& n : want) SYS(removexattr("f", n.c_str()));
  EQ(Xlist("f"), std::set<std::string>{});
  ERR(getxattr("f", "user.many-1", nullptr, 0), ENODATA);
  SYS(setxattr("f", "user.again", "1", 1, 0));
  SYS(setxattr("f", "user.big", big.data(), big.size(), 0));
  SYS(removexattr("g", "trusted.big"));
  DropCaches();
  EQ(Xlist("f"), (std::set<std::string>{"user.again", "user.big"}));
  DATA(Xget("f", "user.big"), big);
  EQ(Xlist("g"), std::set<std::string>{"security.s"});
  SYS(unlink("b"));  // its block goes with the inode
}

}  // namespace

// Removes a case's directory tree (the case passed; nothing to inspect).
void RemoveTree(const char* path) {
  nftw(
      path, [](const char* p, const struct stat*, int type, struct FTW*) { return type == FTW_DP ? rmdir(p) : unlink(p); },
      64, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char** argv) {
  const std::vector<std::pair<const char*, std::function<void()>>> tests = {
      {"create-read-write", TestCreateReadWrite},
      {"append", TestAppend},
      {"direct", TestDirect},
      {"mmap", TestMmap},
      {"dirs", TestDirs},
      {"unlink-open", TestUnlinkOpen},
      {"rename", TestRename},
      {"links", TestLinks},
      {"readdir", TestReaddir},
      {"large-dir", TestLargeDir},
      {"truncate-sparse", TestTruncateSparse},
      {"fallocate", TestFallocate},
      {"xattrs", TestXattrs},
      {"acls", TestAcls},
      {"attrs", TestAttrs},
      {"create-excl", TestCreateExcl},
      {"open-errors", TestOpenErrors},
      {"write-read-small", TestWriteReadSmall},
      {"write-read-1m-chunks", TestWriteRead1mChunks},
      {"pwrite-past-eof", TestPwritePastEof},
      {"overwrite-middle", TestOverwriteMiddle},
      {"o-trunc", TestOTrunc},
      {"o-append", TestOAppend},
      {"append-concurrent", TestAppendConcurrent},
      {"page-cache-coherence", TestPageCacheCoherence},
      {"lseek-data-hole", TestLseekDataHole},
      {"sparse-file", TestSparseFile},
      {"odirect-roundtrip", TestOdirectRoundtrip},
      {"odirect-unaligned", TestOdirectUnaligned},
      {"odirect-buffered-mix", TestOdirectBufferedMix},
      {"mmap-read", TestMmapRead},
      {"mmap-write-shared", TestMmapWriteShared},
      {"mmap-private", TestMmapPrivate},
      {"mmap-sigbus", TestMmapSigbus},
      {"mmap-fill-hole", TestMmapFillHole},
      {"mmap-truncate", TestMmapTruncate},
      {"mmap-eacces", TestMmapEacces},
      {"mkdir-basic", TestMkdirBasic},
      {"rmdir-errors", TestRmdirErrors},
      {"rmdir-open", TestRmdirOpen},
      {"unlink-basic", TestUnlinkBasic},
      {"unlink-open-file", TestUnlinkOpenFile},
      {"deep-path", TestDeepPath},
      {"rename-same-dir", TestRenameSameDir},
      {"rename-over-file", TestRenameOverFile},
      {"rename-across-dirs", TestRenameAcrossDirs},
      {"rename-dir-rules", TestRenameDirRules},
      {"rename-same-inode", TestRenameSameInode},
      {"rename-noreplace", TestRenameNoreplace},
      {"rename-exchange", TestRenameExchange},
      {"link-basic", TestLinkBasic},
      {"link-many", TestLinkMany},
      {"symlink-lengths", TestSymlinkLengths},
      {"symlink-resolve", TestSymlinkResolve},
      {"readdir-dots", TestReaddirDots},
      {"readdir-types", TestReaddirTypes},
      {"readdir-seekdir", TestReaddirSeekdir},
      {"readdir-changes-midway", TestReaddirChangesMidway},
      {"readdir-concurrent", TestReaddirConcurrent},
      {"truncate-down-up", TestTruncateDownUp},
      {"truncate-partial-block", TestTruncatePartialBlock},
      {"truncate-up-sparse", TestTruncateUpSparse},
      {"truncate-errors", TestTruncateErrors},
      {"truncate-times", TestTruncateTimes},
      {"fallocate-basic", TestFallocateBasic},
      {"fallocate-keep-size", TestFallocateKeepSize},
      {"fallocate-punch-hole", TestFallocatePunchHole},
      {"fallocate-punch-partial", TestFallocatePunchPartial},
      {"fallocate-unwritten", TestFallocateUnwritten},
      {"fallocate-errors", TestFallocateErrors},
      {"large-file-5g", TestLargeFile5g},
      {"large-file-odirect-mmap", TestLargeFileOdirectMmap},
      {"sync-calls", TestSyncCalls},
      {"statfs-counts", TestStatfsCounts},
      {"chmod-modes", TestChmodModes},
      {"chown-ids", TestChownIds},
      {"utimes-exact", TestUtimesExact},
      {"utime-now", TestUtimeNow},
      {"times-on-change", TestTimesOnChange},
      {"permissions-enforced", TestPermissionsEnforced},
      {"setgid-dir", TestSetgidDir},
      {"xattr-user-basic", TestXattrUserBasic},
      {"xattr-flags-errors", TestXattrFlagsErrors},
      {"xattr-sizes", TestXattrSizes},
      {"xattr-many", TestXattrMany},
      {"xattr-namespaces", TestXattrNamespaces},
      {"xattr-special-files", TestXattrSpecialFiles},
      {"xattr-follow-inode", TestXattrFollowInode},
      {"acl-access", TestAclAccess},
      {"acl-minimal", TestAclMinimal},
      {"acl-chmod-mask", TestAclChmodMask},
      {"acl-default-inherit", TestAclDefaultInherit},
      {"acl-invalid", TestAclInvalid},
      {"acl-enforced", TestAclEnforced},
      {"small-file-grow-shrink", TestSmallFileGrowShrink},
      {"small-file-ops", TestSmallFileOps},
      {"small-files-many", TestSmallFilesMany},
      {"small-dir-grow-shrink", TestSmallDirGrowShrink},
      {"small-dir-lookup", TestSmallDirLookup},
      {"large-dir-long-names", TestLargeDirLongNames},
      {"fifo", TestFifo},
      {"device-nodes", TestDeviceNodes},
      {"unix-socket", TestUnixSocket},
      {"stat-consistency", TestStatConsistency},
      {"persist-reread", TestPersistReread},
      {"xattr-block", TestXattrBlock},
  };
  std::vector<std::string> patterns;
  const char* dir = nullptr;
  bool list = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "-l")
      list = true;
    else if (a == "-k" && i + 1 < argc)
      patterns.push_back(argv[++i]);
    else if (a[0] != '-' && !dir)
      dir = argv[i];
    else
      dir = nullptr, i = argc;
  }
  if (list) {
    for (const auto& t : tests) std::printf("%s\n", t.first);
    return 0;
  }
  if (!dir) {
    std::fprintf(stderr, "usage: posix_test [-l] [-k PATTERN]... DIR (an empty directory on the filesystem under test)\n");
    return 2;
  }
  std::set<std::string> xfail;
  if (const char* x = std::getenv("POSIX_TEST_XFAIL")) {
    std::istringstream in(x);
    for (std::string n; in >> n;) xfail.insert(n);
  }
  for (const auto& n : xfail) {
    bool known = false;
    for (const auto& t : tests) known |= n == t.first;
    if (!known) {
      std::fprintf(stderr, "posix_test: POSIX_TEST_XFAIL names %s, which is no case; posix_test -l lists them\n",
                   n.c_str());
      return 2;
    }
  }
  const bool keep = std::getenv("POSIX_TEST_KEEP") != nullptr;
  umask(022);
  std::string top = std::string(dir) + "/posix." + std::to_string(getpid());
  if (mkdir(top.c_str(), 0755) != 0) {
    std::fprintf(stderr, "posix_test: cannot create %s: %s; give a writable directory on the filesystem to test\n",
                 top.c_str(), std::strerror(errno));
    return 2;
  }
  int bad_cases = 0, xfailed = 0;
  for (const auto& [name, fn] : tests) {
    bool selected = patterns.empty();
    for (const auto& p : patterns) selected |= fnmatch(p.c_str(), name, 0) == 0;
    if (!selected) continue;
    g_test = name;
    g_dir = top + "/" + name;
    int counts[2] = {0, 1};  // passed, failed: a child that dies reports one failure
    int pfd[2];
    if (mkdir(g_dir.c_str(), 0755) != 0 || pipe(pfd) != 0) {
      std::printf("FAIL %s: cannot create %s: %s\n", name, g_dir.c_str(), std::strerror(errno));
      return 1;
    }
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      close(pfd[0]);
      g_passed = g_failed = 0;
      alarm(900);  // a hung case fails instead of hanging the run
      if (chdir(g_dir.c_str()) == 0) fn();
      else Expect(false, "chdir " + g_dir);
      std::fflush(stdout);
      int out[2] = {g_passed, g_failed};
      _exit(write(pfd[1], out, sizeof(out)) == sizeof(out) ? 0 : 1);
    }
    close(pfd[1]);
    int st = 0;
    bool reported = read(pfd[0], counts, sizeof(counts)) == sizeof(counts);
    close(pfd[0]);
    waitpid(pid, &st, 0);
    if (!reported || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      std::printf("FAIL %s: the case's process %s %d\n", name, WIFSIGNALED(st) ? "was killed by signal" : "exited with",
                  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
      counts[1] += reported ? 1 : 0;
    }
    g_passed += counts[0];
    g_failed += counts[1];
    bool ok = counts[1] == 0;
    if (ok && !keep) RemoveTree(g_dir.c_str());
    if (xfail.count(name)) {
      std::printf("%s %s\n", ok ? "XPASS:" : "XFAIL:", name);
      bad_cases += ok;
      xfailed += !ok;
    } else {
      std::printf("%s %s\n", ok ? "ok:" : "FAILED:", name);
      bad_cases += !ok;
    }
  }
  if (bad_cases == 0 && !keep) rmdir(top.c_str());
  std::printf("%d passed, %d failed (%d cases known to fail)\n", g_passed, g_failed, xfailed);
  return bad_cases == 0 ? 0 : 1;
}
