"""A peer killed in the middle of real work: the other side survives, loses
nothing of its own, and the pair comes back.

  * EP QEMU killed (SIGKILL) during a ping flood over ntb_netdev: the RC
    guest surprise-removes the NTB function without an oops (upstream
    ntb_hw_epf used the scratchpad offset it read from the gone device,
    all ones, unchecked: kernel patch 0006), keeps running, and after
    run-pair.sh --restart ep vNTB comes back and pings without loss.
  * EP QEMU killed during ntb_perf: the same, and ntb_perf runs again.
  * RC QEMU killed during an eDMA transfer of pci_epf_test: the EP's
    transfer ends (the eDMA aborts; pci_epf_test reports the failure), the
    EP guest keeps running, and when the RC comes back the selftest
    passes, DMA and DOORBELL included (test_link.MOST: all but the slow
    subrange and MSI-X tests).
"""

import signal
import time

from pair import PairTest, pid_alive
from test_link import MOST, MOST_NAMES, SelftestBase

RC_FN = '/sys/bus/pci/devices/0000:01:00.0'
KERNEL_BAD = ('Unable to handle kernel', 'Internal error', 'Oops', 'BUG:',
              'Kernel panic', 'Call trace')


class KillBase(PairTest):

    def kill9(self, guest):
        self.stop_guest_qemu(guest, signal.SIGKILL)

    def assert_survivor(self, guest):
        """@guest's QEMU runs, its guest answers, its kernel did not oops."""
        self.assertTrue(pid_alive(self.qemu_pid(guest)),
                        '%s QEMU died with its peer' % guest)
        self.assertEqual(self.check_in(guest, 'echo alive').strip(), 'alive')
        dmesg = self.check_in(guest, 'dmesg')
        for bad in KERNEL_BAD:
            self.assertNotIn(bad, dmesg, '[%s] kernel: %r after the peer was killed; %s'
                             % (guest, bad, self.logs_hint()))


class KillEpVntb(KillBase):
    """
    :avocado: tags=kill,vntb

    vNTB on the polling backend (the setup where the oops was seen).
    """

    run_pair_args = ['--function', 'vntb', '--doorbell', 'none']

    def ep_gone(self):
        self.wait_in('rc', '! test -e %s' % RC_FN,
                     'the NTB function did not leave after the EP QEMU was killed', 60)
        self.wait_in('rc', 'dmesg | grep -q "pciehp: Slot(0): Card not present"',
                     'pciehp did not report the card gone', 10)
        self.assert_survivor('rc')

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
        self.assert_survivor('rc')

    def test_kill_ep_during_ping_flood(self):
        self.check_in('rc', '(ping -i 0.01 -q 192.168.77.1 >/tmp/flood.out 2>&1 &) ; sleep 3')
        self.kill9('ep')
        self.ep_gone()
        self.check_in('rc', 'killall ping; true')
        self.ping_back()

    def test_kill_ep_during_ntb_perf(self):
        # ntb_perf needs the NTB devices to itself: take ntb_netdev and
        # ntb_transport off both sides first.
        for g in ('ep', 'rc'):
            self.check_in(g, 'rmmod ntb_netdev; rmmod ntb_transport; '
                             'modprobe ntb_perf total_order=22 use_dma=0')
        d = '/sys/kernel/debug/ntb_perf/0000:01:00.0'
        self.check_in('rc', 'grep -q " /sys/kernel/debug " /proc/mounts || '
                            'mount -t debugfs none /sys/kernel/debug')
        self.wait_in('rc', 'grep -q "In buffer xlat" %s/info' % d,
                     'ntb_perf did not exchange its buffers', 60)
        self.check_in('rc', '(echo 0 > %s/run &) ; sleep 1' % d)
        self.kill9('ep')
        self.ep_gone()
        self.vntb_back()
        self.check_in('ep', 'grep -q " /sys/kernel/debug " /proc/mounts || '
                            'mount -t debugfs none /sys/kernel/debug; '
                            'modprobe ntb_perf total_order=22 use_dma=0')
        self.wait_in('rc', 'grep -q "In buffer xlat" %s/info' % d,
                     'ntb_perf did not exchange its buffers after the restart', 60)
        out = self.check_in('rc', 'echo 0 > %s/run && cat %s/run' % (d, d), timeout=180)
        self.assertRegex(out, r'\d+: copied \d+ bytes in \d+ usecs', out)
        self.assertNotIn('error status', out)
        self.assert_survivor('rc')


class KillRcEdma(SelftestBase, KillBase):
    """
    :avocado: tags=kill,edma
    """

    run_pair_args = ['--function', 'test']

    def test_kill_rc_during_edma(self):
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        # 4 MiB eDMA reads (the EP's eDMA writes into RC memory), many of
        # them, in the background; kill the RC in the middle.
        self.check_in('rc', '(pcitest-xfer read 4194304 1000 dma >/tmp/x.out 2>&1 &); sleep 2')
        ep0 = self.check_in('ep', 'dmesg | grep -c "READ\\|WRITE"; true')
        self.kill9('rc')
        time.sleep(3)
        self.assert_survivor('ep')
        # The transfer the EP had in hand ended with an error, not a hang:
        # pci_epf_test logs the failed DMA.
        dmesg = self.check_in('ep', 'dmesg | tail -n 40')
        self.log.info('EP dmesg after the RC was killed:\n%s (transfers before: %s)',
                      dmesg, ep0)
        self.restart_guest('rc')
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 60', timeout=90)
        self.run_selftest(MOST, MOST_NAMES)
        self.assert_survivor('ep')
