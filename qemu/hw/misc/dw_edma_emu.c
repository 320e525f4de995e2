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

#define DONE_BITS       0x000000ffu
#define ABORT_BITS      0x00ff0000u
#define INT_BITS        (DONE_BITS | ABORT_BITS)
#define DOORBELL_STOP   (1u << 31)
#define DOORBELL_CH     0x7u
#define CONTROL1_RW     (DW_EDMA_CB | DW_EDMA_TCB | DW_EDMA_LLP | \
                         DW_EDMA_LIE | DW_EDMA_RIE | DW_EDMA_CCS | \
                         DW_EDMA_LLE)
/*
 * Link elements followed in a row in one fetch: a longer run counts as a
 * loop (it also bounds the work of one fetch, loop or not).
 */
#define MAX_LINKS       64

/* Error status bits (wr_err_status; rd_err_status low word). */
#define ERR_DATA(ch)    (1u << (ch))        /* data read/write error */
#define ERR_LL(ch)      (1u << (16 + (ch))) /* linked-list fetch error */

/* Per direction register offsets. */
static const struct {
    hwaddr doorbell, engine_en, status, mask, clear, err, done_imwr,
           abort_imwr, imwr_data;
    const char *name;
} dir_regs[2] = {
    [DW_EDMA_DIR_WRITE] = {
        DW_EDMA_WR_DOORBELL, DW_EDMA_WR_ENGINE_EN, DW_EDMA_WR_INT_STATUS,
        DW_EDMA_WR_INT_MASK, DW_EDMA_WR_INT_CLEAR, DW_EDMA_WR_ERR_STATUS,
        DW_EDMA_WR_DONE_IMWR, DW_EDMA_WR_ABORT_IMWR, DW_EDMA_WR_IMWR_DATA,
        "write",
    },
    [DW_EDMA_DIR_READ] = {
        DW_EDMA_RD_DOORBELL, DW_EDMA_RD_ENGINE_EN, DW_EDMA_RD_INT_STATUS,
        DW_EDMA_RD_INT_MASK, DW_EDMA_RD_INT_CLEAR, DW_EDMA_RD_ERR_STATUS,
        DW_EDMA_RD_DONE_IMWR, DW_EDMA_RD_ABORT_IMWR, DW_EDMA_RD_IMWR_DATA,
        "read",
    },
};

#define G(s, off)       ((s)->regs[(off) >> 2])
#define C(c, off)       ((c)->regs[(off) >> 2])

static unsigned dw_edma_count(DwEdmaEmuState *s, int dir)
{
    return dir == DW_EDMA_DIR_WRITE ? s->wr_channels : s->rd_channels;
}

static uint64_t ch_get64(DwEdmaChannel *c, hwaddr off)
{
    return C(c, off) | ((uint64_t)C(c, off + 4) << 32);
}

static void ch_set64(DwEdmaChannel *c, hwaddr off, uint64_t val)
{
    C(c, off) = val;
    C(c, off + 4) = val >> 32;
}

/* Whether @len bytes at @addr end at or below 2^64 - 1 (no wrap). */
static bool range_ok(uint64_t addr, uint64_t len)
{
    return !len || len - 1 <= UINT64_MAX - addr;
}

static void ch_set_status(DwEdmaChannel *c, unsigned cs)
{
    C(c, DW_EDMA_CH_CONTROL1) = (C(c, DW_EDMA_CH_CONTROL1) & ~DW_EDMA_CS_MASK) |
                                (cs << DW_EDMA_CS_SHIFT);
}

