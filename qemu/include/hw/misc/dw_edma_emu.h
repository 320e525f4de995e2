/*
 * DesignWare eDMA (v0 register map, unrolled), as integrated in the DWC PCIe
 * controller: the register block that dw-pcie-ep exposes as its "dma"
 * region, and the engine behind it.
 *
 * The registers are declared in hw/misc/dw_edma_emu_regs.h (the layout of
 * Linux 7.2 drivers/dma/dw-edma/dw-edma-v0-regs.h, unrolled).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_MISC_DW_EDMA_EMU_H
#define HW_MISC_DW_EDMA_EMU_H

#include "exec/memattrs.h"
#include "hw/misc/dw_edma_emu_regs.h"
#include "hw/register.h"
#include "hw/sysbus.h"
#include "qom/object.h"

#define TYPE_DW_EDMA_EMU "dw-edma-emu"
OBJECT_DECLARE_SIMPLE_TYPE(DwEdmaEmuState, DW_EDMA_EMU)

enum {
    DW_EDMA_DIR_WRITE = 0,      /* EP memory -> PCI address */
    DW_EDMA_DIR_READ = 1,       /* PCI address -> EP memory */
};

/*
 * The engine's PCI side, a QOM interface: the device that owns the link
 * (dw-pcie-ep) implements it and is the engine's "pci-port" link.  It
 * carries the engine's requests over its link as bus-master requests
 * (not through the outbound iATU), whole: a bulk port, so a transfer is
 * not split into register-sized round trips.
 *
 * read_async: start a read of @len bytes (1 to DW_EDMA_SLICE) at PCI
 * address @addr and return true; @done runs, with the BQL held, with
 * MEMTX_OK and the data, or an error (the peer completed with UR or CA,
 * not in time, or the link went down): later, or before read_async
 * returns when the data is at hand (the RC's RAM shared by the link's
 * fast path).  False when nothing was started (no link, no Bus Master
 * Enable, a range past 2^64): @done is not called.
 *
 * write: posted; it may wait (BQL released) while the link's transmit
 * queue is full.  MEMTX_OK, or an error when there is no link or the
 * request was refused.  @len is at most DW_EDMA_SLICE bytes.
 */
#define TYPE_DW_EDMA_PCI_PORT "dw-edma-pci-port"
typedef struct DwEdmaPciPortClass DwEdmaPciPortClass;
DECLARE_CLASS_CHECKERS(DwEdmaPciPortClass, DW_EDMA_PCI_PORT,
                       TYPE_DW_EDMA_PCI_PORT)
#define DW_EDMA_PCI_PORT(obj) \
    INTERFACE_CHECK(DwEdmaPciPort, (obj), TYPE_DW_EDMA_PCI_PORT)
typedef struct DwEdmaPciPort DwEdmaPciPort;

typedef void DwEdmaEmuReadDone(void *opaque, MemTxResult res,
                               const uint8_t *data, uint64_t len);
struct DwEdmaPciPortClass {
    InterfaceClass parent_class;

    bool (*read_async)(DwEdmaPciPort *port, uint64_t addr, uint64_t len,
                       DwEdmaEmuReadDone *done, void *done_opaque);
    MemTxResult (*write)(DwEdmaPciPort *port, uint64_t addr, const void *buf,
                         uint64_t len);
};

/* Bytes a channel moves before the engine lets the guest run again. */
#define DW_EDMA_SLICE           (64 * 1024)

typedef struct DwEdmaChannel {
    /* control1 .. llp_hi, by R_EDMA_CH_* index, as the driver sees them */
    uint32_t regs[DW_EDMA_CH_R_MAX];
    RegisterInfo regs_info[DW_EDMA_CH_R_MAX];
    RegisterInfoArray *block;   /* mapped at DW_EDMA_CH_BASE(dir, ch) */
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

    /*
     * The "dma" region: the global block and each channel's block over a
     * background that logs accesses to anything else.
     */
    MemoryRegion mmio;
    MemoryRegion unmodelled;
    qemu_irq irq;
    QEMUBH *bh;

    /* Global registers, by R_EDMA_* index (offset / 4). */
    uint32_t regs[DW_EDMA_R_MAX];
    RegisterInfo regs_info[DW_EDMA_R_MAX];
    RegisterInfoArray *block;
    DwEdmaChannel ch[2][DW_EDMA_MAX_CHANNELS];
    /*
     * Runs of each channel: counted up when a channel starts, halts or is
     * reset, so that a transfer that waited for the link (BQL released)
     * can tell whether its channel is still the same run.
     */
    uint32_t run[2][DW_EDMA_MAX_CHANNELS];
    /* Interrupt emulation: asserted by a status write, cleared by int_clear. */
    bool emul_irq;
    Error *migration_blocker;

    /* EP memory, where buffers and linked lists live ("memory") */
    AddressSpace as;
    MemTxAttrs attrs;
    uint8_t *buf;               /* DW_EDMA_SLICE bytes in flight */

    /* Properties */
    uint8_t wr_channels;
    uint8_t rd_channels;
    MemoryRegion *mem;
    DwEdmaPciPort *pci_port;
    uint32_t requester_id;
};

#endif
