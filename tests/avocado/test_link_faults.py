"""Link faults on demand, end to end: the kernels survive every one.

Each test boots a pair, injects a fault of docs/link-faults.md through
run-pair.sh --fault (the CLI a developer uses, scripts/link_fault.py
behind it) or through QMP's qom-set, watches what the guests see, ends
the fault, and checks that the link came back and data crosses it again.
pair.py's tearDown fails the test on any kernel splat on either console.

  * Surprise link down, held by the RC (rc:link=down) or by the EP
    (ep:link=down), during an ntb_netdev ping flood from the RC, and from
    both guests (vNTB; LinkDownVntb says what that one finds): the RC guest
    surprise-removes the NTB function (kernel-patch 0006 keeps
    ntb_hw_epf from oopsing on the gone device), the EP QEMU's link goes
    down, the flood's ping ends with its interface; released (link=up),
    ntb_hw_epf probes the function again, ntb_netdev comes up on both
    sides and ping crosses both ways without loss.
  * PERST# asserted by the RC (perst=on; pci_epf_test): the EP reads it
    asserted (x-fault-perst on dw-pcie-ep), its link goes down (EP QEMU
    trace) and stays down while PERST# is asserted, the EP guest's link
    event interrupt runs, the RC loses the function; released, the link
    trains again, the function re-arrives and the BAR and interrupt
    tests of the selftest pass.
  * Completions of BAR0 (pci_epf_test, fast path off: BAR0 on the link's
    messages) answered with UR, then CA: every read of BAR0 in the RC
    guest returns all ones, and the EP QEMU traced each one with that
    status; an address range (cpl=ur:ADDR+LEN) that covers the read takes
    it, one beside it does not; held back (cpl=timeout:bar=0): the reads
    return all ones after the link's completion timeout (5 s); cpl=none:
    data again, and the selftest's interrupt tests (commands in BAR0)
    pass.
  * A delay on every message (delay-us=2000 on both QEMUs; vNTB): ping's
    shortest round trip grows by at least the delay (measured: by twice
    it, one delayed message each way), no ping is lost; delay-us=0: the
    shortest round trip drops again.
  * MSIs from the EP (pci_epf_test's MSI_TEST, 32 MSIs): msi=drop, the
    test fails with no interrupt counted in the RC guest; drop:every=4,
    exactly the tests of MSI 4, 8, ... 32 fail and the RC counts 24;
    msi=dup, nothing is lost (MsiTest says what the RC makes of the
    duplicates); msi=none, one interrupt each and the selftest passes.
    On vNTB (its doorbell MSIs), ping crosses both ways without loss with
    every MSI sent twice, then with none.
  * The CLI on a running pair: bad specs are refused, with QEMU's error
    text for a value QEMU refuses, and change nothing; --fault show prints
    what is in force (canonical forms); clear ends it all.

Timing: every wait is for a condition, bounded (pair.py's wait_in(),
FaultMixin.wait_for() and wait_log()).
"""

import os
import re
import subprocess
import time

from pair import TOP, PairTest
from test_link import (AGAIN, AGAIN_MESSAGES, AGAIN_MESSAGES_NAMES,
                       AGAIN_NAMES, SelftestBase, tap_results)
from test_vntb import EP_ADDR, RC_ADDR, VntbNet, irq_total

RUN_PAIR = os.path.join(TOP, 'run-pair.sh')
RC_FN = '/sys/bus/pci/devices/0000:01:00.0'
RC_NTB = '0000:01:00.0'
# busybox ping's summary line
RTT = re.compile(r'round-trip min/avg/max = ([\d.]+)/([\d.]+)/([\d.]+) ms')
# pci_endpoint_test's MSI test alone: 32 MSIs, one per vector
MSI_TEST = 'pci_endpoint_test -t MSI_TEST 2>&1'
MSI_TEST_NAME = 'pci_ep_basic.MSI_TEST'
MSIS = 32
# the RC's link timeout (pci-ep-link timeout-ms, default 5000 ms): a read
# that gets no completion returns all ones after it
LINK_TIMEOUT_US = 5e6


