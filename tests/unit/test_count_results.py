#!/usr/bin/python3
"""Unit tests of scripts/count_results.py: how test.sh counts results.

Each case is a result file shaped like meson's, avocado's or libFuzzer's,
with the counts CI must see; with a manifest (tests/expected/README.md),
also the offenders it must find.  Prints TAP (a case's diagnostics on '#'
lines, so that its name stays the one in tests/expected/unit.txt).
"""

import glob
import io
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, 'scripts'))
import count_results as cr  # noqa: E402


def meson(*tests):
    return [json.dumps(t) for t in tests]


def counts(kind, data, manifest=None, filtered=False):
    """(counts tuple, offenders, stderr text) of one result file."""
    err = io.StringIO()
    m = None if manifest is None else cr.Manifest(manifest, 'm.txt')
    if kind == 'meson':
        results, extra = cr.meson_results(data, err)
    else:
        results, extra = cr.avocado_results(data, err, '/top')
    c, offenders = cr.judge(results, extra, m, err, filtered)
    keys = ('pass', 'fail', 'skip') + (('warn',) if kind == 'avocado' else ())
    return tuple(c[k] for k in keys), offenders, err.getvalue()


def expect(got, want, err=''):
    if got == want:
        return None
    return 'got %r, want %r\n%s' % (got, want, err)


TAP3 = 'ok 1 a\nnot ok 2 b\nok 3 c # SKIP no link\n'
CASES = []


def case(name):
    def add(f):
        CASES.append((name, f))
        return f
    return add


def plain(name, kind, data, want):
    """A case without a manifest: the counts only."""
    case(name)(lambda: expect(counts(kind, data)[0], want))


plain('meson TAP subtests counted', 'meson',
      meson({'name': 'x', 'result': 'FAIL', 'stdout': TAP3}), (1, 1, 1))
plain('meson SKIP of a TAP test counts its subtests', 'meson',
      meson({'name': 'x', 'result': 'SKIP',
             'stdout': '1..2\nok 1 a # SKIP no device\nok 2 b # SKIP no device\n'}),
      (0, 0, 2))
plain('meson FAIL with every subtest ok is a failure', 'meson',
      meson({'name': 'x', 'result': 'FAIL', 'stdout': 'ok 1 a\n'}), (1, 1, 0))
plain('meson interrupted TAP test is a failure', 'meson',
      meson({'name': 'x', 'result': 'INTERRUPT', 'stdout': 'ok 1 a\nok 2 b\n'}),
      (2, 1, 0))
plain('meson timeout is a failure', 'meson',
      meson({'name': 'x', 'result': 'TIMEOUT', 'stdout': ''}), (0, 1, 0))
plain('meson plain results', 'meson',
      meson({'name': 'a', 'result': 'OK'}, {'name': 'b', 'result': 'SKIP'},
            {'name': 'c', 'result': 'ERROR'}), (1, 1, 1))
plain('avocado statuses', 'avocado',
      {'total': 6, 'tests': [{'id': '1', 'status': 'PASS'},
                             {'id': '2', 'status': 'WARN'},
                             {'id': '3', 'status': 'CANCEL', 'fail_reason': 'r'},
                             {'id': '4', 'status': 'INTERRUPTED'},
                             {'id': '5', 'status': 'ERROR'},
                             {'id': '6', 'status': 'FAIL'}]},
      (1, 3, 1, 1))
plain('avocado WARN is not a pass', 'avocado',
      {'total': 1, 'tests': [{'id': '1', 'status': 'WARN'}]}, (0, 0, 0, 1))
plain('avocado unknown status is a failure', 'avocado',
      {'total': 1, 'tests': [{'id': '1', 'status': 'STARTED'}]}, (0, 1, 0, 0))
plain('avocado total above the tests listed is a failure', 'avocado',
      {'total': 3, 'tests': [{'id': '1', 'status': 'PASS'}]}, (1, 1, 0, 0))

