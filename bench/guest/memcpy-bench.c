/*
 * memcpy-bench - local memory copy throughput, the yardstick that
 * bench/edma.sh sets eDMA throughput against.
 *
 * Usage: memcpy-bench SIZE [ROUNDS]
 *
 * Copies SIZE bytes between two buffers ROUNDS times (default 5; the
 * buffers are touched first so page faults are not timed) and prints the
 * best round as "memcpy SIZE bytes: SECONDS s, RATE KB/s".
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoull(argv[1], NULL, 0) : 0;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	double best = 0;
	char *a, *b;
	int i;

	if (!size || rounds < 1) {
		fprintf(stderr, "usage: %s SIZE [ROUNDS]\n", argv[0]);
		return 2;
	}
	a = malloc(size);
	b = malloc(size);
	if (!a || !b) {
		fprintf(stderr, "cannot allocate 2 x %zu bytes\n", size);
		return 1;
	}
	memset(a, 0x5a, size);
	memset(b, 0xa5, size);
	for (i = 0; i < rounds; i++) {
		double t = now();

		memcpy(i & 1 ? a : b, i & 1 ? b : a, size);
		t = now() - t;
		if (!best || t < best)
			best = t;
	}
	printf("memcpy %zu bytes: %.6f s, %.0f KB/s\n", size, best,
	       size / best / 1000);
	return 0;
}
