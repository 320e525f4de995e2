/*
 * pcitest-xfer - run pci_endpoint_test READ or WRITE transfers of a given
 * size, a given number of times, with the endpoint's DMA or with memcpy.
 *
 * Usage: pcitest-xfer read|write SIZE COUNT dma|memcpy [DEVICE]
 *
 * READ: the RC reads what the endpoint writes (the EP logs WRITE); WRITE:
 * the endpoint reads what the RC wrote (the EP logs READ).
 * SIZE is in bytes (the RC driver allocates it with kmalloc: at most
 * 4 MiB).  Exits non-zero at the first transfer the driver reports as
 * failed.  The endpoint prints the time of each transfer in its dmesg
 * ("READ => Size: ... Time: ..."), which is what bench/edma.sh reads.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/pcitest.h>

int main(int argc, char **argv)
{
	struct pci_endpoint_test_xfer_param param = { 0 };
	const char *dev = argc > 5 ? argv[5] : "/dev/pci-endpoint-test.0";
	unsigned long cmd, count, i;
	int fd;

	if (argc < 5 || (strcmp(argv[1], "read") && strcmp(argv[1], "write")) ||
	    (strcmp(argv[4], "dma") && strcmp(argv[4], "memcpy"))) {
		fprintf(stderr, "usage: %s read|write SIZE COUNT dma|memcpy "
			"[DEVICE]\n", argv[0]);
		return 2;
	}
	cmd = strcmp(argv[1], "read") ? PCITEST_WRITE : PCITEST_READ;
	param.size = strtoul(argv[2], NULL, 0);
	count = strtoul(argv[3], NULL, 0);
	param.flags = strcmp(argv[4], "dma") ? 0 : PCITEST_FLAGS_USE_DMA;

	fd = open(dev, O_RDWR);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	if (ioctl(fd, PCITEST_SET_IRQTYPE, PCITEST_IRQ_TYPE_AUTO) < 0) {
		perror("PCITEST_SET_IRQTYPE");
		return 1;
	}
	for (i = 0; i < count; i++) {
		if (ioctl(fd, cmd, &param) < 0) {
			fprintf(stderr, "%s %lu bytes (%s): transfer %lu of %lu "
				"failed\n", argv[1], param.size, argv[4], i + 1,
				count);
			return 1;
		}
	}
	printf("%s: %lu x %lu bytes (%s) done\n", argv[1], count, param.size,
	       argv[4]);
	close(fd);
	return 0;
}
