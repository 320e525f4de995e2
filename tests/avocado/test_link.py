"""The PCIe link and the eDMA: the kernel's pci_endpoint_test selftest across
two guests.

The EP guest runs pci_epf_test on dw-pcie-ep; the RC guest sees it behind
its root port (pci-ep-link / pci-ep-remote) and runs the kernel's own
tools/testing/selftests/pci_endpoint/pci_endpoint_test, whole, once per
doorbell backend:
  - embedded: no MSI domain on the EP, so pci-ep-msi falls back to the
    eDMA's interrupt-emulation doorbell; the RC's doorbell write goes
    through the inbound iATU to the eDMA's rd_int_status;
  - its: the EP has an msi-map to the GIC ITS; the RC's doorbell write
    goes through the inbound iATU to the ITS translation register, with
    the controller's device ID.
Every test must pass.  The only skips allowed are those in EXPECTED_SKIP,
each for the reason given there: BAR1 and BAR3 are the upper halves of the
64-bit BAR0 and BAR2 (the function leaves them disabled), BAR0 holds the
test registers, so its subrange test does not run, and the eDMA has no
MEMCPY channel, so the function reports CAP_NO_DMA_MEMCPY and the DMA
COPY_TEST skips (kernel-patches/pci/0001-0003).
"""

import os
import re

from pair import PairTest

BASIC = 'pci_endpoint_test -f pci_ep_bar -f pci_ep_basic 2>&1'
MEMCPY = 'pci_endpoint_test -v memcpy 2>&1'
DMA = 'pci_endpoint_test -v dma 2>&1'
WHOLE = 'pci_endpoint_test 2>&1'

EXPECTED_PASS = (
    ['pci_ep_bar.BAR%d.BAR_TEST' % b for b in (0, 2, 4, 5)] +
    ['pci_ep_bar.BAR%d.BAR_SUBRANGE_TEST' % b for b in (2, 4, 5)] +
    ['pci_ep_basic.%s' % t for t in ('CONSECUTIVE_BAR_TEST', 'LEGACY_IRQ_TEST',
                                     'MSI_TEST', 'MSIX_TEST')] +
    ['pci_ep_data_transfer.%s.%s' % (v, t) for v in ('memcpy', 'dma')
     for t in ('READ_TEST', 'WRITE_TEST', 'COPY_TEST')
     if (v, t) != ('dma', 'COPY_TEST')] +
    ['pcie_ep_doorbell.DOORBELL_TEST'])
# What BASIC runs.
BASIC_NAMES = [t for t in EXPECTED_PASS if t.startswith(('pci_ep_bar', 'pci_ep_basic'))]

# The tests that take long under TCG, measured 2026-12-06: each
# BAR_SUBRANGE_TEST about 5 s (its address-match windows stay on the
# link's messages), MSIX_TEST about 17 s (2048 vectors, each a command the
# EP polls for).  The whole-selftest tests run them; a test that only
# needs the pair to work (again) leaves them out.  The harness takes the
# first option that names a test, so -T goes before -f.
SLOW = ('BAR_SUBRANGE_TEST', 'MSIX_TEST')
WITHOUT_SLOW = 'pci_endpoint_test %s' % ' '.join('-T %s' % t for t in SLOW)
# The pair works: every BAR, consecutive BAR accesses, INTx and MSI (under
# a second on the unix socket).
AGAIN = WITHOUT_SLOW + ' -f pci_ep_bar -f pci_ep_basic 2>&1'
AGAIN_NAMES = [t for t in BASIC_NAMES if not t.endswith(SLOW)]
# The same where every BAR access is a link message (TCP, or the fast
# path off), which makes the BAR tests take 30 s and more: INTx and MSI
# (their commands and status in BAR0, the interrupts back).
AGAIN_MESSAGES = WITHOUT_SLOW + ' -T CONSECUTIVE_BAR_TEST -f pci_ep_basic 2>&1'
AGAIN_MESSAGES_NAMES = ['pci_ep_basic.LEGACY_IRQ_TEST', 'pci_ep_basic.MSI_TEST']
# The whole selftest but the slow tests: data transfer and doorbell too.
MOST = WITHOUT_SLOW + ' 2>&1'
MOST_NAMES = [t for t in EXPECTED_PASS if not t.endswith(SLOW)]

EXPECTED_SKIP = {
    'pci_ep_bar.BAR0.BAR_SUBRANGE_TEST': 'BAR is test register space',
    'pci_ep_bar.BAR1.BAR_TEST': 'BAR is disabled',
    'pci_ep_bar.BAR1.BAR_SUBRANGE_TEST': 'BAR is disabled',
    'pci_ep_bar.BAR3.BAR_TEST': 'BAR is disabled',
    'pci_ep_bar.BAR3.BAR_SUBRANGE_TEST': 'BAR is disabled',
    # the DW eDMA's channels are slave channels, none DMA_MEMCPY
    'pci_ep_data_transfer.dma.COPY_TEST': 'DMA MEMCPY is not supported',
}

# virt's GIC ITS is at 0x08080000; GITS_TRANSLATER is at +0x10040.
ITS_TRANSLATER = 0x08090040
# rd_int_status, the register Linux's eDMA embedded doorbell rings, and
# where the eDMA's "dma" region sits on virt (dts/dw-pcie-ep-virt.dts).
EDMA_RD_INT_STATUS = 0xa0
EDMA_BASE = 0x0c004000


def tap_results(text):
    """{test name: (status, skip reason)} from kselftest TAP output;
    status is 'ok', 'skip' or 'not ok'."""
    res = {}
    for m in re.finditer(r'^(ok|not ok) \d+ (\S+)(.*)$', text, re.M):
        status, reason = m.group(1), ''
        skip = re.search(r'# SKIP\s*(.*)', m.group(3))
        if status == 'ok' and skip:
            status, reason = 'skip', skip.group(1).strip()
        res[m.group(2)] = (status, reason)
    return res