class FaultMixin:
    """Fault injection and the checks the fault tests share (with a
    PairTest)."""

    def fault_cli(self, *specs, expect=0):
        """run-pair.sh --fault SPEC... --run-dir on this test's pair; its
        exit status must be @expect (None: any).  Returns (status,
        stdout and stderr together)."""
        cmd = [RUN_PAIR, '--run-dir', self.run_dir]
        for s in specs:
            cmd += ['--fault', s]
        res = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=120)
        self.log.info('%s -> %d\n%s', ' '.join(cmd[1:]), res.returncode,
                      res.stdout)
        if expect is not None and res.returncode != expect:
            self.fail('%s exited %d, not %d:\n%s\n%s'
                      % (' '.join(cmd), res.returncode, expect, res.stdout,
                         self.logs_hint()))
        return res.returncode, res.stdout

    def show(self):
        """{side: {fault: value}} from run-pair.sh --fault show."""
        out = self.fault_cli('show')[1]
        shown = {}
        for m in re.finditer(r'(?m)^(ep|rc): (.*)$', out):
            shown[m.group(1)] = dict(kv.split('=', 1)
                                     for kv in m.group(2).split())
        self.assertEqual(sorted(shown), ['ep', 'rc'],
                         '--fault show did not print both sides:\n%s' % out)
        return shown

    def qom_get(self, side, prop):
        dev = {'ep': '/machine/peripheral/dwc0',
               'rc': '/machine/peripheral/eplink'}[side]
        return self.qmp(side, ('qom-get', {'path': dev, 'property': prop}))

    def qom_set(self, side, prop, value):
        dev = {'ep': '/machine/peripheral/dwc0',
               'rc': '/machine/peripheral/eplink'}[side]
        self.qmp(side, ('qom-set', {'path': dev, 'property': prop,
                                    'value': value}))

    def qemu_log(self, side):
        with open(os.path.join(self.run_dir, '%s-qemu.log' % side),
                  errors='replace') as f:
            return f.read()

    def wait_log(self, side, pattern, what, timeout=30, start=0):
        """Wait until @side's QEMU log, from offset @start on, matches
        @pattern; returns the match."""
        end = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.qemu_log(side)[start:])
            if m:
                return m
            if time.monotonic() > end:
                self.fail('%s QEMU log (%s/%s-qemu.log): %s within %d s; %s'
                          % (side, self.run_dir, side, what, timeout,
                             self.logs_hint()))
            time.sleep(0.2)

    def wait_for(self, cond, what, timeout=30):
        """Wait until @cond() is true; fail after @timeout s, saying
        @what (a string, or a function that returns one) did not happen."""
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                self.fail('%s within %d s; %s' % (what() if callable(what) else what,
                                                  timeout, self.logs_hint()))
            time.sleep(0.5)

    def count_in(self, guest, command):
        out = self.check_in(guest, command)
        m = re.search(r'(?m)^(\d+)\s*$', out)
        self.assertIsNotNone(m, '[%s] %r printed no count: %r'
                             % (guest, command, out))
        return int(m.group(1))


class NtbNet(FaultMixin, PairTest):
    """A vNTB pair with ntb_netdev up on both sides, and test_vntb's
    checks of it (borrowed, not inherited: VntbNet's own tests are not
    these classes' tests)."""

    run_pair_args = VntbNet.run_pair_args
    net_names = VntbNet.net_names
    check_link = VntbNet.check_link
    icmp = VntbNet.icmp

    def ping(self, guest, addr, count=20):
        """@count pings from @guest to @addr; returns their (min, avg)
        round trip in ms.  Fails unless every echo request reached the
        other guest, was answered, and the reply came back, by the
        kernels' ICMP counters (as VntbNet.ping judges loss: busybox ping
        stops waiting for the last reply after twice the largest round
        trip, and may miss a late one)."""
        other = 'rc' if guest == 'ep' else 'ep'
        icmp0 = {g: self.icmp(g) for g in (guest, other)}
        status, out = self.run_in(guest, 'ping -c %d -i 0.05 -W 5 %s'
                                  % (count, addr), timeout=count * 3 + 60)

        def counted():
            now = {g: self.icmp(g) for g in (guest, other)}
            return (now[guest]['OutEchos'] - icmp0[guest]['OutEchos'],
                    now[other]['InEchos'] - icmp0[other]['InEchos'],
                    now[other]['OutEchoReps'] - icmp0[other]['OutEchoReps'],
                    now[guest]['InEchoReps'] - icmp0[guest]['InEchoReps'])
        self.wait_for(lambda: counted() == (count,) * 4,
                      lambda: '[%s] -> [%s] pings lost: echo requests sent, '
                              'received, replies sent, received = %s, want %d '
                              'each' % (guest, other, counted(), count), 15)
        m = RTT.search(out)
        self.assertIsNotNone(m, '[%s] ping %s (exit %d): no round-trip line in '
                             '%r; %s' % (guest, addr, status, out, self.logs_hint()))
        self.log.info('[%s] ping %s: %s', guest, addr, m.group(0))
        return float(m.group(1)), float(m.group(2))


