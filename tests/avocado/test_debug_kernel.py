"""The debug-kernel SMP run: the whole selftest, vNTB ping and ntb_tool on
debug kernels with two vCPUs per guest.

Each class here is one of the end-to-end tests of test_link (the whole
pci_endpoint_test selftest), test_vntb (ping over ntb_netdev) and
test_ntb_tool (scratchpads, memory windows, ntb_perf, doorbells), run
unchanged but on a pair booted with

    run-pair.sh --kernel-flavour debug --smp 2

both guests on the debug flavour of the patched kernel
(scripts/build-kernel.sh --flavour debug, kernel-patches/config-debug.fragment:
lockdep with PROVE_LOCKING, DEBUG_ATOMIC_SLEEP, generic KASAN, DEBUG_LIST,
DEBUG_OBJECTS_WORK/TIMERS, DEBUG_SHIRQ, kmemleak) and two vCPUs each (MTTCG),
so that a lock taken in the wrong order, a sleep in atomic context, a
use-after-free or a corrupted list on the doorbell and link paths shows.

What a debug test is held to, besides its parent's claim and PairTest's
tearDown checks (no kernel splat on either console: pair.KERNEL_SPLATS
has the lockdep, KASAN, atomic-sleep, list_del corruption, ODEBUG and
kmemleak lines), checked in each guest at the end of the test, before the
pair is stopped (DebugPair.tearDown):
  * the guest still runs the debug kernel as configured: two CPUs online,
    KASAN said "KernelAddressSanitizer initialized (generic)" on its
    console, and lockdep is still on (/proc/lockdep_stats says
    "debug_locks: 1"; lockdep turns itself off after its first report, and
    a run where it is off proves nothing about locking from then on);
  * kmemleak, scanned twice (the automatic scan is off in the flavour),
    lists no unreferenced object; what it lists is kept as
    <logdir>/<guest>-kmemleak.txt.
So a debug test fails on a normal kernel or with one vCPU rather than
passing silently, and DebugKernel checks that the guests run the debug
build itself (release and build stamp), with every option of the
fragment in its .config, before any endpoint function starts.

Each class is ":avocado: recursive", so that avocado lists the tests it
inherits (and any test added to its parent later), with the parent's tags
besides "debug" (select the debug run with --filter-by-tags=debug, leave
it out of another with e.g. --filter-by-tags=vntb,-debug).  avocado lists
only the classes this file defines, not the parents it imports (avocado
list tests/avocado/test_debug_kernel.py: the Debug* classes alone).

The same tests on the GIC ITS doorbell are in debug_its.py, outside the
default run: on a debug EP, pci-ep-msi's pci_epf_write_msi_msg() looks the
EPC up by name (a spinlock_t) under the raw irq_desc lock when the
doorbell's interrupt is requested, and lockdep reports "BUG: Invalid wait
context" (PROVE_RAW_LOCK_NESTING), a Linux 7.2 bug not fixed here yet
(docs/bug-finder.md).
"""

import os
import re
import subprocess

import test_link
import test_ntb_tool
import test_vntb
from pair import KERNEL_SPLATS, TOP, PairTest, find_lines

# What every pair here boots with.  --timeout: how long run-pair.sh waits
# for both shells (its default, 180 s, is for the normal kernel; debug
# pairs took 16 to 48 s).
SMP = 2
DEBUG = ['--kernel-flavour', 'debug', '--smp', str(SMP), '--timeout', '300']

FRAGMENT = os.path.join(TOP, 'kernel-patches', 'config-debug.fragment')
KASAN_ON = re.compile(r'KernelAddressSanitizer initialized \(generic\)')
KMEMLEAK = '/sys/kernel/debug/kmemleak'
# How long a kmemleak scan may take (two scans and the listing), in s.
KMEMLEAK_TIMEOUT = 300


