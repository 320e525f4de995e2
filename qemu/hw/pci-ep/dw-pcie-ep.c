/*
 * Synopsys DesignWare PCIe controller, endpoint mode: the device (QOM
 * type, properties, realize, reset).
 *
 * This is the core, an abstract type: each SoC face is a subclass that
 * adds its glue (dw-pcie-ep-qemu.c, dw-pcie-ep-rcar.c; see
 * dw-pcie-ep.h).  The register blocks are in their own files, as the
 * Linux 7.2 DWC endpoint core drives them (drivers/pci/controller/dwc/
 * pcie-designware{,-ep}.c): the config space with the DBI and DBI2 views
 * in dw-pcie-ep-cfg.c, link training in dw-pcie-ep-ltssm.c, the iATU,
 * the outbound "addr_space" window and the link's requests in
 * dw-pcie-ep-port.c, the shared-memory fast path in dw-pcie-ep-map.c and
 * what every face's device tree node has in dw-pcie-ep-fdt.c.  The
 * eDMA register block is a child device (hw/misc/dw_edma_emu.c); the
 * iATU decode and translation are in dw-pcie-iatu.c, free of device
 * state.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/irq.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "exec/address-spaces.h"
#include "hw/intc/arm_gicv3_its_common.h"
#include "migration/blocker.h"
#include "qapi/error.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qemu/log.h"
#include "trace.h"

#include "dw-pcie-ep-internal.h"

/* ---- QOM ---- */

void dw_pcie_ep_core_reset(DwPcieEpState *s)
{
    unsigned i;

    if (s->link_up && dw_pcie_ep_has_peer(s)) {
        pcie_link_send_state(&s->link, false);
    }
    dw_pcie_ep_config_init(s);
    for (i = 0; i < DW_PCIE_EP_NUM_BARS; i++) {
        s->bar_mask[i] = dw_pcie_ep_bar_mask_reset(s, i);
    }
    for (i = 0; i < DW_PCIE_EP_MAX_REGIONS; i++) {
        dw_iatu_region_reset(&s->ob[i]);
        dw_iatu_region_reset(&s->ib[i]);
    }
    dw_pcie_ep_outbound_sync(s);
    if (s->link_up) {
        s->link_up = false;
        trace_dw_pcie_ep_link(false);
    }
    dw_pcie_ep_map_changed(s, false);
}

/*
 * Device reset: all of the controller's state (the core, and the face's
 * glue; the eDMA is a reset child, see dw_pcie_ep_reset_child_foreach).
 * A link that was up goes down, and the peer hears of it (the RC
 * surprise-removes the function); the link comes up again when the EP
 * driver enables the LTSSM through the glue.
 */
static void dw_pcie_ep_reset_hold(Object *obj, ResetType type)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);
    DwPcieEpClass *k = DW_PCIE_EP_GET_CLASS(obj);

    dw_pcie_ep_core_reset(s);
    s->ltssm_en = false;
    s->rst_reg = s->rst_lines;          /* a reset block: all asserted */
    k->glue_reset(s);
}

/* The reset children: the buses (none), and the eDMA engine. */
static void dw_pcie_ep_reset_child_foreach(Object *obj,
                                           ResettableChildCallback cb,
                                           void *opaque, ResetType type)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);
    DwPcieEpClass *k = DW_PCIE_EP_GET_CLASS(obj);

    if (k->parent_reset_child_foreach) {
        k->parent_reset_child_foreach(obj, cb, opaque, type);
    }
    /* also on the main system bus: a system reset counts both visits */
    cb(OBJECT(&s->edma), opaque, type);
}

static void dw_pcie_ep_init(Object *obj)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);

    object_initialize_child(obj, "edma", &s->edma, TYPE_DW_EDMA_EMU);
    object_property_add_alias(obj, "wr-channels", OBJECT(&s->edma),
                              "wr-channels");
    object_property_add_alias(obj, "rd-channels", OBJECT(&s->edma),
                              "rd-channels");
}

