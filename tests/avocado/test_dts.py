"""The device tree node QEMU generates for dw-pcie-ep matches dts/.

dts/qemu,dw-pcie-ep.yaml is the binding (the same file the kernel series
adds under Documentation/devicetree/bindings/pci/); dts/dw-pcie-ep-virt.dts
is the reference node for '-machine virt,gic-version=3 -device dw-pcie-ep'
and dts/dw-pcie-ep-virt-its.dts the one with msi-doorbell=on.  No guest is
booted: QEMU dumps its DTB.
"""

import os
import re
import subprocess
import tempfile

from avocado import Test

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def qemu_binary():
    out = subprocess.run([os.path.join(TOP, 'scripts', 'build-qemu.sh'), '--print-dir'],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return os.path.join(out.strip(), 'qemu-system-aarch64')


def generated_node(device_opts):
    """The pcie-ep node of the DTB QEMU generates, as dtc prints it."""
    with tempfile.TemporaryDirectory() as d:
        dtb = os.path.join(d, 'virt.dtb')
        subprocess.run([qemu_binary(), '-machine',
                        'virt,gic-version=3,dumpdtb=%s' % dtb,
                        '-nodefaults', '-display', 'none',
                        '-device', 'dw-pcie-ep' + device_opts],
                       check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        dts = subprocess.run(['dtc', '-q', '-I', 'dtb', '-O', 'dts', dtb], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
    m = re.search(r'^\t(pcie-ep@[0-9a-f]+ \{\n.*?^\t\};)$', dts, re.M | re.S)
    return m.group(1) if m else None, dts


def reference_node(filename):
    """The pcie-ep node of a reference file in dts/."""
    with open(os.path.join(TOP, 'dts', filename)) as f:
        text = f.read()
    m = re.search(r'^\t(pcie-ep@[0-9a-f]+ \{\n.*?^\t\};)$', text, re.M | re.S)
    return m.group(1) if m else None


def its_phandle(dts):
    m = re.search(r'its@[0-9a-f]+ \{[^}]*?phandle = <(0x[0-9a-f]+)>', dts, re.S)
    return m.group(1) if m else None


class GeneratedNode(Test):
    """
    :avocado: tags=controller,dts
    """

    def test_default_node(self):
        node, _ = generated_node('')
        self.assertIsNotNone(node, 'no pcie-ep node in the generated DTB')
        self.assertEqual(node, reference_node('dw-pcie-ep-virt.dts'))

    def test_msi_doorbell_node(self):
        node, dts = generated_node(',msi-doorbell=on,its-device-id=0x42')
        self.assertIsNotNone(node, 'no pcie-ep node in the generated DTB')
        ref = reference_node('dw-pcie-ep-virt-its.dts')
        # the ITS phandle is QEMU's to choose: take it from the same DTB
        self.assertEqual(node, ref.replace('&its ', '%s ' % its_phandle(dts)))

    def test_without_edma_node(self):
        # run-pair.sh --doorbell none: no eDMA described, so Linux finds
        # neither DMA channels nor the embedded doorbell
        node, _ = generated_node(',dt-edma=off')
        self.assertIsNotNone(node, 'no pcie-ep node in the generated DTB')
        # dtc prints a string list as "a", "b" or as "a\0b" by version
        flat = node.replace('", "', '\\0')
        self.assertIn('reg-names = "dbi\\0dbi2\\0atu\\0app\\0addr_space";',
                      flat)
        self.assertIn('interrupt-names = "app";', flat)
        self.assertEqual(len(re.search(r'\breg = <([^>]*)>', node).group(1).split()),
                         5 * 4, 'reg has not 5 entries of 4 cells')

    def test_binding_matches_kernel_series(self):
        with open(os.path.join(TOP, 'dts', 'qemu,dw-pcie-ep.yaml')) as f:
            ours = f.read()
        series = os.path.join(TOP, 'kernel-patches', 'dwc-qemu')
        patch = [p for p in os.listdir(series) if 'dt-bindings' in p]
        self.assertEqual(len(patch), 1)
        with open(os.path.join(series, patch[0])) as f:
            text = f.read()
        m = re.search(r'\+\+\+ b/Documentation/devicetree/bindings/pci/'
                      r'qemu,dw-pcie-ep.yaml\n@@[^\n]*\n((?:\+[^\n]*\n)+)', text)
        self.assertIsNotNone(m)
        added = ''.join(l[1:] + '\n' for l in m.group(1).splitlines())
        self.assertEqual(added, ours)
