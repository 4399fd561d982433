"""A kubectl for the simulated cluster: a thin parser over the Cluster's verbs.

The verbs live in :mod:`.commands` (those that work on any kind), :mod:`.rollout`, :mod:`.exec`,
:mod:`.logs` and :mod:`.services` (``expose``), all listed in :data:`COMMANDS`; what kubectl shows and builds for
each kind lives in the module named after it (:mod:`.pods`, :mod:`.services`, ...), listed in
:data:`.kinds.VIEWS`.

>>> from kitlib import Cluster
>>> c = Cluster(nodes=1)
>>> print(c.kubectl("get nodes"))
NAME       STATUS   ROLES           AGE   VERSION
minikube   Ready    control-plane   2m    v1.37.1
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..errors import ApiError, BadRequest, Invalid
from . import commands, get, rollout, services, setters
from .args import Args, KubectlError, parse, unknown_command
from .delete import delete_command
from .exec import exec_command
from .flags import ROOT_COMMANDS
from .logs import logs_command
from .output import Output, collecting
from .patch import patch_command
from .portforward import port_forward_command
from .run import run_command

if TYPE_CHECKING:
    from ..cluster import Cluster

Handler = Callable[["Cluster", Args, str], str]
"""A verb: the cluster, the parsed command line and its stdin in, what kubectl prints out."""
COMMANDS: dict[str, Handler] = {
    "get": get.get,
    "describe": commands.describe,
    "create": commands.create,
    "apply": commands.apply,
    "scale": commands.scale,
    "delete": delete_command,
    "label": commands.label,
    "patch": patch_command,
    "cordon": commands.cordon,
    "uncordon": commands.uncordon,
    "drain": commands.drain,
    "expose": services.expose,
    "set": setters.set_command,
    "rollout": rollout.rollout_command,
    "annotate": setters.annotate_command,
    "exec": exec_command,
    "logs": logs_command,
    "run": run_command,
    "port-forward": port_forward_command,
}


def run(cluster: Cluster, command: str) -> Output:
    """Run one kubectl command line; a heredoc (``apply -f - <<EOF ... EOF``) is its stdin. The
    warnings kubectl writes on stderr come back apart (:mod:`.output`): in the result's
    ``warnings``, or in the error's."""
    with collecting() as said:
        try:
            text = _run(cluster, command)
        except ApiError as err:
            err.warnings = tuple(said)
            raise
    if isinstance(text, Output):  # a handle on a command that keeps running (port-forward)
        text.warnings = tuple(said)
        return text
    return Output(text, said)


def _run(cluster: Cluster, command: str) -> str:
    first, _, stdin = command.strip().partition("\n")
    if "<<" in first:
        first, _, marker = first.partition("<<")
        marker = marker.strip().strip("'\"")
        lines = stdin.split("\n")
        if lines and lines[-1].strip() == marker:
            lines = lines[:-1]
        stdin = "\n".join(lines)
    args = parse(first)
    if not args.words:
        raise BadRequest("error: kubectl needs a command, e.g. kubectl get pods")
    verb = args.words[0]
    handler = COMMANDS.get(verb)
    if handler is None:
        if verb in ROOT_COMMANDS:  # a command kubectl has and kitlib does not simulate
            raise KubectlError(f'error: kitlib does not simulate "kubectl {verb}"')
        raise unknown_command(verb)
    try:
        return handler(cluster, args, stdin)
    except Invalid as err:
        raise _as_kubectl(err) from None
    except ApiError as err:
        raise _as_kubectl(err) from None


def _as_kubectl(err: ApiError) -> ApiError:
    """The same error, its text now what kubectl prints."""
    if err.printed:
        return err
    return type(err)(err.kubectl_text(), causes=err.causes, printed=True)

