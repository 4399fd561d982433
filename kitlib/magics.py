"""The notebook magics ``%kubectl`` and ``%%kubectl``: kubectl typed as in a terminal, in a cell.

``%load_ext kitlib`` registers them (:func:`kitlib.load_ipython_extension` calls :func:`register`)::

    %load_ext kitlib
    cluster = kitlib.Cluster(nodes=3, seed=0)      # minikube start --nodes 3

    %kubectl get pods -o wide                       # a line magic: one command

    %%kubectl apply -f -
    apiVersion: v1                                  # a cell magic: the cell's body is the
    kind: Pod                                       # command's stdin, as `kubectl apply -f - <<EOF`
    ...

Behaviour, as kubectl in a terminal shows it:

* **Which cluster.** The notebook's current cluster (:func:`kitlib.current`): the last
  ``kitlib.Cluster`` created in the process, or the one chosen with ``kitlib.use(cluster)``,
  as ``kubectl config use-context`` chooses a terminal's cluster.
* **Output.** What the command prints on stdout, as ``print(cluster.kubectl(...))`` prints it (the
  text, then a newline; a command that prints nothing prints nothing). kubectl's ``Warning:`` lines
  go to stderr before it, as :meth:`kitlib.Cluster.kubectl` writes them. The magic returns
  nothing, so no ``Out[n]`` follows.
* **Errors.** A failed command raises its :class:`~kitlib.ApiError`. In a kernel, kitlib's error
  display (:mod:`kitlib.notebook`) prints only kubectl's text on stderr, no Python traceback; the
  cell counts as failed, as ``cluster.kubectl(...)`` does, so "Run All" stops at the command that
  failed (the cells after it expect what it would have done). A lesson that shows an error on
  purpose tags the cell ``raises-exception`` (nbval's and nbclient's tag for an expected error).
* **Variables.** IPython expands ``$name`` and ``{expression}`` in the line before the magic sees
  it (``%kubectl exec {client.name} -- cat /etc/resolv.conf``); ``$$`` and ``{{ }}`` stay literal.
  As for ``!ls {x}``, a line with braces that are not Python (a JSONPath template such as
  ``-o jsonpath='{.items[*].metadata.name}'``) is passed as typed, unexpanded. The cell's body is
  never expanded.

The functions are registered with the shell's ``register_magic_function``, so this module imports
nothing from IPython: it works wherever an IPython shell runs, JupyterLab's kernel and
JupyterLite's Pyodide kernel alike.
"""

from __future__ import annotations

from typing import Any

from .cluster import current
from .notebook import install as install_error_display


def kubectl(line: str, cell: str | None = None) -> None:
    """``%kubectl ARGS`` runs ``kubectl ARGS`` on the current cluster and prints its output;
    ``%%kubectl ARGS`` does the same with the cell's body as the command's stdin
    (``%%kubectl apply -f -``).

    >>> import kitlib
    >>> _ = kitlib.Cluster(nodes=1)
    >>> kubectl("create deployment web --image=nginx")
    deployment.apps/web created
    >>> kubectl("apply -f -", "apiVersion: v1\\nkind: Namespace\\nmetadata:\\n  name: shop\\n")
    namespace/shop created
    """
    # With no command on the line, the body must not become the command: kubectl asks for one.
    command = line.strip() if cell is None or not line.strip() else f"{line.strip()}\n{cell}"
    out = current().kubectl(command)
    if out:
        print(out)


def register(shell: Any) -> None:
    """Register ``%kubectl`` and ``%%kubectl`` in an IPython ``shell``, and kitlib's display of
    ApiErrors (kubectl's text, no traceback) in it."""
    shell.register_magic_function(kubectl, magic_kind="line_cell", magic_name="kubectl")
    install_error_display(shell)
