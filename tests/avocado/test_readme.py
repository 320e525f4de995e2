"""The README's commands work as the README shows them.

A newcomer copies commands out of README.md.  These tests fail when one of
them is gone, renamed, or no longer takes the options shown:

* every program of ours that a code block runs exists, and its --help
  works (run-pair.sh and scripts/test.sh at least), and the command CI's
  .ci/run runs is one of the README's lines, as it is;
* every ./run-pair.sh line runs with --dry-run added: the options are
  checked as in a real run and the two QEMU command lines printed, with
  nothing built, started or created;
* every other line of ours runs with --help added, so that each option
  before it is parsed (scripts/guest_exec.py lines run for real below);
* every option a code block passes to one of our programs is in that
  program's --help, and every option the prose names in backquotes is in
  the --help of the program the backquotes name, else in run-pair.sh's or
  scripts/test.sh's;
* every repository path the README names exists;
* the main flow, for real: the README's './run-pair.sh --detach' boots the
  pair, its scripts/guest_exec.py lines run in it (the ping loses
  nothing), and its './run-pair.sh --stop' stops it.

Placeholders the README uses in its examples (a kernel tree, a key file)
are replaced by stand-ins made here, each listed in STAND_INS.
"""

import glob
import os
import re
import shlex
import subprocess
import tempfile

from avocado import Test

from pair import PairTest, TOP, pid_alive, run_pair_env_args

README = os.path.join(TOP, 'README.md')
CI_RUN = os.path.join(TOP, '.ci', 'run')

# What the README's examples name that this test makes up: the word (or a
# word's prefix) -> the kind of stand-in that replaces it.
STAND_INS = {
    '~/src/linux': 'kernel-tree',   # KERNEL_SRC=~/src/linux, --kernel ~/src/linux/...
    '~/my-series': 'series-dir',    # KERNEL_SERIES_DIR=~/my-series
    'keys.psk': 'key-file',         # --link-key keys.psk
}

# Guest commands the default pair (vNTB) cannot run, because they need
# another endpoint function: the test checks they are in that guest.
OTHER_FUNCTION = {'pci_endpoint_test': '--function test'}

FENCE = re.compile(r'^\s*```')
ENV_WORD = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*=')
OPTION = re.compile(r'(?<![\w-])--[a-z][a-z0-9-]*')
REPO_PATH = re.compile(r'^(\./)?(scripts|bench|tests|kernel-patches|qemu|docs|dts|'
                       r'images|\.ci)(/[\w.*,-]*)+$|^(\./)?run-pair\.sh$')
PING_STATS = re.compile(r'(\d+) packets transmitted, (\d+) packets received,'
                        r'(?: \+\d+ duplicates,)? (\d+)% packet loss')


def readme():
    with open(README) as f:
        return f.read()


def code_lines(text):
    """[(line number, command line)] of the README's fenced code blocks:
    continuation lines joined, blank and comment lines left out."""
    out = []
    inblock = False
    pending = None
    for n, raw in enumerate(text.split('\n'), 1):
        if FENCE.match(raw):
            inblock = not inblock
            continue
        if not inblock:
            continue
        line = raw.strip()
        first = n
        if pending:
            first, line = pending[0], pending[1] + ' ' + line
        if line.endswith('\\'):
            pending = (first, line[:-1])
            continue
        pending = None
        if line and not line.startswith('#'):
            out.append((first, line))
    return out


def prose(text):
    """The README without its fenced code blocks."""
    keep = []
    inblock = False
    for raw in text.split('\n'):
        if FENCE.match(raw):
            inblock = not inblock
        elif not inblock:
            keep.append(raw)
    return '\n'.join(keep)


def split_command(line):
    """(environment assignments, argv) of a command line."""
    words = shlex.split(line, comments=True)
    env = []
    while words and ENV_WORD.match(words[0]):
        env.append(words.pop(0))
    return env, words


def ours(prog):
    return prog.startswith(('./', 'scripts/', 'bench/', 'tests/'))


def program_path(prog):
    return os.path.join(TOP, os.path.normpath(prog))


def name(prog):
    return os.path.normpath(prog)


