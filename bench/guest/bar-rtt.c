/*
 * bar-rtt - time 32-bit reads of a PCI function's BAR from user space.
 *
 * Usage: bar-rtt RESOURCE OFFSET COUNT
 *
 * RESOURCE is the sysfs file of a memory BAR (for example
 * /sys/bus/pci/devices/0000:01:00.0/resource0); OFFSET a 4-byte aligned
 * byte offset inside its first 4 KiB.  Makes COUNT reads of the 32-bit
 * word at OFFSET, one after the other, each timed with CLOCK_MONOTONIC
 * (on the emulated pair, each read is one round trip over the link).
 *
 * Prints one summary line:
 *   bar-rtt: reads=N ones=K min_us=.. median_us=.. p99_us=.. max_us=..
 *   total_s=..
 * where ones counts the reads that returned all ones (what a read that
 * got no completion returns).  Exit 1 on a bad argument.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench-time.h"

int main(int argc, char **argv)
{
	unsigned long offset, count, i, ones = 0;
	volatile uint32_t *bar;
	double *lat, t0, start;
	char *end;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s RESOURCE OFFSET COUNT\n", argv[0]);
		return 1;
	}
	offset = strtoul(argv[2], &end, 0);
	if (*end || offset > 4092 || offset % 4) {
		fprintf(stderr, "bar-rtt: OFFSET must be 4-byte aligned, 0..4092\n");
		return 1;
	}
	count = strtoul(argv[3], &end, 0);
	if (*end || !count || count > 10000000) {
		fprintf(stderr, "bar-rtt: COUNT must be 1..10000000\n");
		return 1;
	}
	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	lat = calloc(count, sizeof(*lat));
	if (!lat) {
		perror("calloc");
		return 1;
	}
	start = now_s();
	for (i = 0; i < count; i++) {
		uint32_t v;

		t0 = now_s();
		v = bar[offset / 4];
		lat[i] = (now_s() - t0) * 1e6;
		ones += v == 0xffffffff;
	}
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("bar-rtt: reads=%lu ones=%lu min_us=%.1f median_us=%.1f "
	       "p99_us=%.1f max_us=%.1f total_s=%.2f\n", count, ones, lat[0],
	       lat[count / 2], lat[(count * 99) / 100], lat[count - 1],
	       now_s() - start);
	return 0;
}
