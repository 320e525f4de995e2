"""The console helper takes a command's output as the command printed it,
whatever the console mixed in: the shell's echo of the typed lines (whole
or redrawn in pieces) and the kernel's console messages (both seen in CI
logs)."""

import os
import re
import shutil
import socket
import sys
import tempfile
import threading

from avocado import Test

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'scripts'))

from guest_exec import GuestConsole, command_output  # noqa: E402


def fake_console(run_dir, reply):
    """Serve one command on <run_dir>/rc-console.sock: read the typed line
    and answer reply(n), n the command's tag."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(os.path.join(run_dir, 'rc-console.sock'))
    srv.listen(1)

    def serve():
        con, _ = srv.accept()
        line = b''
        while not line.endswith(b'\n'):
            line += con.recv(4096)
        n = re.search(rb'DWCB""EGIN-([0-9-]+)@@', line).group(1).decode()
        con.sendall(reply(n).encode())
        con.recv(1)             # until the client closes
        con.close()
        srv.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


class ConsoleOutput(Test):
    """
    :avocado: tags=console
    """

    def test_typed_echo(self):
        raw = ('@@DWCO-12-3@@line 1\r\n'
               'ep# } >/tmp/.dwc-out-12-3 2>&1; dwc_s=$?; sed "s/^/@@DWC""O-'
               '12-3@@/" /tmp/.dwc-out-12-3; rm -f /tmp/.dwc-out-12-3; echo '
               '@@DWCE""ND-12-3-$dwc_s@@\r\n'
               '@@DWCO-12-3@@line 2\r\n')
        self.assertEqual(command_output(raw, '12-3'), 'line 1\nline 2\n')

    def test_redrawn_pieces(self):
        # ash redrew the typed-ahead line: only its tail, or a stray "@"
        raw = 'DWCE""ND-3543-5-$dwc_s@@\n@@DWCO-3543-5@@4\n@\n'
        self.assertEqual(command_output(raw, '3543-5'), '4\n')

    def test_kernel_messages(self):
        # seen on the RC while the function was plugged (2026-12-06)
        raw = ('@@DWCO-9-1@@alive\n'
               'rc# echopci 0000:01:00.0: ROM [mem 0x10000000-0x100007ff '
               'pref]: assigned\n'
               'pcieport 0000:00:01.0: PCI bridge to [bus 01]\n'
               'pcieport 0000:00:01.0: pciehp: Slot(0): Card present'
               '@@DWCO-9-1@@second\n')
        self.assertEqual(command_output(raw, '9-1'), 'alive\nsecond\n')

    def test_kernel_message_after_begin_marker(self):
        # seen in CI (2026-12-06): the RC's PCI messages printed between
        # the begin marker and its newline
        run_dir = tempfile.mkdtemp(prefix='dwcep-con-', dir='/tmp')
        try:
            t = fake_console(run_dir, lambda n: (
                '@@DWCBEGIN-%s@@pci 0000:01:00.0: [104c:b500] type 00\r\n'
                'pci 0000:01:00.0: BAR 0 [mem 0x00000000-0x000fffff 64bit]\r\n'
                '@@DWCO-%s@@there\r\n@@DWCEND-%s-0@@\r\n' % (n, n, n)))
            with GuestConsole(run_dir, 'rc', connect_timeout=5) as con:
                self.assertEqual(con.run('true', timeout=5), (0, 'there\n'))
            t.join(5)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)

    def test_output_kept(self):
        # output that looks like markers, or another command's tag, is the
        # command's own when it carries this command's tag
        raw = ('@@DWCO-9-1@@0\n@@DWCO-9-1@@@@\n@@DWCO-9-1@@DWCEND\n'
               '@@DWCO-9-2@@not this one\n@@DWCO-9-1@@\n')
        self.assertEqual(command_output(raw, '9-1'), '0\n@@\nDWCEND\n\n')
