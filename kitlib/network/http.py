"""HTTP over the simulated network: :meth:`kitlib.Cluster.http`, from the client to the container that answers.

A request goes as a real client sends it: the host is resolved (by the pod's resolver when the
client is a pod, see :mod:`kitlib.network.dns`; from outside only an IP works), a TCP connection
is traced through the data path, and the container that accepts it answers.

What the container answers is :func:`kitlib.container.images.respond`'s business; the app model
(:mod:`kitlib.container.behaviour`: warm-up, fault switches) refuses or times out connections in
the data path before a request gets here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from ..api.addresses import is_ip
from ..api.node import internal_ip
from ..container import listeners
from ..container.behaviour import connection_problem
from ..container.handlers import AppReply, HttpRequest, go_reply, now, status_line
from ..container.images import respond, speaks_tls
from ..errors import BadRequest
from . import dns, portforward
from .datapath import Connection, Hop, Source, connect_from, resolve_source
from .gateway import GatewayMatch
from .ref import Ref
from .topology import EXTERNAL, pod_vertex

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime

TLS_PORTS = {8443: "kube-apiserver", 10250: "kubelet"}
LOOPBACK = ("localhost", "127.0.0.1")


@dataclass
class HttpResponse:
    """The outcome of :meth:`kitlib.Cluster.http`: data, never an exception.

    ``status`` is None when no HTTP answer came back; ``failure`` then says why in one word
    (``dns``, ``refused``, ``timeout``, ``no route``) and ``reason`` in a sentence.
    """

    url: str
    status: int | None
    reason: str
    service: str | None = None
    pod: str | None = None
    hops: list[Hop] = field(default_factory=list)
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    ip: str = ""
    port: int = 0
    host: str = ""
    failure: str | None = None
    version: str = "HTTP/1.1"
    dns: dns.DnsAnswer | None = None
    connection: Connection | None = None
    phrase: str = ""
    """The server's reason phrase, when it is not the standard one."""
    ingress: Any = None
    """For a request an ingress controller routed: the :class:`~kitlib.network.ingress.Match`
    (which rule of which Ingress took it, and why the others did not)."""
    gateway: Any = None
    """For a request a Gateway routed: the :class:`~kitlib.network.gateway.GatewayMatch` (the Gateway,
    listener, HTTPRoute, rule and backend, and in ``verdicts`` why every other match lost)."""
    tls: Any = None
    """For ``https://``: the :class:`~kitlib.addons.ingress_nginx.TlsSession` (which certificate came back)."""
    proxy: Any = None
    """For a request an ingress controller handled: its :class:`~kitlib.addons.ingress_nginx.ProxyTrace`
    (the canary decision, the path after ``rewrite-target``, the upstreams it tried)."""

    @property
    def ok(self) -> bool:
        """An answer with a 2xx or 3xx status."""
        return self.status is not None and 200 <= self.status < 400

    @property
    def status_text(self) -> str:
        """``200 OK``, ``404 Not Found``, ..."""
        if self.status is None:
            return ""
        return f"{self.status} {self.phrase}" if self.phrase else status_line(self.status)

    def head(self) -> str:
        """The status line and headers, as ``curl -i`` shows them (CRLF line ends)."""
        lines = [f"{self.version} {self.status_text}"] + [f"{k}: {v}" for k, v in self.headers.items()]
        return "\r\n".join(lines) + "\r\n\r\n"

    def __str__(self) -> str:
        if self.status is None:
            return f"FAILED: {self.reason}" + "".join(f"\n  {h}" for h in self.hops)
        where = f" from {self.pod}" if self.pod else ""
        via = f" (via service {self.service})" if self.service else ""
        return f"{self.version} {self.status_text}{where}{via}\n" + "\n".join(
            f"{k}: {v}" for k, v in self.headers.items()) + "\n\n" + self.body

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the readable form
        p.text(str(self))


