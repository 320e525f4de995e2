/*
 * qtest for the injected link faults (docs/link-faults.md) of dw-pcie-ep
 * (the EP end) and pci-ep-link (the RC end): each x-fault-* property's
 * bad values refused with their error text, its value read back, and
 * its effect seen from the other end of the link, which the test plays
 * itself (a unix socket server speaking pcie-link-proto.h from a thread,
 * as dw-edma-test.c does; this one is smaller: one request in flight,
 * every message logged).
 *
 * Copyright (c) 2026 The dwc-pcie-ep authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/un.h>
#include <poll.h>
#include "qemu/bswap.h"
#include "hw/pci/pci_regs.h"
#include "libqtest.h"
#include "qapi/error.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "dw-pcie-ep-qtest.h"
#include "hw/pci-ep/dw-pcie-ep-regs.h"
#include "hw/pci-ep/pcie-link-proto.h"

#define WAIT_US         (5 * G_USEC_PER_SEC)
#define EP_RAM          0x40000000ULL
#define BAR0            0x10000000ULL   /* the PCI address the RC gives */
#define MSI_PAGE        0x8090000ULL    /* outbound region 0 goes here */
#define MSI_ADDR        (MSI_PAGE + 0x40)   /* the RC's MSI address */
#define MSIX_ADDR       (MSI_PAGE + 0x44)   /* an MSI-X entry's */
#define OTHER_ADDR      0x80001000ULL   /* a plain write (region 1) */
#define FAKE_EP_ID      0xb500104cu
#define RC_ECAM         0x3f000000ULL   /* virt, highmem-ecam=off */
#define RC_PORT         (2 << 3)        /* devfn of the pcie-root-port */
#define RC_RAM          0x40000000ULL

/* A memory write the test's side received. */
typedef struct Wr {
    uint64_t addr;
    uint32_t val;
} Wr;

typedef struct Peer {
    int lfd, fd;
    int stop;               /* atomic */
    bool ep_role;           /* plays the EP (for pci-ep-link), else the RC */
    GThread *thread;
    GMutex send_lock;
    GMutex lock;            /* everything below */
    GCond cond;
    bool hello;
    int link_up;            /* last LINK received: up, -1 before any */
    int link_perst;         /* and its perst */
    unsigned links;         /* LINK messages received */
    GArray *writes;         /* Wr */
    uint8_t cfg[PL_CFG_SPACE];          /* as the EP: config space */
    uint8_t cfg_wmask[PL_CFG_SPACE];
    uint32_t cpl_tag;       /* the one request in flight, 0: none */
    bool cpl_done;
    uint8_t cpl_status;
    uint32_t cpl_len;
    uint8_t cpl_data[PL_MAX_PAYLOAD];
    uint32_t next_tag;
    char *err;
} Peer;

typedef struct Side {
    QTestState *qts;
    Peer *peer;
    char *dir, *path;
    uint64_t app, atu, addr_space, dbi, dbi2;
} Side;

