"""``kubectl port-forward TYPE/NAME [LOCAL_PORT:]REMOTE_PORT ...`` (``pkg/cmd/portforward``, client-go
``tools/portforward``): listen on the learner's machine and tunnel each connection through the API
server and the kubelet to one pod (:mod:`kitlib.network.portforward`).

As kubectl does:

* ``pod/NAME`` (or ``NAME``) is that pod; ``svc/NAME``, ``deploy/NAME``, ``rs/NAME`` pick one pod of
  their selector, the most "active" (``GetFirstPod`` sorted by ``sort.Reverse(ActivePods)``:
  scheduled, Running, ready, not terminating, ready the longest, fewest restarts, oldest);
* for a Service, REMOTE is a Service port (number or name), translated to its ``targetPort`` in
  that pod (a named targetPort through the pod's container ports); for a pod, a named REMOTE is a
  container port's name;
* ``8080:80`` listens on 8080, ``80`` on 80, ``:80`` (or ``0:80``) on a free port the system
  chooses: kitlib takes it from Linux's ephemeral range with a generator seeded by the cluster's
  seed and the pod and port, so that the same cluster gets the same port;
* the listeners are ``127.0.0.1`` and ``::1`` (``--address localhost``), each printed as
  ``Forwarding from 127.0.0.1:8080 -> 80``;
* the pod must be Running (``unable to forward port because pod is not running``).

kubectl then keeps running until Ctrl-C. Here the command returns at once a
:class:`Forwarding` handle (the text kubectl printed, a ``str``): the tunnel lives on, and
``cluster.http("http://localhost:8080/")`` goes through it, until :meth:`Forwarding.stop` (Ctrl-C)
or until the pod is gone, when kubectl ends with ``error: lost connection to pod`` (see
:attr:`Forwarding.output`). A local port another forward listens on is ``address already in use``.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ..api.apps import Deployment, ReplicaSet
from ..api.labels import LabelSelector
from ..api.pod import Pod, is_ready
from ..api.service import Service
from ..network import portforward
from ..network.portforward import PortForward
from .args import Args, KubectlError, resource_type
from .output import Output, note, request

if TYPE_CHECKING:
    from ..cluster import Cluster
    from ..runtime import Runtime

EPHEMERAL = (32768, 60999)
"""Linux's default ``ip_local_port_range``: where a port the system chooses comes from."""


class Forwarding(Output):
    """What ``kubectl port-forward`` printed when it started (the string itself), and a handle on the
    running kubectl: :attr:`output` (everything it has printed since), :attr:`running`, :meth:`stop`."""

    _rt: Runtime
    _forward: PortForward

    @classmethod
    def start(cls, rt: Runtime, fwd: PortForward) -> Forwarding:
        """The handle of a forward just started."""
        out = cls("\n".join(fwd.out))
        out._rt, out._forward = rt, fwd
        return out

    @property
    def running(self) -> bool:
        """Whether kubectl still forwards (it ends when its pod is gone)."""
        return portforward.check(self._rt, self._forward)

    @property
    def output(self) -> str:
        """What kubectl has printed so far: the ``Forwarding from`` lines, a ``Handling connection
        for`` line per connection, and its errors (``error: lost connection to pod``)."""
        portforward.check(self._rt, self._forward)
        return "\n".join(self._forward.out + self._forward.err)

    def stop(self) -> None:
        """Ctrl-C: kubectl closes its listeners and exits (it prints nothing)."""
        portforward.stop(self._rt, self._forward)


USAGE = ("error: TYPE/NAME and list of ports are required for port-forward\n"
         "See 'kubectl port-forward -h' for help and examples")


