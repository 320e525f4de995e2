/*
 * ntb-cmd-latency - time the command handshake that ntb_hw_epf makes with
 * pci-epf-vntb, from user space in the RC guest, with ntb_hw_epf unbound.
 *
 * Usage: ntb-cmd-latency RESOURCE COUNT POLL_US
 *
 * RESOURCE is the sysfs file of the function's control BAR (for example
 * /sys/bus/pci/devices/0000:01:00.0/resource0).  Each of COUNT rounds does
 * what ntb_hw_epf's ntb_epf_send_command() does: write the argument (0)
 * and the command (CONFIGURE_DOORBELL, which pci-epf-vntb answers with OK
 * and no side effect), then read the 16-bit command status every POLL_US
 * microseconds (ntb_hw_epf: usleep_range(5, 10)) until it reads OK, then
 * clear it.  Gives up on a round after 10 s.
 *
 * Prints one line per round ("round N: M ms, P polls") and a summary:
 *   ntb-cmd-latency: rounds=N min_ms=.. median_ms=.. max_ms=..
 *   over_1000ms=K polls_per_s=R
 * where over_1000ms counts the rounds that ntb_hw_epf (1 s timeout) would
 * have failed.  Exit 1 on a bad argument or a round that never completed.
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

#define CMD_OFFSET          0x0
#define ARG_OFFSET          0x4
#define STATUS_OFFSET       0x8
#define CMD_CONFIGURE_DB    1
#define STATUS_OK           1
#define STATUS_ERROR        2
#define ROUND_LIMIT_MS      10000.0

int main(int argc, char **argv)
{
	volatile uint8_t *bar;
	unsigned long count, poll_us, i, polls_total = 0;
	double *lat, t_all = 0;
	unsigned long over = 0;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s RESOURCE COUNT POLL_US\n", argv[0]);
		return 1;
	}
	count = strtoul(argv[2], NULL, 0);
	poll_us = strtoul(argv[3], NULL, 0);
	if (!count || count > 100000) {
		fprintf(stderr, "COUNT must be 1..100000\n");
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
	if (!lat)
		return 1;
	for (i = 0; i < count; i++) {
		double t0 = now_s(), t;
		unsigned long polls = 0;
		uint16_t st;

		*(volatile uint32_t *)(bar + ARG_OFFSET) = 0;
		*(volatile uint32_t *)(bar + CMD_OFFSET) = CMD_CONFIGURE_DB;
		for (;;) {
			st = *(volatile uint16_t *)(bar + STATUS_OFFSET);
			polls++;
			t = (now_s() - t0) * 1e3;
			if (st == STATUS_OK || st == STATUS_ERROR ||
			    t > ROUND_LIMIT_MS)
				break;
			if (poll_us)
				usleep(poll_us);
		}
		*(volatile uint16_t *)(bar + STATUS_OFFSET) = 0;
		polls_total += polls;
		t_all += t;
		lat[i] = t;
		over += t > 1000.0;
		printf("round %lu: %.1f ms, %lu polls%s\n", i + 1, t, polls,
		       st == STATUS_OK ? "" : st == STATUS_ERROR ? " (ERROR)" :
		       " (no answer)");
		fflush(stdout);
		if (st != STATUS_OK && st != STATUS_ERROR)
			return 1;
	}
	qsort(lat, count, sizeof(*lat), cmp_double);
	printf("ntb-cmd-latency: rounds=%lu min_ms=%.1f median_ms=%.1f "
	       "max_ms=%.1f over_1000ms=%lu polls_per_s=%.0f\n", count, lat[0],
	       lat[count / 2], lat[count - 1], over,
	       t_all > 0 ? polls_total / (t_all / 1e3) : 0.0);
	return 0;
}
