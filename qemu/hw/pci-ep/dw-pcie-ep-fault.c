/*
 * Synopsys DesignWare PCIe controller, endpoint mode: injected link
 * faults (docs/link-faults.md), as experimental QOM properties set at run
 * time with qom-set (or on the command line):
 *
 *  x-fault-link (string "up" or "down"): "down" takes the link down as a
 *      surprise link down does (the LTSSM leaves L0, the glue sees link
 *      down, the RC is told and surprise-removes the function) and keeps
 *      it down; "up" lets it train again (when the glue enables the
 *      LTSSM).  Anything else is refused.
 *  x-fault-perst (bool, read-only here): PERST# as the RC drives it (set
 *      x-fault-perst on the RC's pci-ep-link).  While asserted the link is
 *      held down; what PERST# does to the controller is the face's glue's
 *      (see dw_pcie_ep_link_perst).  Setting it here is refused.
 *  x-fault-msi (string): "none", "drop" or "dup", optionally followed by
 *      ":every=N" (N 1..4294967295, default 1): every Nth MSI or MSI-X
 *      message the function sends (a memory write of at most 4 bytes to
 *      the MSI capability's address while MSI is enabled, or to an MSI-X
 *      table entry's address while MSI-X is enabled; by the CPU's
 *      outbound window or the eDMA) is dropped or sent twice.
 *  x-fault-cpl, x-fault-delay-us: the link's (pcie-link-fault.c).
 *
 * All are readable (qom-get gives the fault in force) and kept across
 * device reset: they model the link and its partner, which a reset of
 * the controller does not mend.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/pci/pci_regs.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "exec/address-spaces.h"
#include "trace.h"
#include "dw-pcie-ep-internal.h"

static const char *const msi_kinds[] = {
    [DW_PCIE_EP_MSI_FAULT_NONE] = "none",
    [DW_PCIE_EP_MSI_FAULT_DROP] = "drop",
    [DW_PCIE_EP_MSI_FAULT_DUP] = "dup",
};

bool dw_pcie_ep_fault_parse_msi(const char *str, DwPcieEpMsiFault *f,
                                Error **errp)
{
    DwPcieEpMsiFault nf = { .every = 1 };
    const char *colon = strchr(str, ':');
    size_t klen = colon ? (size_t)(colon - str) : strlen(str);
    uint64_t n;
    unsigned k;

    for (k = 0; k < ARRAY_SIZE(msi_kinds); k++) {
        if (strlen(msi_kinds[k]) == klen && !strncmp(str, msi_kinds[k], klen)) {
            break;
        }
    }
    if (k == ARRAY_SIZE(msi_kinds) ||
        (colon && k == DW_PCIE_EP_MSI_FAULT_NONE)) {
        error_setg(errp, "x-fault-msi: '%s' is not 'none', 'drop' or 'dup' "
                   "(optionally ':every=N')", str);
        return false;
    }
    if (colon) {
        if (!g_str_has_prefix(colon + 1, "every=") ||
            !pcie_link_fault_parse_u64(colon + 7, &n) ||
            n < 1 || n > UINT32_MAX) {
            error_setg(errp, "x-fault-msi: '%s': after the colon comes "
                       "every=N, N a number 1..4294967295", str);
            return false;
        }
        nf.every = n;
    }
    nf.kind = k;
    *f = nf;
    return true;
}

/*
 * The message address of the MSI-X table entry at offset @off of BAR
 * @bir, read from EP memory through the BAR's inbound translation; false
 * if the BAR or the translation does not reach it, or reaches anything but
 * RAM: the table is the guest's choice, and this check must never
 * dispatch an MMIO access (a read of the outbound window would go out on
 * the link, one of a read-to-clear register would clear it).
 */
static bool dw_pcie_ep_msix_addr(DwPcieEpState *s, unsigned bir,
                                 uint64_t off, uint64_t *addr)
{
    uint64_t bar_size = dw_pcie_ep_bar_size(s, bir), ep, room;
    hwaddr xlat, len = 8;
    MemoryRegion *mr;
    int idx;

    if (!bar_size || off >= bar_size || bar_size - off < PCI_MSIX_ENTRY_SIZE) {
        return false;
    }
    idx = dw_iatu_translate_inbound(s->ib, s->num_ib, bir, bar_size, off,
                                    dw_pcie_ep_bar_addr(s, bir) + off, &ep,
                                    &room);
    if (idx < 0 || room < len) {
        return false;
    }
    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(s->ep_as, ep, &xlat, &len, false,
                                 MEMTXATTRS_UNSPECIFIED);
    if (!memory_region_is_ram(mr) || len < 8) {
        return false;
    }
    *addr = ldq_le_p((uint8_t *)qemu_map_ram_ptr(mr->ram_block, xlat));
    return true;
}

/*
 * Whether a memory write of @size bytes at PCI address @pci is an MSI or
 * MSI-X message of the function (see x-fault-msi).
 */