class LinkDownVntb(NtbNet):
    """
    :avocado: tags=faults,vntb

    Surprise link down and up during ntb_netdev traffic.
    """

    run_pair_args = VntbNet.run_pair_args + [
        '--ep-arg', '-trace dw_pcie_ep_link',
        '--rc-arg', '-trace pci_ep_link_unplug']

    def start_flood(self, guest, addr):
        """A ping flood from @guest to @addr in the background, its output
        and exit status in /tmp/flood.out; waits until 20 replies came."""
        self.check_in(guest, "sh -c '(ping -i 0.02 %s; echo \"ping exit=$?\") "
                             "</dev/null >/tmp/flood.out 2>&1 & "
                             "echo $! > /tmp/flood.pid'" % addr)
        self.wait_in(guest, '[ $(grep -c "bytes from" /tmp/flood.out) -ge 20 ]',
                     'the ping flood to %s got no 20 replies' % addr, 60)

    def net_up_both(self):
        """ntb-net up on both sides (the EP's in the background: the NTB
        link comes up once both are up); the RC's waits for the link."""
        self.check_in('ep', "sh -c '(ntb-net up %s/24 --timeout 90; "
                            "echo \"net-up exit=$?\") </dev/null "
                            ">/tmp/net-up.out 2>&1 &'" % EP_ADDR)
        self.check_in('rc', 'ntb-net up %s/24 --timeout 90' % RC_ADDR,
                      timeout=120)
        self.wait_in('ep', 'grep -q "net-up exit=" /tmp/net-up.out',
                     'ntb-net up did not end in the EP guest', 120)
        self.check_in('ep', 'cat /tmp/net-up.out; grep -q "net-up exit=0" '
                            '/tmp/net-up.out')

    def link_cycle(self, side, flood_from):
        """@side holds the link down and releases it while the guests of
        @flood_from ping the other side in a flood."""
        self.check_link(self.net_names())
        removed0 = self.count_in('rc', 'dmesg | grep -c "Slot(0): Card not '
                                       'present" || true')
        ep_log0 = len(self.qemu_log('ep'))
        for g in flood_from:
            self.start_flood(g, EP_ADDR if g == 'rc' else RC_ADDR)

        self.fault_cli('%s:link=down' % side)
        self.assertEqual(self.show()[side]['link'], 'down')
        self.wait_log('ep', r'dw_pcie_ep_link link up=0',
                      'the EP link did not go down', 30, ep_log0)
        self.wait_in('rc', '! test -e %s' % RC_FN,
                     'the NTB function did not leave on %s:link=down' % side, 60)
        self.assertGreater(self.count_in(
            'rc', 'dmesg | grep -c "Slot(0): Card not present" || true'),
            removed0, 'pciehp reported no card gone; %s' % self.logs_hint())
        self.assertIn('function removed: link down', self.qemu_log('rc'),
                      'the RC QEMU did not remove the function for a link '
                      'down; %s' % self.logs_hint())
        # The RC's flood ends with its interface (busybox ping exits at
        # its first failed send).
        if 'rc' in flood_from:
            self.wait_in('rc', 'grep -q "ping exit=" /tmp/flood.out',
                         'the RC ping flood did not end when its interface '
                         'went', 60)
        # While held down, the link does not train.
        ep_log1 = len(self.qemu_log('ep'))
        self.check_in('rc', '! test -e %s' % RC_FN)

        self.fault_cli('%s:link=up' % side)
        self.assertEqual(self.show()[side]['link'], 'up')
        self.assertNotIn('link up=1', self.qemu_log('ep')[ep_log0:ep_log1],
                         'the EP link trained while held down; %s'
                         % self.logs_hint())
        self.wait_log('ep', r'dw_pcie_ep_link link up=1',
                      'the EP link did not train again', 60, ep_log1)
        self.check_in('rc', 'rc-wait-ntb --timeout 120 %s' % RC_NTB, timeout=150)
        if 'ep' in flood_from:
            # The EP's flood (its interface stays) ran through it all:
            # stop it before the counted pings.
            self.stop_ep_flood()
        self.net_up_and_ping()

    def stop_ep_flood(self):
        """Stop the EP's ping flood (ping itself: killing the subshell
        that waits for it leaves it running) and wait until it ended."""
        self.check_in('ep', 'kill $(pidof ping); '
                            'grep -c "bytes from" /tmp/flood.out; true')
        self.wait_in('ep', 'grep -q "ping exit=" /tmp/flood.out',
                     'the EP ping flood did not end when killed', 30)

    def net_up_and_ping(self):
        """ntb_netdev up on both sides again, then 50 pings each way, none
        lost."""
        self.net_up_both()
        self.check_link(self.net_names())
        self.ping('rc', EP_ADDR, 50)
        self.ping('ep', RC_ADDR, 50)

    def test_rc_link_down_during_ping(self):
        self.link_cycle('rc', ('rc',))

    def test_ep_link_down_during_ping(self):
        self.link_cycle('ep', ('rc',))

    def test_rc_link_down_during_ep_ping(self):
        """The EP guest sends through the fault: its ntb_netdev interface
        stays (only the RC's device goes) and the EP's ntb_transport keeps
        sending into the gone host's memory window.

        Linux 7.2 fails it: after the link is back, the new host's queue
        pair and the EP's exchange no packet (the EP's qp says Link Up
        again, never Link Down: pci-epf-vntb had no link-down handling,
        so the EP's ntb_transport kept its queue state).  kernel-patches
        0013 reports the NTB link down on the PCIe link down."""
        self.link_cycle('rc', ('rc', 'ep'))