static void peer_send(Peer *p, const PlMsg *m)
{
    uint8_t buf[PL_MAX_MSG];
    size_t len = pl_encode(m, buf, sizeof(buf)), off = 0;

    g_assert(len);
    g_mutex_lock(&p->send_lock);
    while (p->fd >= 0 && off < len) {
        ssize_t n = send(p->fd, buf + off, len - off, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        off += n;
    }
    g_mutex_unlock(&p->send_lock);
}

/* As the EP: a LINK from the RC is answered as a trained EP does. */
static void fake_ep_link(Peer *p, const PlMsg *m)
{
    PlMsg up = { .type = PL_MSG_LINK };

    up.u.link.up = m->u.link.up;
    peer_send(p, &up);
}

/* One message from QEMU; true if *cpl goes back.  Lock held. */
static bool peer_handle(Peer *p, const PlMsg *m, PlMsg *cpl, uint8_t *data)
{
    Wr w = { .addr = m->u.mem.addr };
    unsigned i;

    *cpl = (PlMsg) { .type = PL_MSG_CPL, .tag = m->tag };
    switch (m->type) {
    case PL_MSG_HELLO:
        p->hello = true;
        return false;
    case PL_MSG_LINK:
        p->link_up = m->u.link.up;
        p->link_perst = m->u.link.perst;
        p->links++;
        return false;
    case PL_MSG_MEM_WR:
        for (i = 0; i < MIN(4, m->u.mem.size); i++) {
            w.val |= (uint32_t)m->u.mem.data[i] << (8 * i);
        }
        g_array_append_val(p->writes, w);
        return false;
    case PL_MSG_MEM_RD:
        memset(data, 0x5a, m->u.mem.size);
        cpl->u.cpl.data = data;
        cpl->u.cpl.len = m->u.mem.size;
        return true;
    case PL_MSG_CFG_RD:
        for (i = 0; i < m->u.cfg.size; i++) {
            data[i] = p->cfg[m->u.cfg.offset + i];
        }
        cpl->u.cpl.data = data;
        cpl->u.cpl.len = m->u.cfg.size;
        return true;
    case PL_MSG_CFG_WR:
        for (i = 0; i < m->u.cfg.size; i++) {
            uint8_t b = m->u.cfg.data >> (8 * i);
            uint8_t msk = p->cfg_wmask[m->u.cfg.offset + i];

            p->cfg[m->u.cfg.offset + i] =
                (p->cfg[m->u.cfg.offset + i] & ~msk) | (b & msk);
        }
        return true;
    case PL_MSG_CPL:
        if (!p->cpl_tag || m->tag != p->cpl_tag) {
            if (!p->err) {
                p->err = g_strdup("completion for no request");
            }
            return false;
        }
        p->cpl_status = m->status;
        p->cpl_len = m->u.cpl.len;
        if (m->u.cpl.len) {     /* a UR/CA completion carries no data */
            memcpy(p->cpl_data, m->u.cpl.data, m->u.cpl.len);
        }
        p->cpl_done = true;
        return false;
    default:
        return false;       /* MAP is not offered; INTX not looked at */
    }
}

/* Serve one connection until stop or QEMU closes it. */
static void peer_serve(Peer *p)
{
    size_t cap = 4 * PL_MAX_MSG, len = 0;
    g_autofree uint8_t *rx = g_malloc(cap);
    uint8_t data[PL_MAX_PAYLOAD];
    struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
    PlMsg m, cpl;
    int r;

    while (!g_atomic_int_get(&p->stop)) {
        ssize_t n;

        if (poll(&pfd, 1, 20) <= 0) {
            continue;
        }
        n = recv(p->fd, rx + len, cap - len, 0);
        if (n <= 0) {
            return;
        }
        len += n;
        while ((r = pl_decode(rx, len, &m)) != PL_NEED_MORE) {
            bool reply;

            g_assert_cmpint(r, >, 0);
            g_mutex_lock(&p->lock);
            reply = peer_handle(p, &m, &cpl, data);
            if (p->ep_role && m.type == PL_MSG_LINK) {
                fake_ep_link(p, &m);
            }
            g_cond_broadcast(&p->cond);
            g_mutex_unlock(&p->lock);
            if (reply) {
                peer_send(p, &cpl);
            }
            len -= r;
            memmove(rx, rx + r, len);
        }
    }
}

static gpointer peer_run(gpointer opaque)
{
    Peer *p = opaque;
    PlMsg hello = { .type = PL_MSG_HELLO };
    struct pollfd pfd = { .fd = p->lfd, .events = POLLIN };

    hello.u.hello.magic = PL_MAGIC;
    hello.u.hello.version = PL_VERSION;
    hello.u.hello.role = p->ep_role ? PL_ROLE_EP : PL_ROLE_RC;
    hello.u.hello.max_payload = PL_MAX_PAYLOAD;
    while (!g_atomic_int_get(&p->stop)) {
        int fd;

        if (poll(&pfd, 1, 20) <= 0) {
            continue;
        }
        fd = accept(p->lfd, NULL, NULL);
        g_assert(fd >= 0);
        g_mutex_lock(&p->send_lock);
        p->fd = fd;
        g_mutex_unlock(&p->send_lock);
        peer_send(p, &hello);
        peer_serve(p);
        g_mutex_lock(&p->send_lock);
        close(p->fd);
        p->fd = -1;
        g_mutex_unlock(&p->send_lock);
        g_mutex_lock(&p->lock);
        p->hello = false;
        p->link_up = -1;
        g_mutex_unlock(&p->lock);
    }
    return NULL;
}

static Peer *peer_new(Side *s, bool ep_role)
{
    Peer *p = g_new0(Peer, 1);

    p->lfd = link_listen("dw-pcie-ep-fault-XXXXXX", &s->dir, &s->path);
    p->fd = -1;
    p->link_up = -1;
    p->ep_role = ep_role;
    p->writes = g_array_new(false, true, sizeof(Wr));
    g_mutex_init(&p->lock);
    g_mutex_init(&p->send_lock);
    g_cond_init(&p->cond);
    if (ep_role) {
        /* 104c:b500, BAR0 32-bit 1 MiB, INTA */
        stl_le_p(p->cfg + PCI_VENDOR_ID, FAKE_EP_ID);
        stl_le_p(p->cfg + PCI_CLASS_REVISION, 0xff000000);
        p->cfg[PCI_INTERRUPT_PIN] = 1;
        stw_le_p(p->cfg_wmask + PCI_COMMAND, 0x0547);
        stl_le_p(p->cfg_wmask + PCI_BASE_ADDRESS_0, 0xfff00000);
    }
    s->peer = p;
    p->thread = g_thread_new("fault-peer", peer_run, p);
    return p;
}

static void side_stop(Side *s)
{
    Peer *p = s->peer;

    qtest_quit(s->qts);
    g_atomic_int_set(&p->stop, 1);
    g_thread_join(p->thread);
    g_assert_cmpstr(p->err, ==, NULL);
    if (p->fd >= 0) {
        close(p->fd);
    }
    close(p->lfd);
    unlink(s->path);
    rmdir(s->dir);
    g_array_free(p->writes, true);
    g_mutex_clear(&p->lock);
    g_mutex_clear(&p->send_lock);
    g_cond_clear(&p->cond);
    g_free(p);
    g_free(s->dir);
    g_free(s->path);
}

/* Wait (bounded) until the last LINK from QEMU says @up, @perst. */
static void peer_wait_link(Side *s, int up, int perst)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    Peer *p = s->peer;
    bool ok;

    g_mutex_lock(&p->lock);
    while (!(ok = p->hello && p->link_up == up && p->link_perst == perst) &&
           g_cond_wait_until(&p->cond, &p->lock, deadline)) {
        /* woken by every message */
    }
    g_mutex_unlock(&p->lock);
    if (!ok) {
        g_test_message("the other end's last LINK: up %d perst %d, wanted "
                       "up %d perst %d", p->link_up, p->link_perst, up,
                       perst);
    }
    g_assert_true(ok);
}

/* Wait (bounded) until @n LINK messages have come from QEMU in all. */
static void wait_links(Side *s, unsigned n)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    Peer *p = s->peer;

    g_mutex_lock(&p->lock);
    while (p->links < n && g_cond_wait_until(&p->cond, &p->lock, deadline)) {
        /* woken by every message */
    }
    g_mutex_unlock(&p->lock);
    g_assert_cmpuint(p->links, >=, n);
}

/*
 * Send the non-posted @m with a fresh tag; wait up to @wait_us for its
 * completion.  Returns its status, or -1 when none came in time.
 */
static int peer_request(Peer *p, PlMsg *m, void *data, uint32_t size,
                        gint64 wait_us)
{
    gint64 deadline = g_get_monotonic_time() + wait_us;
    int st = -1;

    g_mutex_lock(&p->lock);
    if (++p->next_tag == 0) {
        p->next_tag = 1;
    }
    m->tag = p->cpl_tag = p->next_tag;
    p->cpl_done = false;
    g_mutex_unlock(&p->lock);
    peer_send(p, m);
    g_mutex_lock(&p->lock);
    while (!p->cpl_done && g_cond_wait_until(&p->cond, &p->lock, deadline)) {
        /* woken by every message */
    }
    if (p->cpl_done) {
        st = p->cpl_status;
        if (st == PL_STATUS_SC && size) {
            g_assert_cmpuint(p->cpl_len, ==, size);
            memcpy(data, p->cpl_data, size);
        }
    }
    p->cpl_tag = 0;
    g_mutex_unlock(&p->lock);
    return st;
}

