/*
 * Synopsys DesignWare PCIe controller, endpoint mode: its device tree
 * node ("qemu,dw-pcie-ep", bound by pcie-qemu-ep.c of kernel-patches/),
 * written when the virt machine's platform bus adds the device
 * (hw/core/sysbus-fdt.c calls DwPcieEpClass::add_fdt_node).
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

int dw_pcie_ep_add_fdt_node(SysBusDevice *sbd, void *fdt,
                            const char *parent, PlatformBusDevice *pbus,
                            int irq_start)
{
    DwPcieEpState *s = DW_PCIE_EP(sbd);
    static const char * const reg_names[DW_PCIE_EP_MMIO_NUM] = {
        "dbi", "dbi2", "atu", "dma", "app", "addr_space",
    };
    static const char * const irq_names[DW_PCIE_EP_IRQ_NUM] = { "dma", "app" };
    MemoryRegion *pbus_mr = sysbus_mmio_get_region(SYS_BUS_DEVICE(pbus), 0);
    uint64_t reg[DW_PCIE_EP_MMIO_NUM * 2];
    uint32_t irqs[DW_PCIE_EP_IRQ_NUM * 3];
    const char *names[DW_PCIE_EP_MMIO_NUM];
    uint8_t max_functions = 1;
    hwaddr base;
    char *node;
    int i, n;

    /*
     * The node goes at the root with absolute addresses, not under the
     * platform bus: the DWC core compares the "addr_space" reg with its CPU
     * address and warns when they differ.
     */
    base = pbus_mr->addr + platform_bus_get_mmio_addr(pbus, sbd, 0);
    node = g_strdup_printf("/pcie-ep@%" PRIx64, (uint64_t)base);
    qemu_fdt_add_subnode(fdt, node);
    /* Bound by the series in kernel-patches/ (pcie-qemu-ep.c). */
    qemu_fdt_setprop_string(fdt, node, "compatible", "qemu,dw-pcie-ep");
    /* Without "dt-edma", the dma region and interrupt are not described. */
    for (i = n = 0; i < DW_PCIE_EP_MMIO_NUM; i++) {
        MemoryRegion *mr = sysbus_mmio_get_region(sbd, i);

        if (!s->edma_described && !strcmp(reg_names[i], "dma")) {
            continue;
        }
        reg[2 * n] = cpu_to_be64(pbus_mr->addr +
                                 platform_bus_get_mmio_addr(pbus, sbd, i));
        reg[2 * n + 1] = cpu_to_be64(memory_region_size(mr));
        names[n++] = reg_names[i];
    }
    qemu_fdt_setprop(fdt, node, "reg", reg, n * 2 * sizeof(reg[0]));
    qemu_fdt_setprop_string_array(fdt, node, "reg-names", (char **)names, n);
    for (i = n = 0; i < DW_PCIE_EP_IRQ_NUM; i++) {
        if (!s->edma_described && !strcmp(irq_names[i], "dma")) {
            continue;
        }
        irqs[3 * n] = cpu_to_be32(GIC_FDT_IRQ_TYPE_SPI);
        irqs[3 * n + 1] = cpu_to_be32(irq_start +
                                      platform_bus_get_irqn(pbus, sbd, i));
        irqs[3 * n + 2] = cpu_to_be32(GIC_FDT_IRQ_FLAGS_LEVEL_HI);
        names[n++] = irq_names[i];
    }
    qemu_fdt_setprop(fdt, node, "interrupts", irqs, n * 3 * sizeof(irqs[0]));
    qemu_fdt_setprop_string_array(fdt, node, "interrupt-names",
                                  (char **)names, n);
    qemu_fdt_setprop_cell(fdt, node, "num-ib-windows", s->num_ib);
    qemu_fdt_setprop_cell(fdt, node, "num-ob-windows", s->num_ob);
    qemu_fdt_setprop_cell(fdt, node, "num-lanes", 1);
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
            return -1;
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
    g_free(node);
    return 0;
}
