#!/usr/bin/python3
"""count_results.py - count a test suite's results the way CI judges them.

Usage: count_results.py meson TESTLOG.JSON [--expect MANIFEST] [--names OUT]
       count_results.py avocado RESULTS.JSON [--expect MANIFEST] [--names OUT]
                        [--filtered] [--top DIR]
       count_results.py fuzz --seconds N [--expect MANIFEST] [--names OUT]
                        NAME=LOG...
       count_results.py avocado-list [--expect MANIFEST] [--top DIR]
                        < 'avocado list' output

Prints one line of counts on stdout and, on stderr, one line per test that
was skipped (with its reason), warned, or ended in a way that counts as a
failure.  Every test is counted once, as passed, failed, skipped or warned.

  meson    'PASSED FAILED SKIPPED' from meson's testlog.json (one JSON object
           a line).  A TAP test that finished (OK or FAIL) counts its
           subtests; one that FAILed with every subtest ok counts one
           failure more.  A test that TIMEOUTed, ERRORed, was INTERRUPTed
           or ended in any other state counts the subtests it reported and
           one failure: it did not finish.  A TAP test whose plan is 1..0
           (no subtest) is a failure, not a skip.  Test names: the meson
           test's name (without 'project:suites / '), and for a TAP test
           each subtest as '<meson test> <subtest description>'.
  avocado  'PASSED FAILED SKIPPED WARNED' from avocado's --json file,
           counted test by test.  FAIL, ERROR, INTERRUPT(ED) (avocado 113's timeout) and any status
           this script does not know are failures; SKIP and CANCEL are
           skips; WARN is its own count (not a pass).  A job whose 'total'
           differs from the number of tests it lists counts one failure
           more (a test that never reported).  Test names: the test id
           without the job's numeric prefix, relative to --top.
  fuzz     'PASSED FAILED SKIPPED' of libFuzzer runs of --seconds each: NAME
           is the target, LOG its output (-print_final_stats=1) and LOG.rc
           its exit status.  A target fails on a non-zero exit (a crash, a
           broken invariant, a timeout) and, with --expect, when it ran
           fewer inputs than its floor in the manifest (rate x seconds).
  avocado-list
           prints a manifest of the tests 'avocado list' names on stdin,
           keeping the comments and notes of --expect (the way to
           regenerate tests/expected/avocado.txt without running them).

  --expect MANIFEST  the tests expected, one name a line (format:
           tests/expected/README.md).  Each offender is one failure: a test
           that ran but is not listed (appeared), a listed test that did not
           run (vanished; not counted with --filtered), a skip the manifest
           does not allow or whose reason does not contain the allowed text.
  --names OUT  write the manifest this run says is right: MANIFEST's lines
           (comments and notes kept) less the tests that vanished, plus
           those that appeared; a skip not allowed is written with a note
           '# skipped: <reason>' that is not valid until someone decides
           (allow it with '# skip: <text>', or fix the test).
  --filtered  (avocado) only some tests were selected: none vanishes.
  --top DIR   the checkout avocado test ids are made relative to (default:
           the one this script is in).
  --seconds N (fuzz) how long each target ran.

Exit status 0 (whatever the counts), or 2 on bad usage, an unreadable
file or a malformed manifest (named with its line).
"""

import argparse
import collections
import json
import math
import os
import re
import sys

TAP_LINE = re.compile(r'^(not ok|ok)\b[ \t]*([0-9]+)?[ \t]*(?:-[ \t]+)?'
                      r'([^#\n]*)(#[^\n]*)?$', re.M | re.I)
TAP_DIRECTIVE = re.compile(r'#[ \t]*(SKIP|TODO)\b[ \t]*(.*)', re.I)
MESON_PREFIX = re.compile(r'^[^ :/]+:[^ /]* / ')
TAP_EMPTY_PLAN = re.compile(r'^1\.\.0\b', re.M)
NOTE_KEYS = ('skip', 'floor')
FLOOR_VALUE = re.compile(r'^([0-9]+(?:\.[0-9]+)?)[ \t]*(?:(?:inputs?)?[ \t]*/[ \t]*s)?$')
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ManifestError(Exception):
    pass


