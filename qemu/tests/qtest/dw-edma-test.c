/*
 * qtest for the DesignWare eDMA engine of dw-pcie-ep (dw-edma-emu), used
 * the way the Linux 7.2 dw-edma v0 driver uses it.
 *
 * The test plays the RC side of the PCIe link itself: a unix socket server
 * that the EP's "chardev" connects to, served by a thread that speaks the
 * link protocol (pcie-link-proto.h).  Its fake RC memory covers PCI
 * addresses PCI_BASE..+PCI_SIZE: MEM_WR land there and are logged, MEM_RD
 * are answered from it (UR outside it, CA in the PCI_CA window, and not
 * at all in the PCI_SILENT window; held back while Peer.hold is set).
 * While Peer.paused is set the thread reads nothing at all (peer_pause).
 *
 * Covered: DMA_CTRL channel counts, int_mask reset, int_clear W1C, channel
 * register read back and read-only CS; every register's reset value,
 * read-only, reserved and write-only bits from the tables of
 * dw_edma_emu_regs.h, before and after a system_reset, and every other offset
 * reading 0 and keeping nothing; interrupt emulation (status write
 * asserts, int_clear deasserts); linked-list walks on write and read
 * channels with the cycle bit protocol of consecutive chunks; ABORT on UR,
 * CA, a completion timeout and local memory errors; a list that starts
 * with CB != CCS; int_mask gating the interrupt line; the IMWr on done
 * (RIE) for odd and even channels; non-linked-list mode (blocks larger than
 * the engine's 64 KiB slice); transfers with no link.  And, as it needs
 * the same RC side, the outbound iATU path of EP CPU accesses; what a
 * link reset and a system reset leave of the RC's config writes (nothing)
 * and the link-down message of a reset; Memory Space Enable gating the
 * RC's BAR accesses and Bus Master Enable gating every request of the EP.
 * And the link under load: the RC's config access while an eDMA read has
 * all its reads in flight, RC requests served inside a wait that an RC
 * request's handler started, and a hostile RC that never reads and
 * floods or trickles (the EP holds a bounded amount, cuts the link within
 * its timeout, answers qtest commands meanwhile, and works once the RC is
 * back: an eDMA pattern lands byte for byte); a stopped peer, on either
 * end (each access bounded, no posted write lost or doubled).  And the
 * shared-memory fast path, with EP memory the machine's or the "memory"
 * property's.
 *
 * The same thread plays the EP side for pci-ep-link (the RC end, in an
 * RC QEMU of its own): a fake function with a config space and BAR0,
 * which it answers from; used for the slot power off and on of the RC
 * guest, which detaches the function while the link stays up, the INTx
 * hold, the RC end of the fast path, and an EP that stops.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/un.h>
#include <sys/mman.h>
#include <poll.h>
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "hw/pci/pci_regs.h"
#include "libqtest.h"
#include "dw-pcie-ep-qtest.h"
#include "hw/misc/dw_edma_emu_regs.h"
#include "hw/pci-ep/dw-pcie-ep-regs.h"
#include "hw/pci-ep/pcie-link-proto.h"

/* Global registers, per direction (0 write, 1 read): dw_edma_emu_regs.h */
typedef struct DirRegs {
    unsigned engine_en, doorbell, int_status, int_mask, int_clear;
    unsigned done_imwr, done_imwr_hi, abort_imwr, imwr_data;
} DirRegs;

#define DIR_REGS(D) {                                                       \
    A_EDMA_##D##_ENGINE_EN, A_EDMA_##D##_DOORBELL, A_EDMA_##D##_INT_STATUS, \
    A_EDMA_##D##_INT_MASK, A_EDMA_##D##_INT_CLEAR, A_EDMA_##D##_DONE_IMWR_LO, \
    A_EDMA_##D##_DONE_IMWR_HI, A_EDMA_##D##_ABORT_IMWR_LO,                  \
    A_EDMA_##D##_CH01_IMWR_DATA }

static const DirRegs dregs[2] = { DIR_REGS(WR), DIR_REGS(RD) };

#define WR              0
#define RD              1
#define DONE(ch)        (1u << (R_EDMA_INT_DONE_SHIFT + (ch)))
#define ABORT(ch)       (1u << (R_EDMA_INT_ABORT_SHIFT + (ch)))
#define ERR_LL(ch)      (1u << (R_EDMA_ERR_LL_SHIFT + (ch)))

/* Control bits of ch_control1 and of list elements. */
#define CB              R_EDMA_CH_CONTROL1_CB_MASK
#define TCB             R_EDMA_CH_CONTROL1_TCB_MASK
#define LLP             R_EDMA_CH_CONTROL1_LLP_MASK
#define LIE             R_EDMA_CH_CONTROL1_LIE_MASK
#define RIE             R_EDMA_CH_CONTROL1_RIE_MASK
#define CS_MASK         R_EDMA_CH_CONTROL1_CS_MASK
#define CS(v)           FIELD_EX32((v), EDMA_CH_CONTROL1, CS)
#define CS_HALTED       DW_EDMA_CS_HALTED
#define CS_STOPPED      DW_EDMA_CS_STOPPED
#define CCS             R_EDMA_CH_CONTROL1_CCS_MASK
#define LLE             R_EDMA_CH_CONTROL1_LLE_MASK
#define ELEM            DW_EDMA_LL_ELEM_SIZE

/* Resizable BAR entry 0 (BAR0), from dw-pcie-ep-regs.h */
#define REBAR_CAP0      DW_PCIE_EP_REBAR_CAP(0)
#define REBAR_CTRL0     DW_PCIE_EP_REBAR_CTRL(0)

#define EP_RAM          0x40000000ULL
#define EP_HOLE         0x50000000ULL   /* beyond the 128 MiB of RAM */
#define PCI_BASE        0x80000000ULL
#define PCI_SIZE        (1024 * 1024)
#define PCI_CA          0x90000000ULL   /* reads here complete with CA */
#define PCI_SILENT      0xa0000000ULL   /* reads here are never answered */
#define PCI_UR          0x10000000ULL   /* outside everything: UR */
#define WAIT_US         (5 * G_USEC_PER_SEC)
#define FAKE_EP_ID      0xb500104cu     /* the EP role's device/vendor ID */

typedef struct WrRec {
    uint64_t addr;
    uint32_t size;
    uint32_t first4;    /* the first (up to) 4 bytes, little endian */
} WrRec;

/* What the RC side saw since the last peer_take(). */
typedef struct PeerStats {
    uint64_t written, read_bytes;
    unsigned reads, urs, cas, silent;
    unsigned msgs;      /* messages of any type */
} PeerStats;

/* One MAP slot of the fake RC: the EP RAM it mapped (see peer_map). */
typedef struct PeerMap {
    bool on;
    uint8_t bar;
    uint64_t offset, size, fd_offset;
    uint8_t *ptr;
} PeerMap;

#define PEER_RX_FDS     4       /* descriptors received ahead of their MAP */

typedef struct Peer {
    int lfd, fd;
    int stop;           /* atomic */
    int drop;           /* atomic: close the connection, accept the next */
    int paused;         /* atomic: read, answer and close nothing (SIGSTOP) */
    int pause_seen;     /* atomic: the thread is paused (see peer_pause) */
    bool ep_role;       /* plays the EP (for pci-ep-link), not the RC */
    uint32_t features;  /* PL_FEAT_* our HELLO offers (set before the thread) */
    GThread *thread;
    GMutex send_lock;   /* one message at a time on fd (two threads send) */
    GMutex lock;        /* protects everything below */
    GCond cpl_cond;     /* signalled when the awaited CPL arrives */
    unsigned conns;     /* connections that ended */
    bool hello;         /* the other side's HELLO, with the right role */
    int link_up;        /* last LINK from the EP, -1 before any */
    uint32_t peer_features;     /* what the other side's HELLO offered */
    /* As the RC: the MAP messages of the EP (see peer_map) */
    int rx_fds[PEER_RX_FDS];    /* received, not yet taken by a MAP */
    unsigned rx_nfds;
    PeerMap map[PL_MAP_SLOTS];
    unsigned maps, unmaps;      /* MAP with enable 1, with enable 0 */
    PlMsg last_map;             /* the last MAP with enable 1 */
    uint8_t map_status;         /* how we complete a MAP with enable 1 */
    /* As the EP: the function's config space, its write mask, BAR0 */
    uint8_t cfg[PL_CFG_SPACE];
    uint8_t cfg_wmask[PL_CFG_SPACE];
    unsigned cfg_reads, cfg_writes;
    uint8_t *mem;
    GArray *writes;     /* WrRec, in arrival order */
    PeerStats st;
    bool hold;          /* keep MEM_RD of the RC memory unanswered ... */
    GArray *held;       /* ... here (PlMsg), until the test answers them */
    int flood;          /* atomic: FLOOD, TRICKLE or FUZZ the EP */
    GRand *rand;        /* FUZZ: the fuzzer's seeded generator */
    bool flood_done;    /* the flood is over: */
    uint64_t flood_sent;    /* bytes the EP took, */
    gint64 flood_cut_us;    /* when it cut the link (from the start), or -1 */
    char *err;          /* first protocol violation */
    /* The one request of the RC side in flight (see rc_request). */
    uint32_t next_tag;
    uint32_t cpl_tag;   /* 0: none awaited */
    bool cpl_done;
    uint8_t cpl_status;
    uint32_t cpl_len;
    uint8_t cpl_data[PL_MAX_PAYLOAD];
} Peer;

typedef struct Ep {
    QTestState *qts;
    uint64_t dma, app, atu, addr_space, dbi, dbi2;
    Peer *peer;
    char *dir, *path;
} Ep;

/* ---- the RC side of the link ---- */

/* Called with the lock held. */
static void peer_error(Peer *p, const char *what)
{
    if (!p->err) {
        p->err = g_strdup(what);
    }
}

/*
 * Send @m, with the file descriptor @fd (or -1) attached to its first
 * byte (SCM_RIGHTS): the whole message goes in one sendmsg, what a short
 * write leaves in plain ones after it.
 */
static void peer_send_fd(Peer *p, const PlMsg *m, int fd)
{
    uint8_t buf[PL_MAX_MSG];
    size_t len = pl_encode(m, buf, sizeof(buf)), off = 0;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;

    g_assert(len);
    g_mutex_lock(&p->send_lock);
    while (off < len) {
        struct iovec iov = { .iov_base = buf + off, .iov_len = len - off };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *c;
        ssize_t n;

        if (fd >= 0) {
            memset(&ctl, 0, sizeof(ctl));
            mh.msg_control = ctl.buf;
            mh.msg_controllen = sizeof(ctl.buf);
            c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        n = sendmsg(p->fd, &mh, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;      /* the EP went away; the receive loop sees it */
        }
        off += n;
        fd = -1;        /* it went with the first byte */
    }
    g_mutex_unlock(&p->send_lock);
}

static void peer_send(Peer *p, const PlMsg *m)
{
    peer_send_fd(p, m, -1);
}

static bool in_mem(uint64_t addr, uint32_t size)
{
    return addr >= PCI_BASE && addr - PCI_BASE <= PCI_SIZE - size;
}

/* The completion @m of the one request of our side in flight (rc_request). */
static void peer_cpl(Peer *p, const PlMsg *m)
{
    if (!p->cpl_tag || m->tag != p->cpl_tag || p->cpl_done) {
        peer_error(p, "completion for no request of the test side");
        return;
    }
    p->cpl_status = m->status;
    p->cpl_len = m->u.cpl.len;
    if (m->u.cpl.len) {
        memcpy(p->cpl_data, m->u.cpl.data, m->u.cpl.len);
    }
    p->cpl_done = true;
    g_cond_broadcast(&p->cpl_cond);
}

/* Called with the lock held: MAP slot @slot of the fake RC goes. */
static void peer_unmap(Peer *p, unsigned slot)
{
    PeerMap *pm = &p->map[slot];

    if (pm->on) {
        munmap(pm->ptr, pm->size);
    }
    memset(pm, 0, sizeof(*pm));
}

/*
 * Called with the lock held: the connection ended (or the test does), and
 * with it the EP's mappings and the descriptors that no MAP took.
 */
static void peer_forget(Peer *p)
{
    unsigned i;

    for (i = 0; i < PL_MAP_SLOTS; i++) {
        peer_unmap(p, i);
    }
    while (p->rx_nfds) {
        close(p->rx_fds[--p->rx_nfds]);
    }
}

/*
 * A MAP from the EP, as pci-ep-link takes it: enable 1 maps the descriptor
 * that came with it (MAP_SHARED, size bytes at fd_offset) into the slot,
 * unless the test has us refuse it (map_status); enable 0 drops the slot.
 * Sets the completion's status.
 */
static void peer_map(Peer *p, const PlMsg *m, PlMsg *cpl)
{
    PeerMap *pm = &p->map[m->u.map.slot];
    void *ptr;
    int fd;

    if (!(p->features & PL_FEAT_SHM)) {
        peer_error(p, "MAP, though our HELLO did not offer PL_FEAT_SHM");
    }
    if (!m->u.map.enable) {
        if (!pm->on) {
            peer_error(p, "unmap of a MAP slot that holds nothing");
        }
        peer_unmap(p, m->u.map.slot);
        p->unmaps++;
        return;
    }
    peer_unmap(p, m->u.map.slot);
    p->maps++;
    p->last_map = *m;
    if (!p->rx_nfds) {
        peer_error(p, "MAP with enable 1 but no file descriptor");
        cpl->status = PL_STATUS_UR;
        return;
    }
    fd = p->rx_fds[0];
    memmove(p->rx_fds, p->rx_fds + 1, --p->rx_nfds * sizeof(int));
    if (p->map_status != PL_STATUS_SC) {
        close(fd);
        cpl->status = p->map_status;
        return;
    }
    ptr = mmap(NULL, m->u.map.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
               m->u.map.fd_offset);
    close(fd);
    if (ptr == MAP_FAILED) {
        peer_error(p, "the descriptor of a MAP does not map");
        cpl->status = PL_STATUS_UR;
        return;
    }
    pm->on = true;
    pm->bar = m->u.map.bar;
    pm->offset = m->u.map.offset;
    pm->size = m->u.map.size;
    pm->fd_offset = m->u.map.fd_offset;
    pm->ptr = ptr;
}

/* Handle one message from the EP; true if *cpl is to be sent back. */
static bool peer_handle(Peer *p, const PlMsg *m, PlMsg *cpl, uint8_t *data)
{
    WrRec w = { .addr = m->u.mem.addr, .size = m->u.mem.size };
    unsigned i;

    if ((m->type == PL_MSG_MEM_WR || m->type == PL_MSG_MEM_RD) &&
        m->u.mem.bar != PL_BAR_NONE) {
        peer_error(p, "bus-master request from the EP with a BAR number");
    }
    p->st.msgs++;
    switch (m->type) {
    case PL_MSG_HELLO:
        if (m->u.hello.role != PL_ROLE_EP) {
            peer_error(p, "HELLO with a role other than EP");
        }
        p->hello = true;
        p->peer_features = m->u.hello.features;
        return false;
    case PL_MSG_LINK:
        p->link_up = m->u.link.up;
        return false;
    case PL_MSG_MEM_WR:
        for (i = 0; i < MIN(4, w.size); i++) {
            w.first4 |= (uint32_t)m->u.mem.data[i] << (8 * i);
        }
        g_array_append_val(p->writes, w);
        p->st.written += w.size;
        if (!in_mem(w.addr, w.size)) {
            peer_error(p, "MEM_WR outside the RC memory");
            return false;
        }
        memcpy(p->mem + (w.addr - PCI_BASE), m->u.mem.data, w.size);
        return false;
    case PL_MSG_MEM_RD:
        *cpl = (PlMsg) { .type = PL_MSG_CPL, .tag = m->tag };
        if (in_mem(w.addr, w.size) && p->hold) {
            g_array_append_val(p->held, *m);
            return false;
        }
        if (in_mem(w.addr, w.size)) {
            memcpy(data, p->mem + (w.addr - PCI_BASE), w.size);
            p->st.reads++;
            p->st.read_bytes += w.size;
            cpl->u.cpl.data = data;
            cpl->u.cpl.len = w.size;
        } else if (w.addr >= PCI_CA && w.addr < PCI_CA + 0x10000) {
            p->st.cas++;
            cpl->status = PL_STATUS_CA;
        } else if (w.addr >= PCI_SILENT && w.addr < PCI_SILENT + 0x10000) {
            p->st.silent++;
            return false;
        } else {
            p->st.urs++;
            cpl->status = PL_STATUS_UR;
        }
        return true;
    case PL_MSG_INTX:
        return false;
    case PL_MSG_CPL:
        peer_cpl(p, m);
        return false;
    case PL_MSG_MAP:
        *cpl = (PlMsg) { .type = PL_MSG_CPL, .tag = m->tag };
        peer_map(p, m, cpl);
        return true;
    default:
        peer_error(p, "unexpected message type from the EP");
        return false;
    }
}

/*
 * The EP side, for pci-ep-link: config reads and writes of the fake
 * function, BAR reads (all 0x5a) and writes (counted and logged), the
 * completions of the fake EP's own requests.  true if *cpl is to be sent
 * back.
 */
static bool fake_ep_handle(Peer *p, const PlMsg *m, PlMsg *cpl,
                           uint8_t *data)
{
    WrRec wr = { .addr = m->u.mem.addr, .size = m->u.mem.size };
    unsigned i, off = m->u.cfg.offset;

    p->st.msgs++;
    switch (m->type) {
    case PL_MSG_HELLO:
        if (m->u.hello.role != PL_ROLE_RC) {
            peer_error(p, "HELLO with a role other than RC");
        }
        p->hello = true;
        p->peer_features = m->u.hello.features;
        return false;
    case PL_MSG_CFG_RD:
        *cpl = (PlMsg) { .type = PL_MSG_CPL, .tag = m->tag };
        for (i = 0; i < m->u.cfg.size; i++) {
            data[i] = off + i < PL_CFG_SPACE ? p->cfg[off + i] : 0;
        }
        cpl->u.cpl.data = data;
        cpl->u.cpl.len = m->u.cfg.size;
        p->cfg_reads++;
        return true;
    case PL_MSG_CFG_WR:
        *cpl = (PlMsg) { .type = PL_MSG_CPL, .tag = m->tag };
        for (i = 0; i < m->u.cfg.size && off + i < PL_CFG_SPACE; i++) {
            uint8_t b = m->u.cfg.data >> (8 * i), w = p->cfg_wmask[off + i];

            p->cfg[off + i] = (p->cfg[off + i] & ~w) | (b & w);
        }
        p->cfg_writes++;
        return true;
    case PL_MSG_MEM_RD:
        *cpl = (PlMsg) { .type = PL_MSG_CPL, .tag = m->tag };
        memset(data, 0x5a, m->u.mem.size);
        cpl->u.cpl.data = data;
        cpl->u.cpl.len = m->u.mem.size;
        p->st.reads++;
        return true;
    case PL_MSG_MEM_WR:
        for (i = 0; i < MIN(4, wr.size); i++) {
            wr.first4 |= (uint32_t)m->u.mem.data[i] << (8 * i);
        }
        g_array_append_val(p->writes, wr);
        p->st.written += m->u.mem.size;
        return false;
    case PL_MSG_CPL:
        peer_cpl(p, m);
        return false;
    default:
        peer_error(p, "unexpected message type from the RC");
        return false;
    }
}

/* Peer.flood: how the RC floods the EP (see peer_flood) */
#define FLOOD           1
#define TRICKLE         2
#define FUZZ            3
#define FLOOD_MAX       (32 * 1024 * 1024)  /* below what the EP once held */
#define FLOOD_US        (20 * G_USEC_PER_SEC)
/* 960 KB of completions: more than a socket holds */
#define TRICKLE_BURST   60000
#define TRICKLE_GAP_US  (100 * 1000)
#define TRICKLE_US      (8 * G_USEC_PER_SEC)

/*
 * Send @len bytes on @fd by @deadline.  False if the other side closed
 * the connection (or @deadline passed).
 */
static bool send_by(int fd, const uint8_t *buf, size_t len, gint64 deadline)
{
    size_t off = 0;

    while (off < len) {
        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
        gint64 left = deadline - g_get_monotonic_time();
        ssize_t n;

        if (left <= 0) {
            return false;
        }
        if (poll(&pfd, 1, left / 1000 + 1) <= 0) {
            continue;
        }
        if (!(pfd.revents & POLLOUT)) {
            return false;       /* POLLHUP or POLLERR: closed */
        }
        n = send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        off += n;
    }
    return true;
}

/*
 * A hostile RC that never reads the EP's completions.  FLOOD: requests
 * (a MEM_WR of 4 KiB, then four CFG_RD) as fast as the EP takes them, up
 * to FLOOD_MAX bytes.  TRICKLE: TRICKLE_BURST CFG_RD (more completions
 * than the socket holds), then a MEM_WR of 8 bytes every TRICKLE_GAP_US
 * for TRICKLE_US, which keeps the EP reading while its completions wait.
 * Then, still not reading, it waits for the EP to close the connection,
 * and records what the EP took and when it cut the link.
 */
static void peer_flood(Peer *p, int mode)
{
    gint64 start = g_get_monotonic_time(), deadline = start + FLOOD_US;
    g_autofree uint8_t *payload = g_malloc0(PL_MAX_PAYLOAD);
    g_autofree uint8_t *buf = g_malloc(PL_MAX_MSG);
    uint64_t sent = 0, n;
    gint64 cut = -1;
    size_t len;

    g_mutex_lock(&p->send_lock);
    for (n = 0; sent < FLOOD_MAX; n++) {
        bool trickle = mode == TRICKLE && n >= TRICKLE_BURST;
        PlMsg m = { .type = PL_MSG_CFG_RD, .tag = n + 1 };

        m.u.cfg.offset = PCI_VENDOR_ID;
        m.u.cfg.size = 4;
        if ((mode == FLOOD && n % 5 == 0) || trickle) {
            m = (PlMsg) { .type = PL_MSG_MEM_WR };
            m.u.mem.addr = 0x10000000;      /* BAR0, not enabled: UR */
            m.u.mem.size = trickle ? 8 : PL_MAX_PAYLOAD;
            m.u.mem.bar = 0;
            m.u.mem.data = payload;
        }
        if (trickle) {
            if (g_get_monotonic_time() - start > TRICKLE_US) {
                break;
            }
            g_usleep(TRICKLE_GAP_US);
        }
        len = pl_encode(&m, buf, PL_MAX_MSG);
        g_assert(len);
        if (!send_by(p->fd, buf, len, deadline)) {
            break;
        }
        sent += len;
    }
    g_mutex_unlock(&p->send_lock);
    /* cut, or done: wait for the EP to hang up (POLLHUP needs no read) */
    while (g_get_monotonic_time() < deadline && !g_atomic_int_get(&p->stop)) {
        struct pollfd pfd = { .fd = p->fd, .events = 0 };

        if (poll(&pfd, 1, 20) > 0 && (pfd.revents & (POLLHUP | POLLERR))) {
            cut = g_get_monotonic_time() - start;
            break;
        }
    }
    g_mutex_lock(&p->lock);
    p->flood_sent = sent;
    p->flood_cut_us = cut;
    p->flood_done = true;
    g_mutex_unlock(&p->lock);
    g_atomic_int_set(&p->flood, 0);
}

/*
 * One connection of the link fuzzer (Peer.flood FUZZ): after HELLO, 1 to
 * 64 messages drawn from p->rand: requests of every type with random
 * fields (address, size, BAR, config offset, tag), completions for tags
 * the EP never used, INTx and LINK; one in eight has a random byte
 * flipped, one in sixteen is cut short (and ends the connection, the
 * stream being out of step).  Whatever the EP sends is read and dropped.
 * Then the connection closes; the EP connects again.
 */
static void peer_fuzz(Peer *p)
{
    static const uint8_t types[] = {
        PL_MSG_HELLO, PL_MSG_LINK, PL_MSG_CFG_RD, PL_MSG_CFG_WR,
        PL_MSG_MEM_RD, PL_MSG_MEM_WR, PL_MSG_INTX, PL_MSG_CPL,
    };
    gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
    g_autofree uint8_t *payload = g_malloc(PL_MAX_PAYLOAD);
    g_autofree uint8_t *buf = g_malloc(PL_MAX_MSG);
    GRand *r = p->rand;
    int i, n = g_rand_int_range(r, 1, 65);

    for (i = 0; i < PL_MAX_PAYLOAD; i++) {
        payload[i] = g_rand_int(r);
    }
    g_mutex_lock(&p->send_lock);
    for (i = 0; i < n; i++) {
        PlMsg m = { .type = types[g_rand_int_range(r, 0, 8)] };
        uint8_t sink[4096];
        size_t len;

        m.tag = g_rand_boolean(r) ? g_rand_int(r) : g_rand_int_range(r, 0, 8);
        switch (m.type) {
        case PL_MSG_HELLO:
            m.u.hello.magic = PL_MAGIC;
            m.u.hello.version = PL_VERSION;
            m.u.hello.role = g_rand_int_range(r, 1, 3);
            m.u.hello.max_payload = PL_MAX_PAYLOAD;
            break;
        case PL_MSG_LINK:
            m.u.link.up = g_rand_boolean(r);
            break;
        case PL_MSG_CFG_RD:
        case PL_MSG_CFG_WR:
            m.u.cfg.size = 1 << g_rand_int_range(r, 0, 3);
            m.u.cfg.offset = m.u.cfg.size *
                g_rand_int_range(r, 0, PL_CFG_SPACE / m.u.cfg.size);
            m.u.cfg.data = g_rand_int(r);
            break;
        case PL_MSG_MEM_RD:
        case PL_MSG_MEM_WR:
            m.u.mem.size = g_rand_boolean(r) ? 4 :
                           g_rand_int_range(r, 1, PL_MAX_PAYLOAD + 1);
            m.u.mem.addr = g_rand_boolean(r) ?
                0x10000000 + g_rand_int_range(r, 0, 0x200000) :
                ((uint64_t)g_rand_int(r) << 32 | g_rand_int(r));
            if (m.u.mem.addr > UINT64_MAX - m.u.mem.size + 1) {
                m.u.mem.addr = UINT64_MAX - m.u.mem.size + 1;
            }
            m.u.mem.bar = g_rand_boolean(r) ? PL_BAR_NONE :
                          g_rand_int_range(r, 0, 6);
            m.u.mem.data = payload;
            break;
        case PL_MSG_INTX:
            m.u.intx.pin = g_rand_int_range(r, 0, 4);
            m.u.intx.level = g_rand_boolean(r);
            break;
        case PL_MSG_CPL:
            m.status = g_rand_int_range(r, 0, 3);
            if (m.status == PL_STATUS_SC) {
                m.u.cpl.len = g_rand_int_range(r, 0, 9);
                m.u.cpl.data = payload;
            }
            break;
        }
        if (m.type != PL_MSG_MEM_RD && m.type != PL_MSG_CFG_RD &&
            m.type != PL_MSG_CFG_WR && m.type != PL_MSG_CPL) {
            m.tag = 0;
        }
        len = pl_encode(&m, buf, PL_MAX_MSG);
        g_assert(len);
        if (g_rand_int_range(r, 0, 8) == 0) {
            buf[g_rand_int_range(r, 0, len)] ^= 1 << g_rand_int_range(r, 0, 8);
        }
        if (g_rand_int_range(r, 0, 16) == 0) {
            len = g_rand_int_range(r, 1, len);
            n = i + 1;
        }
        if (!send_by(p->fd, buf, len, deadline)) {
            break;
        }
        while (recv(p->fd, sink, sizeof(sink), MSG_DONTWAIT) > 0) {
            /* dropped */
        }
    }
    g_mutex_unlock(&p->send_lock);
}

/*
 * Receive what fits at @buf (@cap bytes), as recv does; descriptors that
 * come along (SCM_RIGHTS) are queued in order for the MAP messages they
 * belong to.
 */
static ssize_t peer_recv(Peer *p, uint8_t *buf, size_t cap)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(PEER_RX_FDS * sizeof(int))];
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = cap };
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
    };
    struct cmsghdr *c;
    ssize_t n = recvmsg(p->fd, &mh, MSG_CMSG_CLOEXEC);

    if (n < 0) {
        return n;
    }
    g_mutex_lock(&p->lock);
    if (mh.msg_flags & MSG_CTRUNC) {
        peer_error(p, "more descriptors in one message than we take");
    }
    for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        size_t i, nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int fd;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        for (i = 0; i < nfds; i++) {
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (p->rx_nfds < PEER_RX_FDS) {
                p->rx_fds[p->rx_nfds++] = fd;
            } else {
                peer_error(p, "descriptors ahead of their MAP messages");
                close(fd);
            }
        }
    }
    g_mutex_unlock(&p->lock);
    return n;
}

