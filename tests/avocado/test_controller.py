"""dw-pcie-ep is bound by the Linux 7.2 DWC endpoint core in the EP guest.

The EP guest's dmesg must show the controller probed with the iATU and
eDMA it is configured with; the endpoint functions pci_epf_test and
pci_epf_vntb (each in its own pair) must start with no error (no message
at error level or worse in the EP guest's dmesg since the function was
started) and with no kernel splat (a WARN, which is logged at warning
level, a BUG, an oops: pair.KERNEL_SPLATS) in either guest's dmesg, and
the BARs they programmed must show in the model's trace with the sizes,
64-bit flags and Resizable BAR selected sizes they asked for.
"""

import os
import re

from pair import KERNEL_SPLATS, PairTest

IATU_RE = r'iATU: unroll T, (\d+) ob, (\d+) ib, align 4K, limit \d+G'
EDMA_RE = r'eDMA: unroll T, (\d+) wr, (\d+) rd'
TRACES = '-trace dw_pcie_ep_bar -trace dw_pcie_ep_rebar'


# a line of 'dmesg -r': <N>, N = facility * 8 + level, then the message
RAW_LINE = re.compile(r'^<(\d+)>(.*)$')


MARK = 'dwc-ep-test: starting the endpoint function'


def error_lines(raw):
    """The kernel's lines of 'dmesg -r' output @raw at error level or
    worse (0-3), after the last MARK line if there is one."""
    out = []
    for line in raw.splitlines():
        if MARK in line:
            out = []
            continue
        m = RAW_LINE.match(line.strip())
        if m and int(m.group(1)) <= 3:
            out.append(line.strip())
    return out


def splat_lines(raw):
    """The lines of dmesg output @raw that belong to a kernel splat, at
    any level (a WARN is logged at warning level, 4)."""
    return [l.strip() for l in raw.splitlines() if KERNEL_SPLATS.search(l)]


def bar_trace(log_path):
    """Last traced state of each BAR: {bar: (reg, size)}; rebar sizes."""
    bars, rebar = {}, {}
    with open(log_path, errors='replace') as f:
        for line in f:
            m = re.search(r'dw_pcie_ep_bar BAR(\d) reg 0x([0-9a-f]+) size 0x([0-9a-f]+)',
                          line)
            if m:
                bars[int(m.group(1))] = (int(m.group(2), 16), int(m.group(3), 16))
            m = re.search(r'dw_pcie_ep_rebar BAR(\d) resizable, selected size '
                          r'0x([0-9a-f]+)', line)
            if m:
                rebar[int(m.group(1))] = int(m.group(2), 16)
    return bars, rebar


class ControllerProbe(PairTest):
    """
    :avocado: tags=controller
    """

    run_pair_args = ['--ep-arg', '-global dw-pcie-ep.num-ob-windows=8',
                     '--ep-arg', '-global dw-pcie-ep.num-ib-windows=8',
                     '--ep-arg', '-global dw-pcie-ep.wr-channels=4',
                     '--ep-arg', '-global dw-pcie-ep.rd-channels=2']

    def test_probe(self):
        dmesg = self.check_in('ep', 'dmesg')
        splats = splat_lines(dmesg)
        self.assertEqual(splats, [], 'a kernel splat in the EP dmesg; %s'
                         % self.logs_hint())
        m = re.search(IATU_RE, dmesg)
        if not m:
            self.fail('no iATU line in the EP dmesg; %s' % self.logs_hint())
        self.assertEqual((int(m.group(1)), int(m.group(2))), (8, 8))
        m = re.search(EDMA_RE, dmesg)
        if not m:
            self.fail('no eDMA line in the EP dmesg; %s' % self.logs_hint())
        self.assertEqual((int(m.group(1)), int(m.group(2))), (4, 2))
        ctrl = self.check_in('ep', 'ls /sys/kernel/config/pci_ep/controllers')
        self.assertRegex(ctrl, r'pcie-ep')


