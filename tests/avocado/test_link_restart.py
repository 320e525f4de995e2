"""A peer that goes away and comes back.

Stopping the EP QEMU while the RC guest is idle surprise-removes the
function in the RC guest (pciehp reports the card gone, the device leaves
sysfs) and leaves the RC QEMU and guest running.  Starting the EP QEMU
again (run-pair.sh --restart ep) and starting pci_epf_test in it brings
the device back, and the selftest passes on it again.
"""

import os
import time

from pair import PairTest
from test_link import BASIC, EXPECTED_PASS, tap_results

DEVICE = '/sys/bus/pci/devices/0000:01:00.0'


class EpRestart(PairTest):
    """
    :avocado: tags=link,restart
    """

    run_pair_args = ['--function', 'test']

    def selftest_passes(self, when):
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        out = self.check_in('rc', BASIC, timeout=900)
        res = tap_results(out)
        names = [t for t in EXPECTED_PASS
                 if not t.startswith('pci_ep_data_transfer')]
        bad = ['%s=%s' % (t, res.get(t, 'missing')) for t in names
               if res.get(t) != 'ok']
        if bad:
            self.fail('%s: selftest tests not passing: %s\n%s\n%s'
                      % (when, ', '.join(bad), out[-3000:], self.logs_hint()))

    def wait_rc(self, command, what, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.run_in('rc', command)[0] == 0:
                return
            time.sleep(1)
        self.fail('RC guest: %s within %d s; %s' % (what, timeout,
                                                    self.logs_hint()))

    def test_ep_restart(self):
        self.selftest_passes('before the EP restart')

        self.stop_guest_qemu('ep')
        self.wait_rc('! test -e %s' % DEVICE,
                     'the function did not leave after the EP QEMU stopped')
        self.check_in('rc', "dmesg | grep -q 'pciehp: Slot(0): Card not present'")
        self.assertTrue(os.path.exists('/proc/%d' % self.qemu_pid('rc')),
                        'the RC QEMU stopped with its peer')
        self.assertEqual(self.check_in('rc', 'echo alive').strip(), 'alive')

        self.restart_guest('ep')
        self.check_in('ep', 'ep-function test')
        self.wait_rc('test -e %s' % DEVICE,
                     'the function did not come back after the EP restart')
        self.selftest_passes('after the EP restart')