def commands(text):
    """[(line number, line, env, argv)] of the code lines that run a
    program of ours."""
    out = []
    for n, line in code_lines(text):
        env, argv = split_command(line)
        if argv and ours(argv[0]):
            out.append((n, line, env, argv))
    return out


def run(argv, env=None, timeout=120):
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=timeout, cwd=TOP, env=env)
    return res.returncode, res.stdout


class ReadmeCommands(Test):
    """Every command the README shows, without booting a pair.

    :avocado: tags=readme
    """

    def setUp(self):
        self.text = readme()
        self.helps = {}
        self.made = {}

    def help_of(self, prog):
        """The --help output of one of our programs (cached); fails the test
        if the program is missing or its --help does not work."""
        key = name(prog)
        if key not in self.helps:
            path = program_path(prog)
            self.assertTrue(os.access(path, os.X_OK),
                            'README runs %s, which is not an executable in the '
                            'repository' % prog)
            status, out = run([path, '--help'])
            self.assertEqual(status, 0, '%s --help exited %d:\n%s' % (prog, status, out))
            self.assertIn('usage', out.lower(), '%s --help printed no usage:\n%s'
                          % (prog, out))
            self.helps[key] = out
        return self.helps[key]

    def stand_in(self, kind):
        """A made-up file or directory of @kind (see STAND_INS), once."""
        if kind in self.made:
            return self.made[kind]
        base = tempfile.mkdtemp(prefix='dwcep-readme-', dir=self.workdir)
        if kind == 'kernel-tree':
            # What build-kernel.sh checks a KERNEL_SRC for, and an Image.
            os.makedirs(os.path.join(base, 'arch', 'arm64', 'boot'))
            for f in ('Makefile', os.path.join('arch', 'arm64', 'boot', 'Image')):
                with open(os.path.join(base, f), 'w') as fh:
                    fh.write('stand-in\n')
            path = base
        elif kind == 'series-dir':
            with open(os.path.join(base, 'series'), 'w') as fh:
                fh.write('# empty\n')
            path = base
        elif kind == 'key-file':
            path = os.path.join(base, 'keys.psk')
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, ('pcielink:%s\n' % ('5a' * 32)).encode())
            os.close(fd)
        else:
            self.fail('no stand-in of kind %r' % kind)
        self.made[kind] = path
        return path

    def substitute(self, word):
        """@word with the README's placeholders replaced by stand-ins."""
        for placeholder, kind in STAND_INS.items():
            if word == placeholder or word.startswith(placeholder + '/'):
                return self.stand_in(kind) + word[len(placeholder):]
        return os.path.expanduser(word)

    def test_ci_runs_a_readme_line(self):
        with open(CI_RUN) as f:
            ci = [line.strip() for line in f
                  if line.strip() and not line.lstrip().startswith('#')]
        ci = [line for line in ci if not line.startswith(('set ', 'cd '))]
        self.assertEqual(len(ci), 1, '.ci/run should run one command, runs %s' % ci)
        lines = [line for _, line in code_lines(self.text)]
        self.assertIn(ci[0], lines, "CI runs '%s', which the README does not show "
                      'in a code block' % ci[0])

    def test_help_of_every_program(self):
        progs = sorted({name(argv[0]) for _, _, _, argv in commands(self.text)})
        for needed in ('run-pair.sh', 'scripts/test.sh', 'scripts/guest_exec.py'):
            self.assertIn(needed, progs, 'the README shows no %s line' % needed)
        for prog in progs:
            self.help_of(prog)
        self.log.info('--help works for %s', ', '.join(progs))

    def test_run_pair_lines_dry_run(self):
        lines = [c for c in commands(self.text) if name(c[3][0]) == 'run-pair.sh']
        self.assertGreater(len(lines), 5, 'the README shows few ./run-pair.sh lines')
        for n, line, env, argv in lines:
            words = [self.substitute(w) for w in argv[1:]]
            if '--help' in words:
                status, out = run([program_path(argv[0])] + words)
                self.assertEqual(status, 0, 'README line %d: %s\n%s' % (n, line, out))
                continue
            acts_on_running = any(w in words for w in ('--stop', '--restart', '--fault'))
            if acts_on_running and '--run-dir' not in words:
                # which pair they act on is the running one: give them one
                words += ['--run-dir', tempfile.mkdtemp(prefix='dwcep-readme-',
                                                        dir=self.workdir)]
            run_env = dict(os.environ)
            for assignment in env:
                var, value = assignment.split('=', 1)
                run_env[var] = self.substitute(value)
            status, out = run([program_path(argv[0])] + words + ['--dry-run'],
                              env=run_env)
            self.log.info('README line %d: %s --dry-run\n%s', n, line, out)
            where = 'README line %d: %s (with --dry-run)' % (n, line)
            self.assertEqual(status, 0, '%s exited %d:\n%s' % (where, status, out))
            self.assertIn('==> [dry-run]', out, '%s printed no dry run:\n%s' % (where, out))
            self.assertNotIn('would fail', out, '%s:\n%s' % (where, out))
            if acts_on_running:
                continue
            guests = ['ep', 'rc']
            if '--only' in words:
                guests = [words[words.index('--only') + 1]]
            for g in guests:
                self.assertRegex(out, r'==> \[dry-run\] %s QEMU: \S*qemu-system-aarch64 '
                                 % g, '%s printed no %s command line:\n%s'
                                 % (where, g, out))
            m = re.search(r'run directory: (\S+) \(would be created', out)
            if m:
                self.assertFalse(os.path.exists(m.group(1)),
                                 '%s created its run directory %s'
                                 % (where, m.group(1)))

    def test_other_lines_parse(self):
        checked = 0
        for n, line, env, argv in commands(self.text):
            if name(argv[0]) in ('run-pair.sh', 'scripts/guest_exec.py'):
                continue
            self.help_of(argv[0])
            words = [self.substitute(w) for w in argv[1:]]
            status, out = run([program_path(argv[0])] + words + ['--help'])
            self.assertEqual(status, 0, 'README line %d: %s (with --help) exited %d:\n%s'
                             % (n, line, status, out))
            checked += 1
        self.assertGreater(checked, 0, 'no scripts/test.sh or bench line checked')

    def test_options_are_documented(self):
        missing = []
        # options a code line passes to one of our programs
        for n, line, env, argv in commands(self.text):
            helptext = self.help_of(argv[0])
            for w in argv[1:]:
                if OPTION.fullmatch(w) and not re.search(r'(?<![\w-])%s(?![\w-])'
                                                         % re.escape(w), helptext):
                    missing.append('line %d: %s is not in %s --help' % (n, w, argv[0]))
        # options the prose names in backquotes
        default = self.help_of('./run-pair.sh') + self.help_of('./scripts/test.sh')
        spans = re.findall(r'`([^`]+)`', prose(self.text))
        checked = 0
        for span in spans:
            opts = OPTION.findall(span)
            if not opts:
                continue
            try:
                _, words = split_command(span)
            except ValueError:
                words = span.split()
            owner = words[0] if words and ours(words[0]) else None
            helptext = self.help_of(owner) if owner else default
            for o in opts:
                checked += 1
                if not re.search(r'(?<![\w-])%s(?![\w-])' % re.escape(o), helptext):
                    missing.append('`%s`: %s is not in the --help of %s' %
                                   (span, o, owner or 'run-pair.sh or scripts/test.sh'))
        self.log.info('%d options named in backquotes checked', checked)
        self.assertGreater(checked, 10, 'few options in backquotes found: is the '
                           'README parsed right?')
        self.assertEqual(missing, [], 'the README names options its programs do not '
                         'have:\n' + '\n'.join(missing))

    def test_paths_exist(self):
        words = []
        for span in re.findall(r'`([^`]+)`', prose(self.text)):
            words += span.split()
        for _, line in code_lines(self.text):
            words += line.split()
        words += [t for t in re.findall(r'\]\(([^)\s]+)\)', self.text)
                  if '://' not in t]
        paths = sorted({w.rstrip('.,;:)') for w in words
                        if REPO_PATH.match(w.rstrip('.,;:)'))})
        self.log.info('repository paths named: %s', ' '.join(paths))
        self.assertGreater(len(paths), 10, 'few repository paths found: is the README '
                           'parsed right?')
        gone = [p for p in paths if not glob.glob(os.path.join(TOP, p))]
        self.assertEqual(gone, [], 'the README names paths that do not exist: %s' % gone)