class Result(object):
    """One test that ran: name, status ('pass', 'fail', 'skip' or 'warn'),
    and the reason of a skip or a failure."""

    def __init__(self, name, status, reason=''):
        self.name, self.status, self.reason = name, status, reason

    def __repr__(self):
        return 'Result(%r, %r, %r)' % (self.name, self.status, self.reason)


def squeeze(s):
    return ' '.join((s or '').split())


class Manifest(object):
    """Expected tests: one name a line, '#' starts a comment; a note
    '# skip: TEXT' after a name allows that test to skip when its reason
    contains TEXT, '# floor: N inputs/s' is a fuzz target's floor."""

    def __init__(self, text, path='<manifest>'):
        self.path = path
        self.lines = text.splitlines()
        self.entries = collections.OrderedDict()
        for no, line in enumerate(self.lines, 1):
            name, note = self.split(line)
            if name is None:
                continue
            where = '%s:%d' % (path, no)
            if name in self.entries:
                raise ManifestError('%s: %s is listed twice' % (where, name))
            skip = floor = None
            if note is not None:
                key, colon, value = note.partition(':')
                key, value = key.strip(), squeeze(value)
                if not colon or key not in NOTE_KEYS:
                    raise ManifestError(
                        "%s: unknown note '# %s' after %s: a skip is allowed "
                        "with '# skip: <text of its reason>', a fuzz floor is "
                        "'# floor: <N> inputs/s' (tests/expected/README.md)"
                        % (where, squeeze(note), name))
                if not value:
                    raise ManifestError("%s: '# %s:' after %s needs %s"
                                        % (where, key, name,
                                           'the text of the skip reason'
                                           if key == 'skip' else
                                           'a number of inputs a second'))
                if key == 'skip':
                    skip = value
                else:
                    m = FLOOR_VALUE.match(value)
                    if not m:
                        raise ManifestError("%s: floor '%s' of %s is not "
                                            "'<N> inputs/s'" % (where, value, name))
                    floor = float(m.group(1))
            self.entries[name] = (skip, floor)

    @staticmethod
    def split(line):
        """(name, note) of a line; name None for a blank or comment line."""
        name, sep, note = line.partition('#')
        name = name.strip()
        if not name:
            return None, None
        return name, (note.strip() if sep else None)

    @classmethod
    def read(cls, path):
        with open(path) as f:
            return cls(f.read(), path)

    def skip_allowed(self, name):
        return self.entries[name][0]

    def floor(self, name):
        return self.entries[name][1]


def tap_results(prefix, stdout):
    """Results of a TAP stream's test lines, named '<prefix> <description>'."""
    out = []
    for ok, num, desc, comment in TAP_LINE.findall(stdout or ''):
        name = '%s %s' % (prefix, squeeze(desc) or num or '?')
        d = TAP_DIRECTIVE.match(comment)
        if d and d.group(1).upper() == 'SKIP':
            out.append(Result(name, 'skip', squeeze(d.group(2))))
        elif ok.lower() == 'ok':
            out.append(Result(name, 'pass'))
        else:
            out.append(Result(name, 'fail', 'not ok'))
    return out


