"""A malformed link message takes the link down, with a message in the
QEMU log, and neither QEMU nor its guest stops.

The test stands in for one side of the link with a few lines of Python:
it stops one QEMU of a booted pair, takes over its end of the link socket,
says a valid HELLO and then sends a message with an unknown type.
"""

import os
import socket
import time

from linkproto import HDR, HELLO, ROLE_EP, ROLE_RC, hello
from pair import pid_alive
from test_link import AGAIN, AGAIN_NAMES, SelftestBase

DEVICE = '/sys/bus/pci/devices/0000:01:00.0'



def recv_exact(sock, n, timeout=10):
    sock.settimeout(timeout)
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def closed_by_peer(sock, timeout=10):
    """True once the peer closes (reads drain whatever it still sent)."""
    sock.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not sock.recv(4096):
                return True
    except (socket.timeout, ConnectionResetError):
        return False
    return False


class MalformedMessage(SelftestBase):
    """
    :avocado: tags=link,robust
    """

    run_pair_args = ['--function', 'test']

    def assert_survived(self, guest, peer_role):
        # a peer's fault is the host's to hear of: a warning on stderr
        with open(os.path.join(self.run_dir, '%s-qemu.err' % guest),
                  errors='replace') as f:
            log = f.read()
        self.assertRegex(log, r'warning: (dw-pcie-ep|pci-ep-link): link taken '
                         r'down: unknown message type',
                         '%s QEMU did not warn of the malformed message'
                         % guest)
        pid = self.qemu_pid(guest)
        self.assertTrue(pid_alive(pid), '%s QEMU died' % guest)
        self.assertEqual(self.check_in(guest, 'echo alive').strip(), 'alive')

    def test_rc_side(self):
        # the RC listens on link.sock: replace the EP
        self.stop_guest_qemu('ep')
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(os.path.join(self.run_dir, 'link.sock'))
        got = recv_exact(s, 24)
        self.assertEqual(got[:1], bytes([HELLO]), 'RC did not say HELLO')
        s.sendall(hello(ROLE_EP))
        s.sendall(HDR.pack(99, 0, 0, 0, 0))
        self.assertTrue(closed_by_peer(s), 'RC kept a link that sent garbage')
        s.close()
        self.assert_survived('rc', ROLE_EP)
        # The function left with the real EP (surprise removal) and stays
        # gone; a good EP brings it back and the selftest passes on it.
        self.check_in('rc', "dmesg | grep -q 'pciehp: Slot(0): Card not present'")
        self.check_in('rc', '! test -e %s' % DEVICE)
        self.restart_guest('ep')
        self.check_in('ep', 'ep-function test')
        self.run_selftest(AGAIN, AGAIN_NAMES)

    def test_ep_side(self):
        # the EP connects to link.sock and reconnects: replace the RC
        srv = self.pose_as_rc()
        s, _ = srv.accept()
        got = recv_exact(s, 24)
        self.assertEqual(got[:1], bytes([HELLO]), 'EP did not say HELLO')
        s.sendall(hello(ROLE_RC))
        s.sendall(HDR.pack(99, 0, 0, 0, 0))
        self.assertTrue(closed_by_peer(s), 'EP kept a link that sent garbage')
        s.close()
        self.end_pose_as_rc(srv)
        self.assert_survived('ep', ROLE_RC)
        # The EP took the link down (assert_survived read its log); a good
        # RC brings it back and the selftest passes.
        self.restart_guest('rc')
        self.run_selftest(AGAIN, AGAIN_NAMES)
