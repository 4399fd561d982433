"""kubectl's command line as a shell and kubectl parse it (issue 10): the words a shell makes of it,
the flags each command takes (cobra's per-command flag sets), and what is printed for a line that
cannot be parsed. Every message is compared with the real kubectl 1.32 where it is installed."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import kitlib
from kitlib.kubectl import args as kubectl_args


@pytest.fixture
def real_kubectl_error():
    """``real_kubectl_error("get pods --namespacee x")``: what the real kubectl prints on stderr for a
    command line it refuses while parsing its flags (offline: no server is asked)."""
    exe = shutil.which("kubectl")
    if exe is None:
        pytest.skip("kubectl is not installed")

    def run(argv: list[str]) -> str:
        done = subprocess.run([exe, *argv], capture_output=True, text=True, timeout=60, check=False,
                              env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"})
        assert done.returncode == 1, done
        return done.stderr.rstrip("\n")

    return run


def expect_unchanged(cluster, command, error, match):
    before = cluster.state()
    with pytest.raises(error, match=match) as info:
        cluster.kubectl(command)
    assert cluster.state() == before
    return info.value


# ---------------------------------------------------------------- the shell's words


def test_unterminated_quote_on_the_command_line_is_the_shells_syntax_error(cluster):
    """kubectl never sees a line with an unterminated quote: the shell the learner types it into
    refuses it first. In a notebook the Python string is that shell line, so kitlib answers as
    ``bash -c`` does for it (bash 5.2: ``bash: -c: line 1: unexpected EOF while looking for matching
    `"'``, exit 2), naming the quote that is open, and nothing reaches the cluster."""
    expect_unchanged(cluster, "get pods -l 'app=web", kitlib.BadRequest,
                     r"^bash: -c: line 1: unexpected EOF while looking for matching `''$")
    expect_unchanged(cluster, 'exec web -- sh -c "echo hi', kubectl_args.ShellSyntaxError,
                     r"""^bash: -c: line 1: unexpected EOF while looking for matching `"'$""")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
@pytest.mark.parametrize("line", ["get pods -l 'app=web", 'get pods -l "app=web', 'get pods "a\\"'])
def test_unterminated_quote_message_is_bashs(cluster, line):
    """The message is bash's own, character for character."""
    done = subprocess.run(["bash", "-c", line], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    with pytest.raises(kubectl_args.ShellSyntaxError) as info:
        cluster.kubectl(line)
    assert str(info.value) == done.stderr.rstrip("\n")


@pytest.mark.parametrize("line, words", [
    ("a 'b c' d", ["a", "b c", "d"]),
    ('a "b \\" c"', ["a", 'b " c']),
    ("a\\ b", ["a b"]),
    ('"" x', ["", "x"]),
    ('a"b"c', ["abc"]),
    ('x "a\\\\b" y', ["x", "a\\b", "y"]),
    ("a\\", ["a\\"]),
    ("  a\tb\nc  ", ["a", "b", "c"]),
])
def test_words_are_the_shells(line, words):
    """Quotes group words, a backslash escapes the next character (inside double quotes only ``\\``
    and ``"``), empty quotes make an empty word, and a backslash at the very end stays (as in bash)."""
    assert kubectl_args.split(line) == words


def test_a_one_megabyte_command_line_parses_in_one_pass(cluster, monkeypatch):
    """A 1 MB command line (one huge label value, or 150,000 flags) is split and refused at once:
    the splitter makes one regex match per word or quoted piece, so the work is linear in the line
    (shlex grew each word one character at a time: 17 s for 1 MB). The timing itself is in
    ``benchmarks/bench_kubectl_parse.py``; here the number of pieces is bounded."""
    pieces = 0
    real = kubectl_args._PIECE  # noqa: SLF001 - counting the splitter's matches

    class Counting:
        def finditer(self, line):
            nonlocal pieces
            for m in real.finditer(line):
                pieces += 1
                yield m

    monkeypatch.setattr(kubectl_args, "_PIECE", Counting())
    huge = "get pods -l app=" + "x" * 1_000_000
    assert cluster.kubectl(huge) == "No resources found in default namespace."
    assert pieces <= 10
    pieces = 0
    many = "get pods " + " ".join(["-l", "a=b"] * 150_000)
    assert cluster.kubectl(many) == "No resources found in default namespace."
    assert pieces <= 2 * len(many.split()) + 1