def meson_results(lines, err):
    """(results, extra failures not tied to one test name)."""
    results = []
    extra = 0
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        name, res, stdout = t.get('name'), t.get('result'), t.get('stdout') or ''
        # a subproject's test is 'project:suite+suite / name': the name only
        name = MESON_PREFIX.sub('', name or '')
        tap = tap_results(name, stdout)
        if not tap and TAP_EMPTY_PLAN.search(stdout):
            extra += 1
            err.write('%s: TAP plan 1..0, no subtest ran (%s): counted as '
                      'failed\n' % (name, res))
        elif tap and res in ('OK', 'FAIL', 'SKIP'):
            # (meson calls a TAP test whose every subtest skipped SKIP:
            # its subtests still say which ran and why each skipped)
            results += tap
            if res == 'FAIL' and all(r.status != 'fail' for r in tap):
                extra += 1
                err.write('%s: FAIL outside any subtest\n' % name)
        elif res in ('OK', 'EXPECTEDFAIL'):
            results.append(Result(name, 'pass'))
        elif res == 'SKIP':
            last = [s for s in stdout.splitlines() if s.strip()]
            results.append(Result(name, 'skip',
                                  squeeze(last[-1]) if last else 'exit status 77'))
        else:
            results += tap
            extra += 1
            err.write('%s: %s (did not finish: counted as failed)\n'
                      % (name, res))
    return results, extra


def avocado_name(test_id, top=TOP):
    """A test id as the manifest names it: no job prefix ('12-'), no
    variant (';...'), relative to top."""
    name = re.sub(r'^[0-9]+-', '', test_id or '').split(';')[0]
    prefix = top.rstrip('/') + '/'
    return name[len(prefix):] if name.startswith(prefix) else name


def avocado_results(d, err, top=TOP):
    results = []
    extra = 0
    tests = d.get('tests', [])
    for t in tests:
        name = avocado_name(t.get('id'), top)
        status, reason = t.get('status'), t.get('fail_reason')
        if status == 'PASS':
            results.append(Result(name, 'pass'))
        elif status == 'WARN':
            results.append(Result(name, 'warn'))
            err.write('warned: %s (see its log)\n' % name)
        elif status in ('SKIP', 'CANCEL'):
            results.append(Result(name, 'skip', squeeze(reason)))
        else:
            if status not in ('FAIL', 'ERROR', 'INTERRUPT', 'INTERRUPTED'):
                err.write('avocado: status %s counted as failed\n' % status)
            results.append(Result(name, 'fail', '%s %s' % (status, reason)))
    total = d.get('total', len(tests))
    if total != len(tests):
        err.write('avocado: the job says %s tests but lists %d: one failure '
                  'more\n' % (total, len(tests)))
        extra += 1
    return results, extra


def fuzz_floor(rate, seconds):
    """The fewest inputs a target with floor `rate` (inputs a second) must
    run in `seconds`."""
    return int(math.ceil(rate * seconds))


def fuzz_stat(log, key):
    m = re.search(r'^stat::%s:[ \t]*([0-9]+)' % key, log, re.M)
    return int(m.group(1)) if m else None


def fuzz_result(name, rc, log, seconds, rate, logpath='its log'):
    """Judge one libFuzzer run: a Result with a one-line reason.  rc is
    its exit status (None: unknown), log its output, rate its floor in
    inputs a second (None: no floor known)."""
    runs = fuzz_stat(log, 'number_of_executed_units')
    cov = re.findall(r'^#[0-9]+[ \t]+DONE[ \t]+cov:[ \t]*([0-9]+)', log, re.M)
    if rc != 0:
        repro = re.findall(r'Test unit written to (\S+)', log)
        return Result(name, 'fail', 'exit %s, reproducer %s; log %s'
                      % ('unknown' if rc is None else rc,
                         repro[-1] if repro else 'none saved', logpath))
    if runs is None:
        return Result(name, 'fail', 'exit 0 but no final stats '
                      '(stat::number_of_executed_units); log %s' % logpath)
    floor = None if rate is None else fuzz_floor(rate, seconds)
    if floor is not None and runs < floor:
        return Result(name, 'fail', '%d inputs in %ss, below its floor of %d '
                      '(%g inputs/s); log %s' % (runs, seconds, floor, rate, logpath))
    return Result(name, 'pass', '%d inputs in %ss%s, coverage %s, no crash'
                  % (runs, seconds, '' if floor is None else ' (floor %d)' % floor,
                     cov[-1] if cov else '?'))