class DelayVntb(NtbNet):
    """
    :avocado: tags=faults,vntb

    A delay on every message of both QEMUs.
    """

    DELAY_US = 2000

    def test_delay(self):
        self.check_link(self.net_names())
        base = self.ping('rc', EP_ADDR)
        self.fault_cli('delay-us=%d' % self.DELAY_US)
        shown = self.show()
        self.assertEqual((shown['ep']['delay-us'], shown['rc']['delay-us']),
                         (str(self.DELAY_US),) * 2, shown)
        delayed = self.ping('rc', EP_ADDR)
        self.ping('ep', RC_ADDR)
        self.log.info('round trip (min, avg) ms: %s without, %s with %d us '
                      'delay', base, delayed, self.DELAY_US)
        # Each direction of a round trip has at least one message on the
        # link (the RC's doorbell write, the EP's writes and MSI into RC
        # memory), each held back: at least one delay more, even at its
        # shortest.
        self.assertGreaterEqual(delayed[0], base[0] + self.DELAY_US / 1000,
                                'the shortest round trip grew from %.3f to %.3f '
                                'ms with a %d us delay on every message'
                                % (base[0], delayed[0], self.DELAY_US))
        self.fault_cli('delay-us=0')
        after = self.ping('rc', EP_ADDR)
        self.log.info('round trip (min, avg) ms after delay-us=0: %s', after)
        # (half the delay under it: TCG's noise on a busy machine moves the
        # shortest of 20 round trips by a millisecond)
        self.assertLess(after[0], delayed[0] - self.DELAY_US / 2000,
                        'the round trip stayed long after delay-us=0: %s ms '
                        '(%s with the delay)' % (after, delayed))
        self.ping('rc', EP_ADDR)