# ---------------------------------------------------------------------------- the client


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an ``http://`` or ``https://`` URL; a bare ``host[:port]/path``
    is http, as in curl."""
    text = url if "://" in url else f"http://{url}"
    try:
        parts = urlsplit(text)
    except ValueError:  # urllib's "Invalid IPv6 URL": an unclosed [ in the host
        raise BadRequest(f"error: {url}: the host is not a valid address or name") from None
    if parts.scheme not in ("http", "https"):
        raise BadRequest(f'error: {url}: unsupported scheme "{parts.scheme}": use http:// or https://')
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadRequest(f"error: {url}: the port is not a number in 1-65535") from None
    if not parts.hostname:
        raise BadRequest(f"error: {url}: no host in the URL")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def request(rt: Runtime, url: str, src: str = "external", headers: dict[str, str] | None = None,
            method: str = "GET") -> HttpResponse:
    """Send one HTTP request from ``src`` (see :meth:`kitlib.Cluster.http`)."""
    method = method.upper()
    scheme, host, port, path = parse_url(url)
    out = HttpResponse(url, None, "", host=host, port=port)
    ref = Ref.parse(src)
    if host in LOOPBACK:
        if scheme == "https":
            raise BadRequest(f"error: {url}: kitlib simulates TLS only at the ingress controller")
        return _loopback(rt, out, resolve_source(rt, ref), method, path, headers)
    source = resolve_source(rt, ref)
    lab_dns = _lab_dns(rt, ref, host)
    if is_ip(host):
        ip = host
    elif lab_dns is not None:
        ip, hop = lab_dns
        out.hops = [hop]
    else:
        answer = dns.lookup_for(rt, ref, host)
        out.dns = answer
        out.hops = [dns.dns_hop(source, answer)]
        if not answer.ok or answer.address is None:
            out.failure, out.reason = "dns", f"could not resolve {host}: {answer.reason}"
            return out
        ip = answer.address
    out.ip = ip
    conn = connect_from(rt, source, Ref.parse(ip), port, "TCP")
    out.connection = conn
    out.service = conn.service
    out.hops = out.hops + list(conn.hops)
    if not conn.ok:
        out.failure, out.reason = conn.failure, conn.reason
        return out
    client_ip = conn.hops[-1].src if conn.hops else conn.src_ip
    req = HttpRequest(method, url, host, port, path, dict(headers or {}), client_ip, _client_port(rt), scheme)
    if conn.pod is not None:
        pod = cast("Pod", rt.api.store.get("Pod", conn.pod))  # the data path names a stored pod
        container = accepting_container(conn, pod)
        req = replace(req, port=conn.target_port or port)  # the server's own port: a NodePort is DNATed away
        if scheme == "https" and not speaks_tls(rt, container):
            out.failure = "tls"
            out.reason = (f"container {container.name} of pod {conn.pod} accepted the connection, but kitlib "
                          "simulates TLS only at the ingress controller: no handshake")
            return out
        reply = respond(rt, pod, container, req)
        out.pod = conn.pod
        where = f"container {container.name} of pod {conn.pod}"
        if reply is not None and reply.upstream is not None:
            trace = reply.upstream
            out.hops += trace.hops
            out.tls, out.service, out.pod = trace.tls, trace.service, trace.pod
            if isinstance(trace.match, GatewayMatch):
                out.gateway = trace.match
                where = f"envoy {conn.pod}" + (f", proxied to pod {trace.pod}" if trace.pod else "")
            else:
                out.ingress, out.proxy = trace.match, trace
                where = f"ingress controller {conn.pod}" + (f", proxied to pod {trace.pod}" if trace.pod else "")
    elif scheme == "https":
        out.failure = "tls"
        out.reason = f"{ip}:{port} is a node's listener: kitlib simulates TLS only at the ingress controller"
        return out
    else:
        node = next((h.where for h in reversed(conn.hops) if h.where not in ("outside", "node network")), "")
        reply = _node_reply(rt, node, port, req)
        where = f"node {node}"
    return _answer(out, reply, where, method)


def _loopback(rt: Runtime, out: HttpResponse, end: Source, method: str, path: str,
              headers: dict[str, str] | None) -> HttpResponse:
    """``localhost`` (from /etc/hosts, no DNS): the client's own network namespace."""
    out.ip = "127.0.0.1"
    if end.kind == "node":
        # The kubelet and friends listen on every address of the node, loopback included.
        conn = connect_from(rt, end, Ref.parse(end.ip), out.port, "TCP")
        out.connection, out.hops = conn, list(conn.hops)
        if not conn.ok:
            out.failure, out.reason = conn.failure, conn.reason
            return out
        req = HttpRequest(method, out.url, out.host, out.port, path, dict(headers or {}), "127.0.0.1",
                          _client_port(rt))
        return _answer(out, _node_reply(rt, end.node or "", out.port, req), f"node {end.node}", method)
    if end.kind == "external":
        fwd = portforward.listening(rt, out.port)
        if fwd is not None:
            return _forwarded(rt, out, fwd, out.port, fwd.remote(out.port), method, path, headers)
    pod = end.pod
    out.hops = [Hop(end.vertex, end.node or "outside", "lo", "127.0.0.1", f"127.0.0.1:{out.port}",
                    "loopback: the packet never leaves the client's own network namespace")]
    return _in_pod(rt, out, pod, out.port, method, path, headers, "the machine outside the cluster")


