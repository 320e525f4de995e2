"""The console helper takes a command's output as the command printed it,
whatever the shell echoed of the typed marker lines (seen in CI logs)."""

import os
import sys

from avocado import Test

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'scripts'))

from guest_exec import strip_typed_echo  # noqa: E402


class TypedEcho(Test):
    """
    :avocado: tags=console
    """

    def test_whole_echo(self):
        out = 'line 1\nep# echo @@DWCE""ND-12-3-$?@@\nline 2\n'
        self.assertEqual(strip_typed_echo(out, '12-3'), 'line 1\nline 2\n')

    def test_redrawn_pieces(self):
        # ash redrew the typed-ahead line: only its tail, or a stray "@"
        self.assertEqual(strip_typed_echo('DWCE""ND-3543-5-$?@@\n4\n', '3543-5'), '4\n')
        self.assertEqual(strip_typed_echo('@\n0xfeedface\n', '9-1'), '0xfeedface\n')

    def test_output_kept(self):
        out = '0\n@@\nDWCEND\nND-9-1\n$?\n'
        # "@@" is a tail of the typed line, so it goes; the rest is output
        # (no other line is a whole tail of 'echo @@DWCE""ND-9-1-$?@@')
        self.assertEqual(strip_typed_echo(out, '9-1'), '0\nDWCEND\nND-9-1\n$?\n')
