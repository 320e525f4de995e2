"""The RC's memory map changes while its vCPU waits for the link.

A BAR read that stays on messages makes the RC guest's vCPU wait for the
completion with the BQL released.  Meanwhile the link may change the RC
QEMU's memory map: a MAP from the endpoint puts its RAM into a BAR or
takes it out again (or a function is plugged).  QEMU 10.0 read a vCPU's
I/O TLB entry in the address space's current map, not in the one the
entry was made from, and the TLB flush that a map change queues waits for
the vCPU to end its translated block: an access made with an entry looked
up before the change went to another section (a wrong value, a fault), or
QEMU aborted in iotlb_to_section() on "section_index < d->map.sections_nb"
(as test_hostile_peer saw, 1 run in 4).  qemu/patches/0005 keeps each
vCPU's TLB in the map it was made from.

QEMU ends a block at an I/O access, so the test uses the one case where
two I/O accesses share an instruction: a 64-bit load across a page
boundary, whose two TLB entries are looked up before the first access
runs.  It stops the EP QEMU and plays a small endpoint from Python on the
RC's link socket, with the shared-memory fast path offered: one function
(1b36:dead, class ff0000, no driver binds it) with a 64 KiB 64-bit
prefetchable BAR0 (so that the RC guest can map it write-combining, where
an unaligned load is allowed) whose reads return 0xb0000000 | offset.
Every read of BAR0 offset 0x1ffc, the first half of the load, sends a MAP
that puts a page of a memfd at BAR0 offset 0 (or, every other time, takes
it out again) before its completion: the section that holds BAR0's other
pages moves each time, and the second half (offset 0x2000) is read with
the entry of the old map.  Every load must read both halves from BAR0,
the RC QEMU must be alive and the RC must have accepted the MAPs (else
the test proved nothing).
"""

import os
import socket
import struct

from linkproto import (CFG_RD, CFG_WR, CPL, LINK, MAP, MEM_RD, ROLE_EP, Peer,
                       hello, msg)
from pair import PairTest, pid_alive

FEAT_SHM = 1
BAR0_SIZE = 0x10000
TRIGGER = 0x1ffc            # the load's first half, which moves the map
LOADS = 300
PAGE = 4096