def _in_pod(rt: Runtime, out: HttpResponse, pod: Pod | None, port: int, method: str, path: str,
            headers: dict[str, str] | None, nobody: str) -> HttpResponse:
    """A connection to ``127.0.0.1:port`` inside ``pod``'s network namespace (``nobody``: who the
    client is when there is no pod)."""
    listening = [c for c, cs in zip(pod.spec.containers, pod.status.container_statuses, strict=False)
                 if cs.state.running and (port, "TCP") in listeners.listening(rt, c).ports] if pod is not None else []
    if not listening or pod is None:  # no pod, nothing listening
        who = f"pod {pod.name}" if pod is not None else nobody
        out.failure, out.reason = "refused", f"nothing listens on 127.0.0.1:{port} in {who}: connection refused"
        return out
    container = listening[0]
    problem = connection_problem(rt, pod, container, port)
    if problem is not None:
        failure, why = problem
        out.failure, out.reason = failure, why.replace(f"port {port}", f"127.0.0.1:{port}")
        return out
    req = HttpRequest(method, out.url, out.host, port, path, dict(headers or {}), "127.0.0.1", _client_port(rt))
    out.pod = pod.key
    return _answer(out, respond(rt, pod, container, req), f"container {container.name} of pod {out.pod}",
                   method)


def _forwarded(rt: Runtime, out: HttpResponse, fwd: portforward.PortForward, local: int, remote: int,
               method: str, path: str, headers: dict[str, str] | None) -> HttpResponse:
    """``localhost:PORT`` where ``kubectl port-forward`` listens: kubectl → API server → kubelet
    on the pod's node → ``localhost:REMOTE`` in the pod's network namespace (no kube-proxy). A
    refused connection inside the pod is kubectl's ``an error occurred forwarding`` on stderr, and
    the client's connection is closed without a reply."""
    pod = portforward.live_pod(rt, fwd)
    assert pod is not None  # listening() checked it
    nodes = rt.nodes()
    control = next((n for n in nodes if "node-role.kubernetes.io/control-plane" in n.metadata.labels), nodes[0])
    api_ip = internal_ip(control)
    node = next((n for n in nodes if n.name == pod.spec.node_name), control)
    node_ip = internal_ip(node)
    client = f"127.0.0.1:{_client_port(rt)}"
    fwd.out.append(f"Handling connection for {local}")
    out.hops = [
        Hop(EXTERNAL, "outside", "lo (kubectl)", client, f"127.0.0.1:{local}",
            f"kubectl port-forward listens on 127.0.0.1:{local} on the learner's machine"),
        Hop(EXTERNAL, "outside", "kubectl → kube-apiserver", rt.topology.graph.nodes[EXTERNAL]["ip"], f"{api_ip}:8443",
            f"a stream of kubectl's connection to the API server: POST "
            f"/api/v1/namespaces/{pod.namespace}/pods/{pod.name}/portforward"),
        Hop(f"kernel:{control.name}", control.name, "kube-apiserver → kubelet", api_ip, f"{node_ip}:10250",
            f"the API server proxies the stream to the kubelet on {node.name}, the pod's node"),
        Hop(pod_vertex(pod.key), node.name, "lo (pod netns)", "127.0.0.1", f"127.0.0.1:{remote}",
            f"the kubelet dials localhost:{remote} inside pod {pod.key}'s network namespace: "
            "no Service, no kube-proxy, no NetworkPolicy on this path"),
    ]
    node_up = rt.node_state.get(node.name)
    if node_up is not None and not node_up.up:
        out.failure = "timeout"
        out.reason = f"the API server cannot reach the kubelet on {node.name} ({node_ip}:10250): i/o timeout"
        return out
    answer = _in_pod(rt, out, pod, remote, method, path, headers, "")
    if answer.failure == "refused":
        # client-go logs the kubelet's error and closes its stream: one refused connection ends
        # the whole port-forward (tools/portforward, handleConnection). The error's own words come
        # from the container runtime (cri-dockerd's socat on minikube) and klog's header; kitlib
        # gives the gist only.
        fwd.err.append(f"an error occurred forwarding {local} -> {remote}: error forwarding "
                       f"port {remote} to pod {pod.key}: connect(127.0.0.1:{remote}): "
                       "Connection refused")
        portforward.end(rt, fwd)
        answer.failure = "empty"
        answer.reason = (f"kubectl accepted the connection on 127.0.0.1:{local}, but nothing listens on "
                         f"localhost:{remote} in pod {pod.key}: kubectl closed it without a reply, and ended")
    return answer


