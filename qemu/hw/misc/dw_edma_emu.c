/*
 * DesignWare eDMA (v0, unrolled) engine of the DWC PCIe controller.
 *
 * The contract is what the Linux 7.2 dw-edma driver (dw-edma-v0-core.c,
 * dw-edma-v0-regs.h) and the endpoint's embedded doorbell rely on:
 *  - DMA_CTRL reports the write and read channel counts (properties
 *    "wr-channels" and "rd-channels", 1..8);
 *  - per channel: ch_control1 (CB, TCB, LLP, LIE, RIE, CCS, LLE and the
 *    read-only channel status CS), transfer size, SAR, DAR, LLP;
 *  - a doorbell ([2:0] channel) starts a channel; [31] stops it (ABORT);
 *  - linked-list mode: 24-byte data and link elements in EP memory, taken
 *    while their cycle bit equals the channel's CCS; a link element with
 *    TCB toggles CCS; an element whose cycle bit differs stops the channel
 *    with LLP pointing at it, and a doorbell resumes there;
 *  - non-linked-list mode: one block of transfer size bytes, then DONE;
 *  - DONE ([7:0]) and ABORT ([23:16]) status per direction, mask, and
 *    write-1-to-clear; the "dma" interrupt line is their OR under the
 *    masks; a data element with RIE (or ch_control1 RIE in non-LL mode)
 *    also sends an IMWr, a 32-bit memory write of the channel's IMWr data
 *    to the done (or abort) IMWr address on the PCI side;
 *  - interrupt emulation: a 32-bit write to wr_int_status or rd_int_status
 *    asserts the interrupt without setting DONE or ABORT; any write to
 *    wr_int_clear or rd_int_clear deasserts it (the embedded doorbell that
 *    pci-ep-msi falls back to; the kernel writes 0 to rd_int_status).
 *
 * Write channels move EP memory to PCI addresses, read channels PCI
 * addresses to EP memory.  The PCI side is reached through the ops that
 * the controller gives (its link), not through the outbound iATU.  The
 * engine runs from a bottom half, DW_EDMA_SLICE bytes per channel at a
 * time, so a large transfer does not hold up the vCPUs.  Any failed access
 * (EP memory, or the PCI side answering UR/CA, or no link) ends the
 * transfer in ABORT with the error status set, never in a hang; so does
 * an address range (SAR, DAR, LLP, or an IMWr address) whose last byte
 * would lie past 2^64 - 1, and a linked list that comes back to an element
 * it has taken since the last doorbell with the same CCS (a loop, through
 * link or data elements alike).
 *
 * This file has the registers and the device; the transfers are in
 * dw_edma_emu_xfer.c.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-edma-emu.h"
#include "exec/address-spaces.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "trace.h"
#include "dw_edma_emu_internal.h"

static void dw_edma_emu_doorbell(DwEdmaEmuState *s, int dir, uint32_t val)
{
    unsigned ch = val & DOORBELL_CH;
    DwEdmaChannel *c = &s->ch[dir][ch];

    if (ch >= dw_edma_count(s, dir)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: %s doorbell for "
                      "channel %u of %u\n", dir_regs[dir].name, ch,
                      dw_edma_count(s, dir));
        return;
    }
    trace_dw_edma_emu_doorbell(dir_regs[dir].name, ch, !!(val & DOORBELL_STOP));
    if (val & DOORBELL_STOP) {
        if (c->running) {
            dw_edma_emu_abort(s, dir, ch, 0, "stopped by its doorbell");
        }
        return;
    }
    if (!(G(s, dir_regs[dir].engine_en) & 1)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: %s doorbell for "
                      "channel %u while the engine is disabled\n",
                      dir_regs[dir].name, ch);
        return;
    }
    /* Loop detection counts the elements taken since this doorbell. */
    c->walk_span = 0;
    if (c->running) {
        return;         /* it fetches what was added when it gets there */
    }
    c->running = true;
    c->reading = false;
    s->run[dir][ch]++;
    dw_edma_ch_set_status(c, DW_EDMA_CS_RUNNING);
    if (!(C(c, DW_EDMA_CH_CONTROL1) & DW_EDMA_LLE)) {
        /* One block from the channel registers. */
        c->elem_control = C(c, DW_EDMA_CH_CONTROL1);
        c->in_element = true;
    } else {
        c->in_element = false;
    }
    qemu_bh_schedule(s->bh);
}

