/*
 * extent_io: the file operations tests/vm/fs-extent.sh needs and busybox
 * lacks (fallocate modes, direct I/O, mmap writes, fragmenting writes).
 *
 *   extent_io falloc FILE alloc|keep|punch|apunch|zero OFFSET LENGTH
 *       (apunch: punch through a descriptor opened with O_APPEND)
 *   extent_io write FILE OFFSET LENGTH BYTE buffered|cached|direct|mmap
 *       (cached: buffered without fsync, left to the journal's commits)
 *   extent_io frag FILE UNIT COUNT
 *       writes COUNT units of UNIT bytes at every other unit (0, 2, 4, ...),
 *       each filled with a pattern of its index, so a file system gives the
 *       file COUNT separate extents; run on tmpfs it makes the reference.
 *   extent_io ffrag FILE UNIT COUNT
 *       the same layout with fallocate (unwritten, size extended): many
 *       extents quickly, with no data to write.
 *   extent_io holes FILE UNIT COUNT BYTE direct|sparse|range|fsync
 *       writes COUNT units of BYTE at every other unit, leaving holes:
 *       direct: O_DIRECT, each write past EOF (direct I/O allocates);
 *       sparse: the file is first truncated to 2 * COUNT * UNIT, then
 *       O_DIRECT writes land in holes inside i_size;
 *       range: buffered, each unit pushed out with sync_file_range;
 *       fsync: buffered, fsync after each unit.
 *   extent_io stall FILE BYTE
 *       one O_DIRECT write of 2 MiB at offset 0 whose last 512 KiB of
 *       source buffer are a userfaultfd region answered only after 60 s (the first fault):
 *       direct I/O maps the first blocks, then waits in the page fault
 *       with their data not yet sent, long enough for a journal commit
 *       and a power cut. Fills the region with BYTE when it answers.
 *   extent_io fill FILE BYTE
 *       writes 1 MiB units of BYTE until the file system is full (ENOSPC
 *       is success), then fsyncs.
 *
 * Exits 0 on success; on failure prints what failed with errno's text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "extent_io: %s: %s\n", what, strerror(errno));
	return 1;
}

static long long num(const char *s)
{
	return strtoll(s, NULL, 0);
}

static int do_falloc(int argc, char **argv)
{
	int mode, fd, flags = O_RDWR | O_CREAT;

	if (argc != 6)
		return fprintf(stderr, "usage: extent_io falloc FILE MODE OFF LEN\n"), 2;
	if (!strcmp(argv[3], "alloc"))
		mode = 0;
	else if (!strcmp(argv[3], "keep"))
		mode = FALLOC_FL_KEEP_SIZE;
	else if (!strcmp(argv[3], "punch"))
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	else if (!strcmp(argv[3], "apunch")) {
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
		flags |= O_APPEND;
	} else if (!strcmp(argv[3], "zero"))
		mode = FALLOC_FL_ZERO_RANGE;
	else
		return fprintf(stderr, "extent_io: unknown mode %s\n", argv[3]), 2;
	fd = open(argv[2], flags, 0644);
	if (fd < 0)
		return die("open");
	if (fallocate(fd, mode, num(argv[4]), num(argv[5])))
		return die("fallocate");
	return close(fd) ? die("close") : 0;
}

static int do_write(int argc, char **argv)
{
	long long off, len;
	const char *how;
	char *buf, *map;
	int fd, flags = O_RDWR | O_CREAT;

	if (argc != 7)
		return fprintf(stderr, "usage: extent_io write FILE OFF LEN BYTE HOW\n"), 2;
	off = num(argv[3]);
	len = num(argv[4]);
	how = argv[6];
	if (!strcmp(how, "direct"))
		flags |= O_DIRECT;
	fd = open(argv[2], flags, 0644);
	if (fd < 0)
		return die("open");
	if (!strcmp(how, "mmap")) {
		long pg = sysconf(_SC_PAGESIZE);
		long long base = off / pg * pg;

		map = mmap(NULL, off + len - base, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, base);
		if (map == MAP_FAILED)
			return die("mmap");
		memset(map + (off - base), (int)num(argv[5]), len);
		if (msync(map, off + len - base, MS_SYNC))
			return die("msync");
		munmap(map, off + len - base);
		return close(fd) ? die("close") : 0;
	}
	if (posix_memalign((void **)&buf, 4096, len))
		return die("posix_memalign");
	memset(buf, (int)num(argv[5]), len);
	if (pwrite(fd, buf, len, off) != len)
		return die("pwrite");
	if (strcmp(how, "cached") && fsync(fd))
		return die("fsync");
	free(buf);
	return close(fd) ? die("close") : 0;
}

static int do_frag(int argc, char **argv)
{
	long long unit, count, i;
	char *buf;
	int fd;

	if (argc != 5)
		return fprintf(stderr, "usage: extent_io frag FILE UNIT COUNT\n"), 2;
	unit = num(argv[3]);
	count = num(argv[4]);
	buf = malloc(unit);
	if (!buf)
		return die("malloc");
	fd = open(argv[2], O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return die("open");
	for (i = 0; i < count; i++) {
		memset(buf, (int)(i * 7 + 1), unit);
		snprintf(buf, unit, "unit %lld\n", i);
		if (pwrite(fd, buf, unit, 2 * i * unit) != unit)
			return die("pwrite");
	}
	free(buf);
	if (fsync(fd))
		return die("fsync");
	return close(fd) ? die("close") : 0;
}

static int do_ffrag(int argc, char **argv)
{
	long long unit, count, i;
	int fd;

	if (argc != 5)
		return fprintf(stderr, "usage: extent_io ffrag FILE UNIT COUNT\n"), 2;
	unit = num(argv[3]);
	count = num(argv[4]);
	fd = open(argv[2], O_RDWR | O_CREAT, 0644);
	if (fd < 0)
		return die("open");
	for (i = 0; i < count; i++)
		if (fallocate(fd, 0, 2 * i * unit, unit))
			return die("fallocate");
	if (fsync(fd))
		return die("fsync");
	return close(fd) ? die("close") : 0;
}

static int do_holes(int argc, char **argv)
{
	long long unit, count, i;
	const char *how;
	char *buf;
	int fd, flags = O_RDWR | O_CREAT | O_TRUNC;

	if (argc != 7)
		return fprintf(stderr, "usage: extent_io holes FILE UNIT COUNT BYTE HOW\n"), 2;
	unit = num(argv[3]);
	count = num(argv[4]);
	how = argv[6];
	if (!strcmp(how, "direct") || !strcmp(how, "sparse"))
		flags |= O_DIRECT;
	if (posix_memalign((void **)&buf, 4096, unit))
		return die("posix_memalign");
	memset(buf, (int)num(argv[5]), unit);
	fd = open(argv[2], flags, 0644);
	if (fd < 0)
		return die("open");
	if (!strcmp(how, "sparse") && ftruncate(fd, 2 * count * unit))
		return die("ftruncate");
	for (i = 0; i < count; i++) {
		if (pwrite(fd, buf, unit, 2 * i * unit) != unit)
			return die("pwrite");
		if (!strcmp(how, "range") &&
		    sync_file_range(fd, 2 * i * unit, unit,
				    SYNC_FILE_RANGE_WRITE |
				    SYNC_FILE_RANGE_WAIT_AFTER))
			return die("sync_file_range");
		if (!strcmp(how, "fsync") && fsync(fd))
			return die("fsync");
	}
	free(buf);
	return close(fd) ? die("close") : 0;
}

struct stall {
	int uffd;
	char *page;	/* the bytes every faulting page gets */
};

