"""Which image answers what: the HTTP servers of the images the course runs.

What a container answers is decided by :func:`respond`: the app model first
(:mod:`kitlib.container.behaviour`: the ``kitlib/webapp`` demo image and the fault switches), then
the image's handler, looked up by repository among those an add-on registered in the cluster's
:class:`~kitlib.container.handlers.ContainerApps`, then among the built-in :data:`IMAGES`:

* ``nginx`` (any tag): nginx's default server, serving the 615-byte welcome page on ``/`` and
  ``/index.html`` and its built-in error pages otherwise (version 1.27.5 unless the tag names one);
* ``hashicorp/http-echo``: the text of its ``-text`` argument and a newline, on every path;
* ``gcr.io/google-samples/hello-app``: "Hello, world!", its version and its hostname, on every path;
* echo-basic (the Gateway API conformance backend): a JSON description of the request as it
  arrived (path, host, method, proto, headers, httpPort, namespace, ingress, service, pod);
* serve_hostname (the standalone ``registry.k8s.io/serve_hostname`` image and agnhost's
  ``serve-hostname``): the pod's hostname, no newline, on every path;
* every other image answers as agnhost ``netexec``, the Kubernetes e2e test server:
  ``/hostname`` is the pod's name, ``/clientip`` the client's ``ip:port``, ``/echo?msg=x``
  is ``x`` and every other path ``NOW: <time>``.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..api.convert import go_marshal
from ..api.defaults import image_repo, image_tag
from ..clock import EPOCH
from . import behaviour, imagelogs, listeners
from .handlers import AppHandler, AppReply, HttpRequest, go_reply, http_date, now, status_line

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

def nginx(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply:
    """nginx's default server: ``/etc/nginx/conf.d/default.conf`` of the official image."""
    tag = image_tag(container.image or "")
    version = tag if re.fullmatch(r"\d+\.\d+\.\d+", tag) else NGINX_VERSION
    base = (("Server", f"nginx/{version}"), ("Date", http_date(rt)))
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
    line = status_line(status) if status != 405 else "405 Not Allowed"
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
    return go_reply(rt, 200, text + "\n", extra=(("X-App-Name", "http-echo"),))


