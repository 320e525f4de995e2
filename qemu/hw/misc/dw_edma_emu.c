/*
 * DesignWare eDMA (v0, unrolled) register block of the DWC PCIe controller.
 *
 * This file models what the Linux 7.2 dw-edma driver needs to find and
 * probe the engine, and its interrupt-emulation doorbell:
 *  - DMA_CTRL reports the number of write and read channels (properties
 *    "wr-channels" and "rd-channels", 1..8);
 *  - a 32-bit write to wr_int_status or rd_int_status asserts the "dma"
 *    interrupt without setting any DONE or ABORT bit, and any write to
 *    wr_int_clear or rd_int_clear deasserts it (the embedded doorbell that
 *    pci-ep-msi falls back to; the kernel writes 0 to rd_int_status).
 * Other registers are stored and read back as written; data movement is not
 * modelled yet, so a doorbell to start a channel is logged as unimplemented.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-edma-emu.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/registerfields.h"
#include "migration/vmstate.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "trace.h"

REG32(DMA_CTRL, DW_EDMA_CTRL)
    FIELD(DMA_CTRL, NUM_WR, 0, 4)
    FIELD(DMA_CTRL, NUM_RD, 16, 4)
REG32(WR_DOORBELL, 0x010)
REG32(RD_DOORBELL, 0x030)

static void dw_edma_emu_update_irq(DwEdmaEmuState *s)
{
    qemu_set_irq(s->irq, s->emul_irq);
}

static uint64_t dw_edma_emu_read(void *opaque, hwaddr addr, unsigned size)
{
    DwEdmaEmuState *s = opaque;
    uint32_t val = s->regs[addr >> 2];

    trace_dw_edma_emu_read(addr, val);
    return val;
}

static void dw_edma_emu_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    DwEdmaEmuState *s = opaque;

    trace_dw_edma_emu_write(addr, val);
    switch (addr) {
    case A_DMA_CTRL:
        /* Channel counts are read-only. */
        return;
    case DW_EDMA_WR_INT_STATUS:
    case DW_EDMA_RD_INT_STATUS:
        /* Interrupt emulation: assert, status bits untouched. */
        s->emul_irq = true;
        trace_dw_edma_emu_irq_emulation(addr, true);
        dw_edma_emu_update_irq(s);
        return;
    case DW_EDMA_WR_INT_CLEAR:
    case DW_EDMA_RD_INT_CLEAR:
        s->emul_irq = false;
        trace_dw_edma_emu_irq_emulation(addr, false);
        dw_edma_emu_update_irq(s);
        return;
    case A_WR_DOORBELL:
    case A_RD_DOORBELL:
        qemu_log_mask(LOG_UNIMP, "dw-edma-emu: %s doorbell 0x%" PRIx64
                      ": transfers are not modelled yet\n",
                      addr == A_WR_DOORBELL ? "write" : "read", val);
        break;
    default:
        break;
    }
    s->regs[addr >> 2] = val;
}

static const MemoryRegionOps dw_edma_emu_ops = {
    .read = dw_edma_emu_read,
    .write = dw_edma_emu_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* The driver uses 32-bit accesses (64-bit ones are split in two). */
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void dw_edma_emu_reset_hold(Object *obj, ResetType type)
{
    DwEdmaEmuState *s = DW_EDMA_EMU(obj);

    memset(s->regs, 0, sizeof(s->regs));
    s->regs[R_DMA_CTRL] = (s->wr_channels << R_DMA_CTRL_NUM_WR_SHIFT) |
                          (s->rd_channels << R_DMA_CTRL_NUM_RD_SHIFT);
    /* Interrupts masked until the driver unmasks them. */
    s->regs[DW_EDMA_WR_INT_MASK >> 2] = 0x00ff00ff;
    s->regs[DW_EDMA_RD_INT_MASK >> 2] = 0x00ff00ff;
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
    memory_region_init_io(&s->mmio, OBJECT(dev), &dw_edma_emu_ops, s,
                          "dw-edma", DW_EDMA_REGION_SIZE);
    sysbus_init_mmio(SYS_BUS_DEVICE(dev), &s->mmio);
    sysbus_init_irq(SYS_BUS_DEVICE(dev), &s->irq);
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

static const VMStateDescription vmstate_dw_edma_emu = {
    .name = TYPE_DW_EDMA_EMU,
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32_ARRAY(regs, DwEdmaEmuState, DW_EDMA_REGION_SIZE / 4),
        VMSTATE_BOOL(emul_irq, DwEdmaEmuState),
        VMSTATE_END_OF_LIST()
    }
};

static void dw_edma_emu_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->desc = "DesignWare eDMA (v0, unrolled) register block";
    dc->realize = dw_edma_emu_realize;
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
