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
 *    int_clear (a 1 clears the status bit); the "dma" interrupt line is
 *    their OR under the masks; a data element with RIE (or ch_control1
 *    RIE in non-LL mode) also sends an IMWr, a 32-bit memory write of the
 *    channel's IMWr data to the done (or abort) IMWr address on the PCI
 *    side;
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
 * The registers are data: hw/misc/dw_edma_emu_regs.h declares each one
 * (offset, reset value, read-only, reserved and write-only bits) and the
 * register API (hw/register.h) applies that; the hooks here give the
 * doorbells, int_status, int_mask and int_clear their effects.  The other
 * registers that the driver uses (arbitration weights, linked-list error
 * enables, ch_control2, the high words of the 64-bit ones) are storage.
 * Any other offset of the region reads 0; a write to it is logged as a
 * guest error and dropped.
 *
 * This file has the registers and the device; the transfers are in
 * dw_edma_emu_xfer.c.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/misc/dw_edma_emu.h"
#include "exec/address-spaces.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "migration/blocker.h"
#include "qapi/error.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "trace.h"
#include "dw_edma_emu_internal.h"

static void dw_edma_emu_doorbell(DwEdmaEmuState *s, int dir, uint32_t val)
{
    unsigned ch = FIELD_EX32(val, EDMA_DOORBELL, CH);
    bool stop = FIELD_EX32(val, EDMA_DOORBELL, STOP);
    DwEdmaChannel *c = &s->ch[dir][ch];

    if (ch >= dw_edma_count(s, dir)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: %s doorbell for "
                      "channel %u of %u\n", dir_regs[dir].name, ch,
                      dw_edma_count(s, dir));
        return;
    }
    trace_dw_edma_emu_doorbell(dir_regs[dir].name, ch, stop);
    if (stop) {
        if (c->running) {
            dw_edma_emu_abort(s, dir, ch, 0, "stopped by its doorbell");
        }
        return;
    }
    if (!FIELD_EX32(s->regs[dir_regs[dir].engine_en], EDMA_ENGINE_EN, EN)) {
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
    if (!FIELD_EX32(c->regs[R_EDMA_CH_CONTROL1], EDMA_CH_CONTROL1, LLE)) {
        /* One block from the channel registers. */
        c->elem_control = c->regs[R_EDMA_CH_CONTROL1];
        c->in_element = true;
    } else {
        c->in_element = false;
    }
    qemu_bh_schedule(s->bh);
}

/* ---- the registers, as data (dw_edma_emu_regs.h) ---- */

/*
 * The direction of a per-direction register with a hook: the read one if
 * @reg is among the read direction's, else the write one.
 */
static int dw_edma_emu_reg_dir(RegisterInfo *reg)
{
    const DwEdmaDirRegs *rd = &dir_regs[DW_EDMA_DIR_READ];
    unsigned r = reg->access->addr / 4;

    return r == rd->doorbell || r == rd->status || r == rd->mask ||
           r == rd->clear ? DW_EDMA_DIR_READ : DW_EDMA_DIR_WRITE;
}

/* wr/rd_doorbell: start or stop a channel; reads 0. */
static uint64_t dw_edma_emu_doorbell_prew(RegisterInfo *reg, uint64_t val)
{
    dw_edma_emu_doorbell(DW_EDMA_EMU(reg->opaque), dw_edma_emu_reg_dir(reg),
                         val);
    return 0;
}

/*
 * wr/rd_int_status: read-only; a write (of any value) asserts the
 * interrupt without setting DONE or ABORT (interrupt emulation).
 */
static uint64_t dw_edma_emu_int_status_prew(RegisterInfo *reg, uint64_t val)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(reg->opaque);

    s->emul_irq = true;
    trace_dw_edma_emu_irq_emulation(reg->access->addr, true);
    dw_edma_emu_update_irq(s);
    return val;
}

/*
 * wr/rd_int_clear: clear the DONE and ABORT bits written as 1 in the
 * direction's int_status; any write (even 0) ends interrupt emulation.
 * Reads 0.
 */
