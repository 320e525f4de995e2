"""Link fault tests that fail today on a Linux 7.2 bug the faults found,
run by hand: avocado run tests/avocado/faults_known_bugs.py.

Not in the default run (the file name does not match test_*.py), so CI
stays a statement of what works; each test here says what it shows and
moves back to test_link_faults.py with the kernel fix that makes it pass.
See docs/bug-finder.md.
"""

import test_link_faults


class LinkDownVntbEpTraffic(test_link_faults.LinkDownVntb):
    """
    :avocado: enable
    :avocado: tags=faults,vntb,known-bug

    test_link_faults.LinkDownVntb's surprise link down, with the EP guest
    sending through it.
    """

    def test_rc_link_down_during_ep_ping(self):
        """The EP guest sends through the fault: its ntb_netdev interface
        stays (only the RC's device goes) and the EP's ntb_transport keeps
        sending into the gone host's memory window.

        Fails on Linux 7.2 (2026-12-07): after the link is back, the new
        host's queue pair and the EP's do not exchange a packet (the EP's
        qp reports Link Up again, never Link Down: pci-epf-vntb has no
        link-down handling, so the EP's ntb_transport never resets its
        queue state).  Without EP traffic during the fault (the tests
        above) the pair recovers."""
        self.link_cycle('rc', ('rc', 'ep'))