def port_forward_command(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl port-forward``: find the pod and ports as kubectl's ``Complete`` does, then listen."""
    words = args.words[1:] + args.rest
    if len(words) < 2:
        raise KubectlError(USAGE)
    namespace = args.namespace
    target, specs = words[0], words[1:]
    kind, _, name = target.partition("/") if "/" in target else ("pods", "", target)
    res = resource_type(kind)
    request(cluster, res.kind)
    obj = cluster.api.get(res.kind, name, namespace)
    pod = obj if isinstance(obj, Pod) else _first_pod(cluster, obj, namespace)
    if isinstance(obj, Service):
        _check_udp(specs, obj, None)
        ports = [_service_port(spec, obj, pod) for spec in specs]
    else:
        _check_udp(specs, None, pod)
        ports = [_pod_port(spec, pod) for spec in specs]
    parsed = [_parse(spec) for spec in ports]
    if pod.status.phase != "Running":
        raise KubectlError(f"error: unable to forward port because pod is not running. "
                           f"Current status={pod.status.phase}")
    addresses = _addresses(args.all("address") or ["localhost"])
    rt = cluster.runtime
    fwd = PortForward([], namespace, pod.name, pod.metadata.uid or "", addresses)
    errors: list[str] = []
    for local, remote in parsed:
        if local == 0:
            local = _free_port(rt, pod, remote)
        if local in rt.port_forwards and portforward.check(rt, rt.port_forwards[local]):
            errors.append(_in_use(local, addresses))
            continue
        fwd.ports.append((local, remote))
        fwd.out += [f"Forwarding from {_join(a, local)} -> {remote}" for a in addresses]
    if not fwd.ports:
        pairs = " ".join(f"{{{lp} {r}}}" for lp, r in parsed)
        raise KubectlError("\n".join([*errors, f"error: unable to listen on any of the requested ports: [{pairs}]"]))
    fwd.err += errors
    for text in errors:
        note(text)
    for local, _ in fwd.ports:
        rt.port_forwards[local] = fwd
    return Forwarding.start(rt, fwd)


def _first_pod(cluster: Cluster, obj: object, namespace: str) -> Pod:
    """``AttachablePodForObject``: the object's pods by its selector, the most active first."""
    if isinstance(obj, Service):
        if not obj.spec.selector:
            raise KubectlError(f"error: cannot attach to *v1.Service: invalid service '{obj.name}': "
                               "Service is defined without a selector")
        selector = LabelSelector(match_labels=dict(obj.spec.selector))
    elif isinstance(obj, (Deployment, ReplicaSet)) and obj.spec.selector is not None:
        selector = obj.spec.selector
    else:
        kind = type(obj).__name__
        raise KubectlError(f"error: cannot attach to *v1.{kind}: selector for *v1.{kind} not implemented")
    pods = [p for p in cluster.api.list_as(Pod, namespace) if selector.matches(p.metadata.labels)]
    if not pods:
        # GetFirstPod watches --pod-running-timeout (1m) for a pod to appear, then gives up.
        raise KubectlError("error: timed out waiting for the condition")
    return sorted(pods, key=_most_active)[0]


_PHASE = {"Pending": 0, "Unknown": 1, "Running": 2}


def _most_active(pod: Pod) -> tuple:
    """``sort.Reverse(podutils.ActivePods)`` as a sort key: the pod ``ActivePods.Less`` ranks
    highest comes first. Go's sort is not stable: the name breaks the remaining ties here."""
    ready = is_ready(pod)
    deleting = pod.metadata.deletion_timestamp is not None
    since = next((c.last_transition_time or "" for c in pod.status.conditions if c.type == "Ready"), "") \
        if ready else ""
    restarts = max((cs.restart_count for cs in pod.status.container_statuses), default=0)
    deletion = pod.metadata.deletion_timestamp or ""
    return (not pod.spec.node_name, -_PHASE.get(pod.status.phase or "", 0), not ready, deleting,
            _descending(deletion), since or "~", restarts, pod.metadata.creation_timestamp or "~", pod.name)


def _descending(stamp: str) -> str:
    """An RFC 3339 time that sorts newest first."""
    return "".join(chr(0x7E - ord(ch) + 0x20) if ch.isdigit() else ch for ch in stamp)


def _split(spec: str) -> tuple[str, str]:
    """``splitPort``: ``LOCAL:REMOTE``, else the text before the first colon as both."""
    parts = spec.split(":")
    if len(parts) == 2:
        return parts[0], parts[1]
    return parts[0], parts[0]


def _service_port(spec: str, svc: Service, pod: Pod) -> str:
    """``translateServicePortToTargetPort``: a Service port (number or name) → the pod's port."""
    local, remote = _split(spec)
    if remote.isdigit():
        number = int(remote)
    else:
        found = next((p.port for p in svc.spec.ports if p.name == remote), None)
        if found is None:
            raise KubectlError(f"error: Service '{svc.name}' does not have a named port '{remote}'")
        number = found
        if local == remote:
            local = str(number)
    port = next((p for p in svc.spec.ports if p.port == number), None)
    if port is None:
        raise KubectlError(f"error: Service {svc.name} does not have a service port {number}")
    if svc.spec.cluster_ip == "None":
        target = number
    elif isinstance(port.target_port, str) and not port.target_port.isdigit():
        target = _named(pod, port.target_port)
    else:
        target = int(port.target_port or 0) or port.port
    return f"{local}:{target}" if local != str(target) else str(target)


def _pod_port(spec: str, pod: Pod) -> str:
    """``convertPodNamedPortToNumber``: a container port's name → its number."""
    local, remote = _split(spec)
    if not remote:
        raise KubectlError("error: remote port cannot be empty")
    number = remote if remote.isdigit() else str(_named(pod, remote))
    return f"{local}:{number}" if local != remote else number


def _named(pod: Pod, name: str) -> int:
    for c in pod.spec.containers:  # kitlib models no init containers
        for p in c.ports:
            if p.name == name:
                return p.container_port
    raise KubectlError(f"error: Pod '{pod.name}' does not have a named port '{name}'")


def _check_udp(specs: list[str], svc: Service | None, pod: Pod | None) -> None:
    """``checkUDPPortInService|Pod``: a port only UDP serves cannot be forwarded."""
    if svc is not None:
        pairs = [(p.port, p.protocol or "TCP") for p in svc.spec.ports]
    else:
        assert pod is not None
        pairs = [(p.container_port, p.protocol or "TCP") for c in pod.spec.containers for p in c.ports]
    udp = {n for n, proto in pairs if proto == "UDP"} - {n for n, proto in pairs if proto == "TCP"}
    for spec in specs:
        _, remote = _split(spec)
        if remote.isdigit():
            number = int(remote)
        elif svc is not None:
            found = next((p.port for p in svc.spec.ports if p.name == remote), None)
            if found is None:
                raise KubectlError(f"error: Service '{svc.name}' does not have a named port '{remote}'")
            number = found
        else:
            assert pod is not None
            number = _named(pod, remote)
        if number in udp:
            raise KubectlError(f"error: UDP protocol is not supported for {remote}")


def _parse(spec: str) -> tuple[int, int]:
    """client-go's ``parsePorts``: ``LOCAL:REMOTE``, ``PORT``, ``:REMOTE`` (LOCAL 0: any free port)."""
    parts = spec.split(":")
    if len(parts) > 2:
        raise KubectlError(f"error: invalid port format '{spec}'")
    local, remote = (parts[0], parts[0]) if len(parts) == 1 else (parts[0] or "0", parts[1])
    numbers = []
    for which, text in (("local", local), ("remote", remote)):
        if not text.isdigit():
            raise KubectlError(f"error: error parsing {which} port '{text}': strconv.ParseUint: parsing "
                               f'"{text}": invalid syntax')
        if int(text) > 65535:
            raise KubectlError(f"error: error parsing {which} port '{text}': strconv.ParseUint: parsing "
                               f'"{text}": value out of range')
        numbers.append(int(text))
    if numbers[1] == 0:
        raise KubectlError("error: remote port must be > 0")
    return numbers[0], numbers[1]


def _addresses(given: list[str]) -> tuple[str, ...]:
    """``--address``: ``localhost`` listens on 127.0.0.1 and ::1; IPs as given (comma lists too)."""
    out: list[str] = []
    for value in given:
        for address in value.split(","):
            for ip in (("127.0.0.1", "::1") if address == "localhost" else (address,)):
                if ip not in out:
                    out.append(ip)
    return tuple(out)


def _join(host: str, port: int) -> str:
    """Go's ``net.JoinHostPort``: an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _in_use(port: int, addresses: tuple[str, ...]) -> str:
    """What kubectl writes on stderr for a local port something else listens on."""
    causes = " ".join(f"unable to create listener: Error listen tcp{'6' if ':' in a else '4'} {_join(a, port)}: "
                      "bind: address already in use" for a in addresses)
    return f"Unable to listen on port {port}: Listeners failed to create with the following errors: [{causes}]"


def _free_port(rt: Runtime, pod: Pod, remote: int) -> int:
    """The port the system would choose for ``:REMOTE``: from the ephemeral range, by the cluster's
    seed, the pod and the port (the cluster's own generators are left alone), one not in use."""
    rng = random.Random(f"{rt.seed}:port-forward:{pod.key}:{remote}")
    while True:
        port = rng.randint(*EPHEMERAL)
        if port not in rt.port_forwards:
            return port


__all__ = ["Forwarding", "port_forward_command"]
