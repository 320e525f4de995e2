"""The rk3588 face: Linux 7.2's own pcie-dw-rockchip drives the controller.

run-pair.sh --soc rk3588 gives the EP guest the dw-pcie-ep-rk3588 device,
whose device tree node ("rockchip,rk3588-pcie-ep", with its
"rockchip,rk3588-pcie3-phy" PHY and GRF syscons) the stock Rockchip
driver and PHY driver bind.  Each test checks that the upstream driver
probed the controller and started the link through the face's apb block
(GENERAL_CON's ENABLE_LTSSM with its write-enable half), then:

  - the whole pci_endpoint_test selftest: everything passes but INTx
    (RK3588_IMPOSSIBLE: the DWC core raises none for this glue) and the
    selftest's own skips of the reserved BAR4, of BAR0's subrange and of
    the DMA COPY_TEST (the eDMA has no MEMCPY channel);
    DOORBELL_TEST passes through BAR4, which the hardware reserves for the
    eDMA's registers: the host's doorbell write reaches rd_int_status
    there, and the function never programmed BAR4 (no doorbell BAR of its
    own);
  - vNTB with its doorbell in BAR4 (the R-Car IDs and layout the upstream
    work ran on the Rock 5B) reuses that pre-exposed doorbell, and
    ntb_netdev pings both ways;
  - a function that asks for BAR4 for a memory window (the i.MX8 layout)
    is refused the way 7.2 refuses it ("Invalid BAR type").
"""

import re

import soc_face
import test_link
import test_vntb
from pair import PairTest

RK3588_IMPOSSIBLE = {
    'pci_ep_basic.LEGACY_IRQ_TEST':
        'the Rockchip glue raises no INTx (pcie-dw-rockchip hands INTx to '
        'dw_pcie_ep_raise_intx_irq, which refuses it)',
}
RK3588_SKIP = {
    'pci_ep_bar.BAR0.BAR_SUBRANGE_TEST': 'BAR is test register space',
    'pci_ep_bar.BAR4.BAR_TEST': 'BAR is reserved',
    'pci_ep_bar.BAR4.BAR_SUBRANGE_TEST': 'BAR is reserved',
    'pci_ep_data_transfer.dma.COPY_TEST':
        test_link.EXPECTED_SKIP['pci_ep_data_transfer.dma.COPY_TEST'],
}
RK3588_PASS = (
    ['pci_ep_bar.BAR%d.BAR_TEST' % b for b in (0, 1, 2, 3, 5)] +
    ['pci_ep_bar.BAR%d.BAR_SUBRANGE_TEST' % b for b in (1, 2, 3, 5)] +
    ['pci_ep_basic.%s' % t for t in ('CONSECUTIVE_BAR_TEST', 'MSI_TEST',
                                     'MSIX_TEST')] +
    ['pci_ep_data_transfer.%s.%s' % (v, t) for v in ('memcpy', 'dma')
     for t in ('READ_TEST', 'WRITE_TEST', 'COPY_TEST')
     if (v, t) != ('dma', 'COPY_TEST')] +
    ['pcie_ep_doorbell.DOORBELL_TEST'])

TRACES = ['--ep-arg', '-trace dw_pcie_ep_app_write -trace dw_pcie_ep_link '
          '-trace dw_pcie_ep_inbound_reserved -trace dw_pcie_ep_dbi2_write']
# BAR4's mask in DBI2 (PCI_BASE_ADDRESS_4)
DBI2_BAR4 = 'dbi2[0x020]'
RESERVED_DOORBELL = (r'dw_pcie_ep_inbound_reserved BAR4 PCI 0x([0-9a-f]+) '
                     r'\(reserved: the eDMA\'s registers\) -> eDMA '
                     r'0x([0-9a-f]+) \(4 bytes\) write=1')