def _lab_dns(rt: Runtime, src: Ref, host: str) -> tuple[str, Hop] | None:
    """With the ingress add-on, a client outside the cluster resolves every name to the controller's
    external address, as a wildcard DNS record (nip.io) or an /etc/hosts line would in a lab. With
    the gateway add-on, a name a Gateway with an address serves resolves to that Gateway first."""
    if src.kind != "external" or is_ip(host):
        return None
    gateways = rt.addons.get("gateway")
    served = gateways.gateway_for_host(host) if gateways is not None else None
    if gateways is not None and served is not None:
        ip = gateways.address(served)
        return ip, Hop("external", "outside", "resolver", "", ip,
                       f"DNS (lab): {host} → {ip}, the address of Gateway {served}, which serves that name, "
                       "as a wildcard record or /etc/hosts line would point it there")
    addon = rt.addons.get("ingress")
    if addon is None:
        return None
    ip = addon.address()[0]
    return ip, Hop("external", "outside", "resolver", "", ip,
                   f"DNS (lab): {host} → {ip}, {addon.address_note()}, as a wildcard record, an /etc/hosts "
                   "line or curl --resolve points every name there")


def _answer(out: HttpResponse, reply: AppReply | None, where: str, method: str) -> HttpResponse:
    if reply is None:
        out.failure = "empty"
        out.reason = f"{where} accepted the connection but does not speak HTTP: it closed it without a reply"
        return out
    out.status, out.body, out.version = reply.status, reply.body if method != "HEAD" else "", reply.version
    out.phrase = reply.phrase
    out.headers = dict(reply.headers)
    out.reason = f"{out.version} {out.status_text} from {where}"
    return out


def accepting_container(conn: Connection, pod: Pod) -> Container:
    """The container of ``pod`` that accepted ``conn`` (the data path names it)."""
    return next((c for c in pod.spec.containers if c.name == conn.container), pod.spec.containers[0])


def _client_port(rt: Runtime) -> int:
    # An ephemeral port from Linux's default range 32768-60999, fixed by the simulated time.
    return 32768 + int(rt.now * 1000) % 28232


# ---------------------------------------------------------------------------- the node's listeners

def _node_reply(rt: Runtime, node: str, port: int, req: HttpRequest) -> AppReply | None:
    """Listeners on the node itself: the API server and kubelet speak HTTPS only."""
    if port in TLS_PORTS:
        # Go's TLS server answers a plain-HTTP request with this text and closes.
        return AppReply(400, "Client sent an HTTP request to an HTTPS server.\n", (), "HTTP/1.0")
    if port == 10256 and req.route in ("/healthz", "/livez"):
        stamp = now(rt).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = f'{{"lastUpdated": "{stamp}","currentTime": "{stamp}", "nodeEligible": true}}'
        return go_reply(rt, 200, body)
    if port == 10256:
        return go_reply(rt, 404, "404 page not found\n")
    return None


__all__ = ["HttpResponse", "accepting_container", "parse_url", "request"]