def fuzz_results(pairs, seconds, manifest, err):
    results = []
    for name, path in pairs:
        try:
            with open(path, errors='replace') as f:
                log = f.read()
        except OSError as e:
            log = ''
            err.write('fuzz-%s: %s\n' % (name, e))
        try:
            with open(path + '.rc') as f:
                rc = int(f.read().strip())
        except (OSError, ValueError):
            rc = None
        rate = None
        if manifest is not None and name in manifest.entries:
            rate = manifest.floor(name)
        if manifest is not None and name in manifest.entries and rate is None:
            r = Result(name, 'fail', "no '# floor:' for it in %s" % manifest.path)
        else:
            r = fuzz_result(name, rc, log, seconds, rate, path)
        results.append(r)
        if r.status == 'pass':
            err.write('fuzz-%s OK: %s\n' % (name, r.reason))
        if r.status == 'fail' and rc != 0:
            err.write('---- fuzz-%s: last lines of %s ----\n' % (name, path))
            tail = [s for s in log.splitlines() if not re.match(r"#[0-9]+", s)]
            err.write(''.join(s + '\n' for s in tail[-25:]))
    return results, 0


def judge(results, extra, manifest, err, filtered=False):
    """Counts {'pass', 'fail', 'skip', 'warn'} of results plus `extra`
    failures, with the manifest's rules when manifest is not None (each
    offender one failure; with filtered, none vanishes).  Returns (counts,
    number of offenders)."""
    counts = collections.Counter(fail=extra)
    offenders = 0
    seen = set()
    for r in results:
        status = r.status
        if manifest is None:
            if r.status == 'skip':
                err.write('skipped: %s: %s\n' % (r.name, r.reason))
        elif r.name in seen:
            err.write('ran twice: %s (names must be unique)\n' % r.name)
            status = 'fail'
            offenders += 1
        elif r.name not in manifest.entries:
            err.write('appeared: %s (%s, not in %s)\n'
                      % (r.name, r.status, manifest.path))
            status = 'fail'
            offenders += 1
        elif r.status == 'skip':
            allowed = manifest.skip_allowed(r.name)
            if allowed is None:
                err.write('skip not allowed: %s: %s (no "# skip:" for it in '
                          '%s)\n' % (r.name, r.reason, manifest.path))
            elif allowed not in r.reason:
                err.write('skip reason differs: %s: %s (%s allows "%s")\n'
                          % (r.name, r.reason, manifest.path, allowed))
            else:
                err.write('skipped (allowed): %s: %s\n' % (r.name, r.reason))
            if allowed is None or allowed not in r.reason:
                status = 'fail'
                offenders += 1
        seen.add(r.name)
        if r.status == 'fail':
            err.write('failed: %s: %s\n' % (r.name, r.reason))
        counts[status] += 1
    if manifest is not None and not filtered:
        for name in manifest.entries:
            if name not in seen:
                err.write('vanished: %s (in %s, did not run)\n'
                          % (name, manifest.path))
                counts['fail'] += 1
                offenders += 1
    return counts, offenders


def names_text(manifest, results, filtered=False, seconds=None):
    """The manifest this run says is right (see --names)."""
    ran = collections.OrderedDict()
    for r in results:
        ran.setdefault(r.name, r)

    def line(name, note):
        return name + ('  # ' + note if note else '')

    def unexpected(r):
        if r.status != 'skip':
            return False
        allowed = manifest.skip_allowed(r.name) if manifest and \
            r.name in manifest.entries else None
        return allowed is None or allowed not in r.reason

    out = []
    listed = set()
    if manifest is not None:
        for raw in manifest.lines:
            name, note = Manifest.split(raw)
            if name is None:
                out.append(raw)
                continue
            listed.add(name)
            if name not in ran:
                if filtered:
                    out.append(raw)
            elif unexpected(ran[name]):
                out.append(line(name, 'skipped: ' + ran[name].reason))
            else:
                out.append(raw)
    for name in sorted(n for n in ran if n not in listed):
        r = ran[name]
        note = None
        if unexpected(r):
            note = 'skipped: ' + r.reason
        elif seconds:
            runs = fuzz_stat_of(r)
            if runs:
                note = 'floor: %s inputs/s' % suggest_rate(runs, seconds)
        out.append(line(name, note))
    return ''.join(s + '\n' for s in out)


