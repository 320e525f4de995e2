/*
 * Synopsys DesignWare PCIe controller, endpoint mode: the stand-ins the
 * SoC faces need where the virt machine has none of the SoC's providers
 * (docs/faces.md): a reset block Linux's reset-simple drives
 * ("snps,dw-high-reset": one 32-bit register, a bit per reset line, set =
 * asserted, with status), fixed clocks in the device tree, and regions a
 * driver maps but never touches.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "qemu/log.h"
#include "system/device_tree.h"
#include "trace.h"
#include "dw-pcie-ep-internal.h"

/* ---- the reset block ---- */

static uint64_t dw_pcie_ep_rst_read(void *opaque, hwaddr addr, unsigned size)
{
    DwPcieEpState *s = opaque;

    if (addr) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: reset block read 0x%03"
                      HWADDR_PRIx " has no register: 0\n", addr);
        return 0;
    }
    return s->rst_reg;
}

static void dw_pcie_ep_rst_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    DwPcieEpState *s = opaque;
    uint32_t was = s->rst_reg;

    if (addr || (val & ~(uint64_t)s->rst_lines)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: reset block write 0x%03"
                      HWADDR_PRIx " <- 0x%" PRIx64 ": only bits 0x%x of "
                      "register 0 exist, the rest is ignored\n", addr, val,
                      s->rst_lines);
        if (addr) {
            return;
        }
    }
    s->rst_reg = val & s->rst_lines;
    trace_dw_pcie_ep_reset_lines(s->rst_reg);
    /* first the link goes down through the glue, its status and events too */
    DW_PCIE_EP_GET_CLASS(s)->glue_train(s);
    if ((s->rst_reg & s->rst_core) && !(was & s->rst_core)) {
        dw_pcie_ep_core_reset(s);
        device_cold_reset(DEVICE(&s->edma));
    }
}

static const MemoryRegionOps dw_pcie_ep_rst_ops = {
    .read = dw_pcie_ep_rst_read,
    .write = dw_pcie_ep_rst_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

void dw_pcie_ep_rst_init(DwPcieEpState *s, unsigned nlines, uint32_t core)
{
    assert(nlines >= 1 && nlines <= 32 && !(core & ~MAKE_64BIT_MASK(0, nlines)));
    s->rst_lines = MAKE_64BIT_MASK(0, nlines);
    s->rst_core = core;
    s->rst_reg = s->rst_lines;
    memory_region_init_io(&s->rst, OBJECT(s), &dw_pcie_ep_rst_ops, s,
                          "dw-pcie-ep.rst", DW_PCIE_EP_RST_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(s), &s->rst);
}

uint32_t dw_pcie_ep_fdt_rst_node(SysBusDevice *sbd, void *fdt,
                                 PlatformBusDevice *pbus, int region)
{
    DwPcieEpState *s = DW_PCIE_EP(sbd);
    hwaddr addr = dw_pcie_ep_fdt_mmio_addr(sbd, pbus, region);
    g_autofree char *node = g_strdup_printf("/reset-controller@%" PRIx64,
                                            (uint64_t)addr);
    uint32_t phandle = qemu_fdt_alloc_phandle(fdt);

    assert(sysbus_mmio_get_region(sbd, region) == &s->rst);
    qemu_fdt_add_subnode(fdt, node);
    qemu_fdt_setprop_string(fdt, node, "compatible", "snps,dw-high-reset");
    qemu_fdt_setprop_sized_cells(fdt, node, "reg", 2, addr,
                                 2, memory_region_size(&s->rst));
    qemu_fdt_setprop_cell(fdt, node, "#reset-cells", 1);
    qemu_fdt_setprop_cell(fdt, node, "phandle", phandle);
    return phandle;
}

/* ---- fixed clocks ---- */

uint32_t dw_pcie_ep_fdt_clock(SysBusDevice *sbd, void *fdt,
                              PlatformBusDevice *pbus, const char *name,
                              uint32_t hz)
{
    /* named after the controller, so that two of them do not clash */
    g_autofree char *node = g_strdup_printf(
        "/clock-pcie-ep-%" PRIx64 "-%s",
        (uint64_t)dw_pcie_ep_fdt_mmio_addr(sbd, pbus, DW_PCIE_EP_MMIO_DBI),
        name);
    uint32_t phandle = qemu_fdt_alloc_phandle(fdt);

    qemu_fdt_add_subnode(fdt, node);
    qemu_fdt_setprop_string(fdt, node, "compatible", "fixed-clock");
    qemu_fdt_setprop_cell(fdt, node, "#clock-cells", 0);
    qemu_fdt_setprop_cell(fdt, node, "clock-frequency", hz);
    qemu_fdt_setprop_string(fdt, node, "clock-output-names", node + 1);
    qemu_fdt_setprop_cell(fdt, node, "phandle", phandle);
    return phandle;
}

/* ---- regions a driver maps and never touches ---- */

static uint64_t dw_pcie_ep_unimp_read(void *opaque, hwaddr addr,
                                      unsigned size)
{
    qemu_log_mask(LOG_UNIMP, "%s: read 0x%03" HWADDR_PRIx " is not modelled "
                  "(its driver makes none): 0\n", (const char *)opaque, addr);
    return 0;
}

static void dw_pcie_ep_unimp_write(void *opaque, hwaddr addr, uint64_t val,
                                   unsigned size)
{
    qemu_log_mask(LOG_UNIMP, "%s: write 0x%03" HWADDR_PRIx " <- 0x%" PRIx64
                  " is not modelled (its driver makes none): ignored\n",
                  (const char *)opaque, addr, val);
}

static const MemoryRegionOps dw_pcie_ep_unimp_ops = {
    .read = dw_pcie_ep_unimp_read,
    .write = dw_pcie_ep_unimp_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

void dw_pcie_ep_init_unimp(DwPcieEpState *s, MemoryRegion *mr,
                           const char *name, uint64_t size)
{
    memory_region_init_io(mr, OBJECT(s), &dw_pcie_ep_unimp_ops,
                          (void *)name, name, size);
}
