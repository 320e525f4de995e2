"""The link's shared-memory fast path, end to end (run-pair.sh --fast-path).

With the fast path on (the default over the unix socket) the vNTB memory
window, BAR2 of the RC's function, which the EP's inbound iATU maps onto a
buffer in EP RAM, is that EP RAM mapped into the RC QEMU: the RC guest's
stores and loads there do not cross the link.  Off, each is a link
message.  Checked from both QEMUs while ntb_tool moves 1 MiB from the RC
into the EP's window (and reads it back):

  * the RC QEMU's memory tree (QMP 'info mtree') holds the BAR2 map
    region (pci-ep-link.bar2-map) only with the fast path on.  (Tearing
    the window down does not end it: pci-epf-vntb's mw_clear_trans is
    empty in Linux 7.2, so the EP's inbound iATU keeps BAR2 on the freed
    buffer, on messages as on the fast path; the qtests check that an
    iATU write that ends a mapping drops it in the RC first);
  * the EP QEMU's trace of inbound requests (dw_pcie_ep_inbound, switched
    on over QMP) records no request at all while the window is set up,
    written and read with the fast path on, and the copy's BAR2 requests
    with it off.  That the trace does record a request that crosses the
    link is checked first, in the same test: one 32-bit read of the
    doorbell BAR (BAR4, which maps onto the eDMA's registers, not RAM,
    so it is on messages either way) must add exactly one line to it;
  * the data the RC guest wrote is what the EP guest reads in its buffer,
    either way.

And the other way, EP -> RC through the EP's outbound window onto the
buffer in RC RAM that the RC's ntb_tool set up: with the fast path on the
RC hands its RAM to the EP QEMU (the function has Bus Master Enable set
and no IOMMU), the EP's window is that RAM (a dw-pcie-ep.rc-ram-window
region in the EP QEMU's memory tree) and the RC QEMU serves none of the
copy's requests (pci_ep_link_dma, switched on over QMP); off, it serves
them all.  Here too the trace must first record a request that crosses
either way: a doorbell the EP rings (ntb_tool's peer_db), an MSI write to
the RC's GIC ITS, which is not RAM, must add exactly one line to it.
"""

import hashlib
import os
import re
import struct
import time

from test_ntb_tool import MW_SIZE, NtbToolPair

MAP_REGION = 'pci-ep-link.bar2-map'
WINDOW_REGION = 'dw-pcie-ep.rc-ram-window'
RC_DMA = re.compile(r'pci_ep_link_dma ')
RC_FN = '/sys/bus/pci/devices/0000:01:00.0'
# bench/guest/bar-copy.c's first 64-bit word, 0x9e3779b97f4a7c15 (LE)
FIRST_WORD_MD5 = hashlib.md5(struct.pack('<Q', 0x9e3779b97f4a7c15)).hexdigest()


class FastPathBase(NtbToolPair):
    """ntb_tool's memory window with the fast path @fast_path."""

    fast_path = 'on'

    def setUp(self):
        self.run_pair_args = NtbToolPair.run_pair_args + ['--fast-path', self.fast_path]
        super().setUp()

    def regions(self, g, name):
        tree = self.qmp(g, ('human-monitor-command',
                            {'command-line': 'info mtree'}))
        return tree.count(name)

    def rc_maps(self):
        return self.regions('rc', MAP_REGION)

    def traced(self, g, pattern):
        with open(os.path.join(self.run_dir, '%s-qemu.log' % g), errors='replace') as f:
            return len(pattern.findall(f.read()))

    def ep_inbound(self, bar=None):
        """Requests of the RC the EP served so far through its inbound
        iATU (its trace), to BAR @bar or (None) to any BAR."""
        return self.traced('ep', re.compile(r'dw_pcie_ep_inbound BAR%s '
                                            % (r'\d' if bar is None else bar)))

    def wait_traced(self, g, count, want, what):
        """Wait (up to 10 s) until count() is @want; fail, saying the
        positive control @what did not show in @g's trace, if it is not."""
        end = time.monotonic() + 10
        while count() < want and time.monotonic() < end:
            time.sleep(0.1)
        got = count()
        self.assertEqual(got, want, 'positive control: %s, which crosses the link, '
                         'shows as %d line(s) in the %s QEMU\'s trace, not 1; the '
                         'trace cannot tell whether a request crossed; %s'
                         % (what, got - want + 1, g.upper(), self.logs_hint()))

    def control_rc_to_ep(self):
        """Positive control: one 32-bit read of the doorbell BAR (BAR4:
        the eDMA's registers, not RAM) crosses the link with the fast path
        on or off; the EP must trace it as one request."""
        before = self.ep_inbound()
        out = self.check_in('rc', 'bar-rtt %s/resource4 0 1' % RC_FN)
        self.assertIn('reads=1 ', out, 'bar-rtt did not read BAR4: %s' % out)
        self.wait_traced('ep', self.ep_inbound, before + 1, 'a read of BAR4 by the RC')

    def control_ep_to_rc(self):
        """Positive control: a doorbell the EP rings is an MSI write to the
        RC's GIC ITS (not RAM): it crosses the link with the fast path on
        or off, and the RC must trace it as one DMA request."""
        before = self.traced('rc', RC_DMA)
        self.write('ep', '%s/peer_db' % self.tool('ep'), 's 0x1')
        self.wait_traced('rc', lambda: self.traced('rc', RC_DMA), before + 1,
                         'a doorbell (an MSI write) from the EP')
        self.wait_in('rc', 'test "$(cat %s/db)" = 0x1' % self.tool('rc'),
                     'the doorbell the EP rang did not reach the RC', 10)
        self.write('rc', '%s/db' % self.tool('rc'), 'c 0x1')

    def window_to_rc(self):
        """EP -> RC through the EP's outbound window; returns (windows of
        RC RAM in the EP QEMU while it is up, RC DMA requests served)."""
        self.load_tool()
        self.qmp('rc', ('trace-event-set-state',
                        {'name': 'pci_ep_link_dma', 'enable': True}))
        self.control_ep_to_rc()
        before = self.traced('rc', RC_DMA)
        self.mw_transfer('ep', 'rc', 'ep2rc')
        windows = self.regions('ep', WINDOW_REGION)
        requests = self.traced('rc', RC_DMA) - before
        self.log.info('fast path %s: %d RC RAM window(s) in the EP, %d DMA '
                      'requests served by the RC', self.fast_path, windows, requests)
        self.teardown_mws()
        self.unload_tool()
        return windows, requests

    def window_to_ep(self):
        """RC -> EP through BAR2; returns (maps in the RC while the window
        is up, requests the EP served meanwhile: to BAR2, to any BAR)."""
        self.load_tool()
        self.qmp('ep', ('trace-event-set-state',
                        {'name': 'dw_pcie_ep_inbound', 'enable': True}))
        self.control_rc_to_ep()
        before, before_bar2 = self.ep_inbound(), self.ep_inbound(2)
        self.mw_transfer('rc', 'ep', 'rc2ep')
        maps = self.rc_maps()
        requests, bar2 = self.ep_inbound() - before, self.ep_inbound(2) - before_bar2
        self.log.info('fast path %s: %d map region(s) in the RC, %d requests '
                      'served by the EP, %d of them to BAR2', self.fast_path, maps,
                      requests, bar2)
        self.teardown_mws()
        self.unload_tool()
        return maps, bar2, requests


