/*
 * DesignWare eDMA (v0, unrolled) engine: the transfers.  Linked-list
 * fetches, data moved between EP memory and the PCI side in slices from a
 * bottom half, DONE and ABORT with their IMWr and interrupt (see
 * dw_edma_emu.c for the contract).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/misc/dw_edma_emu.h"
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

unsigned dw_edma_count(DwEdmaEmuState *s, int dir)
{
    return dir == DW_EDMA_DIR_WRITE ? s->wr_channels : s->rd_channels;
}

/* A 64-bit channel register: its low word at R_ index @lo, then the high */
static uint64_t ch_get64(DwEdmaChannel *c, unsigned lo)
{
    return c->regs[lo] | ((uint64_t)c->regs[lo + 1] << 32);
}

static void ch_set64(DwEdmaChannel *c, unsigned lo, uint64_t val)
{
    c->regs[lo] = val;
    c->regs[lo + 1] = val >> 32;
}

/* Whether @len bytes at @addr end at or below 2^64 - 1 (no wrap). */
static bool range_ok(uint64_t addr, uint64_t len)
{
    return !len || len - 1 <= UINT64_MAX - addr;
}

void dw_edma_ch_set_status(DwEdmaChannel *c, unsigned cs)
{
    c->regs[R_EDMA_CH_CONTROL1] = FIELD_DP32(c->regs[R_EDMA_CH_CONTROL1],
                                             EDMA_CH_CONTROL1, CS, cs);
}

void dw_edma_emu_update_irq(DwEdmaEmuState *s)
{
    bool level = s->emul_irq;
    int dir;

    for (dir = 0; dir < 2; dir++) {
        level |= !!(s->regs[dir_regs[dir].status] &
                    ~s->regs[dir_regs[dir].mask] & DW_EDMA_INT_BITS);
    }
    qemu_set_irq(s->irq, level);
}

/*
 * IMWr: the channel's 16-bit data, as a 32-bit write on the PCI side.
 * False (and logged) if it could not be sent: no PCI side, the write
 * failed, or the 4 bytes at the IMWr address would wrap past 2^64.
 */
static bool dw_edma_emu_imwr(DwEdmaEmuState *s, int dir, unsigned ch,
                             bool abort)
{
    const DwEdmaDirRegs *r = &dir_regs[dir];
    uint64_t addr = abort ?
        s->regs[r->abort_imwr_lo] | (uint64_t)s->regs[r->abort_imwr_hi] << 32 :
        s->regs[r->done_imwr_lo] | (uint64_t)s->regs[r->done_imwr_hi] << 32;
    /* chXY_imwr_data: one register per channel pair, in order */
    uint32_t data = s->regs[r->imwr_data + ch / 2];
    uint32_t le;

    data = (ch & 1) ? FIELD_EX32(data, EDMA_IMWR_DATA, ODD) :
                      FIELD_EX32(data, EDMA_IMWR_DATA, EVEN);
    trace_dw_edma_emu_imwr(dir_regs[dir].name, ch, abort, addr, data);
    le = cpu_to_le32(data);
    if (!range_ok(addr, 4)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: %s channel %u: %s IMWr "
                      "address 0x%" PRIx64 " wraps past 2^64, not sent\n",
                      dir_regs[dir].name, ch, abort ? "abort" : "done", addr);
        return false;
    }
    if (!s->pci_port || dw_edma_port(s)->write(s->pci_port, addr, &le, 4)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: %s channel %u: IMWr "
                      "to 0x%" PRIx64 " failed\n", dir_regs[dir].name, ch,
                      addr);
        return false;
    }
    return true;
}

/*
 * End the channel in ABORT: halted, the ABORT bit and @err in the error
 * status, the abort IMWr if @imwr.  @err 0 is a stop through the doorbell,
 * no guest error.
 */
static void dw_edma_emu_halt(DwEdmaEmuState *s, int dir, unsigned ch,
                             uint32_t err, const char *why, bool imwr)
{
    DwEdmaChannel *c = &s->ch[dir][ch];

    if (err) {
        /* A stop through the doorbell (err 0) is no guest error. */
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: %s channel %u aborted: "
                      "%s\n", dir_regs[dir].name, ch, why);
    }
    trace_dw_edma_emu_abort(dir_regs[dir].name, ch, why);
    s->run[dir][ch]++;
    c->running = false;
    c->reading = false;
    c->in_element = false;
    dw_edma_ch_set_status(c, DW_EDMA_CS_HALTED);
    s->regs[dir_regs[dir].err] |= err;
    s->regs[dir_regs[dir].status] |= INT_ABORT(ch);
    if (imwr) {
        dw_edma_emu_imwr(s, dir, ch, true);
    }
    dw_edma_emu_update_irq(s);
}

