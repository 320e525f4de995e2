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
#include "hw/pci/pci_regs.h"

/*
 * The qemu face's app block: what DWC leaves to the SoC glue, in our own
 * layout (4 KiB, 32-bit accesses; dw-pcie-ep-qemu.c), as kernel-patches/'s
 * pcie-qemu-ep.c drives it.  The "app" interrupt is the OR of
 * APP_IRQ_STATUS & APP_IRQ_ENABLE.  With a "chardev" (the link to the RC
 * QEMU), LTSSM_EN trains the link when the peer is there, and again
 * whenever it comes back; without one, LTSSM_EN brings the link up at
 * once.  Clearing LTSSM_EN takes it down.  APP_STATUS.PERST follows the
 * PERST# the RC drives (docs/link-faults.md): the link stays down while
 * it is set; the controller's registers are kept (no event: the Linux
 * driver has no PERST# handling, it sees the link go down and up).
 */
REG32(APP_ID, 0x00)                     /* RO "DWEP" */
REG32(APP_CTRL, 0x04)
    FIELD(APP_CTRL, LTSSM_EN, 0, 1)     /* start link training */
REG32(APP_STATUS, 0x08)                 /* RO */
    FIELD(APP_STATUS, LINK_UP, 0, 1)
    FIELD(APP_STATUS, PERST, 1, 1)      /* PERST# from the RC asserted */
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
    FIELD(GEN2_CTRL, SPEED_CHANGE, 17, 1)   /* directed speed change */
REG32(MISC_CONTROL_1, 0x8bc)
    FIELD(MISC_CONTROL_1, DBI_RO_WR_EN, 0, 1)
REG32(VERSION_NUMBER, 0x8f8)
REG32(VERSION_TYPE, 0x8fc)
REG32(ATU_VIEWPORT, 0x900)              /* reads all ones: unrolled iATU */
REG32(EDMA_VIEWPORT_CTRL, 0x978)        /* reads all ones: unrolled eDMA */

/* The capability layout of the config space (offsets in the DBI). */
#define DW_PCIE_EP_CAP_PM        0x40
#define DW_PCIE_EP_CAP_MSI       0x50
#define DW_PCIE_EP_CAP_EXP       0x70
#define DW_PCIE_EP_CAP_MSIX      0xb0
#define DW_PCIE_EP_EXT_CAP_REBAR 0x100
/*
 * Resizable BAR entries (PCIe r6.0, 7.8.6): the table has BAR0's and
 * BAR2's (the qemu and rcar-s4 faces); dw_pcie_ep_config_init writes one
 * entry per resizable BAR of the face (at most 6) in their place.
 */
#define DW_PCIE_EP_REBAR_NUM     2
#define DW_PCIE_EP_REBAR_CAP(i)  (DW_PCIE_EP_EXT_CAP_REBAR + PCI_REBAR_CAP + \
                                  8 * (i))
#define DW_PCIE_EP_REBAR_CTRL(i) (DW_PCIE_EP_EXT_CAP_REBAR + PCI_REBAR_CTRL + \
                                  8 * (i))
/* CAP: sizes 2^n MiB from bit n + 4; CTRL: the selected size, 6 bits */
FIELD(REBAR_CAP, SIZES, 4, 28)
FIELD(REBAR_CTRL, BAR_SIZE, 8, 6)
/* The port logic: config offsets from here are the DBI's alone. */
#define DW_PCIE_EP_PORT_LOGIC    0x700

/* Defaults of the vendor-id and device-id properties. */
#define DW_PCIE_EP_DEFAULT_VENDOR_ID 0x16c3     /* Synopsys */
#define DW_PCIE_EP_DEFAULT_DEVICE_ID 0xabcd