static void *stall_answer(void *arg)
{
	struct stall *st = arg;
	struct uffd_msg msg;
	struct uffdio_copy copy;
	struct pollfd pfd = { .fd = st->uffd, .events = POLLIN };
	int waited = 0;

	for (;;) {
		if (poll(&pfd, 1, -1) < 0 ||
		    read(st->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (!waited++)
			sleep(60);
		copy.dst = msg.arg.pagefault.address & ~4095ULL;
		copy.src = (unsigned long)st->page;
		copy.len = 4096;
		copy.mode = 0;
		ioctl(st->uffd, UFFDIO_COPY, &copy);
	}
	return NULL;
}

static int do_stall(int argc, char **argv)
{
	const size_t len = 2 << 20, slow = 512 << 10;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct stall st;
	pthread_t thr;
	char *buf;
	int fd;

	if (argc != 4)
		return fprintf(stderr, "usage: extent_io stall FILE BYTE\n"), 2;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || posix_memalign((void **)&st.page, 4096, 4096))
		return die("mmap");
	memset(buf, (int)num(argv[3]), len - slow);
	memset(st.page, (int)num(argv[3]), 4096);
	st.uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (st.uffd < 0)
		return die("userfaultfd");
	if (ioctl(st.uffd, UFFDIO_API, &api))
		return die("UFFDIO_API");
	reg.range.start = (unsigned long)buf + len - slow;
	reg.range.len = slow;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(st.uffd, UFFDIO_REGISTER, &reg))
		return die("UFFDIO_REGISTER");
	if (pthread_create(&thr, NULL, stall_answer, &st))
		return die("pthread_create");
	fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
	if (fd < 0)
		return die("open");
	if (pwrite(fd, buf, len, 0) != (ssize_t)len)
		return die("pwrite");
	return close(fd) ? die("close") : 0;
}

static int do_fill(int argc, char **argv)
{
	const long long unit = 1 << 20;
	long long total = 0;
	ssize_t n;
	char *buf;
	int fd;

	if (argc != 4)
		return fprintf(stderr, "usage: extent_io fill FILE BYTE\n"), 2;
	buf = malloc(unit);
	if (!buf)
		return die("malloc");
	memset(buf, (int)num(argv[3]), unit);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return die("open");
	while ((n = write(fd, buf, unit)) > 0)
		total += n;
	if (n < 0 && errno != ENOSPC)
		return die("write");
	if (fsync(fd))
		return die("fsync");
	printf("extent_io: filled %lld MiB\n", total >> 20);
	free(buf);
	return close(fd) ? die("close") : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "falloc"))
		return do_falloc(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "write"))
		return do_write(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "frag"))
		return do_frag(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "ffrag"))
		return do_ffrag(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "holes"))
		return do_holes(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "stall"))
		return do_stall(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "fill"))
		return do_fill(argc, argv);
	fprintf(stderr, "usage: extent_io falloc|write|frag|ffrag|holes|stall|fill ...\n");
	return 2;
}
