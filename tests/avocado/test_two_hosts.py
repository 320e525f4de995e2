"""A pair across two hosts: run-pair.sh --only rc on one, --only ep on the
other, linked over TCP with TLS and the RC side's key.

The two hosts are two network namespaces of this machine joined by a veth
pair (addresses of the test's own namespaces only, 10.231.0.0/24).  The RC
side listens on its namespace's address; the EP side connects from the
other namespace with a copy of the key; the selftest's INTx and MSI
tests pass in the RC guest (test_link.AGAIN_MESSAGES: BAR accesses over TCP
are test_link.SelftestTcp's).  A client in the EP namespace that offers a
HELLO without the key gets nothing back.
"""

import os
import shutil
import subprocess
import struct
import tempfile

from avocado import Test

from linkproto import MAGIC, ROLE_EP, hello
from pair import TOP, run_pair_env_args
from test_link import AGAIN_MESSAGES, AGAIN_MESSAGES_NAMES, tap_results

RC_ADDR = '10.231.0.1'
EP_ADDR = '10.231.0.2'
PORT = 47123

ROGUE = r'''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(bytes.fromhex(sys.argv[3]))   # a well-formed HELLO of the EP
s.settimeout(3)
got = b''
try:
    while True:
        d = s.recv(4096)
        if not d:
            break
        got += d
except (socket.timeout, ConnectionResetError):
    pass
print('got %d bytes, hello=%d' % (len(got), bytes.fromhex(sys.argv[4]) in got))
'''


class TwoHosts(Test):
    """
    :avocado: tags=link,security
    """

    def sh(self, *cmd, check=True, timeout=600):
        res = subprocess.run(list(cmd), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=timeout)
        self.log.info('%s -> %d\n%s', ' '.join(cmd), res.returncode, res.stdout)
        if check and res.returncode != 0:
            self.fail('%s exited %d:\n%s' % (' '.join(cmd), res.returncode,
                                             res.stdout[-3000:]))
        return res

    def setUp(self):
        if os.geteuid() != 0 or not shutil.which('ip'):
            self.cancel('needs root and iproute2 (ip netns) for two network namespaces')
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

    def run_pair(self, g, *args):
        self.dirs[g] = tempfile.mkdtemp(prefix='dwcep-%s-' % g, dir='/tmp')
        cmd = ['ip', 'netns', 'exec', self.ns[g], os.path.join(TOP, 'run-pair.sh'),
               '--detach', '--only', g, '--link', 'tcp:%s:%d' % (RC_ADDR, PORT),
               '--function', 'test', '--run-dir', self.dirs[g]] + \
            run_pair_env_args() + list(args)
        return self.sh(*cmd, timeout=1500)

    def guest(self, g, command, timeout=60):
        return self.sh(os.path.join(TOP, 'scripts', 'guest_exec.py'), '--run-dir',
                       self.dirs[g], '--timeout', str(timeout), g, command,
                       timeout=timeout + 30).stdout

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

        rogue = self.sh('ip', 'netns', 'exec', self.ns['ep'], '/usr/bin/python3',
                        '-c', ROGUE, RC_ADDR, str(PORT), hello(ROLE_EP).hex(),
                        struct.pack('<I', MAGIC).hex(), check=False, timeout=60)
        self.assertIn('hello=0', rogue.stdout, 'a client without the key got a HELLO')

    def tearDown(self):
        for g, d in getattr(self, 'dirs', {}).items():
            subprocess.run([os.path.join(TOP, 'run-pair.sh'), '--stop', '--run-dir', d],
                           check=False)
            for f in ('ep-console.log', 'rc-console.log', 'ep-qemu.log', 'rc-qemu.log'):
                if os.path.exists(os.path.join(d, f)):
                    shutil.copy(os.path.join(d, f), os.path.join(self.logdir, f))
        for ns in getattr(self, 'created', []):
            subprocess.run(['ip', 'netns', 'del', ns], check=False)
        if getattr(self, 'keydir', None):
            shutil.rmtree(self.keydir, ignore_errors=True)
