"""What the tests of the SoC faces share (test_soc_rcar, test_soc_rk3588,
test_stock_kernel): SocFace, a mixin of PairTest with the checks every test
of a face makes first (the SoC's own upstream driver bound the controller
and started the link), the RC's view of a BAR, and the selftest cases a
face must fail.
"""

import os

import test_link

# The EP's controller node in the SoC faces' device tree, and its driver
DRIVER_LINK = '/sys/bus/platform/devices/c000000.pcie-ep/driver'


class SocFace:
    """What every test of a SoC face checks first (a mixin of PairTest).

    A face's class names:
      face_driver   the platform driver that must bind the controller (the
                    last component of DRIVER_LINK's target);
      face_probe    (regex, what its absence means): the DWC core's probe
                    under that driver, in the EP guest's dmesg;
      face_ltssm    (regex, what its absence means): the driver's write
                    that enables the LTSSM, as the model traces it in the
                    EP QEMU's log.
    """

    face_driver = None
    face_probe = None
    face_ltssm = None

    def ep_qemu_log(self):
        with open(os.path.join(self.run_dir, 'ep-qemu.log'),
                  errors='replace') as f:
            return f.read()

    def check_upstream_driver(self):
        """face_driver bound the controller, and started the link."""
        driver = self.check_in('ep', 'readlink %s' % DRIVER_LINK).strip()
        self.assertTrue(driver.endswith('/' + self.face_driver),
                        'the controller is bound by %r, not %s; %s'
                        % (driver, self.face_driver, self.logs_hint()))
        probe, missing = self.face_probe
        self.assertRegex(self.check_in('ep', 'dmesg'), probe,
                         '%s; %s' % (missing, self.logs_hint()))
        log = self.ep_qemu_log()
        ltssm, missing = self.face_ltssm
        self.assertRegex(log, ltssm, '%s; %s' % (missing, self.logs_hint()))
        self.assertIn('link up=1', log, 'the link never came up; %s'
                      % self.logs_hint())

    def rc_bar(self, n):
        """(start, size) of BAR @n of the function, as the RC enumerated it."""
        res = self.check_in('rc', 'cat /sys/bus/pci/devices/0000:01:00.0/resource')
        start, end, _ = (int(x, 16) for x in res.splitlines()[n].split())
        return start, end - start + 1

    def check_cases_fail(self, cases):
        """The selftest cases of @cases ({case: why it cannot pass here}),
        run on their own (-r) once the RC has the test device: each of them
        runs, and each fails.  Returns the selftest's output."""
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')
        out = self.check_in('rc', 'pci_endpoint_test %s 2>&1; true' % ' '.join(
            '-r %s' % t for t in sorted(cases)), timeout=300)
        res = test_link.tap_results(out)
        self.assertEqual(sorted(res), sorted(cases), out[-2000:])
        for t in sorted(cases):
            self.assertEqual(res[t][0], 'not ok', '%s passes, though %s\n%s'
                             % (t, cases[t], out[-2000:]))
        return out

    def check_impossible_cases_fail(self, impossible):
        """The selftest cases that the SoC's rules make impossible
        (@impossible, {case: rule}; INTx among them) fail here, after
        face_driver bound the controller; the EP said it cannot raise
        INTx."""
        self.check_upstream_driver()
        self.check_cases_fail(impossible)
        self.assertIn('EP cannot raise INTX IRQs', self.check_in('ep', 'dmesg'))