static uint64_t dw_edma_emu_int_clear_prew(RegisterInfo *reg, uint64_t val)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(reg->opaque);

    s->regs[dir_regs[dw_edma_emu_reg_dir(reg)].status] &= ~val;
    s->emul_irq = false;
    trace_dw_edma_emu_irq_emulation(reg->access->addr, false);
    dw_edma_emu_update_irq(s);
    return 0;
}

static void dw_edma_emu_int_mask_postw(RegisterInfo *reg, uint64_t val)
{
    dw_edma_emu_update_irq(DW_EDMA_EMU(reg->opaque));
}

#define DW_EDMA_REG_INFO(n, rst, ro_, w1c_, rsvd_, wo, pre, post)          \
    { .name = #n, .addr = A_##n, .reset = (rst), .ro = (ro_),              \
      .w1c = (w1c_), .rsvd = (uint32_t)(rsvd_), .pre_write = (pre),        \
      .post_write = (post) },

static const RegisterAccessInfo dw_edma_emu_global_info[] = {
    DW_EDMA_GLOBAL_REGS(DW_EDMA_REG_INFO)
};

static const RegisterAccessInfo dw_edma_emu_ch_info[] = {
    DW_EDMA_CH_REGS(DW_EDMA_REG_INFO)
};

/* Whether @off is a register of @block (the register API's lookup). */
static bool dw_edma_emu_is_reg(RegisterInfoArray *block, hwaddr off)
{
    int i;

    for (i = 0; i < block->num_elements; i++) {
        if (block->r[i]->access->addr == off) {
            return true;
        }
    }
    return false;
}

/*
 * Accesses to the global block and the channels' blocks: @opaque is the
 * block, mapped at block->mem.addr in the "dma" region.  An offset that
 * is not a register reads 0 and a write to it is dropped, both logged.
 */
static uint64_t dw_edma_emu_reg_read(void *opaque, hwaddr off, unsigned size)
{
    RegisterInfoArray *block = opaque;
    hwaddr addr = block->mem.addr + off;
    uint32_t val = 0;

    if (dw_edma_emu_is_reg(block, off)) {
        val = register_read_memory(block, off, size);
    } else {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: read of 0x%" HWADDR_PRIx
                      " (offset 0x%" HWADDR_PRIx " of the block at 0x%"
                      HWADDR_PRIx "): no such register\n", addr, off,
                      block->mem.addr);
    }
    trace_dw_edma_emu_read(addr, val);
    return val;
}

static void dw_edma_emu_reg_write(void *opaque, hwaddr off, uint64_t val,
                                  unsigned size)
{
    RegisterInfoArray *block = opaque;
    hwaddr addr = block->mem.addr + off;

    trace_dw_edma_emu_write(addr, val);
    if (!dw_edma_emu_is_reg(block, off)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: write of 0x%" PRIx64
                      " to 0x%" HWADDR_PRIx " (offset 0x%" HWADDR_PRIx
                      " of the block at 0x%" HWADDR_PRIx "): no such "
                      "register, dropped\n", val, addr, off, block->mem.addr);
        return;
    }
    register_write_memory(block, off, val, size);
}

static const MemoryRegionOps dw_edma_emu_reg_ops = {
    .read = dw_edma_emu_reg_read,
    .write = dw_edma_emu_reg_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* The driver uses 32-bit accesses (64-bit ones are split in two). */
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/*
 * The rest of the "dma" region: the gaps between the blocks, and the
 * blocks of channels the device does not have.  Reads 0, writes dropped.
 */
static uint64_t dw_edma_emu_unmodelled_read(void *opaque, hwaddr addr,
                                            unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: read of 0x%" HWADDR_PRIx
                  ": no such register (or no such channel)\n", addr);
    trace_dw_edma_emu_read(addr, 0);
    return 0;
}

static void dw_edma_emu_unmodelled_write(void *opaque, hwaddr addr,
                                         uint64_t val, unsigned size)
{
    trace_dw_edma_emu_write(addr, val);
    qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: write of 0x%" PRIx64 " to 0x%"
                  HWADDR_PRIx ": no such register (or no such channel), "
                  "dropped\n", val, addr);
}