static uint32_t cfg_read(Peer *p, uint16_t off)
{
    PlMsg m = { .type = PL_MSG_CFG_RD };
    uint8_t b[4];

    m.u.cfg.offset = off;
    m.u.cfg.size = 4;
    g_assert_cmpint(peer_request(p, &m, b, 4, WAIT_US), ==, PL_STATUS_SC);
    return ldl_le_p(b);
}

static void cfg_write(Peer *p, uint16_t off, uint32_t val)
{
    PlMsg m = { .type = PL_MSG_CFG_WR };

    m.u.cfg.offset = off;
    m.u.cfg.size = 4;
    m.u.cfg.data = val;
    g_assert_cmpint(peer_request(p, &m, NULL, 0, WAIT_US), ==, PL_STATUS_SC);
}

/* A 4-byte MEM_RD (BAR @bar, or PL_BAR_NONE) waited for @wait_us. */
static int mem_read(Peer *p, uint8_t bar, uint64_t addr, uint32_t *val,
                    gint64 wait_us)
{
    PlMsg m = { .type = PL_MSG_MEM_RD };
    uint8_t b[4];
    int st;

    m.u.mem.addr = addr;
    m.u.mem.size = 4;
    m.u.mem.bar = bar;
    st = peer_request(p, &m, b, 4, wait_us);
    *val = st == PL_STATUS_SC ? ldl_le_p(b) : 0xffffffff;
    return st;
}

static void mem_write(Peer *p, uint8_t bar, uint64_t addr, uint32_t val)
{
    PlMsg m = { .type = PL_MSG_MEM_WR };
    uint8_t b[4];

    stl_le_p(b, val);
    m.u.mem.addr = addr;
    m.u.mem.size = 4;
    m.u.mem.bar = bar;
    m.u.mem.data = b;
    peer_send(p, &m);
}

static void send_link(Peer *p, bool up, bool perst)
{
    PlMsg m = { .type = PL_MSG_LINK };

    m.u.link.up = up;
    m.u.link.perst = perst;
    peer_send(p, &m);
}

/* The writes received so far at @addr; the log is cleared. */
static unsigned writes_to(Peer *p, uint64_t addr)
{
    unsigned i, n = 0;

    g_mutex_lock(&p->lock);
    for (i = 0; i < p->writes->len; i++) {
        n += g_array_index(p->writes, Wr, i).addr == addr;
    }
    g_array_set_size(p->writes, 0);
    g_mutex_unlock(&p->lock);
    return n;
}

/* Wait (bounded) for a write of @val at @addr: those before it came. */
static void wait_write(Side *s, uint64_t addr, uint32_t val)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    Peer *p = s->peer;
    bool seen = false;
    unsigned i;

    g_mutex_lock(&p->lock);
    while (!seen) {
        for (i = 0; i < p->writes->len && !seen; i++) {
            Wr *w = &g_array_index(p->writes, Wr, i);

            seen = w->addr == addr && w->val == val;
        }
        if (!seen && !g_cond_wait_until(&p->cond, &p->lock, deadline)) {
            break;
        }
    }
    g_mutex_unlock(&p->lock);
    g_assert_true(seen);
}

/* ---- QOM ---- */

/* qom-set @prop of @path to the JSON @json: the error text, or NULL. */
static char *qom_set(QTestState *qts, const char *path, const char *prop,
                     const char *json)
{
    QObject *val = qobject_from_json(json, &error_abort);
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-set', 'arguments': "
                           "{'path': %s, 'property': %s, 'value': %p}}",
                           path, prop, val);
    char *err = NULL;

    if (qdict_haskey(rsp, "error")) {
        err = g_strdup(qdict_get_str(qdict_get_qdict(rsp, "error"), "desc"));
    }
    qobject_unref(rsp);
    return err;
}

static void qom_ok(QTestState *qts, const char *path, const char *prop,
                   const char *json)
{
    g_autofree char *err = qom_set(qts, path, prop, json);

    g_assert_cmpstr(err, ==, NULL);
}

/* qom-set @json is refused with an error that contains @want. */
static void qom_refused(QTestState *qts, const char *path, const char *prop,
                        const char *json, const char *want)
{
    g_autofree char *err = qom_set(qts, path, prop, json);

    g_assert_nonnull(err);
    if (!strstr(err, want)) {
        g_test_message("qom-set %s %s: '%s' does not say '%s'", prop, json,
                       err, want);
    }
    g_assert_nonnull(strstr(err, want));
}

/* qom-get of a string property. */
static char *qom_str(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': %s}}", path, prop);
    char *s = g_strdup(qdict_get_str(rsp, "return"));

    qobject_unref(rsp);
    return s;
}

static int64_t qom_int(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': %s}}", path, prop);
    int64_t v = qdict_get_int(rsp, "return");

    qobject_unref(rsp);
    return v;
}

static bool qom_bool(QTestState *qts, const char *path, const char *prop)
{
    QDict *rsp = qtest_qmp(qts, "{'execute': 'qom-get', 'arguments': "
                           "{'path': %s, 'property': %s}}", path, prop);
    bool v = qdict_get_bool(rsp, "return");

    qobject_unref(rsp);
    return v;
}

static void check_str(QTestState *qts, const char *path, const char *prop,
                      const char *want)
{
    g_autofree char *got = qom_str(qts, path, prop);

    g_assert_cmpstr(got, ==, want);
}

#define EP_PATH     "/machine/peripheral/ep"
#define RC_PATH     "/machine/peripheral/link"

/* ---- the EP QEMU ---- */

/*
 * Start an EP QEMU (qemu face, id "ep") linked to our fake RC; with
 * @train, LTSSM_EN set, LINK up awaited, Memory Space and Bus Master
 * Enable set from the RC side.
 */