class FakeEndpoint(Peer):
    """The endpoint side of the link, on a connected socket."""

    def __init__(self, sock):
        super().__init__(sock)
        self.cfg = bytearray(4096)
        self.wmask = bytearray(4096)
        struct.pack_into('<HHHH', self.cfg, 0, 0x1b36, 0xdead, 0, 0)
        self.cfg[0x0b] = 0xff                       # class ff0000
        struct.pack_into('<H', self.wmask, 0x04, 0x0547)
        struct.pack_into('<I', self.cfg, 0x10, 0xc)     # 64-bit, prefetchable
        struct.pack_into('<II', self.wmask, 0x10, ~(BAR0_SIZE - 1) & 0xffffffff,
                         0xffffffff)
        self.wmask[0x3c] = 0xff
        self.ram = os.memfd_create('fake-ep-ram')
        os.ftruncate(self.ram, PAGE)
        os.pwrite(self.ram, b'\x5a' * PAGE, 0)
        self.mapped = False
        self.maps_sent = self.maps_ok = self.maps_refused = 0
        self.map_tags = set()
        self.next_tag = 1

    def start(self):
        super().start(hello(ROLE_EP, FEAT_SHM) + msg(LINK, struct.pack('<B3x', 1)))

    def stop(self):
        super().stop()
        os.close(self.ram)

    def handle(self, mtype, status, tag, body):
        if mtype == CFG_RD:
            self.cfg_read(body, tag)
        elif mtype == CFG_WR:
            self.cfg_write(body, tag)
        elif mtype == MEM_RD:
            self.mem_read(body, tag)
        elif mtype == MAP:      # the RC's RAM: not wanted here
            self.send(msg(CPL, b'', tag, 1))
        elif mtype == CPL and tag in self.map_tags:
            self.map_tags.discard(tag)
            if status == 0:
                self.maps_ok += 1
            else:
                self.maps_refused += 1

    def cfg_read(self, body, tag):
        off, size = struct.unpack_from('<HB', body)
        self.send(msg(CPL, bytes(self.cfg[off:off + size]), tag))

    def cfg_write(self, body, tag):
        off, size, _, val = struct.unpack_from('<HBBI', body)
        for i in range(size):
            m = self.wmask[off + i]
            b = (val >> (8 * i)) & 0xff
            self.cfg[off + i] = (self.cfg[off + i] & ~m & 0xff) | (b & m)
        self.send(msg(CPL, b'', tag))

    def mem_read(self, body, tag):
        addr, size, bar = struct.unpack_from('<QIB', body)
        off = addr & (BAR0_SIZE - 1)
        if bar == 0 and off == TRIGGER:
            self.move_map()
        data = b''.join(struct.pack('<I', 0xb0000000 | (off + i))
                        for i in range(0, size + 3, 4))[:size]
        self.send(msg(CPL, data, tag))

    def move_map(self):
        """Put the memfd page at BAR0 offset 0, or take it out again."""
        tag = self.next_tag
        self.next_tag += 1
        self.map_tags.add(tag)
        self.mapped = not self.mapped
        if self.mapped:
            body = struct.pack('<BBB5xQQQ', 0, 0, 1, 0, PAGE, 0)
            with self.lock:
                socket.send_fds(self.sock, [msg(MAP, body, tag)], [self.ram])
        else:
            self.send(msg(MAP, struct.pack('<BBB5xQQQ', 0, 0, 0, 0, 0, 0),
                                  tag))
        self.maps_sent += 1


class MapChangeTest(PairTest):
    """
    :avocado: tags=link,robust,fastpath
    """

    # the MAPs are the fast path's: the RC takes them only with it on
    run_pair_args = ['--function', 'none', '--fast-path', 'on']

    def test_map_change_during_bar_read(self):
        self.stop_guest_qemu('ep')
        ep = FakeEndpoint(self.connect_rc_link())
        ep.start()
        try:
            find = ('(for d in /sys/bus/pci/devices/*; do '
                    'grep -q 0xdead $d/device && echo $d && exit 0; done; exit 1)')
            self.wait_in('rc', find, 'the fake endpoint was not enumerated', 60)
            dev = self.check_in('rc', find).strip().splitlines()[-1]
            self.check_in('rc', 'echo 1 > %s/enable' % dev)
            value = (0xb0000000 | (TRIGGER + 4)) << 32 | 0xb0000000 | TRIGGER
            status, out = self.run_in(
                'rc', 'bar-read-span %s/resource0_wc %#x %d %#x'
                % (dev, TRIGGER, LOADS, value), timeout=300)
            pid = self.qemu_pid('rc')
            self.assertTrue(pid_alive(pid),
                            'the RC QEMU died; %s' % self.logs_hint())
            self.log.info('MAPs sent %d, accepted %d, refused %d; reader: %s',
                          ep.maps_sent, ep.maps_ok, ep.maps_refused, ep.error)
            self.assertEqual(status, 0, 'bar-read-span failed (%d; 135 is '
                             'SIGBUS: a half went to no device): %s; %s'
                             % (status, out, self.logs_hint()))
            self.assertIn('loads=%d bad=0' % LOADS, out,
                          'a half read after the map changed went elsewhere: %s'
                          % out)
            self.assertGreaterEqual(ep.maps_sent, LOADS,
                                    'not every load moved the map')
            self.assertGreater(ep.maps_ok, LOADS // 2,
                               'the RC refused the MAPs (%d of %d accepted): the '
                               'map never changed' % (ep.maps_ok, ep.maps_sent))
            self.assertIsNone(ep.error, 'the link broke: %s' % ep.error)
        finally:
            ep.stop()