class ReadmeFlow(PairTest):
    """The README's main flow on a real pair: boot, commands, stop.

    :avocado: tags=readme
    """

    def find(self, *argv):
        """The README code line whose program and arguments are @argv."""
        for n, line, env, words in commands(readme()):
            if not env and [name(words[0])] + words[1:] == [name(argv[0])] + list(argv[1:]):
                return n, words
        self.fail("README shows no '%s' line in a code block" % ' '.join(argv))

    def setUp(self):
        # As PairTest, but the pair is booted by the README's own line.
        self.run_dir = tempfile.mkdtemp(prefix='dwcep-', dir='/tmp')
        n, words = self.find('./run-pair.sh', '--detach')
        cmd = ([os.path.join(TOP, 'run-pair.sh')] + words[1:] +
               ['--run-dir', self.run_dir] + run_pair_env_args())
        self.log.info('README line %d: %s', n, ' '.join(cmd))
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=self.boot_timeout + 1200)
        self.log.info('run-pair.sh output:\n%s', res.stdout)
        if res.returncode != 0:
            self._save_logs()
            self.fail('README line %d: run-pair.sh failed (exit %d); %s\n%s'
                      % (n, res.returncode, self.logs_hint(), res.stdout[-2000:]))
        # PairTest's tearDown checks the QEMUs of a pair that came up
        self._pair_up = True

    def guest_exec_lines(self):
        lines = [c for c in commands(readme()) if name(c[3][0]) == 'scripts/guest_exec.py']
        if not lines:
            self.fail('README shows no scripts/guest_exec.py line')
        return lines

    def test_readme_flow(self):
        pinged = False
        for n, line, env, argv in self.guest_exec_lines():
            words = argv[1:]
            guest = next((w for w in words if w in ('ep', 'rc')), None)
            if guest is None or words.index(guest) + 1 >= len(words):
                self.fail('README line %d: %s names no guest and command' % (n, line))
            i = words.index(guest)
            command = words[i + 1]
            prog = command.split()[0]
            if prog in OTHER_FUNCTION:
                # Needs another pair; here: the program is in the guest.
                words = words[:i + 1] + ['command -v %s' % prog] + words[i + 2:]
            timeout = 60
            if '--timeout' in words:
                timeout = int(words[words.index('--timeout') + 1])
            cmd = [os.path.join(TOP, 'scripts', 'guest_exec.py'),
                   '--run-dir', self.run_dir] + words
            status, out = run(cmd, timeout=timeout + 60)
            self.log.info('README line %d: %s\n-> %d\n%s', n, ' '.join(cmd), status, out)
            self.assertEqual(status, 0, 'README line %d: %s exited %d:\n%s\n%s'
                             % (n, line, status, out, self.logs_hint()))
            if prog == 'ping':
                m = PING_STATS.search(out)
                self.assertIsNotNone(m, 'README line %d: no ping statistics:\n%s\n%s'
                                     % (n, out, self.logs_hint()))
                count = re.search(r'-c\s*(\d+)', command)
                sent, received, loss = (int(x) for x in m.groups())
                if count:
                    self.assertEqual(sent, int(count.group(1)), out)
                self.assertEqual(loss, 0, 'README line %d: %d %% loss:\n%s\n%s'
                                 % (n, loss, out, self.logs_hint()))
                pinged = True
        self.assertTrue(pinged, 'README shows no ping over ntb_netdev')

        n, words = self.find('./run-pair.sh', '--stop')
        pids = [self.qemu_pid(g) for g in ('ep', 'rc')]
        for g in ('ep', 'rc'):
            # stopped on purpose (PairTest's tearDown checks the others run)
            if hasattr(self, 'expect_gone'):
                self.expect_gone(g)
        status, out = run([os.path.join(TOP, 'run-pair.sh')] + words[1:] +
                          ['--run-dir', self.run_dir])
        self.log.info('README line %d: --stop:\n%s', n, out)
        self.assertEqual(status, 0, 'README line %d: --stop exited %d:\n%s'
                         % (n, status, out))
        for g, pid in zip(('ep', 'rc'), pids):
            self.assertIn('stopped %s (pid %d)' % (g, pid), out)
            self.assertFalse(pid_alive(pid), '%s QEMU (pid %d) still runs after '
                             '--stop' % (g, pid))
