"""The rcar-s4 face on stock Linux 7.2: the EP guest needs none of our patches.

run-pair.sh --ep-kernel stock boots the EP guest from Linux 7.2 built
without kernel-patches/ (scripts/build-kernel.sh --stock, with its own
initramfs) while the RC guest keeps the patched kernel.  On the rcar-s4
face the controller is bound by Linux's own pcie-rcar-gen4, so the stock
kernel must do on the EP side what the patched one does:

  - StockEpKernel: the EP guest runs the stock build and the RC the
    patched one, told apart by what neither can fake: the release and
    build stamp in /proc/version against those of each build directory,
    and the series' own driver, /sys/bus/platform/drivers/qemu-dw-pcie-ep,
    which only the patched kernel registers; and pcie-rcar-gen4 bound
    the controller (test_soc_rcar's check_upstream_driver);
  - StockRcarSelftest: the pci_endpoint_test selftest as
    test_soc_rcar.RcarSelftest.test_whole runs it, where every test but
    STOCK_NEEDS_SERIES passes or skips as it does there; each of those is
    run on its own and must fail, for the reason its patch of our series
    gives;
  - StockRcarVntb: vNTB with ntb_netdev pings both ways, with
    test_soc_rcar.RcarVntb's checks (BAR4 the 256-byte doorbell BAR, the
    RC's doorbell writes reaching the eDMA's rd_int_status);
  - StockRk3588Selftest, StockRk3588Vntb: the same for the rk3588 face
    (test_soc_rk3588's checks: DOORBELL_TEST and vNTB's doorbell through
    the reserved BAR4);
  - StockOptions: run-pair.sh refuses a bad --ep-kernel and, with
    --dry-run, names the stock Image and initramfs for the EP guest only,
    while --kernel and --initrd, given, win for both guests (no boot).
"""

import os
import shlex
import subprocess

from avocado import Test

import test_link
import test_soc_rcar
import test_soc_rk3588
from pair import TOP, run_pair_env_args

# The platform driver of our series' glue (0002, pcie-qemu-ep.c, named
# "qemu-dw-pcie-ep"): registered by the patched kernel, whatever the face,
# absent from the stock one.
SERIES_DRIVER = '/sys/bus/platform/drivers/qemu-dw-pcie-ep'
STOCK = ['--ep-kernel', 'stock']

# The selftest cases that the stock EP kernel fails where the patched one
# passes or skips, each with the patch of kernel-patches/ that the EP
# lacks and the line of the EP's dmesg that says why it fails without it.
# The RC, patched, runs them all the same: it skips only what the EP
# says it cannot do.
STOCK_NEEDS_SERIES = {
    'pci_ep_data_transfer.dma.COPY_TEST': (
        'pci/0001 (pci-epf-test: report a DMA channel without MEMCPY): '
        'the DesignWare eDMA offers no DMA_MEMCPY channel, the stock '
        'function does not set CAP_NO_DMA_MEMCPY, so the RC sends the DMA '
        'copy and the EP refuses it instead of the RC skipping it',
        "DMA controller doesn't support MEMCPY"),
}
STOCK_PASS = [t for t in test_soc_rcar.RCAR_PASS if t not in STOCK_NEEDS_SERIES]
# The faces' own skips but those of STOCK_NEEDS_SERIES, which run alone.
STOCK_RCAR_SKIP = {t: r for t, r in test_soc_rcar.RCAR_SKIP.items()
                   if t not in STOCK_NEEDS_SERIES}
STOCK_RK3588_SKIP = {t: r for t, r in test_soc_rk3588.RK3588_SKIP.items()
                     if t not in STOCK_NEEDS_SERIES}


def script(*args):
    """Output of one of the checkout's scripts (stripped); raises on
    failure."""
    return subprocess.run([os.path.join(TOP, 'scripts', args[0])] + list(args[1:]),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=True, timeout=60).stdout.strip()


def build_dir(stock):
    return script('build-kernel.sh', *(['--stock'] if stock else []), '--print-dir')


