"""run-pair.sh reads its options as documented and refuses bad ones with a
message that says what is wrong, before it builds or boots anything."""

import os
import subprocess

from avocado import Test

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def run_pair(*args):
    res = subprocess.run([os.path.join(TOP, 'run-pair.sh')] + list(args),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=60)
    return res.returncode, res.stdout


class Options(Test):
    """
    :avocado: tags=options
    """

    def test_every_value_option_takes_one_word(self):
        # Each option with a value, then an unknown option: the complaint
        # must name the unknown option, so no value option ate a word too
        # many (or too few).
        status, out = run_pair('--function', 'vntb', '--ntb-client', 'none',
                               '--db-bar', '4', '--mw-bars', '2', '--doorbell', 'its',
                               '--link', 'tcp', '--link-port', '4321', '--memory', '512',
                               '--timeout', '60', '--gdb', '1234', '--soc', 'qemu',
                               '--ep-kernel', 'series', '--kernel-flavour', 'normal',
                               '--smp', '1',
                               '--bogus')
        self.assertEqual(status, 2, out)
        self.assertIn("unknown option '--bogus'", out)

    def test_bad_values_are_named(self):
        for args, msg in ((['--doorbell', 'msi'], "not 'msi'"),
                          (['--db-bar', '7'], "not '7'"),
                          (['--mw-bars', '2,x'], "not '2,x'"),
                          (['--ntb-client', 'tool'], "not 'tool'"),
                          (['--function', 'ntb'], "not 'ntb'"),
                          (['--soc', 'rk3399'], "not 'rk3399'"),
                          (['--kernel-flavour', 'kasan'], "not 'kasan'"),
                          (['--smp', '0'], "not '0'"),
                          (['--smp', '9'], "not '9'"),
                          (['--smp', '2,'], "not '2,'"),
                          (['--smp', '2,2,2'], "not '2,2,2'")):
            status, out = run_pair(*args)
            self.assertEqual(status, 2, '%s: %s' % (args, out))
            self.assertIn(msg, out, args)

    def test_unusable_vntb_layouts_are_refused_with_one_that_works(self):
        # Each of these failed only inside a guest before (MW set failed,
        # BAR failed to assign, no ntb_hw_epf layout): now refused at once.
        for args in ((['--db-bar', '4', '--mw-bars', '2,3']),
                     (['--db-bar', '2', '--mw-bars', '2,5']),
                     (['--db-bar', '0', '--mw-bars', '2']),
                     (['--mw-bars', '4,5'])):
            status, out = run_pair('--function', 'vntb', *args)
            self.assertEqual(status, 2, '%s: %s' % (args, out))
            self.assertIn('is not one ntb_hw_epf can drive', out, args)
            self.assertIn('--db-bar 2 --mw-bars 4,5', out, args)
            self.assertNotIn('==> [boot]', out, args)

    def test_what_a_soc_face_cannot_do_is_refused(self):
        # R-Car S4 has no ITS for the EP's doorbells, and its BAR4 is fixed
        # at 256 bytes: refused before anything boots, saying what works.
        for args, msg in (
                (['--doorbell', 'its'], "use 'embedded' (the eDMA's) or 'none'"),
                (['--db-bar', '2', '--mw-bars', '4'],
                 'use the R-Car layout, --db-bar 4 --mw-bars 2')):
            status, out = run_pair('--soc', 'rcar-s4', *args)
            self.assertEqual(status, 2, '%s: %s' % (args, out))
            self.assertIn(msg, out, args)
            self.assertNotIn('==> [boot]', out, args)
        status, out = run_pair('--soc', 'rcar-s4', '--dry-run')
        self.assertEqual(status, 0, out)
        self.assertIn('-device dw-pcie-ep-rcar-s4,id=dwc0', out)

    def test_smp_and_kernel_flavour_reach_each_guest(self):
        # --smp EP,RC gives each QEMU its own count; --kernel-flavour debug
        # boots the debug build directory (keyed by its fragment's hash)
        # in both guests, and its own initramfs.
        status, out = run_pair('--dry-run', '--smp', '2,1', '--kernel-flavour', 'debug')
        self.assertEqual(status, 0, out)
        ep = [l for l in out.splitlines() if l.startswith('==> [dry-run] ep QEMU: ')]
        rc = [l for l in out.splitlines() if l.startswith('==> [dry-run] rc QEMU: ')]
        self.assertEqual((len(ep), len(rc)), (1, 1), out)
        self.assertIn(' -smp 2 ', ep[0])
        self.assertIn(' -smp 1 ', rc[0])
        kdir = subprocess.run([os.path.join(TOP, 'scripts', 'build-kernel.sh'),
                               '--flavour', 'debug', '--print-dir'],
                              stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
        self.assertRegex(kdir, r'/build-debug-[0-9a-f]{12}$')
        for line in ep + rc:
            self.assertIn('-kernel %s/arch/arm64/boot/Image ' % kdir, line)
        status, out = run_pair('--dry-run', '--smp', '2')
        self.assertEqual(status, 0, out)
        self.assertEqual(out.count(' -smp 2 '), 2, out)
        self.assertNotIn('build-debug-', out)

    def test_kernel_print_dir_side_by_side(self):
        # The avocado tests run build-kernel.sh --print-dir side by side
        # (through run-pair.sh): it must write nothing, so no run trips on
        # another's file, and name the same directory every time.
        script = os.path.join(TOP, 'scripts', 'build-kernel.sh')
        for flavour in ('normal', 'debug'):
            procs = [subprocess.Popen([script, '--flavour', flavour, '--print-dir'],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True) for _ in range(16)]
            outs = [(p.communicate(timeout=60)[0], p.returncode) for p in procs]
            for out, rc in outs:
                self.assertEqual(rc, 0, out)
            self.assertEqual(len({out for out, rc in outs}), 1, outs)
            self.assertRegex(outs[0][0], r'/build-%s-[0-9a-f]{12}\n$' % flavour)
