"""An NTB device that goes and comes back: ntb_transport takes it again as
a new device.

ntb_transport makes a debugfs directory per NTB device,
ntb_transport/<pci name>/, with a qpN/stats file per queue pair.  When the
device goes (the EP QEMU killed: pciehp removes the function in the RC
guest, and with it the NTB device), ntb_transport's remove must take the
whole directory away; otherwise, when the EP is back and pci-epf-vntb runs
again, the new device's probe finds the old name in debugfs ("debugfs:
'0000:01:00.0' already exists in 'ntb_transport'") and its queue pairs get
no stats.  Upstream 7.2 removed only the qpN/ directories (kernel patch
"NTB: ntb_transport: Remove the device's debugfs directory on removal").

  * test_reattach_after_ep_kill: ntb_netdev's link up, a ping flood over
    it, the EP QEMU killed (SIGKILL) in the middle of it.  Once the
    function has left the RC guest, ntb_transport's directory of it is
    gone too; after run-pair.sh --restart ep and vNTB again, the RC logs
    no "already exists", the new device's qp0/stats file is there and
    shows the link up and the packets of a ping that gets all its replies.
"""

import re
import time

from test_kill import RC_FN, KillBase

NAME = '0000:01:00.0'
DEBUGFS = '/sys/kernel/debug/ntb_transport'
NODE_DIR = '%s/%s' % (DEBUGFS, NAME)
STATS = '%s/qp0/stats' % NODE_DIR
MOUNT_DEBUGFS = ('grep -q " /sys/kernel/debug " /proc/mounts || '
                 'mount -t debugfs none /sys/kernel/debug')


class NtbReattach(KillBase):
    """
    :avocado: tags=kill,vntb,ntb_transport
    """

    run_pair_args = ['--function', 'vntb', '--doorbell', 'none']

    def rx_packets(self, rx):
        out = self.check_in('rc', 'echo "rx=$(cat %s)"' % rx)
        m = re.search(r'rx=(\d+)', out)
        self.assertIsNotNone(m, '[rc] no receive counter in %r' % out)
        return int(m.group(1))

    def stats(self):
        """qp0's stats of ntb_transport's device directory in the RC."""
        return self.check_in('rc', 'cat %s' % STATS)

    def test_reattach_after_ep_kill(self):
        self.check_in('rc', MOUNT_DEBUGFS)
        # The first device has its directory and stats (the test can see
        # them at all).
        self.assertIn('QP Link - \tUp', self.stats(),
                      '[rc] qp0 of the first device: no stats or link down; %s'
                      % self.logs_hint())

        ifname = self.check_in('rc', 'ntb-net name').split()[-1]
        rx = '/sys/class/net/%s/statistics/rx_packets' % ifname
        self.check_in('rc', "sh -c 'ping -i 0.01 192.168.77.1 </dev/null "
                            ">/tmp/flood.out 2>&1 & echo $! > /tmp/flood.pid'")
        rx0 = self.rx_packets(rx)
        end = time.monotonic() + 30
        while self.rx_packets(rx) < rx0 + 20:
            if time.monotonic() > end:
                self.fail('[rc] the ping flood does not flow over %s; %s'
                          % (ifname, self.logs_hint()))
            time.sleep(0.2)

        self.kill9('ep')
        self.wait_in('rc', '! test -e %s' % RC_FN,
                     'the NTB function did not leave after the EP QEMU was killed', 60)
        # ntb_transport's remove has run: nothing of the device may be
        # left in its debugfs directory.  (Noted, not asserted yet: the
        # test goes on to show what the leftover does to the next device,
        # and reports it all at the end.)
        problems = []
        status, out = self.run_in('rc', 'ls -R %s' % DEBUGFS)
        self.assertEqual(status, 0, '[rc] ls %s: %s' % (DEBUGFS, out))
        if NAME in out:
            problems.append('ntb_transport left the debugfs directory of the '
                            'removed device behind:\n%s' % out)

        self.restart_guest('ep')
        self.check_in('ep', 'DB_BAR=4 MW_BARS=2 ep-function vntb', timeout=60)
        self.check_in('rc', 'rc-wait-ntb --timeout 60', timeout=90)
        self.check_in('ep', 'ntb-net up 192.168.77.1/24 --timeout 60 &')
        self.check_in('rc', 'ntb-net up 192.168.77.2/24 --timeout 60', timeout=90)
        out = self.check_in('rc', 'ping -c 10 -i 0.2 -W 5 192.168.77.1', timeout=60)
        self.assertIn('10 packets received', out, out)

        status, out = self.run_in('rc', 'dmesg | grep "already exists"')
        if status == 0:
            problems.append('debugfs refused a name when the device came '
                            'back:\n%s' % out)
        status, out = self.run_in('rc', 'cat %s' % STATS)
        if status != 0:
            problems.append('no qp0 stats for the device that came back '
                            '(%s): %s' % (STATS, out))
        else:
            m = re.search(r'tx_pkts - \t(\d+)', out)
            if 'QP Link - \tUp' not in out or not m or int(m.group(1)) < 10:
                problems.append('qp0 stats of the device that came back do not '
                                'show the link up and the 10 pings sent:\n%s' % out)
        if problems:
            self.fail('[rc] %s\n%s' % ('\n'.join(problems), self.logs_hint()))
