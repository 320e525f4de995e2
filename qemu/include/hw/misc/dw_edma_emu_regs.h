/*
 * DesignWare eDMA (v0 register map, unrolled): the registers declared once
 * (hw/registerfields.h), for the device (dw-edma-emu) and its qtests.
 *
 * The layout is the one the Linux 7.2 dw-edma v0 driver uses in unrolled
 * mode (drivers/dma/dw-edma/dw-edma-v0-regs.h): global registers at
 * 0x000..0x0ff of the "dma" region, then per channel a 0x200 stride from
 * 0x200 with the write channel's registers at +0x000 and the read
 * channel's at +0x100.  All registers are 32 bits wide; the driver's
 * 64-bit registers are pairs of them (low word first).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_DW_EDMA_EMU_REGS_H
#define HW_MISC_DW_EDMA_EMU_REGS_H

#include "hw/registerfields.h"

/* Channels per direction: 1..8 (the v0 map has room for 8). */
#define DW_EDMA_MAX_CHANNELS    8
#define DW_EDMA_DEFAULT_CHANNELS 4
/* 8 write + 8 read channels: the last read channel ends at 0x1124. */
#define DW_EDMA_REGION_SIZE     0x2000
/* Global registers: bytes 0x000..0x0ff (32-bit words, by R_ index). */
#define DW_EDMA_GLOBAL_SIZE     0x100
#define DW_EDMA_R_MAX           (DW_EDMA_GLOBAL_SIZE / 4)
/* One channel's block, its registers at the start; dir 0 write, 1 read. */
#define DW_EDMA_CH_BLOCK        0x100
#define DW_EDMA_CH_BASE(dir, ch) \
    (0x200 + (ch) * 2 * DW_EDMA_CH_BLOCK + (dir) * DW_EDMA_CH_BLOCK)

/* ---- global registers ---- */

REG32(EDMA_CTRL_DATA_ARB_PRIOR, 0x000)  /* stored, no effect */
REG32(EDMA_CTRL, 0x008)                 /* RO */
    FIELD(EDMA_CTRL, WR_CH_CNT, 0, 4)   /* write channels */
    FIELD(EDMA_CTRL, RD_CH_CNT, 16, 4)  /* read channels */
REG32(EDMA_WR_ENGINE_EN, 0x00c)
REG32(EDMA_WR_DOORBELL, 0x010)          /* write-only, reads 0 */
REG32(EDMA_WR_CH_ARB_WEIGHT_LO, 0x018)  /* stored, no effect */
REG32(EDMA_WR_CH_ARB_WEIGHT_HI, 0x01c)
REG32(EDMA_RD_ENGINE_EN, 0x02c)
REG32(EDMA_RD_DOORBELL, 0x030)
REG32(EDMA_RD_CH_ARB_WEIGHT_LO, 0x038)
REG32(EDMA_RD_CH_ARB_WEIGHT_HI, 0x03c)
REG32(EDMA_WR_INT_STATUS, 0x04c)        /* RO; a write asserts (emulation) */
REG32(EDMA_WR_INT_MASK, 0x054)
REG32(EDMA_WR_INT_CLEAR, 0x058)         /* write-only, reads 0 */
REG32(EDMA_WR_ERR_STATUS, 0x05c)        /* RO */
REG32(EDMA_WR_DONE_IMWR_LO, 0x060)
REG32(EDMA_WR_DONE_IMWR_HI, 0x064)
REG32(EDMA_WR_ABORT_IMWR_LO, 0x068)
REG32(EDMA_WR_ABORT_IMWR_HI, 0x06c)
REG32(EDMA_WR_CH01_IMWR_DATA, 0x070)
REG32(EDMA_WR_CH23_IMWR_DATA, 0x074)
REG32(EDMA_WR_CH45_IMWR_DATA, 0x078)
REG32(EDMA_WR_CH67_IMWR_DATA, 0x07c)
REG32(EDMA_WR_LL_ERR_EN, 0x090)         /* stored, no effect */
REG32(EDMA_RD_INT_STATUS, 0x0a0)
REG32(EDMA_RD_INT_MASK, 0x0a8)
REG32(EDMA_RD_INT_CLEAR, 0x0ac)
REG32(EDMA_RD_ERR_STATUS_LO, 0x0b4)     /* RO */
REG32(EDMA_RD_ERR_STATUS_HI, 0x0b8)     /* RO, reads 0 */
REG32(EDMA_RD_LL_ERR_EN, 0x0c4)
REG32(EDMA_RD_DONE_IMWR_LO, 0x0cc)
REG32(EDMA_RD_DONE_IMWR_HI, 0x0d0)
REG32(EDMA_RD_ABORT_IMWR_LO, 0x0d4)
REG32(EDMA_RD_ABORT_IMWR_HI, 0x0d8)
REG32(EDMA_RD_CH01_IMWR_DATA, 0x0dc)
REG32(EDMA_RD_CH23_IMWR_DATA, 0x0e0)
REG32(EDMA_RD_CH45_IMWR_DATA, 0x0e4)
REG32(EDMA_RD_CH67_IMWR_DATA, 0x0e8)

