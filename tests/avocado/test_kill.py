"""A peer killed (SIGKILL) in the middle of real work: the work was under
way when the kill landed, the survivor reports what its drivers make of
it, loses nothing of its own, and the pair comes back.

"Loses nothing of its own", checked on the survivor after the kill and
again after the peer is back: its QEMU still runs and its guest answers;
the guest was not rebooted (same /proc/sys/kernel/random/boot_id); a
process it started before the kill (a sentinel 'sleep') still runs under
the same PID; every module it had loaded is still loaded; its kernel
printed no oops (and pair.py's tearDown finds no splat on either
console); and it takes the peer back as it is (the RC's NTB modules, still
loaded, take the new device; the EP's pci_epf_test function, not created
again, serves the new RC).

  * EP QEMU killed during a ping flood over ntb_netdev.  At the kill: the
    RC's ping runs and the receive counter of its interface moved in the
    last sample, taken just before the kill.  Afterwards: the RC guest
    surprise-removes the NTB function without an oops (upstream ntb_hw_epf
    used the scratchpad offset it read from the gone device, all ones,
    unchecked: kernel patch 0006); the ping, which got replies until then,
    ends by itself when ntb_netdev's interface goes with the device (busybox
    ping exits at its first failed sendto, "Network is unreachable",
    without statistics: the test counts its replies); after run-pair.sh
    --restart ep vNTB comes back and pings without loss (10 of 10).
  * EP QEMU killed during an ntb_perf run (RC to EP, a run far longer
    than the test: total_order 36).  At the kill and after it: the run is
    on-fly (ntb_perf's debugfs info) and its writer still runs.  What
    ntb_perf makes of it (test_kill_ep_during_ntb_perf): nothing, until
    the run is interrupted; then the function leaves, and after the
    restart ntb_perf runs again.
  * RC QEMU killed during an eDMA transfer of pci_epf_test.  At the kill:
    the EP's eDMA read channel is in the middle of a transfer (its
    doorbell rang, no DONE or ABORT since: QEMU trace events, enabled
    through QMP), held there because the RC QEMU was stopped (SIGSTOP)
    just before the kill, with the fast path off so that the eDMA's reads
    of RC memory wait for the RC's completions.  Afterwards: the EP's eDMA
    aborts that transfer (the EP QEMU logs it); what pci_epf_test reports
    is in test_kill_rc_during_edma; the EP guest keeps running, and when
    the RC comes back the selftest's interrupt, eDMA and doorbell tests
    pass (KILL_AGAIN).

Line numbers are of Linux 7.2 with kernel-patches/ applied, the tree the
guests run.
"""

import os
import re
import signal
import time

from pair import PairTest, pid_alive
from test_link import SelftestBase

RC_FN = '/sys/bus/pci/devices/0000:01:00.0'
KERNEL_BAD = ('Unable to handle kernel', 'Internal error', 'Oops', 'BUG:',
              'Kernel panic', 'Call trace')
SENTINEL = '/tmp/sentinel.pid'

# The selftest after the RC is back: INTx, MSI, the eDMA transfers and the
# doorbell (the DMA COPY_TEST skips, as test_link.EXPECTED_SKIP says).  With the fast path off every BAR access and every memcpy
# transfer is link messages, which takes minutes under TCG: those are
# test_link's.  (The harness takes the first option that names a test.)
KILL_AGAIN = ('pci_endpoint_test -T BAR_SUBRANGE_TEST -T MSIX_TEST '
              '-T CONSECUTIVE_BAR_TEST -F pci_ep_bar -V memcpy 2>&1')
KILL_AGAIN_NAMES = (['pci_ep_basic.LEGACY_IRQ_TEST', 'pci_ep_basic.MSI_TEST'] +
                    ['pci_ep_data_transfer.dma.%s' % t
                     for t in ('READ_TEST', 'WRITE_TEST')] +
                    ['pcie_ep_doorbell.DOORBELL_TEST'])


