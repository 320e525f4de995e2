"""A pair across two hosts: run-pair.sh --only rc on one, --only ep on the
other, linked over TCP with TLS and the RC side's key.

The two hosts are two network namespaces of this machine joined by a veth
pair (addresses of the test's own namespaces only, 10.231.0.0/24).  The RC
side listens on its namespace's address; the EP side connects from the
other namespace with a copy of the key; the selftest's INTx and MSI
tests pass in the RC guest (test_link.AGAIN_MESSAGES: BAR accesses over TCP
are test_link.SelftestTcp's).

Then the EP QEMU is killed, so that the RC QEMU's link socket (a QEMU
socket chardev takes one client at a time) listens again, and a client in
the EP namespace that has no key connects and offers a plaintext HELLO as
the link's first message: the RC QEMU accepts it, fails the TLS
handshake, logs that (trace chr_socket_tls_handshake_err in rc-qemu.log)
and closes the connection; the client gets no HELLO back, and the RC guest
sees no function arrive.

Needs root and iproute2 (ip netns); without them the test cancels, except
under CI (CI=true), where that is a failure: a CI runner is set up to have
them (scripts/bootstrap.sh installs iproute2).
"""

import json
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time

from avocado import Test

from linkproto import MAGIC, ROLE_EP, hello
from pair import (STOP_TIMEOUT, TOP, PairTest, check_guest_logs, pid_alive,
                  run_pair_env_args)
from test_link import AGAIN_MESSAGES, AGAIN_MESSAGES_NAMES, tap_results

RC_ADDR = '10.231.0.1'
EP_ADDR = '10.231.0.2'
PORT = 47123
RC_FN = '/sys/bus/pci/devices/0000:01:00.0'
TLS_ERR = 'chr_socket_tls_handshake_err'

# A client without the key, run in the EP namespace: it connects, sends a
# well-formed HELLO of the EP in plaintext, and reads until the peer closes
# the connection or @deadline s pass.  Prints what it saw as JSON: bytes
# received, whether a HELLO (its magic) was among them, whether the peer
# closed the connection (a timeout is not a close) and after how long.
ROGUE = r'''
import json, socket, sys, time
host, port, greeting, magic, deadline = sys.argv[1:6]
s = socket.create_connection((host, int(port)), timeout=5)
t0 = time.monotonic()
s.sendall(bytes.fromhex(greeting))
got, closed, why = b'', False, 'deadline'
while time.monotonic() - t0 < float(deadline):
    s.settimeout(max(0.1, float(deadline) - (time.monotonic() - t0)))
    try:
        d = s.recv(4096)
    except socket.timeout:
        continue
    except ConnectionResetError:
        closed, why = True, 'reset'
        break
    if not d:
        closed, why = True, 'eof'
        break
    got += d
print(json.dumps({'bytes': len(got), 'hello': bytes.fromhex(magic) in got,
                  'closed': closed, 'how': why,
                  'secs': round(time.monotonic() - t0, 2)}))
'''


