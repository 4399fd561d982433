"""HTTP over the simulated network: :meth:`kitlib.Cluster.http` and what containers answer.

A request goes as a real client sends it: the host is resolved (by the pod's resolver when the
client is a pod, see :mod:`kitlib.network.dns`; from outside only an IP works), a TCP connection
is traced through the data path, and the container that accepts it answers.

What a container answers is decided by :func:`respond`, which looks its image up in :data:`APPS`:

* ``nginx`` (any tag): nginx's default server, serving the 615-byte welcome page on ``/`` and
  ``/index.html`` and its built-in error pages otherwise (version 1.27.5 unless the tag names one);
* ``hashicorp/http-echo``: the text of its ``-text`` argument and a newline, on every path;
* every other image answers as agnhost ``netexec``, the Kubernetes e2e test server:
  ``/hostname`` is the pod's name, ``/clientip`` the client's ``ip:port``, ``/echo?msg=x``
  is ``x`` and every other path ``NOW: <time>``.

The app model (:mod:`kitlib.apps`: the ``kitlib/webapp`` demo image, warm-up, fault switches) answers
first; it refuses or times out connections in the data path before a request gets here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ..api.defaults import image_repo, image_tag
from ..clock import EPOCH
from ..errors import BadRequest
from . import dns
from .datapath import Connection, Hop, connect
from .ipam import is_ip

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime

NGINX_VERSION = "1.27.5"
NGINX_INDEX_MTIME = datetime(2025, 4, 16, 12, 55, 34, tzinfo=timezone.utc)
"""When the nginx package wrote /usr/share/nginx/html/index.html (it sets Last-Modified and the
ETag; the exact second is illustrative)."""
NGINX_INDEX = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""
NGINX_50X = """<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
"""
"""/usr/share/nginx/html/50x.html, with the style block nginx 1.23 gave both default pages (that this
file got it too is not verified)."""
TLS_PORTS = {8443: "kube-apiserver", 10250: "kubelet"}
LOOPBACK = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class HttpRequest:
    """One request as the server sees it."""

    method: str
    url: str
    host: str
    port: int
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    client_ip: str = ""
    client_port: int = 0
    scheme: str = "http"

    @property
    def route(self) -> str:
        """The path without its query string."""
        return self.path.split("?", 1)[0]

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.path.split("?", 1)[1]) if "?" in self.path else {}


@dataclass(frozen=True)
class AppReply:
    """What an application answers: a status, headers in the order it sends them, and a body."""

    status: int
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    version: str = "HTTP/1.1"
    phrase: str = ""
    """The reason phrase when the server's differs from the standard one (nginx: "Service Temporarily
    Unavailable")."""
    upstream: Any = None
    """A proxy's trace of where it sent the request (the ingress controller's
    :class:`~kitlib.addons.ingress_nginx.ProxyTrace`), or None for an app that answers itself."""


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
    tls: Any = None
    """For ``https://``: the :class:`~kitlib.addons.ingress_nginx.TlsSession` (which certificate came back)."""

    @property
    def ok(self) -> bool:
        """An answer with a 2xx or 3xx status."""
        return self.status is not None and 200 <= self.status < 400

    @property
    def status_text(self) -> str:
        """``200 OK``, ``404 Not Found``, ..."""
        if self.status is None:
            return ""
        return f"{self.status} {self.phrase}" if self.phrase else _status_line(self.status)

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


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