# A TAP binary with no subtest: meson calls it SKIP, CI a failure.
plain('meson TAP plan 1..0 is a failure, not a skip', 'meson',
      meson({'name': 'x', 'result': 'SKIP', 'stdout': '# random seed: R\n1..0\n'}),
      (0, 1, 0))
plain('meson TAP plan 1..0 with a SKIP directive is a failure', 'meson',
      meson({'name': 'x', 'result': 'SKIP', 'stdout': '1..0 # SKIP nothing\n'}),
      (0, 1, 0))

@case("meson: a subproject test's 'project:suites / ' is left out of its names")
def _():
    err = io.StringIO()
    results, _ = cr.meson_results(meson(
        {'name': 'qemu:qtest+qtest-aarch64 / qtest-aarch64/t', 'result': 'OK',
         'stdout': '1..1\nok 1 /aarch64/t/a\n'}), err)
    return expect([r.name for r in results], ['qtest-aarch64/t /aarch64/t/a'])


# The manifest of the meson cases below: x's three subtests (c may skip
# when the link is missing), the plain test p.
MESON_MANIFEST = '''# comment
x a
x b
x c  # skip: no link
p
'''
MESON_RUN = [{'name': 'x', 'result': 'OK',
              'stdout': '1..3\nok 1 a\nok 2 b\nok 3 c # SKIP no link here\n'},
             {'name': 'p', 'result': 'OK', 'stdout': 'fine\n'}]


@case('manifest: every test listed and an allowed skip passes')
def _():
    got = counts('meson', meson(*MESON_RUN), MESON_MANIFEST)
    return expect(got[:2], ((3, 0, 1), 0), got[2])


@case('manifest: a test that appeared fails')
def _():
    run = MESON_RUN + [{'name': 'new', 'result': 'OK'}]
    got = counts('meson', meson(*run), MESON_MANIFEST)
    return expect(got[:2], ((3, 1, 1), 1), got[2]) or \
        expect('appeared: new' in got[2], True, got[2])


@case('manifest: a subtest that appeared fails')
def _():
    run = [dict(MESON_RUN[0], stdout=MESON_RUN[0]['stdout'] + 'ok 4 d\n'),
           MESON_RUN[1]]
    got = counts('meson', meson(*run), MESON_MANIFEST)
    return expect(got[:2], ((3, 1, 1), 1), got[2]) or \
        expect('appeared: x d' in got[2], True, got[2])


@case('manifest: a test that vanished fails')
def _():
    got = counts('meson', meson(MESON_RUN[0]), MESON_MANIFEST)
    return expect(got[:2], ((2, 1, 1), 1), got[2]) or \
        expect('vanished: p' in got[2], True, got[2])


@case('manifest: a crashed TAP binary fails for each subtest it did not run')
def _():
    run = [dict(MESON_RUN[0], result='ERROR', stdout='1..3\nok 1 a\n'),
           MESON_RUN[1]]
    got = counts('meson', meson(*run), MESON_MANIFEST)
    return expect(got[:2], ((2, 3, 0), 2), got[2])


@case('manifest: a skip not in the allowlist fails')
def _():
    m = MESON_MANIFEST.replace('x c  # skip: no link', 'x c')
    got = counts('meson', meson(*MESON_RUN), m)
    return expect(got[:2], ((3, 1, 0), 1), got[2]) or \
        expect('skip not allowed: x c: no link here' in got[2], True, got[2])


@case('manifest: a skip for another reason than the allowed one fails')
def _():
    run = [dict(MESON_RUN[0], stdout='ok 1 a\nok 2 b\nok 3 c # SKIP no memory\n'),
           MESON_RUN[1]]
    got = counts('meson', meson(*run), MESON_MANIFEST)
    return expect(got[:2], ((3, 1, 0), 1), got[2]) or \
        expect('skip reason differs: x c' in got[2], True, got[2])


@case('manifest: a skip-allowed test that passes passes')
def _():
    run = [dict(MESON_RUN[0], stdout='ok 1 a\nok 2 b\nok 3 c\n'), MESON_RUN[1]]
    got = counts('meson', meson(*run), MESON_MANIFEST)
    return expect(got[:2], ((4, 0, 0), 0), got[2])


