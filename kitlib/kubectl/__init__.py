"""A kubectl for the simulated cluster: a thin parser over the Cluster's verbs.

>>> from kitlib import Cluster
>>> c = Cluster(nodes=1)
>>> print(c.kubectl("get nodes"))
NAME       STATUS   ROLES           AGE   VERSION
minikube   Ready    control-plane   0s    v1.32.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ApiError, BadRequest, Invalid
from . import services  # noqa: F401  (registers expose, create service, the Service columns)
from .args import parse
from .commands import COMMANDS

if TYPE_CHECKING:
    from ..cluster import Cluster


def run(cluster: Cluster, command: str) -> str:
    """Run one kubectl command line; a heredoc (``apply -f - <<EOF ... EOF``) is its stdin."""
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
        raise BadRequest(f'error: unknown command "{verb}" for "kubectl"')
    try:
        return handler(cluster, args, stdin)
    except Invalid as err:
        raise _as_kubectl(err) from None
    except ApiError as err:
        raise _as_kubectl(err) from None


def _as_kubectl(err: ApiError) -> ApiError:
    """The same error, its text now what kubectl prints."""
    text = err.kubectl_text()
    if str(err) == text:
        return err
    out = type(err)(text, causes=err.causes)
    out.server_message = err.message  # type: ignore[attr-defined]
    return out


from . import ingress  # noqa: E402,F401  (registers create ingress, the Ingress/IngressClass/Secret views)