class MsiDupVntb(NtbNet):
    """
    :avocado: tags=faults,vntb

    Every MSI of the EP (the RC's NTB doorbell interrupts) sent twice
    during ping traffic.
    """

    run_pair_args = VntbNet.run_pair_args + ['--ep-arg', '-trace dw_pcie_ep_fault_msi']

    def test_msi_dup(self):
        self.check_link(self.net_names())
        start = len(self.qemu_log('ep'))
        rc0 = irq_total(self.check_in('rc', 'cat /proc/interrupts'), 'ntb_epf')
        self.fault_cli('msi=dup')
        self.ping('rc', EP_ADDR)
        self.ping('ep', RC_ADDR)
        rc1 = irq_total(self.check_in('rc', 'cat /proc/interrupts'), 'ntb_epf')
        dups = len(re.findall(r'dw_pcie_ep_fault_msi .* dup ',
                              self.qemu_log('ep')[start:]))
        self.log.info('msi=dup: %d MSIs sent twice, the RC counted %d '
                      'ntb_epf interrupts', dups, rc1 - rc0)
        self.assertGreater(dups, 0, 'no MSI was sent twice during the pings')
        self.assertGreater(rc1, rc0, 'the RC counted no doorbell interrupt')
        self.fault_cli('msi=none')
        self.ping('rc', EP_ADDR)
        self.ping('ep', RC_ADDR)


class PerstTest(FaultMixin, SelftestBase):
    """
    :avocado: tags=faults,link

    PERST# asserted and released by the RC.
    """

    run_pair_args = ['--function', 'test',
                     '--ep-arg', '-trace dw_pcie_ep_link -trace dw_pcie_ep_perst',
                     '--rc-arg', '-trace pci_ep_link_unplug -trace pci_ep_remote_plug']

    def app_irqs(self):
        """The EP guest's count of the glue's link event interrupt (the
        qemu face's app IRQ, named after the controller's device)."""
        out = self.check_in('ep', 'cat /proc/interrupts')
        return irq_total(out, self.app_irq_name)

    def test_perst(self):
        self.run_selftest(AGAIN, AGAIN_NAMES)
        names = self.check_in('ep', 'ls /sys/bus/platform/drivers/qemu-dw-pcie-ep/')
        m = re.search(r'(\S+\.pcie-ep)', names)
        self.assertIsNotNone(m, 'no qemu-dw-pcie-ep device: %r' % names)
        self.app_irq_name = m.group(1)
        irqs0 = self.app_irqs()
        ep_log0 = len(self.qemu_log('ep'))
        self.assertIs(self.qom_get('ep', 'x-fault-perst'), False)

        self.fault_cli('perst=on')
        self.assertIs(self.qom_get('ep', 'x-fault-perst'), True,
                      'the EP does not read PERST# asserted')
        self.assertEqual(self.show()['rc']['perst'], 'True')
        self.wait_log('ep', r'dw_pcie_ep_perst PERST# from the RC asserted=1',
                      'the EP did not see PERST# asserted', 30, ep_log0)
        self.wait_log('ep', r'dw_pcie_ep_link link up=0',
                      'the EP link did not go down on PERST#', 30, ep_log0)
        self.wait_in('rc', '! test -e %s' % RC_FN,
                     'the function did not leave on PERST#', 60)
        self.wait_for(lambda: self.app_irqs() > irqs0,
                      '[ep] no link event interrupt (%s) on PERST#'
                      % self.app_irq_name, 30)
        # While PERST# is asserted the EP cannot train, whatever its driver
        # does: the EP guest restarts the link now, and nothing comes up.
        ep_log1 = len(self.qemu_log('ep'))
        self.run_in('ep', 'c=$(ls -d /sys/kernel/config/pci_ep/controllers/*); '
                          'echo 0 > $c/start; echo 1 > $c/start')
        self.check_in('rc', '! test -e %s' % RC_FN)

        self.fault_cli('perst=off')
        self.assertIs(self.qom_get('ep', 'x-fault-perst'), False)
        self.assertNotIn('link up=1', self.qemu_log('ep')[ep_log0:ep_log1],
                         'the EP link trained with PERST# asserted; %s'
                         % self.logs_hint())
        self.wait_log('ep', r'dw_pcie_ep_perst PERST# from the RC asserted=0',
                      'the EP did not see PERST# released', 30, ep_log1)
        self.wait_log('ep', r'dw_pcie_ep_link link up=1',
                      'the EP link did not train after PERST#', 60, ep_log1)
        self.wait_in('rc', 'test -e %s' % RC_FN,
                     'the function did not come back after PERST#', 60)
        # down and up: at least two link events in the EP guest
        self.assertGreaterEqual(self.app_irqs(), irqs0 + 2,
                                'the EP guest saw no link down and up; %s'
                                % self.logs_hint())
        self.run_selftest(AGAIN, AGAIN_NAMES)


