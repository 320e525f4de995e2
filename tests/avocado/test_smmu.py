"""An IOMMU on the RC bounds what the EP can reach: the RC machine with
QEMU's SMMUv3 (virt,iommu=smmuv3; the SMMU driver is in the kernel
config) runs the selftest's BAR, basic (test_link.AGAIN) and DMA groups
through it, and an eDMA write of the EP to RC memory that the RC driver
never mapped for the function (epf-dma-stray, tests/guest/epf-dma-stray.c)
is refused and writes nothing.  The same write without the SMMU lands:
the test can fail.
"""

import re

from test_link import AGAIN, AGAIN_NAMES, DMA, EXPECTED_PASS, SelftestBase

RC_FN = '/sys/bus/pci/devices/0000:01:00.0'
DMA_NAMES = [t for t in EXPECTED_PASS if t.startswith('pci_ep_data_transfer.dma')]
STRAY = re.compile(r'epf-dma-stray: phys=0x([0-9a-f]+) status=0x([0-9a-f]+) changed=(\d+)')


class StrayBase(SelftestBase):

    def stray_write(self):
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        out = self.check_in('rc', 'epf-dma-stray %s/resource0' % RC_FN, timeout=60)
        m = STRAY.search(out)
        self.assertIsNotNone(m, out)
        self.log.info('stray eDMA write to RC 0x%s: status 0x%s, %s bytes changed',
                      m.group(1), m.group(2), m.group(3))
        return int(m.group(3))


class NoIommu(StrayBase):
    """
    :avocado: tags=security,iommu
    """

    def test_stray_write_lands_without_iommu(self):
        self.assertGreater(self.stray_write(), 0,
                           'without an IOMMU the EP write did not land: the '
                           'check below proves nothing; %s' % self.logs_hint())


class SmmuRc(StrayBase):
    """
    :avocado: tags=security,iommu
    """

    run_pair_args = ['--function', 'test', '--rc-arg', '-machine iommu=smmuv3']

    def test_selftest_and_stray_write(self):
        dmesg = self.check_in('rc', 'dmesg')
        self.assertRegex(dmesg, r'arm-smmu-v3 \S+: oas \d+-bit',
                         'the RC kernel did not probe the SMMU')
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        self.check_in('rc', 'test -e %s/iommu_group' % RC_FN)
        self.run_selftest(AGAIN, AGAIN_NAMES)
        self.run_selftest(DMA, DMA_NAMES)

        self.assertEqual(self.stray_write(), 0,
                         'an EP DMA write to RC memory the driver did not map '
                         'got through the SMMU; %s' % self.logs_hint())
        # the SMMU reported the refused write
        self.assertRegex(self.check_in('rc', 'dmesg'),
                         r'arm-smmu-v3 .*event 0x1[0-9a-f] received',
                         'the SMMU logged no event for the refused write')
