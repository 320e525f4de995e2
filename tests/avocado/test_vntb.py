"""vNTB: a network link over pci-epf-vntb (EP) <-> ntb_hw_epf (RC).

The EP guest runs pci_epf_vntb on dw-pcie-ep; the RC guest binds
ntb_hw_epf to the endpoint function and the EP guest's pci-vntb driver
binds the device on the virtual PCI bus (0x10) that pci_epf_vntb creates.
ntb_transport and ntb_netdev on both sides then make one network interface
per guest ('ntb-net up' in the guest), and ping must cross both ways
without loss.

The pair is booted the way a developer boots it: run-pair.sh --function
vntb (its default) starts pci_epf_vntb with the R-Car BAR layout the
issue asks for (control BAR0, doorbell BAR4, memory window BAR2, IDs
1912:0030, which ntb_hw_epf maps to that layout) and brings the net
devices up on both sides (192.168.77.1 on the EP, .2 on the RC).

One class per EP doorbell backend: the eDMA interrupt-emulation doorbell
(embedded), the GIC ITS (its), and none (pci_epf_vntb polls).
"""

import re
import time

from pair import PairTest

EP_ADDR = '192.168.77.1'
RC_ADDR = '192.168.77.2'
PINGS = 50

EP_NTB_DEV = '/sys/bus/pci/drivers/pci-vntb/0002:10:00.0'
RC_NTB_DEV = '/sys/bus/pci/drivers/ntb_hw_epf/0000:01:00.0'

PING_STATS = re.compile(r'(\d+) packets transmitted, (\d+) packets received,'
                        r'(?: \+\d+ duplicates,)? (\d+)% packet loss')


def irq_total(interrupts, name):
    """Sum of the CPU counts of the /proc/interrupts lines naming @name."""
    lines = [l for l in interrupts.splitlines() if l.strip()]
    ncpu = len([f for f in lines[0].split() if f.startswith('CPU')]) if lines else 0
    total = 0
    for line in lines[1:]:
        fields = line.split()
        if name in fields and fields[0].endswith(':'):
            total += sum(int(f) for f in fields[1:1 + ncpu])
    return total