/*
 * Fields that the write and read copies of a register share, declared on
 * a pseudo-register of the common name (FIELD_EX32(v, EDMA_INT, DONE)).
 */
FIELD(EDMA_ENGINE_EN, EN, 0, 1)         /* wr/rd_engine_en */
FIELD(EDMA_DOORBELL, CH, 0, 3)          /* wr/rd_doorbell: channel */
FIELD(EDMA_DOORBELL, STOP, 31, 1)       /* ... stop it (ABORT) */
FIELD(EDMA_INT, DONE, 0, 8)             /* int_status, _mask, _clear */
FIELD(EDMA_INT, ABORT, 16, 8)           /* one bit per channel each */
FIELD(EDMA_ERR, DATA, 0, 8)             /* err_status (rd: low word): */
FIELD(EDMA_ERR, LL, 16, 8)              /* data, element fetch errors */
FIELD(EDMA_LL_ERR_EN, LOCAL, 0, 8)      /* linked_list_err_en */
FIELD(EDMA_LL_ERR_EN, REMOTE, 16, 8)
FIELD(EDMA_IMWR_DATA, EVEN, 0, 16)      /* chXY_imwr_data: channel X */
FIELD(EDMA_IMWR_DATA, ODD, 16, 16)      /* ... and channel Y */

#define DW_EDMA_INT_BITS        (R_EDMA_INT_DONE_MASK | R_EDMA_INT_ABORT_MASK)
#define DW_EDMA_ERR_BITS        (R_EDMA_ERR_DATA_MASK | R_EDMA_ERR_LL_MASK)
#define DW_EDMA_CTRL_VALUE(wr, rd) \
    (((uint32_t)(wr) << R_EDMA_CTRL_WR_CH_CNT_SHIFT) | \
     ((uint32_t)(rd) << R_EDMA_CTRL_RD_CH_CNT_SHIFT))

/* ---- channel registers (offsets in a channel's block) ---- */

REG32(EDMA_CH_CONTROL1, 0x00)
    FIELD(EDMA_CH_CONTROL1, CB, 0, 1)   /* cycle bit */
    FIELD(EDMA_CH_CONTROL1, TCB, 1, 1)  /* toggle cycle bit (link) */
    FIELD(EDMA_CH_CONTROL1, LLP, 2, 1)  /* link element */
    FIELD(EDMA_CH_CONTROL1, LIE, 3, 1)  /* local (done) interrupt */
    FIELD(EDMA_CH_CONTROL1, RIE, 4, 1)  /* remote interrupt: IMWr */
    FIELD(EDMA_CH_CONTROL1, CS, 5, 2)   /* RO channel status */
    FIELD(EDMA_CH_CONTROL1, CCS, 8, 1)  /* consumer cycle state */
    FIELD(EDMA_CH_CONTROL1, LLE, 9, 1)  /* linked-list enable */