# ---------------------------------------------------------------------------- the client


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of an ``http://`` or ``https://`` URL; a bare ``host[:port]/path``
    is http, as in curl."""
    text = url if "://" in url else f"http://{url}"
    parts = urlsplit(text)
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
    answer = None
    if host in LOOPBACK:
        if scheme == "https":
            raise BadRequest(f"error: {url}: kitlib simulates TLS only at the ingress controller")
        return _loopback(rt, out, src, method, path, headers)
    lab_dns = _lab_dns(rt, src, host)
    if is_ip(host):
        ip = host
    elif lab_dns is not None:
        ip, hop = lab_dns
        out.hops = [hop]
    else:
        answer = dns.lookup_for(rt, src, host)
        out.dns = answer
        out.hops = [dns.dns_hop(rt, src, answer)]
        if not answer.ok or answer.address is None:
            out.failure, out.reason = "dns", f"could not resolve {host}: {answer.reason}"
            return out
        ip = answer.address
    out.ip = ip
    conn = connect(rt, src, ip, port, "TCP")
    out.connection = conn
    out.service = getattr(conn, "service", None)
    out.hops = ([dns.dns_hop(rt, src, answer)] if answer is not None else out.hops) + list(conn.hops)
    if not conn.ok:
        out.failure, out.reason = failure_kind(conn.reason), conn.reason
        return out
    client_ip = conn.hops[-1].src if conn.hops else conn.src_ip
    req = HttpRequest(method, url, host, port, path, dict(headers or {}), client_ip, _client_port(rt), scheme)
    if conn.pod is not None:
        pod = rt.api.store.get("Pod", conn.pod)
        container = _accepting_container(conn, pod)  # type: ignore[arg-type]
        req = replace(req, port=_accepted_port(conn, port))  # the server's own port: a NodePort is DNATed away
        if scheme == "https" and image_repo(container.image or "") not in TLS_APPS:  # type: ignore[union-attr]
            out.failure = "tls"
            out.reason = (f"container {container.name} of pod {conn.pod} accepted the connection, but kitlib "
                          "simulates TLS only at the ingress controller: no handshake")
            return out
        reply = respond(rt, pod, container, req)  # type: ignore[arg-type]
        out.pod = conn.pod
        where = f"container {container.name} of pod {conn.pod}"
        if reply is not None and reply.upstream is not None:
            trace = reply.upstream
            out.hops += trace.hops
            out.ingress, out.tls, out.service, out.pod = trace.match, trace.tls, trace.service, trace.pod
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


def _loopback(rt: Runtime, out: HttpResponse, src: str, method: str, path: str,
              headers: dict[str, str] | None) -> HttpResponse:
    """``localhost`` (from /etc/hosts, no DNS): the client's own network namespace."""
    from .datapath import _resolve_src

    end = _resolve_src(rt, src)
    out.ip = "127.0.0.1"
    if end.kind == "node":
        # The kubelet and friends listen on every address of the node, loopback included.
        conn = connect(rt, src, end.ip, out.port, "TCP")
        out.connection, out.hops = conn, list(conn.hops)
        if not conn.ok:
            out.failure, out.reason = failure_kind(conn.reason), conn.reason
            return out
        req = HttpRequest(method, out.url, out.host, out.port, path, dict(headers or {}), "127.0.0.1",
                          _client_port(rt))
        return _answer(out, _node_reply(rt, end.node or "", out.port, req), f"node {end.node}", method)
    pod = end.pod
    out.hops = [Hop(end.vertex, end.node or "outside", "lo", "127.0.0.1", f"127.0.0.1:{out.port}",
                    "loopback: the packet never leaves the client's own network namespace")]
    listening = [c for c, cs in zip(pod.spec.containers, pod.status.container_statuses, strict=False)
                 if cs.state.running and any(p.container_port == out.port and (p.protocol or "TCP") == "TCP"
                                             for p in c.ports)] if pod is not None else []
    if not listening:
        who = f"pod {pod.name}" if pod is not None else "the machine outside the cluster"
        out.failure, out.reason = "refused", f"nothing listens on 127.0.0.1:{out.port} in {who}: connection refused"
        return out
    container = listening[0]
    from ..apps import connection_problem

    problem = connection_problem(rt, pod, container, out.port)  # type: ignore[arg-type]
    if problem is not None:
        out.failure, out.reason = failure_kind(problem), problem.replace(f"port {out.port}", f"127.0.0.1:{out.port}")
        return out
    req = HttpRequest(method, out.url, out.host, out.port, path, dict(headers or {}), "127.0.0.1", _client_port(rt))
    out.pod = pod.key  # type: ignore[union-attr]
    return _answer(out, respond(rt, pod, container, req), f"container {container.name} of pod {out.pod}",  # type: ignore[arg-type]
                   method)