class KillBase(PairTest):

    def kill9(self, guest):
        self.stop_guest_qemu(guest, signal.SIGKILL)

    def field(self, guest, command, pattern, what):
        """The first group of @pattern in what @command prints in @guest."""
        out = self.check_in(guest, command)
        m = re.search(pattern, out)
        self.assertIsNotNone(m, '[%s] %s: no %r in %r; %s'
                             % (guest, what, pattern, out, self.logs_hint()))
        return m.group(1)

    def boot_id(self, guest):
        return self.field(guest, 'cat /proc/sys/kernel/random/boot_id',
                          r'([0-9a-f]{8}-[0-9a-f-]{27})', 'boot id')

    def modules(self, guest):
        return sorted(set(l.split()[0] for l in
                          self.check_in(guest, 'cat /proc/modules').splitlines()
                          if re.match(r'\w+ \d+ ', l)))

    def survivor_state(self, guest):
        """What "loses nothing of its own" compares: the boot id, a
        sentinel process started now (its PID), the loaded modules."""
        state = {'boot': self.boot_id(guest),
                 'sentinel': self.field(
                     guest, "sh -c 'sleep 100000 </dev/null >/dev/null 2>&1 & "
                            "echo $! > %s'; cat %s" % (SENTINEL, SENTINEL),
                     r'(?m)^(\d+)$', 'sentinel PID'),
                 'modules': self.modules(guest)}
        self.log.info('[%s] before the kill: %s', guest, state)
        return state

    def assert_survivor(self, guest, state):
        """@guest's QEMU runs, its guest answers, its kernel did not oops,
        and it lost nothing of @state (survivor_state())."""
        self.assertTrue(pid_alive(self.qemu_pid(guest)),
                        '%s QEMU died with its peer; %s' % (guest, self.logs_hint()))
        self.assertEqual(self.check_in(guest, 'echo alive').strip(), 'alive')
        dmesg = self.check_in(guest, 'dmesg')
        for bad in KERNEL_BAD:
            self.assertNotIn(bad, dmesg, '[%s] kernel: %r after the peer was killed; %s'
                             % (guest, bad, self.logs_hint()))
        self.assertEqual(self.boot_id(guest), state['boot'],
                         '[%s] rebooted (boot id changed); %s' % (guest, self.logs_hint()))
        status, out = self.run_in(guest, 'tr "\\0" " " < /proc/%s/cmdline; echo'
                                  % state['sentinel'])
        self.assertTrue(status == 0 and out.split()[:1] == ['sleep'],
                        '[%s] the sentinel process (PID %s, sleep) started before the '
                        'kill is gone: %r; %s' % (guest, state['sentinel'], out,
                                                  self.logs_hint()))
        lost = sorted(set(state['modules']) - set(self.modules(guest)))
        self.assertEqual(lost, [], '[%s] modules gone since the kill: %s; %s'
                         % (guest, lost, self.logs_hint()))


