"""ntb_hw_epf with an endpoint that reads as gone: all ones from its BARs.

A surprise-removed endpoint answers the host's reads of its BARs with all
ones.  ntb_hw_epf reads the NTB link's state from the endpoint's control
BAR (ntb_epf_link_is_up(), a 16-bit register whose bit 0 is "up"), so
all ones must read as a link that is down, not up.

The endpoint killed outright cannot show it: pciehp removes the function
within a second or two of the kill, and ntb_tool's debugfs files with it.
So the endpoint stays, and its controller answers every read of BAR0,
the control BAR (vNTB's ctrl_bar 0, ntb_hw_epf's BAR_CONFIG), with an
Unsupported Request: the host CPU reads all ones, as from a gone device,
while the device stays bound (run-pair.sh --fault cpl=ur:bar=0, the EP
QEMU's x-fault-cpl; docs/link-faults.md).  The fast path is off: BAR0 is
EP RAM that the RC QEMU would otherwise read without a message for the
fault to take.

  * NtbEpfGone.test_link_reads_down: with ntb_tool loaded on both sides
    and the NTB link up (the RC's peer0/link reads Y), a scratchpad
    written by the EP reads back on the RC; then BAR0's reads fail: the
    same scratchpad no longer reads its value on the RC (the fault is in
    force), and the RC's peer0/link must read N.  Without the fix (Linux 7.2's
    ntb_epf_link_is_up()) it reads Y.  With the fault cleared, the link
    reads Y again and the scratchpad its value (nothing was latched).
"""

import time

from test_ntb_tool import NtbToolPair

EP_DEV = '/machine/peripheral/dwc0'
SPAD = 5
SPAD_VALUE = 0x13572468


class NtbEpfGone(NtbToolPair):
    """
    :avocado: tags=vntb,ntb_tool,ntb_epf_gone

    vNTB with the polling doorbell, ntb_tool, fast path off.
    """

    run_pair_args = ['--function', 'vntb', '--doorbell', 'none',
                     '--ntb-client', 'none', '--fast-path', 'off']
    timeout = 900

    def set_cpl_fault(self, value):
        self.qmp('ep', ('qom-set', {'path': EP_DEV, 'property': 'x-fault-cpl',
                                    'value': value}))
        got = self.qmp('ep', ('qom-get', {'path': EP_DEV, 'property': 'x-fault-cpl'}))
        self.assertEqual(got, value, 'x-fault-cpl of the EP reads %r' % got)

    def rc_link(self):
        return self.match_in('rc', 'cat %s/peer0/link' % self.tool('rc'), '[YN]')

    def rc_spad(self):
        return self.read_int('rc', '%s/spad%d' % (self.tool('rc'), SPAD))

    def wait_rc_spad(self, value, what, timeout=30, equal=True):
        """Wait until the RC's spad reads @value (or, @equal false, anything
        else); returns what it read."""
        end = time.monotonic() + timeout
        while True:
            got = self.rc_spad()
            if (got == value) == equal:
                return got
            if time.monotonic() > end:
                self.fail('[rc] spad%d reads %#x, %s%#x, %s; %s'
                          % (SPAD, got, 'not ' if equal else 'still ', value, what,
                             self.logs_hint()))
            time.sleep(0.5)

    def test_link_reads_down(self):
        self.load_tool()
        # The EP writes the RC's scratchpad (its peer's); the RC reads it
        # from BAR0 (vNTB keeps the scratchpads in the control BAR).
        self.write('ep', '%s/peer0/spad%d' % (self.tool('ep'), SPAD), hex(SPAD_VALUE))
        self.wait_rc_spad(SPAD_VALUE, 'after the EP wrote it')
        self.assertEqual(self.rc_link(), 'Y', '[rc] NTB link not up before the fault')

        self.set_cpl_fault('ur:bar=0')
        try:
            # The fault is in force: the scratchpad, in BAR0, no longer
            # reads its value (all ones; a driver that checks what it
            # reads may make something else of it).
            got = self.wait_rc_spad(SPAD_VALUE, 'with BAR0 answered with UR', equal=False)
            self.log.info('[rc] spad%d with BAR0 reading all ones: %#x', SPAD, got)
            link = self.rc_link()
            self.log.info('[rc] peer0/link with BAR0 reading all ones: %s', link)
            self.assertEqual(link, 'N', '[rc] ntb_tool reports the NTB link of an '
                             'endpoint that reads all ones (gone) as up: '
                             'ntb_epf_link_is_up() took all ones for LINK_STATUS_UP; %s'
                             % self.logs_hint())
        finally:
            self.set_cpl_fault('none')

        # Back: nothing was latched.
        self.wait_rc_spad(SPAD_VALUE, 'after the fault was cleared')
        self.assertEqual(self.rc_link(), 'Y', '[rc] NTB link not up after the fault '
                         'was cleared; %s' % self.logs_hint())
        self.assert_clean_dmesg('rc')