def netexec(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply:
    """agnhost netexec's HTTP server (Go net/http)."""
    route = req.route
    if route in ("/hostname", "/hostName"):
        return go_reply(rt, 200, hostname(pod))
    if route == "/clientip":
        return go_reply(rt, 200, f"{req.client_ip}:{req.client_port}")
    if route == "/echo":
        return go_reply(rt, 200, (req.query.get("msg") or [""])[0])
    if route == "/healthz":
        return go_reply(rt, 200, "")
    started = next((cs.state.running.started_at for cs in pod.status.container_statuses
                    if cs.name == container.name and cs.state.running), None)
    up = rt.now - _seconds(started) if started else 0.0
    return go_reply(rt, 200, f"NOW: {_go_time(now(rt))} m=+{max(up, 0.0):.9f}")


def _seconds(timestamp: str) -> float:
    when = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return (when - EPOCH).total_seconds()


def _go_time(dt: datetime) -> str:
    # Go's Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST", trailing zeros trimmed.
    frac = f"{dt.microsecond * 1000:09d}".rstrip("0")
    return dt.strftime("%Y-%m-%d %H:%M:%S") + (f".{frac}" if frac else "") + " +0000 UTC"


def hostname(pod: Pod) -> str:
    """The pod's hostname: ``spec.hostname`` or its name, cut to 63 characters."""
    return str(pod.spec.extra.get("hostname") or pod.name)[:63]


def serve_hostname(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply:
    """serve_hostname's HTTP handler (``test/images/serve_hostname/serve_hostname.go``, the same in
    agnhost's ``serve-hostname/serve_hostname.go``): ``fmt.Fprintf(w, "%s", hostname)`` on every
    path, the container's ``os.Hostname()`` with no newline."""
    return go_reply(rt, 200, hostname(pod))


def hello_app(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply:
    """google-samples hello-app (``main.go``): three lines on every path; the version is the image's
    (``1.0`` prints ``1.0.0``, ``2.0`` prints ``2.0.0``)."""
    tag = image_tag(container.image or "") or "1.0"
    version = tag + ".0" if tag.count(".") == 1 else tag
    return go_reply(rt, 200, f"Hello, world!\nVersion: {version}\nHostname: {hostname(pod)}\n")


def echo_basic(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply:
    """echo-basic's ``echoHandler`` (``conformance/echo-basic/echo-basic.go``, v1.5.1): the request as
    Go's net/http parsed it, ``json.MarshalIndent(..., "", " ")``: header names canonicalised
    (``textproto.CanonicalMIMEHeaderKey``) with their values as lists, ``Host`` not among them, the
    context from the ``NAMESPACE``, ``INGRESS_NAME``, ``SERVICE_NAME`` and ``POD_NAME`` variables.
    ``/health`` answers ``OK``; ``/status/NNN`` answers status NNN with no body."""
    route = req.route.replace("//", "/")
    if route == "/health":
        return go_reply(rt, 200, "OK")
    if route.startswith("/status/"):
        m = re.fullmatch(r"/status/(\d\d\d)", req.path)
        return go_reply(rt, int(m.group(1)) if m else 400, "")
    headers: dict[str, list[str]] = {}
    # Go's r.Host: the Host header as the client sent it (curl: the URL's host, with its port if not the default).
    host = urlsplit(req.url if "://" in req.url else f"http://{req.url}").netloc.rsplit("@", 1)[-1] or req.host
    for name, value in req.headers.items():
        if name.lower() == "host":
            host = value
            continue
        headers.setdefault(canonical_header(name), []).append(value)
    port = _env_value(pod, container, "HTTP_PORT") or "3000"
    fields = [("path", req.path), ("host", host), ("method", req.method), ("proto", "HTTP/1.1")]
    context = [("httpPort", port), ("namespace", _env_value(pod, container, "NAMESPACE")),
               ("ingress", _env_value(pod, container, "INGRESS_NAME")),
               ("service", _env_value(pod, container, "SERVICE_NAME")),
               ("pod", _env_value(pod, container, "POD_NAME"))]
    lines = [f' "{k}": {go_marshal(v)},' for k, v in fields]
    if headers:
        lines.append(' "headers": {')
        items = sorted(headers.items())
        for i, (k, vs) in enumerate(items):
            values = ",\n".join(f"   {go_marshal(v)}" for v in vs)
            lines.append(f'  {go_marshal(k)}: [\n{values}\n  ]' + ("," if i < len(items) - 1 else ""))
        lines.append(" },")
    else:
        lines.append(' "headers": {},')
    lines += [f' "{k}": {go_marshal(v)},' for k, v in context]
    lines[-1] = lines[-1].rstrip(",")
    body = "{\n" + "\n".join(lines) + "\n}"
    extra: list[tuple[str, str]] = []
    for kvs in [v for k, v in req.headers.items() if canonical_header(k) == "X-Echo-Set-Header"]:
        for kv in kvs.split(","):
            name, _, value = kv.strip().partition(":")
            extra.append((name, value))
    # Go writes the header map sorted by name.
    base = sorted([("Content-Length", str(len(body.encode()))), ("Content-Type", "application/json"),
                   ("Date", http_date(rt)), ("X-Content-Type-Options", "nosniff"), *extra])
    return AppReply(200, body, tuple(base))


def canonical_header(name: str) -> str:
    """Go's ``textproto.CanonicalMIMEHeaderKey``: ``x-forwarded-for`` → ``X-Forwarded-For`` (a name with
    a space or other non-token character is left as it is).

    >>> canonical_header("x-forwarded-for"), canonical_header("USER-AGENT")
    ('X-Forwarded-For', 'User-Agent')
    """
    if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
        return name
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def _env_value(pod: Pod, container: Container, name: str) -> str:
    """An ``env`` variable's value, ``valueFrom.fieldRef`` of the pod's name, namespace, IP and node
    resolved as the kubelet resolves them (the downward API)."""
    for item in container.extra.get("env") or []:
        if not isinstance(item, dict) or item.get("name") != name:
            continue
        ref = ((item.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
        if ref is None:
            return str(item.get("value", ""))
        return {"metadata.name": pod.name, "metadata.namespace": pod.namespace,
                "status.podIP": pod.status.pod_ip or "", "spec.nodeName": pod.spec.node_name or "",
                "metadata.uid": pod.metadata.uid or ""}.get(str(ref), "")
    return ""


IMAGES: dict[str, AppHandler] = {
    "nginx": nginx,
    "hashicorp/http-echo": http_echo,
    "gcr.io/google-samples/hello-app": hello_app,
    "us-docker.pkg.dev/google-samples/containers/gke/hello-app": hello_app,
    "registry.k8s.io/gateway-api/echo-basic": echo_basic,
    "gcr.io/k8s-staging-gateway-api/echo-basic": echo_basic,
}
"""Image repository (registry and tag dropped) → what its containers answer, for the images every
cluster knows; add-ons register theirs per cluster (:class:`~kitlib.container.handlers.ContainerApps`)."""
DEFAULT_APP: AppHandler = netexec
DNS_IMAGE = "registry.k8s.io/coredns/coredns"


def respond(rt: Runtime, pod: Pod, container: Container, req: HttpRequest) -> AppReply | None:
    """What ``container`` of ``pod`` answers to ``req`` (None: it closes without an HTTP reply)."""
    repo = image_repo(container.image or "")
    if repo == DNS_IMAGE and req.port == 53:
        return None  # a DNS server reads the request as a malformed DNS message and hangs up
    handler = rt.apps.apps.handler(repo) or (serve_hostname if listeners.is_serve_hostname(container)
                                             else IMAGES.get(repo, DEFAULT_APP))
    reply = behaviour.reply(rt, pod, container, req) or handler(rt, pod, container, req)
    imagelogs.served(rt, pod, container, req, reply)  # the image's access-log line, if it writes one
    return reply


def speaks_tls(rt: Runtime, container: Container) -> bool:
    """Whether ``container``'s server speaks TLS (kitlib simulates TLS only where an add-on registered it)."""
    return rt.apps.apps.speaks_tls(image_repo(container.image or ""))


__all__ = ["DEFAULT_APP", "IMAGES", "canonical_header", "echo_basic", "hostname", "http_echo", "netexec", "nginx", "respond", "serve_hostname",
           "speaks_tls"]
