/*
 * Synopsys DesignWare PCIe controller, endpoint mode: what every face's
 * device tree node has (reg and interrupts at the platform bus's
 * addresses, the iATU counts, max-functions, dma-coherent, the ITS
 * msi-map), for the faces' add_fdt_node (dw-pcie-ep-qemu.c,
 * dw-pcie-ep-rcar.c), which hw/core/sysbus-fdt.c calls when the virt
 * machine's platform bus adds the device.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "qemu/error-report.h"
#include "system/device_tree.h"
#include "hw/arm/fdt.h"
#include <libfdt.h>
#include "dw-pcie-ep-internal.h"

hwaddr dw_pcie_ep_fdt_mmio_addr(SysBusDevice *sbd, PlatformBusDevice *pbus,
                                int n)
{
    MemoryRegion *pbus_mr = sysbus_mmio_get_region(SYS_BUS_DEVICE(pbus), 0);

    return pbus_mr->addr + platform_bus_get_mmio_addr(pbus, sbd, n);
}

char *dw_pcie_ep_fdt_node(SysBusDevice *sbd, void *fdt,
                          PlatformBusDevice *pbus, int irq_start,
                          const char *const *compat, unsigned ncompat,
                          const char *const *reg_names,
                          const unsigned *reg_index, unsigned nreg,
                          const char *const *irq_names,
                          const unsigned *irq_index, unsigned nirq,
                          uint32_t num_lanes)
{
    DwPcieEpState *s = DW_PCIE_EP(sbd);
    g_autofree uint64_t *reg = g_new(uint64_t, 2 * nreg);
    g_autofree uint32_t *irqs = g_new(uint32_t, 3 * nirq);
    g_autofree const char **names = g_new(const char *,
                                          MAX(MAX(nreg, nirq), ncompat));
    uint8_t max_functions = 1;
    char *node;
    unsigned i, n;

    /*
     * The node goes at the root with absolute addresses, not under the
     * platform bus: the DWC core compares the "addr_space" reg with its CPU
     * address and warns when they differ.
     */
    node = g_strdup_printf("/pcie-ep@%" PRIx64,
                           (uint64_t)dw_pcie_ep_fdt_mmio_addr(sbd, pbus, 0));
    qemu_fdt_add_subnode(fdt, node);
    for (i = 0; i < ncompat; i++) {
        names[i] = compat[i];
    }
    qemu_fdt_setprop_string_array(fdt, node, "compatible", (char **)names,
                                  ncompat);
    /* Without "dt-edma", the dma region and interrupt are not described. */
    for (i = n = 0; i < nreg; i++) {
        unsigned r = reg_index ? reg_index[i] : i;
        MemoryRegion *mr = sysbus_mmio_get_region(sbd, r);

        if (!reg_names[i] ||
            (!s->edma_described && r == DW_PCIE_EP_MMIO_DMA)) {
            continue;
        }
        reg[2 * n] = cpu_to_be64(dw_pcie_ep_fdt_mmio_addr(sbd, pbus, r));
        reg[2 * n + 1] = cpu_to_be64(memory_region_size(mr));
        if (!s->edma_described && r == DW_PCIE_EP_MMIO_ATU &&
            DW_PCIE_EP_GET_CLASS(s)->face->edma_in_atu) {
            /* an "atu" too small to hold the eDMA: Linux finds none */
            reg[2 * n + 1] = cpu_to_be64(DW_PCIE_EP_ATU_EDMA_OFFSET);
        }
        names[n++] = reg_names[i];
    }
    qemu_fdt_setprop(fdt, node, "reg", reg, n * 2 * sizeof(reg[0]));
    qemu_fdt_setprop_string_array(fdt, node, "reg-names", (char **)names, n);
    for (i = n = 0; i < nirq; i++) {
        unsigned line = irq_index ? irq_index[i] : i;

        if (!s->edma_described && line == DW_PCIE_EP_IRQ_DMA) {
            continue;
        }
        irqs[3 * n] = cpu_to_be32(GIC_FDT_IRQ_TYPE_SPI);
        irqs[3 * n + 1] = cpu_to_be32(irq_start +
                                      platform_bus_get_irqn(pbus, sbd, line));
        irqs[3 * n + 2] = cpu_to_be32(GIC_FDT_IRQ_FLAGS_LEVEL_HI);
        names[n++] = irq_names[i];
    }
    qemu_fdt_setprop(fdt, node, "interrupts", irqs, n * 3 * sizeof(irqs[0]));
    qemu_fdt_setprop_string_array(fdt, node, "interrupt-names",
                                  (char **)names, n);
    qemu_fdt_setprop_cell(fdt, node, "num-ib-windows", s->num_ib);
    qemu_fdt_setprop_cell(fdt, node, "num-ob-windows", s->num_ob);
    qemu_fdt_setprop_cell(fdt, node, "num-lanes", num_lanes);
    /* The DWC core reads max-functions as a u8. */
    qemu_fdt_setprop(fdt, node, "max-functions", &max_functions, 1);
    qemu_fdt_setprop(fdt, node, "dma-coherent", NULL, 0);
    if (s->msi_doorbell) {
        int its = fdt_node_offset_by_compatible(fdt, -1, "arm,gic-v3-its");
        uint32_t phandle = its >= 0 ? fdt_get_phandle(fdt, its) : 0;

        if (!phandle) {
            error_report("dw-pcie-ep: msi-doorbell=on needs a GICv3 ITS "
                         "(use -machine virt,gic-version=3,its=on)");
            g_free(node);
            return NULL;
        }
        /*
         * msi-map, not msi-parent: Linux's pci-ep-msi finds the EPC's
         * platform MSI domain with of_msi_map_get_device_domain(), which
         * takes msi-parent only when #msi-cells is 0, and the ITS has 1.
         * Requester ID 0 maps to its-device-id.
         */
        qemu_fdt_setprop_cells(fdt, node, "msi-map", 0, phandle,
                               s->its_device_id, 1);
    }
    return node;
}
