"""What each image prints: its start-up lines and a line for every request it serves.

Start-up lines are not stored: :func:`startup` makes them when ``kubectl logs`` reads, from the
run's start time (so 30,000 quiet pods cost nothing). Access-log lines are written to the
container's log (:mod:`kitlib.container.logs`) by :func:`served` as a request is answered
(:func:`kitlib.container.images.respond`). Each image's lines, from its source:

* nginx (nginxinc/docker-nginx ``entrypoint/docker-entrypoint.sh`` and the scripts of
  ``/docker-entrypoint.d/``, on stdout; then nginx's ``[notice]`` lines from ``error.log``, a link to
  stderr; the Debian image built by gcc 12.2.0; ``worker_processes auto`` starts one worker per CPU,
  two on minikube's nodes). ``NGINX_ENTRYPOINT_QUIET_LOGS`` in ``env`` silences the entrypoint.
  Each request: the ``main`` log format of the image's ``/etc/nginx/nginx.conf``
  (``$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
  "$http_referer" "$http_user_agent" "$http_x_forwarded_for"``) on stdout (``access.log`` links to it);
* agnhost netexec (``test/images/agnhost/netexec/netexec.go``, Go's ``log`` on stderr:
  ``2006/01/02 15:04:05 msg``): ``Started HTTP server on port N``, ``Started UDP server on port  N``
  (the address is empty: two spaces), and each handler's own line (``GET /hostname``, ``GET /``
  for every unknown path, ``GET /echo?msg=x&code=``); agnhost serve-hostname
  (``serve-hostname/serve_hostname.go``): ``Serving on port N.``, then ``HTTP request from ip:port``;
  the standalone ``registry.k8s.io/serve_hostname`` (``test/images/serve_hostname/serve_hostname.go``)
  prints no start-up line, only ``HTTP request from ip:port``;
* CoreDNS (``coremain/run.go``, ``core/dnsserver/onstartup.go``, ``plugin/reload/reload.go``; all on
  stdout, Go's ``log`` with no flags): automaxprocs' ``maxprocs: Leaving GOMAXPROCS=2: CPU quota
  undefined`` (the node's 2 CPUs, no CPU limit in kubeadm's Deployment), the zone ``.:53``, the
  reload plugin's ``[INFO] plugin/reload: Running configuration SHA512 = <hex>`` over the parsed
  Corefile (:mod:`kitlib.container.corefile`), then ``showVersion``'s ``CoreDNS-1.14.6`` and
  ``linux/amd64, go1.26.5, 424d125``;
* hashicorp/http-echo (``main.go``, ``handlers.go``): ``[INFO] server is listening on :5678`` on
  stderr; each request on stdout as ``httpLogFormat`` (``%v %s %s "%s %s %s" %d %d "%s" %v``: time,
  Host, the client's address, method, path, protocol, status, bytes, user agent, duration);
* ``kitlib/webapp`` (kitlib's own): ``loading (warm-up N s)``, then ``listening on :PORT`` when
  its warm-up ends.

The client address is the one the server sees: after SNAT where kube-proxy or flannel
masquerades. The durations in http-echo's lines are illustrative (kitlib does not time requests).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..api.defaults import image_tag
from ..clock import EPOCH
from . import corefile, listeners, logs
from .logs import LogLine

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime
    from .handlers import AppReply, HttpRequest

NGINX_VERSION = "1.27.5"
KERNEL = "6.8.0-49-generic"
"""The nodes' kernel (what their ``nodeInfo.kernelVersion`` says): nginx prints it at start."""
NGINX_WORKERS = (29, 30)
"""The PIDs of nginx's two worker processes (one per CPU) after the entrypoint's scripts ran."""
NGINX_ENTRYPOINT = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
)