def build_stamp(kbuild):
    """(release, UTS_VERSION) of the kernel built in @kbuild: what its
    /proc/version holds ("#N SMP ... <date of the build>")."""
    with open(os.path.join(kbuild, 'include', 'config', 'kernel.release')) as f:
        release = f.read().strip()
    with open(os.path.join(kbuild, 'include', 'generated', 'utsversion.h')) as f:
        text = f.read()
    version = text.split('UTS_VERSION', 1)[1].split('"')[1]
    return release, version


class StockEp:
    """What every booting test here checks first (a mixin of PairTest):
    the EP guest runs the stock build, the RC guest the patched one; and
    the selftest run around what the stock kernel cannot pass."""

    def selftest_but_series(self, want, exclude, variant_alone=()):
        """The selftest where every test of @want passes: the harness
        filters by test name (-T), not by full name, so the tests of
        STOCK_NEEDS_SERIES and @exclude (names) are left out of a first
        run by name, along with the variants of @variant_alone (-V), then
        the other variants of the left-out names and @variant_alone's
        tests of @want run alone (-r).  Returns the results of both."""
        cut = sorted({t.rsplit('.', 1)[1] for t in STOCK_NEEDS_SERIES})
        alone = [t for t in want if t.rsplit('.', 1)[1] in cut or
                 t.split('.')[1] in variant_alone]
        res = self.run_selftest(
            'pci_endpoint_test %s 2>&1' % ' '.join(
                ['-T %s' % t for t in list(exclude) + cut] +
                ['-V %s' % v for v in variant_alone]),
            [t for t in want if t not in alone])
        res.update(self.run_selftest('pci_endpoint_test %s 2>&1' % ' '.join(
            '-r %s' % t for t in alone), alone))
        return res

    def check_kernels(self):
        for guest, stock in (('ep', True), ('rc', False)):
            kbuild = build_dir(stock)
            release, version = build_stamp(kbuild)
            what = 'stock' if stock else 'patched'
            uname = self.check_in(guest, 'uname -r').strip().splitlines()[-1]
            self.assertEqual(uname, release,
                             '[%s] runs release %r, not the %s build\'s %r (%s); %s'
                             % (guest, uname, what, release, kbuild, self.logs_hint()))
            proc = self.check_in(guest, 'cat /proc/version')
            self.assertIn(version, proc,
                          '[%s] /proc/version is not that of the %s build in %s '
                          '(UTS_VERSION %r):\n%s\n%s'
                          % (guest, what, kbuild, version, proc, self.logs_hint()))
            status, out = self.run_in(guest, 'test -e %s' % SERIES_DRIVER)
            if stock:
                self.assertNotEqual(status, 0,
                                    '[ep] has %s: it runs a kernel with our series, '
                                    'not the stock one; %s'
                                    % (SERIES_DRIVER, self.logs_hint()))
            else:
                self.assertEqual(status, 0,
                                 '[rc] has no %s: it does not run the patched kernel; %s'
                                 % (SERIES_DRIVER, self.logs_hint()))
        # ... and run-pair.sh gave QEMU the stock Image for the EP only.
        for guest, stock in (('ep', True), ('rc', False)):
            with open(os.path.join(self.run_dir, '%s.cmdline' % guest)) as f:
                argv = f.read().splitlines()
            image = os.path.join(build_dir(stock), 'arch', 'arm64', 'boot', 'Image')
            self.assertEqual(argv[argv.index('-kernel') + 1], image,
                             '%s QEMU booted another Image' % guest)


class StockEpKernel(StockEp, test_soc_rcar.RcarFace, test_link.SelftestBase):
    """
    :avocado: enable
    :avocado: tags=soc,rcar,stock

    The EP guest runs stock Linux 7.2, the RC the patched kernel, and the
    stock pcie-rcar-gen4 bound the controller.
    """

    run_pair_args = (['--soc', 'rcar-s4', '--function', 'test'] + STOCK +
                     test_soc_rcar.TRACES)

    def test_kernels(self):
        self.check_kernels()
        self.check_upstream_driver()
        # The function came up on the stock kernel: the RC sees it.
        self.check_in('rc', 'rc-wait-device /dev/pci-endpoint-test.0 30')


