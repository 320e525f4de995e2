/*
 * DesignWare eDMA (v0 register map, unrolled), as integrated in the DWC PCIe
 * controller: the register block that dw-pcie-ep exposes as its "dma"
 * region, and the engine behind it.
 *
 * Register layout follows Linux 7.2 drivers/dma/dw-edma/dw-edma-v0-regs.h:
 * global registers at 0x000..0x0f7, then per channel a 0x200 block at
 * 0x200 + ch * 0x200 (write channel at +0x000, read channel at +0x100).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_PCI_EP_DW_EDMA_EMU_H
#define HW_PCI_EP_DW_EDMA_EMU_H

#include "exec/memattrs.h"
#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_DW_EDMA_EMU "dw-edma-emu"
OBJECT_DECLARE_SIMPLE_TYPE(DwEdmaEmuState, DW_EDMA_EMU)

#define DW_EDMA_MAX_CHANNELS   8
/* 8 write + 8 read channels: the last read channel ends at 0x1124. */
#define DW_EDMA_REGION_SIZE    0x2000

/* Global registers (offsets in the "dma" region). */
#define DW_EDMA_CTRL            0x008   /* wr count [3:0], rd count [19:16] */
#define DW_EDMA_WR_ENGINE_EN    0x00c
#define DW_EDMA_WR_DOORBELL     0x010   /* [2:0] channel, [31] stop */
#define DW_EDMA_RD_ENGINE_EN    0x02c
#define DW_EDMA_RD_DOORBELL     0x030
#define DW_EDMA_WR_INT_STATUS   0x04c   /* [7:0] DONE, [23:16] ABORT */
#define DW_EDMA_WR_INT_MASK     0x054
#define DW_EDMA_WR_INT_CLEAR    0x058
#define DW_EDMA_WR_ERR_STATUS   0x05c
#define DW_EDMA_WR_DONE_IMWR    0x060   /* 64-bit address, lo then hi */
#define DW_EDMA_WR_ABORT_IMWR   0x068
#define DW_EDMA_WR_IMWR_DATA    0x070   /* ch01, ch23, ch45, ch67 */
#define DW_EDMA_RD_INT_STATUS   0x0a0
#define DW_EDMA_RD_INT_MASK     0x0a8
#define DW_EDMA_RD_INT_CLEAR    0x0ac
#define DW_EDMA_RD_ERR_STATUS   0x0b4   /* 64-bit */
#define DW_EDMA_RD_DONE_IMWR    0x0cc
#define DW_EDMA_RD_ABORT_IMWR   0x0d4
#define DW_EDMA_RD_IMWR_DATA    0x0dc

/* Channel registers: DW_EDMA_CH(dir, ch) + offset. dir 0 write, 1 read. */
#define DW_EDMA_CH(dir, ch)     (0x200 + (ch) * 0x200 + (dir) * 0x100)
#define DW_EDMA_CH_CONTROL1     0x00
#define DW_EDMA_CH_CONTROL2     0x04
#define DW_EDMA_CH_SIZE         0x08
#define DW_EDMA_CH_SAR          0x0c    /* 64-bit, lo then hi */
#define DW_EDMA_CH_DAR          0x14
#define DW_EDMA_CH_LLP          0x1c

/* ch_control1 and linked-list element control bits. */
#define DW_EDMA_CB              (1u << 0)   /* cycle bit */
#define DW_EDMA_TCB             (1u << 1)   /* toggle cycle bit (link) */
#define DW_EDMA_LLP             (1u << 2)   /* link element */
#define DW_EDMA_LIE             (1u << 3)   /* local (done) interrupt */
#define DW_EDMA_RIE             (1u << 4)   /* remote interrupt: IMWr */
#define DW_EDMA_CS_SHIFT        5           /* channel status [6:5] */
#define DW_EDMA_CS_MASK         (3u << 5)
#define DW_EDMA_CS_RUNNING      1
#define DW_EDMA_CS_HALTED       2
#define DW_EDMA_CS_STOPPED      3
#define DW_EDMA_CCS             (1u << 8)   /* consumer cycle state */
#define DW_EDMA_LLE             (1u << 9)   /* linked-list enable */