class SelftestBase(PairTest):
    """Runs selftest commands in the RC guest and judges their TAP output."""

    run_pair_args = ['--function', 'test']
    # {test: the reason the selftest gives when it skips it} on this face
    expected_skip = EXPECTED_SKIP

    def run_selftest(self, command, names):
        """Run command; every test in names must pass, any other test that
        ran must pass or skip for its expected_skip reason, and a test of
        expected_skip that ran must skip (not pass)."""
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        out = self.check_in('rc', command, timeout=900)
        res = tap_results(out)
        self.log.info('selftest results: %s', res)
        problems = ['%s=%s' % (t, res.get(t, ('missing',))[0])
                    for t in names if res.get(t, ('missing',))[0] != 'ok']
        for t, (status, reason) in res.items():
            if status == 'not ok' and t not in names:
                problems.append('%s=not ok' % t)
            if status == 'skip' and self.expected_skip.get(t) != reason:
                problems.append('%s skipped: %r (not an expected skip)'
                                % (t, reason))
            if status == 'ok' and t in self.expected_skip:
                problems.append('%s=ok (expected to skip: %r)'
                                % (t, self.expected_skip[t]))
        if problems:
            self.fail('selftest: %s\n%s\n%s' % (', '.join(problems),
                                                  out[-3000:],
                                                  self.logs_hint()))
        return res

    def whole_selftest(self):
        """The whole selftest: every test passes, only EXPECTED_SKIP skip;
        returns the EP guest's dmesg."""
        res = self.run_selftest(WHOLE, EXPECTED_PASS)
        self.assertEqual(sorted(t for t, (s, _) in res.items() if s == 'skip'),
                         sorted(EXPECTED_SKIP), 'skipped tests')
        return self.check_in('ep', 'dmesg')

    def ep_log(self):
        with open(os.path.join(self.run_dir, 'ep-qemu.log'),
                  errors='replace') as f:
            return f.read()


class SelftestEmbedded(SelftestBase):
    """
    :avocado: tags=link,selftest,edma,doorbell

    The whole selftest with the eDMA embedded doorbell.
    """

    run_pair_args = ['--function', 'test', '--doorbell', 'embedded',
                     '--ep-arg', '-trace dw_edma_emu_irq_emulation',
                     '--ep-arg', '-trace dw_pcie_ep_inbound']

    def test_whole(self):
        dmesg = self.whole_selftest()
        self.assertIn('Using embedded (DMA) doorbell fallback', dmesg,
                      'the EP did not choose the embedded doorbell; %s'
                      % self.logs_hint())
        # The RC's doorbell write asserted the eDMA interrupt through
        # interrupt emulation, and the EP driver's zero write to int_clear
        # deasserted it.
        log = self.ep_log()
        # The RC's write came over the link, through the inbound iATU, to
        # rd_int_status (not some other write to that register).
        self.assertRegex(log, r'via inbound region \d+ -> 0x%x \(4 bytes\) write=1'
                         % (EDMA_BASE + EDMA_RD_INT_STATUS),
                         'no inbound write from the RC to rd_int_status in the EP '
                         'QEMU trace; %s' % self.logs_hint())
        self.assertIn('interrupt emulation via 0x%03x: level 1'
                      % EDMA_RD_INT_STATUS, log,
                      'no interrupt-emulation assert in the EP QEMU trace; %s'
                      % self.logs_hint())
        self.assertRegex(log, r'interrupt emulation via 0x0(58|ac): level 0',
                         'no interrupt-emulation deassert in the EP QEMU '
                         'trace; %s' % self.logs_hint())


class SelftestIts(SelftestBase):
    """
    :avocado: tags=link,selftest,edma,doorbell,its

    The whole selftest with the doorbell through the GIC ITS.
    """

    run_pair_args = ['--function', 'test', '--doorbell', 'its',
                     '--ep-arg', '-trace dw_pcie_ep_inbound']

    def test_whole(self):
        dmesg = self.whole_selftest()
        self.assertNotIn('embedded (DMA) doorbell', dmesg,
                         'the EP fell back to the embedded doorbell')
        # The doorbell write landed on the ITS translation register.
        self.assertRegex(self.ep_log(),
                         r'via inbound region \d+ -> 0x%x \(4 bytes\) write=1'
                         % ITS_TRANSLATER,
                         'no inbound write to GITS_TRANSLATER in the EP QEMU '
                         'trace; %s' % self.logs_hint())


class SelftestTcp(SelftestBase):
    """
    :avocado: tags=link,selftest,tcp

    The same over TCP on loopback.  CONSECUTIVE_BAR_TEST is left out: it
    makes about a million 4-byte BAR round trips, which loopback TCP does
    not finish within the selftest harness's 30 s limit on a 2-core machine
    (unix sockets do).
    """

    run_pair_args = ['--function', 'test', '--link', 'tcp']

    def test_bars_and_interrupts(self):
        # the harness takes the first filter that matches: -T goes first
        self.run_selftest(BASIC.replace('pci_endpoint_test ',
                                        'pci_endpoint_test -T CONSECUTIVE_BAR_TEST '),
                          [t for t in EXPECTED_PASS
                           if t.startswith(('pci_ep_bar', 'pci_ep_basic')) and
                           'CONSECUTIVE' not in t])

    def test_data_transfer(self):
        self.run_selftest(MEMCPY, [t for t in EXPECTED_PASS if '.memcpy.' in t])
        self.run_selftest(DMA, [t for t in EXPECTED_PASS if '.dma.' in t])
