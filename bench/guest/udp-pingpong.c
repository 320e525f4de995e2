/*
 * udp-pingpong - UDP round trips, one datagram in flight at a time.
 *
 * Usage: udp-pingpong server PORT
 *        udp-pingpong client [-v] [-t MS] [-i MS] ADDR PORT COUNT [SIZE]
 *
 * The server binds PORT on every IPv4 address and sends every datagram it
 * receives back to its sender, unchanged, until it is killed.
 *
 * The client sends COUNT datagrams of SIZE bytes (default 64, at least 8)
 * to the server at ADDR (IPv4, dotted) and PORT, one at a time: each
 * carries a magic word and its sequence number, and the next one leaves
 * when the echo of the last came back or after MS milliseconds (default
 * 1000), when the datagram is counted as lost (no retry).  An echo that
 * does not carry the sequence number waited for (a late echo of a lost
 * datagram, or anything else) is dropped.  With -i, the client pauses
 * that many milliseconds (0..60000, default 0) before each datagram but
 * the first, as ping does between its packets.  Each round trip, from
 * before the send to after the receive of its echo, is timed with
 * CLOCK_MONOTONIC.
 *
 * Prints, with -v, every round trip in microseconds, one per line in the
 * order sent, then one summary line:
 *   udp-pingpong: n=N lost=L median_us=X p99_us=Y
 * where N counts the timed round trips (N + L = COUNT) and the percentiles
 * are nearest-rank ones over them ("nan" when N is 0).
 * Exit 1 on a bad argument or a failed system call, 2 when more than a
 * tenth of the datagrams were lost.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x55445050u	/* "UDPP" */
#define HDR_SIZE	8		/* magic and sequence number */
#define MAX_SIZE	65507		/* largest UDP payload over IPv4 */

/* CLOCK_MONOTONIC in nanoseconds; exits if the clock cannot be read. */
static int64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts)) {
		perror("clock_gettime");
		exit(1);
	}
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile @pct (1..100) of the @n (> 0) sorted values @v. */
static double percentile(const double *v, unsigned long n, unsigned int pct)
{
	unsigned long rank = (n * pct + 99) / 100;

	return v[rank - 1];
}

/* Parse a decimal number in [min, max] into @out; 0 on success. */
static int parse_ul(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udp-pingpong server PORT\n"
		"       udp-pingpong client [-v] [-t MS] [-i MS] ADDR PORT COUNT "
		"[SIZE]\n");
}

static int server(int argc, char **argv)
{
	struct sockaddr_in addr;
	unsigned long port;
	char *buf;
	int fd;

	if (argc != 2 || parse_ul(argv[1], 1, 65535, &port)) {
		usage();
		return 1;
	}
	buf = malloc(MAX_SIZE + 1);
	if (!buf) {
		perror("malloc");
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	addr.sin_port = htons(port);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("bind");
		return 1;
	}
	for (;;) {
		struct sockaddr_in peer;
		socklen_t plen = sizeof(peer);
		ssize_t len;

		len = recvfrom(fd, buf, MAX_SIZE + 1, 0,
			       (struct sockaddr *)&peer, &plen);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			perror("recvfrom");
			return 1;
		}
		/*
		 * A failed echo is the client's loss to count, not a reason
		 * to stop answering: report it and go on.
		 */
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&peer, plen) != len)
			perror("sendto");
	}
}

/*
 * Wait until @deadline (ns) for the echo of datagram @seq of @size bytes.
 * Returns 1 when it came, 0 on the timeout, -1 on an error (reported).
 */
static int wait_echo(int fd, unsigned char *buf, unsigned long size,
		     uint32_t seq, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	for (;;) {
		int64_t left = deadline - now_ns();
		uint32_t hdr[2];
		ssize_t len;
		int ret;

		if (left <= 0)
			return 0;
		ret = poll(&pfd, 1, (int)((left + 999999) / 1000000));
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return -1;
		}
		if (!ret)
			continue;	/* the loop's head sees the timeout */
		len = recv(fd, buf, size + 1, 0);
		if (len < 0) {
			/*
			 * ICMP port unreachable from an earlier datagram (no
			 * server yet): that datagram is lost, not the run.
			 */
			if (errno == EINTR || errno == ECONNREFUSED)
				continue;
			perror("recv");
			return -1;
		}
		if ((unsigned long)len != size)
			continue;
		memcpy(hdr, buf, sizeof(hdr));
		if (ntohl(hdr[0]) == MAGIC && ntohl(hdr[1]) == seq)
			return 1;
	}
}