class TwoHosts(Test):
    """
    :avocado: tags=link,security
    """

    # avocado's per-test timeout, as the pairs of PairTest have
    timeout = PairTest.timeout

    def sh(self, *cmd, check=True, timeout=600):
        res = subprocess.run(list(cmd), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=timeout)
        self.log.info('%s -> %d\n%s', ' '.join(cmd), res.returncode, res.stdout)
        if check and res.returncode != 0:
            self.fail('%s exited %d:\n%s' % (' '.join(cmd), res.returncode,
                                             res.stdout[-3000:]))
        return res

    def setUp(self):
        self.gone = set()           # guests whose QEMU the test killed
        missing = []
        if os.geteuid() != 0:
            missing.append('root')
        if not shutil.which('ip'):
            missing.append('iproute2 (ip)')
        if missing:
            why = ('needs %s for two network namespaces (ip netns)'
                   % ' and '.join(missing))
            if os.environ.get('CI') == 'true':
                self.fail('%s; under CI (CI=true) that is a failure: the runner '
                          'must run the tests as root with iproute2 installed '
                          '(scripts/bootstrap.sh)' % why)
            self.cancel(why)
        tag = '%d' % os.getpid()
        self.ns = {'rc': 'dwcep-rc-' + tag, 'ep': 'dwcep-ep-' + tag}
        self.dirs = {}
        self.created = []
        for g in ('rc', 'ep'):
            self.sh('ip', 'netns', 'add', self.ns[g])
            self.created.append(self.ns[g])
            self.sh('ip', '-n', self.ns[g], 'link', 'set', 'lo', 'up')
        veth = 'dwcv' + tag
        self.sh('ip', '-n', self.ns['rc'], 'link', 'add', veth + 'r', 'type', 'veth',
                'peer', 'name', veth + 'e', 'netns', self.ns['ep'])
        for g, dev, addr in (('rc', veth + 'r', RC_ADDR), ('ep', veth + 'e', EP_ADDR)):
            self.sh('ip', '-n', self.ns[g], 'addr', 'add', addr + '/24', 'dev', dev)
            self.sh('ip', '-n', self.ns[g], 'link', 'set', dev, 'up')
        self.keydir = tempfile.mkdtemp(prefix='dwcep-key-', dir='/tmp')

    def logs_hint(self):
        return ('consoles and QEMU logs: %s (copied to %s)'
                % (', '.join('%s/%s-{console,qemu}.log' % (d, g)
                             for g, d in sorted(self.dirs.items())), self.logdir))

    def run_pair(self, g, *args):
        self.dirs[g] = tempfile.mkdtemp(prefix='dwcep-%s-' % g, dir='/tmp')
        cmd = ['ip', 'netns', 'exec', self.ns[g], os.path.join(TOP, 'run-pair.sh'),
               '--detach', '--only', g, '--link', 'tcp:%s:%d' % (RC_ADDR, PORT),
               '--function', 'test', '--run-dir', self.dirs[g]] + \
            run_pair_env_args() + list(args)
        return self.sh(*cmd, timeout=1500)

    def guest_run(self, g, command, timeout=60):
        res = self.sh(os.path.join(TOP, 'scripts', 'guest_exec.py'), '--run-dir',
                      self.dirs[g], '--timeout', str(timeout), g, command,
                      check=False, timeout=timeout + 30)
        return res.returncode, res.stdout

    def guest(self, g, command, timeout=60):
        status, out = self.guest_run(g, command, timeout)
        if status != 0:
            self.fail('[%s] %r exited %d:\n%s\n%s'
                      % (g, command, status, out[-3000:], self.logs_hint()))
        return out

    def wait_guest(self, g, command, what, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.guest_run(g, command)[0] == 0:
                return
            time.sleep(0.5)
        self.fail('[%s] %s within %d s; %s' % (g, what, timeout, self.logs_hint()))

    def rc_qemu_log(self):
        with open(os.path.join(self.dirs['rc'], 'rc-qemu.log')) as f:
            return f.read()

    def kill_ep_qemu(self):
        """SIGKILL the EP QEMU and wait (bounded) until it is gone."""
        with open(os.path.join(self.dirs['ep'], 'ep.pid')) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGKILL)
        self.gone.add('ep')
        end = time.monotonic() + 10
        while pid_alive(pid):
            if time.monotonic() > end:
                self.fail('EP QEMU (pid %d) still runs 10 s after SIGKILL' % pid)
            time.sleep(0.1)

    def test_selftest_across_namespaces(self):
        out = self.run_pair('rc').stdout
        self.assertIn('listening on %s:%d' % (RC_ADDR, PORT), out)
        key = os.path.join(self.keydir, 'keys.psk')
        shutil.copy(os.path.join(self.dirs['rc'], 'psk', 'keys.psk'), key)
        os.chmod(key, 0o600)
        self.run_pair('ep', '--link-key', key)

        self.guest('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30', 60)
        res = tap_results(self.guest('rc', AGAIN_MESSAGES, 600))
        bad = ['%s=%s' % (t, res.get(t, ('missing',))[0]) for t in AGAIN_MESSAGES_NAMES
               if res.get(t, ('missing',))[0] != 'ok']
        self.assertEqual(bad, [], 'selftest across two namespaces: %s' % bad)

        # The RC QEMU's socket chardev serves one client: with the EP
        # connected, another client waits in the listen backlog and hears
        # nothing whatever TLS does.  Take the EP away first, and wait
        # until the RC guest saw its function leave (the RC QEMU noticed
        # the disconnect and listens again).
        self.assertEqual(self.rc_qemu_log().count(TLS_ERR), 0,
                         'a TLS handshake failed before any client without the key '
                         'came; %s' % self.logs_hint())
        self.kill_ep_qemu()
        self.wait_guest('rc', '! test -e %s' % RC_FN,
                        'the function did not leave after the EP QEMU was killed', 60)

        deadline = 15
        rogue = self.sh('ip', 'netns', 'exec', self.ns['ep'], '/usr/bin/python3',
                        '-c', ROGUE, RC_ADDR, str(PORT), hello(ROLE_EP).hex(),
                        struct.pack('<I', MAGIC).hex(), str(deadline),
                        timeout=deadline + 30)
        seen = json.loads(rogue.stdout.strip().splitlines()[-1])
        self.log.info('client without the key: %s', seen)
        self.assertFalse(seen['hello'], 'a client without the key got a HELLO '
                         '(%d bytes); %s' % (seen['bytes'], self.logs_hint()))
        self.assertTrue(seen['closed'], 'the RC QEMU did not close the connection of '
                        'a client without the key within %d s (it got %d bytes): it '
                        'never refused it; %s' % (deadline, seen['bytes'],
                                                  self.logs_hint()))
        # The refusal is the TLS handshake's, and it is logged.
        end = time.monotonic() + 10
        while self.rc_qemu_log().count(TLS_ERR) < 1 and time.monotonic() < end:
            time.sleep(0.2)
        self.assertGreaterEqual(self.rc_qemu_log().count(TLS_ERR), 1,
                                'the RC QEMU closed the connection of a client without '
                                'the key but logged no failed TLS handshake (%s); %s'
                                % (TLS_ERR, self.logs_hint()))
        self.guest('rc', '! test -e %s' % RC_FN)

    def tearDown(self):
        # As PairTest's: each QEMU still runs unless the test killed it,
        # the stop is bounded, and both QEMUs' stderr and consoles are
        # clean (pair.check_guest_logs).
        problems = []
        for g, d in getattr(self, 'dirs', {}).items():
            pid_file = os.path.join(d, '%s.pid' % g)
            if os.path.exists(pid_file) and g not in getattr(self, 'gone', ()):
                with open(pid_file) as f:
                    pid = int(f.read())
                if not pid_alive(pid):
                    problems.append('the %s QEMU (pid %d) is gone, and the test did not '
                                    'stop it; its stderr: %s/%s-qemu.err'
                                    % (g, pid, self.logdir, g))
            try:
                res = subprocess.run([os.path.join(TOP, 'run-pair.sh'), '--stop',
                                      '--run-dir', d], check=False, timeout=STOP_TIMEOUT,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
                if res.returncode != 0:
                    problems.append('run-pair.sh --stop of %s exited %d: %s'
                                    % (g, res.returncode, res.stdout.strip()))
            except subprocess.TimeoutExpired:
                problems.append('run-pair.sh --stop of %s did not end within %d s; '
                                'console: %s/%s-console.log' % (g, STOP_TIMEOUT,
                                                                self.logdir, g))
            for f in ('%s-qemu.log' % g,):
                if os.path.exists(os.path.join(d, f)):
                    shutil.copy(os.path.join(d, f), os.path.join(self.logdir, f))
            problems += check_guest_logs(d, self.logdir, g)
        for ns in getattr(self, 'created', []):
            subprocess.run(['ip', 'netns', 'del', ns], check=False)
        if getattr(self, 'keydir', None):
            shutil.rmtree(self.keydir, ignore_errors=True)
        for d in getattr(self, 'dirs', {}).values():
            shutil.rmtree(d, ignore_errors=True)
        if problems:
            earlier = ('the test had failed already: %s\nand then: '
                       % self.fail_reason if self.fail_reason else '')
            self.fail(earlier + '\n'.join(problems))
