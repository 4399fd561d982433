"""What listens in a container: decided by its image and the program it runs, never by ``containerPort``.

On a real cluster a container's ``ports`` list is informational (the API reference: "Not
specifying a port here DOES NOT prevent that port from being exposed"; "List of ports to expose
from the container"): nginx listens on 80 whether the spec declares 80, 8080 or nothing. Here the
program a container runs is found as the container runtime finds it: the spec's ``command``
replaces the image's ENTRYPOINT, ``args`` replaces its CMD (:func:`program`). Then that program
(or each program of an ``sh -c`` script) opens the sockets its source says:

* ``nginx`` (any tag; ENTRYPOINT ``/docker-entrypoint.sh``, CMD ``nginx -g 'daemon off;'``):
  TCP 80, from ``/etc/nginx/conf.d/default.conf`` (``listen 80;``, and ``listen [::]:80;``
  added by ``10-listen-on-ipv6-by-default.sh``); nginxinc/docker-nginx ``mainline/debian``;
* agnhost (``registry.k8s.io/e2e-test-images/agnhost``; ENTRYPOINT ``/agnhost``, CMD
  ``pause``, ``test/images/agnhost/Dockerfile``): ``netexec`` on ``--http-port`` (default 8080)
  TCP and ``--udp-port`` (default 8081, ``-1`` turns it off) UDP (``netexec/netexec.go``);
  ``serve-hostname`` on ``--port`` (default 9376), HTTP unless ``--http=false`` with ``--tcp``
  or ``--udp`` (``serve-hostname/serve_hostname.go``); ``liveness`` on 8080
  (``liveness/server.go``); ``test-webserver`` on ``--port`` (default 80); ``porter`` on each
  ``SERVE_PORT_N`` / ``SERVE_TLS_PORT_N`` (TCP) and ``SERVE_SCTP_PORT_N`` (SCTP) of its ``env``
  (``porter/porter.go``, :func:`porter`); ``pause`` on nothing;
* ``registry.k8s.io/serve_hostname``, the Debug Services page's ``hostnames`` image (ENTRYPOINT
  ``/serve_hostname``, ``test/images/serve_hostname/Dockerfile``): the same program as agnhost's
  ``serve-hostname`` (``test/images/serve_hostname/serve_hostname.go``, same flags and defaults);
* ``hashicorp/http-echo`` 1.0 (ENTRYPOINT ``/http-echo``, ``docker/scratch/Dockerfile``): ``-listen`` (default ``:5678``), Go's
  flag package taking ``-listen=:8080``, ``--listen :8080`` alike (``main.go``); without
  ``-text`` (or ``ECHO_TEXT``) it exits 127 and listens on nothing;
* echoserver (``registry.k8s.io/echoserver``, the minikube docs' hello-minikube): 8080;
* ``busybox`` (CMD ``sh``): ``httpd -f -p [IP:]N`` (default 80) and ``nc -l -p N``
  (``-u`` for UDP), run directly or as commands of ``sh -c``; anything else (``sleep``) opens
  nothing;
* ``kitlib/webapp``, the course's own demo app: ``$PORT`` from the container's ``env``, default
  8080 (kitlib's own rule, as twelve-factor apps read their port; lesson 05 declares 8080);
* CoreDNS: 53 UDP and TCP from its Corefile's ``.:53``, 8080 (``health``), 8181 (``ready``) and
  9153 (``prometheus``), as kubeadm's Corefile configures;
* echo-basic (``registry.k8s.io/gateway-api/echo-basic``, the Gateway API conformance backend
  Envoy Gateway's quickstart runs; ENTRYPOINT ``/echo-basic``, ``docker/Dockerfile.echo-basic``):
  HTTP on ``$HTTP_PORT`` (default 3000) and h2c on ``$H2C_PORT`` (default 3001)
  (``conformance/echo-basic/echo-basic.go``, v1.5.1);
* an image whose add-on registered it with :meth:`~kitlib.container.handlers.ContainerApps.register`
  (the ingress-nginx controller): the ports the add-on gave.

An image kitlib does not know is assumed to listen on its declared ``containerPort``\\ s and to answer
as agnhost netexec; the kubelet-side note :func:`note_unknown` says so with a Warning event on the
pod (kitlib's own, from source ``kitlib``: no real component writes it).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ..api.defaults import image_repo

if TYPE_CHECKING:
    from ..api.pod import Container, Pod
    from ..runtime import Runtime

Listener = tuple[int, str]
"""A listening socket: (port, ``TCP`` | ``UDP`` | ``SCTP``)."""

NGINX = "nginx"
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost"
HTTP_ECHO = "hashicorp/http-echo"
ECHOSERVER = "registry.k8s.io/echoserver"
BUSYBOX = "busybox"
WEBAPP = "kitlib/webapp"
COREDNS = "registry.k8s.io/coredns/coredns"
HELLO_APP = "gcr.io/google-samples/hello-app"
"""The kubernetes.io minikube Ingress tutorial's app (GoogleCloudPlatform/kubernetes-engine-samples
``quickstarts/hello-app/main.go``: ``PORT`` or 8080; its Dockerfile's ``CMD ["/hello-app"]``)."""
ECHO_BASIC = "registry.k8s.io/gateway-api/echo-basic"
SERVE_HOSTNAME = "registry.k8s.io/serve_hostname"
"""The standalone serve_hostname image (``test/images/serve_hostname``, ``ENTRYPOINT ["/serve_hostname"]``)."""
WEBAPP_PORT = 8080
"""Where ``kitlib/webapp`` listens when its ``env`` sets no ``PORT``."""
ECHO_BASIC_PORT = 3000
"""Where echo-basic serves HTTP when its ``env`` sets no ``HTTP_PORT``."""
ECHO_BASIC_H2C_PORT = 3001
UNKNOWN_REASON = "UnknownImage"
"""The reason of kitlib's Warning event about an image it does not model."""
UNKNOWN_SOURCE = "kitlib"

