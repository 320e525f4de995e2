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
  DWC_EP_SOC=qemu|rcar-s4|rk3588
                      pass --soc to run-pair.sh the same way (a test that
                      needs a face names it)
  DWC_EP_KERNEL_FLAVOUR=normal|debug, DWC_EP_SMP=N|EP,RC
                      pass --kernel-flavour and --smp the same way (the
                      debug suite and tests/regressions/run.sh)
  DWC_EP_KERNEL=FILE, DWC_EP_INITRD=FILE
                      pass --kernel FILE and --initrd FILE (both guests: a
                      kernel of tests/regressions/run.sh)

What every test is held to, besides its own claim (checked in tearDown,
after the pair is stopped; a failure names the file and its lines):
  * both QEMUs still run when the test ends, unless the test stopped one
    on purpose (stop_guest_qemu(), expect_gone(); restart_guest() expects
    it to run again);
  * no QEMU wrote a sanitizer report, a failed assertion or an abort to
    its stderr (<run-dir>/{ep,rc}-qemu.err, QEMU_ERRORS);
  * no guest kernel printed a splat (a WARN, BUG, oops, panic, lockdep
    or KASAN/UBSAN report: KERNEL_SPLATS) on its console
    (<run-dir>/{ep,rc}-console.log), but for the lines the test class
    expects on purpose (console_allow);
  * run-pair.sh --stop ends within STOP_TIMEOUT s;
