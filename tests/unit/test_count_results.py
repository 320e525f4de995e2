#!/usr/bin/python3
"""Unit tests of scripts/count_results.py: how test.sh counts results.

Each case is a result file shaped like meson's or avocado's, with the
counts CI must see.  Prints TAP.
"""

import io
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'scripts'))
import count_results  # noqa: E402


def meson(*tests):
    return [json.dumps(t) for t in tests]


TAP3 = 'ok 1 a\nnot ok 2 b\nok 3 c # SKIP no link\n'
CASES = [
    ('meson TAP subtests counted', 'meson',
     meson({'name': 'x', 'result': 'FAIL', 'stdout': TAP3}), (1, 1, 1)),
    ('meson FAIL with every subtest ok is a failure', 'meson',
     meson({'name': 'x', 'result': 'FAIL', 'stdout': 'ok 1 a\n'}), (1, 1, 0)),
    ('meson interrupted TAP test is a failure', 'meson',
     meson({'name': 'x', 'result': 'INTERRUPT', 'stdout': 'ok 1 a\nok 2 b\n'}),
     (2, 1, 0)),
    ('meson timeout is a failure', 'meson',
     meson({'name': 'x', 'result': 'TIMEOUT', 'stdout': ''}), (0, 1, 0)),
    ('meson plain results', 'meson',
     meson({'name': 'a', 'result': 'OK'}, {'name': 'b', 'result': 'SKIP'},
           {'name': 'c', 'result': 'ERROR'}), (1, 1, 1)),
    ('avocado statuses', 'avocado',
     {'total': 6, 'tests': [{'id': '1', 'status': 'PASS'},
                            {'id': '2', 'status': 'WARN'},
                            {'id': '3', 'status': 'CANCEL', 'fail_reason': 'r'},
                            {'id': '4', 'status': 'INTERRUPT'},
                            {'id': '5', 'status': 'ERROR'},
                            {'id': '6', 'status': 'FAIL'}]},
     (1, 3, 1, 1)),
    ('avocado WARN is not a pass', 'avocado',
     {'total': 1, 'tests': [{'id': '1', 'status': 'WARN'}]}, (0, 0, 0, 1)),
    ('avocado unknown status is a failure', 'avocado',
     {'total': 1, 'tests': [{'id': '1', 'status': 'STARTED'}]}, (0, 1, 0, 0)),
    ('avocado total above the tests listed is a failure', 'avocado',
     {'total': 3, 'tests': [{'id': '1', 'status': 'PASS'}]}, (1, 1, 0, 0)),
]


def main():
    print('1..%d' % len(CASES))
    bad = 0
    for i, (name, kind, data, want) in enumerate(CASES, 1):
        err = io.StringIO()
        if kind == 'meson':
            got = count_results.count_meson(data, err)
        else:
            got = count_results.count_avocado(data, err)
        ok = tuple(got) == want
        bad += not ok
        print('%sok %d %s%s' % ('' if ok else 'not ', i, name,
                                '' if ok else ' (got %r, want %r)' % (got, want)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
