"""Shared base of the end-to-end tests: a pair booted by run-pair.sh.

Every test starts its own pair through run-pair.sh --detach (the same code
a developer runs), talks to the guests through their console sockets
(scripts/guest_exec.py), and stops the pair in tearDown.  The consoles and
QEMU logs are copied into the test's avocado log directory, and every
failure message names them.

Environment:
  DWC_EP_NO_BUILD=1   pass --no-build to run-pair.sh (the test runner has
                      built everything already)
  DWC_EP_QEMU=FILE    pass --qemu FILE to run-pair.sh (the sanitizer build)
  DWC_EP_FAST_PATH=on|off
                      pass --fast-path on|off to run-pair.sh, before the
                      test's own arguments (a test that names the path it
                      checks keeps it)
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from avocado import Test

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from guest_exec import ConsoleError, GuestConsole  # noqa: E402


def qmp(path, *commands, timeout=30):
    """Run QMP commands, each (name, arguments), on the monitor socket at
    path, in order; return what the last one returned.  Raises
    RuntimeError on an 'error'."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    f = s.makefile('rw')
    ret = None
    try:
        json.loads(f.readline())                    # the greeting
        for cmd, args in (('qmp_capabilities', {}),) + commands:
            f.write(json.dumps({'execute': cmd, 'arguments': args}) + '\n')
            f.flush()
            while True:
                msg = json.loads(f.readline())
                if 'error' in msg:
                    raise RuntimeError('QMP %s: %s' % (cmd, msg['error']))
                if 'return' in msg:
                    ret = msg['return']
                    break                           # events are skipped
    finally:
        f.close()
        s.close()
    return ret


