/*
 * Helpers shared by the dw-pcie-ep and dw-edma qtests.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef DW_PCIE_EP_QTEST_H
#define DW_PCIE_EP_QTEST_H

#include "libqtest.h"

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

#endif