/*
 * The config space as data, for the DBI's config engine
 * (dw-pcie-ep-cfg.c) and the qtests:
 *   X(offset, width in bytes (1, 2 or 4), reset value,
 *     bits the RC may write over the link,
 *     bits the EP may write through the DBI,
 *     bits the DBI may write only with MISC_CONTROL_1.DBI_RO_WR_EN,
 *     write-1-to-clear bits)
 * Entries are applied in order over a config space of zeros whose port
 * logic (DW_PCIE_EP_PORT_LOGIC and up) is plain DBI storage; a later entry
 * overrides an earlier one.  A byte no entry names reads 0 and keeps 0
 * from both sides below the port logic; from the link, the port logic
 * reads 0 and ignores writes.  The BAR registers' link masks follow the
 * DBI2 BAR masks and Resizable BAR sizes (dw_pcie_ep_bar_wmask), and the
 * vendor and device IDs take the properties; the rest is this table.
 * What the EP core of Linux 7.2 relies on: the header written under
 * DBI_RO_WR_EN (dw_pcie_ep_write_header), MSI's Multiple Message Capable
 * and MSI-X's table size, BIR and offsets set the same way, the capability
 * chains walked by dw_pcie_find_capability, and the DWC version registers
 * read by dw_pcie_version_detect.
 */
#define DW_PCIE_EP_CFG_BAR(X, n)                                            \
    X(PCI_BASE_ADDRESS_0 + 4 * (n), 4, 0, 0, 0xfffffff0u, 0xffffffffu, 0)
#define DW_PCIE_EP_CFG_REBAR(X, i, bar)                                     \
    X(DW_PCIE_EP_REBAR_CAP(i), 4, 0x00003ff0, 0, 0, 0xfffffff0u, 0)         \
    X(DW_PCIE_EP_REBAR_CTRL(i), 4, (bar) | DW_PCIE_EP_REBAR_NUM << 5,       \
      R_REBAR_CTRL_BAR_SIZE_MASK, R_REBAR_CTRL_BAR_SIZE_MASK, 0xffff0000u, 0)