class FunctionBase(PairTest):
    kind = None

    run_pair_args = ['--ep-arg', TRACES]

    def start_function(self):
        """Start the function; return the EP dmesg's new lines at error
        level or worse.  Fails on a kernel splat in either guest's
        dmesg."""
        self.check_in('ep', 'echo "%s" > /dev/kmsg' % MARK)
        out = self.check_in('ep', 'ep-function %s' % self.kind)
        self.assertIn('started on', out)
        # the model brings the link up; give the functions a moment to react
        self.check_in('ep', 'sleep 1')
        raw = self.check_in('ep', 'dmesg -r')
        self.assertIn(MARK, raw, 'the EP dmesg lost its start mark')
        errors = error_lines(raw)
        for g in ('ep', 'rc'):
            splats = splat_lines(self.check_in(g, 'dmesg -r'))
            self.assertEqual(splats, [], 'a kernel splat in the %s dmesg; %s'
                             % (g.upper(), self.logs_hint()))
        return '\n'.join(errors)

    def bars(self):
        return bar_trace(os.path.join(self.run_dir, 'ep-qemu.log'))


class FunctionTest(FunctionBase):
    """
    :avocado: tags=controller
    """

    kind = 'test'

    def test_epf_test_bars(self):
        errors = self.start_function()
        self.assertEqual(errors.strip(), '', 'errors in the EP dmesg')
        bars, rebar = self.bars()
        self.log.info('BARs: %s, rebar: %s', bars, rebar)
        # BAR0 and BAR2: resizable, 64-bit, 1 MiB selected (pci-epf-test's
        # sizes round up to the 1 MiB Resizable BAR minimum).
        for b in (0, 2):
            self.assertIn(b, bars, 'BAR%d not programmed; %s' % (b, self.logs_hint()))
            reg, size = bars[b]
            self.assertEqual(reg & 0x6, 0x4, 'BAR%d not 64-bit' % b)
            self.assertEqual(size, 1 << 20, 'BAR%d size' % b)
            self.assertEqual(rebar.get(b), 1 << 20, 'BAR%d REBAR selected size' % b)
        # BAR1 and BAR3 are the upper halves: not enabled on their own.
        for b in (1, 3):
            self.assertEqual(bars.get(b, (0, 0))[1], 0, 'BAR%d enabled' % b)
        # BAR4 and BAR5: programmable, 32-bit, pci-epf-test's default sizes.
        self.assertEqual(bars.get(4), (0x0, 128 << 10), 'BAR4')
        self.assertEqual(bars.get(5), (0x0, 1 << 20), 'BAR5')


class FunctionVntb(FunctionBase):
    """
    :avocado: tags=controller
    """

    kind = 'vntb'
    # With the embedded (eDMA) doorbell, Linux 7.2's pci-epf-vntb cannot
    # place its 128-byte doorbell BAR on a 4K iATU granule and says so at
    # error level before it falls back to polling; the ITS doorbell binds
    # cleanly, so this test uses it.
    run_pair_args = FunctionBase.run_pair_args + ['--doorbell', 'its']

    def test_epf_vntb_bars(self):
        errors = self.start_function()
        self.assertEqual(errors.strip(), '', 'errors in the EP dmesg')
        irqs = self.check_in('ep', 'grep -c pci_epf_vntb_db /proc/interrupts')
        self.assertEqual(irqs.strip(), '4', 'vNTB doorbells on the ITS')
        bars, rebar = self.bars()
        self.log.info('BARs: %s, rebar: %s', bars, rebar)
        for b in (0, 2, 4):
            self.assertIn(b, bars, 'BAR%d not programmed; %s' % (b, self.logs_hint()))
        # ctrl_bar 0: config + 128 scratchpads, resizable (1 MiB minimum),
        # 64-bit as pci_epf_alloc_space() makes it for only_64bit BARs
        self.assertEqual(bars[0], (0x4, 1 << 20), 'ctrl BAR0')
        self.assertEqual(rebar.get(0), 1 << 20, 'BAR0 REBAR selected size')
        # mw1_bar 2: mw1 = 1 MiB; 64-bit, as the controller can only make
        # BAR2, and so prefetchable (kernel-patches/0010)
        self.assertEqual(bars[2], (0xc, 1 << 20), 'mw1 BAR2')
        self.assertEqual(rebar.get(2), 1 << 20, 'BAR2 REBAR selected size')
        # db_bar 4: the 128-byte doorbell window onto the ITS frame
        self.assertEqual(bars[4], (0x0, 128), 'doorbell BAR4')
