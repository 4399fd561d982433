"""``kubectl port-forward``'s tunnel: a listener on the learner's machine whose connections go through
the API server to the kubelet of the pod's node, which dials ``localhost:PORT`` inside the pod's
network namespace (the kubelet's CRI ``PortForward``; client-go ``tools/portforward``).

No Service, kube-proxy rule or NetworkPolicy is on that path: even ``kubectl port-forward svc/web``
forwards to the one pod kubectl picked when it started (the Service only names the pod and
translates the port). The tunnel lives as long as the kubectl process: until it is stopped
(Ctrl-C), or until the pod's stream closes because the pod is gone or no longer running, when
kubectl ends with ``error: lost connection to pod``.

The state lives in :attr:`kitlib.runtime.Runtime.port_forwards`, by local port.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..api.pod import Pod

if TYPE_CHECKING:
    from ..runtime import Runtime


@dataclass
class PortForward:
    """One running ``kubectl port-forward``: its listeners, the pod and port it forwards to, and
    what kubectl has printed on stdout (``out``) and stderr (``err``) so far."""

    ports: list[tuple[int, int]]
    """(local, remote) of each port it listens on."""
    namespace: str
    pod: str
    uid: str
    addresses: tuple[str, ...] = ("127.0.0.1", "::1")
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    ended: bool = False
    """kubectl has exited: its stream to the pod closed (the listeners are gone with it)."""

    def remote(self, local: int) -> int:
        """The pod's port that local port ``local`` forwards to."""
        return next(r for lp, r in self.ports if lp == local)

    @property
    def key(self) -> str:
        """The pod's ``namespace/name``."""
        return f"{self.namespace}/{self.pod}"


def live_pod(rt: Runtime, fwd: PortForward) -> Pod | None:
    """The pod the tunnel reaches, while its stream is open: the same pod (by uid), still Running
    (a terminating pod's containers still answer until they stop; its sandbox goes with it)."""
    pod = rt.api.store.get("Pod", fwd.key)
    if isinstance(pod, Pod) and pod.metadata.uid == fwd.uid and pod.status.phase == "Running":
        return pod
    return None


def check(rt: Runtime, fwd: PortForward) -> bool:
    """Whether the forward still runs; when its pod has gone, kubectl ends now with ``error: lost
    connection to pod`` (client-go's ``ErrLostConnectionToPod``) and its listeners close."""
    if fwd.ended:
        return False
    if live_pod(rt, fwd) is None:
        end(rt, fwd)
        return False
    return True


def end(rt: Runtime, fwd: PortForward) -> None:
    """The stream to the pod closed: kubectl prints ``error: lost connection to pod`` and exits."""
    fwd.ended = True
    fwd.err.append("error: lost connection to pod")
    stop(rt, fwd)


def stop(rt: Runtime, fwd: PortForward) -> None:
    """Close the forward's listeners (kubectl ended, or was stopped with Ctrl-C)."""
    fwd.ended = True
    for local, _ in fwd.ports:
        if rt.port_forwards.get(local) is fwd:
            del rt.port_forwards[local]


def listening(rt: Runtime, port: int) -> PortForward | None:
    """The running forward listening on ``port`` on the learner's machine, if any."""
    fwd = rt.port_forwards.get(port)
    return fwd if fwd is not None and check(rt, fwd) else None


__all__ = ["PortForward", "check", "end", "listening", "live_pod", "stop"]
