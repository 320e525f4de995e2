#!/usr/bin/python3
"""link_fault.py - inject, show or clear link faults on a running pair.

Each fault is a QOM property of the link's two ends, set with QMP's
qom-set: the EP controller (id dwc0, in <run-dir>/ep-qmp.sock) and the
RC's link device (id eplink, in <run-dir>/rc-qmp.sock).  What each fault
models, its values and what the kernels see: docs/link-faults.md.
run-pair.sh --fault calls this; it can be run on its own too.
"""

import argparse
import asyncio
import os
import re
import sys

from qemu.qmp import ExecuteError, QMPClient

DEVICES = {'ep': '/machine/peripheral/dwc0', 'rc': '/machine/peripheral/eplink'}

# name: (property, sides it may be set on, default sides, kind)
FAULTS = {
    'link': ('x-fault-link', ('ep', 'rc'), ('rc',), str),
    'perst': ('x-fault-perst', ('rc',), ('rc',), bool),
    'cpl': ('x-fault-cpl', ('ep', 'rc'), ('ep',), str),
    'delay-us': ('x-fault-delay-us', ('ep', 'rc'), ('ep', 'rc'), int),
    'msi': ('x-fault-msi', ('ep',), ('ep',), str),
}
# What 'clear' sets; read back by 'show'.
CLEARED = {'link': 'up', 'perst': False, 'cpl': 'none', 'delay-us': 0,
           'msi': 'none'}
# 'show' reads these on each side (x-fault-perst is read-only on the EP).
SHOWN = {'ep': ('link', 'perst', 'cpl', 'delay-us', 'msi'),
         'rc': ('link', 'perst', 'cpl', 'delay-us')}

HELP_SPECS = """fault specs, each [ep:|rc:]NAME=VALUE, or a word:
  link=down|up        surprise link down, then up (default side: rc)
  perst=on|off        the RC asserts, then releases PERST# (rc only)
  cpl=ur|ca|timeout:bar=N, cpl=ur|ca|timeout:ADDR+LEN, cpl=none
                      completions of the EP's BAR N, or of an address range
                      (ep: the RC's accesses to the EP; rc: the EP's DMA
                      and MSIs into RC memory), answered with UR or CA, or
                      never (the requester's completion timeout)
                      (default side: ep)
  delay-us=N          hold every message N microseconds (0 to 1000000)
                      (default: both sides)
  msi=drop|dup[:every=N], msi=none
                      drop or duplicate the EP's MSIs (every one, or every
                      Nth) (ep only)
  show                print the faults in force on both sides
  clear               end every fault on both sides"""


async def _session(path, commands):
    client = QMPClient('link-fault')
    await client.connect(path)
    try:
        out = []
        for cmd, args in commands:
            out.append(await client.execute(cmd, args))
        return out
    finally:
        await client.disconnect()


def qmp(path, commands, timeout=30):
    """Run QMP @commands [(name, args)] on the socket at @path; return
    their answers.  Raises RuntimeError with QEMU's error text."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(
            asyncio.wait_for(_session(path, commands), timeout))
    except ExecuteError as e:
        raise RuntimeError(str(e)) from None
    except asyncio.TimeoutError:
        raise RuntimeError('no answer on %s within %d s' % (path, timeout)) from None
    except OSError as e:
        raise RuntimeError('cannot reach %s: %s (is the pair running?)' % (path, e)) from None
    finally:
        loop.close()


def parse_spec(spec):
    """[(side, property, value)] for one spec; ValueError says what is
    wrong with it."""
    if spec in ('show', 'clear'):
        return spec
    m = re.fullmatch(r'(?:(ep|rc):)?([a-z-]+)=(.+)', spec)
    if not m:
        raise ValueError("'%s' is no fault spec: give [ep:|rc:]NAME=VALUE, show or clear" % spec)
    side, name, value = m.groups()
    if name not in FAULTS:
        raise ValueError("'%s': no fault named '%s' (%s)" % (spec, name, ', '.join(FAULTS)))
    prop, allowed, default, kind = FAULTS[name]
    if side and side not in allowed:
        raise ValueError("'%s': %s can be set on %s only" % (spec, name, ' and '.join(allowed)))
    if kind is bool:
        if value not in ('on', 'off'):
            raise ValueError("'%s': %s takes on or off" % (spec, name))
        value = value == 'on'
    elif name == 'link' and value not in ('up', 'down'):
        raise ValueError("'%s': link takes up or down" % spec)
    elif kind is int:
        if not re.fullmatch(r'[0-9]{1,7}', value):
            raise ValueError("'%s': %s takes microseconds, 0 to 1000000" % (spec, name))
        value = int(value)
    return [(s, prop, value) for s in ((side,) if side else default)]


def socket_of(run_dir, side):
    return os.path.join(run_dir, '%s-qmp.sock' % side)


def show(run_dir):
    for side, names in SHOWN.items():
        got = qmp(socket_of(run_dir, side),
                  [('qom-get', {'path': DEVICES[side], 'property': FAULTS[n][0]})
                   for n in names])
        print('%s: %s' % (side, ' '.join('%s=%s' % (n, v) for n, v in zip(names, got))))


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, epilog=HELP_SPECS,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--run-dir', help="the pair's run directory")
    ap.add_argument('--check', action='store_true',
                    help='only check the specs, set nothing')
    ap.add_argument('spec', nargs='+', help='a fault spec (below); applied in order')
    a = ap.parse_args()
    try:
        plans = [parse_spec(s) for s in a.spec]
    except ValueError as e:
        print('link_fault.py: %s' % e, file=sys.stderr)
        return 2
    if a.check:
        return 0
    if not a.run_dir:
        print('link_fault.py: --run-dir is needed (the pair to act on)', file=sys.stderr)
        return 2
    try:
        for spec, plan in zip(a.spec, plans):
            if plan == 'show':
                show(a.run_dir)
                continue
            if plan == 'clear':
                plan = [(s, FAULTS[n][0], CLEARED[n])
                        for n in ('perst', 'link', 'cpl', 'delay-us', 'msi')
                        for s in FAULTS[n][1]]
            for side, prop, value in plan:
                qmp(socket_of(a.run_dir, side),
                    [('qom-set', {'path': DEVICES[side], 'property': prop,
                                  'value': value})])
                print('%s: %s=%s' % (side, prop, value))
    except RuntimeError as e:
        print('link_fault.py: %s: %s' % (spec, e), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
