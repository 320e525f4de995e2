/*
 * DesignWare eDMA (v0 register map, unrolled), as integrated in the DWC PCIe
 * controller: the register block that dw-pcie-ep exposes as its "dma"
 * region.
 *
 * Register layout follows Linux 7.2 drivers/dma/dw-edma/dw-edma-v0-regs.h:
 * global registers at 0x000..0x1ff, then per channel a 0x200 block at
 * 0x200 + ch * 0x200 (write channel at +0x000, read channel at +0x100).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_DW_EDMA_EMU_H
#define HW_PCI_EP_DW_EDMA_EMU_H

#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_DW_EDMA_EMU "dw-edma-emu"
OBJECT_DECLARE_SIMPLE_TYPE(DwEdmaEmuState, DW_EDMA_EMU)

#define DW_EDMA_MAX_CHANNELS   8
/* 8 write + 8 read channels: the last read channel ends at 0x1200. */
#define DW_EDMA_REGION_SIZE    0x2000

/* Global register offsets used by the model. */
#define DW_EDMA_CTRL            0x008   /* wr count [3:0], rd count [19:16] */
#define DW_EDMA_WR_INT_STATUS   0x04c
#define DW_EDMA_WR_INT_MASK     0x054
#define DW_EDMA_WR_INT_CLEAR    0x058
#define DW_EDMA_RD_INT_STATUS   0x0a0
#define DW_EDMA_RD_INT_MASK     0x0a8
#define DW_EDMA_RD_INT_CLEAR    0x0ac

struct DwEdmaEmuState {
    SysBusDevice parent_obj;

    MemoryRegion mmio;
    qemu_irq irq;

    /* Register file, indexed by offset / 4; see dw_edma_emu.c. */
    uint32_t regs[DW_EDMA_REGION_SIZE / 4];
    /* Interrupt emulation: asserted by a status write, cleared by int_clear. */
    bool emul_irq;

    /* Properties */
    uint8_t wr_channels;
    uint8_t rd_channels;
};

#endif
