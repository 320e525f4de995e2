"""What the link does when one side changes state under the other.

Slot power: the RC guest powers the endpoint's slot off through pciehp
(/sys/bus/pci/slots/0/power).  QEMU detaches the function: it leaves
/sys/bus/pci/devices, pci-ep-link forgets it, and the RC QEMU stays up
while the EP, left alone, stays on the link (the slot keeps reporting a
card, and the slot stays off).  Powered on again, the function is back
and pci_endpoint_test's BAR_TEST passes on every BAR; twice in a row.

EP reset: a system_reset of the EP QEMU (QMP; run-pair.sh starts it with
-no-reboot, so the test first makes a reset reset rather than quit) resets
dw-pcie-ep, which sends LINK down: the RC guest sees the function
surprise-removed for a link down (not for a peer gone: the EP QEMU stays
up).  When the EP guest has booted again and started pci_epf_test, the
function comes back, configured afresh, and the BAR and basic tests pass
(test_link.AGAIN).
"""

import os
import time

from pair import pid_alive
from test_link import AGAIN, AGAIN_NAMES, WITHOUT_SLOW, SelftestBase

SLOT = '/sys/bus/pci/slots/0'
DEVICE = '/sys/bus/pci/devices/0000:01:00.0'
# Every BAR's BAR_TEST (the slow subrange tests are left to the
# whole-selftest tests)
BAR = WITHOUT_SLOW + ' -f pci_ep_bar 2>&1'
BAR_NAMES = [t for t in AGAIN_NAMES if t.startswith('pci_ep_bar')]
READY = 'DWC-EP-GUEST-READY role=ep'


class LinkState(SelftestBase):
    """
    :avocado: tags=link,link_state
    """

    run_pair_args = ['--function', 'test',
                     '--rc-arg', '-trace pci_ep_link_unplug']

    def assert_rc_alive(self):
        pid = self.qemu_pid('rc')
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            self.fail('the RC QEMU (pid %d) died; %s' % (pid, self.logs_hint()))
        self.assertEqual(self.check_in('rc', 'echo alive').strip(), 'alive')

    def console_count(self, guest, text):
        with open(os.path.join(self.run_dir, '%s-console.log' % guest),
                  errors='replace') as f:
            return f.read().count(text)

    def test_slot_power(self):
        self.run_selftest(BAR, BAR_NAMES)
        for cycle in (1, 2):
            self.log.info('slot power cycle %d', cycle)
            self.check_in('rc', 'echo 0 > %s/power' % SLOT)
            self.wait_in('rc', '! test -e %s' % DEVICE,
                         'the function did not leave when its slot was '
                         'powered off')
            self.assert_rc_alive()
            # The EP is left alone; the slot stays off (pciehp does not
            # take the linked card for a new one) and holds a card.
            time.sleep(3)
            self.check_in('rc', '! test -e %s' % DEVICE)
            self.assertEqual(self.check_in('rc', 'cat %s/power' % SLOT).strip(),
                             '0', 'the slot did not stay powered off')
            self.assertEqual(self.check_in('rc', 'cat %s/adapter' % SLOT).strip(),
                             '1', 'the powered-off slot lost its card')
            self.assert_rc_alive()

            self.check_in('rc', 'echo 1 > %s/power' % SLOT)
            self.wait_in('rc', 'test -e %s' % DEVICE,
                         'the function did not come back when its slot was '
                         'powered on')
            self.run_selftest(BAR, BAR_NAMES)
        self.assert_rc_alive()

    def test_ep_reset(self):
        self.run_selftest(BAR, BAR_NAMES)
        removed = self.check_in(
            'rc', "dmesg | grep -c 'Slot(0): Card not present' || true").strip()
        boots = self.console_count('ep', READY)

        self.qmp('ep', ('set-action', {'reboot': 'reset'}), ('system_reset', {}))
        # The reset sent LINK down: a surprise removal in the RC guest.
        self.wait_in('rc', '! test -e %s' % DEVICE,
                     'the function did not leave when the EP was reset')
        self.assertGreater(int(self.check_in(
            'rc', "dmesg | grep -c 'Slot(0): Card not present'").strip()),
            int(removed or 0), 'no surprise removal in the RC guest')
        self.assert_rc_alive()
        pid = self.qemu_pid('ep')
        self.assertTrue(pid_alive(pid),
                        'the EP QEMU quit instead of resetting')
        with open(os.path.join(self.run_dir, 'rc-qemu.log'),
                  errors='replace') as f:
            self.assertIn('function removed: link down', f.read(),
                          'the RC did not remove the function for a link '
                          'down; %s' % self.logs_hint())

        end = time.monotonic() + self.boot_timeout
        while self.console_count('ep', READY) <= boots:
            if time.monotonic() > end:
                self.fail('the EP guest did not boot again after the reset; '
                          '%s' % self.logs_hint())
            time.sleep(1)
        self.check_in('ep', 'ep-function test')
        self.wait_in('rc', 'test -e %s' % DEVICE,
                     'the function did not come back after the EP reset')
        self.run_selftest(AGAIN, AGAIN_NAMES)