/* A realize that fails after the eDMA's undoes it and EP memory's space. */
static void dw_pcie_ep_undo_edma(DwPcieEpState *s)
{
    qdev_unrealize(DEVICE(&s->edma));
    if (s->ep_mem) {
        address_space_destroy(&s->ep_mem_as);
    }
}

/* The properties, and what the face allows of them. */
static bool dw_pcie_ep_check_props(DwPcieEpState *s, Error **errp)
{
    const DwPcieEpFace *f = DW_PCIE_EP_GET_CLASS(s)->face;
    uint64_t wr, rd;

    if (s->num_ib < 1 || s->num_ib > DW_PCIE_EP_MAX_REGIONS ||
        s->num_ob < 1 || s->num_ob > DW_PCIE_EP_MAX_REGIONS) {
        error_setg(errp, "dw-pcie-ep: num-ib-windows and num-ob-windows must "
                   "be 1..%d", DW_PCIE_EP_MAX_REGIONS);
        return false;
    }
    if (s->addr_space_size < 64 * KiB || !is_power_of_2(s->addr_space_size)) {
        error_setg(errp, "dw-pcie-ep: addr-space-size must be a power of two "
                   "of at least 64 KiB");
        return false;
    }
    wr = object_property_get_uint(OBJECT(&s->edma), "wr-channels",
                                  &error_abort);
    rd = object_property_get_uint(OBJECT(&s->edma), "rd-channels",
                                  &error_abort);
    if (f->edma_channels && (wr + rd != f->edma_channels)) {
        error_setg(errp, "dw-pcie-ep: the %s face's device tree names %u eDMA "
                   "interrupts, one per channel: wr-channels + rd-channels "
                   "must be %u", f->name, f->edma_channels, f->edma_channels);
        return false;
    }
    if (s->msi_doorbell && !f->its) {
        error_setg(errp, "dw-pcie-ep: msi-doorbell=on: the %s face's SoC "
                   "cannot send the EP's doorbells to a GICv3 ITS; leave "
                   "msi-doorbell off for the eDMA's embedded doorbell",
                   f->name);
        return false;
    }
    if (s->msi_doorbell &&
        !object_resolve_path_type("", TYPE_ARM_GICV3_ITS_COMMON, NULL)) {
        error_setg(errp, "dw-pcie-ep: msi-doorbell=on needs a GICv3 ITS for "
                   "the EP's doorbells: use -machine virt,gic-version=3 "
                   "(its=on is the default), or leave msi-doorbell off for "
                   "the eDMA's embedded doorbell");
        return false;
    }
    return true;
}

static uint64_t dw_pcie_ep_hole_read(void *opaque, hwaddr addr,
                                     unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: atu read 0x%" HWADDR_PRIx
                  " is neither iATU nor eDMA: 0\n", addr);
    return 0;
}

static void dw_pcie_ep_hole_write(void *opaque, hwaddr addr, uint64_t val,
                                  unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "dw-pcie-ep: atu write 0x%" HWADDR_PRIx
                  " is neither iATU nor eDMA: ignored\n", addr);
}