/* ABORT during a transfer: the element in hand decides on the IMWr. */
void dw_edma_emu_abort(DwEdmaEmuState *s, int dir, unsigned ch,
                       uint32_t err, const char *why)
{
    DwEdmaChannel *c = &s->ch[dir][ch];
    /* The element in hand (the channel itself in non-LL mode) asks for it. */
    bool imwr = c->in_element &&
                FIELD_EX32(c->elem_control, EDMA_CH_CONTROL1, RIE);

    dw_edma_emu_halt(s, dir, ch, err, why, imwr);
}

/*
 * DONE of a block or of a data element with LIE; with RIE the done IMWr
 * goes first, and if it cannot be sent the transfer ends in ABORT instead
 * (with the abort IMWr, which RIE asks for too).
 */
static void dw_edma_emu_done(DwEdmaEmuState *s, int dir, unsigned ch,
                             uint32_t control)
{
    if (FIELD_EX32(control, EDMA_CH_CONTROL1, RIE) &&
        !dw_edma_emu_imwr(s, dir, ch, false)) {
        dw_edma_emu_halt(s, dir, ch, ERR_DATA(ch),
                         "the done IMWr could not be sent", true);
        return;
    }
    trace_dw_edma_emu_done(dir_regs[dir].name, ch);
    s->regs[dir_regs[dir].status] |= INT_DONE(ch);
    dw_edma_emu_update_irq(s);
}

/*
 * Loop detection over the elements a channel takes (Brent's method): one
 * element is the checkpoint, and it moves to the element in hand after 1,
 * 2, 4, 8, ... further elements.  A walk that loops (the list does not
 * change under it: the same element comes back with the same CCS) meets
 * its checkpoint again within about twice the loop's length plus its
 * lead-in; a walk that does not loop never does, however long it is.  A
 * doorbell starts afresh.  True when @llp with @ccs is the checkpoint.
 */
static bool dw_edma_emu_revisit(DwEdmaChannel *c, uint64_t llp, bool ccs)
{
    if (c->walk_span && llp == c->walk_llp && ccs == c->walk_ccs) {
        return true;
    }
    if (!c->walk_span || ++c->walk_steps == c->walk_span) {
        c->walk_llp = llp;
        c->walk_ccs = ccs;
        c->walk_span = c->walk_span ? c->walk_span * 2 : 1;
        c->walk_steps = 0;
    }
    return false;
}

/*
 * Fetch elements at LLP until a data element is in hand (true), or the
 * channel stopped or aborted (false).
 */
static bool dw_edma_emu_fetch(DwEdmaEmuState *s, int dir, unsigned ch)
{
    DwEdmaChannel *c = &s->ch[dir][ch];
    int links;

    for (links = 0; links < MAX_LINKS; links++) {
        uint64_t llp = ch_get64(c, R_EDMA_CH_LLP_LO);
        uint8_t e[DW_EDMA_LL_ELEM_SIZE];
        uint32_t control;
        bool ccs = FIELD_EX32(c->regs[R_EDMA_CH_CONTROL1], EDMA_CH_CONTROL1,
                              CCS);

        if (!range_ok(llp, sizeof(e))) {
            dw_edma_emu_abort(s, dir, ch, ERR_LL(ch),
                              "the linked-list element at LLP wraps past "
                              "2^64");
            return false;
        }
        if (address_space_read(&s->as, llp, s->attrs, e, sizeof(e))) {
            dw_edma_emu_abort(s, dir, ch, ERR_LL(ch),
                              "cannot read the linked-list element");
            return false;
        }
        control = ldl_le_p(e + DW_EDMA_LL_CONTROL);
        if (FIELD_EX32(control, EDMA_CH_CONTROL1, CB) != ccs) {
            /* Not (yet) produced for us: the end of the list. */
            trace_dw_edma_emu_stop(dir_regs[dir].name, ch, llp);
            c->running = false;
            dw_edma_ch_set_status(c, DW_EDMA_CS_STOPPED);
            return false;
        }
        if (dw_edma_emu_revisit(c, llp, ccs)) {
            dw_edma_emu_abort(s, dir, ch, ERR_LL(ch),
                              "the linked list loops: an element came round "
                              "again with the same cycle state");
            return false;
        }
        if (FIELD_EX32(control, EDMA_CH_CONTROL1, LLP)) {
            ch_set64(c, R_EDMA_CH_LLP_LO, ldq_le_p(e + DW_EDMA_LL_NEXT));
            if (FIELD_EX32(control, EDMA_CH_CONTROL1, TCB)) {
                c->regs[R_EDMA_CH_CONTROL1] ^= R_EDMA_CH_CONTROL1_CCS_MASK;
            }
            continue;
        }
        c->elem_control = control;
        c->regs[R_EDMA_CH_SIZE] = ldl_le_p(e + DW_EDMA_LL_SIZE);
        ch_set64(c, R_EDMA_CH_SAR_LO, ldq_le_p(e + DW_EDMA_LL_SAR));
        ch_set64(c, R_EDMA_CH_DAR_LO, ldq_le_p(e + DW_EDMA_LL_DAR));
        ch_set64(c, R_EDMA_CH_LLP_LO, llp + DW_EDMA_LL_ELEM_SIZE);
        c->in_element = true;
        trace_dw_edma_emu_element(dir_regs[dir].name, ch, llp,
                                  c->regs[R_EDMA_CH_SIZE],
                                  ch_get64(c, R_EDMA_CH_SAR_LO),
                                  ch_get64(c, R_EDMA_CH_DAR_LO), control);
        return true;
    }
    dw_edma_emu_abort(s, dir, ch, ERR_LL(ch),
                      "the linked list loops through link elements");
    return false;
}