class KillEpVntb(KillBase):
    """
    :avocado: tags=kill,vntb

    vNTB on the polling backend (the setup where the oops was seen).
    """

    run_pair_args = ['--function', 'vntb', '--doorbell', 'none']
    PERF = '/sys/kernel/debug/ntb_perf/0000:01:00.0'

    def ep_gone(self):
        self.wait_in('rc', 'dmesg | grep -q "pciehp: Slot(0): Card not present"',
                     'pciehp did not report the card gone after the EP QEMU was killed',
                     60)

    def function_gone(self):
        self.wait_in('rc', '! test -e %s' % RC_FN,
                     'the NTB function did not leave after the EP QEMU was killed', 60)

    def vntb_back(self):
        self.restart_guest('ep')
        self.check_in('ep', 'DB_BAR=4 MW_BARS=2 ep-function vntb', timeout=60)
        self.check_in('rc', 'rc-wait-ntb --timeout 60', timeout=90)

    def ping_back(self):
        self.vntb_back()
        self.check_in('ep', 'ntb-net up 192.168.77.1/24 --timeout 60 &')
        self.check_in('rc', 'ntb-net up 192.168.77.2/24 --timeout 60', timeout=90)
        out = self.check_in('rc', 'ping -c 10 -i 0.2 -W 5 192.168.77.1', timeout=60)
        self.assertIn('10 packets received', out, out)

    def rx_sample(self, rx):
        """(whether the flood's ping runs, packets received so far)."""
        out = self.check_in('rc', 'kill -0 $(cat /tmp/flood.pid) 2>/dev/null && '
                                  'echo run=1 || echo run=0; echo "rx=$(cat %s)"' % rx)
        m = re.search(r'rx=(\d+)', out)
        self.assertIsNotNone(m, '[rc] no receive counter in %r' % out)
        return 'run=1' in out, int(m.group(1))

    def test_kill_ep_during_ping_flood(self):
        state = self.survivor_state('rc')
        ifname = self.check_in('rc', 'ntb-net name').split()[-1]
        rx = '/sys/class/net/%s/statistics/rx_packets' % ifname
        # The flood, a reply line per packet, then the ping's exit status.
        self.check_in('rc', "sh -c '(ping -i 0.01 192.168.77.1; echo \"ping exit=$?\") "
                            "</dev/null >/tmp/flood.out 2>&1 & echo $! > /tmp/flood.pid'")
        running, rx0 = self.rx_sample(rx)
        end = time.monotonic() + 30
        while True:
            running, rx1 = self.rx_sample(rx)
            if running and rx1 >= rx0 + 20:
                break
            if not running or time.monotonic() > end:
                self.fail('[rc] the ping flood does not flow: ping running=%s, %s received '
                          '%d -> %d packets; %s' % (running, ifname, rx0, rx1,
                                                    self.logs_hint()))
            time.sleep(0.2)
        # The last sample before the kill: the ping runs, replies come in.
        running, rx2 = self.rx_sample(rx)
        self.assertTrue(running, '[rc] the ping flood ended before the kill')
        self.assertGreater(rx2, rx1, '[rc] %s received nothing in the last sample before '
                           'the kill (%d -> %d)' % (ifname, rx1, rx2))
        self.kill9('ep')
        self.ep_gone()
        self.function_gone()
        # The ping ends by itself once its interface is gone with the device.
        self.wait_in('rc', 'grep -q "ping exit=" /tmp/flood.out',
                     'the ping flood did not end after its interface went', 30)
        flood = self.check_in('rc', 'echo "replies=$(grep -c "bytes from 192.168.77.1" '
                                    '/tmp/flood.out)"; tail -n 3 /tmp/flood.out')
        self.log.info('the flood after the kill (%s had received %d packets by the last '
                      'sample, %d in it):\n%s', ifname, rx2, rx2 - rx1, flood)
        replies = int(re.search(r'replies=(\d+)', flood).group(1))
        self.assertGreaterEqual(replies, 20, '[rc] the flood got %d replies' % replies)
        self.assertIn('ping: sendto: Network is unreachable\nping exit=1', flood,
                      '[rc] the ping did not end on a failed send with its interface gone')
        self.assert_survivor('rc', state)
        self.ping_back()
        self.assert_survivor('rc', state)

    def test_kill_ep_during_ntb_perf(self):
        """What ntb_perf makes of the EP's death, from the drivers: nothing.
        ntb_hw_epf sends no link event when its device goes, so ntb_perf
        keeps copying to the gone device's BAR (the RC's host bridge drops
        the writes) and its info still says "on-fly" and "Link status: up".
        pciehp reports the card gone, but the function stays: its removal
        runs perf_remove() (ntb_perf.c:1510), whose perf_clear_dbgfs()
        (line 1378) waits in debugfs_remove_recursive() (pciehp's thread
        sleeps in remove_one()) for the writer of 'run', blocked in
        perf_submit_test() until the run ends (line 1103).  A signal to the
        writer ends the run: perf_terminate_test() (line 1106), each thread
        reports "Got error -4 on test" (line 943); then the function
        leaves.  A driver that notices the peer's death fails here, saying
        so."""
        d = self.PERF
        # ntb_perf needs the NTB devices to itself: take ntb_netdev and
        # ntb_transport off both sides first.
        for g in ('ep', 'rc'):
            self.check_in(g, 'rmmod ntb_netdev; rmmod ntb_transport; '
                             'modprobe ntb_perf total_order=36 use_dma=0')
        state = self.survivor_state('rc')
        self.check_in('rc', 'grep -q " /sys/kernel/debug " /proc/mounts || '
                            'mount -t debugfs none /sys/kernel/debug')
        self.wait_in('rc', 'grep -q "In buffer xlat" %s/info' % d,
                     'ntb_perf did not exchange its buffers', 60)
        # 64 GiB: minutes at the fast path's few hundred MB/s, far longer
        # than the test.  The writer is a shell of its own (its PID in
        # /tmp/perf.pid); its parent reports how it ended.
        self.check_in('rc', "printf '%s\\n' 'echo $$ > /tmp/perf.pid' "
                            "'echo 0 > \"$1\"' > /tmp/perfrun")
        self.check_in('rc', "sh -c '(sh /tmp/perfrun %s/run; echo \"run exit=$?\") "
                            "</dev/null >/tmp/perf.out 2>&1 &'" % d)
        self.wait_in('rc', 'grep -q "Test status: on-fly" %s/info' % d,
                     'ntb_perf did not start its run', 30)
        self.kill9('ep')
        self.ep_gone()
        # The run was on when the EP died: it still is (it ends only when
        # interrupted), and it has not noticed.
        out = self.check_in('rc', 'kill -0 $(cat /tmp/perf.pid) && echo writer=1; '
                                  'cat /tmp/perf.out; grep -E "status|Link" %s/info; '
                                  'test -e %s && echo function=1; true' % (d, RC_FN))
        self.log.info('after the kill:\n%s', out)
        unchanged = (' (ntb_perf does not notice the peer\'s death in 7.2: see the '
                     'docstring; if it does now, update this test); %s' % self.logs_hint())
        self.assertIn('writer=1', out, '[rc] the ntb_perf run (64 GiB, on-fly just before '
                      'the kill) no longer runs after the EP was killed: the kill came after '
                      'the run, or ntb_perf noticed the peer\'s death: %r%s' % (out, unchanged))
        self.assertIn('Test status: on-fly', out, '[rc] ntb_perf: %r%s' % (out, unchanged))
        self.assertIn('Link status: up', out, '[rc] ntb_perf: %r%s' % (out, unchanged))
        self.assertIn('function=1', out, '[rc] the function left while ntb_perf ran%s'
                      % unchanged)
        # pciehp's removal of the function waits for the run: its thread
        # sleeps in debugfs's remove_one().
        self.wait_in('rc', 'for p in /proc/[0-9]*; do case "$(cat $p/comm 2>/dev/null)" in '
                           '*pciehp*) echo "pciehp $(cut -d" " -f3 $p/stat) $(cat $p/wchan)";; '
                           'esac; done | grep -q "pciehp D remove_one"',
                     'pciehp\'s thread did not wait for ntb_perf in debugfs\'s remove_one() '
                     '(ntb_perf does not notice the peer\'s death in 7.2: see the docstring; '
                     'if it does now, update this test)', 20)
        # Interrupt the run (SIGTERM kills the writer): it ends, and the
        # function leaves.
        self.check_in('rc', 'kill -TERM $(cat /tmp/perf.pid)')
        self.wait_in('rc', 'grep -q "run exit=" /tmp/perf.out',
                     'the ntb_perf run did not end when interrupted', 60)
        out = self.check_in('rc', 'cat /tmp/perf.out; dmesg | grep "Got error"')
        self.log.info('the interrupted run:\n%s', out)
        self.assertIn('run exit=143', out, 'the writer did not end by its SIGTERM')
        self.assertRegex(out, r'ntb_perf 0000:01:00.0: \d+: Got error -4 on test', out)
        self.function_gone()
        self.assert_survivor('rc', state)
        # The EP is back: the RC's ntb_perf (still loaded) takes the new
        # device, and a finite run (4 MiB) passes.
        self.vntb_back()
        self.check_in('ep', 'grep -q " /sys/kernel/debug " /proc/mounts || '
                            'mount -t debugfs none /sys/kernel/debug; '
                            'modprobe ntb_perf total_order=22 use_dma=0')
        self.check_in('rc', 'echo 22 > /sys/module/ntb_perf/parameters/total_order')
        self.wait_in('rc', 'grep -q "In buffer xlat" %s/info' % d,
                     'ntb_perf did not exchange its buffers after the restart', 60)
        out = self.check_in('rc', 'echo 0 > %s/run && cat %s/run' % (d, d), timeout=180)
        self.assertRegex(out, r'\d+: copied %d bytes in \d+ usecs' % (1 << 22), out)
        self.assertNotIn('error status', out)
        self.assert_survivor('rc', state)