/* Serve one connection until stop, drop or the other side closes. */
static void peer_serve(Peer *p)
{
    size_t cap = 4 * PL_MAX_MSG, len = 0;
    g_autofree uint8_t *rx = g_malloc(cap);
    uint8_t data[PL_MAX_PAYLOAD];
    PlMsg msg;
    struct pollfd pfd = { .fd = p->fd, .events = POLLIN };

    while (!g_atomic_int_get(&p->stop) && !g_atomic_int_get(&p->drop)) {
        ssize_t n;
        int r;

        if (g_atomic_int_get(&p->flood) == FUZZ) {
            peer_fuzz(p);
            return;
        }
        if (g_atomic_int_get(&p->flood)) {
            peer_flood(p, g_atomic_int_get(&p->flood));
            return;
        }
        if (g_atomic_int_get(&p->paused)) {
            g_atomic_int_set(&p->pause_seen, 1);
            g_usleep(5 * 1000);     /* what QEMU sends waits in the socket */
            continue;
        }
        g_atomic_int_set(&p->pause_seen, 0);
        if (poll(&pfd, 1, 20) <= 0) {
            continue;
        }
        n = peer_recv(p, rx + len, cap - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;     /* QEMU quit or cut the link */
        }
        len += n;
        while ((r = pl_decode(rx, len, &msg)) != PL_NEED_MORE) {
            PlMsg cpl;
            bool reply = false;

            g_mutex_lock(&p->lock);
            if (r < 0) {
                peer_error(p, pl_strerror(r));
            } else if (p->ep_role) {
                reply = fake_ep_handle(p, &msg, &cpl, data);
            } else {
                reply = peer_handle(p, &msg, &cpl, data);
            }
            g_mutex_unlock(&p->lock);
            if (r < 0) {
                return;
            }
            if (reply) {
                peer_send(p, &cpl);
            }
            len -= r;
            memmove(rx, rx + r, len);
        }
    }
}

/*
 * Accept the QEMU (it connects as a client, with reconnect-ms), say
 * HELLO, serve it; when it goes or the test drops it, accept the next.
 */
static gpointer peer_run(gpointer opaque)
{
    Peer *p = opaque;
    PlMsg msg = { .type = PL_MSG_HELLO };
    struct pollfd pfd = { .fd = p->lfd, .events = POLLIN };
    int fd;

    msg.u.hello.magic = PL_MAGIC;
    msg.u.hello.version = PL_VERSION;
    msg.u.hello.role = p->ep_role ? PL_ROLE_EP : PL_ROLE_RC;
    msg.u.hello.max_payload = PL_MAX_PAYLOAD;
    msg.u.hello.features = p->features;
    while (!g_atomic_int_get(&p->stop)) {
        if (poll(&pfd, 1, 20) <= 0) {
            continue;
        }
        fd = accept(p->lfd, NULL, NULL);
        g_assert(fd >= 0);
        g_mutex_lock(&p->send_lock);
        p->fd = fd;
        g_mutex_unlock(&p->send_lock);
        peer_send(p, &msg);
        peer_serve(p);
        if (g_atomic_int_get(&p->stop)) {
            break;
        }
        g_mutex_lock(&p->send_lock);
        close(p->fd);
        p->fd = -1;
        g_mutex_unlock(&p->send_lock);
        g_mutex_lock(&p->lock);
        p->hello = false;
        p->link_up = -1;
        p->peer_features = 0;
        peer_forget(p);
        p->conns++;
        g_mutex_unlock(&p->lock);
        g_atomic_int_set(&p->drop, 0);
    }
    return NULL;
}

/*
 * Stop the peer (@on) as SIGSTOP stops a QEMU: once this returns it reads
 * and answers nothing, and keeps the connection; or let it continue.
 */
static void peer_pause(Peer *p, bool on)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;

    if (on) {
        /* a pause just after a resume must not see the last one's mark */
        g_atomic_int_set(&p->pause_seen, 0);
    }
    g_atomic_int_set(&p->paused, on);
    while (on && !g_atomic_int_get(&p->pause_seen)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(1000);
    }
}

/* Copy to (@put) or from the RC memory at @pci. */
static void peer_mem(Peer *p, uint64_t pci, void *buf, size_t n, bool put)
{
    g_assert(in_mem(pci, n));
    g_mutex_lock(&p->lock);
    if (put) {
        memcpy(p->mem + (pci - PCI_BASE), buf, n);
    } else {
        memcpy(buf, p->mem + (pci - PCI_BASE), n);
    }
    g_mutex_unlock(&p->lock);
}

/* The stats since the last call; clears them and the write log. */
static PeerStats peer_take(Peer *p)
{
    PeerStats st;

    g_mutex_lock(&p->lock);
    st = p->st;
    memset(&p->st, 0, sizeof(p->st));
    g_array_set_size(p->writes, 0);
    g_mutex_unlock(&p->lock);
    return st;
}

/*
 * A non-posted request of our side (CFG_RD, CFG_WR, MEM_RD as the RC; MAP
 * as the EP, with the file descriptor @fd, or -1): send @m with a fresh
 * tag and wait up to WAIT_US for its completion (the other QEMU serves the
 * link from its main loop, which runs by itself).  Returns the completion
 * status; read data (@size bytes) goes to @data.
 */
static PlStatus peer_request(Peer *p, PlMsg *m, int fd, void *data,
                             uint32_t size)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    PlStatus st;

    g_mutex_lock(&p->lock);
    g_assert_cmpuint(p->cpl_tag, ==, 0);
    if (++p->next_tag == 0) {
        p->next_tag = 1;
    }
    m->tag = p->cpl_tag = p->next_tag;
    p->cpl_done = false;
    g_mutex_unlock(&p->lock);
    peer_send_fd(p, m, fd);
    g_mutex_lock(&p->lock);
    while (!p->cpl_done) {
        if (!g_cond_wait_until(&p->cpl_cond, &p->lock, deadline)) {
            break;
        }
    }
    g_assert_true(p->cpl_done);
    st = p->cpl_status;
    if (st == PL_STATUS_SC) {
        g_assert_cmpuint(p->cpl_len, ==, data ? size : 0);
        if (size) {
            memcpy(data, p->cpl_data, size);
        }
    } else if (size) {
        memset(data, 0xff, size);
    }
    p->cpl_tag = 0;
    g_mutex_unlock(&p->lock);
    return st;
}

static PlStatus rc_request(Peer *p, PlMsg *m, void *data, uint32_t size)
{
    return peer_request(p, m, -1, data, size);
}

/* A 32-bit config read of the EP function from the RC side. */
static uint32_t rc_cfg_read(Ep *ep, uint16_t off)
{
    PlMsg m = { .type = PL_MSG_CFG_RD };
    uint8_t b[4];

    m.u.cfg.offset = off;
    m.u.cfg.size = 4;
    g_assert_cmpint(rc_request(ep->peer, &m, b, 4), ==, PL_STATUS_SC);
    return ldl_le_p(b);
}

static void rc_cfg_write(Ep *ep, uint16_t off, uint32_t val)
{
    PlMsg m = { .type = PL_MSG_CFG_WR };

    m.u.cfg.offset = off;
    m.u.cfg.size = 4;
    m.u.cfg.data = val;
    g_assert_cmpint(rc_request(ep->peer, &m, NULL, 0), ==, PL_STATUS_SC);
}

/* A 32-bit memory read of BAR @bar at PCI address @addr from the RC side. */
static PlStatus rc_mem_read(Ep *ep, uint8_t bar, uint64_t addr, uint32_t *val)
{
    PlMsg m = { .type = PL_MSG_MEM_RD };
    uint8_t b[4];
    PlStatus st;

    m.u.mem.addr = addr;
    m.u.mem.size = 4;
    m.u.mem.bar = bar;
    st = rc_request(ep->peer, &m, b, 4);
    *val = ldl_le_p(b);
    return st;
}

/*
 * A posted memory write of @size bytes (up to 8) of @val at @addr: into
 * BAR @bar of the EP when we play the RC, a bus-master write of the
 * function (@bar PL_BAR_NONE) when we play the EP.
 */
static void peer_mem_write(Peer *p, uint8_t bar, uint64_t addr, uint64_t val,
                           uint32_t size)
{
    PlMsg m = { .type = PL_MSG_MEM_WR };
    uint8_t b[8];

    stq_le_p(b, val);
    m.u.mem.addr = addr;
    m.u.mem.size = size;
    m.u.mem.bar = bar;
    m.u.mem.data = b;
    peer_send(p, &m);
}

/* LINK or INTX (INTA) from our side. */
static void peer_signal(Peer *p, uint8_t type, bool on)
{
    PlMsg m = { .type = type };

    if (type == PL_MSG_LINK) {
        m.u.link.up = on;
    } else {
        m.u.intx.level = on;
    }
    peer_send(p, &m);
}

/* ---- the EP QEMU ---- */

#define RD32(ep, off)       qtest_readl((ep)->qts, (ep)->dma + (off))
#define WR32(ep, off, v)    qtest_writel((ep)->qts, (ep)->dma + (off), (v))
#define RD64(ep, off)       qtest_readq((ep)->qts, (ep)->dma + (off))
#define WR64(ep, off, v)    qtest_writeq((ep)->qts, (ep)->dma + (off), (v))
/* Offset of a channel register: dir WR or RD, channel, register. */
#define CH(dir, ch, reg)    (DW_EDMA_CH_BASE(dir, ch) + (reg))
#define STATUS(dir)         dregs[dir].int_status
#define CLEAR(dir)          dregs[dir].int_clear
#define MASK(dir)           dregs[dir].int_mask
#define IRQ(ep)             qtest_get_irq((ep)->qts, 0)

/* One more round of a polling loop: false once @deadline has passed. */
static bool again(Ep *ep, gint64 deadline)
{
    if (g_get_monotonic_time() > deadline) {
        return false;
    }
    qtest_clock_step(ep->qts, 100 * 1000);
    g_usleep(500);
    return true;
}

/* Give anything asynchronous 200 ms to happen. */
static void settle(Ep *ep)
{
    gint64 deadline = g_get_monotonic_time() + 200 * 1000;

    while (again(ep, deadline)) {
        /* nothing */
    }
}

/* The fake function of the EP role: 104c:b500, BAR0 32-bit 1 MiB, INTA. */
static void fake_ep_init(Peer *p)
{
    stl_le_p(p->cfg + PCI_VENDOR_ID, FAKE_EP_ID);
    stl_le_p(p->cfg + PCI_CLASS_REVISION, 0xff000000);
    p->cfg[PCI_INTERRUPT_PIN] = 1;
    stw_le_p(p->cfg_wmask + PCI_COMMAND, 0x0547);
    stl_le_p(p->cfg_wmask + PCI_BASE_ADDRESS_0, 0xfff00000);
    p->cfg_wmask[PCI_INTERRUPT_LINE] = 0xff;
}

/*
 * Listen on a fresh socket and play the RC, or with @ep_role the EP; our
 * HELLO offers @features (PL_FEAT_*).
 */
static void peer_start(Ep *ep, bool ep_role, uint32_t features)
{
    Peer *p = ep->peer = g_new0(Peer, 1);

    p->lfd = link_listen("dw-edma-test-XXXXXX", &ep->dir, &ep->path);
    p->fd = -1;
    p->link_up = -1;
    p->mem = g_malloc0(PCI_SIZE);
    p->writes = g_array_new(false, true, sizeof(WrRec));
    p->held = g_array_new(false, true, sizeof(PlMsg));
    g_mutex_init(&p->lock);
    g_mutex_init(&p->send_lock);
    g_cond_init(&p->cpl_cond);
    p->ep_role = ep_role;
    p->features = features;
    if (ep_role) {
        fake_ep_init(p);
    }
    p->thread = g_thread_new("dw-edma-peer", peer_run, p);
}

/*
 * Wait until the peer has had @conns connections end, is connected again
 * (HELLO) and, unless @up is -2, got LINK @up (-1: none yet) last.
 */
static void peer_wait(Ep *ep, unsigned conns, int up)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    bool ok;

    do {
        g_mutex_lock(&ep->peer->lock);
        ok = ep->peer->conns == conns && ep->peer->hello &&
             (up == -2 || ep->peer->link_up == up);
        g_mutex_unlock(&ep->peer->lock);
    } while (!ok && again(ep, deadline));
    g_assert_true(ok);
}

/*
 * Start QEMU with a dw-pcie-ep (@props appended to -device).  With @peer
 * its link goes to our RC side, whose HELLO offers @features; with @train
 * LTSSM_EN is set and the link awaited (with @peer, until the RC side got
 * LINK up), and the RC side enables the function as the RC's drivers do
 * (Memory Space and Bus Master Enable).  With @keep the socket file stays
 * until ep_stop, so that the EP can connect again.
 */
static void ep_start_full(Ep *ep, const char *props, bool peer, bool train,
                          bool keep, uint32_t features)
{
    const char *m = "-machine virt,gic-version=3 -nodefaults";
    gint64 deadline;
    bool hello = !peer;
    int up = train && !peer;

    memset(ep, 0, sizeof(*ep));
    if (peer) {
        peer_start(ep, false, features);
        ep->qts = qtest_initf("%s -chardev socket,id=l,path=%s,"
                              "reconnect-ms=100 -device dw-pcie-ep,id=ep,"
                              "chardev=l%s", m, ep->path, props);
    } else {
        ep->qts = qtest_initf("%s -device dw-pcie-ep,id=ep%s", m, props);
    }
    ep->dma = region_base(ep->qts, "dw-edma");
    ep->app = region_base(ep->qts, "dw-pcie-ep.app");
    ep->atu = region_base(ep->qts, "dw-pcie-ep.atu");
    ep->addr_space = region_base(ep->qts, "dw-pcie-ep.addr_space");
    ep->dbi = region_base(ep->qts, "dw-pcie-ep.dbi");
    ep->dbi2 = region_base(ep->qts, "dw-pcie-ep.dbi2");
    qtest_irq_intercept_out_named(ep->qts, "/machine/peripheral/ep",
                                  "sysbus-irq");
    if (train) {
        qtest_writel(ep->qts, ep->app + A_APP_CTRL, 1);
    }
    deadline = g_get_monotonic_time() + WAIT_US;
    while (peer && !(hello && (!train || up == 1)) && again(ep, deadline)) {
        g_mutex_lock(&ep->peer->lock);
        hello = ep->peer->hello;
        up = ep->peer->link_up;
        g_mutex_unlock(&ep->peer->lock);
    }
    g_assert_true(hello);
    if (peer && !keep) {
        /* connected: the socket file is not needed any more */
        unlink(ep->path);
        rmdir(ep->dir);
    }
    g_assert_cmphex(FIELD_EX32(qtest_readl(ep->qts, ep->app + A_APP_STATUS),
                               APP_STATUS, LINK_UP), ==, train);
    if (train) {
        g_assert_cmpint(up, ==, 1);
    }
    if (train && peer) {
        rc_cfg_write(ep, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    }
}

static void ep_start_keep(Ep *ep, const char *props, bool peer, bool train,
                          bool keep)
{
    ep_start_full(ep, props, peer, train, keep, 0);
}

static void ep_start(Ep *ep, const char *props, bool peer, bool train)
{
    ep_start_keep(ep, props, peer, train, false);
}

static void ep_stop(Ep *ep)
{
    Peer *p = ep->peer;

    qtest_quit(ep->qts);
    if (!p) {
        return;
    }
    g_atomic_int_set(&p->stop, 1);
    g_thread_join(p->thread);
    peer_forget(p);
    g_assert_cmpstr(p->err, ==, NULL);
    /* kept by ep_start_keep (else gone already) */
    unlink(ep->path);
    rmdir(ep->dir);
    if (p->fd >= 0) {
        close(p->fd);
    }
    close(p->lfd);
    g_array_free(p->writes, true);
    g_array_free(p->held, true);
    g_mutex_clear(&p->lock);
    g_mutex_clear(&p->send_lock);
    g_cond_clear(&p->cpl_cond);
    g_free(p->err);
    g_free(p->mem);
    g_free(p);
    g_free(ep->path);
    g_free(ep->dir);
}

/* A list element; a link element is (LLP | ..., 0, next, 0). */
static void put_elem(Ep *ep, uint64_t at, uint32_t ctrl, uint32_t size,
                     uint64_t sar, uint64_t dar)
{
    qtest_writel(ep->qts, at, ctrl);
    qtest_writel(ep->qts, at + 4, size);
    qtest_writeq(ep->qts, at + 8, sar);
    qtest_writeq(ep->qts, at + 16, dar);
}

/* What dw_edma_v0_core_start() does for the first chunk. */
static void ll_start(Ep *ep, int dir, int ch, uint64_t list, bool unmask)
{
    WR32(ep, dregs[dir].engine_en, 1);
    if (unmask) {
        WR32(ep, MASK(dir), RD32(ep, MASK(dir)) & ~(DONE(ch) | ABORT(ch)));
    }
    WR32(ep, CH(dir, ch, A_EDMA_CH_CONTROL1), CCS | LLE);
    WR64(ep, CH(dir, ch, A_EDMA_CH_LLP_LO), list);
    WR32(ep, dregs[dir].doorbell, ch);
}

/* A one-chunk list: one data element, then the link back (CB = 0). */
static void ll_one(Ep *ep, int dir, int ch, uint64_t list, uint32_t ctrl,
                   uint32_t size, uint64_t sar, uint64_t dar)
{
    put_elem(ep, list, ctrl, size, sar, dar);
    put_elem(ep, list + ELEM, LLP | TCB, 0, list, 0);
    ll_start(ep, dir, ch, list, true);
}

/* Non-linked-list mode: one block from the channel registers. */
static void block_start_ctrl(Ep *ep, int dir, int ch, uint32_t ctrl,
                             uint32_t size, uint64_t sar, uint64_t dar)
{
    WR32(ep, dregs[dir].engine_en, 1);
    WR32(ep, CH(dir, ch, A_EDMA_CH_CONTROL1), ctrl);
    WR32(ep, CH(dir, ch, A_EDMA_CH_SIZE), size);
    WR64(ep, CH(dir, ch, A_EDMA_CH_SAR_LO), sar);
    WR64(ep, CH(dir, ch, A_EDMA_CH_DAR_LO), dar);
    WR32(ep, dregs[dir].doorbell, ch);
}

static void block_start(Ep *ep, int dir, int ch, uint32_t size, uint64_t sar,
                        uint64_t dar)
{
    block_start_ctrl(ep, dir, ch, LIE, size, sar, dar);
}

/* Wait for DONE or ABORT of the channel; returns int_status. */
static uint32_t wait_end(Ep *ep, int dir, int ch)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    uint32_t v;

    do {
        v = RD32(ep, STATUS(dir));
    } while (!(v & (DONE(ch) | ABORT(ch))) && again(ep, deadline));
    g_assert_cmphex(v & (DONE(ch) | ABORT(ch)), !=, 0);
    return v;
}