@case('manifest: a 1..0 binary fails and its listed subtests vanish')
def _():
    run = [dict(MESON_RUN[0], result='SKIP', stdout='1..0\n'), MESON_RUN[1]]
    got = counts('meson', meson(*run), MESON_MANIFEST)
    return expect(got[:2], ((1, 4, 0), 3), got[2])


AV_MANIFEST = '''tests/avocado/test_a.py:A.test_one
tests/avocado/test_a.py:A.test_two  # skip: driver limitation
'''


def av(*tests):
    return {'total': len(tests),
            'tests': [{'id': '%d-/top/tests/avocado/test_a.py:A.%s' % (i, n),
                       'status': s, 'fail_reason': r}
                      for i, (n, s, r) in enumerate(tests, 1)]}


@case('avocado: ids named without the job prefix, relative to the checkout')
def _():
    got = [cr.avocado_name(i, '/top') for i in
           ('12-/top/tests/avocado/test_a.py:A.test_one;variant-1',
            '3-tests/avocado/test_a.py:A.test_one')]
    return expect(got, ['tests/avocado/test_a.py:A.test_one'] * 2)


@case('avocado: manifest happy path, a CANCEL allowed by its reason')
def _():
    got = counts('avocado', av(('test_one', 'PASS', None),
                               ('test_two', 'CANCEL',
                                'driver limitation: the mask is ignored')),
                 AV_MANIFEST)
    return expect(got[:2], ((1, 0, 1, 0), 0), got[2])


@case('avocado: a test that vanished fails without a filter')
def _():
    got = counts('avocado', av(('test_one', 'PASS', None)), AV_MANIFEST)
    return expect(got[:2], ((1, 1, 0, 0), 1), got[2])


@case('avocado: with a filter a test that did not run is no failure')
def _():
    got = counts('avocado', av(('test_one', 'PASS', None)), AV_MANIFEST,
                 filtered=True)
    return expect(got[:2], ((1, 0, 0, 0), 0), got[2])


@case('avocado: with a filter a test that appeared still fails')
def _():
    got = counts('avocado', av(('test_one', 'PASS', None),
                               ('test_new', 'PASS', None)), AV_MANIFEST,
                 filtered=True)
    return expect(got[:2], ((1, 1, 0, 0), 1), got[2])


@case('avocado: an unlisted CANCEL fails')
def _():
    got = counts('avocado', av(('test_one', 'CANCEL', 'needs root'),
                               ('test_two', 'PASS', None)), AV_MANIFEST)
    return expect(got[:2], ((1, 1, 0, 0), 1), got[2])


def fuzz_log(runs, cov=100):
    return ('INFO: Seed: 1\n#2\tINITED cov: 5\n#%d\tDONE cov: %d ft: 9\n'
            'Done %d runs in 30 second(s)\nstat::number_of_executed_units: %d\n'
            'stat::peak_rss_mb: 40\n' % (runs, cov, runs, runs))


@case('fuzz: the floor is the rate times FUZZ_SECONDS')
def _():
    return expect([cr.fuzz_floor(100, 30), cr.fuzz_floor(100, 5),
                   cr.fuzz_floor(2.5, 3)], [3000, 500, 8])


@case('fuzz: a target below its floor fails')
def _():
    low = cr.fuzz_result('t', 0, fuzz_log(2999), 30, 100)
    at = cr.fuzz_result('t', 0, fuzz_log(3000), 30, 100)
    longer = cr.fuzz_result('t', 0, fuzz_log(3000), 60, 100)
    return expect([low.status, at.status, longer.status],
                  ['fail', 'pass', 'fail'], low.reason)


