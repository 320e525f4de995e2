"""The test harness's own checks (tests/avocado/pair.py), without a pair.

pid_alive() says whether a QEMU still runs.  A QEMU of a pair started
with --detach has init for a parent, and this machine's init reaps an
exited child only seconds later: until then /proc/PID is there, for a
zombie.  A test that took that for a running QEMU waited seconds for
every QEMU it stopped, and would call a QEMU that died alive.
"""

import os
import subprocess
import time

from avocado import Test

from pair import pid_alive


def state(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('State:'):
                return line.split()[1]
    return None


class PidAlive(Test):
    """
    :avocado: tags=harness
    """

    def test_running_exited_and_reaped(self):
        child = subprocess.Popen(['sleep', '30'])
        try:
            self.assertTrue(pid_alive(child.pid), 'a running process is not alive')
        finally:
            child.kill()
        # Not reaped yet: a zombie, with /proc/PID still there.
        end = time.monotonic() + 10
        while state(child.pid) != 'Z' and time.monotonic() < end:
            time.sleep(0.01)
        self.assertEqual(state(child.pid), 'Z', 'the killed child is no zombie')
        self.assertTrue(os.path.exists('/proc/%d' % child.pid))
        self.assertFalse(pid_alive(child.pid), 'a zombie counts as alive')
        child.wait()
        self.assertFalse(pid_alive(child.pid), 'a reaped process counts as alive')