static void wait_cs(Ep *ep, int dir, int ch, unsigned cs)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    uint32_t v;

    do {
        v = RD32(ep, CH(dir, ch, A_EDMA_CH_CONTROL1));
    } while (CS(v) != cs && again(ep, deadline));
    g_assert_cmpuint(CS(v), ==, cs);
}

/*
 * MEM_WR are posted: DONE can be seen before the RC side has read them
 * from the socket.  Wait until it got @n bytes.
 */
static void wait_written(Ep *ep, uint64_t n)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    uint64_t got;

    do {
        g_mutex_lock(&ep->peer->lock);
        got = ep->peer->st.written;
        g_mutex_unlock(&ep->peer->lock);
    } while (got < n && again(ep, deadline));
    g_assert_cmpuint(got, >=, n);
}

static uint8_t *pattern(size_t n, uint32_t seed)
{
    uint8_t *b = g_malloc(n);
    uint32_t x = seed * 2654435761u + 1;
    size_t i;

    for (i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = x >> 16;
    }
    return b;
}

/*
 * The @n bytes at @got are @want, byte for byte; else the test fails
 * naming @what at @base and the first offset that differs.
 */
static void check_bytes(const char *what, uint64_t base, const uint8_t *got,
                        const uint8_t *want, size_t n)
{
    size_t i;

    for (i = 0; i < n && got[i] == want[i]; i++) {
        /* the first difference */
    }
    if (i < n) {
        g_autofree char *msg =
            g_strdup_printf("%s at 0x%" PRIx64 ": byte %zu of %zu (0x%" PRIx64
                            ") is 0x%02x, written 0x%02x", what, base, i, n,
                            base + i, got[i], want[i]);

        g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    }
}

/* The RC memory holds @want at @pci, with zeros on either side. */
static void check_pci(Ep *ep, uint64_t pci, const uint8_t *want, size_t n)
{
    g_autofree uint8_t *got = g_malloc(n + 2);

    peer_mem(ep->peer, pci - 1, got, n + 2, false);
    g_assert_cmpuint(got[0], ==, 0);
    check_bytes("RC memory", pci, got + 1, want, n);
    g_assert_cmpuint(got[n + 1], ==, 0);
}

/* EP RAM: guard bytes around a destination, then check it. */
static void ep_guard(Ep *ep, uint64_t addr, size_t n)
{
    qtest_memset(ep->qts, addr - 1, 0x5a, n + 2);
}

static void check_ep(Ep *ep, uint64_t addr, const uint8_t *want, size_t n)
{
    g_autofree uint8_t *got = g_malloc(n + 2);

    qtest_memread(ep->qts, addr - 1, got, n + 2);
    g_assert_cmphex(got[0], ==, 0x5a);
    check_bytes("EP memory", addr, got + 1, want, n);
    g_assert_cmphex(got[n + 1], ==, 0x5a);
}

/* The channel ended in ABORT: status, CS, the line, and W1C of it. */
static void check_abort(Ep *ep, int dir, int ch)
{
    g_assert_cmphex(wait_end(ep, dir, ch), ==, ABORT(ch));
    wait_cs(ep, dir, ch, CS_HALTED);
    g_assert_true(IRQ(ep));
    WR32(ep, CLEAR(dir), ABORT(ch));
    g_assert_cmphex(RD32(ep, STATUS(dir)), ==, 0);
    g_assert_false(IRQ(ep));
}

/*
 * The last MEM_WR the RC got is the IMWr: 4 bytes of @val at @addr, after
 * @data_bytes of data writes elsewhere.
 */
static void check_imwr(Ep *ep, uint64_t addr, uint32_t val,
                       uint64_t data_bytes)
{
    GArray *w = ep->peer->writes;
    uint64_t sum = 0;
    unsigned i;

    g_mutex_lock(&ep->peer->lock);
    g_assert_cmpuint(w->len, >=, 1);
    for (i = 0; i < w->len - 1; i++) {
        g_assert_cmphex(g_array_index(w, WrRec, i).addr, !=, addr);
        sum += g_array_index(w, WrRec, i).size;
    }
    g_assert_cmpuint(sum, ==, data_bytes);
    g_assert_cmphex(g_array_index(w, WrRec, i).addr, ==, addr);
    g_assert_cmpuint(g_array_index(w, WrRec, i).size, ==, 4);
    g_assert_cmphex(g_array_index(w, WrRec, i).first4, ==, val);
    g_mutex_unlock(&ep->peer->lock);
    peer_take(ep->peer);
}

/* ---- tests ---- */

static void test_registers(void)
{
    Ep ep;
    uint32_t cs0;
    int i;

    ep_start(&ep, ",wr-channels=2,rd-channels=3", true, true);
    g_assert_cmphex(RD32(&ep, A_EDMA_CTRL), ==, 0x00030002);
    for (i = WR; i <= RD; i++) {
        g_assert_cmphex(RD32(&ep, MASK(i)), ==, 0x00ff00ff);
        g_assert_cmphex(RD32(&ep, STATUS(i)), ==, 0);
    }

    /* channel registers read back (32-bit halves or 64-bit); CS is RO */
    for (i = WR; i <= RD; i++) {
        int ch = i == WR ? 1 : 2;

        WR32(&ep, CH(i, ch, A_EDMA_CH_SIZE), 0x12345 + i);
        WR32(&ep, CH(i, ch, A_EDMA_CH_SAR_LO), 0x55667788 + i);
        WR32(&ep, CH(i, ch, A_EDMA_CH_SAR_HI), 0x11223344);
        WR64(&ep, CH(i, ch, A_EDMA_CH_DAR_LO), 0x99aabbccddeeff00ULL + i);
        WR64(&ep, CH(i, ch, A_EDMA_CH_LLP_LO),
             0x0000000140100000ULL + i * 8);
        g_assert_cmphex(RD32(&ep, CH(i, ch, A_EDMA_CH_SIZE)), ==,
                        0x12345 + i);
        g_assert_cmphex(RD64(&ep, CH(i, ch, A_EDMA_CH_SAR_LO)), ==,
                        0x1122334455667788ULL + i);
        g_assert_cmphex(RD32(&ep, CH(i, ch, A_EDMA_CH_DAR_HI)), ==,
                        0x99aabbcc);
        g_assert_cmphex(RD32(&ep, CH(i, ch, A_EDMA_CH_DAR_LO)), ==,
                        0xddeeff00 + i);
        g_assert_cmphex(RD64(&ep, CH(i, ch, A_EDMA_CH_LLP_LO)), ==,
                        0x0000000140100000ULL + i * 8);
        cs0 = CS(RD32(&ep, CH(i, ch, A_EDMA_CH_CONTROL1)));
        WR32(&ep, CH(i, ch, A_EDMA_CH_CONTROL1), CCS | LLE | CS_MASK);
        g_assert_cmphex(RD32(&ep, CH(i, ch, A_EDMA_CH_CONTROL1)) &
                        (CCS | LLE | CS_MASK), ==, CCS | LLE | (cs0 << 5));
        WR32(&ep, CH(i, ch, A_EDMA_CH_CONTROL1), 0);
        g_assert_cmphex(RD32(&ep, CH(i, ch, A_EDMA_CH_CONTROL1)) &
                        (CCS | LLE | CS_MASK), ==, cs0 << 5);
    }

    /* two DONE bits from real transfers (masked), then W1C one by one */
    qtest_memset(ep.qts, EP_RAM + 0x100000, 0x11, 64);
    block_start(&ep, WR, 0, 64, EP_RAM + 0x100000, PCI_BASE + 0x100);
    g_assert_cmphex(wait_end(&ep, WR, 0), ==, DONE(0));
    block_start(&ep, WR, 1, 64, EP_RAM + 0x100000, PCI_BASE + 0x200);
    g_assert_cmphex(wait_end(&ep, WR, 1), ==, DONE(0) | DONE(1));
    g_assert_false(IRQ(&ep));
    WR32(&ep, CLEAR(WR), 0);
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, DONE(0) | DONE(1));
    WR32(&ep, CLEAR(WR), DONE(0));
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, DONE(1));
    WR32(&ep, CLEAR(WR), DONE(1) | ABORT(1));
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, 0);
    wait_written(&ep, 128);
    g_assert_cmpuint(peer_take(ep.peer).written, ==, 128);
    ep_stop(&ep);
}

/* The eDMA's register tables (dw_edma_emu_regs.h), as the checks read them. */
typedef struct EdmaRegCheck {
    const char *name;
    uint32_t addr, reset, ro, w1c, rsvd;
    bool wo;
} EdmaRegCheck;

#define EDMA_REG_CHECK(n, rst, ro_, w1c_, rsvd_, wo_, pre, post) \
    { #n, A_##n, (rst), (ro_), (w1c_), (uint32_t)(rsvd_), (wo_) },

static const EdmaRegCheck edma_global_regs[] = {
    DW_EDMA_GLOBAL_REGS(EDMA_REG_CHECK)
};

static const EdmaRegCheck edma_ch_regs[] = {
    DW_EDMA_CH_REGS(EDMA_REG_CHECK)
};

/* A value for the writable bits of the register at @a, 0 in no case. */
static uint32_t edma_pattern(uint64_t a)
{
    return 0x5a5a5a5au ^ (uint32_t)(a * 0x01000193u);
}

/* The writable bits of @r: what a write stores as written. */
static uint32_t edma_rw_bits(const EdmaRegCheck *r)
{
    return r->wo ? 0 : ~(r->ro | r->w1c | r->rsvd);
}

/*
 * The register of table entry @r at @a (in the dma region): its reset
 * value; read-only bits that a write of their complement leaves alone;
 * reserved bits that a write of ones leaves at 0; a write-only register
 * reading 0; and the other bits storing what is written.  It ends with
 * the value it started with.
 */
static void edma_check_reg(Ep *ep, uint64_t a, const EdmaRegCheck *r)
{
    uint32_t v = RD32(ep, a);
    uint32_t rw = edma_rw_bits(r);
    uint32_t w = (edma_pattern(a) & rw) | (v & ~rw);

    g_test_message("%s at 0x%04" PRIx64 ": 0x%08x", r->name, a, v);
    g_assert_cmphex(v, ==, r->reset);
    if (r->ro) {
        WR32(ep, a, v ^ r->ro);
        g_assert_cmphex(RD32(ep, a), ==, v);
    }
    if (r->rsvd) {
        WR32(ep, a, (v | r->rsvd) & ~r->w1c);
        g_assert_cmphex(RD32(ep, a) & r->rsvd, ==, 0);
    }
    if (r->wo) {
        g_assert_cmphex(RD32(ep, a), ==, 0);
    }
    if (rw) {
        WR32(ep, a, w);
        g_assert_cmphex(RD32(ep, a), ==, w);
        WR32(ep, a, v);
        g_assert_cmphex(RD32(ep, a), ==, v);
    }
}

/*
 * Every register of the tables, the global ones and those of each
 * channel the device has (@nch of each direction); with @scribble, each
 * register with writable bits is set to its pattern instead.
 */
static void edma_check_regs(Ep *ep, unsigned nch, bool scribble)
{
    unsigned i, ch;
    int dir;

    for (i = 0; i < ARRAY_SIZE(edma_global_regs); i++) {
        const EdmaRegCheck *r = &edma_global_regs[i];

        if (scribble) {
            /* not the write-only ones: a doorbell would start a channel */
            if (edma_rw_bits(r)) {
                WR32(ep, r->addr, edma_pattern(r->addr) & edma_rw_bits(r));
            }
        } else {
            edma_check_reg(ep, r->addr, r);
        }
    }
    for (dir = WR; dir <= RD; dir++) {
        for (ch = 0; ch < nch; ch++) {
            for (i = 0; i < ARRAY_SIZE(edma_ch_regs); i++) {
                const EdmaRegCheck *r = &edma_ch_regs[i];
                uint64_t a = CH(dir, ch, r->addr);

                if (scribble) {
                    if (edma_rw_bits(r)) {
                        WR32(ep, a, edma_pattern(a) & edma_rw_bits(r));
                    }
                } else {
                    edma_check_reg(ep, a, r);
                }
            }
        }
    }
}

/* Whether @a is a register of the tables (of the @nch channels). */
static bool edma_is_reg(uint64_t a, unsigned nch)
{
    const EdmaRegCheck *t = edma_global_regs;
    size_t n = ARRAY_SIZE(edma_global_regs), i;
    uint64_t base = 0;

    if (a >= DW_EDMA_CH_BASE(WR, 0)) {
        uint64_t rel = a - DW_EDMA_CH_BASE(WR, 0);

        if (rel / (2 * DW_EDMA_CH_BLOCK) >= nch) {
            return false;
        }
        t = edma_ch_regs;
        n = ARRAY_SIZE(edma_ch_regs);
        base = a - rel % DW_EDMA_CH_BLOCK;
    }
    for (i = 0; i < n; i++) {
        if (base + t[i].addr == a) {
            return true;
        }
    }
    return false;
}

/*
 * The registers as the tables in dw_edma_emu_regs.h declare them: reset
 * values, read-only, reserved, write-only and read/write bits of the
 * global registers and of every channel's; every other offset of the dma
 * region reads 0 and keeps nothing written to it.  Then, with every
 * register changed (patterns, a transfer that aborted, interrupt
 * emulation), a system_reset brings back the reset values.
 */
static void test_regs_table(void)
{
    const unsigned nch = DW_EDMA_DEFAULT_CHANNELS;
    unsigned round;
    uint64_t a;
    Ep ep;

    g_assert_cmpuint(ARRAY_SIZE(edma_ch_regs), ==, DW_EDMA_CH_R_MAX);
    ep_start(&ep, "", false, false);
    for (round = 0; round < 2; round++) {
        edma_check_regs(&ep, nch, false);
        WR32(&ep, CLEAR(WR), 0);
        g_assert_false(IRQ(&ep));

        /* nothing but the registers: all ones written, 0 read back */
        for (a = 0; a < DW_EDMA_REGION_SIZE; a += 4) {
            if (!edma_is_reg(a, nch)) {
                WR32(&ep, a, 0xffffffff);
                g_assert_cmphex(RD32(&ep, a), ==, 0);
            }
        }
        /* ... and none of the registers changed */
        edma_check_regs(&ep, nch, false);

        /* change everything: an ABORT (no link), patterns, emulation */
        block_start(&ep, WR, 1, 64, EP_RAM + 0x100000, PCI_BASE);
        g_assert_cmphex(wait_end(&ep, WR, 1), ==, ABORT(1));
        g_assert_cmphex(RD32(&ep, A_EDMA_WR_ERR_STATUS), !=, 0);
        wait_cs(&ep, WR, 1, CS_HALTED);
        edma_check_regs(&ep, nch, true);
        WR32(&ep, STATUS(RD), 0);
        g_assert_true(IRQ(&ep));
        qtest_system_reset(ep.qts);
        g_assert_false(IRQ(&ep));
    }
    ep_stop(&ep);
}

static void test_irq_emulation(void)
{
    Ep ep;

    ep_start(&ep, "", false, false);
    g_assert_false(IRQ(&ep));
    /* what pci-ep-msi's embedded doorbell does: write 0 to rd_int_status */
    WR32(&ep, STATUS(RD), 0);
    g_assert_true(IRQ(&ep));
    g_assert_cmphex(RD32(&ep, STATUS(RD)), ==, 0);
    WR32(&ep, CLEAR(RD), 0);
    g_assert_false(IRQ(&ep));
    /* a value with DONE and ABORT bits sets none of them */
    WR32(&ep, STATUS(WR), 0x00ff00ff);
    g_assert_true(IRQ(&ep));
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, 0);
    g_assert_cmphex(RD32(&ep, STATUS(RD)), ==, 0);
    WR32(&ep, CLEAR(WR), 0);
    g_assert_false(IRQ(&ep));
    /* either direction's int_clear ends it */
    WR32(&ep, STATUS(RD), 0xffffffff);
    g_assert_true(IRQ(&ep));
    WR32(&ep, CLEAR(WR), 0);
    g_assert_false(IRQ(&ep));
    ep_stop(&ep);
}

static void test_ll_write(void)
{
    const uint64_t list = EP_RAM + 0x180000, link = list + 2 * ELEM;
    const uint64_t src[4] = {
        EP_RAM + 0x100000, EP_RAM + 0x110000,
        EP_RAM + 0x120000, EP_RAM + 0x130000,
    };
    const uint64_t dst[4] = {
        PCI_BASE + 0x1234, PCI_BASE + 0x8000,
        PCI_BASE + 0x10001, PCI_BASE + 0x18000,
    };
    const uint32_t len[4] = { 3000, 5000, 1000, 9000 };
    uint8_t *pat[4];
    Ep ep;
    int i;

    ep_start(&ep, "", true, true);
    for (i = 0; i < 4; i++) {
        pat[i] = pattern(len[i], i + 1);
        qtest_memwrite(ep.qts, src[i], pat[i], len[i]);
    }

    /* first chunk: data CB = CCS = 1, the link element CB = 0 */
    put_elem(&ep, list, CB, len[0], src[0], dst[0]);
    put_elem(&ep, list + ELEM, CB | LIE, len[1], src[1], dst[1]);
    put_elem(&ep, link, LLP | TCB, 0, list, 0);
    ll_start(&ep, WR, 0, list, true);
    g_assert_cmphex(wait_end(&ep, WR, 0), ==, DONE(0));
    g_assert_true(IRQ(&ep));
    wait_cs(&ep, WR, 0, CS_STOPPED);
    g_assert_cmphex(RD64(&ep, CH(WR, 0, A_EDMA_CH_LLP_LO)), ==, link);
    wait_written(&ep, len[0] + len[1]);
    check_pci(&ep, dst[0], pat[0], len[0]);
    check_pci(&ep, dst[1], pat[1], len[1]);
    g_assert_cmpuint(peer_take(ep.peer).written, ==, len[0] + len[1]);
    WR32(&ep, CLEAR(WR), DONE(0));
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, 0);
    g_assert_false(IRQ(&ep));

    /*
     * second chunk, as the driver writes it: data CB = 0, link CB = 1, and
     * only the doorbell.  The engine resumes at the link element, which
     * now matches CCS, follows it (CCS toggles to 0) and runs the data.
     */
    put_elem(&ep, list, 0, len[2], src[2], dst[2]);
    put_elem(&ep, list + ELEM, LIE, len[3], src[3], dst[3]);
    put_elem(&ep, link, LLP | TCB | CB, 0, list, 0);
    WR32(&ep, dregs[WR].doorbell, 0);
    g_assert_cmphex(wait_end(&ep, WR, 0), ==, DONE(0));
    g_assert_true(IRQ(&ep));
    wait_cs(&ep, WR, 0, CS_STOPPED);
    g_assert_cmphex(RD64(&ep, CH(WR, 0, A_EDMA_CH_LLP_LO)), ==, link);
    wait_written(&ep, len[2] + len[3]);
    check_pci(&ep, dst[2], pat[2], len[2]);
    check_pci(&ep, dst[3], pat[3], len[3]);
    g_assert_cmpuint(peer_take(ep.peer).written, ==, len[2] + len[3]);
    for (i = 0; i < 4; i++) {
        g_free(pat[i]);
    }
    ep_stop(&ep);
}

static void test_ll_read(void)
{
    const uint64_t list = EP_RAM + 0x180000;
    const uint64_t src[2] = { PCI_BASE + 0x20000, PCI_BASE + 0x30010 };
    const uint64_t dst[2] = { EP_RAM + 0x200000, EP_RAM + 0x210003 };
    const uint32_t len[2] = { 6000, 100 };
    g_autofree uint8_t *pat0 = pattern(len[0], 11);
    g_autofree uint8_t *pat1 = pattern(len[1], 12);
    PeerStats st;
    Ep ep;

    ep_start(&ep, "", true, true);
    peer_mem(ep.peer, src[0], pat0, len[0], true);
    peer_mem(ep.peer, src[1], pat1, len[1], true);
    ep_guard(&ep, dst[0], len[0]);
    ep_guard(&ep, dst[1], len[1]);
    put_elem(&ep, list, CB, len[0], src[0], dst[0]);
    put_elem(&ep, list + ELEM, CB | LIE, len[1], src[1], dst[1]);
    put_elem(&ep, list + 2 * ELEM, LLP | TCB, 0, list, 0);
    ll_start(&ep, RD, 0, list, true);
    g_assert_cmphex(wait_end(&ep, RD, 0), ==, DONE(0));
    g_assert_true(IRQ(&ep));
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, 0);
    wait_cs(&ep, RD, 0, CS_STOPPED);
    g_assert_cmphex(RD64(&ep, CH(RD, 0, A_EDMA_CH_LLP_LO)), ==,
                    list + 2 * ELEM);
    check_ep(&ep, dst[0], pat0, len[0]);
    check_ep(&ep, dst[1], pat1, len[1]);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.read_bytes, ==, len[0] + len[1]);
    g_assert_cmpuint(st.reads, >=, 3);      /* at most 4 KiB each */
    g_assert_cmpuint(st.urs + st.written, ==, 0);
    ep_stop(&ep);
}

