/*
 * pwrite-at - write standard input into a file at an offset, in one
 * pwrite(2).
 *
 * Usage: pwrite-at FILE OFFSET
 *
 * Reads standard input (at most 1 MiB) and writes it to FILE at byte
 * OFFSET with a single pwrite() call, so that a driver's write handler
 * sees the whole buffer at once, at that position.  This is for debugfs
 * files that write into I/O memory without an llseek (ntb_tool's
 * peer_mwN: one pwrite is one memcpy_toio() of that length at that
 * offset of the window), where dd's seek= fails with ESPIPE.
 *
 * Exit 0 when every byte was written; 1 on a short or failed write, a
 * failed read, or more than 1 MiB of input; 2 on bad arguments.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INPUT (1 << 20)

int main(int argc, char **argv)
{
	static char buf[MAX_INPUT + 1];
	size_t len = 0;
	long long off;
	char *end;
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: pwrite-at FILE OFFSET < data\n");
		return 2;
	}
	errno = 0;
	off = strtoll(argv[2], &end, 0);
	if (errno || end == argv[2] || *end || off < 0) {
		fprintf(stderr, "pwrite-at: bad offset '%s' (a byte count, >= 0)\n",
			argv[2]);
		return 2;
	}
	while (len <= MAX_INPUT) {
		n = read(0, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("pwrite-at: read");
			return 1;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len > MAX_INPUT) {
		fprintf(stderr, "pwrite-at: more than %d bytes of input\n",
			MAX_INPUT);
		return 1;
	}
	fd = open(argv[1], O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "pwrite-at: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	do {
		n = pwrite(fd, buf, len, off);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		fprintf(stderr, "pwrite-at: %s: wrote %zd of %zu bytes at %lld: %s\n",
			argv[1], n, len, off, n < 0 ? strerror(errno) : "short write");
		close(fd);
		return 1;
	}
	if (close(fd) < 0) {
		perror("pwrite-at: close");
		return 1;
	}
	return 0;
}