def pid_alive(pid):
    """Whether process @pid runs and has not exited.  A QEMU of a pair
    started with --detach that exited stays a zombie until init reaps it,
    which can take seconds: /proc/PID alone would count it as running."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('State:'):
                    return line.split()[1] != 'Z'
    except OSError:
        pass
    return False


def run_pair_env_args():
    """run-pair.sh arguments the environment asks for (see above)."""
    args = []
    if os.environ.get('DWC_EP_NO_BUILD') == '1':
        args.append('--no-build')
    if os.environ.get('DWC_EP_QEMU'):
        args += ['--qemu', os.environ['DWC_EP_QEMU']]
    if os.environ.get('DWC_EP_FAST_PATH'):
        args += ['--fast-path', os.environ['DWC_EP_FAST_PATH']]
    return args


class PairTest(Test):
    """Boots the pair in setUp; run_in()/check_in() run guest commands.

    A console is connected only for the time of one command: a client that
    holds a QEMU console socket without reading it stalls the guest's
    serial output, and with it the guest.
    """

    # No endpoint function unless a test asks for one.
    run_pair_args = ['--function', 'none']
    boot_timeout = 300

    def setUp(self):
        # Unix socket paths must stay short: not under avocado's workdir.
        self.run_dir = tempfile.mkdtemp(prefix='dwcep-', dir='/tmp')
        cmd = ([os.path.join(TOP, 'run-pair.sh'), '--detach',
                '--run-dir', self.run_dir, '--function', 'none'] +
               run_pair_env_args() + list(self.run_pair_args))
        self.log.info('starting pair: %s', ' '.join(cmd))
        res = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             timeout=self.boot_timeout + 1200)
        self.log.info('run-pair.sh output:\n%s', res.stdout)
        if res.returncode != 0:
            self._save_logs()
            self.fail('run-pair.sh failed (exit %d); %s\n%s'
                      % (res.returncode, self.logs_hint(), res.stdout[-2000:]))

    def logs_hint(self):
        return ('consoles: %s/{ep,rc}-console.log, QEMU logs: %s/{ep,rc}-qemu.log '
                '(copied to %s)' % (self.run_dir, self.run_dir, self.logdir))

    def run_in(self, name, command, timeout=60):
        """Run command in guest 'ep' or 'rc'; return (status, output)."""
        try:
            with GuestConsole(self.run_dir, name) as con:
                status, out = con.run(command, timeout)
        except ConsoleError as e:
            self.fail('%s; %s' % (e, self.logs_hint()))
        self.log.info('[%s] %s -> %d\n%s', name, command, status, out)
        return status, out

    def check_in(self, name, command, timeout=60):
        """Run command in a guest; fail the test unless it exits 0."""
        status, out = self.run_in(name, command, timeout)
        if status != 0:
            self.fail('[%s] %r exited %d:\n%s\n%s'
                      % (name, command, status, out, self.logs_hint()))
        return out

    def qemu_pid(self, name):
        with open(os.path.join(self.run_dir, '%s.pid' % name)) as f:
            return int(f.read())

    def qmp(self, name, *commands, timeout=30):
        """qmp() on the monitor of guest 'ep' or 'rc'."""
        return qmp(os.path.join(self.run_dir, '%s-qmp.sock' % name), *commands,
                   timeout=timeout)

    def stop_guest_qemu(self, name, sig=signal.SIGTERM):
        """Stop the QEMU of guest 'ep' or 'rc' with @sig and wait for it."""
        pid = self.qemu_pid(name)
        os.kill(pid, sig)
        for _ in range(100):
            if not pid_alive(pid):
                return
            time.sleep(0.1)
        self.fail('%s QEMU (pid %d) did not stop on signal %d' % (name, pid, sig))

    def wait_in(self, guest, command, what, timeout=30):
        """Run @command in @guest until it exits 0; fail after @timeout s,
        saying @what did not happen."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.run_in(guest, command)[0] == 0:
                return
            time.sleep(0.5)
        self.fail('[%s] %s within %d s; %s' % (guest, what, timeout, self.logs_hint()))

    def connect_rc_link(self, tries=100):
        """A socket connected to the RC QEMU's link (its server socket,
        link.sock), for a Python peer in the EP's place; retried every
        0.1 s up to @tries times, then the test fails."""
        path = os.path.join(self.run_dir, 'link.sock')
        err = None
        for _ in range(tries):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError as e:
                err = e
                s.close()
                time.sleep(0.1)
        self.fail('cannot connect to the RC link socket %s (%s); %s'
                  % (path, err, self.logs_hint()))

    def pose_as_rc(self, timeout=20):
        """Stop the RC QEMU and listen on the link socket in its place (the
        EP QEMU reconnects to it); returns the listening socket."""
        self.stop_guest_qemu('rc')
        path = os.path.join(self.run_dir, 'link.sock')
        if os.path.exists(path):
            os.unlink(path)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        srv.settimeout(timeout)
        return srv

    def end_pose_as_rc(self, srv):
        """Close what pose_as_rc() opened, so that the RC QEMU can listen."""
        srv.close()
        path = os.path.join(self.run_dir, 'link.sock')
        if os.path.exists(path):
            os.unlink(path)

    def restart_guest(self, name):
        """Start guest 'ep' or 'rc' again with run-pair.sh --restart."""
        cmd = [os.path.join(TOP, 'run-pair.sh'), '--restart', name,
               '--run-dir', self.run_dir]
        res = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             timeout=self.boot_timeout + 60)
        self.log.info('run-pair.sh --restart %s:\n%s', name, res.stdout)
        if res.returncode != 0:
            self.fail('run-pair.sh --restart %s failed (exit %d); %s\n%s'
                      % (name, res.returncode, self.logs_hint(),
                         res.stdout[-2000:]))

    def _save_logs(self):
        for f in ('ep-console.log', 'rc-console.log', 'ep-qemu.log', 'rc-qemu.log',
                  'ep-qemu.err', 'rc-qemu.err'):
            src = os.path.join(self.run_dir, f)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.logdir, f))

    def tearDown(self):
        subprocess.run([os.path.join(TOP, 'run-pair.sh'), '--stop',
                        '--run-dir', self.run_dir], check=False)
        self._save_logs()
        shutil.rmtree(self.run_dir, ignore_errors=True)