static void test_abort(void)
{
    const uint64_t list = EP_RAM + 0x180000;
    g_autofree uint8_t *pat = pattern(256, 41);
    PeerStats st;
    Ep ep;

    ep_start(&ep, ",link-timeout-ms=300", true, true);
    qtest_memset(ep.qts, EP_RAM + 0x100000, 0x33, 0x1000);

    /* the RC answers UR, CA, or nothing (the link's timeout) */
    ll_one(&ep, RD, 0, list, CB | LIE, 256, PCI_UR, EP_RAM + 0x220000);
    check_abort(&ep, RD, 0);
    ll_one(&ep, RD, 1, list + 0x100, CB | LIE, 256, PCI_CA,
           EP_RAM + 0x220000);
    check_abort(&ep, RD, 1);
    ll_one(&ep, RD, 2, list + 0x200, CB | LIE, 256, PCI_SILENT,
           EP_RAM + 0x220000);
    check_abort(&ep, RD, 2);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.urs, ==, 1);
    g_assert_cmpuint(st.cas, ==, 1);
    g_assert_cmpuint(st.silent, ==, 1);
    g_assert_cmpuint(st.reads, ==, 0);
    /* a halted channel runs again when the driver starts it anew */
    peer_mem(ep.peer, PCI_BASE + 0x1000, pat, 256, true);
    ep_guard(&ep, EP_RAM + 0x230000, 256);
    ll_one(&ep, RD, 0, list, CB | LIE, 256, PCI_BASE + 0x1000,
           EP_RAM + 0x230000);
    g_assert_cmphex(wait_end(&ep, RD, 0), ==, DONE(0));
    check_ep(&ep, EP_RAM + 0x230000, pat, 256);
    WR32(&ep, CLEAR(RD), DONE(0));

    /* local source not backed by memory */
    ll_one(&ep, WR, 1, list + 0x300, CB | LIE, 256, EP_HOLE,
           PCI_BASE + 0x40000);
    check_abort(&ep, WR, 1);
    /* the list itself not in memory */
    ll_start(&ep, WR, 2, EP_HOLE, true);
    check_abort(&ep, WR, 2);
    g_assert_cmpuint(peer_take(ep.peer).written, ==, 0);

    /* first element with CB != CCS: stopped at once, nothing moves */
    put_elem(&ep, list + 0x400, LIE, 512, EP_RAM + 0x100000,
             PCI_BASE + 0x50000);
    put_elem(&ep, list + 0x400 + ELEM, LLP | TCB | CB, 0, list + 0x400, 0);
    ll_start(&ep, WR, 3, list + 0x400, true);
    wait_cs(&ep, WR, 3, CS_STOPPED);
    settle(&ep);
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, 0);
    g_assert_false(IRQ(&ep));
    g_assert_cmphex(RD64(&ep, CH(WR, 3, A_EDMA_CH_LLP_LO)), ==, list + 0x400);
    g_assert_cmpuint(peer_take(ep.peer).written, ==, 0);
    ep_stop(&ep);
}

static void test_int_mask(void)
{
    const uint64_t list = EP_RAM + 0x180000;
    Ep ep;

    ep_start(&ep, "", true, true);
    qtest_memset(ep.qts, EP_RAM + 0x100000, 0x44, 512);
    put_elem(&ep, list, CB | LIE, 512, EP_RAM + 0x100000, PCI_BASE);
    put_elem(&ep, list + ELEM, LLP | TCB, 0, list, 0);
    ll_start(&ep, WR, 2, list, false);
    g_assert_cmphex(wait_end(&ep, WR, 2), ==, DONE(2));
    settle(&ep);
    g_assert_false(IRQ(&ep));
    /* unmask: the pending DONE raises the line; mask again: it drops */
    WR32(&ep, MASK(WR), 0x00ff00ff & ~DONE(2));
    g_assert_true(IRQ(&ep));
    WR32(&ep, MASK(WR), 0x00ff00ff);
    g_assert_false(IRQ(&ep));
    /* masking another channel's bit, or this one's ABORT, hides nothing */
    WR32(&ep, MASK(WR), DONE(0) | ABORT(2));
    g_assert_true(IRQ(&ep));
    g_assert_cmphex(RD32(&ep, MASK(WR)), ==, DONE(0) | ABORT(2));
    /* the read direction's mask does not gate a write channel */
    WR32(&ep, MASK(RD), 0x00ff00ff);
    g_assert_true(IRQ(&ep));
    /* emulation on and off again: the DONE still holds the line */
    WR32(&ep, STATUS(RD), 0);
    WR32(&ep, CLEAR(RD), 0);
    g_assert_true(IRQ(&ep));
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, DONE(2));
    WR32(&ep, CLEAR(WR), DONE(2));
    g_assert_false(IRQ(&ep));
    ep_stop(&ep);
}

static void test_imwr(void)
{
    const uint64_t list = EP_RAM + 0x180000;
    const uint64_t wr_imwr = PCI_BASE + 0xf0000, rd_imwr = PCI_BASE + 0xf0100;
    g_autofree uint8_t *pat = pattern(5000, 21);
    Ep ep;

    ep_start(&ep, "", true, true);
    qtest_memwrite(ep.qts, EP_RAM + 0x100000, pat, 5000);

    /* write channel 1: odd, so its data is the high half of ch01 */
    WR64(&ep, dregs[WR].done_imwr, wr_imwr);
    WR32(&ep, dregs[WR].imwr_data, 0xabcd << 16 | 0x5555);
    ll_one(&ep, WR, 1, list, CB | LIE | RIE, 5000, EP_RAM + 0x100000,
           PCI_BASE + 0x2000);
    g_assert_cmphex(wait_end(&ep, WR, 1), ==, DONE(1));
    wait_cs(&ep, WR, 1, CS_STOPPED);
    wait_written(&ep, 5000 + 4);
    check_pci(&ep, PCI_BASE + 0x2000, pat, 5000);
    check_imwr(&ep, wr_imwr, 0x0000abcd, 5000);

    /* read channel 0: even, the low half of rd ch01 */
    peer_mem(ep.peer, PCI_BASE + 0x4000, pat, 3000, true);
    ep_guard(&ep, EP_RAM + 0x240000, 3000);
    WR32(&ep, dregs[RD].done_imwr, (uint32_t)rd_imwr);
    WR32(&ep, dregs[RD].done_imwr_hi, rd_imwr >> 32);
    WR32(&ep, dregs[RD].imwr_data, 0x7777 << 16 | 0x1234);
    ll_one(&ep, RD, 0, list + 0x100, CB | LIE | RIE, 3000, PCI_BASE + 0x4000,
           EP_RAM + 0x240000);
    g_assert_cmphex(wait_end(&ep, RD, 0), ==, DONE(0));
    wait_cs(&ep, RD, 0, CS_STOPPED);
    check_ep(&ep, EP_RAM + 0x240000, pat, 3000);
    wait_written(&ep, 4);
    check_imwr(&ep, rd_imwr, 0x00001234, 0);
    ep_stop(&ep);
}

static void test_non_ll(void)
{
    /* larger than the engine's slice, and three channels at once */
    const uint32_t wlen[2] = { 150000, 70000 }, rlen = 100000;
    const uint64_t dst[2] = { PCI_BASE + 0x60000, PCI_BASE + 0x90000 };
    g_autofree uint8_t *pw = pattern(wlen[0], 31);
    g_autofree uint8_t *pr = pattern(rlen, 32);
    PeerStats st;
    Ep ep;

    ep_start(&ep, "", true, true);
    qtest_memwrite(ep.qts, EP_RAM + 0x300000, pw, wlen[0]);
    peer_mem(ep.peer, PCI_BASE + 0xc0000, pr, rlen, true);
    ep_guard(&ep, EP_RAM + 0x400000, rlen);
    block_start(&ep, WR, 0, wlen[0], EP_RAM + 0x300000, dst[0]);
    block_start(&ep, WR, 1, wlen[1], EP_RAM + 0x300000, dst[1]);
    block_start(&ep, RD, 0, rlen, PCI_BASE + 0xc0000, EP_RAM + 0x400000);
    g_assert_cmphex(wait_end(&ep, WR, 0) & ABORT(0), ==, 0);
    g_assert_cmphex(wait_end(&ep, WR, 1), ==, DONE(0) | DONE(1));
    g_assert_cmphex(wait_end(&ep, RD, 0), ==, DONE(0));
    wait_cs(&ep, WR, 0, CS_STOPPED);
    wait_written(&ep, wlen[0] + wlen[1]);
    check_pci(&ep, dst[0], pw, wlen[0]);
    check_pci(&ep, dst[1], pw, wlen[1]);
    check_ep(&ep, EP_RAM + 0x400000, pr, rlen);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.written, ==, wlen[0] + wlen[1]);
    g_assert_cmpuint(st.read_bytes, ==, rlen);
    ep_stop(&ep);
}

static void test_no_link(void)
{
    const uint64_t list = EP_RAM + 0x180000;
    PeerStats st;
    Ep ep;

    /* the RC is connected, but LTSSM_EN was never set */
    ep_start(&ep, "", true, false);
    qtest_memset(ep.qts, EP_RAM + 0x100000, 0x66, 256);
    ll_one(&ep, WR, 0, list, CB | LIE, 256, EP_RAM + 0x100000, PCI_BASE);
    check_abort(&ep, WR, 0);
    ll_one(&ep, RD, 0, list + 0x100, CB | LIE, 256, PCI_BASE,
           EP_RAM + 0x200000);
    check_abort(&ep, RD, 0);
    settle(&ep);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.written + st.reads, ==, 0);
    ep_stop(&ep);

    /* no chardev: the link comes up with nobody on the other side */
    ep_start(&ep, "", false, true);
    block_start(&ep, WR, 0, 256, EP_RAM + 0x100000, PCI_BASE);
    g_assert_cmphex(wait_end(&ep, WR, 0), ==, ABORT(0));
    wait_cs(&ep, WR, 0, CS_HALTED);
    block_start(&ep, RD, 1, 256, PCI_BASE, EP_RAM + 0x200000);
    g_assert_cmphex(wait_end(&ep, RD, 1), ==, ABORT(1));
    wait_cs(&ep, RD, 1, CS_HALTED);
    ep_stop(&ep);
}

/*
 * Not the eDMA, but it needs the RC side too: an EP CPU access inside
 * addr_space goes through the outbound iATU and crosses the link as a
 * bus-master request for the translated PCI address; an access that no
 * outbound region matches stays on the EP side (all ones, nothing sent).
 */
static void test_outbound_over_link(void)
{
    Ep ep;
    PeerStats st;
    uint32_t v = 0x8badf00d, got;
    uint64_t r;

    ep_start(&ep, "", true, true);
    r = ep.atu;         /* outbound region 0: addr_space +0..64K -> PCI_BASE */
    iatu_window(ep.qts, r, ep.addr_space, 0x10000, PCI_BASE);
    peer_take(ep.peer);

    qtest_writel(ep.qts, ep.addr_space + 0x1230, 0x12345678);
    wait_written(&ep, 4);
    peer_mem(ep.peer, PCI_BASE + 0x1230, &got, 4, false);
    g_assert_cmphex(le32_to_cpu(got), ==, 0x12345678);

    v = cpu_to_le32(v);
    peer_mem(ep.peer, PCI_BASE + 0x2000, &v, 4, true);
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x2000), ==,
                    0x8badf00d);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.reads, ==, 1);
    g_assert_cmpuint(st.written, ==, 4);

    /* past the region's limit: no translation, nothing on the link */
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x10000), ==,
                    0xffffffff);
    qtest_writel(ep.qts, ep.addr_space + 0x10004, 1);
    settle(&ep);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.reads, ==, 0);
    g_assert_cmpuint(st.written, ==, 0);
    ep_stop(&ep);
}

/* Set or clear DBI_RO_WR_EN (MISC_CONTROL_1 bit 0). */
static void dbi_ro_wr(Ep *ep, bool on)
{
    uint32_t v = qtest_readl(ep->qts, ep->dbi + A_MISC_CONTROL_1);

    qtest_writel(ep->qts, ep->dbi + A_MISC_CONTROL_1, on ? v | 1 : v & ~1u);
}

/* BAR Size field (CTRL[13:8]) of Resizable BAR entry 0 (BAR0). */
static unsigned rebar_sel(Ep *ep)
{
    return FIELD_EX32(qtest_readl(ep->qts, ep->dbi + REBAR_CTRL0),
                      REBAR_CTRL, BAR_SIZE);
}

/* BAR0 as the RC sizes it: write all ones, read back. */
static uint32_t rc_probe_bar0(Ep *ep)
{
    uint32_t old = rc_cfg_read(ep, PCI_BASE_ADDRESS_0), v;

    rc_cfg_write(ep, PCI_BASE_ADDRESS_0, 0xffffffff);
    v = rc_cfg_read(ep, PCI_BASE_ADDRESS_0);
    rc_cfg_write(ep, PCI_BASE_ADDRESS_0, old);
    return v;
}

/*
 * Resizable BAR selections that the capability does not advertise (BAR
 * Size 10 and up with the reset CAP of 1 MiB..512 MiB, and 28 and up,
 * whose CAP bit would lie past bit 31), written by the RC over the link
 * and by the EP through the DBI: refused, the previous selection kept,
 * and the BAR (and what BAR-match inbound translation reaches) stays the
 * selected size.  A CAP that advertises nothing disables the BAR.
 */
static void test_rebar_hostile(void)
{
    static const unsigned bad[] = { 32, 28, 63, 33, 48, 31, 27, 10 };
    const uint64_t bar0 = 0x10000000;
    uint32_t v;
    unsigned i;
    Ep ep;

    ep_start(&ep, "", true, true);
    /* dw_pcie_ep_set_bar(): BAR0 enabled, 32-bit memory */
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + REBAR_CAP0), ==, 0x3ff0);
    g_assert_cmpuint(rebar_sel(&ep), ==, 0);
    g_assert_cmphex(rc_probe_bar0(&ep), ==, 0xfff00000);

    /* an advertised size from the RC is taken: 8 MiB */
    rc_cfg_write(&ep, REBAR_CTRL0, 3 << 8);
    g_assert_cmpuint(rebar_sel(&ep), ==, 3);
    g_assert_cmphex(rc_probe_bar0(&ep), ==, 0xff800000);

    /* link side: nothing else is */
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        rc_cfg_write(&ep, REBAR_CTRL0, bad[i] << 8);
        g_assert_cmpuint(FIELD_EX32(rc_cfg_read(&ep, REBAR_CTRL0), REBAR_CTRL,
                                    BAR_SIZE), ==, 3);
        g_assert_cmpuint(rebar_sel(&ep), ==, 3);
        g_assert_cmphex(rc_probe_bar0(&ep), ==, 0xff800000);
    }

    /* BAR-match inbound region 0: BAR0 -> EP_RAM; it reaches 8 MiB only */
    qtest_writel(ep.qts, EP_RAM + 0x100, 0xc0ffee01);
    qtest_writel(ep.qts, EP_RAM + 0x4000000, 0xc0ffee02);
    iatu_bar_match(ep.qts, ep.atu + IATU_INBOUND, 0, EP_RAM);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    g_assert_cmpint(rc_mem_read(&ep, 0, bar0 + 0x100, &v), ==, PL_STATUS_SC);
    g_assert_cmphex(v, ==, 0xc0ffee01);
    rc_cfg_write(&ep, REBAR_CTRL0, 0x2000);
    g_assert_cmpint(rc_mem_read(&ep, 0, bar0 + 0x4000000, &v), ==,
                    PL_STATUS_UR);
    g_assert_cmphex(v, ==, 0xffffffff);
    g_assert_cmpint(rc_mem_read(&ep, 0, bar0 + 0x800000, &v), ==,
                    PL_STATUS_UR);

    /* DBI side: the BAR Size field takes advertised sizes only too */
    qtest_writel(ep.qts, ep.dbi + REBAR_CTRL0, 5 << 8);
    g_assert_cmpuint(rebar_sel(&ep), ==, 5);
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        qtest_writel(ep.qts, ep.dbi + REBAR_CTRL0, bad[i] << 8);
        g_assert_cmpuint(rebar_sel(&ep), ==, 5);
    }
    g_assert_cmphex(rc_probe_bar0(&ep), ==, 0xfe000000);
    qtest_writel(ep.qts, ep.dbi + REBAR_CTRL0, 1 << 8);
    g_assert_cmpuint(rebar_sel(&ep), ==, 1);

    /* a CAP of 4 MiB and 8 MiB: the largest is selected */
    dbi_ro_wr(&ep, true);
    qtest_writel(ep.qts, ep.dbi + REBAR_CAP0, 3 << 6);
    g_assert_cmpuint(rebar_sel(&ep), ==, 3);
    /* with DBI_RO_WR_EN the BAR Size field is still checked */
    qtest_writel(ep.qts, ep.dbi + REBAR_CTRL0, 1 << 8);
    g_assert_cmpuint(rebar_sel(&ep), ==, 3);
    qtest_writel(ep.qts, ep.dbi + REBAR_CTRL0, 0x2000);
    g_assert_cmpuint(rebar_sel(&ep), ==, 3);
    rc_cfg_write(&ep, REBAR_CTRL0, 0);
    g_assert_cmpuint(rebar_sel(&ep), ==, 3);
    rc_cfg_write(&ep, REBAR_CTRL0, 2 << 8);
    g_assert_cmpuint(rebar_sel(&ep), ==, 2);
    g_assert_cmphex(rc_probe_bar0(&ep), ==, 0xffc00000);

    /* a CAP that advertises nothing: BAR0 has no size, so it is off */
    qtest_writel(ep.qts, ep.dbi + REBAR_CAP0, 0);
    dbi_ro_wr(&ep, false);
    g_assert_cmphex(rc_probe_bar0(&ep), ==, 0);
    g_assert_cmpint(rc_mem_read(&ep, 0, bar0 + 0x100, &v), ==, PL_STATUS_UR);
    rc_cfg_write(&ep, REBAR_CTRL0, 0);
    qtest_writel(ep.qts, ep.dbi + REBAR_CTRL0, 0);
    g_assert_cmphex(rc_probe_bar0(&ep), ==, 0);
    g_assert_cmpint(rc_mem_read(&ep, 0, bar0 + 0x100, &v), ==, PL_STATUS_UR);

    /* and the reset CAP back: the largest size, BAR0 on again */
    dbi_ro_wr(&ep, true);
    qtest_writel(ep.qts, ep.dbi + REBAR_CAP0, 0x3ff0);
    dbi_ro_wr(&ep, false);
    g_assert_cmpuint(rebar_sel(&ep), ==, 9);
    g_assert_cmphex(rc_probe_bar0(&ep), ==, 0xe0000000);
    ep_stop(&ep);
}

/*
 * Addresses whose last byte would lie past 2^64 - 1: eDMA SAR and DAR on
 * either side, a list pointer, the done and abort IMWr addresses, and an
 * outbound iATU window whose translation runs past 2^64, and an inbound
 * one.  None may take QEMU down: each transfer ends in ABORT with the
 * channel halted, the CPU access fails (reads all ones) with nothing sent
 * on the link, and the RC's request completes with UR.
 */
static void test_wrap(void)
{
    const uint64_t top = 0xffffffffffffff80ULL, list = EP_RAM + 0x180000;
    g_autofree uint8_t *pat = pattern(256, 51);
    PeerStats st;
    uint64_t r;
    uint32_t v;
    Ep ep;

    ep_start(&ep, ",link-timeout-ms=1000", true, true);
    qtest_memwrite(ep.qts, EP_RAM + 0x100000, pat, 256);
    WR32(&ep, MASK(WR), 0);
    WR32(&ep, MASK(RD), 0);

    /* PCI side: write channel DAR, read channel SAR */
    block_start(&ep, WR, 0, 256, EP_RAM + 0x100000, top);
    check_abort(&ep, WR, 0);
    block_start(&ep, RD, 0, 256, top, EP_RAM + 0x200000);
    check_abort(&ep, RD, 0);
    /* the same in a linked list */
    ll_one(&ep, WR, 1, list, CB | LIE, 256, EP_RAM + 0x100000, top);
    check_abort(&ep, WR, 1);
    ll_one(&ep, RD, 1, list + 0x100, CB | LIE, 256, top, EP_RAM + 0x200000);
    check_abort(&ep, RD, 1);
    /* EP side: write channel SAR, read channel DAR, the list pointer */
    block_start(&ep, WR, 2, 256, top, PCI_BASE);
    check_abort(&ep, WR, 2);
    block_start(&ep, RD, 2, 256, PCI_BASE, top);
    check_abort(&ep, RD, 2);
    ll_start(&ep, WR, 3, 0xfffffffffffffff0ULL, true);
    check_abort(&ep, WR, 3);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.written, ==, 0);
    g_assert_cmpuint(st.urs + st.cas, ==, 0);

    /*
     * done IMWr address: the data moves, the IMWr cannot: ABORT, and the
     * abort IMWr (RIE asks for both) goes out instead
     */
    WR64(&ep, dregs[WR].done_imwr, 0xfffffffffffffffeULL);
    WR64(&ep, dregs[WR].abort_imwr, PCI_BASE + 0xf0000);
    WR32(&ep, dregs[WR].imwr_data, 0x1111);
    ll_one(&ep, WR, 0, list, CB | LIE | RIE, 256, EP_RAM + 0x100000,
           PCI_BASE + 0x1000);
    check_abort(&ep, WR, 0);
    wait_written(&ep, 256 + 4);
    check_pci(&ep, PCI_BASE + 0x1000, pat, 256);
    check_imwr(&ep, PCI_BASE + 0xf0000, 0x1111, 256);
    WR64(&ep, dregs[RD].done_imwr, 0xffffffffffffffffULL);
    WR64(&ep, dregs[RD].abort_imwr, PCI_BASE + 0xf0100);
    WR32(&ep, dregs[RD].imwr_data, 0x2222);
    ep_guard(&ep, EP_RAM + 0x200000, 64);
    block_start_ctrl(&ep, RD, 0, LIE | RIE, 64, PCI_BASE + 0x1000,
                     EP_RAM + 0x200000);
    check_abort(&ep, RD, 0);
    check_ep(&ep, EP_RAM + 0x200000, pat, 64);
    wait_written(&ep, 4);
    check_imwr(&ep, PCI_BASE + 0xf0100, 0x2222, 0);
    /* abort IMWr address, on an element that aborts anyway: not sent */
    WR64(&ep, dregs[WR].abort_imwr, 0xfffffffffffffffdULL);
    ll_one(&ep, WR, 1, list + 0x100, CB | LIE | RIE, 256, EP_RAM + 0x100000,
           top);
    check_abort(&ep, WR, 1);
    settle(&ep);
    g_assert_cmpuint(peer_take(ep.peer).written, ==, 0);

    /*
     * Outbound region 0: addr_space + 0..64K -> PCI 2^64 - 4K: only its
     * first 4 KiB translate below 2^64; an access past them would wrap
     * to PCI 0 and must not cross the link.
     */
    r = ep.atu;
    iatu_window(ep.qts, r, ep.addr_space, 0x10000, 0xfffffffffffff000ULL);
    qtest_writel(ep.qts, ep.addr_space + 0x1000, 0x12345678);
    qtest_writeq(ep.qts, ep.addr_space + 0x8ff8, 0x1122334455667788ULL);
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x1000), ==,
                    0xffffffff);
    g_assert_cmphex(qtest_readq(ep.qts, ep.addr_space + 0xfff8), ==,
                    0xffffffffffffffffULL);
    settle(&ep);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.written, ==, 0);
    g_assert_cmpuint(st.reads + st.urs + st.cas + st.silent, ==, 0);

    /*
     * Inbound address-match region 0: PCI 0x20000000 + 64K (inside BAR0)
     * -> EP 2^64 - 4K: a request past the first 4 KiB would wrap to EP
     * address 0 and must complete with UR, touching nothing.
     */
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, 0x20000000);
    r = ep.atu + IATU_INBOUND;
    iatu_window(ep.qts, r, 0x20000000, 0x10000, 0xfffffffffffff000ULL);
    g_assert_cmpint(rc_mem_read(&ep, 0, 0x20001000, &v), ==, PL_STATUS_UR);
    g_assert_cmphex(v, ==, 0xffffffff);
    g_assert_cmpint(rc_mem_read(&ep, 0, 0x2000fffc, &v), ==, PL_STATUS_UR);

    /* QEMU is still there, and a good transfer still works */
    block_start(&ep, WR, 2, 256, EP_RAM + 0x100000, PCI_BASE + 0x3000);
    g_assert_cmphex(wait_end(&ep, WR, 2), ==, DONE(2));
    wait_written(&ep, 256);
    check_pci(&ep, PCI_BASE + 0x3000, pat, 256);
    ep_stop(&ep);
}

