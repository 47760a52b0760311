// posix_test DIR: POSIX behaviour with exact expectations (sizes, contents,
// errno), run in the test VMs on ocfsx and on ext4 so both must agree.
// Prints one line per failed expectation and "N passed, N failed" last.
#include <dirent.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <string>
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
void ExpectErrno(int ret, int want, const std::string& what) {
  bool ok = ret == -1 && errno == want;
  if (!ok) {
    std::printf("FAIL %s: %s returned %d errno %d (%s), want errno %d (%s)\n", g_test.c_str(), what.c_str(), ret,
                errno, std::strerror(errno), want, std::strerror(want));
    g_failed++;
  } else {
    g_passed++;
  }
}

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

std::string Pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
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

void TestLargeDir() {
  Expect(mkdir(P("big").c_str(), 0755) == 0, "mkdir");
  const int n = 2000;
  for (int i = 0; i < n; i++)
    if (!WriteFile(P("big/a-fairly-long-file-name-number-" + std::to_string(i)), std::to_string(i))) {
      Expect(false, "create " + std::to_string(i));
      return;
    }
  int bad = 0;
  for (int i = 0; i < n; i += 7) bad += ReadFile(P("big/a-fairly-long-file-name-number-" + std::to_string(i))) !=
                                        std::to_string(i);
  Expect(bad == 0, "lookups in a 2000-entry dir");
  DIR* d = opendir(P("big").c_str());
  int count = 0;
  while (readdir(d)) count++;
  closedir(d);
  Expect(count == n + 2, "readdir of 2000 entries");
  for (int i = 0; i < n; i++) bad += unlink(P("big/a-fairly-long-file-name-number-" + std::to_string(i)).c_str()) != 0;
  Expect(bad == 0, "unlink 2000 entries");
  Expect(rmdir(P("big").c_str()) == 0, "rmdir emptied big dir");
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

// A POSIX ACL in the kernel's xattr format (version 2, little-endian).
std::string AclBlob(const std::vector<std::array<uint32_t, 3>>& ents) {
  std::string b;
  auto put = [&](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; i++) b.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  put(2, 4);
  for (const auto& e : ents) {
    put(e[0], 2);
    put(e[1], 2);
    put(e[2], 4);
  }
  return b;
}

void TestAcls() {
  enum { kUserObj = 1, kUser = 2, kGroupObj = 4, kMask = 0x10, kOther = 0x20 };
  const uint32_t kNone = 0xffffffff;
  Expect(WriteFile(P("acl"), "a"), "create");
  std::string path = P("acl");
  std::string acl = AclBlob({{kUserObj, 6, kNone}, {kUser, 4, 1000}, {kGroupObj, 4, kNone}, {kMask, 4, kNone},
                             {kOther, 0, kNone}});
  Expect(setxattr(path.c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0) == 0, "set access ACL");
  char buf[256];
  ssize_t n = getxattr(path.c_str(), "system.posix_acl_access", buf, sizeof(buf));
  Expect(n == static_cast<ssize_t>(acl.size()) && std::string(buf, n) == acl, "access ACL reads back");
  struct stat st;
  Expect(stat(path.c_str(), &st) == 0 && (st.st_mode & 0777) == 0640, "mode follows the ACL (0640)");
  Expect(chmod(path.c_str(), 0600) == 0, "chmod 0600");
  n = getxattr(path.c_str(), "system.posix_acl_access", buf, sizeof(buf));
  std::string want = AclBlob({{kUserObj, 6, kNone}, {kUser, 4, 1000}, {kGroupObj, 4, kNone}, {kMask, 0, kNone},
                              {kOther, 0, kNone}});
  Expect(n == static_cast<ssize_t>(want.size()) && std::string(buf, n) == want, "chmod updates the mask");
  Expect(mkdir(P("acld").c_str(), 0777) == 0, "dir");
  std::string def = AclBlob({{kUserObj, 7, kNone}, {kGroupObj, 5, kNone}, {kOther, 0, kNone}});
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

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: posix_test DIR (an empty directory on the filesystem under test)\n");
    return 2;
  }
  g_dir = argv[1];
  const std::vector<std::pair<const char*, std::function<void()>>> tests = {
      {"create-read-write", TestCreateReadWrite}, {"append", TestAppend},       {"direct", TestDirect},
      {"mmap", TestMmap},                         {"dirs", TestDirs},           {"unlink-open", TestUnlinkOpen},
      {"rename", TestRename},                     {"links", TestLinks},         {"readdir", TestReaddir},
      {"large-dir", TestLargeDir},                {"truncate-sparse", TestTruncateSparse}, {"fallocate", TestFallocate},
      {"xattrs", TestXattrs},                     {"acls", TestAcls},                     {"attrs", TestAttrs},
  };
  for (const auto& [name, fn] : tests) {
    g_test = name;
    int before = g_failed;
    fn();
    std::printf("%s %s\n", g_failed == before ? "ok:" : "FAILED:", name);
  }
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