static const MemoryRegionOps dw_pcie_ep_hole_ops = {
    .read = dw_pcie_ep_hole_read,
    .write = dw_pcie_ep_hole_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/*
 * The "atu" region: the iATU's registers (those of the configured regions),
 * or with edma_in_atu DWC's default layout, 1 MiB with the iATU at 0 (every
 * region index decoded, those past the configured counts read as zero),
 * the eDMA at 0x80000 and the rest reading as zero.
 */
static MemoryRegion *dw_pcie_ep_init_atu(DwPcieEpState *s)
{
    MemoryRegion *edma = sysbus_mmio_get_region(SYS_BUS_DEVICE(&s->edma), 0);
    uint32_t regions = MAX(s->num_ib, s->num_ob);

    if (!DW_PCIE_EP_GET_CLASS(s)->face->edma_in_atu) {
        memory_region_init_io(&s->atu, OBJECT(s), &dw_pcie_ep_atu_ops, s,
                              "dw-pcie-ep.atu",
                              ROUND_UP(regions * DW_IATU_REGION_STRIDE,
                                       4 * KiB));
        return &s->atu;
    }
    memory_region_init_io(&s->atu_edma, OBJECT(s), &dw_pcie_ep_hole_ops, s,
                          "dw-pcie-ep.atu-edma", DW_PCIE_EP_ATU_EDMA_SIZE);
    memory_region_init_io(&s->atu, OBJECT(s), &dw_pcie_ep_atu_ops, s,
                          "dw-pcie-ep.atu", DW_PCIE_EP_ATU_EDMA_OFFSET);
    memory_region_init_alias(&s->edma_alias, OBJECT(s),
                             "dw-pcie-ep.atu-edma.dma", edma, 0,
                             memory_region_size(edma));
    memory_region_add_subregion(&s->atu_edma, 0, &s->atu);
    memory_region_add_subregion(&s->atu_edma, DW_PCIE_EP_ATU_EDMA_OFFSET,
                                &s->edma_alias);
    return &s->atu_edma;
}

/*
 * The register regions and interrupts, in the order dw-pcie-ep.h gives:
 * the core's, the glue's, addr_space, the stand-ins'.  And the address
 * space of the eDMA's registers that a reserved BAR shows the RC.
 */
static void dw_pcie_ep_init_regions(DwPcieEpState *s)
{
    DwPcieEpClass *k = DW_PCIE_EP_GET_CLASS(s);
    SysBusDevice *sbd = SYS_BUS_DEVICE(s);
    MemoryRegion *edma = sysbus_mmio_get_region(SYS_BUS_DEVICE(&s->edma), 0);

    memory_region_init_io(&s->dbi, OBJECT(s), &dw_pcie_ep_dbi_ops, s,
                          "dw-pcie-ep.dbi", DW_PCIE_EP_DBI_SIZE);
    memory_region_init_io(&s->dbi2, OBJECT(s), &dw_pcie_ep_dbi2_ops, s,
                          "dw-pcie-ep.dbi2", DW_PCIE_EP_DBI_SIZE);
    memory_region_init_io(&s->addr_space, OBJECT(s),
                          &dw_pcie_ep_addr_space_ops, s,
                          "dw-pcie-ep.addr_space", s->addr_space_size);
    sysbus_init_mmio(sbd, &s->dbi);
    sysbus_init_mmio(sbd, &s->dbi2);
    sysbus_init_mmio(sbd, dw_pcie_ep_init_atu(s));
    sysbus_init_mmio(sbd, edma);
    sysbus_init_irq(sbd, &s->irq_dma);
    k->glue_realize(s);
    sysbus_init_mmio(sbd, &s->addr_space);
    if (k->glue_realize_late) {
        k->glue_realize_late(s);
    }
    memory_region_init_alias(&s->bar_rsvd, OBJECT(s), "dw-pcie-ep.bar-rsvd",
                             edma, 0, memory_region_size(edma));
    address_space_init(&s->bar_rsvd_as, &s->bar_rsvd, "dw-pcie-ep-bar-rsvd");
}

static void dw_pcie_ep_realize(DeviceState *dev, Error **errp)
{
    DwPcieEpState *s = DW_PCIE_EP(dev);
    DwPcieEpClass *k = DW_PCIE_EP_GET_CLASS(dev);

    assert(k->face && k->glue_realize && k->glue_reset && k->add_fdt_node);
    if (!dw_pcie_ep_check_props(s, errp)) {
        return;
    }
    /* EP memory: the machine's unless the "memory" link names one */
    if (s->ep_mem) {
        address_space_init(&s->ep_mem_as, s->ep_mem, "dw-pcie-ep-memory");
        s->ep_as = &s->ep_mem_as;
    } else {
        s->ep_as = &address_space_memory;
    }
    object_property_set_link(OBJECT(&s->edma), "memory",
                             OBJECT(s->ep_as->root), &error_abort);
    object_property_set_link(OBJECT(&s->edma), "pci-port", OBJECT(s),
                             &error_abort);
    qdev_prop_set_uint32(DEVICE(&s->edma), "requester-id", s->its_device_id);
    if (!sysbus_realize(SYS_BUS_DEVICE(&s->edma), errp)) {
        if (s->ep_mem) {
            address_space_destroy(&s->ep_mem_as);
        }
        return;
    }
    /* after the eDMA's own blocker: migrate names the controller's first */
    error_setg(&s->migration_blocker, "dw-pcie-ep: the controller's state is "
               "not migrated (its link partner runs in another QEMU process)");
    if (migrate_add_blocker(&s->migration_blocker, errp) < 0) {
        dw_pcie_ep_undo_edma(s);
        return;
    }
    if (qemu_chr_fe_backend_connected(&s->chr)) {
        dw_pcie_ep_map_init(s);
        if (!pcie_link_init(&s->link, &s->chr, PL_ROLE_EP, "dw-pcie-ep",
                            s->link_timeout_ms,
                            s->fast_path ? PL_FEAT_SHM : 0,
                            &dw_pcie_ep_link_ops, s, errp)) {
            /* undo what realize did, so that nothing is left half made */
            qemu_bh_delete(s->map_bh);
            s->map_bh = NULL;
            migrate_del_blocker(&s->migration_blocker);
            dw_pcie_ep_undo_edma(s);
            return;
        }
    }
    /* nothing fails from here: no region is made before a failure */
    dw_pcie_ep_init_regions(s);
    qdev_init_gpio_in_named(dev, dw_pcie_ep_dma_irq, "edma-irq", 1);
    sysbus_connect_irq(SYS_BUS_DEVICE(&s->edma), 0,
                       qdev_get_gpio_in_named(dev, "edma-irq", 0));
}

/*
 * Properties:
 *  num-ib-windows, num-ob-windows: inbound and outbound iATU regions,
 *      1..256, default 8 each (found by the driver's detection sequence).
 *  addr-space-size: bytes of the outbound window, a power of two >= 64 KiB,
 *      default 16 MiB (it must fit virt's 32 MiB platform bus with the rest).
 *  vendor-id, device-id: reset values of the config header (the EP core
 *      overwrites them from the function's configfs settings).
 *  msi-doorbell: add msi-map = <0 &its its-device-id 1> to the node, so
 *      that the EP's doorbells use the GIC ITS (off: the eDMA embedded
 *      fallback).
 *  its-device-id: the ITS device ID (requester ID) of the controller.
 *  wr-channels, rd-channels: eDMA channel counts, 1..8 (see dw-edma-emu).
 *  dt-edma: describe the eDMA ("dma" reg and interrupt) in the device tree
 *      (default on).  Off, Linux finds no eDMA (core version 5.20a has no
 *      legacy eDMA viewport): no DMA channels and no embedded doorbell,
 *      as on controllers built without the eDMA.  The registers stay
 *      mapped either way.
 *  chardev: socket chardev of the PCIe link to the RC QEMU (pci-ep-link);
 *      without it the link comes up on LTSSM_EN with nobody on the other
 *      side (outbound reads return all ones).
 *  link-timeout-ms: milliseconds a request on the link waits for its
 *      completion (the waiting vCPU or bottom half with the BQL released)
 *      before it completes with CA, default 5000, 0 taken as 1; after
 *      one timed out, requests wait at most PL_STALL_MS (100) until the
 *      peer sends anything.  Also how long the transmit queue may stay
 *      full before the link is cut (see pcie-link.h).
 *  memory: link to the memory region that is EP memory for the RC's
 *      inbound requests (after the inbound iATU) and for the eDMA's local
 *      side; default (unset): the machine's system memory.
 *  fast-path: offer the RC the EP RAM that a BAR-match inbound iATU
 *      region maps a whole BAR onto, as shared memory (MAP messages, see
 *      dw-pcie-ep-map.c), default on.  Takes effect only over a unix
 *      socket, with a peer that offers it too, for RAM in a shared memory
 *      backend (-object memory-backend-memfd,share=on as the machine's
 *      memory-backend), for host-page-aligned targets and sizes; every
 *      other BAR access stays on messages.  The RC then reads and writes
 *      that RAM directly: give the fast path only to a peer you trust with
 *      all of this QEMU's RAM (the descriptor is of the whole backend).
 */
/*
 * And, as QOM properties settable at run time, the injected link faults
 * x-fault-link, x-fault-perst (read-only), x-fault-cpl, x-fault-delay-us
 * and x-fault-msi: see dw-pcie-ep-fault.c.
 */
static const Property dw_pcie_ep_properties[] = {
    DEFINE_PROP_UINT32("num-ib-windows", DwPcieEpState, num_ib, 8),
    DEFINE_PROP_UINT32("num-ob-windows", DwPcieEpState, num_ob, 8),
    DEFINE_PROP_UINT64("addr-space-size", DwPcieEpState, addr_space_size,
                       16 * MiB),
    DEFINE_PROP_UINT16("vendor-id", DwPcieEpState, vendor_id,
                       DW_PCIE_EP_DEFAULT_VENDOR_ID),
    DEFINE_PROP_UINT16("device-id", DwPcieEpState, device_id,
                       DW_PCIE_EP_DEFAULT_DEVICE_ID),
    DEFINE_PROP_BOOL("msi-doorbell", DwPcieEpState, msi_doorbell, false),
    DEFINE_PROP_BOOL("dt-edma", DwPcieEpState, edma_described, true),
    DEFINE_PROP_UINT32("its-device-id", DwPcieEpState, its_device_id, 0x100),
    DEFINE_PROP_CHR("chardev", DwPcieEpState, chr),
    DEFINE_PROP_UINT32("link-timeout-ms", DwPcieEpState, link_timeout_ms, 5000),
    DEFINE_PROP_BOOL("fast-path", DwPcieEpState, fast_path, true),
    DEFINE_PROP_LINK("memory", DwPcieEpState, ep_mem, TYPE_MEMORY_REGION,
                     MemoryRegion *),
};

static void dw_pcie_ep_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    DwPcieEpClass *k = DW_PCIE_EP_CLASS(klass);
    DwEdmaPciPortClass *pc = DW_EDMA_PCI_PORT_CLASS(klass);

    dc->desc = "Synopsys DesignWare PCIe controller, endpoint mode (core)";
    dc->realize = dw_pcie_ep_realize;
    rc->phases.hold = dw_pcie_ep_reset_hold;
    k->parent_reset_child_foreach = rc->child_foreach;
    rc->child_foreach = dw_pcie_ep_reset_child_foreach;
    device_class_set_props(dc, dw_pcie_ep_properties);
    pc->read_async = dw_pcie_ep_edma_pci_read_async;
    pc->write = dw_pcie_ep_edma_pci_write;
    dw_pcie_ep_fault_class_init(klass);
}

static const TypeInfo dw_pcie_ep_info = {
    .name = TYPE_DW_PCIE_EP,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(DwPcieEpState),
    .instance_init = dw_pcie_ep_init,
    .class_size = sizeof(DwPcieEpClass),
    .class_init = dw_pcie_ep_class_init,
    .abstract = true,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_DW_EDMA_PCI_PORT },
        { }
    },
};

static void dw_pcie_ep_register_types(void)
{
    type_register_static(&dw_pcie_ep_info);
}

type_init(dw_pcie_ep_register_types)