/* Wait until the RC side's write count stays put for 200 ms. */
static uint64_t written_settled(Ep *ep)
{
    uint64_t a, b = peer_take(ep->peer).written;

    do {
        a = b;
        settle(ep);
        b = a + peer_take(ep->peer).written;
    } while (b != a);
    return b;
}

/*
 * Linked lists that loop through data elements: a data element followed
 * by a link back to it (same CCS), one of size 0, and two chunks whose
 * TCB links toggle CCS back and forth for ever.  Each ends in ABORT (LL
 * error status, CS halted) in bounded time, having moved a bounded amount
 * of data, while the guest keeps running.
 */
static void test_ll_loop_data(void)
{
    const uint64_t list = EP_RAM + 0x180000;
    const uint64_t l2 = list + 0x100, l3 = list + 0x200;
    uint64_t word = 0x706f6f6c706f6f6cULL;
    uint64_t moved;
    Ep ep;

    ep_start(&ep, "", true, true);
    qtest_memset(ep.qts, EP_RAM + 0x100000, 0x55, 64);

    /* write channel 0: data, then a link (no TCB) back to the data */
    put_elem(&ep, list, CB, 64, EP_RAM + 0x100000, PCI_BASE + 0x1000);
    put_elem(&ep, list + ELEM, LLP | CB, 0, list, 0);
    ll_start(&ep, WR, 0, list, true);
    check_abort(&ep, WR, 0);
    g_assert_cmphex(RD32(&ep, A_EDMA_WR_ERR_STATUS) & ERR_LL(0), ==, ERR_LL(0));
    moved = written_settled(&ep);
    g_assert_cmpuint(moved, >=, 64);
    g_assert_cmpuint(moved, <=, 64 * 64);

    /* write channel 1: a data element of size 0 looping to itself */
    put_elem(&ep, l2, CB, 0, EP_RAM + 0x100000, PCI_BASE + 0x2000);
    put_elem(&ep, l2 + ELEM, LLP | CB, 0, l2, 0);
    ll_start(&ep, WR, 1, l2, true);
    check_abort(&ep, WR, 1);
    g_assert_cmphex(RD32(&ep, A_EDMA_WR_ERR_STATUS) & ERR_LL(1), ==, ERR_LL(1));
    g_assert_cmpuint(written_settled(&ep), ==, 0);

    /* read channel 2: two chunks, each link toggling CCS to the other */
    peer_mem(ep.peer, PCI_BASE + 0x3000, &word, 8, true);
    put_elem(&ep, l3, CB, 8, PCI_BASE + 0x3000, EP_RAM + 0x200000);
    put_elem(&ep, l3 + ELEM, LLP | TCB | CB, 0, l3 + 2 * ELEM, 0);
    put_elem(&ep, l3 + 2 * ELEM, 0, 8, PCI_BASE + 0x3000, EP_RAM + 0x200008);
    put_elem(&ep, l3 + 3 * ELEM, LLP | TCB, 0, l3, 0);
    ll_start(&ep, RD, 2, l3, true);
    check_abort(&ep, RD, 2);
    g_assert_cmphex(RD32(&ep, A_EDMA_RD_ERR_STATUS_LO) & ERR_LL(2), ==,
                    ERR_LL(2));
    g_assert_cmpuint(peer_take(ep.peer).read_bytes, <=, 8 * 64);
    settle(&ep);
    g_assert_cmpuint(peer_take(ep.peer).read_bytes, ==, 0);
    g_assert_cmphex(RD32(&ep, STATUS(WR)), ==, 0);

    /* the channel is not wedged: a proper list runs on it afterwards */
    ll_one(&ep, WR, 0, list + 0x300, CB | LIE, 64, EP_RAM + 0x100000,
           PCI_BASE + 0x4000);
    g_assert_cmphex(wait_end(&ep, WR, 0), ==, DONE(0));
    wait_written(&ep, 64);
    ep_stop(&ep);
}

/* ---- link reset, system reset, COMMAND gating ---- */

/* the capabilities, from dw-pcie-ep-regs.h */
#define MSI_CAP         DW_PCIE_EP_CAP_MSI
#define MSIX_CAP        DW_PCIE_EP_CAP_MSIX
#define EXP_CAP         DW_PCIE_EP_CAP_EXP

/*
 * What an RC writes when it enumerates and enables the function: BAR0,
 * COMMAND (Memory, Bus Master, INTx disable), cache line size, MSI
 * address, data and enable, MSI-X enable, a Resizable BAR size, device
 * control.  Each reads back over the link.
 */
static void rc_configure(Ep *ep, uint64_t bar0)
{
    static const struct { uint16_t off; uint32_t val, mask; } w[] = {
        { PCI_COMMAND, 0x0406, 0xffff },
        { PCI_CACHE_LINE_SIZE, 0x20, 0xff },
        { MSI_CAP + PCI_MSI_ADDRESS_LO, 0xfee01000, ~0u },
        { MSI_CAP + PCI_MSI_ADDRESS_HI, 0x1, ~0u },
        { MSI_CAP + PCI_MSI_DATA_64, 0x4321, 0xffff },
        { MSI_CAP, PCI_MSI_FLAGS_ENABLE << 16, 0x00010000 },
        { MSIX_CAP, PCI_MSIX_FLAGS_ENABLE << 16, 0x80000000 },
        { REBAR_CTRL0, 3 << 8, 0x3f00 },
        { EXP_CAP + PCI_EXP_DEVCTL, 0x2f1f, 0xffff },
    };
    unsigned i;

    rc_cfg_write(ep, PCI_BASE_ADDRESS_0, bar0);
    g_assert_cmphex(rc_cfg_read(ep, PCI_BASE_ADDRESS_0), ==, bar0);
    for (i = 0; i < ARRAY_SIZE(w); i++) {
        rc_cfg_write(ep, w[i].off, w[i].val);
        g_assert_cmphex(rc_cfg_read(ep, w[i].off) & w[i].mask, ==, w[i].val);
    }
}

/*
 * None of rc_configure's writes is left, in the DBI and over the link
 * (with @link), and what the EP set up itself (BAR0 enabled in DBI2,
 * cache line size 0x10 through the DBI) is still there.
 */
static void check_unconfigured(Ep *ep, bool link)
{
    QTestState *q = ep->qts;
    uint32_t v;

    g_assert_cmphex(qtest_readw(q, ep->dbi + PCI_COMMAND), ==, 0);
    g_assert_cmphex(qtest_readl(q, ep->dbi + PCI_BASE_ADDRESS_0), ==, 0);
    g_assert_cmphex(qtest_readb(q, ep->dbi + PCI_CACHE_LINE_SIZE), ==, 0x10);
    g_assert_cmphex(qtest_readl(q, ep->dbi + MSI_CAP + PCI_MSI_ADDRESS_LO),
                    ==, 0);
    g_assert_cmphex(qtest_readl(q, ep->dbi + MSI_CAP + PCI_MSI_ADDRESS_HI),
                    ==, 0);
    g_assert_cmphex(qtest_readw(q, ep->dbi + MSI_CAP + PCI_MSI_DATA_64), ==, 0);
    g_assert_cmphex(qtest_readw(q, ep->dbi + MSI_CAP + PCI_MSI_FLAGS) &
                    PCI_MSI_FLAGS_ENABLE, ==, 0);
    g_assert_cmphex(qtest_readw(q, ep->dbi + MSIX_CAP + PCI_MSIX_FLAGS) &
                    PCI_MSIX_FLAGS_ENABLE, ==, 0);
    g_assert_cmpuint(rebar_sel(ep), ==, 0);
    g_assert_cmphex(qtest_readw(q, ep->dbi + EXP_CAP + PCI_EXP_DEVCTL), ==,
                    0x2810);
    g_assert_cmphex(qtest_readl(q, ep->dbi2 + PCI_BASE_ADDRESS_0), ==, 1);
    if (link) {
        g_assert_cmphex(rc_cfg_read(ep, PCI_COMMAND) & 0xffff, ==, 0);
        g_assert_cmphex(rc_cfg_read(ep, PCI_BASE_ADDRESS_0), ==, 0);
        g_assert_cmphex(rc_cfg_read(ep, MSI_CAP + PCI_MSI_ADDRESS_LO), ==, 0);
        v = rc_cfg_read(ep, MSI_CAP + PCI_MSI_DATA_64);
        g_assert_cmphex(v & 0xffff, ==, 0);
        g_assert_cmphex(FIELD_EX32(rc_cfg_read(ep, REBAR_CTRL0), REBAR_CTRL,
                                   BAR_SIZE), ==, 0);
    }
}

/*
 * What the RC wrote through config space does not outlive the link: a
 * link down (LTSSM_EN cleared by the EP) and a new peer (the RC side goes
 * away and another one connects) each leave the function as reset and
 * the EP's DBI left it, so a later RC inherits no BAR, COMMAND, MSI
 * target or Resizable BAR size.
 */
static void test_link_reset_config(void)
{
    Ep ep;

    ep_start_keep(&ep, "", true, true, true);
    /* the EP's own set-up: BAR0 enabled, a cache line size */
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    qtest_writeb(ep.qts, ep.dbi + PCI_CACHE_LINE_SIZE, 0x10);

    rc_configure(&ep, 0x10000000);
    qtest_writel(ep.qts, ep.app + A_APP_CTRL, 0);         /* link down */
    peer_wait(&ep, 0, 0);
    check_unconfigured(&ep, false);

    qtest_writel(ep.qts, ep.app + A_APP_CTRL, 1);         /* and up again */
    peer_wait(&ep, 0, 1);
    check_unconfigured(&ep, true);

    rc_configure(&ep, 0x20000000);
    g_atomic_int_set(&ep.peer->drop, 1);                /* a new RC */
    peer_wait(&ep, 1, 1);
    check_unconfigured(&ep, true);
    ep_stop(&ep);
}

/*
 * A system reset of the EP machine resets the controller whole (config,
 * DBI2, iATU, app block, eDMA) and sends LINK down: the RC side learns
 * that its function is gone, and gets a clean one when the EP's driver
 * trains the link again.
 */
static void test_system_reset(void)
{
    Ep ep;

    ep_start(&ep, ",wr-channels=2", true, true);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    qtest_writeb(ep.qts, ep.dbi + PCI_CACHE_LINE_SIZE, 0x10);
    rc_configure(&ep, 0x10000000);
    qtest_writel(ep.qts, ep.atu + IATU_INBOUND + A_IATU_CTRL2,
                 IATU_ENABLE | IATU_BAR_MATCH);                 /* ib 0 on */
    qtest_writel(ep.qts, ep.atu + A_IATU_CTRL2, IATU_ENABLE);   /* ob 0 on */
    WR32(&ep, MASK(WR), 0);
    WR64(&ep, CH(WR, 1, A_EDMA_CH_SAR_LO), 0x1234567812345678ULL);

    qtest_system_reset(ep.qts);
    peer_wait(&ep, 0, 0);
    g_assert_cmphex(qtest_readw(ep.qts, ep.dbi + PCI_COMMAND), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + PCI_BASE_ADDRESS_0), ==, 0);
    g_assert_cmphex(qtest_readb(ep.qts, ep.dbi + PCI_CACHE_LINE_SIZE), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + MSI_CAP + PCI_MSI_ADDRESS_LO),
                    ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.atu + IATU_INBOUND +
                                A_IATU_CTRL2), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.atu + A_IATU_CTRL2), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_CTRL), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, ep.app + A_APP_STATUS), ==, 0);
    g_assert_cmphex(RD32(&ep, MASK(WR)), ==, 0x00ff00ff);
    g_assert_cmphex(RD64(&ep, CH(WR, 1, A_EDMA_CH_SAR_LO)), ==, 0);

    /* the EP's driver starts again: a clean function for the RC */
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    qtest_writel(ep.qts, ep.app + A_APP_CTRL, 1);
    peer_wait(&ep, 0, 1);
    g_assert_cmphex(rc_cfg_read(&ep, PCI_COMMAND) & 0xffff, ==, 0);
    g_assert_cmphex(rc_cfg_read(&ep, PCI_BASE_ADDRESS_0), ==, 0);
    g_assert_cmphex(rc_cfg_read(&ep, MSI_CAP + PCI_MSI_ADDRESS_LO), ==, 0);
    ep_stop(&ep);
}

/*
 * COMMAND gates both directions.  Memory Space Enable clear: the RC's
 * BAR reads complete with UR (all ones) and its writes are dropped.  Bus
 * Master Enable clear: nothing of the EP's reaches the link (outbound CPU
 * reads return all ones, writes such as an MSI are not sent, eDMA
 * transfers abort without an IMWr); set again, all of it works.
 */
static void test_command_gating(void)
{
    const uint64_t bar0 = 0x10000000, list = EP_RAM + 0x180000;
    uint32_t v, word = cpu_to_le32(0xfeedf00d);
    PeerStats st;
    uint64_t r;
    Ep ep;

    ep_start(&ep, ",link-timeout-ms=1000", true, true);
    qtest_writel(ep.qts, EP_RAM + 0x100, 0xc0ffee01);
    qtest_writel(ep.qts, EP_RAM + 0x104, 0);
    /* BAR0 -> EP_RAM through BAR-match inbound region 0 */
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    iatu_bar_match(ep.qts, ep.atu + IATU_INBOUND, 0, EP_RAM);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    /* outbound region 0: addr_space +0..64K -> PCI_BASE */
    r = ep.atu;
    iatu_window(ep.qts, r, ep.addr_space, 0x10000, PCI_BASE);
    peer_mem(ep.peer, PCI_BASE + 0x2000, &word, 4, true);
    qtest_memset(ep.qts, EP_RAM + 0x100000, 0x77, 256);
    WR32(&ep, MASK(WR), 0);
    WR32(&ep, MASK(RD), 0);
    WR64(&ep, dregs[WR].done_imwr, PCI_BASE + 0xf0000);
    WR64(&ep, dregs[WR].abort_imwr, PCI_BASE + 0xf0004);
    WR32(&ep, dregs[WR].imwr_data, 0x1111);

    /* Memory Space Enable clear */
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MASTER);
    g_assert_cmpint(rc_mem_read(&ep, 0, bar0 + 0x100, &v), ==, PL_STATUS_UR);
    g_assert_cmphex(v, ==, 0xffffffff);
    peer_mem_write(ep.peer, 0, bar0 + 0x104, 0x12345678, 4);
    rc_cfg_read(&ep, PCI_COMMAND);      /* the write went before this */
    g_assert_cmphex(qtest_readl(ep.qts, EP_RAM + 0x104), ==, 0);
    /* set: served */
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
    g_assert_cmpint(rc_mem_read(&ep, 0, bar0 + 0x100, &v), ==, PL_STATUS_SC);
    g_assert_cmphex(v, ==, 0xc0ffee01);
    peer_mem_write(ep.peer, 0, bar0 + 0x104, 0x12345678, 4);
    rc_cfg_read(&ep, PCI_COMMAND);
    g_assert_cmphex(qtest_readl(ep.qts, EP_RAM + 0x104), ==, 0x12345678);

    /* Bus Master Enable clear */
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MEMORY);
    peer_take(ep.peer);
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x2000), ==,
                    0xffffffff);
    qtest_writel(ep.qts, ep.addr_space + 0x40, 0x4321);    /* an MSI */
    block_start_ctrl(&ep, WR, 0, LIE | RIE, 256, EP_RAM + 0x100000,
                     PCI_BASE + 0x1000);
    check_abort(&ep, WR, 0);
    ll_one(&ep, RD, 0, list, CB | LIE, 256, PCI_BASE + 0x2000,
           EP_RAM + 0x200000);
    check_abort(&ep, RD, 0);
    settle(&ep);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.reads + st.urs + st.cas + st.silent, ==, 0);
    g_assert_cmpuint(st.written, ==, 0);

    /* set: the same requests go out */
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x2000), ==,
                    0xfeedf00d);
    qtest_writel(ep.qts, ep.addr_space + 0x40, 0x4321);
    wait_written(&ep, 4);
    block_start_ctrl(&ep, WR, 0, LIE | RIE, 256, EP_RAM + 0x100000,
                     PCI_BASE + 0x1000);
    g_assert_cmphex(wait_end(&ep, WR, 0), ==, DONE(0));
    wait_written(&ep, 4 + 256 + 4);
    ep_stop(&ep);
}

/* ---- the link under load ---- */

#define READ_WINDOW     16      /* PL_READ_WINDOW: MEM_RD in flight */

/* Wait (no qtest command: QEMU may be busy) until @n MEM_RD are held. */
static unsigned wait_held(Peer *p, unsigned n)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    unsigned got;

    do {
        g_usleep(1000);
        g_mutex_lock(&p->lock);
        got = p->held->len;
        g_mutex_unlock(&p->lock);
    } while (got < n && g_get_monotonic_time() < deadline);
    return got;
}

/* Complete the held MEM_RD from the RC memory, and hold no more. */
static void release_held(Peer *p)
{
    g_autofree PlMsg *reqs = NULL;
    uint8_t data[PL_MAX_PAYLOAD];
    unsigned i, n;

    g_mutex_lock(&p->lock);
    p->hold = false;
    n = p->held->len;
    reqs = g_memdup2(p->held->data, n * sizeof(PlMsg));
    g_array_set_size(p->held, 0);
    g_mutex_unlock(&p->lock);
    for (i = 0; i < n; i++) {
        PlMsg cpl = { .type = PL_MSG_CPL, .tag = reqs[i].tag };

        peer_mem(p, reqs[i].u.mem.addr, data, reqs[i].u.mem.size, false);
        cpl.u.cpl.data = data;
        cpl.u.cpl.len = reqs[i].u.mem.size;
        peer_send(p, &cpl);
    }
}

/*
 * The RC configures the function while an eDMA read of the EP waits for
 * its data: with all READ_WINDOW MEM_RD of the read in flight (the RC
 * holds their completions back), the RC's config read gets the vendor
 * and device ID, and its config write takes effect; then the RC completes
 * the reads and the transfer ends in DONE with the right data.  (The
 * requests in flight are one wait for the EP, not READ_WINDOW nested
 * ones.)
 */
static void test_cfg_during_read(void)
{
    const uint32_t len = READ_WINDOW * PL_MAX_PAYLOAD;
    const uint64_t src = PCI_BASE + 0x40000, dst = EP_RAM + 0x300000;
    g_autofree uint8_t *pat = pattern(len, 61);
    uint32_t id, got;
    uint8_t b[4];
    PlMsg m;
    Ep ep;

    ep_start(&ep, ",link-timeout-ms=10000", true, true);
    id = qtest_readl(ep.qts, ep.dbi + PCI_VENDOR_ID);
    g_assert_cmphex(qtest_readb(ep.qts, ep.dbi + PCI_CACHE_LINE_SIZE), ==, 0);
    peer_mem(ep.peer, src, pat, len, true);
    ep_guard(&ep, dst, len);
    WR32(&ep, MASK(RD), 0);
    g_mutex_lock(&ep.peer->lock);
    ep.peer->hold = true;
    g_mutex_unlock(&ep.peer->lock);
    block_start(&ep, RD, 0, len, src, dst);

    /* QEMU's main loop now waits for the completions: link messages only */
    g_assert_cmpuint(wait_held(ep.peer, READ_WINDOW), ==, READ_WINDOW);
    m = (PlMsg) { .type = PL_MSG_CFG_RD };
    m.u.cfg.offset = PCI_VENDOR_ID;
    m.u.cfg.size = 4;
    g_assert_cmpint(rc_request(ep.peer, &m, b, 4), ==, PL_STATUS_SC);
    g_assert_cmphex((uint32_t)ldl_le_p(b), ==, id);
    m = (PlMsg) { .type = PL_MSG_CFG_WR };
    m.u.cfg.offset = PCI_CACHE_LINE_SIZE;
    m.u.cfg.size = 1;
    m.u.cfg.data = 0x20;
    g_assert_cmpint(rc_request(ep.peer, &m, NULL, 0), ==, PL_STATUS_SC);
    m = (PlMsg) { .type = PL_MSG_CFG_RD };
    m.u.cfg.offset = PCI_CACHE_LINE_SIZE;
    m.u.cfg.size = 1;
    g_assert_cmpint(rc_request(ep.peer, &m, b, 1), ==, PL_STATUS_SC);
    g_assert_cmphex(b[0], ==, 0x20);
    /* nothing of the read was answered meanwhile, nor asked again */
    g_assert_cmpuint(wait_held(ep.peer, READ_WINDOW), ==, READ_WINDOW);

    release_held(ep.peer);
    g_assert_cmphex(wait_end(&ep, RD, 0), ==, DONE(0));
    check_ep(&ep, dst, pat, len);
    got = qtest_readb(ep.qts, ep.dbi + PCI_CACHE_LINE_SIZE);
    g_assert_cmphex(got, ==, 0x20);
    ep_stop(&ep);
}

/* The RC reads the word at @addr of BAR0: SC and @want, or UR. */
static void rc_sees(Ep *ep, uint64_t addr, bool ok, uint32_t want)
{
    uint32_t v;

    if (ok) {
        g_assert_cmpint(rc_mem_read(ep, 0, addr, &v), ==, PL_STATUS_SC);
        g_assert_cmphex(v, ==, want);
    } else {
        g_assert_cmpint(rc_mem_read(ep, 0, addr, &v), ==, PL_STATUS_UR);
    }
}

