"""`%load_ext kitlib`: `%kubectl` and `%%kubectl` in a notebook print what kubectl prints, on the
notebook's current cluster (the last one created, or the one chosen with `kitlib.use`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import kitlib
from kitlib import cluster as cluster_module

IPython = pytest.importorskip("IPython")

NGINX_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  containers:
  - name: nginx
    image: nginx
    ports:
    - containerPort: 80
"""


@pytest.fixture
def shell():
    """An IPython shell with `%load_ext kitlib` run, as a lesson's first cell does."""
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "kitlib")
    yield ip
    ip.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def test_a_line_magic_prints_what_print_of_cluster_kubectl_prints(shell, capsys):
    """`%kubectl get nodes` shows the same text as `print(cluster.kubectl("get nodes"))`, and
    nothing as the cell's result (no Out[n])."""
    cluster = kitlib.Cluster(nodes=3, seed=0)
    capsys.readouterr()
    expected = str(cluster.kubectl("get nodes -o wide")) + "\n"
    result = shell.run_cell("%kubectl get nodes -o wide")
    out = capsys.readouterr()
    assert result.success and result.result is None
    assert (out.out, out.err) == (expected, "")
    assert out.out.startswith("NAME           STATUS   ROLES           AGE   VERSION   INTERNAL-IP")


def test_a_cell_magics_body_is_the_commands_stdin(shell, capsys):
    """`%%kubectl apply -f -` applies the YAML in the cell, as `kubectl apply -f - <<EOF` does;
    any command reading `-f -` gets the body the same way."""
    cluster = kitlib.Cluster(nodes=1)
    capsys.readouterr()
    shell.run_cell("%%kubectl apply -f -\n" + NGINX_POD)
    assert capsys.readouterr().out == "pod/nginx created\n"
    assert cluster.get("Pod", "nginx").metadata.labels == {"app": "nginx"}
    shell.run_cell("%%kubectl apply -f -\n" + NGINX_POD)
    assert capsys.readouterr().out == "pod/nginx unchanged\n"
    result = shell.run_cell("%%kubectl create -f -\n" + NGINX_POD.replace("name: nginx\n  labels", "name: two\n  labels"))
    assert result.success and capsys.readouterr().out == "pod/two created\n"


def test_a_cell_magic_without_a_command_asks_for_one(shell, capsys):
    """`%%kubectl` with nothing after it does not run the body's first line as a command."""
    kitlib.Cluster(nodes=1)
    capsys.readouterr()
    result = shell.run_cell("%%kubectl\n" + NGINX_POD)
    assert isinstance(result.error_in_exec, kitlib.BadRequest)
    assert capsys.readouterr().err == "error: kubectl needs a command, e.g. kubectl get pods\n"


def test_the_magic_acts_on_the_last_cluster_created_or_the_one_chosen_with_use(shell, capsys):
    """The current cluster is the last `kitlib.Cluster` made in the process, as `minikube start`
    switches kubectl's context to the new cluster; `kitlib.use(c)` chooses another, as
    `kubectl config use-context` does."""
    first = kitlib.Cluster(nodes=1, seed=0)
    first.kubectl("create namespace only-in-first")
    second = kitlib.Cluster(nodes=1, seed=1)
    assert kitlib.current() is second
    capsys.readouterr()
    result = shell.run_cell("%kubectl get namespace only-in-first")
    assert isinstance(result.error_in_exec, kitlib.NotFound)
    assert capsys.readouterr().err == 'Error from server (NotFound): namespaces "only-in-first" not found\n'
    kitlib.use(first)
    shell.run_cell("%kubectl get namespace only-in-first -o name")
    assert capsys.readouterr().out == "namespace/only-in-first\n"


def test_use_takes_a_cluster():
    """`kitlib.use` refuses anything that is not a Cluster, and leaves the current one as it was."""
    c = kitlib.Cluster(nodes=1)
    with pytest.raises(kitlib.InvalidArgument, match=r"kitlib.use\(\) takes a kitlib.Cluster, not str"):
        kitlib.use("minikube")  # type: ignore[arg-type]
    assert kitlib.current() is c