static int client(int argc, char **argv)
{
	unsigned long count, port, size = 64, timeout_ms = 1000, i, n = 0;
	unsigned long interval_ms = 0;
	unsigned char *out, *in;
	struct sockaddr_in addr;
	int verbose = 0, opt, fd;
	double *rtt;

	while ((opt = getopt(argc, argv, "vt:i:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = 1;
			break;
		case 't':
			if (parse_ul(optarg, 1, 3600000, &timeout_ms)) {
				fprintf(stderr, "udp-pingpong: -t takes 1..3600000 ms\n");
				return 1;
			}
			break;
		case 'i':
			if (parse_ul(optarg, 0, 60000, &interval_ms)) {
				fprintf(stderr, "udp-pingpong: -i takes 0..60000 ms\n");
				return 1;
			}
			break;
		default:
			usage();
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || argc > 4) {
		usage();
		return 1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[0], &addr.sin_addr) != 1) {
		fprintf(stderr, "udp-pingpong: ADDR must be an IPv4 address\n");
		return 1;
	}
	if (parse_ul(argv[1], 1, 65535, &port)) {
		fprintf(stderr, "udp-pingpong: PORT must be 1..65535\n");
		return 1;
	}
	addr.sin_port = htons(port);
	if (parse_ul(argv[2], 1, 10000000, &count)) {
		fprintf(stderr, "udp-pingpong: COUNT must be 1..10000000\n");
		return 1;
	}
	if (argc == 4 && parse_ul(argv[3], HDR_SIZE, MAX_SIZE, &size)) {
		fprintf(stderr, "udp-pingpong: SIZE must be %d..%d\n",
			HDR_SIZE, MAX_SIZE);
		return 1;
	}

	out = malloc(size);
	in = malloc(size + 1);
	rtt = calloc(count, sizeof(*rtt));
	if (!out || !in || !rtt) {
		perror("malloc");
		return 1;
	}
	for (i = 0; i < size; i++)
		out[i] = (unsigned char)i;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	/* Connected: only the server's datagrams are received. */
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("connect");
		return 1;
	}

	for (i = 0; i < count; i++) {
		uint32_t hdr[2] = { htonl(MAGIC), htonl((uint32_t)i) };
		int64_t t0, t1;
		ssize_t len;
		int ret;

		if (i && interval_ms) {
			struct timespec pause = {
				.tv_sec = interval_ms / 1000,
				.tv_nsec = (long)(interval_ms % 1000) * 1000000,
			};

			nanosleep(&pause, NULL);
		}
		memcpy(out, hdr, sizeof(hdr));
		t0 = now_ns();
		len = send(fd, out, size, 0);
		if (len < 0 && errno == ECONNREFUSED)
			len = send(fd, out, size, 0);	/* error of an earlier one */
		if (len < 0) {
			perror("send");
			return 1;
		}
		if ((unsigned long)len != size) {
			fprintf(stderr, "udp-pingpong: short send (%zd of %lu)\n",
				len, size);
			return 1;
		}
		ret = wait_echo(fd, in, size, (uint32_t)i,
				t0 + (int64_t)timeout_ms * 1000000);
		if (ret < 0)
			return 1;
		if (!ret)
			continue;
		t1 = now_ns();
		rtt[n++] = (t1 - t0) / 1e3;
	}

	if (verbose)
		for (i = 0; i < n; i++)
			printf("%.1f\n", rtt[i]);
	qsort(rtt, n, sizeof(*rtt), cmp_double);
	if (n)
		printf("udp-pingpong: n=%lu lost=%lu median_us=%.1f p99_us=%.1f\n",
		       n, count - n, percentile(rtt, n, 50),
		       percentile(rtt, n, 99));
	else
		printf("udp-pingpong: n=0 lost=%lu median_us=nan p99_us=nan\n",
		       count);
	if (fflush(stdout)) {
		perror("stdout");
		return 1;
	}
	return (count - n) * 10 > count ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "server"))
		return server(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "client"))
		return client(argc - 1, argv + 1);
	usage();
	return 1;
}