/* Linked-list elements, in EP memory, little endian, 24 bytes each. */
#define DW_EDMA_LL_ELEM_SIZE    24

enum {
    DW_EDMA_DIR_WRITE = 0,      /* EP memory -> PCI address */
    DW_EDMA_DIR_READ = 1,       /* PCI address -> EP memory */
};

/*
 * How the engine reaches PCI addresses: dw-pcie-ep carries them over its
 * link as bus-master requests (not through the outbound iATU).
 *
 * read_async: start a read of @len bytes (1 to DW_EDMA_SLICE) at PCI
 * address @addr and return true; @done runs, with the BQL held, with
 * MEMTX_OK and the data, or an error (the peer completed with UR or CA,
 * not in time, or the link went down): later, or before read_async
 * returns when the data is at hand (the RC's RAM shared by the link's
 * fast path).  False when nothing was
 * started (no link, no Bus Master Enable, a range past 2^64): @done is
 * not called.
 *
 * write: posted; it may wait (BQL released) while the link's transmit
 * queue is full.  MEMTX_OK, or an error when there is no link or the
 * request was refused.  @len is at most DW_EDMA_SLICE bytes.
 */
typedef void DwEdmaEmuReadDone(void *opaque, MemTxResult res,
                               const uint8_t *data, uint64_t len);
typedef struct DwEdmaEmuPciOps {
    bool (*read_async)(void *opaque, uint64_t addr, uint64_t len,
                       DwEdmaEmuReadDone *done, void *done_opaque);
    MemTxResult (*write)(void *opaque, uint64_t addr, const void *buf,
                         uint64_t len);
} DwEdmaEmuPciOps;

/* Bytes a channel moves before the engine lets the guest run again. */
#define DW_EDMA_SLICE           (64 * 1024)

typedef struct DwEdmaChannel {
    uint32_t regs[0x24 / 4];    /* control1 .. llp, as the driver sees them */
    bool running;
    bool reading;               /* a read_async of this run is in flight */
    /* In linked-list mode, the element at llp is fetched next. */
    uint32_t elem_control;      /* control word of the data element in hand */
    bool in_element;            /* a data element is partly done */
    /*
     * Loop detection since the last doorbell (dw_edma_emu_revisit): the
     * checkpoint element and CCS, elements taken since it, and after how
     * many it moves on (0: no checkpoint yet).  Not migrated: a walk
     * after an incoming migration starts its detection afresh.
     */
    uint64_t walk_llp;
    bool walk_ccs;
    uint64_t walk_steps;
    uint64_t walk_span;
} DwEdmaChannel;

struct DwEdmaEmuState {
    SysBusDevice parent_obj;

    MemoryRegion mmio;
    qemu_irq irq;
    QEMUBH *bh;

    /* Global registers, indexed by offset / 4 (0x000..0x0f7). */
    uint32_t regs[0x100 / 4];
    DwEdmaChannel ch[2][DW_EDMA_MAX_CHANNELS];
    /*
     * Runs of each channel: counted up when a channel starts, halts or is
     * reset, so that a transfer that waited for the link (BQL released)
     * can tell whether its channel is still the same run.
     */
    uint32_t run[2][DW_EDMA_MAX_CHANNELS];
    /* Interrupt emulation: asserted by a status write, cleared by int_clear. */
    bool emul_irq;

    /* EP memory, where buffers and linked lists live (default: system). */
    AddressSpace *as;
    MemTxAttrs attrs;
    const DwEdmaEmuPciOps *pci_ops;
    void *pci_opaque;
    uint8_t *buf;               /* DW_EDMA_SLICE bytes in flight */

    /* Properties */
    uint8_t wr_channels;
    uint8_t rd_channels;
};

/*
 * dw_edma_emu_set_ports: where the engine's two sides are.  @as is EP
 * memory (linked lists and local buffers) accessed with @attrs; @ops
 * reaches PCI addresses.  Call before realize.  Without @ops every
 * transfer that touches a PCI address aborts.
 */
void dw_edma_emu_set_ports(DwEdmaEmuState *s, AddressSpace *as,
                           MemTxAttrs attrs, const DwEdmaEmuPciOps *ops,
                           void *opaque);

#endif