REG32(EDMA_CH_CONTROL2, 0x04)           /* stored, no effect */
REG32(EDMA_CH_SIZE, 0x08)               /* transfer size, bytes */
REG32(EDMA_CH_SAR_LO, 0x0c)
REG32(EDMA_CH_SAR_HI, 0x10)
REG32(EDMA_CH_DAR_LO, 0x14)
REG32(EDMA_CH_DAR_HI, 0x18)
REG32(EDMA_CH_LLP_LO, 0x1c)
REG32(EDMA_CH_LLP_HI, 0x20)
#define DW_EDMA_CH_R_MAX        (R_EDMA_CH_LLP_HI + 1)

/* ch_control1.CS values */
#define DW_EDMA_CS_RUNNING      1
#define DW_EDMA_CS_HALTED       2
#define DW_EDMA_CS_STOPPED      3

/* What the guest writes in ch_control1 (and an element's control word). */
#define DW_EDMA_CONTROL1_RW \
    (R_EDMA_CH_CONTROL1_CB_MASK | R_EDMA_CH_CONTROL1_TCB_MASK | \
     R_EDMA_CH_CONTROL1_LLP_MASK | R_EDMA_CH_CONTROL1_LIE_MASK | \
     R_EDMA_CH_CONTROL1_RIE_MASK | R_EDMA_CH_CONTROL1_CCS_MASK | \
     R_EDMA_CH_CONTROL1_LLE_MASK)

/*
 * Linked-list elements, in EP memory, little endian, 24 bytes each.  The
 * control word has ch_control1's CB, TCB, LLP, LIE and RIE bits.  A data
 * element: control, size, SAR, DAR; a link element (LLP set): control,
 * a reserved word, the next element's address.
 */
#define DW_EDMA_LL_ELEM_SIZE    24
#define DW_EDMA_LL_CONTROL      0x00    /* 32-bit */
#define DW_EDMA_LL_SIZE         0x04    /* 32-bit */
#define DW_EDMA_LL_SAR          0x08    /* 64-bit */
#define DW_EDMA_LL_DAR          0x10    /* 64-bit */
#define DW_EDMA_LL_NEXT         0x08    /* 64-bit, link elements */

/*
 * The registers as data, for the register API in the device
 * (RegisterAccessInfo) and for the qtests' checks:
 *   X(name, reset, read-only bits, write-1-to-clear bits, reserved bits,
 *     write-only, pre-write hook, post-write hook)
 * Read-only bits keep their value on a write.  Reserved bits read 0 and
 * keep 0; a write that sets one is logged as a guest error.  A write-only
 * register acts on the value written (its pre-write hook) and reads 0.
 * The hooks are the device's; the qtests ignore them.  Offsets that are
 * in no table read 0, and writes to them are logged and dropped.
 *
 * EDMA_CTRL's reset value is the default channel counts (4 and 4): the
 * device puts its "wr-channels" and "rd-channels" properties there.
 */
#define DW_EDMA_NO_INT          ((uint32_t)~DW_EDMA_INT_BITS)
#define DW_EDMA_DOORBELL_RSVD \
    ((uint32_t)~(R_EDMA_DOORBELL_CH_MASK | R_EDMA_DOORBELL_STOP_MASK))
#define DW_EDMA_ENGINE_EN_RSVD  ((uint32_t)~R_EDMA_ENGINE_EN_EN_MASK)
#define DW_EDMA_LL_ERR_EN_RSVD \
    ((uint32_t)~(R_EDMA_LL_ERR_EN_LOCAL_MASK | R_EDMA_LL_ERR_EN_REMOTE_MASK))