def _lab_dns(rt: Runtime, src: str, host: str) -> tuple[str, Hop] | None:
    """With the ingress add-on, a client outside the cluster resolves every name to the controller's
    external address, as a wildcard DNS record (nip.io) or an /etc/hosts line would in a lab."""
    addon = rt.addons.get("ingress")
    if src != "external" or addon is None or is_ip(host):
        return None
    ip = addon.address()[0]
    return ip, Hop("external", "outside", "resolver", "", ip,
                   f"DNS (lab): {host} → {ip}, the ingress controller's external address, as a wildcard "
                   "record or /etc/hosts line points every name there")


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


def failure_kind(reason: str) -> str:
    """``refused``, ``no route`` or ``timeout``: how a client sees a failed connection."""
    text = reason.lower()
    if "refused" in text or "reject" in text:
        return "refused"
    if "no route to host" in text:
        return "no route"
    return "timeout"


def _accepting_container(conn: Connection, pod: Pod) -> Container:
    # After kube-proxy's DNAT the pod sees the target port, not the dialled one; the data path
    # names the container that accepted in its reason ("container C of pod P accepted ...").
    match = re.match(r"container (\S+) of pod ", conn.reason)
    name = match.group(1) if match else None
    return next((c for c in pod.spec.containers if c.name == name), pod.spec.containers[0])


def _accepted_port(conn: Connection, default: int) -> int:
    # The port the pod accepted on (after kube-proxy's DNAT), as the data path names it in its reason
    # ("... accepted the connection on 10.244.1.2:80; ...").
    match = re.search(r"accepted the connection on \S+:(\d+);", conn.reason)
    return int(match.group(1)) if match else default


def _client_port(rt: Runtime) -> int:
    # An ephemeral port from Linux's default range 32768-60999, fixed by the simulated time.
    return 32768 + int(rt.now * 1000) % 28232


def _now(rt: Runtime) -> datetime:
    return EPOCH + timedelta(seconds=rt.now)


def _http_date(rt: Runtime) -> str:
    return format_datetime(_now(rt), usegmt=True)


# ---------------------------------------------------------------------------- the servers

AppHandler = Callable[["Runtime", "Pod", "Container", HttpRequest], "AppReply | None"]


