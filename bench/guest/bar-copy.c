/*
 * bar-copy - bandwidth of copies into and out of a PCI memory BAR, against
 * memcpy of the same size in RAM, from user space, in one process.
 *
 * Usage: bar-copy RESOURCE SIZE ROUNDS
 *
 * RESOURCE is the sysfs file of a memory BAR (for example
 * /sys/bus/pci/devices/0000:01:00.0/resource2, the vNTB memory window);
 * SIZE a multiple of 8 bytes, at most the BAR's size.  Each of ROUNDS
 * rounds times: memcpy of SIZE bytes between two RAM buffers; a copy of
 * SIZE bytes from RAM into the BAR; a copy of SIZE bytes from the BAR into
 * RAM.  A RESOURCE named ..._wc (a prefetchable BAR: sysfs maps it
 * write-combining, Normal Non-cacheable memory on arm64, as NTB clients
 * ioremap_wc() a memory window) is copied with memcpy.  Any other is
 * mapped uncached (Device memory on arm64, which takes no unaligned
 * access), so its copies are loops of aligned 64-bit loads and stores.
 * The first round's data is checked after the read back.  The loops
 * between two RAM buffers are timed too: they show what the loop itself
 * costs next to memcpy, apart from the BAR.
 *
 * Prints one line with the best round of each:
 *   bar-copy: size=N map=wc|uc memcpy_mbs=.. write_mbs=.. read_mbs=..
 *   write_ratio=.. read_ratio=.. loop_mbs=.. loop_write_ratio=..
 *   loop_read_ratio=..
 * (ratios: memcpy time, or the RAM loop's, over the BAR copy's).
 * Exit 1 on a bad argument, 2 if the data read back differs.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench-time.h"

int main(int argc, char **argv)
{
	unsigned long size, rounds, r, i, n;
	double best_mc = 1e9, best_wr = 1e9, best_rd = 1e9, best_lp = 1e9, t;
	volatile uint64_t *bar, *c;
	uint64_t *a, *b;
	struct stat st;
	size_t len;
	char *end;
	int fd, wc;

	if (argc != 4) {
		fprintf(stderr, "usage: %s RESOURCE SIZE ROUNDS\n", argv[0]);
		return 1;
	}
	size = strtoul(argv[2], &end, 0);
	if (*end || !size || size % 8) {
		fprintf(stderr, "bar-copy: SIZE must be a positive multiple of 8\n");
		return 1;
	}
	rounds = strtoul(argv[3], &end, 0);
	if (*end || !rounds || rounds > 1000) {
		fprintf(stderr, "bar-copy: ROUNDS must be 1..1000\n");
		return 1;
	}
	len = strlen(argv[1]);
	wc = len > 3 && !strcmp(argv[1] + len - 3, "_wc");
	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0 || fstat(fd, &st)) {
		perror(argv[1]);
		return 1;
	}
	if ((unsigned long)st.st_size < size) {
		fprintf(stderr, "bar-copy: %s has %ld bytes, less than SIZE\n",
			argv[1], (long)st.st_size);
		return 1;
	}
	bar = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	a = malloc(size);
	b = malloc(size);
	c = malloc(size);
	if (!a || !b || !c) {
		perror("malloc");
		return 1;
	}
	n = size / 8;
	for (i = 0; i < n; i++)
		a[i] = 0x9e3779b97f4a7c15ull * (i + 1);
	memset(b, 0, size);

	for (r = 0; r < rounds; r++) {
		t = now_s();
		memcpy(b, a, size);
		t = now_s() - t;
		best_mc = t < best_mc ? t : best_mc;

		t = now_s();
		for (i = 0; i < n; i++)
			c[i] = a[i];
		t = now_s() - t;
		best_lp = t < best_lp ? t : best_lp;

		t = now_s();
		if (wc)
			memcpy((void *)bar, a, size);
		else
			for (i = 0; i < n; i++)
				bar[i] = a[i];
		t = now_s() - t;
		best_wr = t < best_wr ? t : best_wr;

		t = now_s();
		if (wc)
			memcpy(b, (void *)bar, size);
		else
			for (i = 0; i < n; i++)
				b[i] = bar[i];
		t = now_s() - t;
		best_rd = t < best_rd ? t : best_rd;

		if (!r && memcmp(a, b, size)) {
			fprintf(stderr, "bar-copy: the data read back from %s "
				"differs from what was written\n", argv[1]);
			return 2;
		}
	}
	printf("bar-copy: size=%lu map=%s memcpy_mbs=%.1f write_mbs=%.2f "
	       "read_mbs=%.3f write_ratio=%.5f read_ratio=%.6f loop_mbs=%.1f "
	       "loop_write_ratio=%.4f loop_read_ratio=%.4f\n", size,
	       wc ? "wc" : "uc",
	       size / best_mc / 1e6, size / best_wr / 1e6, size / best_rd / 1e6,
	       best_mc / best_wr, best_mc / best_rd, size / best_lp / 1e6,
	       best_lp / best_wr, best_lp / best_rd);
	return 0;
}
