/*
 * inline_io: the I/O calls busybox cannot make, for tests/vm/fs-inline.sh.
 *
 *   inline_io pwrite FILE OFF STRING       pwrite(2) STRING at OFF
 *   inline_io mmapwrite FILE OFF STRING    MAP_SHARED store + msync
 *   inline_io mmapcat FILE                 the file through a read mapping
 *   inline_io dwrite FILE OFF LEN CHAR     O_DIRECT write of LEN CHARs
 *   inline_io dcat FILE                    the file through an O_DIRECT read
 *   inline_io seek FILE OFF                "data D hole H" from OFF
 *   inline_io falloc FILE MODE OFF LEN     fallocate(2); MODE 0, keep or punch
 *   inline_io race FILE                    a child rewrites "abc" at 0 2000
 *                                          times while a MAP_SHARED store
 *                                          puts "XY" at 50 (FILE >= 52 bytes)
 *   inline_io xattr FILE NAME LEN          setxattr(2) NAME to LEN 'v's
 *   inline_io dirgrow DIR N                reads 2 small batches of DIR,
 *                                          creates N files gNNN, reads on;
 *                                          prints "first F seen S dup D":
 *                                          names there before (F), seen (S),
 *                                          seen twice (D)
 *
 * Exits 1 with a message naming the failed call.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "inline_io: %s: %s\n", what, strerror(errno));
	return 1;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0) {
		fprintf(stderr, "inline_io: open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int cmd_mmapwrite(const char *path, off_t off, const char *s)
{
	int fd = open_or_die(path, O_RDWR);
	struct stat st;
	char *m;

	if (fstat(fd, &st))
		return die("fstat");
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	if (m == MAP_FAILED)
		return die("mmap");
	if (off + (off_t)strlen(s) > st.st_size) {
		fprintf(stderr, "inline_io: store past the end of the file\n");
		return 1;
	}
	memcpy(m + off, s, strlen(s));
	if (msync(m, (size_t)st.st_size, MS_SYNC))
		return die("msync");
	return munmap(m, (size_t)st.st_size) ? die("munmap") : 0;
}

static int cmd_mmapcat(const char *path)
{
	int fd = open_or_die(path, O_RDONLY);
	struct stat st;
	char *m;

	if (fstat(fd, &st))
		return die("fstat");
	if (!st.st_size)
		return 0;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return die("mmap");
	return write_all(1, m, (size_t)st.st_size) ? die("write") : 0;
}

static int cmd_dwrite(const char *path, off_t off, size_t len, char c)
{
	int fd = open_or_die(path, O_RDWR | O_DIRECT);
	void *buf;

	if (posix_memalign(&buf, 4096, len))
		return die("posix_memalign");
	memset(buf, c, len);
	if (pwrite(fd, buf, len, off) != (ssize_t)len)
		return die("O_DIRECT pwrite");
	return close(fd) ? die("close") : 0;
}

static int cmd_dcat(const char *path)
{
	int fd = open_or_die(path, O_RDONLY | O_DIRECT);
	size_t cap = 1 << 20;
	off_t off = 0;
	void *buf;
	ssize_t n;

	if (posix_memalign(&buf, 4096, cap))
		return die("posix_memalign");
	while ((n = pread(fd, buf, cap, off)) > 0) {
		if (write_all(1, buf, (size_t)n))
			return die("write");
		off += n;
	}
	return n < 0 ? die("O_DIRECT pread") : 0;
}

static int cmd_seek(const char *path, off_t off)
{
	int fd = open_or_die(path, O_RDONLY);
	off_t d = lseek(fd, off, SEEK_DATA), h = lseek(fd, off, SEEK_HOLE);

	printf("data %lld hole %lld\n", (long long)(d < 0 ? -errno : d),
	       (long long)(h < 0 ? -errno : h));
	return 0;
}

static int cmd_falloc(const char *path, const char *mode, off_t off, off_t len)
{
	int fd = open_or_die(path, O_RDWR);
	int m = !strcmp(mode, "keep") ? FALLOC_FL_KEEP_SIZE :
		!strcmp(mode, "punch") ? FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE : 0;

	if (fallocate(fd, m, off, len))
		return die("fallocate");
	return close(fd) ? die("close") : 0;
}

static int cmd_xattr(const char *path, const char *name, size_t len)
{
	char *v = malloc(len ? len : 1);

	if (!v)
		return die("malloc");
	memset(v, 'v', len);
	if (setxattr(path, name, v, len, 0))
		return die("setxattr");
	free(v);
	return 0;
}

/* Names in DIR other than . and .., from a stream of their own. */
static int list_names(const char *dir, char ***names)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	*names = NULL;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		*names = realloc(*names, sizeof(char *) * (size_t)(n + 1));
		(*names)[n++] = strdup(e->d_name);
	}
	closedir(d);
	return n;
}

