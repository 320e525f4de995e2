/*
 * DesignWare eDMA (v0, unrolled) engine: what its two files share,
 * dw_edma_emu.c (the registers and the device) and dw_edma_emu_xfer.c
 * (the transfers).  Not for other devices: see hw/misc/dw_edma_emu.h.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_DW_EDMA_EMU_INTERNAL_H
#define HW_MISC_DW_EDMA_EMU_INTERNAL_H

#include "hw/misc/dw_edma_emu.h"

/*
 * Link elements followed in a row in one fetch: a longer run counts as a
 * loop (it also bounds the work of one fetch, loop or not).
 */
#define MAX_LINKS       64

/* Error status bits (wr_err_status; rd_err_status low word). */
#define ERR_DATA(ch)    (1u << (R_EDMA_ERR_DATA_SHIFT + (ch)))
#define ERR_LL(ch)      (1u << (R_EDMA_ERR_LL_SHIFT + (ch)))
/* int_status, int_mask and int_clear bits */
#define INT_DONE(ch)    (1u << (R_EDMA_INT_DONE_SHIFT + (ch)))
#define INT_ABORT(ch)   (1u << (R_EDMA_INT_ABORT_SHIFT + (ch)))

/* Per direction registers (DW_EDMA_DIR_WRITE, DW_EDMA_DIR_READ): R_ indices */
typedef struct DwEdmaDirRegs {
    unsigned engine_en, doorbell, status, mask, clear, err, done_imwr_lo,
             done_imwr_hi, abort_imwr_lo, abort_imwr_hi, imwr_data;
    const char *name;
} DwEdmaDirRegs;

/* @e: the error status (wr_err_status, rd_err_status's low word) */
#define DW_EDMA_DIR_REGS_OF(D, e, n) {                                      \
    .engine_en = R_EDMA_##D##_ENGINE_EN, .doorbell = R_EDMA_##D##_DOORBELL, \
    .status = R_EDMA_##D##_INT_STATUS, .mask = R_EDMA_##D##_INT_MASK,       \
    .clear = R_EDMA_##D##_INT_CLEAR, .err = (e),                            \
    .done_imwr_lo = R_EDMA_##D##_DONE_IMWR_LO,                              \
    .done_imwr_hi = R_EDMA_##D##_DONE_IMWR_HI,                              \
    .abort_imwr_lo = R_EDMA_##D##_ABORT_IMWR_LO,                            \
    .abort_imwr_hi = R_EDMA_##D##_ABORT_IMWR_HI,                            \
    .imwr_data = R_EDMA_##D##_CH01_IMWR_DATA, .name = (n) }

static const DwEdmaDirRegs dir_regs[2] = {
    [DW_EDMA_DIR_WRITE] = DW_EDMA_DIR_REGS_OF(WR, R_EDMA_WR_ERR_STATUS,
                                              "write"),
    [DW_EDMA_DIR_READ] = DW_EDMA_DIR_REGS_OF(RD, R_EDMA_RD_ERR_STATUS_LO,
                                             "read"),
};

/* The methods of the engine's "pci-port" (which the caller checked is set). */
static inline DwEdmaPciPortClass *dw_edma_port(DwEdmaEmuState *s)
{
    return DW_EDMA_PCI_PORT_GET_CLASS(s->pci_port);
}

/* ---- dw_edma_emu_xfer.c ---- */

/* Channels of direction @dir (DW_EDMA_DIR_*) that the device has. */
unsigned dw_edma_count(DwEdmaEmuState *s, int dir);

/* Set channel @c's status (DW_EDMA_CS_*) in its ch_control1. */
void dw_edma_ch_set_status(DwEdmaChannel *c, unsigned cs);

/* The "dma" line: DONE and ABORT under the masks, or emulation. */
void dw_edma_emu_update_irq(DwEdmaEmuState *s);

/*
 * End channel @ch of @dir in ABORT with error bits @err (ERR_DATA or
 * ERR_LL; 0 for a stop by doorbell), @why for the trace: status, IMWr,
 * interrupt.
 */
void dw_edma_emu_abort(DwEdmaEmuState *s, int dir, unsigned ch,
                       uint32_t err, const char *why);

/* The bottom half that moves the running channels' data. */
void dw_edma_emu_run(void *opaque);

#endif
