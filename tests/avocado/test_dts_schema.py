"""Each face's device tree, as our QEMU writes it, against Linux 7.2's
binding schemas.

scripts/check-dts.sh dumps the DTB of '-machine virt,gic-version=3
-device <face's device>', runs dt-schema's dt-validate on it with the 7.2
bindings (plus dts/qemu,dw-pcie-ep.yaml, the qemu face's) and prints the
findings on our nodes, virt's own filtered out.  The per-face tests pass
only when the check passes and the findings it accepts are exactly the
ones named here: the SoC faces' missing 'power-domains' (no provider on
virt, docs/faces.md).  The other tests feed the check DTBs broken on
purpose and assert that it fails with the finding that names the break.
No guest is booted.
"""

import os
import subprocess
import tempfile

from avocado import Test

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CHECK = os.path.join(TOP, 'scripts', 'check-dts.sh')

DEVICE = {
    'qemu': 'dw-pcie-ep',
    'rcar-s4': 'dw-pcie-ep-rcar-s4',
    'rk3588': 'dw-pcie-ep-rk3588',
}
# The findings the check may accept, per face, as it prints them.
ALLOWED = {
    'qemu': [],
    'rcar-s4': [
        "pcie-ep@c000000 (renesas,r8a779f0-pcie-ep): 'power-domains' is a "
        "required property [pci/rcar-gen4-pci-ep.yaml]"],
    'rk3588': [
        "pcie-ep@c000000 (rockchip,rk3588-pcie-ep): 'power-domains' is a "
        "required property [pci/rockchip-dw-pcie-ep.yaml]"],
}
# Lines of the check's report that make it fail.
FAILURE_TAGS = ('UNEXPECTED: ', 'GONE: ', 'NO NODE: ')


def qemu_binary():
    if os.environ.get('DWC_EP_QEMU'):
        return os.environ['DWC_EP_QEMU']
    out = subprocess.run([os.path.join(TOP, 'scripts', 'build-qemu.sh'), '--print-dir'],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return os.path.join(out.strip(), 'qemu-system-aarch64')


def dump_dtb(face, path):
    subprocess.run([qemu_binary(), '-machine', 'virt,gic-version=3,dumpdtb=%s' % path,
                    '-nic', 'none', '-display', 'none', '-device', DEVICE[face]],
                   check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def run_check(*args):
    """check-dts.sh's exit status and report (stdout and stderr)."""
    p = subprocess.run([CHECK] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=600)
    return p.returncode, p.stdout


def tagged(report, tag):
    """The report's lines that start (after indentation) with tag, without it."""
    return [l.strip()[len(tag):] for l in report.splitlines()
            if l.strip().startswith(tag)]


class SchemaCheck(Test):
    """
    :avocado: tags=dts,schema
    """

    timeout = 600

    def check_face(self, face):
        rc, report = run_check(face)
        self.log.info('check-dts.sh %s (exit %d):\n%s', face, rc, report)
        self.assertNotEqual(rc, 3, 'check-dts.sh could not run:\n' + report)
        failures = [l.strip() for l in report.splitlines()
                    if l.strip().startswith(FAILURE_TAGS)]
        self.assertEqual(failures, [], 'findings on our nodes that are not '
                         'allowed (report above in the log):\n' + '\n'.join(failures))
        self.assertEqual(rc, 0, report)
        self.assertIn('   %s: ok (' % face, report)
        self.assertEqual(sorted(tagged(report, 'expected: ')), sorted(ALLOWED[face]),
                         'the check accepted other findings than the ones '
                         'this test allows')
        # virt's own findings were seen and filtered: the DTB was validated
        self.assertRegex(report, r'check-dts: virt\'s own findings \(filtered\): [1-9]')

    def test_qemu(self):
        self.check_face('qemu')

    def test_rcar_s4(self):
        self.check_face('rcar-s4')

    def test_rk3588(self):
        self.check_face('rk3588')


class SchemaCheckFails(Test):
    """
    The check on DTBs broken on purpose: each must fail (exit 1) with the
    finding that names the break.

    :avocado: tags=dts,schema
    """

    timeout = 600

    def broken_check(self, face, edits):
        """check-dts.sh --dtb on face's DTB after fdtput edits, each a
        pair (fdtput's options, its arguments after the DTB)."""
        with tempfile.TemporaryDirectory() as d:
            dtb = os.path.join(d, '%s.dtb' % face)
            dump_dtb(face, dtb)
            for opts, args in edits:
                subprocess.run(['fdtput'] + opts + [dtb] + args, check=True)
            rc, report = run_check('--dtb', dtb, face)
        self.log.info('check-dts.sh --dtb (%s, %s) exit %d:\n%s', face, edits, rc, report)
        self.assertNotEqual(rc, 3, 'check-dts.sh could not run:\n' + report)
        return rc, report

    def test_removed_required_property(self):
        # one required property of a node of ours taken away per face: the
        # controller's of our binding and of 7.2's, a stand-in's of 7.2's
        cases = [
            ('qemu', (['-d'], ['/pcie-ep@c000000', 'reg-names']),
             "pcie-ep@c000000 (qemu,dw-pcie-ep): 'reg-names' is a required "
             "property [pci/qemu,dw-pcie-ep.yaml]"),
            ('rcar-s4', (['-d'], ['/pcie-ep@c000000', 'resets']),
             "pcie-ep@c000000 (renesas,r8a779f0-pcie-ep): 'resets' is a "
             "required property [pci/rcar-gen4-pci-ep.yaml]"),
            ('rk3588', (['-d'], ['/phy@c002000', 'rockchip,phy-grf']),
             "phy@c002000 (rockchip,rk3588-pcie3-phy): 'rockchip,phy-grf' is a "
             "required property [phy/rockchip,pcie3-phy.yaml]"),
        ]
        for face, edit, finding in cases:
            rc, report = self.broken_check(face, [edit])
            self.assertEqual(rc, 1, '%s without %s: the check did not fail:\n%s'
                             % (face, edit[1][-1], report))
            self.assertIn(finding, tagged(report, 'UNEXPECTED: '), report)
            self.assertIn('   %s: FAILED' % face, report)

    def test_expected_finding_gone(self):
        # an accepted finding that is no longer reported fails the check
        # too: give rk3588's controller a power domain (one cell, as the
        # binding's 'maxItems: 1' wants)
        rc, report = self.broken_check(
            'rk3588', [(['-t', 'x'], ['/pcie-ep@c000000', 'power-domains', '1'])])
        self.assertEqual(rc, 1, report)
        self.assertEqual(tagged(report, 'GONE: expected, but no longer reported '
                                '(update the list in scripts/check-dts.sh): '),
                         ALLOWED['rk3588'], report)

    def test_virt_node_changed(self):
        # the filter drops only what the bare virt DTB reports word for
        # word: a virt node the face's DTB changes is reported
        rc, report = self.broken_check(
            'qemu', [(['-d'], ['/pl011@9000000', 'reg'])])
        self.assertEqual(rc, 1, report)
        self.assertTrue(any(f.startswith('pl011@9000000 (arm,pl011): ')
                            for f in tagged(report, 'UNEXPECTED: ')), report)

    def test_missing_controller_node(self):
        # a DTB without the face's controller node cannot pass although
        # nothing is reported: the qemu face's node without its compatible
        # matches no schema
        rc, report = self.broken_check(
            'qemu', [(['-d'], ['/pcie-ep@c000000', 'compatible'])])
        self.assertEqual(rc, 1, report)
        self.assertIn('NO NODE: the DTB has no node with compatible "qemu,dw-pcie-ep"',
                      report)
