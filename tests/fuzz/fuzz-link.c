/*
 * Fuzz target: the link layer (qemu/hw/pci-ep/pcie-link.c), two PcieLinks
 * over a socketpair, the way both QEMUs run them: each link with its own
 * I/O thread and a socket chardev of QEMU's, requests made from the main
 * thread with a real BQL held (released while they wait, as a vCPU's are).
 *
 * Each input sets up a fresh pair (A as the endpoint, B as the root
 * complex), waits for both HELLOs, runs a script of operations from the
 * input and tears the pair down.  The input is cut in three: the script,
 * then what A's request handler answers, then what B's answers.  The
 * operations, on either side: config reads and writes, memory reads (one
 * message, or split over up to PL_READ_WINDOW), asynchronous memory reads,
 * memory writes, INTx, LINK, MAP with a memfd, raw bytes written to the
 * chardev (a hostile peer: anything after them may be garbage), and a
 * disconnect.  The handlers answer with statuses and data taken from the
 * input.
 *
 * Invariants (a broken one aborts, and libFuzzer keeps the input):
 *   - every blocking request returns within 3 s (the links' timeout is
 *     TIMEOUT_MS; a hang is a bug);
 *   - while no raw bytes were sent, a read that completed with SC returns
 *     the data the peer's handler produced, and a write arrives with the
 *     data that was sent;
 *   - a MAP handler gets a descriptor exactly when the MAP carried one;
 *   - every asynchronous read's callback runs exactly once, before the
 *     pair is torn down;
 *   - after teardown no file descriptor is left open;
 *   - and ASan/UBSan (clang) find nothing.
 *
 * Built by tests/fuzz/build.sh against an existing QEMU build (the link
 * needs QEMU's chardev, QOM, I/O thread and main-loop code), not with the
 * include shim of the other targets.
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/config-file.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qemu/option.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
#include "chardev/char.h"
#include "chardev/char-fe.h"
#include "system/system.h"
#include "hw/pci-ep/pcie-link.h"

#include "fuzz-common.h"

#define TIMEOUT_MS      100
#define MAX_OPS         48
#define HANG_NS         (3 * NANOSECONDS_PER_SECOND)

/* ---- a real BQL for the link code (QEMU's tools have a stub) ---- */

static QemuMutex bql;
static __thread bool bql_held;

bool bql_locked(void)
{
    return bql_held;
}

void bql_lock_impl(const char *file, int line)
{
    qemu_mutex_lock(&bql);
    bql_held = true;
}

void bql_unlock(void)
{
    FUZZ_CHECK(bql_held);
    bql_held = false;
    qemu_mutex_unlock(&bql);
}

void bql_block_unlock(bool increase)
{
}

void rust_bql_mock_lock(void)
{
}

/* ---- one side of the pair ---- */

typedef struct Side {
    char name[16];
    PcieLink link;
    CharBackend be;
    bool reported;          /* connected(true) seen, not undone */
    FuzzInput answers;      /* what this side's handler answers */
    /* the last answer this side's handler gave (BQL) */
    PlStatus last_status;
    uint8_t last_seed;
    unsigned handled;
    bool wr_bad;            /* a write arrived with other data */
    bool map_bad;           /* a MAP's descriptor did not match */
} Side;

static Side sides[2];
static bool dirty;          /* raw bytes sent: anything may arrive now */
static unsigned async_sent, async_done;

static uint8_t pattern(uint8_t seed, size_t i)
{
    return seed + 37 * i;
}

static PlStatus answer_status(Side *s)
{
    uint8_t r = fuzz_u8(&s->answers);

    return r < 200 ? PL_STATUS_SC : r < 230 ? PL_STATUS_UR : PL_STATUS_CA;
}

static PlStatus side_request(void *opaque, const PlMsg *req, uint8_t *data)
{
    Side *s = opaque;
    PlStatus st = answer_status(s);
    size_t i, n = 0;
    int fd;

    FUZZ_CHECK(bql_locked());
    s->handled++;
    s->last_status = st;
    s->last_seed = fuzz_u8(&s->answers);
    switch (req->type) {
    case PL_MSG_CFG_RD:
        n = req->u.cfg.size;
        break;
    case PL_MSG_MEM_RD:
        n = req->u.mem.size;
        break;
    case PL_MSG_MEM_WR:
        for (i = 0; i < req->u.mem.size; i++) {
            if (req->u.mem.data[i] != pattern(req->u.mem.addr, i)) {
                s->wr_bad = true;
            }
        }
        break;
    case PL_MSG_MAP:
        fd = pcie_link_take_fd(&s->link);
        if ((fd >= 0) != !!req->u.map.enable) {
            s->map_bad = true;
        }
        if (fd >= 0) {
            close(fd);
        }
        break;
    default:
        break;
    }
    for (i = 0; i < n; i++) {
        data[i] = pattern(s->last_seed, i);
    }
    return st;
}