#define DW_PCIE_EP_CFG_REGS(X)                                              \
    /* Type 0 header */                                                     \
    X(PCI_VENDOR_ID, 2, DW_PCIE_EP_DEFAULT_VENDOR_ID, 0, 0, 0xffff, 0)      \
    X(PCI_DEVICE_ID, 2, DW_PCIE_EP_DEFAULT_DEVICE_ID, 0, 0, 0xffff, 0)      \
    X(PCI_COMMAND, 2, 0, 0x0547, 0x0547, 0, 0)                              \
    X(PCI_STATUS, 2, PCI_STATUS_CAP_LIST, 0, 0, 0, 0xf900)                  \
    X(PCI_CLASS_REVISION, 4, 0, 0, 0, 0xffffffffu, 0)                       \
    X(PCI_CACHE_LINE_SIZE, 1, 0, 0xff, 0xff, 0, 0)                          \
    DW_PCIE_EP_CFG_BAR(X, 0) DW_PCIE_EP_CFG_BAR(X, 1)                       \
    DW_PCIE_EP_CFG_BAR(X, 2) DW_PCIE_EP_CFG_BAR(X, 3)                       \
    DW_PCIE_EP_CFG_BAR(X, 4) DW_PCIE_EP_CFG_BAR(X, 5)                       \
    X(PCI_SUBSYSTEM_VENDOR_ID, 4, 0, 0, 0, 0xffffffffu, 0)                  \
    X(PCI_CAPABILITY_LIST, 1, DW_PCIE_EP_CAP_PM, 0, 0, 0, 0)                \
    X(PCI_INTERRUPT_LINE, 1, 0, 0xff, 0xff, 0, 0)                           \
    X(PCI_INTERRUPT_PIN, 1, 0, 0, 0, 0xff, 0)                               \
    /* PCI Power Management, D0 and D3hot */                                \
    X(DW_PCIE_EP_CAP_PM, 2, PCI_CAP_ID_PM | DW_PCIE_EP_CAP_MSI << 8,        \
      0, 0, 0, 0)                                                           \
    X(DW_PCIE_EP_CAP_PM + PCI_PM_PMC, 2, 0x0003, 0, 0, 0xffff, 0)           \
    X(DW_PCIE_EP_CAP_PM + PCI_PM_CTRL, 2, 0, 0x0103, 0x0103, 0, 0x8000)     \
    /* MSI, 64-bit, up to 32 vectors */                                     \
    X(DW_PCIE_EP_CAP_MSI, 2, PCI_CAP_ID_MSI | DW_PCIE_EP_CAP_EXP << 8,      \
      0, 0, 0, 0)                                                           \
    X(DW_PCIE_EP_CAP_MSI + PCI_MSI_FLAGS, 2,                                \
      PCI_MSI_FLAGS_64BIT | 5 << 1, 0x0071, 0x0071, 0x008e, 0)              \
    X(DW_PCIE_EP_CAP_MSI + PCI_MSI_ADDRESS_LO, 4, 0, 0xfffffffcu,           \
      0xfffffffcu, 0, 0)                                                    \
    X(DW_PCIE_EP_CAP_MSI + PCI_MSI_ADDRESS_HI, 4, 0, 0xffffffffu,           \
      0xffffffffu, 0, 0)                                                    \
    X(DW_PCIE_EP_CAP_MSI + PCI_MSI_DATA_64, 2, 0, 0xffff, 0xffff, 0, 0)     \
    /* PCI Express v2, endpoint, 8 GT/s x1 */                               \
    X(DW_PCIE_EP_CAP_EXP, 2, PCI_CAP_ID_EXP | DW_PCIE_EP_CAP_MSIX << 8,     \
      0, 0, 0, 0)                                                           \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_FLAGS, 2, 0x0002, 0, 0, 0xffff, 0)       \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVCAP, 4, 0x00008001, 0, 0,             \
      0xffffffffu, 0)                                                       \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVCTL, 2, 0x2810, 0x7fff, 0x7fff, 0, 0) \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVSTA, 2, 0, 0, 0, 0, 0x000f)           \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKCAP, 4, 0x00000013, 0, 0,             \
      0xffffffffu, 0)                                                       \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKCTL, 2, 0, 0x0fc3, 0x0fc3, 0, 0)      \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKSTA, 2, 0x0013, 0, 0, 0xffff, 0)      \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVCAP2, 4, 0, 0, 0, 0xffffffffu, 0)     \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_DEVCTL2, 2, 0, 0xffff, 0xffff, 0, 0)     \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKCAP2, 4, 0x0000000e, 0, 0,            \
      0xffffffffu, 0)                                                       \
    X(DW_PCIE_EP_CAP_EXP + PCI_EXP_LNKCTL2, 2, 0x0003, 0xffff, 0xffff, 0, 0) \
    /* MSI-X: table size, BIR and offsets set by the EP core (RO_WR) */     \
    X(DW_PCIE_EP_CAP_MSIX, 2, PCI_CAP_ID_MSIX, 0, 0, 0, 0)                  \
    X(DW_PCIE_EP_CAP_MSIX + PCI_MSIX_FLAGS, 2, 0, 0xc000, 0xc000, 0x07ff, 0) \
    X(DW_PCIE_EP_CAP_MSIX + PCI_MSIX_TABLE, 4, 0, 0, 0, 0xffffffffu, 0)     \
    X(DW_PCIE_EP_CAP_MSIX + PCI_MSIX_PBA, 4, 0, 0, 0, 0xffffffffu, 0)       \
    /* Resizable BAR for BAR0 and BAR2: 1 MiB .. 512 MiB, 1 MiB selected */ \
    X(DW_PCIE_EP_EXT_CAP_REBAR, 4, PCI_EXT_CAP_ID_REBAR | 1 << 16,          \
      0, 0, 0, 0)                                                           \
    DW_PCIE_EP_CFG_REBAR(X, 0, 0) DW_PCIE_EP_CFG_REBAR(X, 1, 2)             \
    /* Port logic with a meaning; the rest of it is plain DBI storage */    \
    X(A_PORT_LINK_CONTROL, 4, 0x00010120, 0, 0xffffffffu, 0, 0)             \
    X(A_PORT_DEBUG0, 4, 0, 0, 0, 0, 0)                                      \
    X(A_PORT_DEBUG1, 4, 0, 0, 0, 0, 0)                                      \
    X(A_GEN2_CTRL, 4, 0x0001010f, 0, 0xffffffffu, 0, 0)                     \
    X(A_VERSION_NUMBER, 4, DW_PCIE_VERSION_520A, 0, 0, 0, 0)                \
    X(A_VERSION_TYPE, 4, DW_PCIE_VERSION_TYPE, 0, 0, 0, 0)                  \
    X(A_ATU_VIEWPORT, 4, 0xffffffffu, 0, 0, 0, 0)                           \
    X(A_EDMA_VIEWPORT_CTRL, 4, 0xffffffffu, 0, 0, 0, 0)

