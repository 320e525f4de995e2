/*
 * bar-read-span - 64-bit loads from a BAR that cross a page boundary.
 *
 * Usage: bar-read-span RESOURCE OFFSET COUNT VALUE
 *
 * RESOURCE is the sysfs file of a memory BAR, mapped write-combining
 * (resourceN_wc: Normal Non-cacheable memory, where an unaligned load is
 * allowed; resourceN is Device memory, where it faults); OFFSET a byte
 * offset below 60 KiB, normally 4 bytes below a page boundary.  Makes
 * COUNT 64-bit loads (one ldr each) at OFFSET and counts those that did
 * not read VALUE.  A load across a page boundary is two accesses for
 * QEMU, one per page, whose TLB entries are both looked up before the
 * first access runs: this is what sees whether the second one still goes
 * where it should when the first one waited for the link and the memory
 * map changed meanwhile.
 *
 * Prints one line:
 *   bar-read-span: loads=N bad=K [first_bad=I got=0x..]
 * Exit 0 when it ran (bad may be non-zero), 1 on a bad argument or when
 * the BAR cannot be mapped.  A load that faults kills it with SIGBUS.
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
#include <unistd.h>

static unsigned long long arg(const char *s, const char *what,
			      unsigned long long max)
{
	unsigned long long v;
	char *end;

	v = strtoull(s, &end, 0);
	if (!*s || *end || v > max) {
		fprintf(stderr, "bar-read-span: bad %s '%s' (at most %#llx)\n",
			what, s, max);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long long offset, count, i, bad = 0, first_bad = 0;
	uint64_t value, v, bad_v = 0;
	uint8_t *bar;
	size_t len;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: %s RESOURCE OFFSET COUNT VALUE\n",
			argv[0]);
		return 1;
	}
	offset = arg(argv[2], "OFFSET", 0xeff8);
	count = arg(argv[3], "COUNT", 10000000);
	value = arg(argv[4], "VALUE", ~0ull);
	len = ((offset + 8 + 4095) / 4096) * 4096;
	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	bar = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 0; i < count; i++) {
#ifdef __aarch64__
		asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(bar + offset)
			     : "memory");
#else
		memcpy(&v, (void *)(bar + offset), sizeof(v));
#endif
		if (v != value && !bad++) {
			first_bad = i;
			bad_v = v;
		}
	}
	if (bad) {
		printf("bar-read-span: loads=%llu bad=%llu first_bad=%llu got=%#llx\n",
		       count, bad, first_bad, (unsigned long long)bad_v);
	} else {
		printf("bar-read-span: loads=%llu bad=0\n", count);
	}
	return 0;
}