static void dw_edma_emu_update_irq(DwEdmaEmuState *s)
{
    bool level = s->emul_irq;
    int dir;

    for (dir = 0; dir < 2; dir++) {
        level |= !!(G(s, dir_regs[dir].status) & ~G(s, dir_regs[dir].mask) &
                    INT_BITS);
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
    hwaddr base = abort ? dir_regs[dir].abort_imwr : dir_regs[dir].done_imwr;
    uint64_t addr = G(s, base) | ((uint64_t)G(s, base + 4) << 32);
    uint32_t data = G(s, dir_regs[dir].imwr_data + (ch / 2) * 4);
    uint32_t le;

    data = (ch & 1) ? data >> 16 : data & 0xffff;
    trace_dw_edma_emu_imwr(dir_regs[dir].name, ch, abort, addr, data);
    le = cpu_to_le32(data);
    if (!range_ok(addr, 4)) {
        qemu_log_mask(LOG_GUEST_ERROR, "dw-edma-emu: %s channel %u: %s IMWr "
                      "address 0x%" PRIx64 " wraps past 2^64, not sent\n",
                      dir_regs[dir].name, ch, abort ? "abort" : "done", addr);
        return false;
    }
    if (!s->pci_ops || s->pci_ops->write(s->pci_opaque, addr, &le, 4)) {
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
    ch_set_status(c, DW_EDMA_CS_HALTED);
    G(s, dir_regs[dir].err) |= err;
    G(s, dir_regs[dir].status) |= 1u << (16 + ch);
    if (imwr) {
        dw_edma_emu_imwr(s, dir, ch, true);
    }
    dw_edma_emu_update_irq(s);
}

/* ABORT during a transfer: the element in hand decides on the IMWr. */
static void dw_edma_emu_abort(DwEdmaEmuState *s, int dir, unsigned ch,
                              uint32_t err, const char *why)
{
    DwEdmaChannel *c = &s->ch[dir][ch];
    /* The element in hand (the channel itself in non-LL mode) asks for it. */
    bool imwr = c->in_element && (c->elem_control & DW_EDMA_RIE);

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
    if ((control & DW_EDMA_RIE) && !dw_edma_emu_imwr(s, dir, ch, false)) {
        dw_edma_emu_halt(s, dir, ch, ERR_DATA(ch),
                         "the done IMWr could not be sent", true);
        return;
    }
    trace_dw_edma_emu_done(dir_regs[dir].name, ch);
    G(s, dir_regs[dir].status) |= 1u << ch;
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
        uint64_t llp = ch_get64(c, DW_EDMA_CH_LLP);
        uint8_t e[DW_EDMA_LL_ELEM_SIZE];
        uint32_t control;
        bool ccs = C(c, DW_EDMA_CH_CONTROL1) & DW_EDMA_CCS;

        if (!range_ok(llp, sizeof(e))) {
            dw_edma_emu_abort(s, dir, ch, ERR_LL(ch),
                              "the linked-list element at LLP wraps past "
                              "2^64");
            return false;
        }
        if (address_space_read(s->as, llp, s->attrs, e, sizeof(e))) {
            dw_edma_emu_abort(s, dir, ch, ERR_LL(ch),
                              "cannot read the linked-list element");
            return false;
        }
        control = ldl_le_p(e);
        if (!!(control & DW_EDMA_CB) != ccs) {
            /* Not (yet) produced for us: the end of the list. */
            trace_dw_edma_emu_stop(dir_regs[dir].name, ch, llp);
            c->running = false;
            ch_set_status(c, DW_EDMA_CS_STOPPED);
            return false;
        }
        if (dw_edma_emu_revisit(c, llp, ccs)) {
            dw_edma_emu_abort(s, dir, ch, ERR_LL(ch),
                              "the linked list loops: an element came round "
                              "again with the same cycle state");
            return false;
        }
        if (control & DW_EDMA_LLP) {
            ch_set64(c, DW_EDMA_CH_LLP, ldq_le_p(e + 8));
            if (control & DW_EDMA_TCB) {
                C(c, DW_EDMA_CH_CONTROL1) ^= DW_EDMA_CCS;
            }
            continue;
        }
        c->elem_control = control;
        C(c, DW_EDMA_CH_SIZE) = ldl_le_p(e + 4);
        ch_set64(c, DW_EDMA_CH_SAR, ldq_le_p(e + 8));
        ch_set64(c, DW_EDMA_CH_DAR, ldq_le_p(e + 16));
        ch_set64(c, DW_EDMA_CH_LLP, llp + DW_EDMA_LL_ELEM_SIZE);
        c->in_element = true;
        trace_dw_edma_emu_element(dir_regs[dir].name, ch, llp,
                                  C(c, DW_EDMA_CH_SIZE),
                                  ch_get64(c, DW_EDMA_CH_SAR),
                                  ch_get64(c, DW_EDMA_CH_DAR), control);
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
    res = s->pci_ops->write(s->pci_opaque, addr, s->buf, n);
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

    ch_set64(c, DW_EDMA_CH_SAR, sar + n);
    ch_set64(c, DW_EDMA_CH_DAR, dar + n);
    C(c, DW_EDMA_CH_SIZE) -= n;
    if (!C(c, DW_EDMA_CH_SIZE)) {
        bool ll = C(c, DW_EDMA_CH_CONTROL1) & DW_EDMA_LLE;

        c->in_element = false;
        if (!ll) {
            c->running = false;
            ch_set_status(c, DW_EDMA_CS_STOPPED);
            dw_edma_emu_done(s, dir, ch, C(c, DW_EDMA_CH_CONTROL1));
        } else if (c->elem_control & DW_EDMA_LIE) {
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
    } else if (address_space_write(s->as, r->dar, s->attrs, data, n)) {
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
    uint64_t sar = ch_get64(c, DW_EDMA_CH_SAR);
    uint64_t dar = ch_get64(c, DW_EDMA_CH_DAR);
    uint64_t left = C(c, DW_EDMA_CH_SIZE);
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
        if (!s->pci_ops) {
            dw_edma_emu_abort(s, dir, ch, ERR_DATA(ch), "no PCI side");
            return 0;
        }
        if (dir == DW_EDMA_DIR_WRITE) {
            if (address_space_read(s->as, sar, s->attrs, s->buf, n)) {
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
            if (!s->pci_ops->read_async(s->pci_opaque, sar, n,
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
static void dw_edma_emu_run(void *opaque)
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
    ch_set_status(c, DW_EDMA_CS_RUNNING);
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
