"""The rcar-s4 face: Linux 7.2's own pcie-rcar-gen4 drives the controller.

run-pair.sh --soc rcar-s4 gives the EP guest the dw-pcie-ep-rcar-s4 device,
whose device tree node ("renesas,r8a779f0-pcie-ep") the stock R-Car Gen4
driver binds; nothing of kernel-patches/' own glue (0001-0002) is used.
Each test checks that the upstream driver probed the controller and
started the link through the face's app block (PCIERSTCTRL1's
APP_LTSSM_ENABLE, traced by the model), then:

  - the whole pci_endpoint_test selftest, where every test passes but
    those that R-Car S4's rules make impossible (RCAR_IMPOSSIBLE, each
    left out with its rule) and the skips the selftest makes itself for
    the absent BARs and for the DMA copy the eDMA cannot do;
  - vNTB with ntb_netdev pings both ways on each doorbell backend the face
    has (the eDMA's embedded doorbell, and none: polling), with the R-Car
    layout of the upstream work (control BAR0, doorbell BAR4, a 1 MiB
    window in BAR2, IDs 1912:0030), and the function's BAR4, as the RC
    sees it, is the 256-byte fixed BAR through which the RC's doorbell
    writes reach the eDMA's rd_int_status.
"""

import soc_face
import test_link
import test_vntb

# What R-Car S4 cannot do, so the selftest's test of it cannot pass on
# the board either (the 7.2 selftest fails rather than skips them): left
# out with -T, each for its rule.
RCAR_IMPOSSIBLE = {
    'pci_ep_basic.LEGACY_IRQ_TEST':
        'the R-Car glue raises no INTx (pcie-rcar-gen4 hands INTx to '
        'dw_pcie_ep_raise_intx_irq, which refuses it)',
    'pci_ep_basic.MSIX_TEST':
        'R-Car S4 has no MSI-X (rcar_gen4_pcie_epc_features)',
    'pci_ep_bar.BAR4.BAR_SUBRANGE_TEST':
        'BAR4 is fixed at 256 bytes, and each subrange needs an inbound '
        'window of the iATU\'s 4 KiB alignment',
}
# The selftest's own skips on this face: BAR1, BAR3 and BAR5 are not
# implemented (BAR_DISABLED), BAR0 holds the test registers, the eDMA has
# no MEMCPY channel (the DMA COPY_TEST, from test_link.EXPECTED_SKIP).
RCAR_SKIP = dict(test_link.EXPECTED_SKIP)
RCAR_SKIP.update({
    'pci_ep_bar.BAR5.BAR_TEST': 'BAR is disabled',
    'pci_ep_bar.BAR5.BAR_SUBRANGE_TEST': 'BAR is disabled',
})
RCAR_PASS = [t for t in test_link.EXPECTED_PASS
             if t not in RCAR_IMPOSSIBLE and t not in RCAR_SKIP]

EDMA_DOORBELL = test_link.EDMA_BASE + test_link.EDMA_RD_INT_STATUS
TRACES = ['--ep-arg', '-trace dw_pcie_ep_app_write -trace dw_pcie_ep_link '
          '-trace dw_pcie_ep_inbound']


class RcarFace(soc_face.SocFace):
    """What every test of the face checks first (a mixin of PairTest)."""

    face_driver = 'pcie-rcar-gen4'
    face_probe = (r'pcie-rcar-gen4 c000000\.pcie-ep: iATU: unroll T',
                  'no DWC core probe under pcie-rcar-gen4 in the EP dmesg')
    # PCIERSTCTRL1 (app 0x14) with APP_LTSSM_ENABLE and HOLD_PHY_RST clear
    face_ltssm = (r'dw_pcie_ep_app_write app\[0x14\] <- 0x00000001',
                  'the driver never enabled the LTSSM through PCIERSTCTRL1')

    def check_upstream_driver(self):
        """pcie-rcar-gen4, not our own glue driver, bound the controller,
        and started the link."""
        super().check_upstream_driver()
        self.assertNotEqual(self.run_in(
            'ep', 'test -e /sys/bus/platform/drivers/qemu-dw-pcie-ep/'
            'c000000.pcie-ep')[0], 0, 'our own glue driver bound it')


class RcarSelftest(RcarFace, test_link.SelftestBase):
    """
    :avocado: enable
    :avocado: tags=soc,rcar,selftest

    The whole selftest on R-Car S4, but what its rules make impossible.
    """

    run_pair_args = ['--soc', 'rcar-s4', '--function', 'test',
                     '--doorbell', 'embedded'] + TRACES
    expected_skip = RCAR_SKIP

    def test_whole(self):
        self.check_upstream_driver()
        # The harness filters by test name (-T) and by variant (-V), not
        # by the two: all but BAR4's variant and the two basic tests,
        # then BAR4's BAR_TEST alone (-r).
        bar4 = 'pci_ep_bar.BAR4.BAR_TEST'
        res = self.run_selftest(
            'pci_endpoint_test -T LEGACY_IRQ_TEST -T MSIX_TEST -V BAR4 2>&1',
            [t for t in RCAR_PASS if t != bar4])
        res.update(self.run_selftest('pci_endpoint_test -r %s 2>&1' % bar4,
                                     [bar4]))
        self.assertEqual(sorted(res), sorted(RCAR_PASS + list(RCAR_SKIP)),
                         'the tests that ran')
        self.assertIn('Using embedded (DMA) doorbell fallback',
                      self.check_in('ep', 'dmesg'),
                      'the EP did not choose the embedded doorbell; %s'
                      % self.logs_hint())

    def test_impossible_cases_fail(self):
        """What RCAR_IMPOSSIBLE leaves out does fail here, for its rule:
        were it to pass, the face would not be R-Car's."""
        self.check_impossible_cases_fail(RCAR_IMPOSSIBLE)


class RcarVntb(RcarFace, test_vntb.VntbNet):
    """
    :avocado: enable
    :avocado: tags=soc,rcar,vntb

    vNTB with the eDMA's embedded doorbell, the upstream work's R-Car
    recipe: doorbell in the 256-byte fixed BAR4.
    """

    run_pair_args = ['--soc', 'rcar-s4', '--function', 'vntb',
                     '--doorbell', 'embedded'] + TRACES

    def test_ping(self):
        self.check_upstream_driver()
        super().test_ping()
        # BAR4 of the function, as the RC enumerated it: 256 bytes
        start, size = self.rc_bar(4)
        self.assertEqual(size, 256, 'BAR4 at 0x%x is not 256 bytes' % start)
        # ... and the RC's doorbell writes in it reached rd_int_status
        self.assertRegex(self.ep_qemu_log(),
                         r'BAR4 PCI 0x%x via inbound region \d+ -> 0x%x '
                         r'\(4 bytes\) write=1' % (start + test_link.EDMA_RD_INT_STATUS,
                                                   EDMA_DOORBELL),
                         'no doorbell write through BAR4 to rd_int_status; %s'
                         % self.logs_hint())


class RcarVntbPolling(RcarVntb):
    """
    :avocado: enable
    :avocado: tags=soc,rcar,vntb

    vNTB with no doorbell (no eDMA in the device tree): pci_epf_vntb polls.
    """

    run_pair_args = ['--soc', 'rcar-s4', '--function', 'vntb',
                     '--doorbell', 'none'] + TRACES
    doorbell = 'none'
    doorbell_says = test_vntb.VntbNetPolling.doorbell_says
    doorbell_never = test_vntb.VntbNetPolling.doorbell_never
    doorbell_chip = None

    def test_ping(self):
        self.check_upstream_driver()
        test_vntb.VntbNet.test_ping(self)