IMAGE_CONFIG: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    NGINX: (("/docker-entrypoint.sh",), ("nginx", "-g", "daemon off;")),
    AGNHOST: (("/agnhost",), ("pause",)),
    HTTP_ECHO: (("/http-echo",), ()),
    ECHOSERVER: ((), ("/usr/local/bin/run.sh",)),
    BUSYBOX: ((), ("sh",)),
    WEBAPP: ((), ("webapp",)),
    COREDNS: (("/coredns",), ()),
    HELLO_APP: ((), ("/hello-app",)),
    ECHO_BASIC: (("/echo-basic",), ()),
    SERVE_HOSTNAME: (("/serve_hostname",), ()),
    "alpine": ((), ("/bin/sh",)),
    "nicolaka/netshoot": ((), ("zsh",)),
    "curlimages/curl": (("/entrypoint.sh",), ("curl",)),
}
"""Image repository → (ENTRYPOINT, CMD) from each image's Dockerfile (busybox and alpine:
``CMD ["sh"]``/``["/bin/sh"]``; nginx: ``/docker-entrypoint.sh`` with ``nginx -g 'daemon off;'``;
agnhost: ``ENTRYPOINT ["/agnhost"]``, ``CMD ["pause"]``; netshoot: ``CMD ["zsh"]``; echoserver's and
webapp's CMD are names kitlib gives: what matters is that a ``command`` replaces them). Both what
listens and the main process (:mod:`kitlib.container.process`) start from it."""
IMAGES = frozenset({NGINX, AGNHOST, HTTP_ECHO, ECHOSERVER, BUSYBOX, WEBAPP, COREDNS, HELLO_APP, ECHO_BASIC,
                    SERVE_HOSTNAME})