class DebugPair:
    """The debug flavour's checks at the end of each test (a mixin of
    PairTest, before it in the bases)."""

    # avocado's timeout of one test (setUp and test; tearDown has its
    # own).  Measured 2026-12-07 on the 2-core machine with other builds
    # beside it: the slowest, DebugSelftestEmbedded.test_whole, took 233 s
    # (boot 25 s, the selftest 178 s, the end checks 23 s); boots took 16
    # to 48 s, the end checks 16 to 34 s.
    timeout = 900

    def debug_problems(self, g, kmemleak=True):
        """What is wrong with guest @g as a debug guest at this point: one
        string per problem, naming the console log; [] when it runs the
        debug kernel with lockdep still on and (with @kmemleak) a kmemleak
        scan found nothing."""
        problems = []
        console = os.path.join(self.run_dir, '%s-console.log' % g)
        where = '%s (copied to %s)' % (console, self.logdir)
        status, out = self.run_in(g, 'cat /sys/devices/system/cpu/online')
        cpus = '0-%d' % (SMP - 1)
        if status != 0 or not re.search(r'(?m)^%s\s*$' % cpus, out):
            problems.append('[%s] CPUs online: %r, not %s (--smp %d); console: %s'
                            % (g, out.strip(), cpus, SMP, where))
        if not find_lines(console, KASAN_ON, kernel=True, limit=1):
            problems.append('[%s] the kernel never said "KernelAddressSanitizer '
                            'initialized (generic)": not the debug flavour; console: %s'
                            % (g, where))
        status, out = self.run_in(g, 'grep debug_locks: /proc/lockdep_stats')
        m = re.search(r'debug_locks:\s+(\d+)', out)
        if status != 0 or not m:
            problems.append('[%s] no debug_locks line in /proc/lockdep_stats (exit %d): '
                            'a kernel without lockdep; console: %s' % (g, status, where))
        elif m.group(1) != '1':
            problems.append('[%s] lockdep turned itself off (/proc/lockdep_stats: '
                            'debug_locks %s), after a report: see the console %s'
                            % (g, m.group(1), where))
        if kmemleak:
            problems += self.kmemleak_problems(g, where)
        return problems

    def kmemleak_problems(self, g, where):
        """Scan for leaks in guest @g (twice: kmemleak reports an object
        only once its contents have stayed the same over a scan) and list
        them; one problem naming the listing and the console if it lists
        any object."""
        status, out = self.run_in(
            g, 'test -w %s && echo scan > %s && echo scan > %s && cat %s'
            % (KMEMLEAK, KMEMLEAK, KMEMLEAK, KMEMLEAK), timeout=KMEMLEAK_TIMEOUT)
        if status != 0:
            return ['[%s] kmemleak scan failed (exit %d; no %s: not the debug '
                    'flavour, or kmemleak disabled itself):\n%s\nconsole: %s'
                    % (g, status, KMEMLEAK, out[-1000:], where)]
        listing = os.path.join(self.logdir, '%s-kmemleak.txt' % g)
        with open(listing, 'w') as f:
            f.write(out)
        leaks = re.findall(r'unreferenced object 0x[0-9a-f]+ \(size \d+\)', out)
        if leaks:
            return ['[%s] kmemleak lists %d unreferenced object(s), the first: %s; '
                    'the listing: %s; console: %s'
                    % (g, len(leaks), leaks[0], listing, where)]
        return []

    def tearDown(self):
        # Before PairTest's tearDown stops the pair: what is found goes
        # with its own checks' problems into its one failure.
        if self._pair_up:
            pids = self._qemu_pids()
            for g in ('ep', 'rc'):
                if g in self._gone or not self._qemu_running(pids.get(g, 0)):
                    continue        # PairTest's tearDown says what is gone
                try:
                    self._log_problems += self.debug_problems(g)
                except Exception as e:      # a console that no longer answers
                    self._log_problems.append(
                        '[%s] the debug checks could not run: %s; %s'
                        % (g, e, self.logs_hint()))
        super().tearDown()


