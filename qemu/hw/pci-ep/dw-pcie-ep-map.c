/*
 * dw-pcie-ep: the shared-memory fast path of the link (MAP messages).
 *
 * Where a BAR-match inbound iATU region maps a whole BAR onto EP RAM that
 * lives in a shared memory backend (memory-backend-memfd,share=on), the
 * RC QEMU is handed that RAM (see PL_MSG_MAP in pcie-link-proto.h) and
 * maps it into its BAR: the RC guest's loads and stores there no longer
 * cross the link.  What the RC was told is kept per BAR (slot = BAR
 * number) and brought up to date whenever what decides it may have
 * changed: the iATU, the BAR masks and Resizable BAR sizes, COMMAND's
 * Memory Space Enable, the link state, the connection.  A mapping that
 * goes away is dropped on the RC side before the EP register write that
 * ended it completes (when the EP's own write ended it; a change made by
 * the RC is brought over from a bottom half).  Everything else (address-
 * match regions, targets that are not shared RAM, a peer or chardev
 * without the fast path) stays on messages.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci-ep/dw-pcie-ep.h"
#include "hw/pci/pci_regs.h"
#include "exec/memory.h"
#include "exec/ramblock.h"
#include "qemu/main-loop.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "qemu/range.h"
#include "trace.h"
#include "dw-pcie-ep-internal.h"

/*
 * What BAR @bar should be on the RC side: @want (all zero for messages)
 * and, when it is shared RAM, the descriptor of that RAM in @fd.
 */
static void dw_pcie_ep_map_want(DwPcieEpState *s, unsigned bar,
                                DwPcieEpMap *want, int *fd)
{
    uint64_t size = dw_pcie_ep_bar_size(s, bar);
    uint64_t page = qemu_real_host_page_size();
    uint64_t ep = 0, room = 0, fd_offset;
    MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;
    MemoryRegion *mr;
    hwaddr xlat, len = size;
    unsigned i;

    memset(want, 0, sizeof(*want));
    *fd = -1;
    if (dw_pcie_ep_bar_reserved(s, bar)) {
        return;     /* the hardware's registers, whatever the iATU says */
    }
    if (!size || !s->link_up ||
        !(lduw_le_p(s->config + PCI_COMMAND) & PCI_COMMAND_MEMORY)) {
        return;
    }
    /* BAR-match regions come first, lowest index first, as inbound */
    for (i = 0; i < s->num_ib; i++) {
        if (dw_iatu_match_bar(&s->ib[i], bar, size, 0, &ep, &room)) {
            break;
        }
    }
    if (i == s->num_ib || room < size || !pl_mem_range_ok(ep, size) ||
        ((ep | size) & (page - 1))) {
        return;
    }
    /*
     * What the inbound path reaches (dw_pcie_ep_inbound): EP memory, which
     * the "memory" property may make other than the machine's view.  All
     * of the BAR must be one piece of RAM that the inbound path writes.
     */
    attrs.requester_id = s->its_device_id;
    RCU_READ_LOCK_GUARD();
    mr = address_space_translate(s->ep_as, ep, &xlat, &len, true, attrs);
    if (memory_region_is_ram(mr) && !memory_region_is_romd(mr) &&
        !mr->readonly && mr->ram_block && len == size &&
        memory_region_get_fd(mr) >= 0) {
        fd_offset = xlat + mr->ram_block->fd_offset;
        if (!(fd_offset & (page - 1))) {
            want->on = true;
            want->size = size;
            want->fd_offset = fd_offset;
            want->ram = mr->ram_block;
            *fd = memory_region_get_fd(mr);
        }
    }
}

static bool dw_pcie_ep_map_same(const DwPcieEpMap *a, const DwPcieEpMap *b)
{
    return a->on == b->on && (!a->on || (a->size == b->size &&
                                         a->fd_offset == b->fd_offset &&
                                         a->ram == b->ram));
}