"""The images whose listeners kitlib models (the others in :data:`IMAGE_CONFIG` are clients)."""
SYSTEM: dict[str, frozenset[Listener]] = {
    "registry.k8s.io/kube-apiserver": frozenset({(8443, "TCP")}),  # minikube's --secure-port=8443
    "registry.k8s.io/etcd": frozenset({(2379, "TCP"), (2380, "TCP"), (2381, "TCP")}),
    "registry.k8s.io/kube-controller-manager": frozenset({(10257, "TCP")}),
    "registry.k8s.io/kube-scheduler": frozenset({(10259, "TCP")}),
    "registry.k8s.io/kube-proxy": frozenset({(10249, "TCP"), (10256, "TCP")}),
    "flannel/flannel": frozenset(),
    "ghcr.io/flannel-io/flannel": frozenset(),
    "flannel/flannel-cni-plugin": frozenset(),
    "ghcr.io/flannel-io/flannel-cni-plugin": frozenset(),
    "gcr.io/k8s-minikube/storage-provisioner": frozenset(),
    # Calico (minikube's pkg/minikube/cni/calico.yaml): BIRD's BGP on 179 and Felix's health
    # port 9099 on the node; kube-controllers serves nothing the manifest exposes.
    "quay.io/calico/node": frozenset({(179, "TCP"), (9099, "TCP")}),
    "quay.io/calico/kube-controllers": frozenset(),
    "quay.io/calico/cni": frozenset(),
    "registry.k8s.io/ingress-nginx/kube-webhook-certgen": frozenset(),
    "quay.io/metallb/controller": frozenset({(7472, "TCP"), (9443, "TCP")}),
    "quay.io/metallb/speaker": frozenset({(7472, "TCP"), (7946, "TCP"), (7946, "UDP")}),
}
"""The cluster's own components (kubeadm's static pods as minikube runs them, kube-proxy, flannel,
storage-provisioner, the add-ons' helpers): what their processes listen on (on the node, for the
host-network ones), from their manifests' ports and probes. kitlib models them enough not to warn."""
ALIASES = {"k8s.gcr.io/echoserver": ECHOSERVER, "gcr.io/google_containers/echoserver": ECHOSERVER,
           "k8s.gcr.io/e2e-test-images/agnhost": AGNHOST, "registry.k8s.io/busybox": BUSYBOX,
           "us-docker.pkg.dev/google-samples/containers/gke/hello-app": HELLO_APP,
           "gcr.io/k8s-staging-gateway-api/echo-basic": ECHO_BASIC,
           "k8s.gcr.io/serve_hostname": SERVE_HOSTNAME, "gcr.io/google_containers/serve_hostname": SERVE_HOSTNAME}
"""Older registries' names of the same images."""
SHELLS = frozenset({"sh", "ash", "bash", "dash"})


@dataclass(frozen=True)
class Listening:
    """What a container listens on, and whether kitlib knows its image (else ``assumed`` says what it assumed)."""

    ports: frozenset[Listener]
    known: bool = True
    assumed: str = ""


def repo(container: Container) -> str:
    """The container's image repository, older registries' names mapped to today's."""
    return canonical_repo(container.image or "")


@lru_cache(maxsize=4096)
def canonical_repo(image: str) -> str:
    """``image``'s repository, older registries' names mapped to today's."""
    r = image_repo(image)
    return ALIASES.get(r, r)


def program(container: Container) -> list[str]:
    """The argv the container runtime starts: ``command`` replaces the image's ENTRYPOINT, ``args``
    its CMD; with ``command`` and no ``args`` the CMD is dropped (the Pod API's rule)."""
    return list(image_argv(repo(container), *command_and_args(container)))


def command_and_args(container: Container) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The container's ``command`` and ``args`` as tuples of strings (None where empty)."""
    command, args = container.extra.get("command"), container.extra.get("args")
    return (tuple(str(a) for a in command) if command else None, tuple(str(a) for a in args) if args else None)