static void side_link_state(void *opaque, bool up)
{
    FUZZ_CHECK(bql_locked());
}

static void side_connected(void *opaque, bool connected)
{
    Side *s = opaque;

    FUZZ_CHECK(bql_locked());
    s->reported = connected;
}

static const PcieLinkOps side_ops = {
    .request = side_request,
    .link_state = side_link_state,
    .connected = side_connected,
};

/* ---- the pair ---- */

static int open_fds(void)
{
    GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
    int n = 0;

    FUZZ_CHECK(d);
    while (g_dir_read_name(d)) {
        n++;
    }
    g_dir_close(d);
    return n;
}

/* Run the main loop, BQL released, until @done() or @ns pass. */
static bool wait_until(bool (*done)(void), int64_t ns)
{
    int64_t end = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + ns;

    while (!done()) {
        if (qemu_clock_get_ns(QEMU_CLOCK_REALTIME) > end) {
            return false;
        }
        bql_unlock();
        g_usleep(200);
        bql_lock();
        main_loop_wait(true);
    }
    return true;
}

static bool both_connected(void)
{
    return sides[0].reported && sides[1].reported;
}

static bool async_all_done(void)
{
    return async_done == async_sent;
}

static void side_open(Side *s, unsigned idx, int fd, uint32_t features,
                      const uint8_t *answers, size_t len)
{
    static unsigned serial;
    g_autofree char *opt = NULL;
    Error *err = NULL;
    QemuOpts *opts;
    Chardev *chr;

    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "fz%c%u", 'a' + idx, serial++ % 1000);
    s->answers = (FuzzInput){ answers, len };
    opt = g_strdup_printf("socket,id=%s,fd=%d", s->name, fd);
    opts = qemu_opts_parse_noisily(qemu_find_opts("chardev"), opt, true);
    FUZZ_CHECK(opts);
    chr = qemu_chr_new_from_opts(opts, NULL, &err);
    qemu_opts_del(opts);
    if (!chr) {
        error_report_err(err);
        FUZZ_CHECK(chr);
    }
    FUZZ_CHECK(qemu_chr_fe_init(&s->be, chr, &err));
    if (!pcie_link_init(&s->link, &s->be, idx ? PL_ROLE_RC : PL_ROLE_EP,
                        s->name, TIMEOUT_MS, features, &side_ops, s, &err)) {
        error_report_err(err);
        FUZZ_CHECK(false);
    }
}

static void side_close(Side *s)
{
    pcie_link_cleanup(&s->link);
    qemu_chr_fe_deinit(&s->be, true);
}

/* ---- the operations ---- */

static int64_t started;

static void begin(void)
{
    started = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
}

static void end(void)
{
    FUZZ_CHECK(qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - started < HANG_NS);
}

/* A read completed: check its data against what the peer answered. */
static void check_read(Side *peer, PlStatus st, const uint8_t *buf, size_t n,
                       bool one_message)
{
    size_t i;

    if (st != PL_STATUS_SC) {
        for (i = 0; i < n; i++) {
            FUZZ_CHECK(buf[i] == 0xff);
        }
        return;
    }
    if (dirty || !one_message) {
        return;
    }
    FUZZ_CHECK(peer->last_status == PL_STATUS_SC);
    for (i = 0; i < n; i++) {
        FUZZ_CHECK(buf[i] == pattern(peer->last_seed, i));
    }
}

static void async_cb(void *opaque, PlStatus st, const uint8_t *data,
                     uint32_t size)
{
    uint32_t *expect = opaque;
    uint32_t i;

    FUZZ_CHECK(bql_locked());
    FUZZ_CHECK(size == *expect);
    if (st != PL_STATUS_SC) {
        for (i = 0; i < size; i++) {
            FUZZ_CHECK(data[i] == 0xff);
        }
    }
    g_free(expect);
    async_done++;
}