static const MemoryRegionOps dw_edma_emu_unmodelled_ops = {
    .read = dw_edma_emu_unmodelled_read,
    .write = dw_edma_emu_unmodelled_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void dw_edma_emu_reset_hold(Object *obj, ResetType type)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(obj);
    unsigned i, ch;
    int dir;

    if (s->bh) {
        qemu_bh_cancel(s->bh);
    }
    s->emul_irq = false;
    /* Registers from the tables (interrupts masked, for one). */
    for (i = 0; i < DW_EDMA_R_MAX; i++) {
        register_reset(&s->regs_info[i]);
    }
    s->regs[R_EDMA_CTRL] = DW_EDMA_CTRL_VALUE(s->wr_channels, s->rd_channels);
    for (dir = 0; dir < 2; dir++) {
        for (ch = 0; ch < DW_EDMA_MAX_CHANNELS; ch++) {
            DwEdmaChannel *c = &s->ch[dir][ch];

            for (i = 0; i < DW_EDMA_CH_R_MAX; i++) {
                register_reset(&c->regs_info[i]);
            }
            c->running = false;
            c->reading = false;
            c->elem_control = 0;
            c->in_element = false;
            c->walk_llp = 0;
            c->walk_ccs = false;
            c->walk_steps = 0;
            c->walk_span = 0;
            s->run[dir][ch]++;
        }
    }
    dw_edma_emu_update_irq(s);
}

static void dw_edma_emu_realize(DeviceState *dev, Error **errp)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(dev);
    unsigned ch;
    int dir;

    if (s->wr_channels < 1 || s->wr_channels > DW_EDMA_MAX_CHANNELS ||
        s->rd_channels < 1 || s->rd_channels > DW_EDMA_MAX_CHANNELS) {
        error_setg(errp, "dw-edma-emu: wr-channels and rd-channels must be "
                   "1..%d (got %u and %u)", DW_EDMA_MAX_CHANNELS,
                   s->wr_channels, s->rd_channels);
        return;
    }
    if (!s->mem) {
        error_setg(errp, "dw-edma-emu: the \"memory\" link (EP memory, "
                   "where buffers and linked lists live) is not set");
        return;
    }
    /*
     * No VMState: a transfer may be waiting on the PCI port (the link to
     * another QEMU) when the VM stops, and that cannot be carried over.
     */
    error_setg(&s->migration_blocker, "dw-edma-emu: the engine's state is "
               "not migrated (a transfer may be in flight on its PCI port)");
    if (migrate_add_blocker(&s->migration_blocker, errp) < 0) {
        return;
    }
    address_space_init(&s->as, s->mem, "dw-edma-memory");
    s->attrs = MEMTXATTRS_UNSPECIFIED;
    s->attrs.requester_id = s->requester_id;
    s->buf = g_malloc(DW_EDMA_SLICE);
    s->bh = qemu_bh_new_guarded(dw_edma_emu_run, s,
                                &dev->mem_reentrancy_guard);
    memory_region_init(&s->mmio, OBJECT(dev), "dw-edma", DW_EDMA_REGION_SIZE);
    memory_region_init_io(&s->unmodelled, OBJECT(dev),
                          &dw_edma_emu_unmodelled_ops, s, "dw-edma.unmodelled",
                          DW_EDMA_REGION_SIZE);
    memory_region_add_subregion_overlap(&s->mmio, 0, &s->unmodelled, -1);
    s->block = register_init_block32(dev, dw_edma_emu_global_info,
                                     ARRAY_SIZE(dw_edma_emu_global_info),
                                     s->regs_info, s->regs,
                                     &dw_edma_emu_reg_ops, false,
                                     DW_EDMA_GLOBAL_SIZE);
    memory_region_add_subregion(&s->mmio, 0, &s->block->mem);
    for (dir = 0; dir < 2; dir++) {
        for (ch = 0; ch < dw_edma_count(s, dir); ch++) {
            DwEdmaChannel *c = &s->ch[dir][ch];

            c->block = register_init_block32(dev, dw_edma_emu_ch_info,
                                             ARRAY_SIZE(dw_edma_emu_ch_info),
                                             c->regs_info, c->regs,
                                             &dw_edma_emu_reg_ops, false,
                                             DW_EDMA_CH_BLOCK);
            memory_region_add_subregion(&s->mmio, DW_EDMA_CH_BASE(dir, ch),
                                        &c->block->mem);
        }
    }
    sysbus_init_mmio(SYS_BUS_DEVICE(dev), &s->mmio);
    sysbus_init_irq(SYS_BUS_DEVICE(dev), &s->irq);
}

