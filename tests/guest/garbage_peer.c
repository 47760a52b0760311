/*
 * garbage_peer: connects to a node's interconnect port and misbehaves, one
 * connection per round, to prove the kernel drops bad peers without harm.
 *
 *   garbage_peer IP PORT SENDER RECEIVER
 *
 * Rounds: random bytes; a valid-looking header with an oversized length; a
 * truncated header; a truncated frame; a hello with a wrong protocol
 * version (SENDER/RECEIVER fill it). Each round must end with the node
 * closing the connection within 20 s (the wrong-version round must first
 * get the node's hello and a refusing verdict). Exits 0 when every round
 * did, 1 otherwise, 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../kernel/cluster/net_wire.h"

#define ROUND_TIMEOUT_MS 20000

static struct sockaddr_in target;
static unsigned int sender, receiver;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void put_hdr(unsigned char *buf, unsigned int type, unsigned int len)
{
	struct ocfsx_net_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = htonl(OCFSX_NET_MAGIC);
	h.type = htons(type);
	h.len = htonl(len);
	memcpy(buf, &h, sizeof(h));
}

static void put_hello(unsigned char *buf, unsigned int version)
{
	struct ocfsx_net_hello h;
	size_t i;

	memset(&h, 0, sizeof(h));
	h.version = htonl(version);
	h.sender = htonl(sender);
	h.receiver = htonl(receiver);
	for (i = 0; i < sizeof(h.nonce); i++)
		h.nonce[i] = rand();
	memcpy(buf, &h, sizeof(h));
}

/*
 * Sends len bytes (then half-closes if shut), reads until the peer closes.
 * Returns the bytes received, or -1 on a timeout or connect failure.
 */
static long round_trip(const unsigned char *buf, size_t len, int shut,
		       unsigned char *in, size_t in_cap, long long *ms)
{
	long long t0 = now_ms();
	size_t got = 0;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&target,
			      sizeof(target))) {
		perror("garbage_peer: connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		perror("garbage_peer: send (the node may have closed already)");
	if (shut)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = ROUND_TIMEOUT_MS - (now_ms() - t0);
		unsigned char scratch[512];
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			fprintf(stderr, "garbage_peer: the node did not close the connection within %d ms\n",
				ROUND_TIMEOUT_MS);
			close(fd);
			return -1;
		}
		if (got < in_cap)
			n = recv(fd, in + got, in_cap - got, 0);
		else
			n = recv(fd, scratch, sizeof(scratch), 0);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			break;
		if (n < 0) {
			perror("garbage_peer: recv");
			close(fd);
			return -1;
		}
		if (got < in_cap)
			got += n;
	}
	close(fd);
	*ms = now_ms() - t0;
	return (long)got;
}

int main(int argc, char **argv)
{
	unsigned char buf[1024], in[1024];
	size_t hs = sizeof(struct ocfsx_net_hdr);
	size_t hello = sizeof(struct ocfsx_net_hello);
	int failed = 0, round;

	if (argc != 5) {
		fprintf(stderr, "usage: garbage_peer IP PORT SENDER RECEIVER\n");
		return 2;
	}
	memset(&target, 0, sizeof(target));
	target.sin_family = AF_INET;
	target.sin_port = htons(atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) {
		fprintf(stderr, "garbage_peer: %s is not an IPv4 address\n",
			argv[1]);
		return 2;
	}
	sender = atoi(argv[3]);
	receiver = atoi(argv[4]);
	srand(time(NULL) ^ getpid());

	for (round = 1; round <= 5; round++) {
		const char *what = "";
		size_t len = 0;
		int shut = 0;
		long long ms = 0;
		long got;
		size_t i;

		switch (round) {
		case 1:
			what = "random bytes";
			for (i = 0; i < 200; i++)
				buf[i] = rand();
			/* Never the magic by accident. */
			buf[0] = 0;
			len = 200;
			break;
		case 2:
			what = "header with an oversized length";
			put_hdr(buf, OCFSX_NET_T_HELLO, 0x7fffffff);
			len = hs;
			break;
		case 3:
			what = "truncated header, then half-close";
			put_hdr(buf, OCFSX_NET_T_HELLO, hello);
			len = 10;
			shut = 1;
			break;
		case 4:
			what = "truncated frame, then half-close";
			put_hdr(buf, OCFSX_NET_T_HELLO, hello);
			put_hello(buf + hs, OCFSX_NET_PROTO_VERSION);
			len = hs + 20;
			shut = 1;
			break;
		case 5:
			what = "hello with protocol version 99";
			put_hdr(buf, OCFSX_NET_T_HELLO, hello);
			put_hello(buf + hs, 99);
			len = hs + hello;
			break;
		}
		got = round_trip(buf, len, shut, in, sizeof(in), &ms);
		if (got < 0) {
			printf("round %d (%s): FAILED\n", round, what);
			failed = 1;
			continue;
		}
		if (round == 5) {
			/* Expect the node's hello, then a refusing verdict. */
			const unsigned char *v = in + hs + hello;
			int status;

			if ((size_t)got < 2 * hs + hello ||
			    ocfsx_net_check_hdr(in) != OCFSX_NET_HDR_OK ||
			    ocfsx_net_check_hdr(v) != OCFSX_NET_HDR_OK ||
			    ((v[4] << 8) | v[5]) != OCFSX_NET_T_VERDICT) {
				printf("round %d (%s): FAILED: expected a hello and a verdict, got %ld bytes\n",
				       round, what, got);
				failed = 1;
				continue;
			}
			status = (int)ocfsx_net_be32_get(v + 20);
			printf("round %d (%s): verdict status %d: %.*s\n",
			       round, what, status,
			       (int)((size_t)got - 2 * hs - hello), v + hs);
			if (status >= 0) {
				failed = 1;
				continue;
			}
		}
		printf("round %d (%s): closed by the node after %lld ms\n",
		       round, what, ms);
	}
	printf("garbage_peer: %s\n", failed ? "FAILED" : "all rounds ended as expected");
	return failed;
}