def nginx(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply:
    """nginx's default server: ``/etc/nginx/conf.d/default.conf`` of the official image."""
    tag = image_tag(container.image or "")
    version = tag if re.fullmatch(r"\d+\.\d+\.\d+", tag) else NGINX_VERSION
    base = (("Server", f"nginx/{version}"), ("Date", _http_date(rt)))
    if req.method not in ("GET", "HEAD"):
        return _nginx_error(405, version, base)
    if req.route in ("/", "/index.html"):
        return _nginx_file(NGINX_INDEX, base)
    if req.route == "/50x.html":
        return _nginx_file(NGINX_50X, base)
    return _nginx_error(404, version, base)


def _nginx_file(body: str, base: tuple[tuple[str, str], ...]) -> AppReply:
    size = len(body.encode())
    mtime = NGINX_INDEX_MTIME
    return AppReply(200, body, base + (
        ("Content-Type", "text/html"), ("Content-Length", str(size)),
        ("Last-Modified", format_datetime(mtime, usegmt=True)), ("Connection", "keep-alive"),
        ("ETag", f'"{int(mtime.timestamp()):x}-{size:x}"'), ("Accept-Ranges", "bytes")))


def _nginx_error(status: int, version: str, base: tuple[tuple[str, str], ...]) -> AppReply:
    # ngx_http_special_response.c: the built-in error page, with CRLF line ends.
    line = _status_line(status) if status != 405 else "405 Not Allowed"
    body = (f"<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n"
            f"<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n")
    return AppReply(status, body, base + (("Content-Type", "text/html"),
                                          ("Content-Length", str(len(body.encode()))), ("Connection", "keep-alive")))


def http_echo(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply:
    """hashicorp/http-echo: its ``-text`` argument and a newline, whatever the path."""
    # `kubectl create deployment ... -- /http-echo -text=x` puts the flags in command, YAML usually in args.
    args = [str(a) for a in (container.extra.get("command") or []) + (container.extra.get("args") or [])]
    text = ""
    for i, a in enumerate(args):
        if a.startswith(("-text=", "--text=")):
            text = a.split("=", 1)[1]
        elif a in ("-text", "--text") and i + 1 < len(args):
            text = args[i + 1]
    return _go_reply(rt, 200, text + "\n", extra=(("X-App-Name", "http-echo"),))


def netexec(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply:
    """agnhost netexec's HTTP server (Go net/http)."""
    route = req.route
    if route in ("/hostname", "/hostName"):
        return _go_reply(rt, 200, hostname(pod))
    if route == "/clientip":
        return _go_reply(rt, 200, f"{req.client_ip}:{req.client_port}")
    if route == "/echo":
        return _go_reply(rt, 200, (req.query.get("msg") or [""])[0])
    if route == "/healthz":
        return _go_reply(rt, 200, "")
    started = next((cs.state.running.started_at for cs in pod.status.container_statuses
                    if cs.name == container.name and cs.state.running), None)
    up = rt.now - _seconds(started) if started else 0.0
    return _go_reply(rt, 200, f"NOW: {_go_time(_now(rt))} m=+{max(up, 0.0):.9f}")


def _seconds(timestamp: str) -> float:
    when = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (when - EPOCH).total_seconds()


def _go_time(dt: datetime) -> str:
    # Go's Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST", trailing zeros trimmed.
    frac = f"{dt.microsecond * 1000:09d}".rstrip("0")
    return dt.strftime("%Y-%m-%d %H:%M:%S") + (f".{frac}" if frac else "") + " +0000 UTC"


def _go_reply(rt: Runtime, status: int, body: str, extra: tuple[tuple[str, str], ...] = ()) -> AppReply:
    headers = (*extra, ("Date", _http_date(rt)), ("Content-Length", str(len(body.encode()))))
    if body:
        headers += (("Content-Type", "text/plain; charset=utf-8"),)
    return AppReply(status, body, headers)


def hostname(pod: Pod) -> str:
    """The pod's hostname: ``spec.hostname`` or its name, cut to 63 characters."""
    return str(pod.spec.extra.get("hostname") or pod.name)[:63]


APPS: dict[str, AppHandler] = {
    "nginx": nginx,
    "hashicorp/http-echo": http_echo,
}
"""Image repository (registry and tag dropped) → what its containers answer. Later issues add more."""
DEFAULT_APP: AppHandler = netexec
TLS_APPS: set[str] = set()
"""Image repositories whose servers speak TLS on their HTTPS port (the ingress add-on registers its
controller); kitlib simulates TLS nowhere else."""


def respond(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply | None:
    """What ``container`` of ``pod`` answers to ``req`` (None: it closes without an HTTP reply)."""
    repo = image_repo(container.image or "")
    if repo == "registry.k8s.io/coredns/coredns" and req.port == 53:
        return None  # a DNS server reads the request as a malformed DNS message and hangs up
    from .. import apps  # the app model: the demo webapp and the fault switches

    return apps.reply(rt, pod, container, req) or APPS.get(repo, DEFAULT_APP)(rt, pod, container, req)


def _node_reply(rt: Runtime, node: str, port: int, req: HttpRequest) -> AppReply | None:
    """Listeners on the node itself: the API server and kubelet speak HTTPS only."""
    if port in TLS_PORTS:
        # Go's TLS server answers a plain-HTTP request with this text and closes.
        return AppReply(400, "Client sent an HTTP request to an HTTPS server.\n", (), "HTTP/1.0")
    if port == 10256 and req.route in ("/healthz", "/livez"):
        stamp = _now(rt).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = f'{{"lastUpdated": "{stamp}","currentTime": "{stamp}", "nodeEligible": true}}'
        return _go_reply(rt, 200, body)
    if port == 10256:
        return _go_reply(rt, 404, "404 page not found\n")
    return None


__all__ = ["APPS", "AppReply", "HttpRequest", "HttpResponse", "parse_url", "request", "respond"]