class Rk3588Face(soc_face.SocFace):
    """What every test of the face checks first (a mixin of PairTest)."""

    # pcie-dw-rockchip.c's platform driver
    face_driver = 'rockchip-dw-pcie'
    face_probe = (r'rockchip-dw-pcie c000000\.pcie-ep: eDMA: '
                  r'unroll T, 2 wr, 2 rd',
                  'no DWC core probe with the eDMA at atu + 0x80000 under '
                  'rockchip-dw-pcie')
    # GENERAL_CON: ENABLE_LTSSM, with its write-enable bit
    face_ltssm = (re.escape('dw_pcie_ep_app_write app[0x00] <- 0x00040004'),
                  'the driver never enabled the LTSSM through GENERAL_CON')

    def check_reserved_doorbell(self, bar4):
        """The host's doorbell writes went to BAR4 + 0xa0 (rd_int_status)
        and the model took them to the eDMA's registers; the function never
        wrote BAR4's DBI2 mask (no BAR of its own for the doorbell)."""
        log = self.ep_qemu_log()
        writes = re.findall(RESERVED_DOORBELL, log)
        self.assertTrue(writes, 'no doorbell write through the reserved BAR4; %s'
                        % self.logs_hint())
        for pci, ep in writes:
            self.assertEqual(int(pci, 16), bar4 + test_link.EDMA_RD_INT_STATUS,
                             'a write in BAR4 at another offset than '
                             'rd_int_status')
            self.assertEqual(int(ep, 16), test_link.EDMA_RD_INT_STATUS)
        self.assertNotIn(DBI2_BAR4, log, 'the function programmed BAR4 itself')


class Rk3588Selftest(Rk3588Face, test_link.SelftestBase):
    """
    :avocado: enable
    :avocado: tags=soc,rk3588,selftest

    The whole selftest on RK3588 but INTx; the doorbell through BAR4.
    """

    run_pair_args = ['--soc', 'rk3588', '--function', 'test',
                     '--doorbell', 'embedded'] + TRACES
    expected_skip = RK3588_SKIP

    def test_whole(self):
        self.check_upstream_driver()
        res = self.run_selftest('pci_endpoint_test -T LEGACY_IRQ_TEST 2>&1',
                                RK3588_PASS)
        self.assertEqual(sorted(res), sorted(RK3588_PASS + list(RK3588_SKIP)),
                         'the tests that ran')
        self.assertIn('Using embedded (DMA) doorbell fallback',
                      self.check_in('ep', 'dmesg'))
        start, size = self.rc_bar(4)
        self.assertEqual(size, 0x2000, 'BAR4 is not the 8 KiB eDMA block')
        self.check_reserved_doorbell(start)

    def test_impossible_cases_fail(self):
        """INTx does fail here, for its rule."""
        self.check_impossible_cases_fail(RK3588_IMPOSSIBLE)


class Rk3588Vntb(Rk3588Face, test_vntb.VntbNet):
    """
    :avocado: enable
    :avocado: tags=soc,rk3588,vntb

    vNTB with its doorbell in BAR4, reusing the pre-exposed eDMA doorbell.
    """

    run_pair_args = ['--soc', 'rk3588', '--function', 'vntb',
                     '--doorbell', 'embedded'] + TRACES
    doorbell_never = test_vntb.VntbNet.doorbell_never + ['Doorbell BAR set failed',
                                                         'Invalid BAR type']

    def test_ping(self):
        self.check_upstream_driver()
        super().test_ping()
        start, size = self.rc_bar(4)
        self.assertEqual(size, 0x2000, 'BAR4 is not the 8 KiB eDMA block')
        self.check_reserved_doorbell(start)


class Rk3588Bar4Refused(Rk3588Face, PairTest):
    """
    :avocado: enable
    :avocado: tags=soc,rk3588

    A memory window in BAR4 (the i.MX8 layout) is refused by the kernel.
    """

    run_pair_args = ['--soc', 'rk3588', '--function', 'none'] + TRACES

    def test_window_in_bar4_refused(self):
        status, out = self.run_in('ep', 'DB_BAR=2 MW_BARS=4 ep-function vntb')
        self.assertNotEqual(status, 0, 'a memory window in the reserved BAR4 '
                            'was accepted:\n%s' % out)
        dmesg = self.check_in('ep', 'dmesg')
        self.assertIn('rockchip-dw-pcie c000000.pcie-ep: Invalid BAR type', dmesg)
        self.assertIn('MW set failed', dmesg)
        self.assertNotIn(DBI2_BAR4, self.ep_qemu_log())