#define DW_EDMA_DIR_REGS(X, D)                                              \
    X(EDMA_##D##_ENGINE_EN, 0, 0, 0, DW_EDMA_ENGINE_EN_RSVD, 0, NULL, NULL) \
    X(EDMA_##D##_DOORBELL, 0, 0, 0, DW_EDMA_DOORBELL_RSVD, 1,               \
      dw_edma_emu_doorbell_prew, NULL)                                      \
    X(EDMA_##D##_CH_ARB_WEIGHT_LO, 0, 0, 0, 0, 0, NULL, NULL)               \
    X(EDMA_##D##_CH_ARB_WEIGHT_HI, 0, 0, 0, 0, 0, NULL, NULL)               \
    X(EDMA_##D##_INT_STATUS, 0, DW_EDMA_INT_BITS, 0, DW_EDMA_NO_INT, 0,     \
      dw_edma_emu_int_status_prew, NULL)                                    \
    X(EDMA_##D##_INT_MASK, DW_EDMA_INT_BITS, 0, 0, DW_EDMA_NO_INT, 0,       \
      NULL, dw_edma_emu_int_mask_postw)                                     \
    X(EDMA_##D##_INT_CLEAR, 0, 0, 0, DW_EDMA_NO_INT, 1,                     \
      dw_edma_emu_int_clear_prew, NULL)                                     \
    X(EDMA_##D##_LL_ERR_EN, 0, 0, 0, DW_EDMA_LL_ERR_EN_RSVD, 0, NULL, NULL) \
    X(EDMA_##D##_DONE_IMWR_LO, 0, 0, 0, 0, 0, NULL, NULL)                   \
    X(EDMA_##D##_DONE_IMWR_HI, 0, 0, 0, 0, 0, NULL, NULL)                   \
    X(EDMA_##D##_ABORT_IMWR_LO, 0, 0, 0, 0, 0, NULL, NULL)                  \
    X(EDMA_##D##_ABORT_IMWR_HI, 0, 0, 0, 0, 0, NULL, NULL)                  \
    X(EDMA_##D##_CH01_IMWR_DATA, 0, 0, 0, 0, 0, NULL, NULL)                 \
    X(EDMA_##D##_CH23_IMWR_DATA, 0, 0, 0, 0, 0, NULL, NULL)                 \
    X(EDMA_##D##_CH45_IMWR_DATA, 0, 0, 0, 0, 0, NULL, NULL)                 \
    X(EDMA_##D##_CH67_IMWR_DATA, 0, 0, 0, 0, 0, NULL, NULL)

#define DW_EDMA_GLOBAL_REGS(X)                                              \
    X(EDMA_CTRL_DATA_ARB_PRIOR, 0, 0, 0, 0, 0, NULL, NULL)                  \
    X(EDMA_CTRL, DW_EDMA_CTRL_VALUE(DW_EDMA_DEFAULT_CHANNELS,               \
                                    DW_EDMA_DEFAULT_CHANNELS),              \
      0xffffffffu, 0, 0, 0, NULL, NULL)                                     \
    DW_EDMA_DIR_REGS(X, WR)                                                 \
    X(EDMA_WR_ERR_STATUS, 0, DW_EDMA_ERR_BITS, 0,                           \
      (uint32_t)~DW_EDMA_ERR_BITS, 0, NULL, NULL)                           \
    DW_EDMA_DIR_REGS(X, RD)                                                 \
    X(EDMA_RD_ERR_STATUS_LO, 0, DW_EDMA_ERR_BITS, 0,                        \
      (uint32_t)~DW_EDMA_ERR_BITS, 0, NULL, NULL)                           \
    X(EDMA_RD_ERR_STATUS_HI, 0, 0xffffffffu, 0, 0, 0, NULL, NULL)

#define DW_EDMA_CH_REGS(X)                                                  \
    X(EDMA_CH_CONTROL1, 0, R_EDMA_CH_CONTROL1_CS_MASK, 0,                   \
      (uint32_t)~(DW_EDMA_CONTROL1_RW | R_EDMA_CH_CONTROL1_CS_MASK), 0,     \
      NULL, NULL)                                                           \
    X(EDMA_CH_CONTROL2, 0, 0, 0, 0, 0, NULL, NULL)                          \
    X(EDMA_CH_SIZE, 0, 0, 0, 0, 0, NULL, NULL)                              \
    X(EDMA_CH_SAR_LO, 0, 0, 0, 0, 0, NULL, NULL)                            \
    X(EDMA_CH_SAR_HI, 0, 0, 0, 0, 0, NULL, NULL)                            \
    X(EDMA_CH_DAR_LO, 0, 0, 0, 0, 0, NULL, NULL)                            \
    X(EDMA_CH_DAR_HI, 0, 0, 0, 0, 0, NULL, NULL)                            \
    X(EDMA_CH_LLP_LO, 0, 0, 0, 0, 0, NULL, NULL)                            \
    X(EDMA_CH_LLP_HI, 0, 0, 0, 0, 0, NULL, NULL)

#endif