def _time(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def _go_log(seconds: float) -> str:
    # Go's log.LstdFlags and nginx's error log share this stamp.
    return _time(seconds).strftime("%Y/%m/%d %H:%M:%S")


def _env(container: Container, name: str) -> str | None:
    for env in container.extra.get("env") or []:
        if isinstance(env, dict) and env.get("name") == name:
            return str(env.get("value", ""))
    return None


def startup(rt: Runtime, pod: Pod, container: Container, started: float) -> list[LogLine]:
    """The lines ``container``'s program prints when it starts at ``started`` (and, for the demo
    app, when its warm-up ends, if that is not after now)."""
    repo = listeners.repo(container)
    argv = listeners.program(container)
    name = argv[0].rsplit("/", 1)[-1] if argv else ""
    if repo == listeners.NGINX and name in ("docker-entrypoint.sh", "nginx"):
        return _nginx(container, started, entrypoint=name == "docker-entrypoint.sh" and argv[1:2] == ["nginx"])
    if repo == listeners.AGNHOST and name == "agnhost" and argv[1:2] == ["netexec"]:
        ports = listeners.listening(rt, container).ports
        http = next((p for p, proto in ports if proto == "TCP"), None)
        udp = next((p for p, proto in ports if proto == "UDP"), None)
        stamp = _go_log(started)
        out = [LogLine(started, f"{stamp} Started HTTP server on port {http}", "stderr")] if http is not None else []
        if udp is not None:
            out.append(LogLine(started, f"{stamp} Started UDP server on port  {udp}", "stderr"))
        return out
    if repo == listeners.AGNHOST and name == "agnhost" and argv[1:2] == ["serve-hostname"]:
        ports = listeners.listening(rt, container).ports
        if ports:
            port = next(iter(ports))[0]
            return [LogLine(started, f"{_go_log(started)} Serving on port {port}.", "stderr")]
        return []
    if repo == listeners.COREDNS and name == "coredns":
        return [LogLine(started, text) for text in corefile.startup_lines(rt, image_tag(container.image or ""))]
    if repo == listeners.HTTP_ECHO and name == "http-echo":
        ports = listeners.listening(rt, container).ports
        if not ports:
            return [LogLine(started, "Missing -text option OR ENV var TEXT is empty!", "stderr")]
        address = _flag(argv[1:], "listen") or ":5678"
        return [LogLine(started, f"{_go_log(started)} [INFO] server is listening on {address}", "stderr")]
    if repo == listeners.ECHO_BASIC and name == "echo-basic":
        numbers = sorted(p for p, _ in listeners.listening(rt, container).ports)
        served = next((p for p in numbers if p != listeners.ECHO_BASIC_H2C_PORT), listeners.ECHO_BASIC_PORT)
        # echo-basic.go prints with fmt.Printf (no timestamp); the h2c server prints nothing.
        return [LogLine(started, f"Starting server, listening on port {served} (http)", "stdout")]
    if repo == listeners.WEBAPP and argv == ["webapp"]:
        from .behaviour import behaviour  # the warm-up, from the image tag and env

        port = next(iter(listeners.listening(rt, container).ports))[0]
        warmup = behaviour(container).warmup
        out = [LogLine(started, f"loading (warm-up {warmup:g} s)")]
        if started + warmup <= rt.now:
            out.append(LogLine(started + warmup, f"listening on :{port}"))
        return out
    return []


def _flag(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        bare = a.lstrip("-")
        if bare.startswith(f"{name}="):
            return bare.split("=", 1)[1]
        if bare == name and a.startswith("-") and i + 1 < len(args):
            return args[i + 1]
    return None


def _nginx(container: Container, started: float, entrypoint: bool) -> list[LogLine]:
    tag = image_tag(container.image or "")
    version = tag if tag.count(".") == 2 and tag.replace(".", "").isdigit() else NGINX_VERSION
    out: list[LogLine] = []
    if entrypoint and not _env(container, "NGINX_ENTRYPOINT_QUIET_LOGS"):
        out = [LogLine(started, text) for text in NGINX_ENTRYPOINT]
    stamp = f"{_go_log(started)} [notice] 1#1: "
    notices = ['using the "epoll" event method', f"nginx/{version}", "built by gcc 12.2.0 (Debian 12.2.0-14) ",
               f"OS: Linux {KERNEL}", "getrlimit(RLIMIT_NOFILE): 1048576:1048576", "start worker processes",
               *(f"start worker process {pid}" for pid in NGINX_WORKERS)]
    return out + [LogLine(started, stamp + text, "stderr") for text in notices]


def served(rt: Runtime, pod: Pod, container: Container, req: HttpRequest, reply: AppReply | None) -> None:
    """``container`` answered ``req`` with ``reply``: write the line its image logs for it, if any."""
    repo = listeners.repo(container)
    if reply is None:
        return
    if repo == listeners.NGINX:
        line, stream = _nginx_access(rt, req, reply), "stdout"
    elif repo == listeners.HTTP_ECHO:
        if req.route == "/health":
            return  # main.go: /health is not wrapped in httpLog
        line, stream = _http_echo_access(rt, req, reply), "stdout"
    elif repo == listeners.ECHO_BASIC:
        if req.route in ("/health",) or req.route.startswith("/status/"):
            return
        line, stream = f"Echoing back request made to {req.path} to client ({req.client_ip}:{req.client_port})", "stdout"
    elif listeners.is_serve_hostname(container):
        line, stream = f"{_go_log(rt.now)} HTTP request from {req.client_ip}:{req.client_port}", "stderr"
    elif repo == listeners.AGNHOST:
        sub = listeners.program(container)[1:2]
        if sub == ["netexec"]:
            line = f"{_go_log(rt.now)} {_netexec_line(req)}"
        else:
            return
        stream = "stderr"
    else:
        return
    logs.write(rt, pod, container.name, line, stream)


def _nginx_access(rt: Runtime, req: HttpRequest, reply: AppReply) -> str:
    when = _time(rt.now).strftime("%d/%b/%Y:%H:%M:%S +0000")
    size = 0 if req.method == "HEAD" else len(reply.body.encode())
    header = {k.lower(): v for k, v in req.headers.items()}
    return (f'{req.client_ip} - - [{when}] "{req.method} {req.path} HTTP/1.1" {reply.status} {size} '
            f'"{header.get("referer", "-")}" "{header.get("user-agent", "-")}" "{header.get("x-forwarded-for", "-")}"')


def _http_echo_access(rt: Runtime, req: HttpRequest, reply: AppReply) -> str:
    header = {k.lower(): v for k, v in req.headers.items()}
    host = header.get("host") or (req.host if req.port in (80, 443) else f"{req.host}:{req.port}")
    micros = 20 + req.client_port % 40 + (req.client_port % 1000) / 1000
    return (f'{_go_log(rt.now)} {host} {req.client_ip}:{req.client_port} "{req.method} {req.route} HTTP/1.1" '
            f'{reply.status} {len(reply.body.encode())} "{header.get("user-agent", "")}" {micros:g}µs')


def _netexec_line(req: HttpRequest) -> str:
    route = req.route
    if route == "/echo":
        q = req.query
        return f"GET /echo?msg={(q.get('msg') or [''])[0]}&code={(q.get('code') or [''])[0]}"
    if route in ("/hostname", "/hostName", "/clientip", "/healthz", "/shutdown", "/upload"):
        return f"GET {route}"
    return "GET /"


__all__ = ["served", "startup"]
