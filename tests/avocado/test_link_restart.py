"""A peer that goes away and comes back.

Stopping the EP QEMU while the RC guest is idle surprise-removes the
function in the RC guest (pciehp reports the card gone, the device leaves
sysfs) and leaves the RC QEMU and guest running.  Starting the EP QEMU
again (run-pair.sh --restart ep) and starting pci_epf_test in it brings
the device back, and the whole selftest passes on it again.
"""

import time

from pair import pid_alive
from test_link import AGAIN, AGAIN_NAMES, SelftestBase

DEVICE = '/sys/bus/pci/devices/0000:01:00.0'


class EpRestart(SelftestBase):
    """
    :avocado: tags=link,restart
    """

    run_pair_args = ['--function', 'test']

    def wait_rc(self, command, what, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.run_in('rc', command)[0] == 0:
                return
            time.sleep(1)
        self.fail('RC guest: %s within %d s; %s' % (what, timeout,
                                                    self.logs_hint()))

    def test_ep_restart(self):
        self.run_selftest(AGAIN, AGAIN_NAMES)

        self.stop_guest_qemu('ep')
        self.wait_rc('! test -e %s' % DEVICE,
                     'the function did not leave after the EP QEMU stopped')
        self.check_in('rc', "dmesg | grep -q 'pciehp: Slot(0): Card not present'")
        self.assertTrue(pid_alive(self.qemu_pid('rc')),
                        'the RC QEMU stopped with its peer')
        self.assertEqual(self.check_in('rc', 'echo alive').strip(), 'alive')

        self.restart_guest('ep')
        self.check_in('ep', 'ep-function test')
        self.wait_rc('test -e %s' % DEVICE,
                     'the function did not come back after the EP restart')
        # The whole selftest, DMA and DOORBELL included: nothing of the
        # first EP's state may be needed by, or leak into, the second.
        self.whole_selftest()
