/*
 * The PCIe link protocol between the EP QEMU (dw-pcie-ep) and the RC QEMU
 * (pci-ep-remote): message layout, encoder and decoder, with no QEMU
 * device state (also built by the top-level meson unit tests).
 *
 * A message is a 12-byte header followed by a body of `length` bytes, all
 * little-endian:
 *
 *   u8  type      PL_MSG_*
 *   u8  status    PL_STATUS_* in completions, 0 otherwise
 *   u16 reserved  0
 *   u32 length    body bytes, at most PL_MAX_BODY
 *   u32 tag       request ID of a non-posted request and of its
 *                 completion; 0 in posted messages
 *
 * Bodies (offsets in bytes):
 *   HELLO   0 u32 magic PL_MAGIC, 4 u16 version PL_VERSION, 6 u16 role
 *           (PL_ROLE_EP/RC), 8 u32 max_payload, 12 u32 features
 *           (PL_FEAT_*; other bits must be 0)                  (16 bytes)
 *   LINK    0 u8 up (0 or 1), 1 u8 perst (0 or 1; 1 only with up 0),
 *           2..3 reserved                                      (4 bytes)
 *   CFG_RD  0 u16 offset, 2 u8 size (1, 2, 4), 3 reserved      (4 bytes)
 *   CFG_WR  as CFG_RD, then 4 u32 data                         (8 bytes)
 *   MEM_RD  0 u64 addr, 8 u32 size (1..PL_MAX_PAYLOAD), 12 u8 bar
 *           (0..5, or PL_BAR_NONE for an address-routed request),
 *           13..15 reserved                                    (16 bytes)
 *   MEM_WR  as MEM_RD, then size bytes of data            (16 + size bytes)
 *   INTX    0 u8 pin (0..3 for INTA..INTD), 1 u8 level (0, 1), 2..3
 *           reserved                                           (4 bytes)
 *   CPL     the data of a read (size bytes when status is PL_STATUS_SC),
 *           nothing otherwise                            (0..PL_MAX_PAYLOAD)
 *   MAP     0 u8 bar (0..5), 1 u8 slot (0..PL_MAP_SLOTS-1), 2 u8 enable
 *           (0, 1), 3..7 reserved, 8 u64 offset in the BAR, 16 u64 size,
 *           24 u64 fd_offset                                   (32 bytes)
 *
 * MAP (EP to RC, only when both HELLOs had PL_FEAT_SHM) is the shared-
 * memory fast path: with enable 1, the message travels with one file
 * descriptor (SCM_RIGHTS, attached to its first byte) of the EP's RAM, and
 * says that bytes offset..offset+size-1 of BAR bar are that file's bytes
 * fd_offset..fd_offset+size-1 (what the EP's inbound iATU maps there);
 * the RC maps them into the BAR, replacing what the slot held.  With
 * enable 0 (bar, offset, size and fd_offset 0) the RC drops the slot's
 * mapping.  The CPL says the RC has done so (SC) or will keep sending
 * messages for that range (UR); the EP's iATU write completes only then.
 * offset + size and fd_offset + size must not wrap past 2^64.
 *
 * MAP from the RC to the EP (bar 0, slot 0) hands over the RC's RAM the
 * other way: PCI addresses offset..offset+size-1 of the function's bus-
 * master requests are that file's bytes fd_offset..: the EP's outbound
 * windows and eDMA transfers there may read and write it directly.  The
 * RC sends it only while the function has Bus Master Enable set and no
 * IOMMU translates its requests, and withdraws it (enable 0, waiting for
 * the CPL) before either changes.
 *
 * LINK from the EP is its link state (its LTSSM in L0 or not; perst 0).
 * LINK from the RC is what the RC's side does to the link: up 0 holds it
 * down (a surprise link down injected at the RC, see docs/link-faults.md),
 * with perst 1 because the RC asserts PERST#; up 1 (perst 0) releases
 * both.  The EP's link stays down while the RC holds it; a new connection
 * starts released.
 *
 * CFG_RD, CFG_WR, MEM_RD and MAP are non-posted (answered by a CPL with
 * the same tag); MEM_WR, INTX, LINK and HELLO are posted.  A config
 * access must be naturally aligned and stay below 4 KiB.  Reserved fields
 * must be 0.
 */

#ifndef HW_PCI_EP_PCIE_LINK_PROTO_H
#define HW_PCI_EP_PCIE_LINK_PROTO_H