/*
 * The RC reaches EP memory only through the windows the EP programmed,
 * before and after the EP moves one: an address-match inbound region maps
 * BAR0 + 4 KiB .. + 8 KiB onto EP memory A; the RC reads A there and
 * nothing (UR) elsewhere in the BAR.  The EP moves the window's target to
 * B: the RC now reads and writes B, and its write does not reach A.  The
 * EP moves the window to another BAR offset: the old offset is UR.  The EP
 * disables it: all of the BAR is UR.
 */
static void test_window_moves(void)
{
    const uint64_t bar0 = 0x10000000, a = EP_RAM + 0x100000,
                   b = EP_RAM + 0x200000;
    const uint64_t win = IATU_REGION(0) + IATU_INBOUND;
    Ep ep;

    ep_start(&ep, "", true, true);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    qtest_writel(ep.qts, a, 0xaaaa0001);
    qtest_writel(ep.qts, a + 0xffc, 0xaaaa0002);
    qtest_writel(ep.qts, b, 0xbbbb0001);
    qtest_writel(ep.qts, a - 4, 0x0bad0bad);
    qtest_writel(ep.qts, a + 0x1000, 0x0bad0bad);

    iatu_window(ep.qts, ep.atu + win, bar0 + 0x1000, 0x1000, a);
    rc_sees(&ep, bar0 + 0x1000, true, 0xaaaa0001);
    rc_sees(&ep, bar0 + 0x1ffc, true, 0xaaaa0002);
    rc_sees(&ep, bar0 + 0xffc, false, 0);
    rc_sees(&ep, bar0 + 0x2000, false, 0);
    rc_sees(&ep, bar0, false, 0);

    /* moved to B: B is read and written, A is not touched */
    iatu_window(ep.qts, ep.atu + win, bar0 + 0x1000, 0x1000, b);
    rc_sees(&ep, bar0 + 0x1000, true, 0xbbbb0001);
    peer_mem_write(ep.peer, 0, bar0 + 0x1004, 0x5eed5eed, 4);
    rc_sees(&ep, bar0 + 0x1004, true, 0x5eed5eed);
    g_assert_cmphex(qtest_readl(ep.qts, b + 4), ==, 0x5eed5eed);
    g_assert_cmphex(qtest_readl(ep.qts, a + 4), ==, 0);
    g_assert_cmphex(qtest_readl(ep.qts, a), ==, 0xaaaa0001);

    /* moved to another BAR offset: the old one is gone */
    iatu_window(ep.qts, ep.atu + win, bar0 + 0x8000, 0x1000, b);
    rc_sees(&ep, bar0 + 0x1000, false, 0);
    rc_sees(&ep, bar0 + 0x8000, true, 0xbbbb0001);

    /* disabled: nothing */
    qtest_writel(ep.qts, ep.atu + win + A_IATU_CTRL2, 0);
    rc_sees(&ep, bar0 + 0x8000, false, 0);
    rc_sees(&ep, bar0 + 0x1000, false, 0);
    ep_stop(&ep);
}

/*
 * A request of the RC that the EP routes back onto the link: BAR0 maps
 * (inbound iATU) onto the EP's outbound window, which maps to RC memory.
 * The EP serves the RC's requests in its link thread, which cannot wait
 * for a completion that only it can receive: the looped BAR read
 * completes at once with all ones (what an outbound read that failed
 * returns) without reaching RC memory or hanging the EP.  A looped posted
 * write needs no completion: it goes round to RC memory.  The link goes
 * on working (the RC's config reads and the EP's own outbound accesses).
 */
static void test_loopback_refused(void)
{
    const uint64_t bar0 = 0x10000000;
    uint32_t word = cpu_to_le32(0x5eed0001), v;
    PeerStats st;
    unsigned i;
    Ep ep;

    ep_start(&ep, "", true, true);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    iatu_bar_match(ep.qts, ep.atu + IATU_INBOUND, 0, ep.addr_space);
    iatu_window(ep.qts, ep.atu, ep.addr_space, 0x10000, PCI_BASE);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    peer_mem(ep.peer, PCI_BASE + 0x2000, &word, 4, true);
    peer_take(ep.peer);

    for (i = 0; i < 4; i++) {
        rc_mem_read(&ep, 0, bar0 + 0x2000, &v);
        g_assert_cmphex(v, ==, 0xffffffff);
        peer_mem_write(ep.peer, 0, bar0 + 0x3000 + 4 * i, 0xfeed0000 + i, 4);
        g_assert_cmphex(rc_cfg_read(&ep, PCI_VENDOR_ID), ==,
                        qtest_readl(ep.qts, ep.dbi + PCI_VENDOR_ID));
    }
    /* the looped reads did not reach the RC, the writes did */
    wait_written(&ep, 4 * 4);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.reads, ==, 0);
    for (i = 0; i < 4; i++) {
        peer_mem(ep.peer, PCI_BASE + 0x3000 + 4 * i, &word, 4, false);
        g_assert_cmphex(le32_to_cpu(word), ==, 0xfeed0000 + i);
    }
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x2000), ==,
                    0x5eed0001);
    qtest_writel(ep.qts, ep.addr_space + 0x3000, 0xfeedf00d);
    wait_written(&ep, 4);
    peer_mem(ep.peer, PCI_BASE + 0x3000, &word, 4, false);
    g_assert_cmphex(le32_to_cpu(word), ==, 0xfeedf00d);
    ep_stop(&ep);
}

/*
 * The RC rings the eDMA's embedded doorbell (a write of 0 to
 * rd_int_status through BAR0, which the inbound iATU maps onto the eDMA
 * registers, as pci-epf-vntb's embedded doorbell does) while an eDMA read
 * of the EP waits for its data on the link (the RC holds the completions
 * back): the doorbell raises the eDMA interrupt at once.  Then the read
 * ends in DONE with the right data.
 */
static void test_doorbell_during_read(void)
{
    const uint32_t len = READ_WINDOW * PL_MAX_PAYLOAD;
    const uint64_t src = PCI_BASE + 0x40000, dst = EP_RAM + 0x300000;
    const uint64_t bar0 = 0x10000000;
    g_autofree uint8_t *pat = pattern(len, 67);
    gint64 deadline;
    Ep ep;

    ep_start(&ep, ",link-timeout-ms=10000", true, true);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    iatu_bar_match(ep.qts, ep.atu + IATU_INBOUND, 0, ep.dma);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    peer_mem(ep.peer, src, pat, len, true);
    ep_guard(&ep, dst, len);
    WR32(&ep, MASK(RD), 0);
    g_assert_false(IRQ(&ep));
    g_mutex_lock(&ep.peer->lock);
    ep.peer->hold = true;
    g_mutex_unlock(&ep.peer->lock);
    block_start(&ep, RD, 0, len, src, dst);
    g_assert_cmpuint(wait_held(ep.peer, READ_WINDOW), ==, READ_WINDOW);

    peer_mem_write(ep.peer, 0, bar0 + STATUS(RD), 0, 4);
    deadline = g_get_monotonic_time() + WAIT_US;
    while (!IRQ(&ep) && g_get_monotonic_time() < deadline) {
        g_usleep(1000);
    }
    g_assert_true(IRQ(&ep));
    /* the doorbell set no DONE or ABORT bit, and the read is still on */
    g_assert_cmphex(RD32(&ep, STATUS(RD)), ==, 0);
    g_assert_cmpuint(wait_held(ep.peer, READ_WINDOW), ==, READ_WINDOW);
    WR32(&ep, CLEAR(RD), 0);
    g_assert_false(IRQ(&ep));

    release_held(ep.peer);
    g_assert_cmphex(wait_end(&ep, RD, 0), ==, DONE(0));
    check_ep(&ep, dst, pat, len);
    ep_stop(&ep);
}

/*
 * Have the peer flood the EP (@mode, see peer_flood) and wait until it is
 * over, timing qtest commands meanwhile.  Returns the bytes the EP took;
 * *cut_us is when the EP cut the link (-1: it did not), *worst_us the
 * slowest qtest command.
 */
static uint64_t flood_watch(Ep *ep, int mode, gint64 *cut_us,
                            gint64 *worst_us)
{
    gint64 deadline = g_get_monotonic_time() + FLOOD_US + WAIT_US, t;
    uint64_t sent;
    bool done;

    *worst_us = 0;
    g_atomic_int_set(&ep->peer->flood, mode);
    do {
        t = g_get_monotonic_time();
        g_assert_cmphex(qtest_readl(ep->qts, ep->dbi + PCI_VENDOR_ID), !=, 0);
        *worst_us = MAX(*worst_us, g_get_monotonic_time() - t);
        g_usleep(10 * 1000);
        g_mutex_lock(&ep->peer->lock);
        done = ep->peer->flood_done;
        sent = ep->peer->flood_sent;
        *cut_us = ep->peer->flood_cut_us;
        g_mutex_unlock(&ep->peer->lock);
    } while (!done && g_get_monotonic_time() < deadline);
    g_assert_true(done);
    return sent;
}

/*
 * The RC connected again after cutting one connection: a clean function
 * on the link, whose config space and eDMA work.
 */
static void check_clean(Ep *ep);

static void check_reconnected(Ep *ep)
{
    peer_wait(ep, 1, 1);
    check_clean(ep);
}

/* What check_clean moves: several MEM_WR and MEM_RD, the last one short. */
#define CLEAN_LEN       (3 * PL_MAX_PAYLOAD + 100)

/*
 * A clean function on the link: config space works, and the eDMA writes
 * a pattern from EP RAM into RC memory and reads it back into EP RAM, each
 * copy equal to the pattern byte for byte (the first differing offset is
 * named), nothing written beside it.
 */
static void check_clean(Ep *ep)
{
    const uint64_t src = EP_RAM + 0x100000, dst = PCI_BASE + 0x1000,
                   back = EP_RAM + 0x200000;
    g_autofree uint8_t *pat = pattern(CLEAN_LEN, 0xc1ea);
    g_autofree uint8_t *zero = g_malloc0(CLEAN_LEN + 2);

    g_assert_cmphex(rc_cfg_read(ep, PCI_VENDOR_ID), ==,
                    qtest_readl(ep->qts, ep->dbi + PCI_VENDOR_ID));
    rc_cfg_write(ep, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qtest_memwrite(ep->qts, src, pat, CLEAN_LEN);
    peer_mem(ep->peer, dst - 1, zero, CLEAN_LEN + 2, true);
    peer_take(ep->peer);
    block_start(ep, WR, 0, CLEAN_LEN, src, dst);
    g_assert_cmphex(wait_end(ep, WR, 0), ==, DONE(0));
    WR32(ep, CLEAR(WR), DONE(0));
    wait_written(ep, CLEAN_LEN);
    check_pci(ep, dst, pat, CLEAN_LEN);

    ep_guard(ep, back, CLEAN_LEN);
    block_start(ep, RD, 0, CLEAN_LEN, dst, back);
    g_assert_cmphex(wait_end(ep, RD, 0), ==, DONE(0));
    WR32(ep, CLEAR(RD), DONE(0));
    check_ep(ep, back, pat, CLEAN_LEN);
}

/*
 * A hostile RC floods the EP with requests and never reads the
 * completions.  The EP serves what it reads in place and queues the
 * completions (a bounded queue); when they stop draining it cuts the link
 * within its timeout, answers qtest commands throughout with at most that
 * delay, and once the RC connects again, config access and an eDMA
 * transfer work.
 */
static void test_link_flood(void)
{
    const gint64 timeout_us = 1000 * 1000;
    gint64 cut, worst;
    uint64_t sent;
    Ep ep;

    ep_start_keep(&ep, ",link-timeout-ms=1000", true, true, true);
    sent = flood_watch(&ep, FLOOD, &cut, &worst);
    g_test_message("flood: the EP took %" PRIu64 " bytes, cut the link "
                   "after %" PRId64 " ms; slowest qtest command %" PRId64
                   " ms", sent, cut / 1000, worst / 1000);
    g_assert_cmpint(cut, >=, 0);
    g_assert_cmpint(cut, <, 5 * timeout_us);
    g_assert_cmpint(worst, <, 3 * timeout_us);
    check_reconnected(&ep);
    ep_stop(&ep);
}

/*
 * A hostile RC does not read the EP's completions, so the EP's transmit
 * queue stops draining, and keeps the link busy with a trickle of posted
 * writes (which the EP reads and serves).  The queue has one deadline,
 * the link's timeout, however much arrives meanwhile: the EP cuts the
 * link then, and QEMU answers qtest commands with at most that delay; the
 * RC connects again and the function works.
 */
static void test_link_trickle(void)
{
    const gint64 timeout_us = 1000 * 1000;
    gint64 cut, worst;
    Ep ep;

    ep_start_keep(&ep, ",link-timeout-ms=1000", true, true, true);
    flood_watch(&ep, TRICKLE, &cut, &worst);
    g_test_message("trickle: the EP cut the link after %" PRId64 " ms; "
                   "slowest qtest command %" PRId64 " ms", cut / 1000,
                   worst / 1000);
    g_assert_cmpint(cut, >=, 0);
    g_assert_cmpint(cut, <, 5 * timeout_us);
    g_assert_cmpint(worst, <, 3 * timeout_us);
    check_reconnected(&ep);
    ep_stop(&ep);
}

/* Connections of the link fuzzer in one run (DW_EDMA_FUZZ_ROUNDS). */
#define FUZZ_ROUNDS     100

/*
 * The EP's link layer against a fuzzer (peer_fuzz): FUZZ_ROUNDS
 * connections of random, partly corrupted message streams (seed from
 * DW_EDMA_FUZZ_SEED, else fixed; the number of connections from
 * DW_EDMA_FUZZ_ROUNDS).  QEMU answers qtest commands throughout, never
 * stops, and afterwards a well-behaved RC gets a clean function whose
 * config space and eDMA work.  Under the sanitizer build (suite asan) any
 * memory error in the link fails it.
 */
static void test_link_fuzz(void)
{
    const char *seed_env = g_getenv("DW_EDMA_FUZZ_SEED");
    const char *rounds_env = g_getenv("DW_EDMA_FUZZ_ROUNDS");
    guint32 seed = seed_env ? strtoul(seed_env, NULL, 0) : 0x11f022;
    unsigned rounds = rounds_env ? strtoul(rounds_env, NULL, 0) : FUZZ_ROUNDS;
    gint64 deadline;
    unsigned conns;
    bool up;
    Ep ep;

    ep_start_keep(&ep, ",link-timeout-ms=200", true, true, true);
    g_test_message("link fuzz: seed 0x%x, %u connections", seed, rounds);
    ep.peer->rand = g_rand_new_with_seed(seed);
    g_atomic_int_set(&ep.peer->flood, FUZZ);
    deadline = g_get_monotonic_time() + rounds * (G_USEC_PER_SEC / 2) + WAIT_US;
    do {
        g_assert_cmphex(qtest_readl(ep.qts, ep.dbi + PCI_VENDOR_ID), !=, 0);
        g_usleep(5 * 1000);
        g_mutex_lock(&ep.peer->lock);
        conns = ep.peer->conns;
        g_mutex_unlock(&ep.peer->lock);
    } while (conns < rounds && g_get_monotonic_time() < deadline);
    g_assert_cmpuint(conns, >=, rounds);
    g_atomic_int_set(&ep.peer->flood, 0);
    /* the next connection is served well: HELLO and LINK up seen */
    deadline = g_get_monotonic_time() + WAIT_US;
    do {
        g_mutex_lock(&ep.peer->lock);
        up = ep.peer->hello && ep.peer->link_up == 1;
        g_mutex_unlock(&ep.peer->lock);
    } while (!up && again(&ep, deadline));
    g_assert_true(up);
    g_rand_free(ep.peer->rand);
    ep.peer->rand = NULL;
    check_clean(&ep);
    ep_stop(&ep);
}

/* ---- the shared-memory fast path (MAP) ---- */

/* EP RAM in a shared memfd backend, as the fast path needs (after props). */
#define SHM_RAM " -object memory-backend-memfd,id=ram,size=128M,share=on " \
                "-machine memory-backend=ram -m 128M"

/* The features the other side's HELLO offered. */
static uint32_t peer_hello_features(Peer *p)
{
    uint32_t f;

    g_mutex_lock(&p->lock);
    g_assert_true(p->hello);
    f = p->peer_features;
    g_mutex_unlock(&p->lock);
    return f;
}

/* A copy of MAP slot @slot of the fake RC. */
static PeerMap peer_slot(Peer *p, unsigned slot)
{
    PeerMap pm;

    g_mutex_lock(&p->lock);
    pm = p->map[slot];
    g_mutex_unlock(&p->lock);
    return pm;
}

/* The last MAP with enable 1 that the fake RC got. */
static PlMsg peer_last_map(Peer *p)
{
    PlMsg m;

    g_mutex_lock(&p->lock);
    m = p->last_map;
    g_mutex_unlock(&p->lock);
    return m;
}

static void peer_map_status(Peer *p, PlStatus st)
{
    g_mutex_lock(&p->lock);
    p->map_status = st;
    g_mutex_unlock(&p->lock);
}

/*
 * The fake RC has had @maps MAP with enable 1 and @unmaps with enable 0
 * in all: already (what an EP register write sends before it completes),
 * or with @wait by WAIT_US (what a bottom half sends).
 */
static void check_maps(Ep *ep, bool wait, unsigned maps, unsigned unmaps)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    unsigned got_maps, got_unmaps;

    for (;;) {
        g_mutex_lock(&ep->peer->lock);
        got_maps = ep->peer->maps;
        got_unmaps = ep->peer->unmaps;
        g_mutex_unlock(&ep->peer->lock);
        if (!wait || (got_maps == maps && got_unmaps == unmaps) ||
            !again(ep, deadline)) {
            break;
        }
    }
    g_assert_cmpuint(got_maps, ==, maps);
    g_assert_cmpuint(got_unmaps, ==, unmaps);
}

/* The last MAP: BAR0 in slot 0, all of its @size bytes, at @fd_offset. */
static void check_last_map(Ep *ep, uint64_t size, uint64_t fd_offset)
{
    PlMsg m = peer_last_map(ep->peer);

    g_assert_cmpuint(m.u.map.slot, ==, 0);
    g_assert_cmpuint(m.u.map.bar, ==, 0);
    g_assert_cmphex(m.u.map.offset, ==, 0);
    g_assert_cmphex(m.u.map.size, ==, size);
    g_assert_cmphex(m.u.map.fd_offset, ==, fd_offset);
}

/*
 * The fast path of the EP (its RAM a shared memfd), with an RC side that
 * offers it too and maps what it gets.  A BAR-match inbound region that
 * maps all of BAR0 onto EP RAM: the RC side has the MAP (BAR0, slot 0,
 * the BAR's size, the file offset of the target) before the iATU write
 * completes, and it and the EP see each other's stores through it with
 * nothing on the link; the BAR still answers messages too.  Disabling the
 * region unmaps before the write completes, enabling maps again; the RC
 * clearing and setting Memory Space Enable, resizing the BAR, and the link
 * going down and up, unmap and map from a bottom half.  Targets that are
 * not all shared RAM (a hole, the eDMA's registers, a BAR's worth that
 * runs past the end of RAM) are not mapped.  A MAP that the RC side
 * refuses (UR) is not offered again until what it would map changes, and
 * the BAR stays on messages.
 */
static void test_fast_path(void)
{
    const uint64_t bar0 = 0x10000000, ib = IATU_REGION(0) + IATU_INBOUND;
    uint64_t size;
    PeerStats st;
    PeerMap pm;
    Ep ep;

    ep_start_full(&ep, ",fast-path=on" SHM_RAM, true, true, false,
                  PL_FEAT_SHM);
    g_assert_cmphex(peer_hello_features(ep.peer), ==, PL_FEAT_SHM);
    qtest_writel(ep.qts, EP_RAM + 0x100, 0xc0ffee01);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    size = (uint32_t)~(rc_probe_bar0(&ep) & ~0xfu) + 1;
    g_assert_cmphex(size, ==, 1 * MiB);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    qtest_writeb(ep.qts, ep.dbi + PCI_CACHE_LINE_SIZE, 0x10);
    check_maps(&ep, false, 0, 0);       /* no region maps BAR0 yet */

    /* BAR0 -> EP_RAM: mapped before the iATU write completed */
    iatu_bar_match(ep.qts, ep.atu + ib, 0, EP_RAM);
    check_maps(&ep, false, 1, 0);
    check_last_map(&ep, size, 0);       /* EP_RAM starts the backend */
    pm = peer_slot(ep.peer, 0);
    g_assert_true(pm.on);
    g_assert_cmphex(pm.size, ==, size);

    /* both sides see each other's stores, with nothing on the link */
    peer_take(ep.peer);
    g_assert_cmphex((uint32_t)ldl_le_p(pm.ptr + 0x100), ==, 0xc0ffee01);
    stl_le_p(pm.ptr + 0x104, 0x12345678);
    g_assert_cmphex(qtest_readl(ep.qts, EP_RAM + 0x104), ==, 0x12345678);
    qtest_writel(ep.qts, EP_RAM + size - 4, 0xe0d0e0d0);
    g_assert_cmphex((uint32_t)ldl_le_p(pm.ptr + size - 4), ==, 0xe0d0e0d0);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.msgs, ==, 0);
    g_assert_cmpuint(st.reads + st.urs + st.cas + st.silent, ==, 0);
    g_assert_cmpuint(st.written, ==, 0);
    /* messages to the BAR still reach the same RAM */
    rc_sees(&ep, bar0 + 0x104, true, 0x12345678);

    /* the region disabled: unmapped before the write completed */
    qtest_writel(ep.qts, ep.atu + ib + A_IATU_CTRL2, 0);
    check_maps(&ep, false, 1, 1);
    g_assert_false(peer_slot(ep.peer, 0).on);
    rc_sees(&ep, bar0 + 0x104, false, 0);
    /* and enabled again */
    qtest_writel(ep.qts, ep.atu + ib + A_IATU_CTRL2,
                 IATU_ENABLE | IATU_BAR_MATCH);
    check_maps(&ep, false, 2, 1);
    check_last_map(&ep, size, 0);
    g_assert_true(peer_slot(ep.peer, 0).on);

    /* the RC's Memory Space Enable, from a bottom half */
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MASTER);
    check_maps(&ep, true, 2, 2);
    g_assert_false(peer_slot(ep.peer, 0).on);
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    check_maps(&ep, true, 3, 2);
    g_assert_true(peer_slot(ep.peer, 0).on);

    /* the RC resizes BAR0 (Resizable BAR): the mapping follows */
    rc_cfg_write(&ep, REBAR_CTRL0, 1 << 8);
    check_maps(&ep, true, 4, 3);
    check_last_map(&ep, 2 * size, 0);
    rc_cfg_write(&ep, REBAR_CTRL0, 0);
    check_maps(&ep, true, 5, 4);
    check_last_map(&ep, size, 0);

    /* targets that are not all shared RAM: not mapped */
    iatu_bar_match(ep.qts, ep.atu + ib, 0, EP_HOLE);
    check_maps(&ep, false, 5, 5);
    g_assert_false(peer_slot(ep.peer, 0).on);
    iatu_bar_match(ep.qts, ep.atu + ib, 0, ep.dma);
    check_maps(&ep, false, 5, 5);
    iatu_bar_match(ep.qts, ep.atu + ib, 0, EP_RAM + 128 * MiB - size / 2);
    check_maps(&ep, false, 5, 5);
    /* whole pages elsewhere in RAM: mapped at that file offset */
    qtest_writel(ep.qts, EP_RAM + size + 0x10, 0x600df00d);
    iatu_bar_match(ep.qts, ep.atu + ib, 0, EP_RAM + size);
    check_maps(&ep, false, 6, 5);
    check_last_map(&ep, size, size);
    pm = peer_slot(ep.peer, 0);
    g_assert_true(pm.on);
    g_assert_cmphex((uint32_t)ldl_le_p(pm.ptr + 0x10), ==, 0x600df00d);

    /* the link goes down and up: unmapped, and mapped once MSE is set */
    qtest_writel(ep.qts, ep.app + A_APP_CTRL, 0);
    peer_wait(&ep, 0, 0);
    check_maps(&ep, true, 6, 6);
    qtest_writel(ep.qts, ep.app + A_APP_CTRL, 1);
    peer_wait(&ep, 0, 1);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    check_maps(&ep, true, 7, 6);
    check_last_map(&ep, size, size);

    /* refused by the RC side: asked once, and the BAR stays on messages */
    peer_map_status(ep.peer, PL_STATUS_UR);
    qtest_writel(ep.qts, ep.atu + ib + A_IATU_CTRL2, 0);
    check_maps(&ep, false, 7, 7);
    qtest_writel(ep.qts, ep.atu + ib + A_IATU_CTRL2,
                 IATU_ENABLE | IATU_BAR_MATCH);
    check_maps(&ep, false, 8, 7);
    g_assert_false(peer_slot(ep.peer, 0).on);
    qtest_writeb(ep.qts, ep.dbi + PCI_CACHE_LINE_SIZE, 0x20);
    qtest_writel(ep.qts, ep.atu + ib + A_IATU_CTRL2,
                 IATU_ENABLE | IATU_BAR_MATCH);
    check_maps(&ep, false, 8, 7);
    rc_sees(&ep, bar0 + 0x10, true, 0x600df00d);
    /* what it would map changes: offered again, and taken */
    peer_map_status(ep.peer, PL_STATUS_SC);
    iatu_bar_match(ep.qts, ep.atu + ib, 0, EP_RAM);
    check_maps(&ep, false, 9, 7);
    check_last_map(&ep, size, 0);
    pm = peer_slot(ep.peer, 0);
    g_assert_true(pm.on);
    g_assert_cmphex((uint32_t)ldl_le_p(pm.ptr + 0x100), ==, 0xc0ffee01);
    ep_stop(&ep);
}

