/*
 * DesignWare eDMA (v0, unrolled) engine: what its two files share,
 * dw_edma_emu.c (the registers and the device) and dw_edma_emu_xfer.c
 * (the transfers).  Not for other devices: see hw/pci-ep/dw-edma-emu.h.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_DW_EDMA_EMU_INTERNAL_H
#define HW_MISC_DW_EDMA_EMU_INTERNAL_H

#include "hw/pci-ep/dw-edma-emu.h"

#define DONE_BITS       0x000000ffu
#define ABORT_BITS      0x00ff0000u
#define INT_BITS        (DONE_BITS | ABORT_BITS)
#define DOORBELL_STOP   (1u << 31)
#define DOORBELL_CH     0x7u
#define CONTROL1_RW     (DW_EDMA_CB | DW_EDMA_TCB | DW_EDMA_LLP | \
                         DW_EDMA_LIE | DW_EDMA_RIE | DW_EDMA_CCS | \
                         DW_EDMA_LLE)
/*
 * Link elements followed in a row in one fetch: a longer run counts as a
 * loop (it also bounds the work of one fetch, loop or not).
 */
#define MAX_LINKS       64

/* Error status bits (wr_err_status; rd_err_status low word). */
#define ERR_DATA(ch)    (1u << (ch))        /* data read/write error */
#define ERR_LL(ch)      (1u << (16 + (ch))) /* linked-list fetch error */

/* A global (G) or channel (C) register by its byte offset. */
#define G(s, off)       ((s)->regs[(off) >> 2])
#define C(c, off)       ((c)->regs[(off) >> 2])

/* Per direction register offsets (DW_EDMA_DIR_WRITE, DW_EDMA_DIR_READ). */
typedef struct DwEdmaDirRegs {
    hwaddr doorbell, engine_en, status, mask, clear, err, done_imwr,
           abort_imwr, imwr_data;
    const char *name;
} DwEdmaDirRegs;
static const DwEdmaDirRegs dir_regs[2] = {
    [DW_EDMA_DIR_WRITE] = {
        DW_EDMA_WR_DOORBELL, DW_EDMA_WR_ENGINE_EN, DW_EDMA_WR_INT_STATUS,
        DW_EDMA_WR_INT_MASK, DW_EDMA_WR_INT_CLEAR, DW_EDMA_WR_ERR_STATUS,
        DW_EDMA_WR_DONE_IMWR, DW_EDMA_WR_ABORT_IMWR, DW_EDMA_WR_IMWR_DATA,
        "write",
    },
    [DW_EDMA_DIR_READ] = {
        DW_EDMA_RD_DOORBELL, DW_EDMA_RD_ENGINE_EN, DW_EDMA_RD_INT_STATUS,
        DW_EDMA_RD_INT_MASK, DW_EDMA_RD_INT_CLEAR, DW_EDMA_RD_ERR_STATUS,
        DW_EDMA_RD_DONE_IMWR, DW_EDMA_RD_ABORT_IMWR, DW_EDMA_RD_IMWR_DATA,
        "read",
    },
};

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