static void ep_start(Side *s, const char *props, bool train)
{
    memset(s, 0, sizeof(*s));
    peer_new(s, false);
    s->qts = qtest_initf("-machine virt,gic-version=3 -nodefaults "
                         "-chardev socket,id=l,path=%s,reconnect-ms=100 "
                         "-device dw-pcie-ep,id=ep,chardev=l%s", s->path,
                         props);
    s->app = region_base(s->qts, "dw-pcie-ep.app");
    s->atu = region_base(s->qts, "dw-pcie-ep.atu");
    s->addr_space = region_base(s->qts, "dw-pcie-ep.addr_space");
    s->dbi = region_base(s->qts, "dw-pcie-ep.dbi");
    s->dbi2 = region_base(s->qts, "dw-pcie-ep.dbi2");
    if (train) {
        qtest_writel(s->qts, s->app + A_APP_CTRL, R_APP_CTRL_LTSSM_EN_MASK);
        peer_wait_link(s, 1, 0);
        cfg_write(s->peer, PCI_COMMAND,
                  PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    }
}

static uint32_t app_status(Side *s)
{
    return qtest_readl(s->qts, s->app + A_APP_STATUS);
}

/* Wait (bounded) until APP_STATUS & @mask is @want. */
static void wait_app_status(Side *s, uint32_t mask, uint32_t want)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;

    while ((app_status(s) & mask) != want &&
           g_get_monotonic_time() < deadline) {
        g_usleep(1000);
    }
    g_assert_cmphex(app_status(s) & mask, ==, want);
}

/* Bad values of each EP property are refused; good ones read back. */
static void test_ep_props(void)
{
    Side s;
    QTestState *q;

    ep_start(&s, "", false);
    q = s.qts;
    check_str(q, EP_PATH, "x-fault-link", "up");
    check_str(q, EP_PATH, "x-fault-cpl", "none");
    check_str(q, EP_PATH, "x-fault-msi", "none");
    g_assert_cmpint(qom_int(q, EP_PATH, "x-fault-delay-us"), ==, 0);
    g_assert_false(qom_bool(q, EP_PATH, "x-fault-perst"));

    qom_refused(q, EP_PATH, "x-fault-link", "'sideways'",
                "x-fault-link: 'sideways' is not 'up' or 'down'");
    qom_refused(q, EP_PATH, "x-fault-perst", "true",
                "PERST# is driven by the RC");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ur'", "is not 'none' or");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'none:bar=1'", "is not 'none'");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'drop:bar=1'", "is not 'none'");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ur:bar=6'",
                "BAR '6' is not a number 0..5");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ca:bar=-1'",
                "BAR '-1' is not a number 0..5");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ca:bar='", "BAR ''");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ca:0x1000'",
                "neither bar=N nor ADDR+LEN");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ca:0x1000+0'",
                "LEN must be at least 1");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ca:0xffffffffffffffff+2'",
                "end at or below 2^64 - 1");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ca:18446744073709551616+1'",
                "below 2^64");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ca:0x+1'", "below 2^64");
    qom_refused(q, EP_PATH, "x-fault-cpl", "'ca:1 +1'", "below 2^64");
    qom_refused(q, EP_PATH, "x-fault-delay-us", "1000001",
                "over the largest delay, 1000000 microseconds");
    qom_refused(q, EP_PATH, "x-fault-delay-us", "-1", "uint32");
    qom_refused(q, EP_PATH, "x-fault-delay-us", "4294967296", "uint32");
    qom_refused(q, EP_PATH, "x-fault-msi", "'lose'", "is not 'none'");
    qom_refused(q, EP_PATH, "x-fault-msi", "'none:every=2'", "is not 'none'");
    qom_refused(q, EP_PATH, "x-fault-msi", "'drop:every=0'",
                "every=N, N a number 1..4294967295");
    qom_refused(q, EP_PATH, "x-fault-msi", "'dup:every=4294967296'",
                "every=N");
    qom_refused(q, EP_PATH, "x-fault-msi", "'dup:each=2'", "every=N");
    /* refused values left the faults as they were */
    check_str(q, EP_PATH, "x-fault-link", "up");
    check_str(q, EP_PATH, "x-fault-cpl", "none");
    check_str(q, EP_PATH, "x-fault-msi", "none");
    g_assert_cmpint(qom_int(q, EP_PATH, "x-fault-delay-us"), ==, 0);

    qom_ok(q, EP_PATH, "x-fault-cpl", "'ca:0xffffffffffffffff+1'");
    check_str(q, EP_PATH, "x-fault-cpl", "ca:0xffffffffffffffff+0x1");
    qom_ok(q, EP_PATH, "x-fault-cpl", "'timeout:4096+16'");
    check_str(q, EP_PATH, "x-fault-cpl", "timeout:0x1000+0x10");
    qom_ok(q, EP_PATH, "x-fault-cpl", "'ur:bar=5'");
    check_str(q, EP_PATH, "x-fault-cpl", "ur:bar=5");
    qom_ok(q, EP_PATH, "x-fault-delay-us", "1000000");
    g_assert_cmpint(qom_int(q, EP_PATH, "x-fault-delay-us"), ==, 1000000);
    qom_ok(q, EP_PATH, "x-fault-delay-us", "0");
    qom_ok(q, EP_PATH, "x-fault-msi", "'dup:every=3'");
    check_str(q, EP_PATH, "x-fault-msi", "dup:every=3");
    qom_ok(q, EP_PATH, "x-fault-msi", "'drop:every=1'");
    check_str(q, EP_PATH, "x-fault-msi", "drop");
    qom_ok(q, EP_PATH, "x-fault-link", "'down'");
    check_str(q, EP_PATH, "x-fault-link", "down");
    /* faults are the link's, not the device's: a reset keeps them */
    qtest_system_reset(q);
    check_str(q, EP_PATH, "x-fault-link", "down");
    check_str(q, EP_PATH, "x-fault-cpl", "ur:bar=5");
    check_str(q, EP_PATH, "x-fault-msi", "drop");
    side_stop(&s);
}