static uint64_t dw_edma_emu_read(void *opaque, hwaddr addr, unsigned size)
{
    DwEdmaEmuState *s = opaque;
    uint32_t val = 0;

    if (addr < sizeof(s->regs)) {
        val = G(s, addr);
    } else if (addr >= DW_EDMA_CH(0, 0) &&
               addr < DW_EDMA_CH(0, DW_EDMA_MAX_CHANNELS)) {
        hwaddr rel = addr - DW_EDMA_CH(0, 0);
        unsigned ch = rel / 0x200;
        int dir = (rel % 0x200) / 0x100;
        hwaddr off = rel % 0x100;

        if (ch < dw_edma_count(s, dir) && off < sizeof(s->ch[0][0].regs)) {
            val = C(&s->ch[dir][ch], off);
        } else {
            qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: read of 0x%"
                          HWADDR_PRIx " (%s channel %u, offset 0x%"
                          HWADDR_PRIx "): no such register\n", addr,
                          dir_regs[dir].name, ch, off);
        }
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: read of 0x%" HWADDR_PRIx
                      ": no such register\n", addr);
    }
    trace_dw_edma_emu_read(addr, val);
    return val;
}

static void dw_edma_emu_write_channel(DwEdmaEmuState *s, hwaddr addr,
                                      uint32_t val)
{
    hwaddr rel = addr - DW_EDMA_CH(0, 0);
    unsigned ch = rel / 0x200;
    int dir = (rel % 0x200) / 0x100;
    hwaddr off = rel % 0x100;
    DwEdmaChannel *c = &s->ch[dir][ch];

    if (ch >= dw_edma_count(s, dir) || off >= sizeof(c->regs)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: write to 0x%"
                      HWADDR_PRIx " (%s channel %u, offset 0x%" HWADDR_PRIx
                      "): no such register\n", addr, dir_regs[dir].name, ch,
                      off);
        return;
    }
    if (off == DW_EDMA_CH_CONTROL1) {
        val = (val & CONTROL1_RW) |
              (C(c, DW_EDMA_CH_CONTROL1) & DW_EDMA_CS_MASK);
    }
    C(c, off) = val;
}

static void dw_edma_emu_write(void *opaque, hwaddr addr, uint64_t val64,
                              unsigned size)
{
    DwEdmaEmuState *s = opaque;
    uint32_t val = val64;
    int dir;

    trace_dw_edma_emu_write(addr, val);
    if (addr >= DW_EDMA_CH(0, 0) &&
        addr < DW_EDMA_CH(0, DW_EDMA_MAX_CHANNELS)) {
        dw_edma_emu_write_channel(s, addr, val);
        return;
    }
    if (addr >= sizeof(s->regs)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: write to 0x%"
                      HWADDR_PRIx ": no such register\n", addr);
        return;
    }
    for (dir = 0; dir < 2; dir++) {
        if (addr == dir_regs[dir].doorbell) {
            dw_edma_emu_doorbell(s, dir, val);
            return;
        }
        if (addr == dir_regs[dir].status) {
            /* Interrupt emulation: assert, status bits untouched. */
            s->emul_irq = true;
            trace_dw_edma_emu_irq_emulation(addr, true);
            dw_edma_emu_update_irq(s);
            return;
        }
        if (addr == dir_regs[dir].clear) {
            G(s, dir_regs[dir].status) &= ~(val & INT_BITS);
            s->emul_irq = false;
            trace_dw_edma_emu_irq_emulation(addr, false);
            dw_edma_emu_update_irq(s);
            return;
        }
        if (addr == dir_regs[dir].mask) {
            G(s, addr) = val & INT_BITS;
            dw_edma_emu_update_irq(s);
            return;
        }
        if (addr == dir_regs[dir].err ||
            (dir == DW_EDMA_DIR_READ && addr == DW_EDMA_RD_ERR_STATUS + 4)) {
            return;     /* read-only */
        }
    }
    if (addr == DW_EDMA_CTRL) {
        return;         /* channel counts are read-only */
    }
    G(s, addr) = val;
}

