#!/usr/bin/python3
"""Run shell commands in a guest of a pair started by run-pair.sh.

The guest's serial console is a unix socket in the run directory
(<run-dir>/<guest>-console.sock).  A command is typed at the guest's shell
between two marker lines; its output goes to a file first and is then
printed with a tag at the start of every line, and the second marker
carries its exit status.  The output is the tagged lines between the
markers: the shell's echo of the typed lines and the kernel's console
messages (a hot-plug, say) that the console mixes in are not.  The
console stays logged in <run-dir>/<guest>-console.log, as with any other
console traffic.

Usable as a module (GuestConsole, used by the avocado tests) and as a
command:

    scripts/guest_exec.py --run-dir DIR ep 'dmesg | tail'

prints the output and exits with the command's exit status (or 124 on a
timeout, 125 when the console cannot be reached).
"""

import argparse
import itertools
import os
import re
import socket
import sys
import time

_counter = itertools.count(1)


def command_output(raw, n):
    """The output of command @n in @raw, the console text between its
    markers: the lines that carry the command's tag ("@@DWCO-<n>@@"), from
    after the tag.  The typed lines hold the tag split by "", so their
    echo never matches; a kernel message is a line of its own, or comes
    before the tag on a line.  Carriage returns are dropped; every line of
    the result ends in a newline.
    """
    tag = '@@DWCO-%s@@' % n
    lines = []
    for line in raw.replace('\r', '').split('\n'):
        i = line.find(tag)
        if i >= 0:
            lines.append(line[i + len(tag):] + '\n')
    return ''.join(lines)


class ConsoleError(Exception):
    """The console could not be reached, or a command timed out."""


class GuestConsole:
    """A connection to one guest's console socket.

    Only one client can hold a QEMU console socket at a time: use as a
    context manager, or call close().
    """

    def __init__(self, run_dir, guest, connect_timeout=30.0):
        self.run_dir = run_dir
        self.guest = guest
        self.path = os.path.join(run_dir, '%s-console.sock' % guest)
        self.log = os.path.join(run_dir, '%s-console.log' % guest)
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(self.path)
                break
            except OSError as e:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise ConsoleError('cannot connect to %s: %s' % (self.path, e))
                time.sleep(0.2)
        self.buf = b''

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_until(self, pattern, deadline):
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.buf)
            if m:
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise ConsoleError('timed out waiting for %r on %s console '
                                   '(log: %s)' % (pattern, self.guest, self.log))
            self.sock.settimeout(min(left, 1.0))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise ConsoleError('%s console closed (log: %s)' % (self.guest, self.log))
            self.buf += data

    def run(self, command, timeout=60.0):
        """Run @command in the guest shell; return (status, output).

        Output lines have their carriage returns removed.  Raises
        ConsoleError on a timeout; the command may still be running then.
        """
        n = '%d-%d' % (os.getpid(), next(_counter))
        tmp = '/tmp/.dwc-out-%s' % n
        # The typed lines hold the markers and the tag split by "", so only
        # what the shell runs prints them whole.
        line = ('echo @@DWCB""EGIN-%s@@; { %s\n} >%s 2>&1; dwc_s=$?; '
                'sed "s/^/@@DWC""O-%s@@/" %s; rm -f %s; '
                'echo @@DWCE""ND-%s-$dwc_s@@\n' % (n, command, tmp, n, tmp, tmp, n))
        self.buf = b''
        self.sock.sendall(line.encode())
        deadline = time.monotonic() + timeout
        # No newline after the marker: a kernel message can land between
        # the two (seen in CI, 2026-12-06); the output lines carry the tag.
        begin = self._read_until(rb'@@DWCBEGIN-%s@@' % n.encode(), deadline)
        end = self._read_until(rb'@@DWCEND-%s-(\d+)@@' % n.encode(), deadline)
        out = command_output(self.buf[begin.end():end.start()]
                             .decode(errors='replace'), n)
        self.buf = self.buf[end.end():]
        return int(end.group(1)), out

    def check(self, command, timeout=60.0):
        """Like run(), but raise ConsoleError on a non-zero exit status."""
        status, out = self.run(command, timeout)
        if status != 0:
            raise ConsoleError('%s: %r exited %d:\n%s' % (self.guest, command, status, out))
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--run-dir', help='run directory of the pair (default: the latest)')
    ap.add_argument('--timeout', type=float, default=60.0, help='seconds (default 60)')
    ap.add_argument('guest', choices=['ep', 'rc'])
    ap.add_argument('command')
    args = ap.parse_args()
    run_dir = args.run_dir
    if not run_dir:
        cache = os.environ.get('DWC_EP_CACHE') or os.path.join(
            os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache'),
            'dwc-pcie-ep')
        run_dir = os.path.join(cache, 'run', 'latest')
    try:
        with GuestConsole(run_dir, args.guest) as con:
            status, out = con.run(args.command, args.timeout)
    except ConsoleError as e:
        print('guest_exec: %s' % e, file=sys.stderr)
        return 124 if 'timed out' in str(e) else 125
    sys.stdout.write(out)
    return status


if __name__ == '__main__':
    sys.exit(main())