/*
 * x-fault-link on the EP: down, the LTSSM leaves L0 and the glue reports
 * link down (status and event), and the RC hears LINK down; the driver's
 * LTSSM_EN does not bring it back.  Up: it trains again.
 */
static void test_ep_link(void)
{
    Side s;
    QTestState *q;

    ep_start(&s, "", true);
    q = s.qts;
    qtest_writel(q, s.app + A_APP_IRQ_STATUS, DW_PCIE_EP_APP_IRQS);
    qom_ok(q, EP_PATH, "x-fault-link", "'down'");
    peer_wait_link(&s, 0, 0);
    g_assert_cmphex(app_status(&s) & R_APP_STATUS_LINK_UP_MASK, ==, 0);
    g_assert_cmphex(qtest_readl(q, s.app + A_APP_IRQ_STATUS), ==,
                    R_APP_IRQ_STATUS_LINK_DOWN_MASK);
    g_assert_cmphex(qtest_readl(q, s.dbi + A_PORT_DEBUG1) &
                    R_PORT_DEBUG1_LINK_UP_MASK, ==, 0);
    g_assert_cmphex(qtest_readl(q, s.dbi + A_PORT_DEBUG0) &
                    R_PORT_DEBUG0_LTSSM_STATE_MASK, !=, DW_PCIE_LTSSM_L0);
    /* the driver enables training again: still held down */
    qtest_writel(q, s.app + A_APP_CTRL, R_APP_CTRL_LTSSM_EN_MASK);
    g_assert_cmphex(app_status(&s) & R_APP_STATUS_LINK_UP_MASK, ==, 0);

    qtest_writel(q, s.app + A_APP_IRQ_STATUS, DW_PCIE_EP_APP_IRQS);
    qom_ok(q, EP_PATH, "x-fault-link", "'up'");
    peer_wait_link(&s, 1, 0);
    g_assert_cmphex(app_status(&s) & R_APP_STATUS_LINK_UP_MASK, ==,
                    R_APP_STATUS_LINK_UP_MASK);
    g_assert_cmphex(qtest_readl(q, s.app + A_APP_IRQ_STATUS), ==,
                    R_APP_IRQ_STATUS_LINK_UP_MASK);
    g_assert_cmphex(qtest_readl(q, s.dbi + A_PORT_DEBUG0) &
                    R_PORT_DEBUG0_LTSSM_STATE_MASK, ==, DW_PCIE_LTSSM_L0);
    /* a link down undid what the RC wrote: it enables the function anew */
    g_assert_cmphex(cfg_read(s.peer, PCI_COMMAND) & 0xffff, ==, 0);
    side_stop(&s);
}

/*
 * The RC holds the link down (LINK up 0), then asserts PERST# (LINK up 0
 * perst 1): the EP's link goes down each time and stays down, PERST#
 * shows in APP_STATUS and x-fault-perst, and a release trains it again.
 */
static void test_ep_rc_hold_perst(void)
{
    const uint32_t both = R_APP_STATUS_LINK_UP_MASK | R_APP_STATUS_PERST_MASK;
    Side s;
    QTestState *q;

    ep_start(&s, "", true);
    q = s.qts;
    send_link(s.peer, false, false);
    peer_wait_link(&s, 0, 0);
    wait_app_status(&s, both, 0);
    g_assert_false(qom_bool(q, EP_PATH, "x-fault-perst"));
    send_link(s.peer, true, false);
    peer_wait_link(&s, 1, 0);
    wait_app_status(&s, both, R_APP_STATUS_LINK_UP_MASK);

    send_link(s.peer, false, true);
    peer_wait_link(&s, 0, 0);
    wait_app_status(&s, both, R_APP_STATUS_PERST_MASK);
    g_assert_true(qom_bool(q, EP_PATH, "x-fault-perst"));
    /* the driver toggles LTSSM_EN: PERST# keeps the link down */
    qtest_writel(q, s.app + A_APP_CTRL, 0);
    qtest_writel(q, s.app + A_APP_CTRL, R_APP_CTRL_LTSSM_EN_MASK);
    g_assert_cmphex(app_status(&s) & both, ==, R_APP_STATUS_PERST_MASK);
    /* and a reset of the EP does not take PERST# away */
    qtest_system_reset(q);
    g_assert_cmphex(app_status(&s) & both, ==, R_APP_STATUS_PERST_MASK);
    qtest_writel(q, s.app + A_APP_CTRL, R_APP_CTRL_LTSSM_EN_MASK);

    send_link(s.peer, true, false);
    peer_wait_link(&s, 1, 0);
    wait_app_status(&s, both, R_APP_STATUS_LINK_UP_MASK);
    g_assert_false(qom_bool(q, EP_PATH, "x-fault-perst"));
    side_stop(&s);
}

/* BAR0 -> EP_RAM (inbound region 0), BAR0 at PCI address BAR0. */
static void ep_bar0(Side *s)
{
    qtest_writel(s->qts, s->dbi2 + PCI_BASE_ADDRESS_0, 1);
    iatu_bar_match(s->qts, s->atu + IATU_INBOUND, 0, EP_RAM);
    cfg_write(s->peer, PCI_BASE_ADDRESS_0, BAR0);
}

/*
 * x-fault-cpl on the EP: the RC's reads of BAR0 (by BAR, by a range
 * that covers them) complete with UR, CA, or not at all; reads outside
 * the range and with "none" are served; writes taken by the fault are
 * dropped.
 */