def fuzz_stat_of(r):
    m = re.match(r'([0-9]+) inputs', r.reason or '')
    return int(m.group(1)) if m else None


def suggest_rate(runs, seconds):
    """A floor for a new fuzz target: a tenth of this run's rate, one
    significant digit, at least 1 input a second."""
    rate = runs / float(seconds) / 10
    if rate < 1:
        return 1
    mag = 10 ** int(math.floor(math.log10(rate)))
    return int(rate // mag * mag)


def avocado_list_names(lines, top=TOP):
    out = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and ':' in parts[1]:
            out.append(Result(avocado_name(parts[1], top), 'pass'))
    return out


def parse_args(argv):
    if '-h' in argv or '--help' in argv:
        sys.stdout.write(__doc__)
        sys.exit(0)
    p = argparse.ArgumentParser(
        prog='count_results.py', add_help=False,
        usage=__doc__.split('\n\n')[1].replace('Usage: ', '', 1) +
        '\n(see --help)')
    p.add_argument('mode', choices=('meson', 'avocado', 'fuzz', 'avocado-list'))
    p.add_argument('inputs', nargs='*')
    p.add_argument('--expect')
    p.add_argument('--names')
    p.add_argument('--filtered', action='store_true')
    p.add_argument('--top', default=TOP)
    p.add_argument('--seconds', type=int)
    a = p.parse_intermixed_args(argv)
    n = len(a.inputs)
    if a.mode in ('meson', 'avocado') and n != 1:
        p.error('%s takes one results file' % a.mode)
    if a.mode == 'fuzz' and (not a.seconds or a.seconds < 1 or
                             any('=' not in i for i in a.inputs)):
        p.error('fuzz takes --seconds N and NAME=LOG arguments')
    if a.mode == 'avocado-list' and n:
        p.error('avocado-list reads avocado list output on stdin')
    return a


def main(argv):
    a = parse_args(argv[1:])
    err = sys.stderr
    try:
        manifest = Manifest.read(a.expect) if a.expect else None
        if a.mode == 'avocado-list':
            sys.stdout.write(names_text(manifest,
                                        avocado_list_names(sys.stdin, a.top)))
            return 0
        if a.mode == 'meson':
            with open(a.inputs[0]) as f:
                results, extra = meson_results(f, err)
        elif a.mode == 'avocado':
            with open(a.inputs[0]) as f:
                results, extra = avocado_results(json.load(f), err, a.top)
        else:
            results, extra = fuzz_results([i.split('=', 1) for i in a.inputs],
                                          a.seconds, manifest, err)
    except (OSError, ValueError, ManifestError) as e:
        err.write('count_results.py: %s\n' % e)
        return 2
    counts, offenders = judge(results, extra, manifest, err,
                              filtered=a.filtered)
    if a.names:
        with open(a.names, 'w') as f:
            f.write(names_text(manifest, results, a.filtered,
                               a.seconds if a.mode == 'fuzz' else None))
        if offenders:
            err.write('%d test(s) differ from %s; the names this run produced '
                      'are in %s: if the change is meant, review it and copy '
                      'it over %s (tests/expected/README.md)\n'
                      % (offenders, a.expect, a.names, a.expect))
    keys = ('pass', 'fail', 'skip') + (('warn',) if a.mode == 'avocado' else ())
    print(' '.join(str(counts[k]) for k in keys))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