def test_an_error_prints_kubectls_text_without_a_traceback_and_fails_the_cell(shell, capsys):
    """A failed command shows kubectl's error on stderr and nothing else; the cell fails, as the
    code form `cluster.kubectl(...)` does, so "Run All" stops there."""
    kitlib.Cluster(nodes=1)
    capsys.readouterr()
    result = shell.run_cell("%kubectl scale deployment web --replicas=2")
    out = capsys.readouterr()
    assert isinstance(result.error_in_exec, kitlib.NotFound)
    assert (out.out, out.err) == ("", 'Error from server (NotFound): deployments.apps "web" not found\n')
    result = shell.run_cell("%kubectl frobnicate pods")
    out = capsys.readouterr()
    assert not result.success
    assert out.err == 'error: unknown command "frobnicate" for "kubectl"\n'
    assert "Traceback" not in out.out + out.err


def test_warnings_go_to_stderr_before_the_output(shell, capsys):
    """kubectl's `Warning:` lines are a stream of their own, stderr, as in a terminal."""
    kitlib.Cluster(nodes=1)
    capsys.readouterr()
    shell.run_cell("%kubectl get endpoints kubernetes -o name")
    out = capsys.readouterr()
    assert out.out == "endpoints/kubernetes\n"
    assert out.err == "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n"


def test_dollar_and_brace_variables_expand_as_ipython_expands_them(shell, capsys):
    """IPython expands `$name` and `{expression}` in a magic's line: `%kubectl get pod {pod.name}`
    names the pod held in a Python variable."""
    cluster = kitlib.Cluster(nodes=1)
    cluster.kubectl("create deployment web --image=nginx")
    cluster.advance(10)
    shell.user_ns["pod"] = cluster.pods()[0]
    shell.user_ns["kind"] = "pod"
    capsys.readouterr()
    shell.run_cell("%kubectl get $kind {pod.name} -o name")
    assert capsys.readouterr().out == f"pod/{cluster.pods()[0].name}\n"


def test_braces_that_are_not_python_pass_as_typed(shell, capsys):
    """A line whose braces are not a Python expression (a JSONPath template) reaches kubectl
    unexpanded, `$name` included, exactly as IPython leaves such a `!` command."""
    kitlib.Cluster(nodes=1)
    shell.user_ns["kind"] = "pods"
    capsys.readouterr()
    result = shell.run_cell("%kubectl get $kind {.metadata.name}")
    assert isinstance(result.error_in_exec, kitlib.ApiError)
    assert capsys.readouterr().err == 'error: the server doesn\'t have a resource type "$kind"\n'


def test_a_command_that_prints_nothing_prints_nothing(shell, capsys):
    """kubectl prints no empty line when a command has nothing to say (`logs` of a quiet pod)."""
    cluster = kitlib.Cluster(nodes=1)
    cluster.apply(NGINX_POD)
    cluster.advance(10)
    capsys.readouterr()
    result = shell.run_cell("%kubectl logs nginx --since=1s")
    assert result.success
    assert capsys.readouterr().out == ""


def test_with_no_cluster_kubectl_finds_no_server(shell, capsys, monkeypatch):
    """Before any `kitlib.Cluster()`, kubectl has no cluster to talk to and says what kubectl says
    without a kubeconfig, with kitlib's hint."""
    monkeypatch.setattr(cluster_module, "_current", None)
    result = shell.run_cell("%kubectl get pods")
    assert isinstance(result.error_in_exec, kitlib.BadRequest)
    assert capsys.readouterr().err == (
        "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n"
        "(kitlib: no cluster yet: create one with kitlib.Cluster(), as minikube start does, "
        "or choose one with kitlib.use(cluster))\n")


def test_the_magics_module_imports_no_ipython():
    """kitlib.magics registers plain functions through the shell it is given: it imports nothing
    from IPython (the same code runs in JupyterLite's Pyodide kernel), and `import kitlib` does
    not import it at all."""
    tree = ast.parse(Path(kitlib.__file__).with_name("magics.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "IPython" for name in imported)
    code = "import sys, kitlib; print('kitlib.magics' in sys.modules, 'IPython' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