static void test_ep_cpl(void)
{
    Side s;
    QTestState *q;
    uint32_t v;

    ep_start(&s, ",link-timeout-ms=1000", true);
    q = s.qts;
    ep_bar0(&s);
    qtest_writel(q, EP_RAM + 0x100, 0xc0ffee01);
    qtest_writel(q, EP_RAM + 0x104, 0);     /* the device tree was here */
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0x100, &v, WAIT_US), ==,
                    PL_STATUS_SC);
    g_assert_cmphex(v, ==, 0xc0ffee01);

    qom_ok(q, EP_PATH, "x-fault-cpl", "'ur:bar=0'");
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0x100, &v, WAIT_US), ==,
                    PL_STATUS_UR);
    mem_write(s.peer, 0, BAR0 + 0x104, 0x12345678);
    /* the read goes after the write on the link: the write was dropped */
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0x100, &v, WAIT_US), ==,
                    PL_STATUS_UR);
    g_assert_cmphex(v, ==, 0xffffffff);
    g_assert_cmphex(qtest_readl(q, EP_RAM + 0x104), ==, 0);
    qom_ok(q, EP_PATH, "x-fault-cpl", "'ca:0x10000100+4'");
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0x100, &v, WAIT_US), ==,
                    PL_STATUS_CA);
    /* the range's last byte is 0x10000103: a read from 0x10000104 passes */
    qtest_writel(q, EP_RAM + 0x104, 0xc0ffee02);
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0x104, &v, WAIT_US), ==,
                    PL_STATUS_SC);
    g_assert_cmphex(v, ==, 0xc0ffee02);
    /* ... one ending at 0x100 overlaps it, one starting at 0x103 too */
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0xfd, &v, WAIT_US), ==,
                    PL_STATUS_CA);
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0x103, &v, WAIT_US), ==,
                    PL_STATUS_CA);

    qom_ok(q, EP_PATH, "x-fault-cpl", "'timeout:bar=0'");
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0x100, &v, 1500 * 1000), ==,
                    -1);
    qom_ok(q, EP_PATH, "x-fault-cpl", "'none'");
    g_assert_cmpint(mem_read(s.peer, 0, BAR0 + 0x100, &v, WAIT_US), ==,
                    PL_STATUS_SC);
    g_assert_cmphex(v, ==, 0xc0ffee01);
    side_stop(&s);
}

/* How long a config read of the RC side takes, in microseconds. */
static gint64 cfg_read_us(Side *s)
{
    gint64 t = g_get_monotonic_time();

    cfg_read(s->peer, PCI_VENDOR_ID);
    return g_get_monotonic_time() - t;
}

/*
 * x-fault-delay-us on the EP: its completions come no sooner than the
 * delay; at 0 again, sooner; messages keep their order.
 */
static void test_ep_delay(void)
{
    const gint64 delay = 400 * 1000;
    Side s;
    gint64 us, t;
    int i;

    ep_start(&s, "", true);
    qom_ok(s.qts, EP_PATH, "x-fault-delay-us", "400000");
    us = cfg_read_us(&s);
    g_test_message("config read with a 400 ms delay: %" PRId64 " us", us);
    g_assert_cmpint(us, >=, delay);
    /* in order: a burst of the EP's LINK toggles ends on the last one */
    g_assert_cmpuint(s.peer->links, ==, 1);
    t = g_get_monotonic_time();
    for (i = 0; i < 3; i++) {
        qom_ok(s.qts, EP_PATH, "x-fault-link", "'down'");
        qom_ok(s.qts, EP_PATH, "x-fault-link", "'up'");
    }
    wait_links(&s, 7);
    g_assert_cmpint(g_get_monotonic_time() - t, >=, delay);
    g_assert_cmpint(s.peer->link_up, ==, 1);
    qom_ok(s.qts, EP_PATH, "x-fault-delay-us", "0");
    cfg_write(s.peer, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    us = cfg_read_us(&s);
    g_test_message("config read without delay: %" PRId64 " us", us);
    g_assert_cmpint(us, <, delay);
    side_stop(&s);
}

/*
 * The EP CPU sends MSIs (4-byte writes through outbound region 0 to the
 * MSI address the RC programmed, then to an MSI-X entry's address), each
 * followed by a plain write: x-fault-msi drops or doubles the MSIs it
 * takes, every one or every Nth, never the plain writes.
 */
static unsigned send_msis(Side *s, uint64_t addr, unsigned n)
{
    unsigned i;

    writes_to(s->peer, addr);
    for (i = 0; i < n; i++) {
        qtest_writel(s->qts, s->addr_space + (addr - MSI_PAGE), 0x4321 + i);
        qtest_writel(s->qts, s->addr_space + 0x1000, i);
    }
    /* the last plain write came: every MSI before it too */
    wait_write(s, OTHER_ADDR, n - 1);
    return writes_to(s->peer, addr);
}

static void test_ep_msi(void)
{
    Side s;
    QTestState *q;

    ep_start(&s, "", true);
    q = s.qts;
    /* outbound region 0: addr_space -> MSI_ADDR, region 1 -> OTHER_ADDR */
    iatu_window(q, s.atu, s.addr_space, 0x1000, MSI_PAGE);
    iatu_window(q, s.atu + IATU_REGION(1), s.addr_space + 0x1000, 0x1000,
                OTHER_ADDR);
    cfg_write(s.peer, DW_PCIE_EP_CAP_MSI + PCI_MSI_ADDRESS_LO, MSI_ADDR);
    cfg_write(s.peer, DW_PCIE_EP_CAP_MSI + PCI_MSI_ADDRESS_HI, 0);
    cfg_write(s.peer, DW_PCIE_EP_CAP_MSI + PCI_MSI_DATA_64, 0x4321);
    cfg_write(s.peer, DW_PCIE_EP_CAP_MSI, PCI_MSI_FLAGS_ENABLE << 16);

    g_assert_cmpuint(send_msis(&s, MSI_ADDR, 4), ==, 4);
    qom_ok(q, EP_PATH, "x-fault-msi", "'drop'");
    g_assert_cmpuint(send_msis(&s, MSI_ADDR, 4), ==, 0);
    qom_ok(q, EP_PATH, "x-fault-msi", "'dup'");
    g_assert_cmpuint(send_msis(&s, MSI_ADDR, 4), ==, 8);
    qom_ok(q, EP_PATH, "x-fault-msi", "'drop:every=2'");
    g_assert_cmpuint(send_msis(&s, MSI_ADDR, 4), ==, 2);
    qom_ok(q, EP_PATH, "x-fault-msi", "'dup:every=3'");
    g_assert_cmpuint(send_msis(&s, MSI_ADDR, 6), ==, 8);
    /* a write to the MSI address with MSI disabled is no MSI */
    cfg_write(s.peer, DW_PCIE_EP_CAP_MSI, 0);
    qom_ok(q, EP_PATH, "x-fault-msi", "'drop'");
    g_assert_cmpuint(send_msis(&s, MSI_ADDR, 2), ==, 2);

    /* MSI-X: a one-entry table at BAR0 offset 0, in EP RAM */
    ep_bar0(&s);
    qtest_writel(q, s.dbi + A_MISC_CONTROL_1,
                 R_MISC_CONTROL_1_DBI_RO_WR_EN_MASK);
    qtest_writel(q, s.dbi + DW_PCIE_EP_CAP_MSIX + PCI_MSIX_TABLE, 0);
    qtest_writel(q, s.dbi + A_MISC_CONTROL_1, 0);
    qtest_writeq(q, EP_RAM, MSIX_ADDR);
    qtest_writel(q, EP_RAM + 8, 0x55);
    g_assert_cmpuint(send_msis(&s, MSIX_ADDR, 2), ==, 2);
    cfg_write(s.peer, DW_PCIE_EP_CAP_MSIX, PCI_MSIX_FLAGS_ENABLE << 16);
    g_assert_cmpuint(send_msis(&s, MSIX_ADDR, 2), ==, 0);
    qom_ok(q, EP_PATH, "x-fault-msi", "'none'");
    g_assert_cmpuint(send_msis(&s, MSIX_ADDR, 2), ==, 2);
    side_stop(&s);
}

/* ---- the RC QEMU ---- */

static uint64_t ecam(unsigned bus, unsigned devfn, unsigned off)
{
    return RC_ECAM + ((uint64_t)bus << 20) + ((uint64_t)devfn << 12) + off;
}

/* The root port's PCI Express capability. */
static unsigned rc_port_exp(Side *s)
{
    unsigned pos = qtest_readb(s->qts, ecam(0, RC_PORT, PCI_CAPABILITY_LIST));

    while (pos && qtest_readb(s->qts, ecam(0, RC_PORT, pos)) !=
           PCI_CAP_ID_EXP) {
        pos = qtest_readb(s->qts, ecam(0, RC_PORT, pos + 1));
    }
    g_assert_cmpuint(pos, !=, 0);
    return pos;
}

/* Wait (bounded) until the function behind the port reads @id. */
static void rc_wait_fn(Side *s, uint32_t id)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_US;
    uint32_t got;

    while ((got = qtest_readl(s->qts, ecam(1, 0, PCI_VENDOR_ID))) != id &&
           g_get_monotonic_time() < deadline) {
        qtest_clock_step(s->qts, 100 * 1000);
        g_usleep(1000);
    }
    g_assert_cmphex(got, ==, id);
}