#define PL_MAGIC        0x4b4e4c50u     /* "PLNK" */
#define PL_VERSION      3       /* 3: LINK from the RC, with PERST# */
#define PL_HDR_SIZE     12
#define PL_MAX_PAYLOAD  4096
#define PL_MAX_BODY     (16 + PL_MAX_PAYLOAD)
#define PL_MAX_MSG      (PL_HDR_SIZE + PL_MAX_BODY)
#define PL_BAR_NONE     0xff
#define PL_CFG_SPACE    4096
#define PL_MAP_SLOTS    16

/* HELLO features: shared-memory fast path (MAP, fd passing) offered. */
#define PL_FEAT_SHM     (1u << 0)
#define PL_FEATURES     PL_FEAT_SHM

typedef enum PlMsgType {
    PL_MSG_HELLO = 1,
    PL_MSG_LINK = 2,
    PL_MSG_CFG_RD = 3,
    PL_MSG_CFG_WR = 4,
    PL_MSG_MEM_RD = 5,
    PL_MSG_MEM_WR = 6,
    PL_MSG_INTX = 7,
    PL_MSG_CPL = 8,
    PL_MSG_MAP = 9,
} PlMsgType;

typedef enum PlStatus {
    PL_STATUS_SC = 0,   /* successful completion */
    PL_STATUS_UR = 1,   /* unsupported request */
    PL_STATUS_CA = 2,   /* completer abort */
} PlStatus;

typedef enum PlRole {
    PL_ROLE_EP = 1,
    PL_ROLE_RC = 2,
} PlRole;

/* Decoder results: >= 0 is a message length; negative values are errors. */
typedef enum PlResult {
    PL_NEED_MORE = -1,      /* not an error: the message is incomplete */
    PL_ERR_TYPE = -2,       /* unknown message type */
    PL_ERR_LENGTH = -3,     /* body length wrong for the type, or too long */
    PL_ERR_FIELD = -4,      /* a field out of range, or reserved bits set */
    PL_ERR_MAGIC = -5,      /* HELLO with a wrong magic */
    PL_ERR_VERSION = -6,    /* HELLO with an unsupported version */
} PlResult;

typedef struct PlMsg {
    uint8_t type;
    uint8_t status;
    uint32_t tag;
    union {
        struct {
            uint32_t magic;
            uint16_t version;
            uint16_t role;
            uint32_t max_payload;
            uint32_t features;
        } hello;
        struct {
            uint8_t up;
            uint8_t perst;      /* from the RC only: PERST# asserted */
        } link;
        struct {
            uint16_t offset;
            uint8_t size;
            uint32_t data;      /* CFG_WR only */
        } cfg;
        struct {
            uint64_t addr;
            uint32_t size;
            uint8_t bar;
            const uint8_t *data; /* MEM_WR: size bytes */
        } mem;
        struct {
            uint8_t pin;
            uint8_t level;
        } intx;
        struct {
            const uint8_t *data;
            uint32_t len;
        } cpl;
        struct {
            uint8_t bar;
            uint8_t slot;
            uint8_t enable;
            uint64_t offset;
            uint64_t size;
            uint64_t fd_offset;
        } map;
    } u;
} PlMsg;

/*
 * pl_decode: decode the message at the start of @buf (@len bytes
 * available).  Returns the message's total length (header + body) and
 * fills @msg, whose data pointers then point into @buf; PL_NEED_MORE when
 * @buf holds only part of a message (a decoder of a byte stream waits for
 * more); or a PlResult error for a malformed message (which must take the
 * link down: the stream cannot be resynchronised).  The header is checked
 * first, so an over-long length is an error as soon as 12 bytes are there.
 */
int pl_decode(const uint8_t *buf, size_t len, PlMsg *msg);

/*
 * pl_encode: encode @msg into @buf of @cap bytes.  Returns the number of
 * bytes written, or 0 if @msg is invalid (the same checks as pl_decode) or
 * does not fit in @cap.  PL_MAX_MSG bytes always suffice.
 */
size_t pl_encode(const PlMsg *msg, uint8_t *buf, size_t cap);

/*
 * pl_mem_range_ok: whether the @size bytes at @addr form a range that a
 * MEM_RD or MEM_WR may address: @size is at least 1 and the last byte,
 * @addr + @size - 1, does not wrap past 2^64 - 1.  Any @size is accepted
 * (the PL_MAX_PAYLOAD limit of one message is checked elsewhere), so a
 * sender can check a whole transfer before splitting it.
 */
bool pl_mem_range_ok(uint64_t addr, uint64_t size);

/* pl_strerror: a short text for a PlResult error, for logs. */
const char *pl_strerror(int result);

/* pl_msg_name: the name of a message type ("MEM_RD", ...), or "?". */
const char *pl_msg_name(uint8_t type);

#endif
