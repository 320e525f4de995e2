"""Only the owner reaches the link: run-pair.sh keeps its run directory
private (0700) and every socket and log in it 0600, and refuses a
--run-dir that others can write, before it builds or boots anything."""

import os
import stat
import subprocess
import tempfile

from avocado import Test

from pair import PairTest, TOP


class RunDirModes(PairTest):
    """
    :avocado: tags=security
    """

    def test_modes(self):
        mode = stat.S_IMODE(os.stat(self.run_dir).st_mode)
        self.assertEqual(mode, 0o700, 'run directory mode %o' % mode)
        socks = []
        for name in sorted(os.listdir(self.run_dir)):
            st = os.lstat(os.path.join(self.run_dir, name))
            if stat.S_ISSOCK(st.st_mode):
                socks.append(name)
            if stat.S_ISSOCK(st.st_mode) or name.endswith('.log'):
                self.assertEqual(stat.S_IMODE(st.st_mode), 0o600,
                                 '%s has mode %o' % (name, stat.S_IMODE(st.st_mode)))
        # the link, and each guest's console and QMP
        for name in ('link.sock', 'ep-console.sock', 'rc-console.sock',
                     'ep-qmp.sock', 'rc-qmp.sock'):
            self.assertIn(name, socks)


class RunDirRefused(Test):
    """
    :avocado: tags=security,options
    """

    def test_writable_run_dir_is_refused(self):
        for mode in (0o777, 0o770, 0o722):
            d = tempfile.mkdtemp(prefix='dwcep-open-', dir='/tmp')
            try:
                os.chmod(d, mode)
                res = subprocess.run([os.path.join(TOP, 'run-pair.sh'), '--detach',
                                      '--run-dir', d], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, timeout=60)
                self.assertNotEqual(res.returncode, 0, res.stdout)
                self.assertIn('is writable by others', res.stdout)
                self.assertIn('chmod 700', res.stdout)
                self.assertNotIn('==> [boot]', res.stdout)
                self.assertNotIn('==> [qemu', res.stdout)
                self.assertEqual(os.listdir(d), [], 'run-pair.sh wrote into %s' % d)
            finally:
                os.rmdir(d)