/* 5.20a: unrolled iATU with upper limit; eDMA found through "dma". */
#define DW_PCIE_VERSION_520A    0x3532302a
#define DW_PCIE_VERSION_TYPE    0x6c776370      /* "pcwl" */
/* PORT_DEBUG0.LTSSM_STATE of a link that is up */
#define DW_PCIE_LTSSM_L0        0x11

/*
 * The rcar-s4 face's "app" block (dw-pcie-ep-rcar.c): the R-Car S4
 * registers that Linux 7.2's pcie-rcar-gen4.c touches for
 * "renesas,r8a779f0-pcie-ep" (offsets in the app region, 32-bit).  The
 * link trains with LTSSM_ENABLE set, HOLD_PHY_RST clear and the "pwr"
 * reset deasserted; PCIEINTSTS0's link bits follow the link; the "app"
 * interrupt is PCIEINTSTS0 & PCIEINTSTS0EN; the eDMA's interrupt reaches
 * the "dma" line while PCIEDMAINTSTSEN has any bit set (which bit gates
 * which channel is not modelled).
 */
REG32(RCAR_PCIEMSR0, 0x0000)
    FIELD(RCAR_PCIEMSR0, BIFUR_MOD_SET_ON, 0, 1)
    FIELD(RCAR_PCIEMSR0, DEVICE_TYPE_RC, 4, 1)
    FIELD(RCAR_PCIEMSR0, APP_SRIS_MODE, 6, 1)
REG32(RCAR_PCIERSTCTRL1, 0x0014)
    FIELD(RCAR_PCIERSTCTRL1, APP_LTSSM_ENABLE, 0, 1)
    FIELD(RCAR_PCIERSTCTRL1, APP_HOLD_PHY_RST, 16, 1)
REG32(RCAR_PCIEPWRMNGCTRL, 0x0070)
REG32(RCAR_PCIEINTSTS0, 0x0084)         /* RO */
    FIELD(RCAR_PCIEINTSTS0, RDLH_LINK_UP, 6, 1)
    FIELD(RCAR_PCIEINTSTS0, SMLH_LINK_UP, 7, 1)
REG32(RCAR_PCIEINTSTS0EN, 0x0310)
REG32(RCAR_PCIEDMAINTSTSEN, 0x0314)
    FIELD(RCAR_PCIEDMAINTSTSEN, EN, 0, 16)

#define DW_PCIE_EP_RCAR_APP_SIZE     0x1000
#define DW_PCIE_EP_RCAR_APP_R_MAX    (R_RCAR_PCIEDMAINTSTSEN + 1)
#define DW_PCIE_EP_RCAR_LINK_BITS    (R_RCAR_PCIEINTSTS0_RDLH_LINK_UP_MASK | \
                                      R_RCAR_PCIEINTSTS0_SMLH_LINK_UP_MASK)

/*
 * The rcar-s4 face's registers as data, as DW_PCIE_EP_APP_REGS:
 *   X(name, reset, read-only bits, write-1-to-clear bits, reserved bits,
 *     post-write hook)
 */
#define DW_PCIE_EP_RCAR_APP_REGS(X)                                         \
    X(RCAR_PCIEMSR0, 0, 0, 0, 0, dw_pcie_ep_rcar_rstctrl_postw)             \
    X(RCAR_PCIERSTCTRL1, R_RCAR_PCIERSTCTRL1_APP_HOLD_PHY_RST_MASK, 0, 0,   \
      0, dw_pcie_ep_rcar_rstctrl_postw)                                     \
    X(RCAR_PCIEPWRMNGCTRL, 0, 0, 0, 0, NULL)                                \
    X(RCAR_PCIEINTSTS0, 0, 0xffffffffu, 0, 0, NULL)                         \
    X(RCAR_PCIEINTSTS0EN, 0, 0, 0, 0, dw_pcie_ep_rcar_irq_postw)            \
    X(RCAR_PCIEDMAINTSTSEN, 0, 0, 0,                                        \
      ~(uint32_t)R_RCAR_PCIEDMAINTSTSEN_EN_MASK, dw_pcie_ep_rcar_irq_postw)

/*
 * The rcar-s4 face's stand-in reset block (dw-pcie-ep-standin.c,
 * "snps,dw-high-reset", Linux's reset-simple): bit 0 of its one register
 * is the controller's "pwr" reset, set = asserted, asserted at power-on.
 */