def build_dir():
    """The debug flavour's kernel build directory."""
    return subprocess.run(
        [os.path.join(TOP, 'scripts', 'build-kernel.sh'), '--flavour', 'debug',
         '--print-dir'], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, check=True, timeout=60).stdout.strip()


class DebugKernel(DebugPair, PairTest):
    """
    :avocado: recursive
    :avocado: tags=debug

    Both guests run the debug build with two CPUs, lockdep on, KASAN and
    kmemleak, before any endpoint function: what the other classes' end
    checks rely on, and what makes a debug run on a normal kernel fail.
    """

    run_pair_args = ['--function', 'none'] + DEBUG

    def test_debug_kernel(self):
        kbuild = build_dir()
        with open(os.path.join(kbuild, '.config')) as f:
            config = set(l.strip() for l in f)
        with open(FRAGMENT) as f:
            want = [l.strip() for l in f if l.strip() and
                    (not l.startswith('#') or l.strip().endswith(' is not set'))]
        missing = [l for l in want if l not in config]
        self.assertEqual(missing, [], 'the debug build %s/.config lacks lines of %s'
                         % (kbuild, FRAGMENT))
        with open(os.path.join(kbuild, 'include', 'config', 'kernel.release')) as f:
            release = f.read().strip()
        with open(os.path.join(kbuild, 'include', 'generated', 'utsversion.h')) as f:
            version = f.read().split('UTS_VERSION', 1)[1].split('"')[1]
        for g in ('ep', 'rc'):
            proc = self.check_in(g, 'cat /proc/version')
            self.assertIn('Linux version %s ' % release, proc,
                          '[%s] does not run the debug build (%s); %s'
                          % (g, kbuild, self.logs_hint()))
            self.assertIn(version, proc, '[%s] runs another build of %s than %s; %s'
                          % (g, release, kbuild, self.logs_hint()))
            # (kmemleak: tearDown scans)
            problems = self.debug_problems(g, kmemleak=False)
            self.assertEqual(problems, [], '[%s] is not a debug guest' % g)
            # No splat so far (tearDown checks the whole console again).
            splats = find_lines(os.path.join(self.run_dir, '%s-console.log' % g),
                                KERNEL_SPLATS, kernel=True)
            self.assertEqual(splats, [], '[%s] a kernel splat at boot; %s'
                             % (g, self.logs_hint()))


class DebugSelftestEmbedded(DebugPair, test_link.SelftestEmbedded):
    """
    :avocado: recursive
    :avocado: tags=debug,selftest

    test_link.SelftestEmbedded (the whole selftest, eDMA embedded doorbell)
    on debug kernels, two vCPUs per guest.
    """

    run_pair_args = test_link.SelftestEmbedded.run_pair_args + DEBUG


class DebugVntbNet(DebugPair, test_vntb.VntbNet):
    """
    :avocado: recursive
    :avocado: tags=debug,vntb

    test_vntb.VntbNet (ntb_netdev link and ping both ways, eDMA embedded
    doorbell) on debug kernels, two vCPUs per guest.
    """

    run_pair_args = test_vntb.VntbNet.run_pair_args + DEBUG


class DebugNtbTool(DebugPair, test_ntb_tool.NtbTool):
    """
    :avocado: recursive
    :avocado: tags=debug,ntb_tool

    test_ntb_tool.NtbTool (scratchpads, memory windows, ntb_perf) on debug
    kernels, two vCPUs per guest.
    """

    run_pair_args = test_ntb_tool.NtbTool.run_pair_args + DEBUG


class DebugNtbToolDoorbell(DebugPair, test_ntb_tool.NtbToolDoorbell):
    """
    :avocado: recursive
    :avocado: tags=debug,ntb_tool,doorbell

    test_ntb_tool.NtbToolDoorbell (doorbells both ways, eDMA embedded
    doorbell) on debug kernels, two vCPUs per guest.
    """

    run_pair_args = test_ntb_tool.NtbToolDoorbell.run_pair_args + DEBUG