/*
 * Write @n bytes of s->buf to PCI address @addr.  The PCI side may wait
 * for room on the link with the BQL released: meanwhile the eDMA's
 * re-entrancy guard is lifted, so that its registers stay reachable (a
 * doorbell the RC rings through the inbound iATU, the driver's own
 * accesses).  False when the channel was stopped, aborted, restarted or
 * reset meanwhile (its state is then what that made it), or when the
 * write failed (then the channel is aborted here).
 */
static bool dw_edma_emu_pci_write(DwEdmaEmuState *s, int dir, unsigned ch,
                                  uint64_t addr, uint64_t n)
{
    MemReentrancyGuard *guard = &DEVICE(s)->mem_reentrancy_guard;
    bool engaged = guard->engaged_in_io;
    uint32_t run = s->run[dir][ch];
    MemTxResult res;

    guard->engaged_in_io = false;
    res = dw_edma_port(s)->write(s->pci_port, addr, s->buf, n);
    guard->engaged_in_io = engaged;
    if (s->run[dir][ch] != run || !s->ch[dir][ch].running) {
        trace_dw_edma_emu_run_ended(dir_regs[dir].name, ch);
        return false;
    }
    if (res != MEMTX_OK) {
        dw_edma_emu_abort(s, dir, ch, ERR_DATA(ch), "the PCI write was not "
                          "carried (no link, or refused)");
        return false;
    }
    return true;
}

/*
 * @n bytes of the element in hand moved from @sar to @dar: advance the
 * channel, and end the element (DONE, or the next element) when it is
 * all done.
 */
static void dw_edma_emu_advance(DwEdmaEmuState *s, int dir, unsigned ch,
                                uint64_t sar, uint64_t dar, uint64_t n)
{
    DwEdmaChannel *c = &s->ch[dir][ch];

    ch_set64(c, R_EDMA_CH_SAR_LO, sar + n);
    ch_set64(c, R_EDMA_CH_DAR_LO, dar + n);
    c->regs[R_EDMA_CH_SIZE] -= n;
    if (!c->regs[R_EDMA_CH_SIZE]) {
        bool ll = FIELD_EX32(c->regs[R_EDMA_CH_CONTROL1], EDMA_CH_CONTROL1,
                             LLE);

        c->in_element = false;
        if (!ll) {
            c->running = false;
            dw_edma_ch_set_status(c, DW_EDMA_CS_STOPPED);
            dw_edma_emu_done(s, dir, ch, c->regs[R_EDMA_CH_CONTROL1]);
        } else if (FIELD_EX32(c->elem_control, EDMA_CH_CONTROL1, LIE)) {
            dw_edma_emu_done(s, dir, ch, c->elem_control);
        }
    }
}

/* A read channel's read_async in flight, for dw_edma_emu_read_done. */
typedef struct DwEdmaEmuRead {
    DwEdmaEmuState *s;
    unsigned ch;
    uint32_t run;
    uint64_t sar, dar;
} DwEdmaEmuRead;

/*
 * The PCI read of a read channel is over (BQL held): write the data to
 * EP memory and go on, unless the channel's run ended meanwhile.
 */