class CplTest(FaultMixin, SelftestBase):
    """
    :avocado: tags=faults,link

    Completions of BAR0 answered with UR or CA, or never.  The fast path
    is off: BAR0 (pci_epf_test's registers, in EP RAM) would otherwise be
    the EP's memory mapped into the RC QEMU, read without a message for a
    fault to take.
    """

    run_pair_args = ['--function', 'test', '--fast-path', 'off',
                     '--ep-arg', '-trace pcie_link_fault_cpl_hit']
    READS = 20

    def reads(self, count=None, offset=0):
        """bar-rtt's count of reads of BAR0 at @offset and of those that
        returned all ones, and its slowest read in us."""
        count = count or self.READS
        out = self.check_in('rc', 'bar-rtt %s/resource0 %d %d'
                            % (RC_FN, offset, count), timeout=180)
        m = re.search(r'reads=(\d+) ones=(\d+) .*max_us=([\d.]+)', out)
        self.assertIsNotNone(m, 'bar-rtt output: %r' % out)
        return int(m.group(1)), int(m.group(2)), float(m.group(3))

    def hits(self, start, what):
        return len(re.findall(r'pcie_link_fault_cpl_hit .*MEM_RD BAR 0 .*: %s$'
                              % what, self.qemu_log('ep')[start:], re.M))

    def test_cpl(self):
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        n = self.READS
        self.assertEqual(self.reads()[:2], (n, 0), 'BAR0 reads all ones with '
                         'no fault')
        for kind, what in (('ur', 'UR'), ('ca', 'CA')):
            start = len(self.qemu_log('ep'))
            self.fault_cli('cpl=%s:bar=0' % kind)
            self.assertEqual(self.show()['ep']['cpl'], '%s:bar=0' % kind)
            self.assertEqual(self.reads()[:2], (n, n),
                             'reads of BAR0 answered with %s did not all '
                             'return all ones; %s' % (what, self.logs_hint()))
            self.assertGreaterEqual(self.hits(start, what), n,
                                    'the EP did not answer %d reads with %s'
                                    % (n, what))
        # By address: BAR0's PCI address (the RC's CPU and PCI addresses
        # of the memory window are the same on virt).
        bar0 = int(self.check_in('rc', 'head -n 1 %s/resource' % RC_FN).split()[0], 16)
        self.fault_cli('cpl=ur:0x%x+0x1000' % bar0)
        self.assertEqual(self.show()['ep']['cpl'], 'ur:0x%x+0x1000' % bar0)
        self.assertEqual(self.reads()[:2], (n, n), 'a UR range over BAR0 '
                         '0x%x did not take the reads' % bar0)
        self.fault_cli('cpl=ur:0x%x+0x1000' % (bar0 + 0x1000))
        self.assertEqual(self.reads()[:2], (n, 0), 'a UR range beside the '
                         'read (BAR0 + 4 KiB) took it')

        start = len(self.qemu_log('ep'))
        self.fault_cli('cpl=timeout:bar=0')
        reads, ones, slowest = self.reads(3)
        self.assertEqual((reads, ones), (3, 3), 'reads with no completion '
                         'returned data')
        self.assertGreaterEqual(slowest, 0.9 * LINK_TIMEOUT_US,
                                'no read waited for the completion timeout '
                                '(slowest %.0f us)' % slowest)
        self.assertGreaterEqual(self.hits(start, 'no completion'), 3)

        self.fault_cli('cpl=none')
        self.assertEqual(self.show()['ep']['cpl'], 'none')
        self.wait_in('rc', 'bar-rtt %s/resource0 0 1 | grep -q " ones=0 "'
                     % RC_FN, 'BAR0 did not return data after cpl=none', 60)
        self.assertEqual(self.reads()[:2], (n, 0), 'BAR0 reads all ones after '
                         'cpl=none')
        self.run_selftest(AGAIN_MESSAGES, AGAIN_MESSAGES_NAMES)