class VntbNet(PairTest):
    """
    :avocado: tags=vntb,vntb_embedded

    Doorbell: the eDMA interrupt emulation (no MSI domain for the EPC).
    """

    doorbell = 'embedded'
    run_pair_args = ['--function', 'vntb', '--doorbell', 'embedded']

    # What the EP's dmesg must and must not say about the doorbell, and
    # the /proc/interrupts chip of the doorbell IRQs (None: polling).
    doorbell_says = ['Using embedded (DMA) doorbell fallback']
    doorbell_never = ['Failed to allocate doorbell', 'Failed to assign Doorbell BAR space',
                      'Failed to set Doorbell BAR']
    doorbell_chip = 'dw-edma-emul'

    def check_doorbell_setup(self):
        """The NTB device is bound on both sides, and the EP's dmesg says
        what this backend must say about the doorbell."""
        self.check_in('ep', 'test -e %s' % EP_NTB_DEV)
        self.check_in('rc', 'test -e %s' % RC_NTB_DEV)
        dmesg = self.check_in('ep', 'dmesg | grep pci_epf_vntb')
        for s in self.doorbell_says:
            self.assertIn(s, dmesg, 'EP dmesg does not report the %s doorbell; %s'
                          % (self.doorbell, self.logs_hint()))
        for s in self.doorbell_never:
            self.assertNotIn(s, dmesg, 'EP doorbell setup (%s) failed; %s'
                             % (self.doorbell, self.logs_hint()))

    def net_names(self):
        """{guest: name of its ntb_netdev interface} (run-pair.sh brought
        them up)."""
        return {g: self.check_in(g, 'ntb-net name').strip() for g in ('ep', 'rc')}

    def check_link(self, names):
        for guest, ifname in names.items():
            carrier = self.check_in(guest, 'cat /sys/class/net/%s/carrier' % ifname)
            self.assertRegex(carrier, r'(?m)^1\s*$', '[%s] %s has no carrier; %s'
                             % (guest, ifname, self.logs_hint()))
            dmesg = self.check_in(guest, 'dmesg | grep "qp 0: Link Up"; true')
            self.assertIn('qp 0: Link Up', dmesg, '[%s] ntb_transport link not up; %s'
                          % (guest, self.logs_hint()))

    def packets(self, guest):
        """(rx, tx) packet counters of @guest's ntb_netdev interface."""
        out = self.check_in(guest, 'i=$(ntb-net name) && cat '
                            '/sys/class/net/$i/statistics/rx_packets '
                            '/sys/class/net/$i/statistics/tx_packets')
        rx, tx = (int(x) for x in out.split()[-2:])
        return rx, tx

    def icmp(self, guest):
        """{counter: value} of @guest's Icmp line in /proc/net/snmp."""
        out = self.check_in(guest, 'grep "^Icmp:" /proc/net/snmp')
        rows = [l.split()[1:] for l in out.splitlines() if l.startswith('Icmp:')]
        self.assertGreaterEqual(len(rows), 2, '[%s] no Icmp counters:\n%s' % (guest, out))
        return dict(zip(rows[-2], (int(v) for v in rows[-1])))

    def ping(self, guest, addr):
        """ping @PINGS packets from @guest to @addr; fail on any loss.

        Loss is judged by the kernel's ICMP counters on both sides: every
        echo request @guest sent must have reached the other side, and
        every reply must have come back (busybox ping stops waiting for the
        last replies after twice the largest round trip, so its own count
        may miss a late reply: the counters do not).  The packet counters
        of both ntb_netdev interfaces must agree, too: everything one side
        has sent since its interface came up, the other has received.  The
        totals, not deltas across the ping: the two guests cannot be read
        at one instant, and an ARP probe that lands between the two
        "before" reads would skew a delta by one (a CI run did that)."""
        other = 'rc' if guest == 'ep' else 'ep'
        icmp0 = {g: self.icmp(g) for g in (guest, other)}
        status, out = self.run_in(guest, 'ping -c %d -i 0.05 %s' % (PINGS, addr),
                                  timeout=PINGS + 60)
        m = PING_STATS.search(out)
        if not m:
            self.fail('[%s] no ping statistics (exit %d):\n%s\n%s'
                      % (guest, status, out, self.logs_hint()))
        sent, received, loss = (int(x) for x in m.groups())
        self.log.info('[%s] ping %s: %s', guest, addr, m.group(0))

        def deltas():
            now = {g: self.icmp(g) for g in (guest, other)}
            return (now[guest]['OutEchos'] - icmp0[guest]['OutEchos'],
                    now[other]['InEchos'] - icmp0[other]['InEchos'],
                    now[other]['OutEchoReps'] - icmp0[other]['OutEchoReps'],
                    now[guest]['InEchoReps'] - icmp0[guest]['InEchoReps'])
        # Late replies settle within a few seconds.
        for _ in range(10):
            icmp_d = deltas()
            d = {g: self.packets(g) for g in (guest, other)}
            if (len(set(icmp_d)) == 1 and d[guest][1] == d[other][0] and
                    d[other][1] == d[guest][0]):
                break
            time.sleep(1)
        self.log.info('[%s] ICMP (requests sent, received by %s, replies sent, '
                      'received): %s; packets since link up (rx, tx): %s', guest, other, icmp_d, d)
        if len(set(icmp_d)) != 1:
            # Where did it go?  Interface and queue-pair counters, both sides.
            for g in ('ep', 'rc'):
                self.run_in(g, 'cat /proc/net/dev; mount -t debugfs none '
                            '/sys/kernel/debug 2>/dev/null; cat '
                            '/sys/kernel/debug/ntb_transport/*/qp0/stats; '
                            'dmesg | tail -n 20')
        self.assertEqual(sent, PINGS, '[%s] ping sent %d' % (guest, sent))
        self.assertEqual(icmp_d, (PINGS,) * 4,
                         '[%s] -> [%s]: echo requests sent, received, replies sent, '
                         'received = %s, want %d each; %s'
                         % (guest, other, icmp_d, PINGS, self.logs_hint()))
        self.assertEqual(d[other][0], d[guest][1], '[%s] sent %d packets, [%s] received %d; %s'
                         % (guest, d[guest][1], other, d[other][0], self.logs_hint()))
        self.assertEqual(d[guest][0], d[other][1], '[%s] sent %d packets, [%s] received %d; %s'
                         % (other, d[other][1], guest, d[guest][0], self.logs_hint()))
        if received != sent:
            self.log.warning('[%s] %d replies came after ping stopped waiting '
                             '(the ICMP counters show them all)', guest, sent - received)

    def test_link_up(self):
        self.check_doorbell_setup()
        self.check_link(self.net_names())

    def test_ping(self):
        self.check_doorbell_setup()
        self.check_link(self.net_names())
        before = self.check_in('ep', 'cat /proc/interrupts')
        rc_before = self.check_in('rc', 'cat /proc/interrupts')
        self.ping('ep', RC_ADDR)
        self.ping('rc', EP_ADDR)
        after = self.check_in('ep', 'cat /proc/interrupts')
        rc_after = self.check_in('rc', 'cat /proc/interrupts')
        # The EP rings the RC through MSI (ntb_hw_epf's vectors), during the
        # pings: a count that rose then, not a total since boot.
        rc_rang = irq_total(rc_after, 'ntb_epf') - irq_total(rc_before, 'ntb_epf')
        self.log.info('RC ntb_epf interrupts during the pings: %d', rc_rang)
        self.assertGreater(rc_rang, 0, 'the EP never rang the RC (no ntb_epf interrupt '
                           'during the pings); %s' % self.logs_hint())
        db = [l for l in after.splitlines() if 'pci_epf_vntb_db' in l]
        if self.doorbell_chip is None:
            self.assertEqual(db, [], 'doorbell IRQs with no doorbell backend')
        else:
            self.assertTrue(any(self.doorbell_chip in l for l in db),
                            'EP doorbell IRQs not on %s:\n%s' % (self.doorbell_chip, after))
            rang = (irq_total(after, 'pci_epf_vntb_db') -
                    irq_total(before, 'pci_epf_vntb_db'))
            self.log.info('EP doorbell interrupts during the pings: %d', rang)
            self.assertGreater(rang, 0, 'the RC never rang the EP doorbell (%s); %s'
                               % (self.doorbell, self.logs_hint()))


class VntbNetIts(VntbNet):
    """
    :avocado: tags=vntb,vntb_its

    Doorbell: MSIs of the GIC ITS (msi-parent in the EP's device tree).
    """

    doorbell = 'its'
    run_pair_args = ['--function', 'vntb', '--doorbell', 'its']
    doorbell_says = []
    doorbell_never = VntbNet.doorbell_never + ["Can't find MSI domain", 'embedded']
    doorbell_chip = 'ITS-pMSI-c000000.pcie-ep'


class VntbNetPolling(VntbNet):
    """
    :avocado: tags=vntb,vntb_none

    No doorbell (no MSI domain, no eDMA): pci_epf_vntb polls its doorbell
    BAR.
    """

    doorbell = 'none'
    run_pair_args = ['--function', 'vntb', '--doorbell', 'none']
    doorbell_says = ["Can't find MSI domain for EPC", 'Failed to allocate doorbell: -19']
    doorbell_never = ['Using embedded (DMA) doorbell fallback']
    doorbell_chip = None
