"""kubectl's command line as a shell and kubectl parse it (issue 10): the words a shell makes of it,
the flags each command takes (cobra's per-command flag sets), and what is printed for a line that
cannot be parsed. Every message is compared with the real kubectl 1.37 where it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess

import oracle
import pytest

import kitlib
from kitlib.kubectl import args as kubectl_args
from kitlib.kubectl import flags as kubectl_flags


@pytest.fixture
def real_kubectl_error():
    """``real_kubectl_error("get pods --namespacee x")``: what the real kubectl prints on stderr for a
    command line it refuses while parsing its flags (offline: no server is asked)."""
    exe = oracle.require()

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


# ---------------------------------------------------------------- each command's flags

REFUSED = [
    "get pods --namespacee kube-system",
    "get pods --namespacee=kube-system",
    "--namespacee kube-system get pods",
    "get pods -Z",
    "get pods -lapp=web -Z",
    "get pods -it",
    "get pods -n",
    "get pods --namespace",
    "get pods --show-labels=maybe",
    "get pods -A=maybe",
    "get pods --=x",
    "describe pods --show-labels",
    "create --bogus deployment web",
    "create deployment web --image=nginx --tcp=80",
    "create deploy web --image=nginx -x",
    "create configmap cfg --from-literal=a=b --image=nginx",
    "create service clusterip web --tcp=80 --node-port=30080",
    "create service nodeport web --clusterip=None",
    "expose deployment web --port=80 --replicas=2",
    "expose deployment web --port=80 --validate=false",
    "scale deployment web -r 2",
    "scale deployment web --replicas",
    "delete pods --show-labels",
    "label pods web a=b --image=x",
    "annotate pods web a=b --show-labels",
    "cordon minikube --force",
    "drain minikube --ignore-daemonset",
    "set image deployment/web web=nginx:1.27 --replicas=2",
    "rollout status deployment/web --bogus",
    "rollout history deployment/web -w",
    "rollout undo deployment/web --revision=1",
    "exec web -x -- hostname",
    "exec web -c",
    "apply -f - --namespacee x",
    "--bogus",
]


@pytest.mark.parametrize("line", REFUSED)
def test_a_flag_the_command_does_not_take_is_refused_in_kubectls_words(cluster, real_kubectl_error, line):
    """cobra gives each command its own flags (plus the global ones of `kubectl options`) and
    refuses any other before anything is sent: `error: unknown flag: --namespacee` or `error:
    unknown shorthand flag: 'Z' in -Z`, then `See 'kubectl get --help' for usage.`; a flag with no
    value is `flag needs an argument`, a boolean's value must be one strconv.ParseBool reads. The
    command is found first (an unknown `--flag` before it takes the next word with it), so the hint
    names it (`kubectl create deployment`, `kubectl rollout status`). The text is the real kubectl's,
    and nothing changes."""
    expected = real_kubectl_error(line.split())
    err = expect_unchanged(cluster, line, kubectl_args.KubectlError, r"^error: .*\nSee 'kubectl[a-z ]* --help' for usage\.$")
    assert str(err) == expected


def test_unknown_flag_is_not_taken_for_a_namespace(cluster):
    """The issue's example: `kubectl get pods --namespacee kube-system` used to list `default`."""
    expect_unchanged(cluster, "get pods --namespacee kube-system", kubectl_args.KubectlError,
                     r"^error: unknown flag: --namespacee\nSee 'kubectl get --help' for usage\.$")


def test_booleans_take_no_word_and_shorthands_combine(cluster):
    """A boolean flag never swallows the word after it (`--show-labels pods` still lists pods),
    `-A` is `--all-namespaces`, and `-nkube-system`, `-n=kube-system` and `-n kube-system` agree."""
    assert cluster.kubectl("get --show-labels pods -A").startswith("NAMESPACE      NAME ")
    listed = cluster.kubectl("get pods -n kube-system")
    assert cluster.kubectl("get pods -nkube-system") == listed == cluster.kubectl("get pods -n=kube-system")
    assert cluster.kubectl("get pods --show-labels=false -n kube-system") == listed


def test_exec_takes_combined_shorthands(web):
    """`kubectl exec -it POD -- CMD` is `-i -t`; `-c` names the container."""
    pod = web.pods(selector="app=web")[0].name
    assert web.kubectl(f"exec -it {pod} -c nginx -- hostname") == pod


def test_create_deployment_shorthand_replicas(cluster, real_kubectl):
    """`-r` is `--replicas` for `create deployment` only, and `--dry-run` alone is the deprecated
    `--dry-run=client` (it takes no word after it); the object is the real kubectl's."""
    line = "create deployment web --image=nginx -r 2 --dry-run -o yaml"
    assert cluster.kubectl(line) + "\n" == real_kubectl(line)


def test_expose_l_is_labels(web):
    """For `expose`, `-l` is `--labels` (the Service's own labels), not a selector."""
    out = web.kubectl("expose deployment web --port=80 -l tier=front --dry-run=client -o yaml")
    assert "  labels:\n    tier: front\n" in out and "selector:\n    app: web\n" in out


def test_a_subcommand_kitlib_does_not_simulate_keeps_its_own_error(cluster):
    """`create role` is a kubectl command kitlib does not simulate: its flags are not checked,
    so kitlib's refusal is what is printed, and nothing changes."""
    expect_unchanged(cluster, "create role r --verb=get --resource=pods", kitlib.BadRequest,
                     r'^error: unknown type "role" for "kubectl create"$')


# ---------------------------------------------------------------- unknown commands


@pytest.mark.parametrize("word", ["gett", "foo", "ex", "hlp", "rn", "portforward", "GET", "frobnicate", "expse"])
def test_unknown_command_suggests_as_cobra_does(cluster, real_kubectl_error, word):
    """cobra's ``Did you mean this?``: the commands within edit distance 2 of the word (case
    ignored) or starting with it, in the order kubectl's root command holds them."""
    assert expect_unchanged(cluster, word, kitlib.BadRequest, "^error: unknown command").args[0] == \
        real_kubectl_error([word])


# ---------------------------------------------------------------- flag sets against --help

_OPTION = re.compile(r"^\s+(?:-(\w), )?--([a-z0-9-]+)=([^:\s]*)")


@pytest.mark.parametrize("path", ["run", "port-forward", "create secret generic", "create secret tls",
                                  "create secret docker-registry", "set env", "set selector", "set image"])
def test_flag_set_is_kubectls_help(path):
    """Each command's flags (name, shorthand, boolean or not) are those ``kubectl <path> --help``
    lists; ``run``'s deprecated ``-f`` is hidden there but still accepted."""
    exe = oracle.require()
    done = subprocess.run([exe, *path.split(), "--help"], capture_output=True, text=True, timeout=60, check=True)
    listed = {}
    for line in done.stdout.split("Options:")[1].split("Usage:")[0].splitlines():
        m = _OPTION.match(line)
        if m:
            listed[m.group(2)] = (m.group(1) or "", m.group(3) in ("true", "false"))
    flag_set = kubectl_flags.FLAG_SETS[path]
    ours = {name: (next((s for s, n in flag_set.short.items() if n == name), ""), boolean)
            for name, boolean in flag_set.long.items() if name not in kubectl_flags.ROOT.long}
    hidden = {"filename": ("f", False)} if path == "run" else {}
    assert ours == {**listed, **hidden}