void dw_pcie_ep_map_sync(DwPcieEpState *s)
{
    unsigned bar;

    if (!s->fast_path || !s->link.iothread) {
        return;
    }
    if (s->map_syncing) {
        s->map_again = true;    /* a vCPU or the bottom half is at it */
        return;
    }
    s->map_syncing = true;
    do {
        s->map_again = false;
        for (bar = 0; bar < DW_PCIE_EP_NUM_BARS; bar++) {
            uint64_t conn = s->map_conn;
            PlMsg m = { .type = PL_MSG_MAP };
            DwPcieEpMap want;
            PlStatus st;
            int fd;

            if (!pcie_link_shm(&s->link)) {
                /* no fast path on this connection, or none: nothing held */
                memset(s->map, 0, sizeof(s->map));
                memset(s->map_refused, 0, sizeof(s->map_refused));
                break;
            }
            dw_pcie_ep_map_want(s, bar, &want, &fd);
            if (dw_pcie_ep_map_same(&want, &s->map[bar])) {
                continue;
            }
            m.u.map.slot = bar;
            if (s->map[bar].on) {
                /* the BQL is released while the RC drops it */
                st = pcie_link_map(&s->link, &m, -1);
                trace_dw_pcie_ep_unmap(bar, st);
                if (conn != s->map_conn) {
                    s->map_again = true;    /* a new connection meanwhile */
                    break;
                }
                s->map[bar].on = false;
                if (st != PL_STATUS_SC) {
                    /* the RC may still map it: only the cut ends that */
                    pcie_link_fail(&s->link, "the RC did not confirm that it "
                                   "dropped a shared BAR mapping");
                    break;
                }
                /* what decides the mapping may have changed meanwhile */
                dw_pcie_ep_map_want(s, bar, &want, &fd);
            }
            if (!want.on || dw_pcie_ep_map_same(&want, &s->map_refused[bar])) {
                continue;
            }
            m.u.map.bar = bar;
            m.u.map.enable = 1;
            m.u.map.size = want.size;
            m.u.map.fd_offset = want.fd_offset;
            st = pcie_link_map(&s->link, &m, fd);
            trace_dw_pcie_ep_map(bar, want.size, want.fd_offset, st);
            if (conn != s->map_conn) {
                s->map_again = true;
                break;
            }
            if (st == PL_STATUS_SC) {
                s->map[bar] = want;
            } else {
                s->map_refused[bar] = want;     /* not asked again */
            }
            s->map_again = true;    /* the BQL was released: look again */
        }
    } while (s->map_again);
    s->map_syncing = false;
}

static void dw_pcie_ep_map_bh(void *opaque)
{
    dw_pcie_ep_map_sync(opaque);
}

void dw_pcie_ep_map_changed(DwPcieEpState *s, bool now)
{
    if (!s->fast_path || !s->map_bh) {
        return;
    }
    if (now) {
        dw_pcie_ep_map_sync(s);
    } else {
        qemu_bh_schedule(s->map_bh);
    }
}

static void dw_pcie_ep_rc_ram_drop(DwPcieEpState *s)
{
    if (s->rc_ram) {
        object_unref(OBJECT(s->rc_ram));    /* its aliases hold it on */
        s->rc_ram = NULL;
        trace_dw_pcie_ep_rc_ram(0, 0);
        dw_pcie_ep_outbound_sync(s);
    }
}

void dw_pcie_ep_map_connected(DwPcieEpState *s)
{
    dw_pcie_ep_rc_ram_drop(s);      /* the RC took it back with the link */
    s->map_conn++;
    memset(s->map, 0, sizeof(s->map));
    memset(s->map_refused, 0, sizeof(s->map_refused));
    dw_pcie_ep_map_changed(s, false);
}

void dw_pcie_ep_map_init(DwPcieEpState *s)
{
    s->map_bh = qemu_bh_new(dw_pcie_ep_map_bh, s);
}

/* Largest RC RAM taken: bounds what a peer makes this QEMU map. */
#define RC_RAM_MAX (64ull << 30)

