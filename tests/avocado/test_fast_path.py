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
    on over QMP) records no BAR2 request with the fast path on, and the
    copy's requests with it off;
  * the data the RC guest wrote is what the EP guest reads in its buffer,
    either way.

And the other way, EP -> RC through the EP's outbound window onto the
buffer in RC RAM that the RC's ntb_tool set up: with the fast path on the
RC hands its RAM to the EP QEMU (the function has Bus Master Enable set
and no IOMMU), the EP's window is that RAM (a dw-pcie-ep.rc-ram-window
region in the EP QEMU's memory tree) and the RC QEMU serves none of the
copy's requests (pci_ep_link_dma, switched on over QMP); off, it serves
them all.
"""

import hashlib
import os
import re
import struct

from test_ntb_tool import MW_SIZE, NtbToolPair

MAP_REGION = 'pci-ep-link.bar2-map'
WINDOW_REGION = 'dw-pcie-ep.rc-ram-window'
BAR2_INBOUND = re.compile(r'dw_pcie_ep_inbound BAR2 ')
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

    def ep_bar2_requests(self):
        return self.traced('ep', BAR2_INBOUND)

    def window_to_rc(self):
        """EP -> RC through the EP's outbound window; returns (windows of
        RC RAM in the EP QEMU while it is up, RC DMA requests served)."""
        self.load_tool()
        self.qmp('rc', ('trace-event-set-state',
                        {'name': 'pci_ep_link_dma', 'enable': True}))
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
        is up, BAR2 requests the EP served)."""
        self.load_tool()
        self.qmp('ep', ('trace-event-set-state',
                        {'name': 'dw_pcie_ep_inbound', 'enable': True}))
        before = self.ep_bar2_requests()
        self.mw_transfer('rc', 'ep', 'rc2ep')
        maps = self.rc_maps()
        requests = self.ep_bar2_requests() - before
        self.log.info('fast path %s: %d map region(s) in the RC, %d BAR2 '
                      'requests served by the EP', self.fast_path, maps, requests)
        self.teardown_mws()
        self.unload_tool()
        return maps, requests


class FastPathOn(FastPathBase):
    """
    :avocado: tags=vntb,fast_path
    """

    def test_window_is_shared_memory(self):
        maps, requests = self.window_to_ep()
        self.assertGreaterEqual(maps, 1, 'the RC QEMU has no %s region with the fast '
                                'path on; %s' % (MAP_REGION, self.logs_hint()))
        self.assertEqual(requests, 0, 'the EP served %d BAR2 requests over the link '
                         'with the fast path on; %s' % (requests, self.logs_hint()))

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
        maps, requests = self.window_to_ep()
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