class StockRcarSelftest(StockEp, test_soc_rcar.RcarFace, test_link.SelftestBase):
    """
    :avocado: enable
    :avocado: tags=soc,rcar,stock,selftest

    test_soc_rcar.RcarSelftest.test_whole's selftest with the EP on stock
    Linux 7.2: all passes but STOCK_NEEDS_SERIES, which fail for want of
    their patch.
    """

    run_pair_args = (test_soc_rcar.RcarSelftest.run_pair_args + STOCK)
    expected_skip = STOCK_RCAR_SKIP

    def test_whole(self):
        self.check_kernels()
        self.check_upstream_driver()
        # As RcarSelftest.test_whole: all but BAR4's variant and what R-Car
        # cannot do, then BAR4's BAR_TEST alone
        res = self.selftest_but_series(STOCK_PASS,
                                       ('LEGACY_IRQ_TEST', 'MSIX_TEST'),
                                       variant_alone=('BAR4',))
        self.assertEqual(sorted(res), sorted(STOCK_PASS + list(STOCK_RCAR_SKIP)),
                         'the tests that ran')
        self.assertIn('Using embedded (DMA) doorbell fallback',
                      self.check_in('ep', 'dmesg'),
                      'the EP did not choose the embedded doorbell; %s'
                      % self.logs_hint())

    def test_cases_needing_the_series_fail(self):
        """Each case of STOCK_NEEDS_SERIES fails on the stock EP kernel,
        for the reason its patch fixes: were it to pass, the patch would
        not be what the EP side needs for it."""
        self.check_kernels()
        self.check_upstream_driver()
        self.check_cases_fail({t: 'the stock EP kernel lacks %s' % patch
                               for t, (patch, _) in STOCK_NEEDS_SERIES.items()})
        dmesg = self.check_in('ep', 'dmesg')
        for t, (patch, says) in STOCK_NEEDS_SERIES.items():
            self.assertIn(says, dmesg, '%s failed, but the EP dmesg does not say '
                          'what %s fixes; %s' % (t, patch, self.logs_hint()))


class StockRcarVntb(StockEp, test_soc_rcar.RcarVntb):
    """
    :avocado: enable
    :avocado: tags=soc,rcar,stock,vntb

    test_soc_rcar.RcarVntb (vNTB ping both ways, the eDMA's embedded
    doorbell in the 256-byte BAR4) with the EP on stock Linux 7.2.
    """

    # RcarVntb's: --function vntb (PairTest's own default is 'none') with
    # the embedded doorbell, run-pair.sh's default.
    run_pair_args = test_soc_rcar.RcarVntb.run_pair_args + STOCK

    def test_ping(self):
        self.check_kernels()
        super().test_ping()


class StockRk3588Selftest(StockEp, test_soc_rk3588.Rk3588Face,
                          test_link.SelftestBase):
    """
    :avocado: enable
    :avocado: tags=soc,rk3588,stock,selftest

    test_soc_rk3588.Rk3588Selftest.test_whole's selftest with the EP on
    stock Linux 7.2: all passes but INTx (what RK3588 cannot do) and
    STOCK_NEEDS_SERIES; DOORBELL_TEST rings the reserved BAR4.
    """

    run_pair_args = test_soc_rk3588.Rk3588Selftest.run_pair_args + STOCK
    expected_skip = STOCK_RK3588_SKIP

    def test_whole(self):
        self.check_kernels()
        self.check_upstream_driver()
        want = [t for t in test_soc_rk3588.RK3588_PASS
                if t not in STOCK_NEEDS_SERIES]
        res = self.selftest_but_series(want, ('LEGACY_IRQ_TEST',))
        self.assertEqual(sorted(res),
                         sorted(want + list(STOCK_RK3588_SKIP)),
                         'the tests that ran')
        start, size = self.rc_bar(4)
        self.assertEqual(size, 0x2000, 'BAR4 is not the 8 KiB eDMA block')
        self.check_reserved_doorbell(start)