class MsiTest(FaultMixin, SelftestBase):
    """
    :avocado: tags=faults,link

    MSIs of pci_epf_test dropped and duplicated.
    """

    run_pair_args = ['--function', 'test',
                     '--ep-arg', '-trace dw_pcie_ep_fault_msi']

    def msi_test(self):
        """Run the selftest's MSI_TEST; (its TAP status, interrupts the RC
        guest counted for the function meanwhile, the output)."""
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        name = 'pci-endpoint-test.0'
        before = irq_total(self.check_in('rc', 'cat /proc/interrupts'), name)
        status, out = self.run_in('rc', MSI_TEST, timeout=300)
        after = irq_total(self.check_in('rc', 'cat /proc/interrupts'), name)
        res = tap_results(out).get(MSI_TEST_NAME, ('missing',))[0]
        self.log.info('MSI_TEST: %s (exit %d), %d interrupts', res, status,
                      after - before)
        return res, after - before, out

    def test_msi(self):
        res, base, out = self.msi_test()
        self.assertEqual(res, 'ok', 'MSI_TEST failed with no fault:\n%s' % out)
        self.assertEqual(base, MSIS, 'the RC counted %d interrupts for %d MSIs'
                         % (base, MSIS))

        start = len(self.qemu_log('ep'))
        self.fault_cli('msi=drop')
        res, got, out = self.msi_test()
        self.assertEqual(res, 'not ok', 'MSI_TEST passed with every MSI '
                         'dropped:\n%s' % out)
        self.assertIn('Test failed for MSI1', out)
        self.assertEqual(got, 0, 'the RC counted %d interrupts with every MSI '
                         'dropped' % got)
        self.assertGreaterEqual(len(re.findall(r'dw_pcie_ep_fault_msi .* drop ',
                                               self.qemu_log('ep')[start:])),
                                MSIS, 'the EP QEMU did not trace the drops')

        # Every 4th dropped: the tests of MSI 4, 8, ... 32 time out, the
        # others pass.
        self.fault_cli('msi=drop:every=4')
        self.assertEqual(self.show()['ep']['msi'], 'drop:every=4')
        res, got, out = self.msi_test()
        self.assertEqual(res, 'not ok', out)
        failed = sorted(int(v) for v in re.findall(r'Test failed for MSI(\d+)', out))
        self.assertEqual(failed, list(range(4, MSIS + 1, 4)),
                         'MSI tests failed with every 4th MSI dropped:\n%s' % out)
        self.assertEqual(got, base - base // 4, 'the RC counted %d interrupts '
                         'with one MSI in four dropped' % got)

        # Each sent twice: nothing is lost (no test times out, every MSI
        # sent is counted at least once).  The two writes reach the RC's GIC
        # ITS back to back, and an LPI set pending while pending is taken
        # once: the RC counts most pairs once (2026-12-07: 34 interrupts
        # for 32 pairs), not twice.  A duplicate that comes late is taken
        # by pci_endpoint_test for the next MSI test's interrupt (its
        # handler completes on the status the last command left, which
        # nothing clears), which then fails with -EIO (2026-12-07: the
        # tests of 6 of 32 vectors): the only failure allowed here.
        start = len(self.qemu_log('ep'))
        self.fault_cli('msi=dup')
        res, got, out = self.msi_test()
        dups = len(re.findall(r'dw_pcie_ep_fault_msi .* dup ',
                              self.qemu_log('ep')[start:]))
        self.log.info('msi=dup: %d MSIs sent twice, the RC counted %d '
                      'interrupts, MSI_TEST %s', dups, got, res)
        # (a test that failed at once lets the next command overwrite its
        # own before the EP read it: fewer than 32 MSIs then)
        self.assertGreater(dups, 0, 'the EP QEMU traced no MSI sent twice')
        self.assertGreaterEqual(got, dups, 'the RC counted %d interrupts for '
                                '%d MSIs each sent twice' % (got, dups))
        errors = re.findall(r'Expected 0 \(0\) == ret \((-?\d+)\)', out)
        self.assertTrue(res == 'ok' or (errors and set(errors) == {'-5'}),
                        'MSI_TEST with MSIs sent twice: %s (errors %s):\n%s'
                        % (res, errors, out))

        self.fault_cli('msi=none')
        res, got, out = self.msi_test()
        self.assertEqual((res, got), ('ok', base), 'MSIs after msi=none:\n%s'
                         % out)
        self.run_selftest(AGAIN, AGAIN_NAMES)