/*
 * An RC QEMU (pci-ep-link id "link" behind hot-plug root port rp0) linked
 * to our fake EP, which reports link up; the function arrives.
 */
static void rc_start(Side *s)
{
    uint64_t sltctl;
    uint16_t v;

    memset(s, 0, sizeof(*s));
    peer_new(s, true);
    s->qts = qtest_initf("-machine virt,highmem-ecam=off -nodefaults "
                         "-device pcie-root-port,id=rp0,chassis=1,slot=0,"
                         "bus=pcie.0,addr=2.0 "
                         "-chardev socket,id=l,path=%s,reconnect-ms=100 "
                         "-device pci-ep-link,id=link,chardev=l,port=rp0,"
                         "timeout-ms=1000", s->path);
    qtest_writel(s->qts, ecam(0, RC_PORT, PCI_PRIMARY_BUS), 0x00010100);
    qtest_writew(s->qts, ecam(0, RC_PORT, PCI_COMMAND),
                 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    g_mutex_lock(&s->peer->lock);
    while (!s->peer->hello) {
        gint64 deadline = g_get_monotonic_time() + WAIT_US;

        g_assert_true(g_cond_wait_until(&s->peer->cond, &s->peer->lock,
                                        deadline));
    }
    g_mutex_unlock(&s->peer->lock);
    send_link(s->peer, true, false);
    /* pciehp powers the slot that reset left off (one write) */
    sltctl = ecam(0, RC_PORT, rc_port_exp(s) + PCI_EXP_SLTCTL);
    v = qtest_readw(s->qts, sltctl) &
        ~(PCI_EXP_SLTCTL_PCC | PCI_EXP_SLTCTL_PIC);
    qtest_writew(s->qts, sltctl, v | PCI_EXP_SLTCTL_PWR_ON |
                 PCI_EXP_SLTCTL_PWR_IND_ON);
    rc_wait_fn(s, FAKE_EP_ID);
}

/* Bad values of each pci-ep-link property are refused; good ones read. */
static void test_rc_props(void)
{
    Side s;
    QTestState *q;

    rc_start(&s);
    q = s.qts;
    check_str(q, RC_PATH, "x-fault-link", "up");
    check_str(q, RC_PATH, "x-fault-cpl", "none");
    g_assert_false(qom_bool(q, RC_PATH, "x-fault-perst"));
    g_assert_cmpint(qom_int(q, RC_PATH, "x-fault-delay-us"), ==, 0);
    qom_refused(q, RC_PATH, "x-fault-link", "'Down'", "is not 'up' or");
    qom_refused(q, RC_PATH, "x-fault-perst", "'yes'", "bool");
    qom_refused(q, RC_PATH, "x-fault-cpl", "'ur:bar=0'",
                "give an address range ADDR+LEN");
    qom_refused(q, RC_PATH, "x-fault-cpl", "'ur:0x10+0x'", "below 2^64");
    qom_refused(q, RC_PATH, "x-fault-delay-us", "2000000",
                "over the largest delay");
    qom_ok(q, RC_PATH, "x-fault-cpl", "'timeout:0x40000000+0x1000'");
    check_str(q, RC_PATH, "x-fault-cpl", "timeout:0x40000000+0x1000");
    qom_ok(q, RC_PATH, "x-fault-delay-us", "250");
    g_assert_cmpint(qom_int(q, RC_PATH, "x-fault-delay-us"), ==, 250);
    side_stop(&s);
}

/*
 * x-fault-link and x-fault-perst on the RC: the EP hears LINK down (with
 * perst for PERST#) and the function is surprise-removed (presence gone,
 * Presence Detect Changed); released, the EP hears LINK up, trains, and
 * the function arrives again.
 */
static void rc_hold_cycle(Side *s, const char *prop, const char *on,
                          const char *off, int perst)
{
    QTestState *q = s->qts;
    uint64_t sltsta = ecam(0, RC_PORT, rc_port_exp(s) + PCI_EXP_SLTSTA);

    qtest_writew(q, sltsta, PCI_EXP_SLTSTA_PDC);
    qom_ok(q, RC_PATH, prop, on);
    peer_wait_link(s, 0, perst);
    rc_wait_fn(s, 0xffffffff);
    g_assert_cmphex(qtest_readw(q, sltsta) & (PCI_EXP_SLTSTA_PDS |
                                              PCI_EXP_SLTSTA_PDC), ==,
                    PCI_EXP_SLTSTA_PDC);
    qtest_writew(q, sltsta, PCI_EXP_SLTSTA_PDC);
    /* the EP saying link up does not bring it back while held */
    send_link(s->peer, true, false);
    qtest_clock_step(q, 100 * 1000);
    g_usleep(100 * 1000);
    g_assert_cmphex(qtest_readl(q, ecam(1, 0, PCI_VENDOR_ID)), ==,
                    0xffffffff);
    qom_ok(q, RC_PATH, prop, off);
    peer_wait_link(s, 1, 0);
    rc_wait_fn(s, FAKE_EP_ID);
    g_assert_cmphex(qtest_readw(q, sltsta) & PCI_EXP_SLTSTA_PDS, ==,
                    PCI_EXP_SLTSTA_PDS);
}

static void test_rc_link(void)
{
    Side s;

    rc_start(&s);
    rc_hold_cycle(&s, "x-fault-link", "'down'", "'up'", 0);
    check_str(s.qts, RC_PATH, "x-fault-link", "up");
    side_stop(&s);
}

static void test_rc_perst(void)
{
    Side s;

    rc_start(&s);
    rc_hold_cycle(&s, "x-fault-perst", "true", "false", 1);
    g_assert_false(qom_bool(s.qts, RC_PATH, "x-fault-perst"));
    side_stop(&s);
}

/*
 * x-fault-cpl on the RC: the EP's bus-master reads of RC RAM in the range
 * get UR, CA or no completion; outside it, and with "none", they are
 * served.
 */
static void test_rc_cpl(void)
{
    Side s;
    QTestState *q;
    uint32_t v;

    rc_start(&s);
    q = s.qts;
    qtest_writew(q, ecam(1, 0, PCI_COMMAND),
                 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qtest_writel(q, RC_RAM + 0x2000, 0xabcd0123);
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM + 0x2000, &v,
                             WAIT_US), ==, PL_STATUS_SC);
    g_assert_cmphex(v, ==, 0xabcd0123);
    qom_ok(q, RC_PATH, "x-fault-cpl", "'ur:0x40002000+0x1000'");
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM + 0x2000, &v,
                             WAIT_US), ==, PL_STATUS_UR);
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM + 0x1ffc, &v,
                             WAIT_US), ==, PL_STATUS_SC);
    qom_ok(q, RC_PATH, "x-fault-cpl", "'ca:0x40002000+0x1000'");
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM + 0x2ffc, &v,
                             WAIT_US), ==, PL_STATUS_CA);
    qom_ok(q, RC_PATH, "x-fault-cpl", "'timeout:0x40002000+0x1000'");
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM + 0x2000, &v,
                             500 * 1000), ==, -1);
    qom_ok(q, RC_PATH, "x-fault-cpl", "'none'");
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM + 0x2000, &v,
                             WAIT_US), ==, PL_STATUS_SC);
    g_assert_cmphex(v, ==, 0xabcd0123);
    side_stop(&s);
}

