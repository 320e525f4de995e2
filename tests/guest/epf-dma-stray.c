/*
 * epf-dma-stray - have pci_epf_test's eDMA write to RC memory that the RC
 * driver never mapped for the device, and see whether anything arrived.
 *
 * Usage: epf-dma-stray RESOURCE
 *
 * RESOURCE is the sysfs file of the pci_epf_test function's BAR0 (its
 * test registers, /sys/bus/pci/devices/0000:01:00.0/resource0), with
 * pci_endpoint_test bound and idle.  The tool locks one page of its own
 * memory, fills it with 0x5a and finds its physical address in
 * /proc/self/pagemap.  Then it programs the test registers as
 * pci_endpoint_test does for a WRITE test with DMA (pci_epf_test's
 * register block: dst_addr, size, flags = use DMA, command = WRITE), with
 * that physical address as the DMA address, and waits up to 10 s for the
 * EP to report WRITE_SUCCESS or WRITE_FAIL.  Without an IOMMU the EP's
 * random data lands in the page; with one (and the page not mapped for
 * the device) the RC's IOMMU refuses the write and the page keeps 0x5a.
 *
 * Prints one line:
 *   epf-dma-stray: phys=0x.. status=0x.. changed=N
 * (changed: bytes of the page that are no longer 0x5a).  Exit 1 on a bad
 * argument or when pagemap gives no address, 2 when the EP reported
 * nothing in time.
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
#include <time.h>
#include <unistd.h>

/* pci_epf_test's registers (drivers/misc/pci_endpoint_test.c) */
#define REG_COMMAND		0x04
#define REG_STATUS		0x08
#define REG_DST_LO		0x14
#define REG_DST_HI		0x18
#define REG_SIZE		0x1c
#define REG_FLAGS		0x2c
#define COMMAND_WRITE		(1u << 4)
#define STATUS_WRITE_SUCCESS	(1u << 2)
#define STATUS_WRITE_FAIL	(1u << 3)
#define FLAG_USE_DMA		1u
#define PAGE			4096

static uint64_t phys_of(void *p)
{
	uint64_t ent;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), ((uintptr_t)p / PAGE) * 8) != 8)
		ent = 0;
	close(fd);
	if (!(ent >> 63) || !(ent & ((1ull << 55) - 1)))
		return 0;	/* not present, or PFNs hidden */
	return (ent & ((1ull << 55) - 1)) * PAGE;
}

int main(int argc, char **argv)
{
	volatile uint32_t *regs;
	uint32_t status = 0;
	unsigned long changed = 0, i;
	uint8_t *page;
	uint64_t phys;
	int fd, t;

	if (argc != 2) {
		fprintf(stderr, "usage: %s RESOURCE\n", argv[0]);
		return 1;
	}
	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	regs = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (regs == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	page = aligned_alloc(PAGE, PAGE);
	if (!page || mlock(page, PAGE)) {
		perror("page");
		return 1;
	}
	memset(page, 0x5a, PAGE);
	phys = phys_of(page);
	if (!phys) {
		fprintf(stderr, "epf-dma-stray: no physical address in /proc/self/pagemap\n");
		return 1;
	}

	regs[REG_STATUS / 4] = 0;
	regs[REG_DST_LO / 4] = (uint32_t)phys;
	regs[REG_DST_HI / 4] = phys >> 32;
	regs[REG_SIZE / 4] = PAGE;
	regs[REG_FLAGS / 4] = FLAG_USE_DMA;
	regs[REG_COMMAND / 4] = COMMAND_WRITE;
	for (t = 0; t < 1000; t++) {
		status = regs[REG_STATUS / 4];
		if (status & (STATUS_WRITE_SUCCESS | STATUS_WRITE_FAIL))
			break;
		usleep(10000);
	}
	usleep(100000);		/* posted writes still in flight */
	for (i = 0; i < PAGE; i++)
		changed += page[i] != 0x5a;
	printf("epf-dma-stray: phys=0x%llx status=0x%x changed=%lu\n",
	       (unsigned long long)phys, status, changed);
	return (status & (STATUS_WRITE_SUCCESS | STATUS_WRITE_FAIL)) ? 0 : 2;
}