static void run_op(FuzzInput *in)
{
    uint8_t op = fuzz_u8(in);
    Side *s = &sides[op & 1], *peer = &sides[!(op & 1)];
    static uint8_t buf[PL_READ_WINDOW * PL_MAX_PAYLOAD];
    uint8_t bar = fuzz_u8(in) % 8;     /* 6, 7: no BAR (address routed) */
    uint64_t addr = fuzz_u64(in);
    uint32_t val = 0, size;
    PlStatus st;
    size_t i;

    if (bar > 5) {
        bar = PL_BAR_NONE;
    }
    switch ((op >> 1) % 10) {
    case 0: {                           /* CFG_RD */
        uint8_t sz = 1 << (fuzz_u8(in) % 3);

        begin();
        st = pcie_link_cfg_read(&s->link, (addr % 4096) & ~(sz - 1), sz, &val);
        end();
        check_read(peer, st, (uint8_t *)&val, sz, true);
        break;
    }
    case 1:                             /* CFG_WR */
        begin();
        pcie_link_cfg_write(&s->link, (addr % 1024) * 4, 4, fuzz_u32(in));
        end();
        break;
    case 2:                             /* MEM_RD, maybe split */
        size = fuzz_u16(in) % sizeof(buf) + 1;
        if (fuzz_u8(in) & 1) {
            size = size % PL_MAX_PAYLOAD + 1;
        }
        memset(buf, 0x5a, size);
        begin();
        st = pcie_link_mem_read(&s->link, bar, addr, buf, size);
        end();
        check_read(peer, st, buf, size, size <= PL_MAX_PAYLOAD);
        break;
    case 3: {                           /* asynchronous MEM_RD */
        uint32_t *expect = g_new(uint32_t, 1);

        *expect = fuzz_u16(in) % sizeof(buf) + 1;
        if (pcie_link_mem_read_async(&s->link, bar, addr, *expect, async_cb,
                                     expect)) {
            async_sent++;
        } else {
            g_free(expect);
        }
        break;
    }
    case 4:                             /* MEM_WR */
        size = fuzz_u16(in) % (3 * PL_MAX_PAYLOAD) + 1;
        for (i = 0; i < size; i++) {
            /* each message starts a pattern at its own address */
            buf[i] = pattern(addr + (i / PL_MAX_PAYLOAD) * PL_MAX_PAYLOAD,
                             i % PL_MAX_PAYLOAD);
        }
        begin();
        pcie_link_mem_write(&s->link, bar, addr, buf, size);
        end();
        break;
    case 5:
        pcie_link_intx(&s->link, fuzz_u8(in) % 4, fuzz_u8(in) & 1);
        break;
    case 6:
        pcie_link_send_state(&s->link, fuzz_u8(in) & 1);
        break;
    case 7: {                           /* MAP, with a memfd or without */
        PlMsg m = { .type = PL_MSG_MAP };
        int fd = -1;

        m.u.map.bar = bar == PL_BAR_NONE ? 0 : bar;
        m.u.map.slot = fuzz_u8(in) % PL_MAP_SLOTS;
        m.u.map.enable = fuzz_u8(in) & 1;
        if (m.u.map.enable) {
            m.u.map.offset = (addr & 0xffff) << 12;
            m.u.map.size = 4096;
            fd = memfd_create("fuzz-link", MFD_CLOEXEC);
            FUZZ_CHECK(fd >= 0);
            FUZZ_CHECK(ftruncate(fd, 4096) == 0);
        }
        begin();
        pcie_link_map(&s->link, &m, fd);
        end();
        if (fd >= 0) {
            close(fd);
        }
        break;
    }
    case 8: {                           /* raw bytes: a hostile peer */
        size = fuzz_u8(in) % 64 + 1;
        for (i = 0; i < size; i++) {
            buf[i] = fuzz_u8(in);
        }
        dirty = true;
        qemu_chr_fe_write_all(&s->be, buf, size);
        break;
    }
    case 9:
        if (fuzz_u8(in) < 16) {         /* rarely: it ends the input's link */
            qemu_chr_fe_disconnect(&s->be);
        }
        break;
    }
    main_loop_wait(true);
}

static void init_once(void)
{
    static bool done;
    sigset_t alrm;

    if (done) {
        return;
    }
    done = true;
    qemu_mutex_init(&bql);
    bql_lock();
    qemu_init_main_loop(&error_abort);
    module_call_init(MODULE_INIT_TRACE);
    module_call_init(MODULE_INIT_QOM);
    qemu_add_opts(&qemu_chardev_opts);
    /* as QEMU does: a closed peer is an error return, not a signal */
    signal(SIGPIPE, SIG_IGN);
    /* QEMU's main loop blocks SIGALRM; libFuzzer's -timeout needs it */
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_UNBLOCK, &alrm, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t third = size / 3;
    FuzzInput script = { data, third };
    uint8_t flags;
    int sv[2], fds, n;

    init_once();
    fds = open_fds();
    flags = fuzz_u8(&script);
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    dirty = false;
    async_sent = async_done = 0;
    side_open(&sides[0], 0, sv[0], flags & 1 ? PL_FEAT_SHM : 0,
              data + third, third);
    side_open(&sides[1], 1, sv[1], flags & 2 ? PL_FEAT_SHM : 0,
              data + 2 * third, size - 2 * third);
    FUZZ_CHECK(wait_until(both_connected, HANG_NS));
    for (n = 0; n < MAX_OPS && script.left; n++) {
        run_op(&script);
    }
    FUZZ_CHECK(wait_until(async_all_done, HANG_NS));
    if (!dirty) {
        FUZZ_CHECK(!sides[0].wr_bad && !sides[1].wr_bad);
        FUZZ_CHECK(!sides[0].map_bad && !sides[1].map_bad);
    }
    side_close(&sides[0]);
    side_close(&sides[1]);
    main_loop_wait(true);
    FUZZ_CHECK(open_fds() == fds);
    return 0;
}