class KillRcEdma(SelftestBase, KillBase):
    """
    :avocado: tags=kill,edma
    """

    # The fast path off: the eDMA reads RC memory with link messages, so a
    # stopped RC QEMU holds a transfer in the middle (with the fast path,
    # the EP QEMU copies from the RC's shared RAM itself, at once).
    # The link's timeout raised from 5 to 30 s: the test must kill the RC
    # before the timeout ends the transfer it holds, and between the stop
    # and the kill it reads the EP's dmesg, a console round trip that a
    # busy 2-core machine can stretch to seconds.
    run_pair_args = ['--function', 'test', '--fast-path', 'off',
                     '--ep-arg', '-global dw-pcie-ep.link-timeout-ms=30000']
    EDMA_EVENTS = ('dw_edma_emu_doorbell', 'dw_edma_emu_done', 'dw_edma_emu_abort',
                   'dw_edma_emu_stop')
    EDMA_EVENT = re.compile(r'(dw_edma_emu_\w+) (read|write) channel (\d+)(.*)')
    READ_LINE = 'READ => Size: 4194304 B, DMA: YES'
    LINK_TIMEOUT = 30.0     # dw-pcie-ep's link-timeout-ms: a read waits that long

    def ep_log(self):
        with open(os.path.join(self.run_dir, 'ep-qemu.log'), errors='replace') as f:
            return f.read()

    def edma_in_progress(self):
        """The channels ((direction, number)) of the EP's eDMA whose last
        traced event is a start (a doorbell without stop)."""
        state = {}
        for m in self.EDMA_EVENT.finditer(self.ep_log()):
            ev, key = m.group(1), (m.group(2), int(m.group(3)))
            if ev == 'dw_edma_emu_doorbell':
                state[key] = 'stop=0' in m.group(4)
            else:
                state[key] = False
        return sorted(k for k, busy in state.items() if busy)

    def poll(self, cond, seconds, step=0.01):
        """cond()'s value once it is true, or its last value after @seconds."""
        end = time.monotonic() + seconds
        while True:
            v = cond()
            if v or time.monotonic() > end:
                return v
            time.sleep(step)

    def ep_reads(self):
        """How many 4 MiB eDMA READs pci_epf_test reported in the EP dmesg."""
        return int(self.field('ep', 'dmesg | grep -c "%s"; true' % self.READ_LINE,
                              r'(?m)^(\d+)$', 'READ count'))

    def test_kill_rc_during_edma(self):
        """What pci_epf_test makes of the aborted transfer, from the
        drivers: it counts it as done.  dw_edma_abort_interrupt()
        (dw-edma-core.c:737) completes the descriptor's cookie as a DONE
        does (vchan_cookie_complete(), line 749; DMA_TRANS_ABORTED goes
        only to a callback_result, which pci_epf_test does not set), and
        pci_epf_test_dma_callback() (pci-epf-test.c:128) looks only at
        dmaengine_tx_status(): DMA_COMPLETE.  So pci_epf_test prints one
        more READ line (line 584), logs no "DMA transfer failed", and only
        its CRC check sets READ_FAIL in a register no RC reads any more;
        what it does report is that it cannot interrupt the RC: "Invalid
        MSI IRQ number 1 / 0" (pci_epf_test_raise_irq(), line 734: the link
        down reset the function's MSI capability).  A pci_epf_test or
        dw-edma that reports the abort fails here, saying so."""
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        state = self.survivor_state('ep')
        for ev in self.EDMA_EVENTS:
            self.qmp('ep', ('trace-event-set-state', {'name': ev, 'enable': True}))
        # 4 MiB WRITE commands (the RC writes, the EP's eDMA read channel
        # reads: the EP logs READ), many of them, in the background.
        self.check_in('rc', "sh -c 'pcitest-xfer write 4194304 100000 dma </dev/null "
                            ">/tmp/x.out 2>&1 &'")
        self.wait_in('ep', '[ $(dmesg | grep -c "%s") -ge 2 ]' % self.READ_LINE,
                     'pci_epf_test did not report two 4 MiB eDMA reads', 120)
        # Catch a transfer in the middle: when one is in hand, stop the RC
        # QEMU; the transfer must stay in hand (its reads wait for the RC's
        # completions, up to the link's timeout), else let the RC go on and
        # try again.
        rc_pid = self.qemu_pid('rc')
        busy = []
        for attempt in range(20):
            if not self.poll(self.edma_in_progress, 10):
                continue
            os.kill(rc_pid, signal.SIGSTOP)
            stopped = time.monotonic()
            # held: still in hand 0.3 s after the stop (what the RC had
            # sent before is in by then)
            busy = self.edma_in_progress()
            if busy and not self.poll(lambda: self.edma_in_progress() != busy, 0.3):
                break
            busy = []
            os.kill(rc_pid, signal.SIGCONT)
            self.poll(lambda: not self.edma_in_progress(), 10)
        self.assertTrue(busy, 'the EP\'s eDMA had no transfer in hand with the RC QEMU '
                        'stopped, in 20 tries; %s' % self.logs_hint())
        reads = self.ep_reads()
        self.assertEqual(self.edma_in_progress(), busy, 'the eDMA transfer ended with '
                         'the RC QEMU stopped; %s' % self.logs_hint())
        self.kill9('rc')
        held = time.monotonic() - stopped
        self.log.info('RC killed %.2f s after it was stopped (try %d), the eDMA '
                      'channel(s) %s in the middle of a transfer, after %d READs',
                      held, attempt + 1, busy, reads)
        self.assertLess(held, self.LINK_TIMEOUT, 'the RC QEMU was stopped for %.1f s '
                        'before the kill: the link\'s timeout may have ended the transfer '
                        'first' % held)
        # The eDMA aborts the transfer it had in hand, and says why.
        self.assertEqual(self.poll(lambda: not self.edma_in_progress(), 20, 0.2), True,
                         'the EP\'s eDMA transfer did not end within 20 s of the kill; %s'
                         % self.logs_hint())
        log = self.ep_log()
        for d, ch in busy:
            if not re.search(r'dw-edma-emu: %s channel %d aborted: ' % (d, ch), log):
                self.fail('the EP\'s eDMA %s channel %d did not abort its transfer; its '
                          'last events:\n%s\n%s'
                          % (d, ch, '\n'.join(log.splitlines()[-6:]), self.logs_hint()))
        # pci_epf_test: one more READ, then the failed interrupt (its cmd
        # handler goes on after the abort's interrupt).
        self.wait_in('ep', 'dmesg | grep -A3 "%s" | grep -q "Invalid MSI IRQ number"'
                     % self.READ_LINE,
                     'pci_epf_test did not report the interrupt it could not raise', 30)
        dmesg = self.check_in('ep', 'dmesg')
        tail = dmesg[dmesg.rfind('\n', 0, max(0, dmesg.rfind(self.READ_LINE))) + 1:]
        self.log.info('EP dmesg from the last READ on:\n%s', tail)
        unchanged = (' (in 7.2 pci_epf_test takes the aborted transfer for a done one: '
                     'see the docstring; if it does not now, update this test); %s'
                     % self.logs_hint())
        self.assertEqual(self.ep_reads(), reads + 1, 'pci_epf_test READ lines: %d before '
                         'the kill, %d after%s' % (reads, self.ep_reads(), unchanged))
        self.assertRegex(tail, r'pci_epf_test\.0: Invalid MSI IRQ number 1 / 0',
                         tail + unchanged)
        for line in ('DMA transfer failed', 'Data transfer failed'):
            if line in dmesg:
                self.fail('pci_epf_test reported %r%s' % (line, unchanged))
        self.assert_survivor('ep', state)
        self.restart_guest('rc')
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 60', timeout=90)
        self.run_selftest(KILL_AGAIN, KILL_AGAIN_NAMES)
        self.assert_survivor('ep', state)
