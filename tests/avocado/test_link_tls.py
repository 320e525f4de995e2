"""The TCP link runs under TLS with a key run-pair.sh makes for the run: a
client without the key is refused (and the refusal logged), and the pair
then still comes up with the key.

The EP QEMU is killed, so that the RC's link socket listens again; a
client without the key connects and offers a plaintext HELLO, as the
link's first message: it gets no HELLO back, the connection is closed,
the RC QEMU logs the failed TLS handshake and plugs no function.  Then
the real EP QEMU comes back with the key, and the selftest's INTx and MSI
tests pass (test_link.AGAIN_MESSAGES: the BAR tests over TCP are
test_link.SelftestTcp's).
"""

import os
import re
import signal
import socket
import struct
import time

from linkproto import MAGIC, ROLE_EP, hello
from test_link import AGAIN_MESSAGES, AGAIN_MESSAGES_NAMES, SelftestBase

RC_FN = '/sys/bus/pci/devices/0000:01:00.0'


class LinkTls(SelftestBase):
    """
    :avocado: tags=link,security
    """

    run_pair_args = ['--function', 'test', '--link', 'tcp']

    def link_port(self):
        with open(os.path.join(self.run_dir, 'ep-link.chardev')) as f:
            m = re.search(r'port=(\d+)', f.read())
        self.assertIsNotNone(m)
        return int(m.group(1))

    def test_client_without_key_is_refused(self):
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        with open(os.path.join(self.run_dir, 'psk', 'keys.psk')) as f:
            self.assertRegex(f.read(), r'^pcielink:[0-9a-f]{64}\n$')
        self.assertEqual(os.stat(os.path.join(self.run_dir, 'psk', 'keys.psk')).st_mode
                         & 0o777, 0o600)
        port = self.link_port()

        self.stop_guest_qemu('ep', signal.SIGKILL)
        self.wait_in('rc', '! test -e %s' % RC_FN,
                     'the function did not leave after the EP QEMU was killed', 60)

        rogue = socket.create_connection(('127.0.0.1', port), timeout=10)
        got = b''
        try:
            rogue.sendall(hello(ROLE_EP))
            end = time.monotonic() + 10
            while time.monotonic() < end:
                try:
                    data = rogue.recv(4096)
                except (ConnectionResetError, socket.timeout):
                    break
                if not data:
                    break       # closed by the RC QEMU
                got += data
        finally:
            rogue.close()
        self.assertNotIn(struct.pack('<I', MAGIC), got,
                         'a client without the key got a HELLO')
        self.assertTrue(time.monotonic() < end, 'the RC QEMU kept the client '
                        'without the key connected')
        with open(os.path.join(self.run_dir, 'rc-qemu.log')) as f:
            self.assertIn('chr_socket_tls_handshake_err', f.read(),
                          'the refused TLS handshake was not logged')
        self.check_in('rc', '! test -e %s' % RC_FN)

        # the EP with the key: the pair works again
        self.restart_guest('ep')
        self.check_in('ep', 'ep-function test')
        self.run_selftest(AGAIN_MESSAGES, AGAIN_MESSAGES_NAMES)
