"""In a notebook an ApiError reads as kubectl prints it; other errors keep their traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kitlib
from kitlib import notebook

IPython = pytest.importorskip("IPython")


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    yield ip
    ip.set_custom_exc((), None)
    InteractiveShell.clear_instance()


def test_an_api_error_prints_kubectls_text_and_no_traceback(shell, capsys):
    """`cluster.kubectl("scale ... --replicas=-1")` in a cell shows kubectl's message only."""
    assert notebook.install()
    shell.user_ns["c"] = kitlib.Cluster(nodes=1)
    capsys.readouterr()
    result = shell.run_cell('c.kubectl("get pods nosuch")')
    out = capsys.readouterr()
    assert isinstance(result.error_in_exec, kitlib.NotFound)
    assert out.err.strip() == 'Error from server (NotFound): pods "nosuch" not found'
    assert "Traceback" not in out.out + out.err


def test_warnings_are_a_stream_of_their_own_before_the_output_or_the_error(shell, capsys):
    """kubectl writes the server's warnings on stderr: a cell shows them apart from what it prints,
    and before kubectl's error when the command fails."""
    notebook.install()
    shell.user_ns["c"] = kitlib.Cluster(nodes=1)
    capsys.readouterr()
    shell.run_cell('print(c.kubectl("get endpoints kubernetes -o name"))')
    out = capsys.readouterr()
    warning = "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice\n"
    assert (out.out, out.err) == ("endpoints/kubernetes\n", warning)
    result = shell.run_cell('c.kubectl("get endpoints nosuch")')
    out = capsys.readouterr()
    assert isinstance(result.error_in_exec, kitlib.NotFound)
    assert out.err == warning + 'Error from server (NotFound): endpoints "nosuch" not found\n'


def test_other_errors_keep_their_traceback(shell, capsys):
    """Only the ApiError family is shown briefly: a bug elsewhere still shows where it happened."""
    notebook.install()
    shell.run_cell("1 / 0")
    out = capsys.readouterr()
    assert "ZeroDivisionError" in out.out + out.err
    assert "Traceback" in out.out + out.err


def test_outside_a_kernel_nothing_is_installed_and_ipython_is_not_imported():
    """Plain Python: importing kitlib neither imports IPython nor changes how errors print."""
    code = "import sys, kitlib; print('IPython' in sys.modules, kitlib.notebook.install())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"