static bool dw_pcie_ep_is_msi(DwPcieEpState *s, uint64_t pci, uint64_t size)
{
    uint16_t flags = dw_pcie_ep_cfg_get(s, DW_PCIE_EP_CAP_MSI +
                                        PCI_MSI_FLAGS, 2);
    uint32_t table;
    uint64_t a;
    unsigned i, n;

    if (size > 4) {
        return false;
    }
    if (flags & PCI_MSI_FLAGS_ENABLE) {
        a = dw_pcie_ep_cfg_get(s, DW_PCIE_EP_CAP_MSI + PCI_MSI_ADDRESS_LO, 4);
        if (flags & PCI_MSI_FLAGS_64BIT) {  /* else offset 8 is the data */
            a |= (uint64_t)dw_pcie_ep_cfg_get(s, DW_PCIE_EP_CAP_MSI +
                                              PCI_MSI_ADDRESS_HI, 4) << 32;
        }
        if (a == pci) {
            return true;
        }
    }
    flags = dw_pcie_ep_cfg_get(s, DW_PCIE_EP_CAP_MSIX + PCI_MSIX_FLAGS, 2);
    if (!DW_PCIE_EP_GET_CLASS(s)->face->msix ||
        !(flags & PCI_MSIX_FLAGS_ENABLE)) {
        return false;
    }
    table = dw_pcie_ep_cfg_get(s, DW_PCIE_EP_CAP_MSIX + PCI_MSIX_TABLE, 4);
    n = (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
    for (i = 0; i < n; i++) {
        uint64_t off = (table & PCI_MSIX_TABLE_OFFSET) +
                       (uint64_t)i * PCI_MSIX_ENTRY_SIZE;

        if (dw_pcie_ep_msix_addr(s, table & PCI_MSIX_TABLE_BIR, off, &a) &&
            a == pci) {
            return true;
        }
    }
    return false;
}

unsigned dw_pcie_ep_msi_copies(DwPcieEpState *s, uint64_t pci,
                               const void *buf, uint64_t size)
{
    DwPcieEpMsiFault *f = &s->msi_fault;
    uint32_t data = 0;

    if (f->kind == DW_PCIE_EP_MSI_FAULT_NONE ||
        !dw_pcie_ep_is_msi(s, pci, size)) {
        return 1;
    }
    if (++f->seen % f->every) {
        return 1;
    }
    memcpy(&data, buf, size);
    trace_dw_pcie_ep_fault_msi(pci, le32_to_cpu(data), msi_kinds[f->kind],
                               f->seen);
    return f->kind == DW_PCIE_EP_MSI_FAULT_DROP ? 0 : 2;
}

/* ---- link down, PERST# ---- */

void dw_pcie_ep_link_perst(void *opaque, bool asserted)
{
    DwPcieEpState *s = opaque;
    DwPcieEpClass *k = DW_PCIE_EP_GET_CLASS(s);

    if (s->perst == asserted) {
        return;
    }
    s->perst = asserted;
    trace_dw_pcie_ep_perst(asserted);
    if (k->perst_changed) {
        k->perst_changed(s);
    }
}

void dw_pcie_ep_link_rc_state(void *opaque, bool up)
{
    DwPcieEpState *s = opaque;

    if (s->rc_hold != !up) {
        s->rc_hold = !up;
        trace_dw_pcie_ep_rc_hold(!up);
    }
    dw_pcie_ep_train(s);
}

/* ---- the properties ---- */

static char *dw_pcie_ep_get_fault_link(Object *obj, Error **errp)
{
    return g_strdup(DW_PCIE_EP(obj)->fault_link_down ? "down" : "up");
}

static void dw_pcie_ep_set_fault_link(Object *obj, const char *str,
                                      Error **errp)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);
    bool down;

    if (!pcie_link_fault_parse_link(str, &down, errp)) {
        return;
    }
    s->fault_link_down = down;
    trace_dw_pcie_ep_fault_link(down);
    if (DEVICE(obj)->realized) {
        dw_pcie_ep_train(s);
    }
}

static bool dw_pcie_ep_get_perst(Object *obj, Error **errp)
{
    return DW_PCIE_EP(obj)->perst;
}

static void dw_pcie_ep_set_perst(Object *obj, bool value, Error **errp)
{
    error_setg(errp, "x-fault-perst: PERST# is driven by the RC: set "
               "x-fault-perst on the RC QEMU's pci-ep-link");
}

static char *dw_pcie_ep_get_fault_msi(Object *obj, Error **errp)
{
    DwPcieEpMsiFault *f = &DW_PCIE_EP(obj)->msi_fault;

    if (f->kind == DW_PCIE_EP_MSI_FAULT_NONE || f->every == 1) {
        return g_strdup(msi_kinds[f->kind]);
    }
    return g_strdup_printf("%s:every=%" PRIu32, msi_kinds[f->kind], f->every);
}

static void dw_pcie_ep_set_fault_msi(Object *obj, const char *str,
                                     Error **errp)
{
    DwPcieEpState *s = DW_PCIE_EP(obj);
    g_autofree char *now = NULL;

    if (dw_pcie_ep_fault_parse_msi(str, &s->msi_fault, errp)) {
        s->msi_fault.seen = 0;
        now = dw_pcie_ep_get_fault_msi(obj, NULL);
        trace_dw_pcie_ep_fault_msi_set(now);
    }
}

static PcieLink *dw_pcie_ep_link_of(Object *obj)
{
    return &DW_PCIE_EP(obj)->link;
}

void dw_pcie_ep_fault_class_init(ObjectClass *oc)
{
    object_class_property_add_str(oc, "x-fault-link",
                                  dw_pcie_ep_get_fault_link,
                                  dw_pcie_ep_set_fault_link);
    object_class_property_set_description(oc, "x-fault-link",
        "Injected fault (experimental): 'down' holds the link down "
        "(surprise link down), 'up' lets it train");
    object_class_property_add_bool(oc, "x-fault-perst",
                                   dw_pcie_ep_get_perst,
                                   dw_pcie_ep_set_perst);
    object_class_property_set_description(oc, "x-fault-perst",
        "PERST# as the RC drives it (read-only here)");
    object_class_property_add_str(oc, "x-fault-msi",
                                  dw_pcie_ep_get_fault_msi,
                                  dw_pcie_ep_set_fault_msi);
    object_class_property_set_description(oc, "x-fault-msi",
        "Injected fault (experimental): none, drop or dup, optionally "
        ":every=N: MSI/MSI-X messages of the function dropped or doubled");
    pcie_link_fault_class_props(oc, dw_pcie_ep_link_of, true);
}