/* x-fault-delay-us on the RC: its completions come no sooner. */
static void test_rc_delay(void)
{
    Side s;
    QTestState *q;
    gint64 t;
    uint32_t v;

    rc_start(&s);
    q = s.qts;
    qtest_writew(q, ecam(1, 0, PCI_COMMAND),
                 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    qom_ok(q, RC_PATH, "x-fault-delay-us", "300000");
    t = g_get_monotonic_time();
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM, &v, WAIT_US), ==,
                    PL_STATUS_SC);
    t = g_get_monotonic_time() - t;
    g_test_message("DMA read with a 300 ms delay: %" PRId64 " us", t);
    g_assert_cmpint(t, >=, 300 * 1000);
    qom_ok(q, RC_PATH, "x-fault-delay-us", "0");
    /* what the delay held back went first; then it is quick again */
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM, &v, WAIT_US), ==,
                    PL_STATUS_SC);
    t = g_get_monotonic_time();
    g_assert_cmpint(mem_read(s.peer, PL_BAR_NONE, RC_RAM, &v, WAIT_US), ==,
                    PL_STATUS_SC);
    t = g_get_monotonic_time() - t;
    g_assert_cmpint(t, <, 300 * 1000);
    side_stop(&s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/dw-pcie-ep/fault/props", test_ep_props);
    qtest_add_func("/dw-pcie-ep/fault/link", test_ep_link);
    qtest_add_func("/dw-pcie-ep/fault/rc-hold-perst", test_ep_rc_hold_perst);
    qtest_add_func("/dw-pcie-ep/fault/cpl", test_ep_cpl);
    qtest_add_func("/dw-pcie-ep/fault/delay", test_ep_delay);
    qtest_add_func("/dw-pcie-ep/fault/msi", test_ep_msi);
    qtest_add_func("/pci-ep-link/fault/props", test_rc_props);
    qtest_add_func("/pci-ep-link/fault/link", test_rc_link);
    qtest_add_func("/pci-ep-link/fault/perst", test_rc_perst);
    qtest_add_func("/pci-ep-link/fault/cpl", test_rc_cpl);
    qtest_add_func("/pci-ep-link/fault/delay", test_rc_delay);
    return g_test_run();
}