static int cmd_race(const char *path)
{
	int fd = open_or_die(path, O_RDWR), status, i;
	char *m = mmap(NULL, 52, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pid_t pid;

	if (m == MAP_FAILED)
		return die("mmap");
	pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		for (i = 0; i < 2000; i++)
			if (pwrite(fd, "abc", 3, 0) != 3)
				_exit(1);
		_exit(0);
	}
	usleep(2000);
	memcpy(m + 50, "XY", 2);
	if (msync(m, 52, MS_SYNC))
		return die("msync");
	if (waitpid(pid, &status, 0) != pid)
		return die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "inline_io: the writing child failed\n");
		return 1;
	}
	return 0;
}

/* The kernel's linux_dirent64. */
struct ldirent {
	unsigned long long ino;
	long long off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * getdents64 with a buffer for about two entries, so the walk really is
 * half-way through the directory when the files are created (readdir(3)
 * would have fetched the whole inline directory in its first call).
 */
static int cmd_dirgrow(const char *dir, int count)
{
	char **before, path[4096];
	char buf[64] __attribute__((aligned(8)));
	int nb = list_names(dir, &before), *seen, i, dup = 0, nseen = 0;
	int fd, calls = 0;
	long n;

	if (nb < 0)
		return die("opendir");
	seen = calloc((size_t)nb + 1, sizeof(int));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return die("open");
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct ldirent *e = (void *)(buf + off);

			for (int k = 0; k < nb; k++)
				if (!strcmp(e->name, before[k]))
					seen[k]++;
			off += e->reclen;
		}
		if (++calls != 2)
			continue;
		for (i = 0; i < count; i++) {
			int f;

			snprintf(path, sizeof(path), "%s/g%03d", dir, i);
			f = open(path, O_CREAT | O_WRONLY, 0644);
			if (f < 0 || close(f))
				return die("create");
		}
	}
	if (n < 0)
		return die("getdents64");
	if (calls < 3) {
		fprintf(stderr, "inline_io: the walk ended before the creates\n");
		return 1;
	}
	for (i = 0; i < nb; i++) {
		nseen += seen[i] > 0;
		dup += seen[i] > 1;
	}
	printf("first %d seen %d dup %d\n", nb, nseen, dup);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 2 ? argv[1] : "";

	if (!strcmp(cmd, "pwrite") && argc == 5) {
		int fd = open_or_die(argv[2], O_WRONLY);

		if (pwrite(fd, argv[4], strlen(argv[4]), atoll(argv[3])) !=
		    (ssize_t)strlen(argv[4]))
			return die("pwrite");
		return close(fd) ? die("close") : 0;
	}
	if (!strcmp(cmd, "mmapwrite") && argc == 5)
		return cmd_mmapwrite(argv[2], atoll(argv[3]), argv[4]);
	if (!strcmp(cmd, "mmapcat") && argc == 3)
		return cmd_mmapcat(argv[2]);
	if (!strcmp(cmd, "dwrite") && argc == 6)
		return cmd_dwrite(argv[2], atoll(argv[3]),
				  (size_t)atoll(argv[4]), argv[5][0]);
	if (!strcmp(cmd, "dcat") && argc == 3)
		return cmd_dcat(argv[2]);
	if (!strcmp(cmd, "seek") && argc == 4)
		return cmd_seek(argv[2], atoll(argv[3]));
	if (!strcmp(cmd, "falloc") && argc == 6)
		return cmd_falloc(argv[2], argv[3], atoll(argv[4]), atoll(argv[5]));
	if (!strcmp(cmd, "xattr") && argc == 5)
		return cmd_xattr(argv[2], argv[3], (size_t)atoll(argv[4]));
	if (!strcmp(cmd, "race") && argc == 3)
		return cmd_race(argv[2]);
	if (!strcmp(cmd, "dirgrow") && argc == 4)
		return cmd_dirgrow(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: inline_io pwrite|mmapwrite|mmapcat|dwrite|dcat|seek|falloc|xattr|race|dirgrow ... (see the source)\n");
	return 2;
}