and the test ends within its class's `timeout` (avocado's per-test
timeout, setUp and test together; a test that outruns it is INTERRUPTED,
which scripts/count_results.py counts as failed).
"""

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

from avocado import Test
from qemu.qmp import ExecuteError, QMPClient

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))

from guest_exec import ConsoleError, GuestConsole  # noqa: E402


async def _qmp_session(path, commands):
    client = QMPClient('dwc-ep-test')
    await client.connect(path)          # greeting and qmp_capabilities
    try:
        ret = None
        for cmd, args in commands:
            try:
                ret = await client.execute(cmd, args)
            except ExecuteError as e:
                raise RuntimeError('QMP %s: %s' % (cmd, e)) from None
        return ret
    finally:
        await client.disconnect()


def qmp(path, *commands, timeout=30):
    """Run QMP commands, each (name, arguments), on the monitor socket at
    path, in order; return what the last one returned.  Raises
    RuntimeError on an 'error', TimeoutError when the whole session takes
    longer than @timeout s.  (qemu.qmp's client, Debian's
    python3-qemu-qmp, on an event loop of its own: the thread's loop, if
    any, is left alone.)"""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(
            asyncio.wait_for(_qmp_session(path, commands), timeout))
    except asyncio.TimeoutError:
        raise TimeoutError('QMP on %s: no answer within %s s' % (path, timeout)) from None
    finally:
        loop.close()


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
    if os.environ.get('DWC_EP_SOC'):
        # before the test's own arguments: a test that needs a face names it
        args += ['--soc', os.environ['DWC_EP_SOC']]
    for env, opt in (('DWC_EP_KERNEL_FLAVOUR', '--kernel-flavour'),
                     ('DWC_EP_SMP', '--smp'), ('DWC_EP_KERNEL', '--kernel'),
                     ('DWC_EP_INITRD', '--initrd')):
        if os.environ.get(env):
            args += [opt, os.environ[env]]
    return args


# What a QEMU's stderr must not hold: sanitizer reports, failed
# assertions (assert(), g_assert(), GLib's ** ERROR **), an abort.
QEMU_ERRORS = re.compile(
    r'ERROR: AddressSanitizer|runtime error:|LeakSanitizer|Assertion|'
    r'assertion failed|\*\*\s*ERROR\s*\*\*|^ERROR:\S+:\d+:|Aborted|core dumped|'
    r'qemu: (?:fatal|hardware error)')

# What a guest console must not hold: the kernel's splats.  A WARN starts
# with "WARNING: CPU: n PID: p at ..." (or "WARNING: file:line at ...,
# CPU#n: ..." in newer kernels), after the "cut here" line.
KERNEL_SPLATS = re.compile(
    r'WARNING: .*CPU[:#] ?\d|-+\[ cut here \]|\bBUG: |\bOops\b|'
    r'Unable to handle kernel|Internal error|Kernel panic|'
    r'list_del corruption|possible circular locking|'
    r'sleeping function called from invalid context|\bKASAN: |\bUBSAN: |'
    r'general protection|Call trace:|'
    # the debug flavour's reports: every lockdep report prints the first,
    # the object debugger (DEBUG_OBJECTS_*) the second, kmemleak the third
    r'other info that might help us debug this|\bODEBUG: |'
    r'suspected memory leak')

# scripts/guest_exec.py types its markers split by "" (the echo of a typed
# command starts at TYPED_BEGIN and ends after TYPED_END's "@@") and tags
# each output line with OUTPUT_TAG.
TYPED_BEGIN = 'echo @@DWCB""EGIN-'
TYPED_END = re.compile(r'@@DWCE""ND-[^@]*@@')
OUTPUT_TAG = '@@DWCO-'

STOP_TIMEOUT = 60


def console_kernel_text(line):
    """What of a console line the guest's kernel (or anything but
    guest_exec.py) may have printed: the line less the echo of a command
    guest_exec.py typed and less a command's tagged output (what the
    command printed: a kernel message there was on the console already).
    What lies between the first and the last line of a typed command (its
    inner lines, and the pieces the shell's line editor wraps at 80
    columns) is kept: it is the test's own text, so a command must not
    hold the words of KERNEL_SPLATS."""
    line = line.replace('\r', '')
    m = None
    for m in TYPED_END.finditer(line):
        pass
    if m:
        line = line[m.end():]
    i = line.find(TYPED_BEGIN)
    if i >= 0:
        line = line[:i]
    i = line.find(OUTPUT_TAG)
    if i >= 0:
        line = line[:i]
    return line


def find_lines(path, pattern, allow=(), kernel=False, limit=10):
    """[(line number, line)] of the file at @path that match @pattern and
    none of the regexes @allow (at most @limit, the first ones); with
    @kernel, only what console_kernel_text() keeps of each line counts.
    A missing file has none."""
    found = []
    try:
        with open(path, errors='replace') as f:
            for no, line in enumerate(f, 1):
                text = console_kernel_text(line) if kernel else line.rstrip('\r\n')
                if pattern.search(text) and not any(re.search(a, text) for a in allow):
                    found.append((no, text.strip()))
                    if len(found) >= limit:
                        break
    except FileNotFoundError:
        pass
    return found


def describe(path, what, lines):
    return '%s in %s:\n%s' % (what, path, '\n'.join(
        '  line %d: %s' % (no, text[:300]) for no, text in lines))


def check_guest_logs(run_dir, copy_dir, name, allow=(), suffix=''):
    """Copy guest @name's QEMU stderr and console log from @run_dir into
    @copy_dir (each name with @suffix appended) and return what is wrong
    in them: a sanitizer report, failed assertion or abort in the stderr
    (QEMU_ERRORS), a kernel splat on the console (KERNEL_SPLATS, less the
    lines matching a regex of @allow).  One string per file at fault,
    naming the copy and the lines; [] when both are clean or missing.
    Tests that are not a PairTest (several pairs, or pairs in network
    namespaces) end with it too."""
    problems = []
    for f, pattern, kernel, allow_f, what in (
            ('%s-qemu.err' % name, QEMU_ERRORS, False, (),
             'a sanitizer report, failed assertion or abort in the %s '
             'QEMU\'s stderr' % name),
            ('%s-console.log' % name, KERNEL_SPLATS, True, allow,
             'a kernel splat on the %s console' % name)):
        src = os.path.join(run_dir, f)
        if not os.path.exists(src):
            continue
        copy = os.path.join(copy_dir, f + suffix)
        shutil.copy(src, copy)
        lines = find_lines(src, pattern, allow_f, kernel)
        if lines:
            problems.append(describe(copy, what, lines))
    return problems


class PairTest(Test):
    """Boots the pair in setUp; run_in()/check_in() run guest commands.

    A console is connected only for the time of one command: a client that
    holds a QEMU console socket without reading it stalls the guest's
    serial output, and with it the guest.
    """

    # No endpoint function unless a test asks for one.
    run_pair_args = ['--function', 'none']
    boot_timeout = 300
    # avocado's timeout of one test, setUp and test together (and again of
    # its tearDown), in s: a hang ends here and counts as failed
    # (INTERRUPTED).  The slowest tests took under 4 min on the 2-core
    # machine with a sanitizer QEMU build beside them (2026-12-07:
    # test_link's SelftestTcp.test_data_transfer 213 s, test_link_restart
    # 98 s), the link robustness tests a few times their 10 to 40 s on
    # sanitizer QEMUs.
    # A class that needs more sets its own.  Without DWC_EP_NO_BUILD=1,
    # setUp may build first: BUILD_ALLOWANCE s more.
    timeout = 900
    BUILD_ALLOWANCE = 1200
    # Regexes of console lines a test class provokes on purpose (a kernel
    # warning it checks for, say): the tearDown's console check skips them.
    # Use sparingly, with a comment that says why.
    console_allow = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.timeout is not None and os.environ.get('DWC_EP_NO_BUILD') != '1':
            self.timeout += self.BUILD_ALLOWANCE
            self.log.debug('timeout %s s: setUp may build first', self.timeout)
        # guests whose QEMU the test stopped on purpose
        self._gone = set()
        # what the checks found in the logs of a guest's earlier QEMU
        # (restart_guest() starts it with fresh ones)
        self._log_problems = []
        self._restarts = {'ep': 0, 'rc': 0}
        self._pair_up = False

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
        self._pair_up = True

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

    def expect_gone(self, name):
        """The test stops the QEMU of guest 'ep' or 'rc' on purpose (by some
        other way than stop_guest_qemu()): tearDown does not require it to
        run."""
        self._gone.add(name)

    def stop_guest_qemu(self, name, sig=signal.SIGTERM):
        """Stop the QEMU of guest 'ep' or 'rc' with @sig and wait for it;
        tearDown no longer requires it to run (expect_gone())."""
        pid = self.qemu_pid(name)
        self.expect_gone(name)
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
        """Start guest 'ep' or 'rc' again with run-pair.sh --restart;
        tearDown requires it to run again.  The logs of its earlier QEMU
        are checked and kept as <logdir>/<file>.before-restart-N."""
        # run-pair.sh starts the QEMU with a new console log and stderr:
        # check and keep the old ones first.
        self._restarts[name] += 1
        self._check_logs(name, '.before-restart-%d' % self._restarts[name])
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
        self._gone.discard(name)

    def _save_logs(self):
        for f in ('ep-console.log', 'rc-console.log', 'ep-qemu.log', 'rc-qemu.log',
                  'ep-qemu.err', 'rc-qemu.err'):
            src = os.path.join(self.run_dir, f)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.logdir, f))

    def _check_logs(self, name, suffix=''):
        """Check guest @name's QEMU stderr and console log; note what is
        wrong in self._log_problems, naming the copies in the test's log
        directory (with @suffix: the logs of a QEMU that was restarted)."""
        if suffix:
            src = os.path.join(self.run_dir, '%s-qemu.log' % name)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(self.logdir, '%s-qemu.log%s' % (name, suffix)))
        self._log_problems += check_guest_logs(self.run_dir, self.logdir, name,
                                               self.console_allow, suffix)

    def _qemu_pids(self):
        """{guest: pid} of the pid files in the run directory."""
        pids = {}
        for g in ('ep', 'rc'):
            try:
                pids[g] = self.qemu_pid(g)
            except (OSError, ValueError):
                pass
        return pids

    @staticmethod
    def _qemu_running(pid):
        """Whether @pid is a running QEMU (not a zombie, nor a process that
        got the number of one that exited)."""
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                return b'qemu-system' in f.read() and pid_alive(pid)
        except OSError:
            return False

    def _tail(self, name, n=5):
        try:
            with open(os.path.join(self.run_dir, name), errors='replace') as f:
                return ''.join(f.readlines()[-n:]) or '(nothing)'
        except OSError as e:
            return '(%s)' % e

    def _stop_command(self):
        return [os.path.join(TOP, 'run-pair.sh'), '--stop', '--run-dir', self.run_dir]

    def tearDown(self):
        problems = []
        pids = self._qemu_pids()
        if self._pair_up:
            for g in ('ep', 'rc'):
                if g not in self._gone and not self._qemu_running(pids.get(g, 0)):
                    problems.append(
                        'the %s QEMU (pid %s) is gone, and the test did not stop '
                        'it; its stderr: %s/%s-qemu.err, console: %s/%s-console.log; '
                        'its stderr ends:\n%s'
                        % (g, pids.get(g, '?'), self.logdir, g, self.logdir, g,
                           self._tail('%s-qemu.err' % g)))
        try:
            res = subprocess.run(self._stop_command(), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True,
                                 timeout=STOP_TIMEOUT)
            self.log.info('run-pair.sh --stop:\n%s', res.stdout)
            if res.returncode != 0:
                problems.append('run-pair.sh --stop exited %d (a QEMU that did not '
                                'quit was killed):\n%s\nconsoles: %s/{ep,rc}-console.log'
                                % (res.returncode, res.stdout.strip(), self.logdir))
        except subprocess.TimeoutExpired:
            killed = []
            for g, pid in sorted(pids.items()):
                if self._qemu_running(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        killed.append('%s (pid %d)' % (g, pid))
                    except OSError:
                        pass
            problems.append('run-pair.sh --stop did not end within %d s; killed '
                            'the QEMUs of %s; consoles: %s/{ep,rc}-console.log'
                            % (STOP_TIMEOUT, ', '.join(killed) or 'none',
                               self.logdir))
        self._save_logs()
        for g in ('ep', 'rc'):
            self._check_logs(g)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        problems += self._log_problems
        if problems:
            earlier = ('the test had failed already: %s\nand then: '
                       % self.fail_reason if self.fail_reason else '')
            self.fail(earlier + '\n'.join(problems))