/*
 * The fast path needs both sides: with fast-path=off on the EP (whose
 * HELLO then offers nothing) and an RC side that offers it, or with the
 * EP's fast path on and an RC side that does not offer it, the same
 * programming of the same shared RAM sends no MAP (a MAP would also be a
 * protocol error of the EP in the second case), and BAR0 works over
 * messages.
 */
static void fast_path_none(const char *props, uint32_t rc_offers,
                           uint32_t ep_offers)
{
    const uint64_t bar0 = 0x10000000, ib = IATU_REGION(0) + IATU_INBOUND;
    Ep ep;

    ep_start_full(&ep, props, true, true, false, rc_offers);
    g_assert_cmphex(peer_hello_features(ep.peer), ==, ep_offers);
    qtest_writel(ep.qts, EP_RAM + 0x100, 0xc0ffee01);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    iatu_bar_match(ep.qts, ep.atu + ib, 0, EP_RAM);
    check_maps(&ep, false, 0, 0);
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MASTER);
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qtest_writeb(ep.qts, ep.dbi + PCI_CACHE_LINE_SIZE, 0x10);
    check_maps(&ep, false, 0, 0);
    rc_sees(&ep, bar0 + 0x100, true, 0xc0ffee01);
    ep_stop(&ep);
}

static void test_fast_path_off(void)
{
    fast_path_none(",fast-path=off" SHM_RAM, PL_FEAT_SHM, 0);
    fast_path_none(SHM_RAM, 0, PL_FEAT_SHM);
}

/*
 * EP memory that is not the machine's: "memory" names a second shared
 * memfd backend (1 GiB + 64 MiB, mapped nowhere in the machine), so EP
 * address X is byte X of that backend, where the machine (SHM_RAM, also a
 * shared memfd) has its own RAM at X - EP_RAM.  Two addresses:
 *  - MEM_T: RAM in both views, different RAM;
 *  - MEM_NONE: past the end of EP memory (nothing there for the inbound
 *    path), but RAM to the machine.
 */
#define MEM_EP_MIB      1088
#define MEM_EP_RAM      " -object memory-backend-memfd,id=epmem,size=" \
                        stringify(MEM_EP_MIB) "M,share=on"
#define MEM_T           (EP_RAM + 32 * MiB)
#define MEM_NONE        ((uint64_t)MEM_EP_MIB * MiB)

/*
 * A BAR-match region maps BAR0 (@size bytes at PCI address @bar0) onto EP
 * address @target: the fake RC gets it as its MAP number @nmap, of the
 * RAM's file at @fd_offset, and the mapping and the link's messages reach
 * the same bytes.  What MEM_WR on the link writes (@pat) reads back
 * through the mapping and through MEM_RD, byte for byte; a store through
 * the mapping (0x12345678 at 0x104) shows in MEM_RD, and one through
 * MEM_WR (0x9abcdef0 at 0x108) in the mapping.
 */
static void fast_path_same_bytes(Ep *ep, uint64_t bar0, uint64_t target,
                                 uint64_t size, unsigned nmap,
                                 uint64_t fd_offset, const uint8_t *pat)
{
    g_autofree uint8_t *got = g_malloc(size);
    uint64_t off;
    PeerMap pm;

    iatu_bar_match(ep->qts, ep->atu + IATU_REGION(0) + IATU_INBOUND, 0,
                   target);
    check_maps(ep, false, nmap, nmap - 1);
    check_last_map(ep, size, fd_offset);
    pm = peer_slot(ep->peer, 0);
    g_assert_true(pm.on);

    for (off = 0; off < size; off += PL_MAX_PAYLOAD) {
        PlMsg m = { .type = PL_MSG_MEM_WR };

        m.u.mem.addr = bar0 + off;
        m.u.mem.size = PL_MAX_PAYLOAD;
        m.u.mem.bar = 0;
        m.u.mem.data = (uint8_t *)pat + off;
        peer_send(ep->peer, &m);
    }
    for (off = 0; off < size; off += PL_MAX_PAYLOAD) {
        PlMsg m = { .type = PL_MSG_MEM_RD };

        m.u.mem.addr = bar0 + off;
        m.u.mem.size = PL_MAX_PAYLOAD;
        m.u.mem.bar = 0;
        g_assert_cmpint(rc_request(ep->peer, &m, got + off, PL_MAX_PAYLOAD),
                        ==, PL_STATUS_SC);
    }
    check_bytes("BAR0 on messages", bar0, got, pat, size);
    check_bytes("BAR0 on the fast path", bar0, pm.ptr, pat, size);

    stl_le_p(pm.ptr + 0x104, 0x12345678);
    rc_sees(ep, bar0 + 0x104, true, 0x12345678);
    peer_mem_write(ep->peer, 0, bar0 + 0x108, 0x9abcdef0, 4);
    rc_sees(ep, bar0 + 0x10c, true, ldl_le_p(pat + 0x10c));
    g_assert_cmphex((uint32_t)ldl_le_p(pm.ptr + 0x108), ==, 0x9abcdef0);
}

/*
 * The fast path hands the RC the RAM that the EP's inbound requests reach
 * when the "memory" property names EP memory (fast_path_same_bytes).
 * With EP memory a backend of its own: BAR0 -> MEM_T maps that backend
 * at file offset MEM_T, not the machine's RAM at MEM_T (which stays as it
 * was); BAR0 -> MEM_NONE maps nothing (the machine's RAM there is no EP
 * memory), and MEM_RD completes with CA.  With EP memory the machine's
 * RAM backend itself (an address space of that region sees it where the
 * machine does): BAR0 -> EP_RAM + 1 MiB maps the backend at file offset
 * 1 MiB.
 */
static void test_fast_path_memory(void)
{
    const uint64_t bar0 = 0x10000000, ib = IATU_REGION(0) + IATU_INBOUND;
    const uint64_t size = 1 * MiB;
    g_autofree uint8_t *ep_mem = pattern(size, 31);
    g_autofree uint8_t *cpu_mem = pattern(size, 32);
    g_autofree uint8_t *got = g_malloc(size);
    uint32_t v;
    Ep ep;

    ep_start_full(&ep, ",fast-path=on,memory=/objects/epmem/epmem[0]"
                  SHM_RAM MEM_EP_RAM, true, true, false, PL_FEAT_SHM);
    qtest_memwrite(ep.qts, MEM_T, cpu_mem, size);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    g_assert_cmphex(rc_probe_bar0(&ep) & ~0xfu, ==, (uint32_t)-size);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    fast_path_same_bytes(&ep, bar0, MEM_T, size, 1, MEM_T, ep_mem);
    qtest_memread(ep.qts, MEM_T, got, size);
    check_bytes("the machine's RAM at the target", MEM_T, got, cpu_mem,
                size);

    iatu_bar_match(ep.qts, ep.atu + ib, 0, MEM_NONE);
    check_maps(&ep, false, 1, 1);
    g_assert_false(peer_slot(ep.peer, 0).on);
    g_assert_cmpint(rc_mem_read(&ep, 0, bar0 + 0x100, &v), ==, PL_STATUS_CA);
    ep_stop(&ep);

    ep_start_full(&ep, ",fast-path=on,memory=/objects/ram/ram[0]" SHM_RAM,
                  true, true, false, PL_FEAT_SHM);
    qtest_writel(ep.qts, ep.dbi2 + PCI_BASE_ADDRESS_0, 1);
    rc_cfg_write(&ep, PCI_BASE_ADDRESS_0, bar0);
    fast_path_same_bytes(&ep, bar0, EP_RAM + size, size, 1, size, ep_mem);
    stl_le_p(ep_mem + 0x104, 0x12345678);
    stl_le_p(ep_mem + 0x108, 0x9abcdef0);
    qtest_memread(ep.qts, EP_RAM + size, got, size);
    check_bytes("EP RAM at the target", EP_RAM + size, got, ep_mem, size);
    ep_stop(&ep);
}

/* ---- pci-ep-link: the RC end, with a fake EP on the link ---- */

#define RC_ECAM         0x3f000000ULL   /* virt, highmem-ecam=off */
#define RC_PORT         (2 << 3)        /* devfn of the pcie-root-port */
#define RC_RAM          0x40000000ULL

static uint64_t ecam(unsigned bus, unsigned devfn, unsigned off)
{
    return RC_ECAM + ((uint64_t)bus << 20) + ((uint64_t)devfn << 12) + off;
}

/* The function behind the port (bus 1), all ones when there is none. */
static uint32_t rc_fn_id(Ep *rc)
{
    return qtest_readl(rc->qts, ecam(1, 0, PCI_VENDOR_ID));
}

/* The port's PCI Express capability. */
static unsigned rc_port_exp(Ep *rc)
{
    QTestState *q = rc->qts;
    unsigned pos = qtest_readb(q, ecam(0, RC_PORT, PCI_CAPABILITY_LIST));

    while (pos && qtest_readb(q, ecam(0, RC_PORT, pos)) != PCI_CAP_ID_EXP) {
        pos = qtest_readb(q, ecam(0, RC_PORT, pos + 1));
    }
    g_assert_cmpuint(pos, !=, 0);
    return pos;
}

static uint16_t rc_slot_status(Ep *rc)
{
    return qtest_readw(rc->qts, ecam(0, RC_PORT, rc_port_exp(rc) +
                                     PCI_EXP_SLTSTA));
}

/* What pciehp does: power controller and power indicator, one write. */
static void rc_slot_power(Ep *rc, bool on)
{
    uint64_t ctl = ecam(0, RC_PORT, rc_port_exp(rc) + PCI_EXP_SLTCTL);
    uint16_t v = qtest_readw(rc->qts, ctl);

    v &= ~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
    v |= on ? PCI_EXP_SLTCTL_PWR_ON | PCI_EXP_SLTCTL_PWR_IND_ON
            : PCI_EXP_SLTCTL_PWR_OFF | PCI_EXP_SLTCTL_PWR_IND_OFF;
    qtest_writew(rc->qts, ctl, v);
}

/* Wait until the function behind the port reads @id. */
static void rc_wait_fn(Ep *rc, uint32_t id)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    uint32_t got;

    while ((got = rc_fn_id(rc)) != id && again(rc, deadline)) {
        /* the link device plugs from a bottom half */
    }
    g_assert_cmphex(got, ==, id);
}

/* The function masters a 4-byte write into RC RAM at @off: it lands. */
static void rc_check_dma(Ep *rc, uint64_t off, uint32_t val)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;

    qtest_writew(rc->qts, ecam(1, 0, PCI_COMMAND),
                 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    peer_mem_write(rc->peer, PL_BAR_NONE, RC_RAM + off, val, 4);
    while (qtest_readl(rc->qts, RC_RAM + off) != val && again(rc, deadline)) {
        /* posted */
    }
    g_assert_cmphex(qtest_readl(rc->qts, RC_RAM + off), ==, val);
}

/*
 * Start an RC QEMU with pci-ep-link (@props appended to its -device)
 * behind a hot-plug root port, its link to our fake EP (whose HELLO offers
 * @features), and do what firmware does: the port's bus numbers, the port
 * enabled.
 */
static void rc_start_props(Ep *rc, uint32_t features, const char *props)
{
    memset(rc, 0, sizeof(*rc));
    peer_start(rc, true, features);
    rc->qts = qtest_initf("-machine virt,highmem-ecam=off -nodefaults "
                          "-device pcie-root-port,id=rp0,chassis=1,slot=0,"
                          "bus=pcie.0,addr=2.0 "
                          "-chardev socket,id=l,path=%s,reconnect-ms=100 "
                          "-device pci-ep-link,chardev=l,port=rp0%s",
                          rc->path, props);
    peer_wait(rc, 0, -2);
    qtest_writel(rc->qts, ecam(0, RC_PORT, PCI_PRIMARY_BUS), 0x00010100);
    qtest_writew(rc->qts, ecam(0, RC_PORT, PCI_COMMAND),
                 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static void rc_start(Ep *rc, uint32_t features)
{
    rc_start_props(rc, features, "");
}

/*
 * The RC guest powers the slot off and on (pciehp's "echo 0 > power").
 * Off, QEMU detaches and frees the function: pci-ep-link must forget it,
 * so that what the EP sends meanwhile (INTx, a memory write, the INTx
 * deassert timer) touches nothing; the slot still holds a card (the EP is
 * on the link).  On, the function is plugged again and works.  A link
 * down while the slot is off takes the card away; a link up puts it back
 * in the off slot.
 */
static void test_slot_power(void)
{
    Ep rc;

    rc_start(&rc, 0);

    /* link up: the function arrives (in the slot reset left powered off) */
    peer_signal(rc.peer, PL_MSG_LINK, true);
    rc_slot_power(&rc, true);
    rc_wait_fn(&rc, FAKE_EP_ID);
    rc_check_dma(&rc, 0x1000, 0x11111111);

    /* power off: the function goes; the EP, unaware, sends on */
    rc_slot_power(&rc, false);
    g_assert_cmphex(rc_fn_id(&rc), ==, 0xffffffff);
    peer_signal(rc.peer, PL_MSG_INTX, true);
    peer_signal(rc.peer, PL_MSG_INTX, false);
    peer_mem_write(rc.peer, PL_BAR_NONE, RC_RAM + 0x2000, 0x22222222, 4);
    /* past pci-ep-link's INTx hold (20 ms): runs its timer, if one is left */
    qtest_clock_step(rc.qts, 25 * 1000 * 1000);
    settle(&rc);
    g_assert_cmphex(qtest_readl(rc.qts, RC_RAM + 0x2000), ==, 0);
    g_assert_cmphex(rc_fn_id(&rc), ==, 0xffffffff);
    /* the card is still in the slot, and nothing says otherwise */
    g_assert_cmphex(rc_slot_status(&rc) &
                    (PCI_EXP_SLTSTA_PDS | PCI_EXP_SLTSTA_PDC), ==,
                    PCI_EXP_SLTSTA_PDS);

    /* power on: the function is back and masters again */
    rc_slot_power(&rc, true);
    rc_wait_fn(&rc, FAKE_EP_ID);
    rc_check_dma(&rc, 0x3000, 0x33333333);

    /* off again, then the EP goes (link down) and comes back (link up) */
    rc_slot_power(&rc, false);
    g_assert_cmphex(rc_fn_id(&rc), ==, 0xffffffff);
    peer_signal(rc.peer, PL_MSG_LINK, false);
    settle(&rc);
    g_assert_cmphex(rc_slot_status(&rc) & PCI_EXP_SLTSTA_PDS, ==, 0);
    peer_signal(rc.peer, PL_MSG_LINK, true);
    settle(&rc);
    g_assert_cmphex(rc_slot_status(&rc) & PCI_EXP_SLTSTA_PDS, ==,
                    PCI_EXP_SLTSTA_PDS);
    g_assert_cmphex(rc_fn_id(&rc), ==, 0xffffffff);    /* not powered */
    rc_slot_power(&rc, true);
    rc_wait_fn(&rc, FAKE_EP_ID);
    rc_check_dma(&rc, 0x4000, 0x44444444);
    ep_stop(&rc);
}

/*
 * virt's GIC distributor: the Set-Pending registers of the SPIs show a
 * level-sensitive interrupt's line while it is high (and the GIC is not
 * configured, so nothing takes it).
 */
#define RC_GICD_ISPENDR(n)  (0x08000000ULL + 0x200 + 4 * (n))

/* SPIs 0..63 pending (ISPENDR1..2; virt's PCIe INTx are SPIs 3..6). */
static uint64_t rc_spis_pending(Ep *rc)
{
    return qtest_readl(rc->qts, RC_GICD_ISPENDR(1)) |
           (uint64_t)qtest_readl(rc->qts, RC_GICD_ISPENDR(2)) << 32;
}

/*
 * An INTx from the EP is a pulse: assert and deassert may arrive in one
 * read.  pci-ep-link holds the line INTX_MIN_PULSE_NS (20 ms of virtual
 * time) so that a vCPU that waits for a host core still takes it: high
 * 19 ms after the assert, low after 21 ms; a second pulse holds it again.
 */
static void test_intx_hold(void)
{
    Ep rc;
    uint64_t before, line;
    int i;

    rc_start(&rc, 0);
    peer_signal(rc.peer, PL_MSG_LINK, true);
    rc_slot_power(&rc, true);
    rc_wait_fn(&rc, FAKE_EP_ID);
    before = rc_spis_pending(&rc);

    for (i = 0; i < 2; i++) {
        gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

        peer_signal(rc.peer, PL_MSG_INTX, true);
        peer_signal(rc.peer, PL_MSG_INTX, false);
        /* both are served in the I/O thread: wait for the line to rise */
        while ((line = rc_spis_pending(&rc) & ~before) == 0) {
            g_assert_cmpint(g_get_monotonic_time(), <, deadline);
            g_usleep(1000);
        }
        g_assert_cmpuint(ctpop64(line), ==, 1);
        qtest_clock_step(rc.qts, 19 * 1000 * 1000);
        g_assert_cmphex(rc_spis_pending(&rc) & line, ==, line);
        qtest_clock_step(rc.qts, 2 * 1000 * 1000);
        g_assert_cmphex(rc_spis_pending(&rc) & line, ==, 0);
    }
    ep_stop(&rc);
}

#define RC_BAR0         0x10000000ULL   /* virt's 32-bit PCIe MMIO window */
#define FAKE_BAR0_SIZE  (1 * MiB)

/*
 * What firmware does for the function: BAR0 at RC_BAR0, the port's memory
 * window over it, Memory Space Enable.
 */
static void rc_assign_bar0(Ep *rc)
{
    QTestState *q = rc->qts;

    /* base and limit: address bits 31:20 in register bits 15:4 */
    qtest_writew(q, ecam(0, RC_PORT, PCI_MEMORY_BASE), RC_BAR0 >> 16);
    qtest_writew(q, ecam(0, RC_PORT, PCI_MEMORY_LIMIT),
                 ((RC_BAR0 + FAKE_BAR0_SIZE - 1) >> 16) & 0xfff0);
    qtest_writel(q, ecam(1, 0, PCI_BASE_ADDRESS_0), RC_BAR0);
    qtest_writew(q, ecam(1, 0, PCI_COMMAND), PCI_COMMAND_MEMORY);
}

/*
 * The fake EP sends a MAP of slot 0, BAR0: with @enable, @size bytes at
 * @offset in the BAR from @fd (-1: no descriptor with it) at @fd_offset;
 * else an unmap.  The RC's completion status.
 */
static PlStatus fake_ep_map(Ep *rc, bool enable, int fd, uint64_t offset,
                            uint64_t size, uint64_t fd_offset)
{
    PlMsg m = { .type = PL_MSG_MAP };

    m.u.map.enable = enable;
    m.u.map.offset = offset;
    m.u.map.size = size;
    m.u.map.fd_offset = fd_offset;
    return peer_request(rc->peer, &m, fd, NULL, 0);
}

/* The file descriptors the QEMU process has open. */
static unsigned qemu_open_fds(QTestState *qts)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd",
                                            (int)qtest_pid(qts));
    GDir *dir = g_dir_open(path, 0, NULL);
    unsigned n = 0;

    g_assert(dir);
    while (g_dir_read_name(dir)) {
        n++;
    }
    g_dir_close(dir);
    return n;
}

/*
 * The RC reads the word at @off of BAR0: @want; and writes one at @off + 4;
 * with @shm the fake EP saw neither (the mapping served them), else one
 * MEM_RD and a 4-byte MEM_WR.
 */
static void rc_bar0_access(Ep *rc, uint64_t off, uint32_t want, bool shm)
{
    PeerStats st;

    peer_take(rc->peer);
    g_assert_cmphex(qtest_readl(rc->qts, RC_BAR0 + off), ==, want);
    qtest_writel(rc->qts, RC_BAR0 + off + 4, 0x600df00d);
    /* a config read: the posted write went before its completion */
    g_assert_cmphex(rc_fn_id(rc), ==, FAKE_EP_ID);
    st = peer_take(rc->peer);
    g_assert_cmpuint(st.reads, ==, shm ? 0 : 1);
    g_assert_cmpuint(st.written, ==, shm ? 0 : 4);
}