@lru_cache(maxsize=1024)
def image_argv(r: str, command: tuple[str, ...] | None, args: tuple[str, ...] | None) -> tuple[str, ...]:
    """The argv of an image of repository ``r`` (as :func:`canonical_repo` names it) started with
    ``command`` and ``args`` (cached: thousands of replicas of one template ask the same)."""
    entrypoint, cmd = IMAGE_CONFIG.get(r, ((), ()))
    if command:
        return command + (args or ())
    return entrypoint + (args if args else cmd)


def _env(container: Container, name: str) -> str | None:
    for env in container.extra.get("env") or []:
        if isinstance(env, dict) and env.get("name") == name:
            return str(env.get("value", ""))
    return None


def listening(rt: Runtime, container: Container) -> Listening:
    """What ``container`` listens on once its app is up (see the module docstring)."""
    r = repo(container)
    if r in IMAGES:
        argv = image_argv(r, *command_and_args(container))
        if r == AGNHOST and argv[1:2] == ("porter",):
            return Listening(porter(container))
        port_env = _env(container, "PORT") if r in (WEBAPP, HELLO_APP) else _env(container, "HTTP_PORT") \
            if r == ECHO_BASIC else None
        echo_text = bool(_env(container, "ECHO_TEXT")) if r == HTTP_ECHO else False
        return _known(r, argv, port_env, echo_text)
    if r in SYSTEM:
        return Listening(SYSTEM[r])
    declared = frozenset((p.container_port, p.protocol or "TCP") for p in container.ports)
    apps = rt.apps.apps
    if apps.handler(r) is not None:
        given = apps.listeners(r)
        return Listening(given if given is not None else declared)
    return _unknown(r, declared)


@lru_cache(maxsize=4096)
def _unknown(r: str, declared: frozenset[Listener]) -> Listening:
    shown = ", ".join(f"{p}/{proto}" for p, proto in sorted(declared)) or "none"
    return Listening(declared, False, f"kitlib does not model image {r}: it assumes the app listens on the "
                                      f"declared containerPorts ({shown}) and answers as agnhost netexec")


PORTER_PREFIXES = (("SERVE_PORT_", "TCP"), ("SERVE_TLS_PORT_", "TCP"), ("SERVE_SCTP_PORT_", "SCTP"))
"""agnhost ``porter`` (``test/images/agnhost/porter/porter.go``): for every environment variable
``SERVE_PORT_N`` it serves HTTP on TCP port N, ``SERVE_TLS_PORT_N`` HTTPS on TCP N and
``SERVE_SCTP_PORT_N`` SCTP on N, answering with the variable's value (the e2e netpol suite's SCTP
server, ``test/e2e/network/netpol/kubemanager.go``)."""


def porter(container: Container) -> frozenset[Listener]:
    """The sockets agnhost ``porter`` opens from the container's ``env`` (:data:`PORTER_PREFIXES`)."""
    out: set[Listener] = set()
    for env in container.extra.get("env") or []:
        name = str(env.get("name", "")) if isinstance(env, dict) else ""
        for prefix, protocol in PORTER_PREFIXES:
            if name.startswith(prefix) and name[len(prefix):].isdigit():
                port = int(name[len(prefix):])
                if 1 <= port <= 65535:
                    out.add((port, protocol))
                break
    return frozenset(out)


@lru_cache(maxsize=4096)
def _known(r: str, argv: tuple[str, ...], port_env: str | None, echo_text: bool) -> Listening:
    if (r, argv) in ((WEBAPP, ("webapp",)), (HELLO_APP, ("/hello-app",))):
        port = int(port_env) if port_env and port_env.isdigit() else WEBAPP_PORT
        return Listening(frozenset({(port, "TCP")}))
    if r == COREDNS and (not argv or argv[0] in ("/coredns", "coredns")):
        return Listening(frozenset({(53, "UDP"), (53, "TCP"), (8080, "TCP"), (8181, "TCP"), (9153, "TCP")}))
    if r == ECHO_BASIC and argv == IMAGE_CONFIG[ECHO_BASIC][0]:
        http = int(port_env) if port_env and port_env.isdigit() else ECHO_BASIC_PORT
        return Listening(frozenset({(http, "TCP"), (ECHO_BASIC_H2C_PORT, "TCP")}))
    if r == ECHOSERVER and argv == IMAGE_CONFIG[ECHOSERVER][1]:
        return Listening(frozenset({(8080, "TCP")}))
    return Listening(frozenset(_argv_listeners(r, list(argv), echo_text)))


