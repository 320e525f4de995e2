#!/usr/bin/python3
"""count_results.py - count a test suite's results the way CI judges them.

Usage: count_results.py meson TESTLOG.JSON
       count_results.py avocado RESULTS.JSON

Prints one line of counts on stdout and, on stderr, one line per test that
was skipped (with its reason), warned, or ended in a way that counts as a
failure.

  meson    'PASSED FAILED SKIPPED' from meson's testlog.json (one JSON object
           a line).  A TAP test that finished (OK or FAIL) counts its
           subtests; one that FAILed with every subtest ok counts one
           failure more.  A test that TIMEOUTed, ERRORed, was INTERRUPTed
           or ended in any other state counts its passed subtests and one
           failure: it did not finish.
  avocado  'PASSED FAILED SKIPPED WARNED' from avocado's --json file,
           counted test by test.  FAIL, ERROR, INTERRUPT and any status
           this script does not know are failures; SKIP and CANCEL are
           skips; WARN is its own count (not a pass).  A job whose 'total'
           differs from the number of tests it lists counts one failure
           more (a test that never reported).
Exit status 0, or 2 on bad usage or an unreadable file.
"""

import collections
import json
import re
import sys

TAP_LINE = re.compile(r'^(not ok|ok)\b[^#\n]*(#\s*SKIP)?', re.M)


def count_meson(lines, err):
    passed = failed = skipped = 0
    for line in lines:
        if not line.strip():
            continue
        t = json.loads(line)
        res = t.get('result')
        tap = TAP_LINE.findall(t.get('stdout') or '')
        if tap and res in ('OK', 'FAIL'):
            for ok, skip in tap:
                if skip:
                    skipped += 1
                elif ok == 'ok':
                    passed += 1
                else:
                    failed += 1
            if res == 'FAIL' and all(ok == 'ok' for ok, _ in tap):
                failed += 1
                err.write('%s: FAIL outside any subtest\n' % t.get('name'))
        elif res in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif res == 'SKIP':
            skipped += 1
        else:
            passed += sum(1 for ok, skip in tap if ok == 'ok' and not skip)
            failed += 1
            err.write('%s: %s (did not finish: counted as failed)\n'
                      % (t.get('name'), res))
    return passed, failed, skipped


def count_avocado(d, err):
    tests = d.get('tests', [])
    c = collections.Counter(t.get('status') for t in tests)
    passed = c.pop('PASS', 0)
    warned = c.pop('WARN', 0)
    skipped = c.pop('SKIP', 0) + c.pop('CANCEL', 0)
    failed = c.pop('FAIL', 0) + c.pop('ERROR', 0) + c.pop('INTERRUPT', 0)
    for status, n in sorted(c.items(), key=lambda kv: str(kv[0])):
        err.write('avocado: %d test(s) with status %s counted as failed\n'
                  % (n, status))
        failed += n
    total = d.get('total', len(tests))
    if total != len(tests):
        err.write('avocado: the job says %s tests but lists %d: one failure '
                  'more\n' % (total, len(tests)))
        failed += 1
    for t in tests:
        if t.get('status') in ('SKIP', 'CANCEL'):
            err.write('skipped: %s: %s\n' % (t.get('id'), t.get('fail_reason')))
        elif t.get('status') == 'WARN':
            err.write('warned: %s (see its log)\n' % t.get('id'))
        elif t.get('status') != 'PASS':
            err.write('failed: %s: %s %s\n' % (t.get('id'), t.get('status'),
                                              t.get('fail_reason')))
    return passed, failed, skipped, warned


def main(argv):
    if len(argv) != 3 or argv[1] not in ('meson', 'avocado'):
        sys.stderr.write(__doc__)
        return 0 if len(argv) == 2 and argv[1] in ('-h', '--help') else 2
    try:
        with open(argv[2]) as f:
            if argv[1] == 'meson':
                counts = count_meson(f, sys.stderr)
            else:
                counts = count_avocado(json.load(f), sys.stderr)
    except (OSError, ValueError) as e:
        sys.stderr.write('count_results.py: %s: %s\n' % (argv[2], e))
        return 2
    print(' '.join(str(n) for n in counts))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
