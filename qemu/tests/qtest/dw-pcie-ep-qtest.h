/*
 * Helpers shared by the dw-pcie-ep and dw-edma qtests.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef DW_PCIE_EP_QTEST_H
#define DW_PCIE_EP_QTEST_H

#include <sys/un.h>
#include "libqtest.h"
#include "hw/pci-ep/dw-pcie-iatu.h"

/*
 * The base address of memory region @name (e.g. "dw-edma",
 * "dw-pcie-ep.app") as "info mtree" shows it; the sysbus device is mapped
 * on virt's platform bus, so its addresses are the machine's to choose.
 * Fails the test if there is no such region.
 */
static inline uint64_t region_base(QTestState *qts, const char *name)
{
    g_autofree char *mtree = qtest_hmp(qts, "info mtree");
    g_autofree char *pat = g_strdup_printf(" %s\r", name);
    char **lines = g_strsplit(mtree, "\n", -1);
    uint64_t base = 0;
    int i;

    for (i = 0; lines[i]; i++) {
        g_autofree char *l = g_strconcat(lines[i], "\r", NULL);

        if (strstr(l, pat)) {
            base = g_ascii_strtoull(g_strchug(lines[i]), NULL, 16);
            break;
        }
    }
    g_strfreev(lines);
    g_assert_cmphex(base, !=, 0);
    return base;
}

/*
 * A unix socket listening at "link.sock" in a new directory made from
 * @tmpl (g_dir_make_tmp), for a link chardev to connect to: its fd; the
 * directory and the socket's path in @dir and @path, the caller's to
 * remove and free.
 */
static inline int link_listen(const char *tmpl, char **dir, char **path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    *dir = g_dir_make_tmp(tmpl, NULL);
    g_assert(*dir);
    *path = g_build_filename(*dir, "link.sock", NULL);
    g_assert(strlen(*path) < sizeof(sa.sun_path));
    strcpy(sa.sun_path, *path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    g_assert(fd >= 0);
    g_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    g_assert(listen(fd, 1) == 0);
    return fd;
}

/*
 * Unrolled iATU (databook "iATU unroll"; Linux pcie-designware.h), as
 * dw-pcie-iatu.h declares it: region @i's outbound registers at @atu +
 * IATU_REGION(@i), its inbound ones IATU_INBOUND above.
 */
#define IATU_REGION(i)      ((uint64_t)(i) << R_IATU_ADDR_INDEX_SHIFT)
#define IATU_INBOUND        R_IATU_ADDR_INBOUND_MASK
#define IATU_ENABLE         R_IATU_CTRL2_REGION_EN_MASK
#define IATU_BAR_MATCH      R_IATU_CTRL2_BAR_MODE_EN_MASK

/*
 * iatu_window: program and enable the address-match region at @reg (an
 * IATU_REGION(i), plus IATU_INBOUND for an inbound one) so that @size
 * bytes at @base (32-bit limit, as the DWC core before 5.x has) translate
 * to @target.
 */
static inline void iatu_window(QTestState *qts, uint64_t reg, uint64_t base,
                               uint32_t size, uint64_t target)
{
    qtest_writel(qts, reg + A_IATU_LOWER_BASE, (uint32_t)base);
    qtest_writel(qts, reg + A_IATU_UPPER_BASE, base >> 32);
    qtest_writel(qts, reg + A_IATU_LOWER_LIMIT, (uint32_t)base + size - 1);
    qtest_writel(qts, reg + A_IATU_LOWER_TARGET, (uint32_t)target);
    qtest_writel(qts, reg + A_IATU_UPPER_TARGET, target >> 32);
    qtest_writel(qts, reg + A_IATU_CTRL1, 0);
    qtest_writel(qts, reg + A_IATU_CTRL2, IATU_ENABLE);
}

/*
 * iatu_bar_match: program and enable inbound region @reg (IATU_REGION(i) +
 * IATU_INBOUND) in BAR-match mode: BAR @bar of the function to @target.
 */
static inline void iatu_bar_match(QTestState *qts, uint64_t reg,
                                  unsigned bar, uint64_t target)
{
    qtest_writel(qts, reg + A_IATU_LOWER_TARGET, (uint32_t)target);
    qtest_writel(qts, reg + A_IATU_UPPER_TARGET, target >> 32);
    qtest_writel(qts, reg + A_IATU_CTRL1, 0);
    qtest_writel(qts, reg + A_IATU_CTRL2, IATU_ENABLE | IATU_BAR_MATCH |
                 bar << R_IATU_CTRL2_BAR_NUM_SHIFT);
}

#endif