REG32(RCAR_RST, 0x0)
    FIELD(RCAR_RST, PWR, 0, 1)
#define DW_PCIE_EP_RCAR_PHY_SIZE     0x1000

/*
 * The rk3588 face's "apb" client block (dw-pcie-ep-rk3588.c): the
 * registers Linux 7.2's pcie-dw-rockchip.c uses in EP mode (offsets in
 * the apb region, 32-bit).  Writes to GENERAL_CON, INTR_MASK_MISC and
 * HOT_RESET_CTRL follow Rockchip's convention: bits 31:16 enable the
 * write of bits 15:0.  INTR_STATUS_MISC is write 1 to clear.  The "sys"
 * interrupt is INTR_STATUS_MISC & ~INTR_MASK_MISC over RK_MISC_IRQS.
 */
REG32(RK_GENERAL_CON, 0x000)
    FIELD(RK_GENERAL_CON, ENABLE_LTSSM, 2, 1)
    FIELD(RK_GENERAL_CON, DEVICE_TYPE, 4, 4)    /* 0: EP, 4: RC */
REG32(RK_INTR_STATUS_MISC, 0x010)
    FIELD(RK_INTR_STATUS_MISC, RDLH_LINK_UP_CHGED, 1, 1)
    FIELD(RK_INTR_STATUS_MISC, LINK_REQ_RST_NOT_INT, 2, 1)
REG32(RK_INTR_MASK_MISC, 0x024)                 /* 1: masked */
REG32(RK_CDM_RASDES_TBA_INFO_CMN, 0x154)       /* RO 0: no L1 substates */
REG32(RK_HOT_RESET_CTRL, 0x180)
    FIELD(RK_HOT_RESET_CTRL, APP_DLY2_EN, 1, 1)
    FIELD(RK_HOT_RESET_CTRL, APP_DLY2_DONE, 3, 1)   /* a pulse, reads 0 */
    FIELD(RK_HOT_RESET_CTRL, LTSSM_ENABLE_ENHANCE, 4, 1)
REG32(RK_LTSSM_STATUS, 0x300)                   /* RO */
    FIELD(RK_LTSSM_STATUS, LTSSM, 0, 6)
    FIELD(RK_LTSSM_STATUS, LINK_UP, 16, 2)      /* smlh, rdlh link up */

#define RK_MISC_IRQS    (R_RK_INTR_STATUS_MISC_RDLH_LINK_UP_CHGED_MASK | \
                         R_RK_INTR_STATUS_MISC_LINK_REQ_RST_NOT_INT_MASK)

/* The PHY GRF registers phy-rockchip-snps-pcie3 uses for rk3588 */
REG32(RK_PHY_GRF_CMN_CON0, 0x0000)
REG32(RK_PHY_GRF_PHY0_STATUS1, 0x0904)          /* bit 0: SRAM init done */
REG32(RK_PHY_GRF_PHY1_STATUS1, 0x0a04)
REG32(RK_PHY_GRF_PHY0_LN0_CON1, 0x1004)
REG32(RK_PHY_GRF_PHY0_LN1_CON1, 0x1104)
REG32(RK_PHY_GRF_PHY1_LN0_CON1, 0x2004)
REG32(RK_PHY_GRF_PHY1_LN1_CON1, 0x2104)
#define RK_PHY_GRF_LN_CON1_RX_CMN_REFCLK    0x80    /* set at reset */
/* The PHP GRF's lane split */
REG32(RK_PHP_GRF_PCIESEL_CON, 0x100)

/*
 * The rk3588 face's stand-in reset block (dw-pcie-ep-standin.c): set =
 * asserted, all at reset
 */
REG32(RK_RST, 0x0)
    FIELD(RK_RST, PWR, 0, 1)
    FIELD(RK_RST, PIPE, 1, 1)
    FIELD(RK_RST, PHY, 2, 1)
#define RK_RST_ALL      (R_RK_RST_PWR_MASK | R_RK_RST_PIPE_MASK | \
                         R_RK_RST_PHY_MASK)

#define DW_PCIE_EP_RK_APB_SIZE       0x10000
#define DW_PCIE_EP_RK_PHY_SIZE       0x1000
#define DW_PCIE_EP_RK_PHY_GRF_SIZE   0x10000
#define DW_PCIE_EP_RK_PHP_GRF_SIZE   0x1000

#endif