class StockRk3588Vntb(StockEp, test_soc_rk3588.Rk3588Vntb):
    """
    :avocado: enable
    :avocado: tags=soc,rk3588,stock,vntb

    test_soc_rk3588.Rk3588Vntb (vNTB ping both ways, the doorbell reused
    from the reserved BAR4) with the EP on stock Linux 7.2.
    """

    run_pair_args = test_soc_rk3588.Rk3588Vntb.run_pair_args + STOCK

    def test_ping(self):
        self.check_kernels()
        super().test_ping()


class StockOptions(Test):
    """
    :avocado: enable
    :avocado: tags=soc,rcar,stock,options

    run-pair.sh's --ep-kernel, without booting anything.
    """

    timeout = 120

    def run_pair(self, *args):
        res = subprocess.run([os.path.join(TOP, 'run-pair.sh')] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=60)
        self.log.info('run-pair.sh %s -> %d\n%s', ' '.join(args), res.returncode,
                      res.stdout)
        return res.returncode, res.stdout

    def test_bad_value_refused(self):
        for args, says in (
                (['--ep-kernel', 'bogus'],
                 "--ep-kernel takes 'series' (our patched kernel) or 'stock' "
                 "(Linux 7.2 without our patches), not 'bogus'"),
                (['--ep-kernel'], 'option --ep-kernel needs a value'),
                # stock Linux has no driver for our own face
                (['--soc', 'qemu', '--ep-kernel', 'stock'],
                 '--ep-kernel stock is for the SoC faces')):
            status, out = self.run_pair('--dry-run', *args)
            self.assertEqual(status, 2, 'run-pair.sh %s exited %d, not 2:\n%s'
                             % (' '.join(args), status, out))
            self.assertIn(says, out, 'run-pair.sh %s' % ' '.join(args))
            self.assertNotIn('QEMU:', out, 'it went on to the command lines')

    def qemu_lines(self, *args):
        """{guest: (-kernel, -initrd)} of run-pair.sh --dry-run's command
        lines."""
        status, out = self.run_pair('--dry-run', *(run_pair_env_args() + list(args)))
        self.assertEqual(status, 0, out)
        found = {}
        for line in out.splitlines():
            for guest in ('ep', 'rc'):
                head = '==> [dry-run] %s QEMU: ' % guest
                if line.startswith(head):
                    argv = shlex.split(line[len(head):])
                    found[guest] = (argv[argv.index('-kernel') + 1],
                                    argv[argv.index('-initrd') + 1])
        self.assertEqual(sorted(found), ['ep', 'rc'], out)
        return found, out

    def test_dry_run_names_stock_image(self):
        image = {s: os.path.join(build_dir(s), 'arch', 'arm64', 'boot', 'Image')
                 for s in (True, False)}
        cpio = {s: script('build-initramfs.sh', *(['--stock'] if s else []),
                          '--print-path') for s in (True, False)}
        self.assertNotEqual(image[True], image[False])
        self.assertNotEqual(cpio[True], cpio[False],
                            'the stock and patched initramfs have one name')
        found, out = self.qemu_lines('--soc', 'rcar-s4', *STOCK)
        self.assertEqual(found['ep'], (image[True], cpio[True]),
                         'EP with --ep-kernel stock:\n%s' % out)
        self.assertEqual(found['rc'], (image[False], cpio[False]),
                         'RC with --ep-kernel stock:\n%s' % out)
        # The default: both guests on the patched kernel.
        found, out = self.qemu_lines('--soc', 'rcar-s4')
        self.assertEqual(found['ep'], (image[False], cpio[False]), out)
        # --kernel and --initrd win for both guests.
        found, out = self.qemu_lines('--soc', 'rcar-s4', '--kernel', image[False], *STOCK)
        self.assertEqual(found['ep'], (image[False], cpio[True]), out)
        self.assertEqual(found['rc'], (image[False], cpio[False]), out)
        found, out = self.qemu_lines('--soc', 'rcar-s4', '--initrd', cpio[False], *STOCK)
        self.assertEqual(found['ep'], (image[True], cpio[False]), out)