static void dw_edma_emu_unrealize(DeviceState *dev)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(dev);
    unsigned ch;
    int dir;

    for (dir = 0; dir < 2; dir++) {
        for (ch = 0; ch < DW_EDMA_MAX_CHANNELS; ch++) {
            DwEdmaChannel *c = &s->ch[dir][ch];

            if (c->block) {
                memory_region_del_subregion(&s->mmio, &c->block->mem);
                register_finalize_block(c->block);
                c->block = NULL;
            }
        }
    }
    memory_region_del_subregion(&s->mmio, &s->block->mem);
    register_finalize_block(s->block);
    s->block = NULL;
    qemu_bh_delete(s->bh);
    g_free(s->buf);
    address_space_destroy(&s->as);
    migrate_del_blocker(&s->migration_blocker);
}

/*
 * Properties:
 *  wr-channels, rd-channels: number of write (EP to PCI) and read (PCI to
 *      EP) channels reported in DMA_CTRL, 1..8 each, default 4; other
 *      values fail realize (Linux rejects 0 and more than 8).
 *  memory: link to the memory region of EP memory (linked lists, local
 *      buffers: SAR of write channels, DAR of read channels); required.
 *  pci-port: link to the object that implements TYPE_DW_EDMA_PCI_PORT
 *      (the controller with the link); without one, every transfer that
 *      touches a PCI address (and every IMWr) aborts.
 *  requester-id: the requester ID (bus/device/function, 16 bits) of the
 *      engine's accesses to EP memory, default 0; higher bits are
 *      ignored.  The controller gives its own (the device ID a GIC ITS
 *      sees).
 */
static const Property dw_edma_emu_properties[] = {
    DEFINE_PROP_UINT8("wr-channels", DwEdmaEmuState, wr_channels,
                      DW_EDMA_DEFAULT_CHANNELS),
    DEFINE_PROP_UINT8("rd-channels", DwEdmaEmuState, rd_channels,
                      DW_EDMA_DEFAULT_CHANNELS),
    DEFINE_PROP_LINK("memory", DwEdmaEmuState, mem, TYPE_MEMORY_REGION,
                     MemoryRegion *),
    DEFINE_PROP_LINK("pci-port", DwEdmaEmuState, pci_port,
                     TYPE_DW_EDMA_PCI_PORT, DwEdmaPciPort *),
    DEFINE_PROP_UINT32("requester-id", DwEdmaEmuState, requester_id, 0),
};

static void dw_edma_emu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->desc = "DesignWare eDMA (v0, unrolled) engine";
    dc->realize = dw_edma_emu_realize;
    dc->unrealize = dw_edma_emu_unrealize;
    rc->phases.hold = dw_edma_emu_reset_hold;
    device_class_set_props(dc, dw_edma_emu_properties);
    /* Only as part of dw-pcie-ep. */
    dc->user_creatable = false;
}

static const TypeInfo dw_edma_pci_port_info = {
    .name = TYPE_DW_EDMA_PCI_PORT,
    .parent = TYPE_INTERFACE,
    .class_size = sizeof(DwEdmaPciPortClass),
};

static const TypeInfo dw_edma_emu_info = {
    .name = TYPE_DW_EDMA_EMU,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(DwEdmaEmuState),
    .class_init = dw_edma_emu_class_init,
};

static void dw_edma_emu_register_types(void)
{
    type_register_static(&dw_edma_pci_port_info);
    type_register_static(&dw_edma_emu_info);
}

type_init(dw_edma_emu_register_types)
