"""The PCIe link: the kernel's pci_endpoint_test selftest across two guests.

The EP guest runs pci_epf_test on dw-pcie-ep; the RC guest sees it behind
its root port (pci-ep-link / pci-ep-remote) and runs the kernel's own
tools/testing/selftests/pci_endpoint/pci_endpoint_test.  Every test this
link is meant to carry must pass: the BAR tests of every BAR the function
enables (BAR1 and BAR3 are the upper halves of the 64-bit BAR0 and BAR2,
so the selftest skips them, and BAR0 holds the test registers, so its
subrange test skips), CONSECUTIVE_BAR_TEST, LEGACY_IRQ_TEST, MSI_TEST,
MSIX_TEST, BAR_SUBRANGE_TEST (address-match inbound iATU) and the memcpy
READ, WRITE and COPY tests.  The DMA variants and DOORBELL_TEST need the
eDMA engine, which does not move data yet: they are not run here.
"""

import re

from pair import PairTest

# The BAR and interrupt tests, and the memcpy data transfers, each on a
# freshly booted pair (the memcpy tests move 6 MiB through 8-byte MMIO
# round trips: about a minute).
BASIC = 'pci_endpoint_test -f pci_ep_bar -f pci_ep_basic 2>&1'
MEMCPY = 'pci_endpoint_test -v memcpy 2>&1'

EXPECTED_PASS = (
    ['pci_ep_bar.BAR%d.BAR_TEST' % b for b in (0, 2, 4, 5)] +
    ['pci_ep_bar.BAR%d.BAR_SUBRANGE_TEST' % b for b in (2, 4, 5)] +
    ['pci_ep_basic.%s' % t for t in ('CONSECUTIVE_BAR_TEST', 'LEGACY_IRQ_TEST',
                                     'MSI_TEST', 'MSIX_TEST')] +
    ['pci_ep_data_transfer.memcpy.%s' % t for t in ('READ_TEST', 'WRITE_TEST',
                                                    'COPY_TEST')])


def tap_results(text):
    """{test name: 'ok' | 'skip' | 'not ok'} from kselftest TAP output."""
    res = {}
    for m in re.finditer(r'^(ok|not ok) \d+ (\S+)(.*)$', text, re.M):
        status = m.group(1)
        if status == 'ok' and '# SKIP' in m.group(3):
            status = 'skip'
        res[m.group(2)] = status
    return res


class Selftest(PairTest):
    """
    :avocado: tags=link,selftest
    """

    run_pair_args = ['--function', 'test']

    def run_selftest(self, command, names):
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        out = self.check_in('rc', command, timeout=900)
        res = tap_results(out)
        self.log.info('selftest results: %s', res)
        bad = [t for t in names if res.get(t) != 'ok']
        if bad:
            self.fail('selftest tests not passing: %s\n%s\n%s'
                      % (', '.join('%s=%s' % (t, res.get(t, 'missing')) for t in bad),
                         out[-3000:], self.logs_hint()))
        unexpected = [t for t, s in res.items() if s == 'not ok']
        self.assertEqual(unexpected, [], 'failing selftest cases')

    def test_bars_and_interrupts(self):
        self.run_selftest(BASIC, [t for t in EXPECTED_PASS
                                  if not t.startswith('pci_ep_data_transfer')])

    def test_memcpy(self):
        self.run_selftest(MEMCPY, [t for t in EXPECTED_PASS
                                   if t.startswith('pci_ep_data_transfer')])


class SelftestTcp(Selftest):
    """
    :avocado: tags=link,selftest,tcp

    CONSECUTIVE_BAR_TEST is left out over TCP: it makes about a million
    4-byte BAR round trips, which loopback TCP does not finish within the
    selftest harness's 30 s limit on a 2-core machine (unix sockets do).
    """

    run_pair_args = ['--function', 'test', '--link', 'tcp']

    def test_bars_and_interrupts(self):
        self.run_selftest(BASIC.replace('2>&1', '-T CONSECUTIVE_BAR_TEST 2>&1'),
                          [t for t in EXPECTED_PASS
                           if not t.startswith('pci_ep_data_transfer') and
                           'CONSECUTIVE' not in t])