def _argv_listeners(r: str, argv: list[str], echo_text: bool) -> set[Listener]:
    if not argv:
        return set()
    name = argv[0].rsplit("/", 1)[-1]
    if name in SHELLS:
        if len(argv) >= 3 and argv[1] == "-c":
            out: set[Listener] = set()
            for words in script_commands(argv[2]):
                out |= _argv_listeners(r, words, echo_text)
            return out
        return set()
    if name == "docker-entrypoint.sh":
        return _argv_listeners(r, argv[1:], echo_text)
    if name in ("nginx", "nginx-debug") and r == NGINX:
        return {(80, "TCP")}
    if name in ("agnhost", "agnhost-2") and r == AGNHOST:
        return _agnhost(argv[1:])
    if name == "serve_hostname" and r == SERVE_HOSTNAME:
        return _serve_hostname(_flags(argv[1:], frozenset({"udp", "tcp", "http"})))
    if name == "http-echo" and r == HTTP_ECHO:
        return _http_echo(argv[1:], echo_text)
    if name == "httpd" and r == BUSYBOX:
        return _busybox_httpd(argv[1:])
    if name == "nc" and r == BUSYBOX:
        return _busybox_nc(argv[1:])
    if name == "busybox" and len(argv) > 1:
        return _argv_listeners(r, argv[1:], echo_text)
    return set()


def script_commands(script: str) -> list[list[str]]:
    """The simple commands of an ``sh -c`` script (split at ``;``, ``&&``, ``||``, ``&``, ``|`` and
    newlines), each as its words; a script the shell could not parse has none."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=";&|\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    out: list[list[str]] = [[]]
    try:
        for tok in lexer:
            if tok and set(tok) <= set(";&|\n"):
                out.append([])
            else:
                out[-1].append(tok)
    except ValueError:  # an unterminated quote: sh refuses the whole script
        return []
    return [words[1:] if words[:1] == ["exec"] else words for words in out if words]


def _flags(args: list[str], booleans: frozenset[str] = frozenset()) -> dict[str, str]:
    """Go's flag package (and cobra's pflag, for long names): ``-name=v``, ``--name v``, ``-name v``."""
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if not a.startswith("-") or a in ("-", "--"):
            continue
        name, eq, value = a.lstrip("-").partition("=")
        if not eq:
            if name in booleans:
                value = "true"
            elif i < len(args):
                value, i = args[i], i + 1
        out[name] = value
    return out


def _port(text: str | None, default: int) -> int | None:
    """A port number, or None for one the program would refuse (it then exits without listening)."""
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        return None


def _agnhost(args: list[str]) -> set[Listener]:
    if not args:
        return set()
    sub, rest = args[0], args[1:]
    flags = _flags(rest, frozenset({"udp", "tcp", "http", "logtostderr", "alsologtostderr"}))
    if sub == "netexec":
        http, udp = _port(flags.get("http-port"), 8080), _port(flags.get("udp-port"), 8081)
        if http is None or udp is None:
            return set()
        return {(http, "TCP")} | ({(udp, "UDP")} if udp != -1 else set())
    if sub == "serve-hostname":
        return _serve_hostname(flags)
    if sub == "liveness":
        return {(8080, "TCP")}
    if sub == "test-webserver":
        port = _port(flags.get("port"), 80)
        return set() if port is None else {(port, "TCP")}
    return set()


def _serve_hostname(flags: dict[str, str]) -> set[Listener]:
    # serve_hostname.go (agnhost's subcommand and the standalone image alike): --port 9376; --http
    # (default true) serves HTTP, --tcp raw TCP, --udp UDP; HTTP with TCP or UDP is a fatal error
    # ("Can't server TCP/UDP mode and HTTP mode at the same time").
    port = _port(flags.get("port"), 9376)
    http, tcp, udp = (flags.get(f, d) == "true" for f, d in (("http", "true"), ("tcp", ""), ("udp", "")))
    if port is None or (http and (tcp or udp)):
        return set()
    return ({(port, "TCP")} if http or tcp else set()) | ({(port, "UDP")} if udp else set())


def is_serve_hostname(container: Container) -> bool:
    """Whether ``container`` runs serve_hostname: the standalone image's ``/serve_hostname`` or
    agnhost's ``serve-hostname`` subcommand (one program, ``serve_hostname.go``)."""
    r = repo(container)
    argv = program(container)
    name = argv[0].rsplit("/", 1)[-1] if argv else ""
    return (r == SERVE_HOSTNAME and name == "serve_hostname") or \
        (r == AGNHOST and name in ("agnhost", "agnhost-2") and argv[1:2] == ["serve-hostname"])