class FastPathOn(FastPathBase):
    """
    :avocado: tags=vntb,fast_path
    """

    def test_window_is_shared_memory(self):
        maps, bar2, requests = self.window_to_ep()
        self.assertGreaterEqual(maps, 1, 'the RC QEMU has no %s region with the fast '
                                'path on; %s' % (MAP_REGION, self.logs_hint()))
        self.assertEqual(requests, 0, 'the EP served %d requests (%d to BAR2) over '
                         'the link while the RC used the window with the fast path '
                         'on; %s' % (requests, bar2, self.logs_hint()))

    def test_window_maps_write_combining(self):
        """vNTB makes its 64-bit memory window prefetchable, so the RC
        guest can map BAR2 write-combining (resource2_wc, as NTB clients
        ioremap_wc() it) and copy with memcpy: unaligned and paired
        accesses.  bar-copy checks what it reads back; the EP guest's
        buffer must hold the first word it wrote."""
        self.load_tool()
        self.write('ep', '%s/peer0/mw_trans0' % self.tool('ep'), MW_SIZE)
        self.check_in('rc', 'test -e %s/resource2_wc' % RC_FN)
        out = self.check_in('rc', 'bar-copy %s/resource2_wc 65536 1' % RC_FN)
        self.assertIn(' map=wc ', out, 'bar-copy did not map BAR2 write-combining')
        got = self.match_in('ep', 'dd if=%s/peer0/mw0 bs=8 count=1 2>/dev/null | '
                            'md5sum' % self.tool('ep'), r'[0-9a-f]{32}(\s+-)?').split()[0]
        self.assertEqual(got, FIRST_WORD_MD5, 'the EP buffer does not hold what '
                         'the RC copied into BAR2; %s' % self.logs_hint())
        self.teardown_mws()
        self.unload_tool()

    def test_rc_ram_is_shared_memory(self):
        windows, requests = self.window_to_rc()
        self.assertGreaterEqual(windows, 1, 'the EP QEMU has no %s region with the '
                                'fast path on; %s' % (WINDOW_REGION, self.logs_hint()))
        self.assertEqual(requests, 0, 'the RC served %d DMA requests of the EP with '
                         'the fast path on; %s' % (requests, self.logs_hint()))


class FastPathOff(FastPathBase):
    """
    :avocado: tags=vntb,fast_path
    """

    fast_path = 'off'

    def test_window_is_messages(self):
        maps, requests, _ = self.window_to_ep()
        self.assertEqual(maps, 0, 'a %s region in the RC QEMU with the fast path '
                         'off; %s' % (MAP_REGION, self.logs_hint()))
        # 1 MiB written in at most 8-byte stores, and read back
        self.assertGreaterEqual(requests, MW_SIZE // 8, 'the EP served only %d BAR2 '
                                'requests with the fast path off; %s'
                                % (requests, self.logs_hint()))

    def test_rc_ram_is_messages(self):
        windows, requests = self.window_to_rc()
        self.assertEqual(windows, 0, 'a %s region in the EP QEMU with the fast path '
                         'off; %s' % (WINDOW_REGION, self.logs_hint()))
        self.assertGreaterEqual(requests, MW_SIZE // 8, 'the RC served only %d DMA '
                                'requests with the fast path off; %s'
                                % (requests, self.logs_hint()))
