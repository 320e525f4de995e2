"""A stopped peer costs the other guest a bounded delay per access, and
never freezes it.

The EP QEMU is stopped with SIGSTOP (it neither answers nor closes the
link) while the RC guest reads the function's BAR0 in a loop and a shell
loop counts beside it on the same (only) vCPU.  Each read completes with
all ones: the first after the link's timeout (5 s), later ones after
PL_STALL_MS (100 ms) each, since the peer has stayed silent.  The counter
advances throughout, so the RC guest's vCPU kept running between reads;
when the EP QEMU continues (SIGCONT), BAR reads return data again and the
selftest passes (test_link.AGAIN; AGAIN_MESSAGES, INTx and MSI, where
BAR0 is on the link's messages).

Before the link was rebuilt every access waited the whole timeout with
the BQL held: 30 reads froze the RC guest for 150 s.

That is the message path (--fast-path off).  With the fast path, BAR0
(pci-epf-test's BAR in EP RAM) is the EP's RAM mapped into the RC QEMU:
the reads of the stopped EP return its memory at memory speed, and the
RC guest runs on just the same (EpStoppedSharedBar).
"""

import os
import re
import signal

from test_link import (AGAIN, AGAIN_MESSAGES, AGAIN_MESSAGES_NAMES, AGAIN_NAMES,
                       SelftestBase)

RC_FN = '/sys/bus/pci/devices/0000:01:00.0'
READS = 30
# The first read waits the link's timeout (5 s); the others 100 ms each.
# The guest's scheduler gives the counter as much vCPU time as the reads
# took (about twice that in all), and TCG on a busy machine 0.5 s per read
# more.  (Before the link rebuild: 5 s per read, the whole guest frozen.)
MAX_SECONDS = 2 * (5 + 0.1 * READS) + 0.5 * READS
# Per read, with the EP stopped (bar-rtt's own timing of each read): the
# slowest is the first, the link's timeout (5 s); the median is one of the
# later ones, PL_STALL_MS (100 ms).  Each bound adds what a busy 2-core
# machine adds under TCG, and stays under the next longer wait: a median
# read that waited the whole timeout, or a read that waited two, fails.
MAX_READ_US = (5 + 3) * 1e6
MAX_MEDIAN_READ_US = (0.1 + 0.9) * 1e6


# One console command: a counter in the background, READS BAR reads
# (bench/guest/bar-rtt.c), then the counter.  The counter writes every
# 100th value, so a stalled vCPU shows as a small count; it writes a new
# file and renames it, so that the kill never leaves an empty one behind
# (an asan run of 2026-12-06 read "count=" after 15 s of progress).
PROBE = ('rm -f /tmp/cnt; '
         '(n=0; while :; do n=$((n+1)); [ $((n %% 100)) = 0 ] && '
         'echo $n >/tmp/cnt.new && mv /tmp/cnt.new /tmp/cnt; done) & '
         'p=$!; bar-rtt %s/resource0 0 %d; kill $p; wait $p 2>/dev/null; '
         'echo "count=$(cat /tmp/cnt 2>/dev/null || echo 0)"')


class EpStopped(SelftestBase):
    """
    :avocado: tags=link,robust
    """

    run_pair_args = ['--function', 'test', '--fast-path', 'off']
    shared = False      # BAR0 is on the link's messages

    def probe(self):
        out = self.check_in('rc', PROBE % (RC_FN, READS), timeout=180)
        m = re.search(r'reads=(\d+) ones=(\d+) .*median_us=([\d.]+) .*'
                      r'max_us=([\d.]+) total_s=([\d.]+)\s+count=(\d*)', out)
        self.assertIsNotNone(m, 'probe output: %r' % out)
        # (reads of shared memory can end before the counter wrote once)
        reads, ones, seconds, count = (int(m.group(1)), int(m.group(2)),
                                       float(m.group(5)), int(m.group(6) or 0))
        self.median_us, self.max_us = float(m.group(3)), float(m.group(4))
        self.log.info('%d reads (%d all ones) in %.2f s (median %.0f us, max '
                      '%.0f us); counter %d', reads, ones, seconds,
                      self.median_us, self.max_us, count)
        return ones, reads, seconds, count

    def test_rc_runs_while_ep_stopped(self):
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        # the same probe with the EP running: the reads return data
        ones, reads, _, count_live = self.probe()
        self.assertEqual(reads, READS)
        self.assertEqual(ones, 0, 'BAR0 reads all ones with the EP running')

        pid = self.qemu_pid('ep')
        os.kill(pid, signal.SIGSTOP)
        try:
            ones, reads, seconds, count = self.probe()
        finally:
            os.kill(pid, signal.SIGCONT)
        self.assertEqual(reads, READS)
        if self.shared:
            self.assertEqual(ones, 0, 'a read of BAR0, shared memory, returned '
                             'all ones with the EP stopped')
        else:
            self.assertEqual(ones, READS, 'a read of the stopped EP returned data')
        self.assertLess(seconds, MAX_SECONDS,
                        '%d reads of a stopped EP took %.1f s; %s'
                        % (READS, seconds, self.logs_hint()))
        if self.shared:
            # reads of memory: nothing to wait for, nothing to count
            self.log.info('shared BAR0: %d reads in %.3f s with the EP stopped',
                          reads, seconds)
        else:
            # Each access cost a bounded delay: no read waited longer than
            # the link's timeout, and the typical one only the stall.
            self.assertLess(self.max_us, MAX_READ_US,
                            'a read of the stopped EP took %.0f us; %s'
                            % (self.max_us, self.logs_hint()))
            self.assertLess(self.median_us, MAX_MEDIAN_READ_US,
                            'the median read of the stopped EP took %.0f us, '
                            'more than a stall; %s' % (self.median_us,
                                                       self.logs_hint()))
            # The vCPU ran between the reads, throughout: the counter wrote
            # (every 100th value) at least once a second on average, not
            # once between two long freezes.
            self.assertGreaterEqual(count, 100 * max(1, int(seconds)),
                                    'the RC guest made too little progress '
                                    'while the EP was stopped (counter %d in '
                                    '%.1f s, %d with the EP running); %s'
                                    % (count, seconds, count_live,
                                       self.logs_hint()))

        # the EP continues: data again, and the BAR and basic groups pass
        self.wait_in('rc', 'bar-rtt %s/resource0 0 1 | grep -q " ones=0 "'
                     % RC_FN,
                     'BAR0 did not return data after SIGCONT', 30)
        if self.shared:
            self.run_selftest(AGAIN, AGAIN_NAMES)
        else:
            self.run_selftest(AGAIN_MESSAGES, AGAIN_MESSAGES_NAMES)


class EpStoppedSharedBar(EpStopped):
    """
    :avocado: tags=link,robust,fast_path
    """

    run_pair_args = ['--function', 'test', '--fast-path', 'on']
    shared = True