static const MemoryRegionOps dw_edma_emu_ops = {
    .read = dw_edma_emu_read,
    .write = dw_edma_emu_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* The driver uses 32-bit accesses (64-bit ones are split in two). */
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

void dw_edma_emu_set_ports(DwEdmaEmuState *s, AddressSpace *as,
                           MemTxAttrs attrs, const DwEdmaEmuPciOps *ops,
                           void *opaque)
{
    s->as = as;
    s->attrs = attrs;
    s->pci_ops = ops;
    s->pci_opaque = opaque;
}

static void dw_edma_emu_reset_hold(Object *obj, ResetType type)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(obj);
    unsigned i;

    if (s->bh) {
        qemu_bh_cancel(s->bh);
    }
    memset(s->regs, 0, sizeof(s->regs));
    memset(s->ch, 0, sizeof(s->ch));
    for (i = 0; i < DW_EDMA_MAX_CHANNELS; i++) {
        s->run[0][i]++;
        s->run[1][i]++;
    }
    G(s, DW_EDMA_CTRL) = s->wr_channels | (s->rd_channels << 16);
    /* Interrupts masked until the driver unmasks them. */
    G(s, DW_EDMA_WR_INT_MASK) = INT_BITS;
    G(s, DW_EDMA_RD_INT_MASK) = INT_BITS;
    s->emul_irq = false;
    dw_edma_emu_update_irq(s);
}

static void dw_edma_emu_realize(DeviceState *dev, Error **errp)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(dev);

    if (s->wr_channels < 1 || s->wr_channels > DW_EDMA_MAX_CHANNELS ||
        s->rd_channels < 1 || s->rd_channels > DW_EDMA_MAX_CHANNELS) {
        error_setg(errp, "dw-edma-emu: wr-channels and rd-channels must be "
                   "1..%d (got %u and %u)", DW_EDMA_MAX_CHANNELS,
                   s->wr_channels, s->rd_channels);
        return;
    }
    if (!s->as) {
        s->as = &address_space_memory;
        s->attrs = MEMTXATTRS_UNSPECIFIED;
    }
    s->buf = g_malloc(DW_EDMA_SLICE);
    s->bh = qemu_bh_new_guarded(dw_edma_emu_run, s,
                                &dev->mem_reentrancy_guard);
    memory_region_init_io(&s->mmio, OBJECT(dev), &dw_edma_emu_ops, s,
                          "dw-edma", DW_EDMA_REGION_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(dev), &s->mmio);
    sysbus_init_irq(SYS_BUS_DEVICE(dev), &s->irq);
}

static void dw_edma_emu_unrealize(DeviceState *dev)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(dev);

    qemu_bh_delete(s->bh);
    g_free(s->buf);
}

/*
 * Properties:
 *  wr-channels, rd-channels: number of write (EP to PCI) and read (PCI to
 *      EP) channels reported in DMA_CTRL, 1..8 each, default 4; other
 *      values fail realize (Linux rejects 0 and more than 8).
 */
static const Property dw_edma_emu_properties[] = {
    DEFINE_PROP_UINT8("wr-channels", DwEdmaEmuState, wr_channels, 4),
    DEFINE_PROP_UINT8("rd-channels", DwEdmaEmuState, rd_channels, 4),
};

static const VMStateDescription vmstate_dw_edma_channel = {
    .name = "dw-edma-channel",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, DwEdmaChannel, 0x24 / 4),
        VMSTATE_BOOL(running, DwEdmaChannel),
        VMSTATE_UINT32(elem_control, DwEdmaChannel),
        VMSTATE_BOOL(in_element, DwEdmaChannel),
        VMSTATE_END_OF_LIST()
    }
};

static const VMStateDescription vmstate_dw_edma_emu = {
    .name = TYPE_DW_EDMA_EMU,
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, DwEdmaEmuState, 0x100 / 4),
        VMSTATE_STRUCT_2DARRAY(ch, DwEdmaEmuState, 2, DW_EDMA_MAX_CHANNELS,
                               1, vmstate_dw_edma_channel, DwEdmaChannel),
        VMSTATE_BOOL(emul_irq, DwEdmaEmuState),
        VMSTATE_END_OF_LIST()
    }
};

static void dw_edma_emu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->desc = "DesignWare eDMA (v0, unrolled) engine";
    dc->realize = dw_edma_emu_realize;
    dc->unrealize = dw_edma_emu_unrealize;
    dc->vmsd = &vmstate_dw_edma_emu;
    rc->phases.hold = dw_edma_emu_reset_hold;
    device_class_set_props(dc, dw_edma_emu_properties);
    /* Only as part of dw-pcie-ep. */
    dc->user_creatable = false;
}

static const TypeInfo dw_edma_emu_info = {
    .name = TYPE_DW_EDMA_EMU,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(DwEdmaEmuState),
    .class_init = dw_edma_emu_class_init,
};

static void dw_edma_emu_register_types(void)
{
    type_register_static(&dw_edma_emu_info);
}

type_init(dw_edma_emu_register_types)