def _http_echo(args: list[str], echo_text: bool) -> set[Listener]:
    flags = _flags(args, frozenset({"version"}))
    if flags.get("version") == "true" or not (flags.get("text") or echo_text):
        return set()  # it prints its version, or "Missing -text option ...", and exits
    address = flags.get("listen", ":5678")
    port = _port(address.rsplit(":", 1)[-1], 5678) if ":" in address else None
    return set() if port is None else {(port, "TCP")}


def _busybox_httpd(args: list[str]) -> set[Listener]:
    # busybox httpd.c: -p [IP:]PORT, default 80; -f stays in the foreground.
    port: int | None = 80
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a.startswith("-p"):
            value = a[2:] or (args[i] if i < len(args) else "")
            i += 0 if a[2:] else 1
            port = _port(value.rsplit(":", 1)[-1], 80)
    return set() if port is None else {(port, "TCP")}


def _busybox_nc(args: list[str]) -> set[Listener]:
    # busybox nc (nc_bloaty.c): -l listens, -p PORT is the local port, -u is UDP.
    listen, udp, port = False, False, None
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if not a.startswith("-") or a == "-":
            continue
        letters = a[1:]
        for j, ch in enumerate(letters):
            if ch == "l":
                listen = True
            elif ch == "u":
                udp = True
            elif ch in "pwiseq":  # options that take a value
                value = letters[j + 1:] or (args[i] if i < len(args) else "")
                if not letters[j + 1:]:
                    i += 1
                if ch == "p":
                    port = _port(value, 0)
                break
    if not listen or not port:
        return set()
    return {(port, "UDP" if udp else "TCP")}


def listening_ports(rt: Runtime, pod: Pod, container: Container) -> set[Listener]:
    """The (port, protocol) pairs ``container`` of ``pod`` listens on once its app is up."""
    return set(listening(rt, container).ports)


def note_unknown(rt: Runtime, pod: Pod, container: Container) -> None:
    """At container start: for an image kitlib does not model, a Warning event naming it and what
    kitlib assumes (once per pod and container)."""
    found = listening(rt, container)
    if found.known:
        return
    seen = rt.apps.noted
    key = (pod.metadata.uid or pod.key, container.name)
    if key in seen:
        return
    seen.add(key)
    rt.api.record_event(pod, UNKNOWN_REASON, found.assumed, UNKNOWN_SOURCE, "Warning",
                        field_path=f"spec.containers{{{container.name}}}")


def describe(ports: frozenset[Listener] | set[Listener]) -> str:
    """``80/TCP, 8081/UDP`` or ``nothing``."""
    return ", ".join(f"{p}/{proto}" for p, proto in sorted(ports)) or "nothing"


__all__ = ["Listener", "Listening", "describe", "is_serve_hostname", "listening", "listening_ports", "note_unknown", "program",
           "script_commands"]