/*
 * The RC end of the fast path.  The fake EP maps 64 KiB of a memfd at
 * BAR0 + 0: the RC's loads there read the memfd and its stores land in
 * it, neither reaching the fake EP; past the 64 KiB the BAR stays on
 * messages.  An unmap puts the range back on messages.  Hostile MAPs (no
 * descriptor, offset, size or file offset not in pages, more than the
 * memfd holds, over 16 GiB) are refused with UR, leak no descriptor, and
 * QEMU goes on (the function's config space, its BAR on messages, a good
 * MAP afterwards).  The mapping ends with the connection: after the fake
 * EP reconnects and the function is plugged anew, BAR0 is messages.  It
 * does not end with the function: the guest powering the slot off and on
 * (a new function) finds it in BAR0 again.
 */
static void test_link_fast_path(void)
{
    const uint64_t len = 64 * KiB;
    static const struct {
        bool fd;
        uint64_t offset, size, fd_offset;
    } bad[] = {
        { false, 0, 64 * KiB, 0 },              /* no descriptor */
        { true, 0x800, 64 * KiB, 0 },           /* not in host pages */
        { true, 0, 64 * KiB + 0x800, 0 },
        { true, 0, 64 * KiB, 0x800 },
        { true, 0, 128 * KiB, 0 },              /* more than the memfd */
        { true, 0, 64 * KiB, 64 * KiB },
        { true, 0, 32 * GiB, 0 },               /* over 16 GiB */
    };
    g_autofree uint8_t *pat = pattern(len, 11);
    gint64 deadline;
    unsigned i, fds;
    uint8_t *mem;
    Ep rc;
    int fd;

    fd = memfd_create("dw-edma-test", MFD_CLOEXEC);
    g_assert(fd >= 0);
    g_assert(ftruncate(fd, len) == 0);
    mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert(mem != MAP_FAILED);
    memcpy(mem, pat, len);

    rc_start(&rc, PL_FEAT_SHM);
    g_assert_cmphex(peer_hello_features(rc.peer), ==, PL_FEAT_SHM);
    peer_signal(rc.peer, PL_MSG_LINK, true);
    rc_slot_power(&rc, true);
    rc_wait_fn(&rc, FAKE_EP_ID);
    rc_assign_bar0(&rc);
    rc_bar0_access(&rc, 0x100, 0x5a5a5a5a, false);

    /* hostile MAPs: refused, no descriptor kept, QEMU goes on */
    fds = qemu_open_fds(rc.qts);
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        g_test_message("hostile MAP %u", i);
        g_assert_cmpint(fake_ep_map(&rc, true, bad[i].fd ? fd : -1,
                                    bad[i].offset, bad[i].size,
                                    bad[i].fd_offset), ==, PL_STATUS_UR);
        g_assert_cmpuint(qemu_open_fds(rc.qts), ==, fds);
        rc_bar0_access(&rc, 0x100, 0x5a5a5a5a, false);
    }
    g_assert_true(memcmp(mem, pat, len) == 0);     /* not written */

    /* 64 KiB of the memfd at BAR0 + 0 */
    g_assert_cmpint(fake_ep_map(&rc, true, fd, 0, len, 0), ==, PL_STATUS_SC);
    rc_bar0_access(&rc, 0x100, (uint32_t)ldl_le_p(pat + 0x100), true);
    g_assert_cmphex((uint32_t)ldl_le_p(mem + 0x104), ==, 0x600df00d);
    rc_bar0_access(&rc, len - 8, (uint32_t)ldl_le_p(pat + len - 8), true);
    g_assert_cmphex((uint32_t)ldl_le_p(mem + len - 4), ==, 0x600df00d);
    /* past it: messages */
    rc_bar0_access(&rc, len, 0x5a5a5a5a, false);
    /* a store to the memfd shows at once */
    stl_le_p(mem + 0x200, 0x12345678);
    g_assert_cmphex(qtest_readl(rc.qts, RC_BAR0 + 0x200), ==, 0x12345678);

    /* unmapped: messages again, the memfd untouched */
    g_assert_cmpint(fake_ep_map(&rc, false, -1, 0, 0, 0), ==, PL_STATUS_SC);
    stl_le_p(mem + 0x104, 0);
    rc_bar0_access(&rc, 0x100, 0x5a5a5a5a, false);
    g_assert_cmphex((uint32_t)ldl_le_p(mem + 0x104), ==, 0);

    /* mapped again; then the connection ends, and the mapping with it */
    g_assert_cmpint(fake_ep_map(&rc, true, fd, 0, len, 0), ==, PL_STATUS_SC);
    rc_bar0_access(&rc, 0x100, (uint32_t)ldl_le_p(pat + 0x100), true);
    g_atomic_int_set(&rc.peer->drop, 1);
    peer_wait(&rc, 1, -2);
    deadline = g_get_monotonic_time() + WAIT_US;
    while (rc_fn_id(&rc) != 0xffffffff && again(&rc, deadline)) {
        /* no link up on the new connection yet: the function goes */
    }
    g_assert_cmphex(rc_fn_id(&rc), ==, 0xffffffff);
    peer_signal(rc.peer, PL_MSG_LINK, true);
    rc_wait_fn(&rc, FAKE_EP_ID);
    rc_assign_bar0(&rc);
    stl_le_p(mem + 0x104, 0);
    rc_bar0_access(&rc, 0x100, 0x5a5a5a5a, false);
    g_assert_cmphex((uint32_t)ldl_le_p(mem + 0x104), ==, 0);
    /* and the new connection maps as well */
    g_assert_cmpint(fake_ep_map(&rc, true, fd, 0, len, 0), ==, PL_STATUS_SC);
    rc_bar0_access(&rc, 0x100, (uint32_t)ldl_le_p(pat + 0x100), true);

    /* the mapping is the link's: the function plugged anew gets it */
    rc_slot_power(&rc, false);
    g_assert_cmphex(rc_fn_id(&rc), ==, 0xffffffff);
    rc_slot_power(&rc, true);
    rc_wait_fn(&rc, FAKE_EP_ID);
    rc_assign_bar0(&rc);
    rc_bar0_access(&rc, 0x100, (uint32_t)ldl_le_p(pat + 0x100), true);
    ep_stop(&rc);
    munmap(mem, len);
    close(fd);
}

/* ---- a stopped peer ---- */

/* Reads and counter writes made while the peer is stopped. */
#define STOP_ACCESSES   20
/* The link's timeout in those tests (timeout-ms, link-timeout-ms). */
#define STOP_TIMEOUT_MS 1000
/*
 * What a request waits once one has timed out while the peer stays
 * silent: PL_STALL_MS of hw/pci-ep/pcie-link.h (not for qtests to include).
 */
#define STOP_STALL_MS   100
/*
 * What an access may cost beyond what the link waits for the peer: a
 * qtest round trip and a wake-up on a busy machine, sanitizer build
 * included.  Well below STOP_TIMEOUT_MS - STOP_STALL_MS, so that an access
 * that waits a whole timeout where PL_STALL_MS is due fails.
 */
#define STOP_SLACK_MS   400

/* Fail, naming @what @i, if it took more than @bound_ms (@us taken). */
static void check_cost(const char *what, unsigned i, gint64 us,
                       gint64 bound_ms)
{
    if (us > bound_ms * 1000) {
        g_autofree char *msg =
            g_strdup_printf("%s %u of %u with the peer stopped took %" PRId64
                            " ms, more than the %" PRId64 " ms it may cost",
                            what, i + 1, STOP_ACCESSES, us / 1000, bound_ms);

        g_assertion_message(G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, msg);
    }
}

/*
 * The peer of @q stops (Peer.paused: it reads nothing, answers nothing
 * and keeps the connection, as a QEMU stopped with SIGSTOP does), and @q
 * makes STOP_ACCESSES rounds of a 32-bit read at @rd and a posted 32-bit
 * write of the round's number at @wr (PCI address @wr_pci on the link): a
 * counter.  What each access may cost: the first read
 * completes with all ones after the link's timeout (STOP_TIMEOUT_MS), each
 * later one after STOP_STALL_MS (the peer has stayed silent since), each
 * write at once; each within STOP_SLACK_MS more.  Then the peer continues
 * and gets exactly STOP_ACCESSES MEM_RD and STOP_ACCESSES 4-byte MEM_WR at
 * @wr_pci holding 0, 1, 2, ... in order (none lost, none doubled); its
 * late completions are dropped quietly (the connection stays), and the
 * next read returns @live at once.
 */
static void stopped_peer_accesses(Ep *q, uint64_t rd, uint64_t wr,
                                  uint64_t wr_pci, uint32_t live)
{
    Peer *p = q->peer;
    gint64 t, cost, worst = 0, first = 0, deadline;
    unsigned i, conns, reads, nwr;
    uint32_t v;

    g_mutex_lock(&p->lock);
    conns = p->conns;
    g_mutex_unlock(&p->lock);
    g_assert_cmphex(qtest_readl(q->qts, rd), ==, live);
    peer_take(p);

    peer_pause(p, true);
    for (i = 0; i < STOP_ACCESSES; i++) {
        t = g_get_monotonic_time();
        v = qtest_readl(q->qts, rd);
        cost = g_get_monotonic_time() - t;
        g_assert_cmphex(v, ==, 0xffffffff);
        check_cost("read", i, cost, (i ? STOP_STALL_MS : STOP_TIMEOUT_MS) +
                   STOP_SLACK_MS);
        if (i) {
            worst = MAX(worst, cost);
        } else {
            first = cost;
        }
        t = g_get_monotonic_time();
        qtest_writel(q->qts, wr, i);
        check_cost("write", i, g_get_monotonic_time() - t, STOP_SLACK_MS);
    }
    g_test_message("stopped peer: the first read took %" PRId64 " ms, the "
                   "slowest of the %u others %" PRId64 " ms", first / 1000,
                   STOP_ACCESSES - 1, worst / 1000);

    /* the peer continues: every request is there, once, in order */
    peer_pause(p, false);
    deadline = g_get_monotonic_time() + WAIT_US;
    do {
        g_mutex_lock(&p->lock);
        reads = p->st.reads;
        nwr = p->writes->len;
        g_mutex_unlock(&p->lock);
    } while ((reads < STOP_ACCESSES || nwr < STOP_ACCESSES) &&
             again(q, deadline));
    settle(q);              /* time for one too many to show */
    g_mutex_lock(&p->lock);
    g_assert_cmpuint(p->st.reads, ==, STOP_ACCESSES);
    g_assert_cmpuint(p->writes->len, ==, STOP_ACCESSES);
    for (i = 0; i < STOP_ACCESSES; i++) {
        WrRec *w = &g_array_index(p->writes, WrRec, i);

        g_assert_cmphex(w->addr, ==, wr_pci);
        g_assert_cmpuint(w->size, ==, 4);
        g_assert_cmpuint(w->first4, ==, i);
    }
    g_assert_cmpuint(p->conns, ==, conns);
    g_assert_true(p->hello);
    g_mutex_unlock(&p->lock);
    peer_take(p);

    /* it speaks again: a read costs a round trip, and returns data */
    t = g_get_monotonic_time();
    g_assert_cmphex(qtest_readl(q->qts, rd), ==, live);
    g_assert_cmpint(g_get_monotonic_time() - t, <, STOP_SLACK_MS * 1000);
    g_assert_cmpuint(peer_take(p).reads, ==, 1);
}

/*
 * A stopped EP costs the RC a bounded delay per access and loses none of
 * its posted writes (stopped_peer_accesses): the RC reads and writes BAR0
 * of the function, as test_peer_stopped.py does on the booted pair.
 */
static void test_link_peer_stopped(void)
{
    g_autofree char *props = g_strdup_printf(",timeout-ms=%u",
                                             STOP_TIMEOUT_MS);
    Ep rc;

    rc_start_props(&rc, 0, props);
    peer_signal(rc.peer, PL_MSG_LINK, true);
    rc_slot_power(&rc, true);
    rc_wait_fn(&rc, FAKE_EP_ID);
    rc_assign_bar0(&rc);
    stopped_peer_accesses(&rc, RC_BAR0 + 0x100, RC_BAR0 + 0x200,
                          RC_BAR0 + 0x200, 0x5a5a5a5a);
    ep_stop(&rc);
}

/*
 * And the other way: a stopped RC costs the EP a bounded delay per access
 * through its outbound window, and loses none of its posted writes.
 */
static void test_ep_peer_stopped(void)
{
    g_autofree char *props = g_strdup_printf(",link-timeout-ms=%u",
                                             STOP_TIMEOUT_MS);
    uint32_t live = cpu_to_le32(0x5eed0042);
    Ep ep;

    ep_start(&ep, props, true, true);
    iatu_window(ep.qts, ep.atu, ep.addr_space, 0x10000, PCI_BASE);
    peer_mem(ep.peer, PCI_BASE + 0x100, &live, 4, true);
    stopped_peer_accesses(&ep, ep.addr_space + 0x100, ep.addr_space + 0x200,
                          PCI_BASE + 0x200, 0x5eed0042);
    ep_stop(&ep);
}

/*
 * The fake RC sends a MAP of its RAM (slot @slot, BAR0): with @enable,
 * PCI addresses PCI_BASE.. (@size bytes) are @fd (-1: none sent) from
 * @fd_offset; else an unmap.  The EP's completion status.
 */
static PlStatus fake_rc_map(Ep *ep, unsigned slot, bool enable, int fd,
                            uint64_t size, uint64_t fd_offset)
{
    PlMsg m = { .type = PL_MSG_MAP };

    m.u.map.slot = slot;
    m.u.map.enable = enable;
    m.u.map.offset = enable ? PCI_BASE : 0;
    m.u.map.size = size;
    m.u.map.fd_offset = fd_offset;
    return peer_request(ep->peer, &m, fd, NULL, 0);
}

/*
 * The EP end of the fast path the other way: the fake RC hands over its
 * RAM (a memfd behind PCI_BASE..+1 MiB).  An outbound window onto it is
 * RAM: the EP CPU's stores land in the memfd and its loads read it, with
 * nothing on the link; the eDMA writes and reads it directly too (no
 * MEM_WR, no MEM_RD).  Where a window of a lower index overlaps (it wins,
 * as in the iATU), its target is used, not the RAM.  Hostile MAPs of the
 * RC's RAM (no descriptor, not slot 0, not in pages, more than the memfd
 * holds) get UR and leak no descriptor.  An unmap puts the window and the
 * eDMA back on messages; so does the end of the connection.
 */
static void test_rc_ram(void)
{
    const uint64_t list = EP_RAM + 0x180000;
    uint32_t *ram;
    unsigned fds;
    PeerStats st;
    int fd;
    Ep ep;

    ep_start_full(&ep, SHM_RAM, true, true, true, PL_FEAT_SHM);
    fd = memfd_create("dw-edma-test-rc", MFD_CLOEXEC);
    g_assert(fd >= 0);
    g_assert_cmpint(ftruncate(fd, PCI_SIZE), ==, 0);
    ram = mmap(NULL, PCI_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    g_assert(ram != MAP_FAILED);
    ram[0x104 / 4] = 0x0dd5ea11;

    /* hostile MAPs of the RC's RAM: refused, nothing leaks */
    fds = qemu_open_fds(ep.qts);
    g_assert_cmpint(fake_rc_map(&ep, 0, true, -1, PCI_SIZE, 0), ==,
                    PL_STATUS_UR);
    g_assert_cmpint(fake_rc_map(&ep, 1, true, fd, PCI_SIZE, 0), ==,
                    PL_STATUS_UR);
    g_assert_cmpint(fake_rc_map(&ep, 0, true, fd, PCI_SIZE - 0x800, 0), ==,
                    PL_STATUS_UR);
    g_assert_cmpint(fake_rc_map(&ep, 0, true, fd, 2 * PCI_SIZE, 0), ==,
                    PL_STATUS_UR);
    g_assert_cmpuint(qemu_open_fds(ep.qts), ==, fds);

    /* outbound region 1: addr_space +0..64K -> PCI_BASE, the RC's RAM */
    g_assert_cmpint(fake_rc_map(&ep, 0, true, fd, PCI_SIZE, 0), ==,
                    PL_STATUS_SC);
    iatu_window(ep.qts, ep.atu + IATU_REGION(1), ep.addr_space, 0x10000,
                PCI_BASE);
    peer_take(ep.peer);
    qtest_writel(ep.qts, ep.addr_space + 0x100, 0xfeed0001);
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x104), ==,
                    0x0dd5ea11);
    g_assert_cmphex(ram[0x100 / 4], ==, 0xfeed0001);

    /* the eDMA: EP RAM -> RC RAM and back, directly */
    qtest_memset(ep.qts, EP_RAM + 0x100000, 0x77, 256);
    WR32(&ep, MASK(WR), 0);
    WR32(&ep, MASK(RD), 0);
    block_start_ctrl(&ep, WR, 0, LIE, 256, EP_RAM + 0x100000,
                     PCI_BASE + 0x1000);
    g_assert_cmphex(wait_end(&ep, WR, 0), ==, DONE(0));
    g_assert_cmphex(ram[0x1000 / 4], ==, 0x77777777);
    g_assert_cmphex(ram[(0x1000 + 252) / 4], ==, 0x77777777);
    ram[0x2000 / 4] = 0xabcd1234;
    ll_one(&ep, RD, 0, list, CB | LIE, 256, PCI_BASE + 0x2000,
           EP_RAM + 0x200000);
    g_assert_cmphex(wait_end(&ep, RD, 0), ==, DONE(0));
    g_assert_cmphex(qtest_readl(ep.qts, EP_RAM + 0x200000), ==, 0xabcd1234);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.written, ==, 0);
    g_assert_cmpuint(st.reads + st.urs + st.cas + st.silent, ==, 0);

    /* region 0 over the same CPU range, onto another target: it wins */
    iatu_window(ep.qts, ep.atu + IATU_REGION(0), ep.addr_space, 0x10000,
                PCI_UR);
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x104), ==,
                    0xffffffff);
    st = peer_take(ep.peer);
    g_assert_cmpuint(st.urs, ==, 1);
    qtest_writel(ep.qts, ep.atu + IATU_REGION(0) + A_IATU_CTRL2, 0);   /* off */
    g_assert_cmphex(qtest_readl(ep.qts, ep.addr_space + 0x104), ==,
                    0x0dd5ea11);

    /* unmapped: the window and the eDMA are messages again */
    g_assert_cmpint(fake_rc_map(&ep, 0, false, -1, 0, 0), ==, PL_STATUS_SC);
    peer_take(ep.peer);
    qtest_writel(ep.qts, ep.addr_space + 0x100, 0xfeed0002);
    wait_written(&ep, 4);
    g_assert_cmphex(ram[0x100 / 4], ==, 0xfeed0001);
    block_start_ctrl(&ep, WR, 0, LIE, 256, EP_RAM + 0x100000,
                     PCI_BASE + 0x3000);
    g_assert_cmphex(wait_end(&ep, WR, 0), ==, DONE(0));
    wait_written(&ep, 4 + 256);
    g_assert_cmphex(ram[0x3000 / 4], ==, 0);

    /* mapped again, then the connection ends: messages again */
    g_assert_cmpint(fake_rc_map(&ep, 0, true, fd, PCI_SIZE, 0), ==,
                    PL_STATUS_SC);
    qtest_writel(ep.qts, ep.addr_space + 0x100, 0xfeed0003);
    g_assert_cmphex(ram[0x100 / 4], ==, 0xfeed0003);
    g_atomic_int_set(&ep.peer->drop, 1);
    peer_wait(&ep, 1, 1);
    /* the new RC enables the function (the link reset undid COMMAND) */
    rc_cfg_write(&ep, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    peer_take(ep.peer);
    qtest_writel(ep.qts, ep.addr_space + 0x100, 0xfeed0004);
    wait_written(&ep, 4);
    g_assert_cmphex(ram[0x100 / 4], ==, 0xfeed0003);
    munmap(ram, PCI_SIZE);
    close(fd);
    ep_stop(&ep);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/dw-edma/registers", test_registers);
    qtest_add_func("/dw-edma/regs-table", test_regs_table);
    qtest_add_func("/dw-edma/irq-emulation", test_irq_emulation);
    qtest_add_func("/dw-edma/ll-write", test_ll_write);
    qtest_add_func("/dw-edma/ll-read", test_ll_read);
    qtest_add_func("/dw-edma/abort", test_abort);
    qtest_add_func("/dw-edma/int-mask", test_int_mask);
    qtest_add_func("/dw-edma/imwr", test_imwr);
    qtest_add_func("/dw-edma/non-ll", test_non_ll);
    qtest_add_func("/dw-edma/no-link", test_no_link);
    qtest_add_func("/dw-pcie-ep/outbound-over-link", test_outbound_over_link);
    qtest_add_func("/dw-pcie-ep/rebar-hostile", test_rebar_hostile);
    qtest_add_func("/dw-edma/wrap", test_wrap);
    qtest_add_func("/dw-edma/ll-loop-data", test_ll_loop_data);
    qtest_add_func("/dw-pcie-ep/link-reset-config", test_link_reset_config);
    qtest_add_func("/dw-pcie-ep/system-reset", test_system_reset);
    qtest_add_func("/dw-pcie-ep/command-gating", test_command_gating);
    qtest_add_func("/pci-ep-link/slot-power", test_slot_power);
    qtest_add_func("/pci-ep-link/intx-hold", test_intx_hold);
    qtest_add_func("/dw-pcie-ep/rc-ram", test_rc_ram);
    qtest_add_func("/dw-pcie-ep/fast-path", test_fast_path);
    qtest_add_func("/dw-pcie-ep/fast-path-off", test_fast_path_off);
    qtest_add_func("/dw-pcie-ep/fast-path-memory", test_fast_path_memory);
    qtest_add_func("/pci-ep-link/fast-path", test_link_fast_path);
    qtest_add_func("/pci-ep-link/peer-stopped", test_link_peer_stopped);
    qtest_add_func("/dw-pcie-ep/peer-stopped", test_ep_peer_stopped);
    qtest_add_func("/dw-pcie-ep/cfg-during-read", test_cfg_during_read);
    qtest_add_func("/dw-pcie-ep/window-moves", test_window_moves);
    qtest_add_func("/dw-pcie-ep/loopback-refused", test_loopback_refused);
    qtest_add_func("/dw-pcie-ep/doorbell-during-read",
                   test_doorbell_during_read);
    qtest_add_func("/dw-pcie-ep/link-flood", test_link_flood);
    qtest_add_func("/dw-pcie-ep/link-trickle", test_link_trickle);
    qtest_add_func("/dw-pcie-ep/link-fuzz", test_link_fuzz);
    return g_test_run();
}
