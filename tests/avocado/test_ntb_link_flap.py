"""A link that flaps under traffic: ntb_transport comes back every time.

ntb_transport acts on NTB link events with works (Linux 7.2: link_work to
bring the transport up, link_cleanup to tear it down, a mutex between
them).  When the link goes down and up again fast, those works run close
together, in either order, under a ping flood's traffic.  What may go
wrong there, in 7.2: a cleanup that runs after the link is up again tears
down the live link and nothing brings it back (the queue pair stays down);
the cleanup waits, under the mutex, for a link_work that waits for the
mutex (a hang, which the debug kernel's lockdep reports as a circular
dependency).  Kernel patch "NTB: ntb_transport: Act on link events in one
work, on the link as it is" makes link_work the one work that acts on
link events, on the link state when it runs.

  * test_flap_under_ping_flood: both guests flood each other over
    ntb_netdev; FLAPS times the RC holds the link down (run-pair.sh
    --fault rc:link=down) until the EP's link is down, and releases it
    at once (rc:link=up), without waiting for the RC guest to remove or
    take back the function: the EP's vNTB reports the NTB link down and
    the host, once it has the function again, brings it up.  Then the
    function must be back in the RC guest, ntb_netdev's link up on both
    sides, and pings must cross both ways without loss.  On the debug
    kernel (DWC_EP_KERNEL_FLAVOUR=debug DWC_EP_SMP=2), pair.py's
    tearDown fails the test on any lockdep, KASAN or object-debug report
    on either console.

  * test_flap_before_link_up (FlapBeforeLinkUp): the EP's transport
    sees the link go up and down many times before it has ever linked
    up, the one state in which 7.2's cleanup cancels link_work under the
    mutex; then it must link up and ping must cross.

The races they aim at need the two works to overlap, which the tests
cannot force: on 2026-12-08 both passed without the patch too (7.2's
two works with the series' earlier fix for one order of them; normal
kernel, and the debug kernel with two EP vCPUs), as well as with it.  Passing is evidence, not proof; a failure here is a
real bug.  In the pair the EP's link events mostly come from vNTB's
command handler, one work on one CPU, so 7.2's two link works seldom
overlap.
"""

from test_link_faults import EP_ADDR, RC_ADDR, RC_FN, RC_NTB, LinkDownVntb, NtbNet


class LinkFlapVntb(NtbNet):
    """
    :avocado: tags=faults,vntb,ntb_transport
    """

    run_pair_args = NtbNet.run_pair_args + [
        '--ep-arg', '-trace dw_pcie_ep_link']
    FLAPS = 5
    timeout = 1500

    # The flood and the bring-up of ntb_netdev on both sides, as the
    # surprise link down tests do them.
    start_flood = LinkDownVntb.start_flood
    net_up_both = LinkDownVntb.net_up_both
    stop_ep_flood = LinkDownVntb.stop_ep_flood
    net_up_and_ping = LinkDownVntb.net_up_and_ping

    def test_flap_under_ping_flood(self):
        self.check_link(self.net_names())
        self.start_flood('ep', RC_ADDR)
        self.start_flood('rc', EP_ADDR)
        cleanups0 = self.count_in('ep', 'dmesg | grep -c "Link Cleanup" || true')

        for n in range(1, self.FLAPS + 1):
            log0 = len(self.qemu_log('ep'))
            self.fault_cli('rc:link=down')
            self.wait_log('ep', r'dw_pcie_ep_link link up=0',
                          'flap %d: the EP link did not go down' % n, 30, log0)
            log1 = len(self.qemu_log('ep'))
            self.fault_cli('rc:link=up')
            self.wait_log('ep', r'dw_pcie_ep_link link up=1',
                          'flap %d: the EP link did not train again' % n, 60, log1)
            self.log.info('flap %d done', n)

        # The EP's ntb_transport saw the link go down (its queue pair was
        # cleaned up at least once).
        self.assertGreater(self.count_in('ep', 'dmesg | grep -c "Link Cleanup" || true'),
                           cleanups0, '[ep] ntb_transport never saw the NTB link go '
                           'down while the link flapped; %s' % self.logs_hint())

        # The function is back for good in the RC guest.
        self.wait_in('rc', 'test -e %s' % RC_FN,
                     'the NTB function did not come back after the flaps', 120)
        self.check_in('rc', 'rc-wait-ntb --timeout 120 %s' % RC_NTB, timeout=150)
        # Both floods end: the RC's with its interface, the EP's killed.
        self.wait_in('rc', 'grep -q "ping exit=" /tmp/flood.out',
                     'the RC ping flood did not end when its interface went', 60)
        self.stop_ep_flood()
        self.net_up_and_ping()


class FlapBeforeLinkUp(NtbNet):
    """
    :avocado: tags=faults,vntb,ntb_transport

    The EP's ntb_transport sees the NTB link go up and down, fast, while
    it has not linked up yet: what 7.2's link_cleanup work does then is
    cancel link_work, synchronously, under the mutex link_work takes
    first thing.  The host keeps the EP's transport from linking up by
    loading ntb_transport with max_num_clients=8: it then counts more
    queue pairs than the EP's (which caps them at its one memory
    window), so the EP's link_work finds a mismatch and runs again every
    10 ms, and a link down event now and then comes while it runs.  Two
    EP vCPUs let it run beside the cleanup.  Each host load brings the
    NTB link up (COMMAND_LINK_UP), each unload down (COMMAND_LINK_DOWN).

    Then the host loads ntb_netdev as usual: the EP's transport must
    link up and ping must cross.  A 7.2 EP whose two works deadlocked
    never links up; a debug kernel also reports the circular locking
    dependency on the EP console, which pair.py's tearDown fails on.
    """

    run_pair_args = ['--function', 'vntb', '--doorbell', 'embedded',
                     '--ntb-client', 'none', '--smp', '2,1']
    FLAPS = 100
    timeout = 1500

    def cleanups(self):
        return self.count_in('ep', 'dmesg | grep -c "qp 0: Link Cleanup" || true')

    def test_flap_before_link_up(self):
        # The EP's client: ntb_netdev's queue pair, its interface down.
        self.check_in('ep', 'modprobe ntb_netdev')
        self.wait_in('ep', 'ntb-net name', 'ntb_netdev made no interface', 60)
        cleanups0 = self.cleanups()
        out = self.check_in('rc', 'i=0; while [ $i -lt %d ]; do '
                                  'modprobe ntb_transport max_num_clients=8 && '
                                  'rmmod ntb_transport || break; i=$((i + 1)); done; '
                                  'echo "flaps=$i"' % self.FLAPS, timeout=600)
        self.assertIn('flaps=%d' % self.FLAPS, out, out)
        # The host's transport never linked up (the mismatch held).
        self.check_in('rc', '! dmesg | grep -q "qp 0: Link Up"')
        # The EP's transport saw the link go down (its queue pair was
        # cleaned up) on most of the unloads: its link events were
        # handled while the link flapped, not stuck behind a hung work.
        self.wait_for(lambda: self.cleanups() - cleanups0 >= self.FLAPS // 2,
                      lambda: '[ep] ntb_transport cleaned its queue pair up on %d '
                              'of %d link downs' % (self.cleanups() - cleanups0,
                                                    self.FLAPS), 30)

        LinkDownVntb.net_up_both(self)
        self.ping('rc', EP_ADDR, 20)
        self.ping('ep', RC_ADDR, 20)
