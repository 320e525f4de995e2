"""The link protocol, as the Python fake peers of the avocado tests speak
it: the header, the message types and HELLO (pcie-link-proto.h is the
reference; version 3: HELLO carries a features word, LINK from the RC
PERST#)."""

import socket
import struct
import threading

HDR = struct.Struct('<BBHII')        # type, status, reserved, length, tag
MAGIC, VERSION = 0x4b4e4c50, 3
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


def recv_exact(sock, n, alive=lambda: True):
    """@n bytes from @sock, a socket with a timeout: a timeout is retried
    while alive() holds; fewer bytes when it stops holding.  Raises
    ConnectionError when the peer closed the socket."""
    data = b''
    while len(data) < n and alive():
        try:
            chunk = sock.recv(n - len(data))
        except socket.timeout:
            continue
        if not chunk:
            raise ConnectionError('the peer closed the link')
        data += chunk
    return data


def recv_msg(sock, alive=lambda: True):
    """The next message from @sock as (type, status, tag, body), or None
    when alive() stopped holding first (see recv_exact)."""
    hdr = recv_exact(sock, HDR.size, alive)
    if len(hdr) < HDR.size:
        return None
    mtype, status, _, length, tag = HDR.unpack(hdr)
    body = recv_exact(sock, length, alive) if length else b''
    if len(body) < length:
        return None
    return mtype, status, tag, body


class Peer:
    """A Python peer on a connected link socket: start() sends @greeting
    (HELLO and whatever follows) and starts a reader thread that calls
    self.handle(type, status, tag, body) for each message; stop() ends
    both.  alive turns false when the link ends; error says why, if it
    ended by itself."""

    def __init__(self, sock, timeout=1):
        self.sock = sock
        self.sock.settimeout(timeout)
        self.lock = threading.Lock()
        self.alive = True
        self.error = None
        self.reader = threading.Thread(target=self._read_loop, daemon=True)

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def start(self, greeting):
        self.send(greeting)
        self.reader.start()

    def handle(self, mtype, status, tag, body):
        raise NotImplementedError

    def _read_loop(self):
        try:
            while self.alive:
                m = recv_msg(self.sock, lambda: self.alive)
                if m is None:
                    break
                self.handle(*m)
        except (ConnectionError, OSError) as e:
            if self.alive:
                self.error = str(e)
        self.alive = False

    def stop(self):
        self.alive = False
        try:
            self.sock.close()
        except OSError:
            pass
        self.reader.join(10)
