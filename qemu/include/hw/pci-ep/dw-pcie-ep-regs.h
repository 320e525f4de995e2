/*
 * Synopsys DesignWare PCIe controller, endpoint mode: register blocks
 * declared once (hw/registerfields.h), for the device and its qtests.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_DW_PCIE_EP_REGS_H
#define HW_PCI_EP_DW_PCIE_EP_REGS_H

#include "hw/registerfields.h"

/*
 * The app block: what DWC leaves to the SoC glue, in our own layout
 * (DW_PCIE_EP_APP_SIZE bytes, 32-bit accesses), as kernel-patches/'s
 * pcie-qemu-ep.c drives it.  The "app" interrupt is the OR of
 * APP_IRQ_STATUS & APP_IRQ_ENABLE.  With a "chardev" (the link to the RC
 * QEMU), LTSSM_EN trains the link when the peer is there, and again
 * whenever it comes back; without one, LTSSM_EN brings the link up at
 * once.  Clearing LTSSM_EN takes it down.
 */
REG32(APP_ID, 0x00)                     /* RO "DWEP" */
REG32(APP_CTRL, 0x04)
    FIELD(APP_CTRL, LTSSM_EN, 0, 1)     /* start link training */
REG32(APP_STATUS, 0x08)                 /* RO */
    FIELD(APP_STATUS, LINK_UP, 0, 1)
REG32(APP_IRQ_STATUS, 0x0c)             /* W1C events */
    FIELD(APP_IRQ_STATUS, LINK_UP, 0, 1)
    FIELD(APP_IRQ_STATUS, LINK_DOWN, 1, 1)
REG32(APP_IRQ_ENABLE, 0x10)             /* the same bits */
REG32(APP_INTX, 0x14)
    FIELD(APP_INTX, INTA, 0, 1)         /* INTA asserted (INTx on the link) */

#define DW_PCIE_EP_APP_R_MAX    (R_APP_INTX + 1)
#define DW_PCIE_EP_APP_ID_VALUE 0x50455744
#define DW_PCIE_EP_APP_IRQS     (R_APP_IRQ_STATUS_LINK_UP_MASK | \
                                 R_APP_IRQ_STATUS_LINK_DOWN_MASK)

/*
 * The app registers as data, for the register API in the device
 * (RegisterAccessInfo) and for the qtests' checks of reset values,
 * read-only and reserved bits:
 *   X(name, reset, read-only bits, write-1-to-clear bits, reserved bits,
 *     post-write hook (the device's; the qtests ignore it))
 * Reserved bits read 0 and keep 0; a write that sets one is logged as a
 * guest error.
 */
#define DW_PCIE_EP_APP_REGS(X)                                              \
    X(APP_ID, DW_PCIE_EP_APP_ID_VALUE, 0xffffffffu, 0, 0, NULL)             \
    X(APP_CTRL, 0, 0, 0, ~(uint32_t)R_APP_CTRL_LTSSM_EN_MASK,               \
      dw_pcie_ep_app_ctrl_postw)                                            \
    X(APP_STATUS, 0, 0xffffffffu, 0, 0, NULL)                               \
    X(APP_IRQ_STATUS, 0, 0, DW_PCIE_EP_APP_IRQS,                            \
      ~(uint32_t)DW_PCIE_EP_APP_IRQS, dw_pcie_ep_app_irq_postw)             \
    X(APP_IRQ_ENABLE, 0, 0, 0, ~(uint32_t)DW_PCIE_EP_APP_IRQS,              \
      dw_pcie_ep_app_irq_postw)                                             \
    X(APP_INTX, 0, 0, 0, ~(uint32_t)R_APP_INTX_INTA_MASK,                   \
      dw_pcie_ep_app_intx_postw)

/*
 * Port logic registers in the DBI (config space offsets 0x700 and up) that
 * the model gives a meaning to, as the Linux 7.2 DWC core
 * (pcie-designware.c) uses them; the DBI's config engine
 * (dw-pcie-ep-cfg.c) holds their values and masks.
 */
REG32(PORT_LINK_CONTROL, 0x710)
REG32(PORT_DEBUG0, 0x728)
    FIELD(PORT_DEBUG0, LTSSM_STATE, 0, 6)
REG32(PORT_DEBUG1, 0x72c)
    FIELD(PORT_DEBUG1, LINK_UP, 4, 1)
REG32(GEN2_CTRL, 0x80c)
REG32(MISC_CONTROL_1, 0x8bc)
    FIELD(MISC_CONTROL_1, DBI_RO_WR_EN, 0, 1)
REG32(VERSION_NUMBER, 0x8f8)
REG32(VERSION_TYPE, 0x8fc)
REG32(ATU_VIEWPORT, 0x900)              /* reads all ones: unrolled iATU */
REG32(EDMA_VIEWPORT_CTRL, 0x978)        /* reads all ones: unrolled eDMA */

/* 5.20a: unrolled iATU with upper limit; eDMA found through "dma". */
#define DW_PCIE_VERSION_520A    0x3532302a
#define DW_PCIE_VERSION_TYPE    0x6c776370      /* "pcwl" */
/* PORT_DEBUG0.LTSSM_STATE of a link that is up */
#define DW_PCIE_LTSSM_L0        0x11

#endif
