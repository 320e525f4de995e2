"""The main job, again and again: the default pair comes up every time.

A new user runs ./run-pair.sh and expects the vNTB pair (pci_epf_vntb <->
ntb_hw_epf, ntb_netdev on both sides) to come up and ping.  Once is luck:
this boots it several times in a row per interrupt-driven doorbell backend
(the ones whose slow command polling in pci-epf-vntb broke bring-up) and
requires every bring-up to succeed and ping without loss.

bench/bringup.sh does the same at scale (30 runs per backend) and times it.
"""

import os
import re
import shutil
import subprocess
import tempfile

from avocado import Test

from pair import STOP_TIMEOUT, TOP, PairTest, check_guest_logs, pid_alive, run_pair_env_args

# (label, run-pair.sh arguments, bring-ups): the default pair on the two
# interrupt-driven doorbells, then once each the other layouts run-pair.sh
# accepts (every accepted layout must come up).
RUNS = [('embedded', ['--doorbell', 'embedded'], 3),
        ('its', ['--doorbell', 'its'], 2),
        ('imx8-1mw', ['--db-bar', '2', '--mw-bars', '4'], 1),
        ('imx8-2mw', ['--db-bar', '2', '--mw-bars', '4,5'], 1)]
LOSS = re.compile(r'(\d+) packets transmitted, (\d+) packets received')


class BringupRepeat(Test):
    """
    :avocado: tags=vntb,bringup
    """

    # seven bring-ups of PairTest's size each
    timeout = 3 * PairTest.timeout

    def _one(self, doorbell, args, n):
        run_dir = tempfile.mkdtemp(prefix='dwcep-rep-', dir='/tmp')
        cmd = ([os.path.join(TOP, 'run-pair.sh'), '--detach', '--run-dir', run_dir] +
               run_pair_env_args() + args)
        problems = []
        try:
            res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, timeout=900)
            self.log.info('%s run %d: run-pair.sh exit %d\n%s', doorbell, n,
                          res.returncode, res.stdout)
            ping = None
            if res.returncode == 0:
                ping = subprocess.run(
                    [os.path.join(TOP, 'scripts', 'guest_exec.py'), '--run-dir', run_dir,
                     '--timeout', '60', 'rc', 'ping -c 5 -i 0.2 -W 5 192.168.77.1'],
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                    timeout=120)
                self.log.info('%s run %d: ping\n%s', doorbell, n, ping.stdout)
                # both QEMUs still run after the ping (as PairTest checks)
                for g in ('ep', 'rc'):
                    try:
                        with open(os.path.join(run_dir, '%s.pid' % g)) as f:
                            alive = pid_alive(int(f.read()))
                    except (OSError, ValueError):
                        alive = False
                    if not alive:
                        problems.append('the %s QEMU is gone' % g)
        finally:
            try:
                stop = subprocess.run([os.path.join(TOP, 'run-pair.sh'), '--stop',
                                       '--run-dir', run_dir], check=False,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, timeout=STOP_TIMEOUT)
                if stop.returncode != 0:
                    problems.append('run-pair.sh --stop exited %d: %s'
                                    % (stop.returncode, stop.stdout.strip()))
            except subprocess.TimeoutExpired:
                problems.append('run-pair.sh --stop did not end within %d s' % STOP_TIMEOUT)
            keep = os.path.join(self.logdir, '%s-%d' % (doorbell, n))
            shutil.copytree(run_dir, keep, ignore=shutil.ignore_patterns('*.sock'))
            for g in ('ep', 'rc'):
                problems += check_guest_logs(run_dir, keep, g)
            shutil.rmtree(run_dir, ignore_errors=True)
        if res.returncode != 0:
            errors = [l for l in res.stdout.splitlines() if l.startswith('error:')]
            return 'run-pair.sh exit %d: %s (consoles: %s)' % (
                res.returncode, (errors or res.stdout.strip().splitlines())[-1], keep)
        m = LOSS.search(ping.stdout)
        if ping.returncode != 0 or not m or m.group(1) != m.group(2):
            return 'ping over ntb_netdev failed: %s (consoles: %s)' % (
                ping.stdout.strip().splitlines()[-2:], keep)
        if problems:
            return '%s (consoles: %s)' % ('\n'.join(problems), keep)
        return None

    def test_default_pair_every_time(self):
        failures = []
        for label, args, runs in RUNS:
            for n in range(1, runs + 1):
                why = self._one(label, args, n)
                if why:
                    failures.append('%s run %d: %s' % (label, n, why))
        total = sum(r for _, _, r in RUNS)
        self.assertEqual(failures, [], '%d of %d bring-ups failed:\n%s'
                         % (len(failures), total, '\n'.join(failures)))