class FaultCli(FaultMixin, SelftestBase):
    """
    :avocado: tags=faults,link

    run-pair.sh --fault on a running pair: refusals, show, clear.
    """

    run_pair_args = ['--function', 'test']

    DEFAULTS = {'ep': {'link': 'up', 'perst': 'False', 'cpl': 'none',
                       'delay-us': '0', 'msi': 'none'},
                'rc': {'link': 'up', 'perst': 'False', 'cpl': 'none',
                       'delay-us': '0'}}

    def refused(self, spec, status, text):
        got, out = self.fault_cli(spec, expect=None)
        self.assertEqual(got, status, '--fault %s exited %d, not %d:\n%s'
                         % (spec, got, status, out))
        self.assertIn(text, out, '--fault %s did not say why' % spec)

    def test_cli(self):
        self.assertEqual(self.show(), self.DEFAULTS)
        self.fault_cli('cpl=ur:bar=2')
        # QEMU refuses these (link_fault.py exits 1 with QEMU's text) ...
        self.refused('cpl=ur:bar=9', 1, "x-fault-cpl: BAR '9' is not a number 0..5")
        self.refused('rc:cpl=ur:bar=0', 1, "'bar=' selects the RC's requests")
        self.refused('cpl=ca:0x10+0', 1, 'LEN must be at least 1')
        self.refused('delay-us=2000000', 1, 'x-fault-delay-us: 2000000 is over '
                     'the largest delay, 1000000 microseconds (1 s)')
        self.refused('msi=sometimes', 1, "x-fault-msi: 'sometimes' is not "
                     "'none', 'drop' or 'dup'")
        self.refused('msi=dup:every=0', 1, 'every=N, N a number 1..4294967295')
        # ... and the CLI these, before QEMU (exit 2)
        self.refused('ep:perst=on', 2, 'perst can be set on rc only')
        self.refused('link=sideways', 2, 'link takes up or down')
        self.refused('jitter=5', 2, "no fault named 'jitter'")
        # nothing refused changed anything
        want = {'ep': dict(self.DEFAULTS['ep'], cpl='ur:bar=2'),
                'rc': self.DEFAULTS['rc']}
        self.assertEqual(self.show(), want)

        # several in one call, in order; show prints canonical forms
        self.fault_cli('cpl=ca:0x10000000+4096', 'rc:delay-us=1500',
                       'msi=drop:every=3', 'rc:cpl=timeout:0x40000000+0x100')
        want = {'ep': dict(self.DEFAULTS['ep'], cpl='ca:0x10000000+0x1000',
                           msi='drop:every=3'),
                'rc': dict(self.DEFAULTS['rc'], cpl='timeout:0x40000000+0x100')}
        want['rc']['delay-us'] = '1500'
        self.assertEqual(self.show(), want)
        # QMP reads the same
        self.assertEqual(self.qom_get('rc', 'x-fault-delay-us'), 1500)
        self.assertEqual(self.qom_get('ep', 'x-fault-msi'), 'drop:every=3')

        self.fault_cli('clear')
        self.assertEqual(self.show(), self.DEFAULTS)
        # and the pair works as before
        self.run_selftest(AGAIN, AGAIN_NAMES)
