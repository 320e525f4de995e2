"""The link protocol, as the Python fake peers of the avocado tests speak
it: the header, the message types and HELLO (pcie-link-proto.h is the
reference; version 2: HELLO carries a features word)."""

import struct

HDR = struct.Struct('<BBHII')        # type, status, reserved, length, tag
MAGIC, VERSION = 0x4b4e4c50, 2
HELLO, LINK, CFG_RD, CFG_WR, MEM_RD, MEM_WR, INTX, CPL, MAP = range(1, 10)
ROLE_EP, ROLE_RC = 1, 2
MAX_PAYLOAD = 4096


def msg(mtype, body=b'', tag=0, status=0):
    """One message: the header, then @body."""
    return HDR.pack(mtype, status, 0, len(body), tag) + body


def hello(role, features=0):
    """A well-formed HELLO of @role offering @features (none: the fast
    path needs descriptor passing, which these peers do not do)."""
    return msg(HELLO, struct.pack('<IHHII', MAGIC, VERSION, role, MAX_PAYLOAD,
                                  features))