PlStatus dw_pcie_ep_map_rc_ram(DwPcieEpState *s, const PlMsg *m)
{
    uint64_t page = qemu_real_host_page_size();
    Error *err = NULL;
    int fd;

    dw_pcie_ep_rc_ram_drop(s);
    if (!m->u.map.enable) {
        return PL_STATUS_SC;
    }
    fd = pcie_link_take_fd(&s->link);
    if (!s->fast_path || fd < 0 || m->u.map.slot || m->u.map.bar ||
        ((m->u.map.offset | m->u.map.size | m->u.map.fd_offset) &
         (page - 1)) || m->u.map.size > RC_RAM_MAX) {
        /* a peer's fault: the host's to hear of, once (a peer can repeat) */
        warn_report_once("dw-pcie-ep: the RC's MAP of its RAM (PCI 0x%"
                         PRIx64 ", 0x%" PRIx64 " bytes, slot %u, BAR%u, %s) "
                         "refused: fast path %s, or not slot 0 and BAR0 in "
                         "host pages under 64 GiB", m->u.map.offset,
                         m->u.map.size, m->u.map.slot, m->u.map.bar,
                         fd < 0 ? "no descriptor" : "a descriptor",
                         s->fast_path ? "on" : "off");
        if (fd >= 0) {
            close(fd);
        }
        return PL_STATUS_UR;
    }
    s->rc_ram = pcie_link_region_ram("dw-pcie-ep.rc-ram", m->u.map.size, fd,
                                     m->u.map.fd_offset, &err);
    if (!s->rc_ram) {
        warn_report("dw-pcie-ep: cannot map the RC's RAM: %s",
                    error_get_pretty(err));
        error_free(err);
        close(fd);
        return PL_STATUS_UR;
    }
    s->rc_ram_pci = m->u.map.offset;
    s->rc_ram_size = m->u.map.size;
    trace_dw_pcie_ep_rc_ram(m->u.map.offset, m->u.map.size);
    dw_pcie_ep_outbound_sync(s);
    return PL_STATUS_SC;
}

/* Outbound region @i's CPU range and PCI target, if it is enabled. */
static bool dw_pcie_ep_ob_range(DwPcieEpState *s, unsigned i, uint64_t *cpu,
                                uint64_t *pci, uint64_t *len)
{
    *cpu = dw_iatu_base(&s->ob[i]);
    return dw_iatu_match_addr(&s->ob[i], false, *cpu, pci, len);
}

/* Whether [@a, @a + @n) lies in [@base, @base + @size). */
static bool dw_pcie_ep_within(uint64_t a, uint64_t n, uint64_t base,
                              uint64_t size)
{
    return a >= base && a - base <= size && n <= size - (a - base);
}

void dw_pcie_ep_outbound_sync(DwPcieEpState *s)
{
    uint64_t page = qemu_real_host_page_size();
    uint64_t as_base = dw_pcie_ep_cpu_addr(&s->addr_space);
    uint64_t as_size = memory_region_size(&s->addr_space);
    unsigned i, j;

    memory_region_transaction_begin();
    for (i = 0; i < s->num_ob; i++) {
        uint64_t cpu, pci, len, c2, p2, l2;
        bool ok;

        if (s->ob_alias[i]) {
            memory_region_del_subregion(&s->addr_space,
                                        pcie_link_region_mr(s->ob_alias[i]));
            object_unref(OBJECT(s->ob_alias[i]));
            s->ob_alias[i] = NULL;
        }
        ok = s->rc_ram && dw_pcie_ep_ob_range(s, i, &cpu, &pci, &len) &&
             dw_pcie_ep_within(cpu, len, as_base, as_size) &&
             dw_pcie_ep_within(pci, len, s->rc_ram_pci, s->rc_ram_size) &&
             !((cpu | pci | len) & (page - 1));
        /* a lower index wins where windows overlap: leave those alone */
        for (j = 0; ok && j < i; j++) {
            ok = !dw_pcie_ep_ob_range(s, j, &c2, &p2, &l2) ||
                 !ranges_overlap(cpu, len, c2, l2);
        }
        if (!ok) {
            continue;
        }
        s->ob_alias[i] = pcie_link_region_alias("dw-pcie-ep.rc-ram-window",
                                                s->rc_ram,
                                                pci - s->rc_ram_pci, len);
        memory_region_add_subregion_overlap(&s->addr_space, cpu - as_base,
                                            pcie_link_region_mr(
                                                s->ob_alias[i]), 1);
        trace_dw_pcie_ep_rc_ram_window(i, cpu, pci, len);
    }
    memory_region_transaction_commit();
}

void *dw_pcie_ep_rc_ram_ptr(DwPcieEpState *s, uint64_t pci, uint64_t len)
{
    if (!s->rc_ram || !len ||
        !dw_pcie_ep_within(pci, len, s->rc_ram_pci, s->rc_ram_size)) {
        return NULL;
    }
    return (uint8_t *)memory_region_get_ram_ptr(
        pcie_link_region_mr(s->rc_ram)) + (pci - s->rc_ram_pci);
}