static void dw_edma_emu_read_done(void *opaque, MemTxResult res,
                                  const uint8_t *data, uint64_t n)
{
    g_autofree DwEdmaEmuRead *r = opaque;
    DwEdmaEmuState *s = r->s;
    const int dir = DW_EDMA_DIR_READ;
    DwEdmaChannel *c = &s->ch[dir][r->ch];

    if (s->run[dir][r->ch] != r->run || !c->running) {
        trace_dw_edma_emu_run_ended(dir_regs[dir].name, r->ch);
        return;
    }
    c->reading = false;
    if (res != MEMTX_OK) {
        dw_edma_emu_abort(s, dir, r->ch, ERR_DATA(r->ch),
                          "the PCI read completed with an error");
    } else if (address_space_write(&s->as, r->dar, s->attrs, data, n)) {
        dw_edma_emu_abort(s, dir, r->ch, ERR_DATA(r->ch),
                          "cannot write the destination in EP memory");
    } else {
        dw_edma_emu_advance(s, dir, r->ch, r->sar, r->dar, n);
    }
    qemu_bh_schedule(s->bh);
}

/* Move up to @budget bytes of the element in hand. Returns bytes moved. */
static uint64_t dw_edma_emu_move(DwEdmaEmuState *s, int dir, unsigned ch,
                                 uint64_t budget)
{
    DwEdmaChannel *c = &s->ch[dir][ch];
    uint64_t sar = ch_get64(c, R_EDMA_CH_SAR_LO);
    uint64_t dar = ch_get64(c, R_EDMA_CH_DAR_LO);
    uint64_t left = c->regs[R_EDMA_CH_SIZE];
    uint64_t n = MIN(MIN(left, budget), DW_EDMA_SLICE);

    if (n) {
        /* What is left of the block must not run past 2^64 - 1. */
        if (!range_ok(sar, left)) {
            dw_edma_emu_abort(s, dir, ch, ERR_DATA(ch),
                              "SAR + transfer size wraps past 2^64");
            return 0;
        }
        if (!range_ok(dar, left)) {
            dw_edma_emu_abort(s, dir, ch, ERR_DATA(ch),
                              "DAR + transfer size wraps past 2^64");
            return 0;
        }
        if (!s->pci_port) {
            dw_edma_emu_abort(s, dir, ch, ERR_DATA(ch), "no PCI side");
            return 0;
        }
        if (dir == DW_EDMA_DIR_WRITE) {
            if (address_space_read(&s->as, sar, s->attrs, s->buf, n)) {
                dw_edma_emu_abort(s, dir, ch, ERR_DATA(ch),
                                  "cannot read the source in EP memory");
                return 0;
            }
            if (!dw_edma_emu_pci_write(s, dir, ch, dar, n)) {
                return 0;
            }
        } else {
            DwEdmaEmuRead *r = g_new(DwEdmaEmuRead, 1);

            *r = (DwEdmaEmuRead) { .s = s, .ch = ch, .run = s->run[dir][ch],
                                   .sar = sar, .dar = dar };
            c->reading = true;
            if (!dw_edma_port(s)->read_async(s->pci_port, sar, n,
                                             dw_edma_emu_read_done, r)) {
                g_free(r);
                c->reading = false;
                dw_edma_emu_abort(s, dir, ch, ERR_DATA(ch),
                                  "the PCI read was not sent (no link, or "
                                  "refused)");
            }
            return 0;   /* dw_edma_emu_read_done goes on */
        }
    }
    dw_edma_emu_advance(s, dir, ch, sar, dar, n);
    return n;
}

/* Run each busy channel for a slice; come back while any is busy. */
void dw_edma_emu_run(void *opaque)
{
    DwEdmaEmuState *s = opaque;
    bool busy = false;
    int dir;
    unsigned ch;

    for (dir = 0; dir < 2; dir++) {
        for (ch = 0; ch < dw_edma_count(s, dir); ch++) {
            DwEdmaChannel *c = &s->ch[dir][ch];
            uint64_t budget = DW_EDMA_SLICE;

            while (c->running && !c->reading && budget) {
                if (!c->in_element && !dw_edma_emu_fetch(s, dir, ch)) {
                    break;
                }
                budget -= MIN(budget, MAX(dw_edma_emu_move(s, dir, ch,
                                                           budget), 1));
            }
            busy |= c->running && !c->reading;
        }
    }
    if (busy) {
        qemu_bh_schedule(s->bh);
    }
}
