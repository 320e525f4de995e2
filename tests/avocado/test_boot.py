"""The pair boots: both guests reach a shell, on Linux 7.2 and QEMU virt."""

import re

from pair import PairTest


class Boot(PairTest):
    """
    :avocado: tags=boot
    """

    def test_both_guests_boot(self):
        for g in ('ep', 'rc'):
            rel = self.check_in(g, 'uname -r').strip()
            if not re.match(r'^7\.2(\.\d+)?', rel):
                self.fail('%s guest runs kernel %r, not Linux 7.2; %s'
                          % (g, rel, self.logs_hint()))
            arch = self.check_in(g, 'uname -m').strip()
            self.assertEqual(arch, 'aarch64', '%s guest arch' % g)
            compat = self.check_in(
                g, "tr '\\0' '\\n' < /sys/firmware/devicetree/base/compatible")
            self.assertIn('linux,dummy-virt', compat.split(),
                          '%s guest is not on QEMU virt; %s' % (g, self.logs_hint()))
            self.assertEqual(self.check_in(g, 'hostname').strip(), g)

    def test_console_reports_exit_status(self):
        # The console helper must see failures, or every other test could pass
        # vacuously.
        status, out = self.run_in('rc', 'echo hello; false')
        self.assertEqual(status, 1)
        self.assertEqual(out.strip(), 'hello')