@case('fuzz: a crash fails above the floor, no final stats fails')
def _():
    crash = cr.fuzz_result('t', 1, fuzz_log(10 ** 6) +
                           'Test unit written to /a/crash-1\n', 30, 100)
    nostats = cr.fuzz_result('t', 0, '#2\tINITED cov: 5\n', 30, 100)
    return expect([crash.status, '/a/crash-1' in crash.reason, nostats.status],
                  ['fail', True, 'fail'], crash.reason)


@case('fuzz: logs judged against the manifest (floor, no floor, vanished)')
def _():
    with tempfile.TemporaryDirectory() as d:
        pairs = []
        for name, runs, rc in (('fast', 90000, 0), ('slow', 50, 0),
                               ('nofloor', 90000, 0)):
            p = os.path.join(d, name + '.log')
            with open(p, 'w') as f:
                f.write(fuzz_log(runs))
            with open(p + '.rc', 'w') as f:
                f.write('%d\n' % rc)
            pairs.append((name, p))
        m = cr.Manifest('fast  # floor: 100 inputs/s\nslow  # floor: 10/s\n'
                        'nofloor\ngone  # floor: 1 inputs/s\n')
        err = io.StringIO()
        results, extra = cr.fuzz_results(pairs, 30, m, err)
        c, offenders = cr.judge(results, extra, m, err)
    return expect(((c['pass'], c['fail'], c['skip']), offenders),
                  ((1, 3, 0), 1), err.getvalue())


@case('manifest: malformed lines are errors naming the line')
def _():
    bad = []
    for text in ('a\na\n', 'a  # skipped: r\n', 'a  # skip:\n',
                 'a  # floor: fast\n', 'a  # why not\n'):
        try:
            cr.Manifest(text, 'm.txt')
            bad.append(text)
        except cr.ManifestError as e:
            if 'm.txt:' not in str(e):
                bad.append(str(e))
    return expect(bad, [])


@case('names: vanished dropped, appeared added, unallowed skip marked')
def _():
    m = cr.Manifest('# head\nx a\nx gone\nx c  # skip: no link\n')
    results = [cr.Result('x a', 'skip', 'no net'), cr.Result('x c', 'pass'),
               cr.Result('x b', 'pass')]
    text = cr.names_text(m, results)
    want = '# head\nx a  # skipped: no net\nx c  # skip: no link\nx b\n'
    kept = cr.names_text(m, results[1:], filtered=True)
    try:
        cr.Manifest(text)
        parsed = True
    except cr.ManifestError:
        parsed = False
    return expect((text, parsed, 'x gone' in kept), (want, False, True))


@case('names: avocado list output, with the notes of the manifest')
def _():
    m = cr.Manifest(AV_MANIFEST)
    lst = ['avocado-instrumented /top/tests/avocado/test_a.py:A.test_two\n',
           'avocado-instrumented tests/avocado/test_a.py:A.test_three\n', '\n']
    got = cr.names_text(m, cr.avocado_list_names(lst, '/top'))
    return expect(got, 'tests/avocado/test_a.py:A.test_two  # skip: driver '
                  'limitation\ntests/avocado/test_a.py:A.test_three\n')


@case('the manifests of tests/expected parse, each fuzz target has a floor')
def _():
    problems = []
    paths = sorted(glob.glob(os.path.join(TOP, 'tests', 'expected', '*.txt')))
    for p in paths:
        try:
            m = cr.Manifest.read(p)
        except (OSError, cr.ManifestError) as e:
            problems.append(str(e))
            continue
        if os.path.basename(p) == 'fuzz.txt':
            problems += ['%s: no floor' % n for n in m.entries
                         if m.floor(n) is None]
    if not paths:
        problems.append('no manifest in tests/expected')
    return expect(problems, [])


def main():
    print('1..%d' % len(CASES))
    bad = 0
    for i, (name, f) in enumerate(CASES, 1):
        try:
            diag = f()
        except Exception as e:  # a crash of the code under test fails its case
            diag = '%s: %s' % (type(e).__name__, e)
        bad += diag is not None
        print('%sok %d %s' % ('' if diag is None else 'not ', i, name))
        for line in (diag or '').splitlines():
            print('# ' + line)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
