"""``ingress2gateway print --providers=ingress-nginx``: Ingresses to Gateway API objects, as the tool does.

An emulation of kubernetes-sigs/ingress2gateway **v1.1.0** (its newest release), its ingress-nginx
provider and its ``standard`` emitter, read from the tool's source: ``cmd/print.go`` (what is
printed, in which order), ``pkg/i2gw/providers/common/converter.go`` and ``utils.go`` (Ingress
rules to Gateways and HTTPRoutes), ``pkg/i2gw/providers/ingressnginx/*.go`` (the annotations),
``pkg/i2gw/emitters/common_emitter`` and ``emitters/standard`` (rewrites, backend de-duplication)
and ``pkg/i2gw/notifications/report.go`` (the notification boxes on stderr).

How Ingresses become Gateway API objects (the common converter):

* Only Ingresses of class ``nginx`` are read (``spec.ingressClassName``, else the
  ``kubernetes.io/ingress.class`` annotation; flag ``--ingress-nginx-ingress-class``), from the
  namespace asked for (``-n``, the context's namespace by default, ``-A`` for all).
* One **Gateway per namespace and class**, named after the class and with ``gatewayClassName`` the
  class. Each host gets a listener ``<host>-http`` on port 80 (dots and other characters as ``-``;
  no host: ``http``) and, when the Ingress has TLS, ``<host>-https`` on 443 with the TLS Secrets as
  ``certificateRefs`` (``group: ""``, ``kind: Secret``). An Ingress's TLS goes to every host of
  it, whatever ``tls.hosts`` says; a host-less rule takes the TLS entry's host when there is one.
* One **HTTPRoute per namespace, class and host**, named ``<ingress>-<host>`` after the first
  Ingress (by name) that has the host (``all-hosts`` for none), with ``parentRefs`` the Gateway and
  ``hostnames`` the host. Each distinct (pathType, path) is a rule, in order: ``Prefix`` is
  ``PathPrefix``, ``Exact`` is ``Exact``, and ``ImplementationSpecific`` is ``PathPrefix`` (what
  ingress-nginx does without regex). Paths of several Ingresses that are the same rule share it,
  one backendRef each. A ``defaultBackend`` is a route ``<ingress>-default-backend`` of its own.
* A backend's named port is looked up in its Service (a missing one fails the conversion).

The ingress-nginx annotations (``nginx.ingress.kubernetes.io/...``):

* ``canary: "true"`` with ``canary-weight`` (of ``canary-weight-total``, 100): the rule's two
  backendRefs get weights ``weight`` and ``total - weight`` (none given: 0 and 100);
  ``canary-by-header`` (``-value``): an extra rule matching the header (value ``always``, and one
  matching ``never`` for the main backend when no value is given); the canary leaves the main rule
  unless a weight is also given.
* ``use-regex: "true"`` or a ``rewrite-target`` on any non-canary Ingress of a host turns *every*
  path of that host into ``RegularExpression`` ``(?i)<path>.*`` (ingress-nginx matches regex
  locations case-insensitively as prefixes), with an INFO notification.
* ``rewrite-target``: a ``URLRewrite`` filter ``ReplaceFullPath`` (``x-forwarded-prefix`` adds a
  ``RequestHeaderModifier``). A target with ``\\$`` (a capture group reference, as the tool tests
  for it) is not converted: a WARN says so. ``/$2`` has no backslash, so the tool writes it as
  the literal full path ``/$2``.
* TLS: with a certificate for the host, the route moves to port 443 (``parentRefs`` ``port: 443``,
  ``sectionName: <host>-https``) and a route ``<route>-http`` on port 80 redirects each rule to
  https with 308, unless the rule's Ingress says ``ssl-redirect: "false"`` (then the rule is
  copied as it is). ``force-ssl-redirect`` is not one of the tool's annotations: it is reported
  as unsupported and changes nothing.
* A path ending in ``/`` (``/docs/``) also gets an ``Exact`` ``/docs`` rule redirecting with 301 to
  ``/docs/``, as NGINX does, unless another rule already covers ``/docs``.
* ``app-root``: ``Exact /`` redirects (302) to it (absolute URLs are ignored with a WARN).
* ``permanent-redirect`` / ``temporal-redirect`` (and their ``-code``): a ``RequestRedirect``
  filter in place of the backends; ``upstream-vhost`` / ``connection-proxy-header``: a
  ``RequestHeaderModifier`` setting ``Host`` / ``Connection``.
* Every other ``nginx.ingress.kubernetes.io/`` annotation the tool does not know is reported as
  ``Unsupported annotation ...``. Annotations the tool converts and kitlib does not emulate
  (timeouts, CORS, body size, source ranges, backend TLS, affinity, ssl-passthrough,
  from-to-www-redirect, gRPC backend protocols) raise :class:`NotImplementedError`.

What the tool prints: the GatewayClasses, Gateways, HTTPRoutes, ... each kind in turn, as
``kubectl -o yaml`` prints objects (keys sorted), separated by ``---``, each with the annotation
``gateway.networking.k8s.io/generator: ingress2gateway-v1.1.0``; ``No resources found in <ns>
namespace`` when there is nothing. Before it, on stderr, one box per notification, sorted by the
part of the tool that raised it (``INGRESS-NGINX`` before ``STANDARD_EMITTER``, which always warns
about URL normalization). The tool keeps objects in Go maps, so the order of two Gateways or two
HTTPRoutes (and of the backendRefs it de-duplicates, of two TLS Secrets of a listener, of the
notifications about an Ingress's annotations) changes from run to run; kitlib prints them by
namespace and name, keeps backendRefs and Secrets in the order they come, and sorts annotations. A Python caller gets them in
:class:`~kitlib.kubectl.output.Output` ``.warnings``, as :class:`~kitlib.kubectl.output.Note` lines
(the tool's own text, no ``Warning:`` prefix).

>>> from kitlib import Cluster
>>> from kitlib.tools import ingress2gateway
>>> c = Cluster(nodes=1)
>>> _ = c.enable_addon("ingress")
>>> _ = c.kubectl("create ingress demo --rule='demo.example/*=web:80'")
>>> out = ingress2gateway.run(c, "print --providers=ingress-nginx --no-color")
>>> print(out.split("---")[0])
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  annotations:
    gateway.networking.k8s.io/generator: ingress2gateway-v1.1.0
  name: nginx
  namespace: default
spec:
  gatewayClassName: nginx
  listeners:
  - hostname: demo.example
    name: demo-example-http
    port: 80
    protocol: HTTP
<BLANKLINE>
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..api.convert import dump_yaml
from ..api.networking import HTTPIngressPath, Ingress, IngressBackend, IngressRule
from ..api.service import Service
from ..errors import BadRequest, go_quote
from ..kubectl.output import Note, Output
from ..kubectl.output import write as write_stderr

if TYPE_CHECKING:
    from ..cluster import Cluster

VERSION = "v1.1.0"
"""The ingress2gateway release emulated (``ingress2gateway version``)."""
GENERATOR_ANNOTATION = "gateway.networking.k8s.io/generator"
GATEWAY_API_VERSION = "gateway.networking.k8s.io/v1"
PROVIDER = "ingress-nginx"
DEFAULT_INGRESS_CLASS = "nginx"
"""``--ingress-nginx-ingress-class``'s default: only Ingresses of this class are converted."""

_P = "nginx.ingress.kubernetes.io/"
CANARY, CANARY_WEIGHT, CANARY_WEIGHT_TOTAL = _P + "canary", _P + "canary-weight", _P + "canary-weight-total"
CANARY_BY_HEADER, CANARY_BY_HEADER_VALUE = _P + "canary-by-header", _P + "canary-by-header-value"
CANARY_BY_HEADER_PATTERN, CANARY_BY_COOKIE = _P + "canary-by-header-pattern", _P + "canary-by-cookie"
REWRITE_TARGET, APP_ROOT, USE_REGEX = _P + "rewrite-target", _P + "app-root", _P + "use-regex"
SSL_REDIRECT, X_FORWARDED_PREFIX = _P + "ssl-redirect", _P + "x-forwarded-prefix"
PERMANENT_REDIRECT, PERMANENT_REDIRECT_CODE = _P + "permanent-redirect", _P + "permanent-redirect-code"
TEMPORAL_REDIRECT, TEMPORAL_REDIRECT_CODE = _P + "temporal-redirect", _P + "temporal-redirect-code"
PROXY_REDIRECT_FROM, PROXY_REDIRECT_TO = _P + "proxy-redirect-from", _P + "proxy-redirect-to"
UPSTREAM_VHOST, CONNECTION_PROXY_HEADER = _P + "upstream-vhost", _P + "connection-proxy-header"
CUSTOM_HEADERS, BACKEND_PROTOCOL = _P + "custom-headers", _P + "backend-protocol"
FROM_TO_WWW_REDIRECT = _P + "from-to-www-redirect"

_NOT_EMULATED = tuple(_P + a for a in (
    "proxy-connect-timeout", "proxy-send-timeout", "proxy-read-timeout", "proxy-body-size",
    "client-body-buffer-size", "enable-cors", "cors-allow-origin", "cors-allow-headers",
    "cors-allow-methods", "cors-allow-credentials", "cors-expose-headers", "cors-max-age",
    "whitelist-source-range", "denylist-source-range", "proxy-ssl-verify", "proxy-ssl-secret",
    "proxy-ssl-name", "proxy-ssl-server-name", "proxy-ssl-verify-depth", "proxy-ssl-protocols",
    "affinity", "session-cookie-expires", "ssl-passthrough", "from-to-www-redirect"))
"""Annotations the tool converts (its ``parsedAnnotations``, and from-to-www-redirect) that kitlib
does not emulate: converting an Ingress with one raises NotImplementedError."""

PARSED_ANNOTATIONS = frozenset({
    CANARY, CANARY_WEIGHT, CANARY_WEIGHT_TOTAL, CANARY_BY_HEADER, CANARY_BY_HEADER_VALUE,
    CANARY_BY_HEADER_PATTERN, CANARY_BY_COOKIE, REWRITE_TARGET, APP_ROOT, PERMANENT_REDIRECT,
    PERMANENT_REDIRECT_CODE, TEMPORAL_REDIRECT, TEMPORAL_REDIRECT_CODE, PROXY_REDIRECT_FROM,
    PROXY_REDIRECT_TO, X_FORWARDED_PREFIX, UPSTREAM_VHOST, CONNECTION_PROXY_HEADER, CUSTOM_HEADERS,
    BACKEND_PROTOCOL, USE_REGEX, SSL_REDIRECT,
    *(a for a in _NOT_EMULATED if a != FROM_TO_WWW_REDIRECT)})
"""The annotations the tool knows (``annotations.go``'s ``parsedAnnotations``); any other
``nginx.ingress.kubernetes.io/`` annotation is reported as ``Unsupported annotation``."""

INFO, WARNING, ERROR = "INFO", "WARNING", "ERROR"


# ---------------------------------------------------------------------------------- notifications

@dataclass(frozen=True)
class Notification:
    """One notification of the tool's report: its level (``INFO``, ``WARNING``, ``ERROR``), the
    part of the tool that raised it (``ingress-nginx``, ``standard_emitter``), its message, and
    the objects it is about (``Kind: namespace/name``; None where the tool passed a nil object)."""

    type: str
    source: str
    message: str
    objects: tuple[str | None, ...] = ()

    def render(self, no_color: bool = False) -> str:
        """The box the tool prints on stderr for it (``notifications.Report.Render``)."""
        def c(code: str) -> str:
            return "" if no_color else code
        gray, reset = c("\033[90m"), c("\033[0m")
        label, color = {"ERROR": ("ERROR", "\033[31m"), "WARNING": ("WARN ", "\033[33m")}.get(
            self.type, ("INFO ", "\033[36m"))
        lines = [f"{gray}┌─ {c(color)}{label}{gray} {'─' * 40}{reset}",
                 f"{gray}│{reset}  {self.message}",
                 f"{gray}│{reset}  {gray}source:{reset} {c(chr(27) + '[95m')}{self.source.upper()}{reset}"]
        if self.objects:
            key = "objects" if len(self.objects) > 1 else "object"
            names = ", ".join(o for o in self.objects if o is not None)
            lines.append(f"{gray}│{reset}  {gray}{key}:{reset} {c(chr(27) + '[92m')}{names}{reset}")
        lines.append(f"{gray}└─{reset}")
        return "\n".join(lines) + "\n"


def render_report(notifications: Iterable[Notification], no_color: bool = False) -> str:
    """All boxes, sorted by source as the tool's report is (stable within a source)."""
    return "".join(n.render(no_color) for n in sorted(notifications, key=lambda n: n.source))


class _Report:
    def __init__(self, ingress_kind: str) -> None:
        self.items: list[Notification] = []
        self.ingress_kind = ingress_kind

    def add(self, source: str, kind: str, message: str, *objects: Any) -> None:
        self.items.append(Notification(kind, source, message, tuple(self._name(o) for o in objects)))

    def _name(self, obj: Any) -> str | None:
        # objectsToStr: "<Kind>: <namespace>/<name>"; an Ingress read from the cluster by the
        # controller-runtime client has an empty TypeMeta (list items carry no kind), so its kind is "".
        if obj is None:
            return None
        if isinstance(obj, Ingress):
            return f"{self.ingress_kind}: {obj.metadata.namespace or ''}/{obj.metadata.name}"
        return f"{obj.kind}: {obj.namespace}/{obj.name}"


# ------------------------------------------------------------------------------------ Go helpers

def go_parse_bool(value: str) -> bool | None:
    """Go's ``strconv.ParseBool``: True/False, or None for what it refuses."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None


def _parse_int32(text: str) -> tuple[int, str | None]:
    """Go's ``strconv.ParseInt(text, 10, 32)``: the value, or 0 and the error's text."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return 0, f"strconv.ParseInt: parsing {go_quote(text)}: invalid syntax"
    value = int(text)
    if not -(2 ** 31) <= value < 2 ** 31:
        return 0, f"strconv.ParseInt: parsing {go_quote(text)}: value out of range"
    return value, None


def _atoi(text: str) -> int | None:
    value, err = _parse_int32(text)
    return None if err else value


def name_from_host(host: str) -> str:
    """``common.NameFromHost``: ``demo.example`` → ``demo-example``; no host or ``*``: ``all-hosts``.

    >>> name_from_host("*.demo.example"), name_from_host("")
    ('demo-example', 'all-hosts')
    """
    if not host or host == "*":
        return "all-hosts"
    return re.sub(r"^[^a-zA-Z0-9]+", "", re.sub(r"[^a-zA-Z0-9]+", "-", host))


def route_name(ingress: str, host: str) -> str:
    """``common.RouteName``: ``<ingress>-<name from host>``."""
    return f"{ingress}-{name_from_host(host)}"


def ingress_class(ing: Ingress) -> str:
    """``common.GetIngressClass``: ``spec.ingressClassName``, else the legacy annotation, else ""."""
    if ing.spec.ingress_class_name:
        return ing.spec.ingress_class_name
    return ing.metadata.annotations.get("kubernetes.io/ingress.class", "")


class ConversionError(Exception):
    """The field errors that make the tool print nothing (``i2gw.aggregatedErrs``)."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        text = f"\n# Encountered {len(errors)} errors"
        for err in errors:
            text = f"\n{text} # {err}"
        super().__init__(text)


def _invalid(path: str, value: str, detail: str) -> str:
    return f"{path}: Invalid value: {go_quote(value)}: {detail}"


# ------------------------------------------------------------------------------ the IR of the tool

@dataclass
class _Source:
    ingress: Ingress
    path: HTTPIngressPath | None = None


@dataclass
class _PathRewrite:
    target: str
    headers: dict[str, str]
    capture_groups: bool
    source: str
    failure: str


@dataclass
class _Route:
    namespace: str
    name: str
    spec: dict[str, Any]
    sources: list[list[_Source] | None] = field(default_factory=list)
    parents: list[Any] | None = field(default_factory=list)
    rewrites: dict[int, _PathRewrite] = field(default_factory=dict)
    kind: str = "HTTPRoute"

    @property
    def rules(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self.spec.setdefault("rules", [])
        return rules

    @property
    def hostnames(self) -> list[str]:
        hostnames: list[str] = self.spec.get("hostnames", [])
        return hostnames


@dataclass
class _Gateway:
    namespace: str
    name: str
    listeners: list[dict[str, Any]] = field(default_factory=list)


def _first_non_canary(sources: list[_Source] | None) -> Ingress | None:
    """``getNonCanaryIngress``: the first source whose Ingress is not a canary, else the first."""
    for src in sources or []:
        if not go_parse_bool(src.ingress.metadata.annotations.get(CANARY, "")):
            return src.ingress
    return sources[0].ingress if sources else None


# ------------------------------------------------------------------------- the common converter

def _backend_ref(namespace: str, backend: IngressBackend, ports: dict[tuple[str, str], dict[str, int]],
                 path: str) -> tuple[dict[str, Any] | None, str | None]:
    """``common.ToBackendRef``: a Service port (a named one looked up), or the resource as it is."""
    if backend.service is not None:
        svc, port = backend.service.name, backend.service.port
        if not port.name:
            return {"name": svc, "port": port.number or 0}, None
        number = ports.get((namespace, svc), {}).get(port.name)
        if number is None:
            return None, _invalid(f"{path}.service.port", "name",
                                  f"cannot find port with name {port.name} in service {svc}")
        return {"name": svc, "port": number}, None
    res = backend.resource
    ref: dict[str, Any] = {"kind": res.kind if res else "", "name": res.name if res else ""}
    if res is not None and res.api_group is not None:
        ref["group"] = res.api_group
    return ref, None


def _path_match(path: HTTPIngressPath, field_path: str) -> tuple[dict[str, Any] | None, str | None]:
    """``toHTTPRouteMatch``: Prefix → PathPrefix, Exact → Exact, ImplementationSpecific → PathPrefix
    (ingress-nginx's ``implementationSpecificPathMatch``)."""
    # (Unreachable from the API server, which requires a pathType of the three.) A nil value
    # prints as "null" in field errors.
    kind = {"Prefix": "PathPrefix", "Exact": "Exact", "ImplementationSpecific": "PathPrefix"}.get(path.path_type or "")
    if path.path_type is None:
        return None, _invalid(f"{field_path}.pathType", "null", "pathType is required")
    if kind is None:
        return None, _invalid(f"{field_path}.pathType", "null", f"unsupported path match type: {path.path_type}")
    return {"path": {"type": kind, "value": path.path or ""}}, None


@dataclass
class _RuleGroup:
    namespace: str
    name: str
    ingress_class: str
    host: str
    tls: list[Any] = field(default_factory=list)
    rules: list[tuple[Ingress, IngressRule]] = field(default_factory=list)


def _common_to_ir(ingresses: list[Ingress], ports: dict[tuple[str, str], dict[str, int]]
                  ) -> tuple[list[_Route], dict[tuple[str, str], _Gateway], list[str]]:
    """``common.ToIR``: rule groups (namespace, class, host) to HTTPRoutes and Gateways."""
    groups: dict[str, _RuleGroup] = {}
    defaults: list[Ingress] = []
    for ing in ingresses:
        cls, ns = ingress_class(ing), ing.metadata.namespace or ""
        for rule in ing.spec.rules:
            host = rule.host or ""
            key = f"{ns}/{cls}/{host}/http"
            rg = groups.setdefault(key, _RuleGroup(ns, ing.metadata.name or "", cls, host))
            rg.tls.extend(ing.spec.tls)  # once per rule, as the tool appends it
            rg.rules.append((ing, rule))
        if ing.spec.default_backend is not None:
            defaults.append(ing)

    routes: list[_Route] = []
    errors: list[str] = []
    listeners_by_gateway: dict[str, list[dict[str, Any]]] = {}
    for key in sorted(groups):
        rg = groups[key]
        listener: dict[str, Any] = {}
        if rg.host:
            listener["hostname"] = rg.host
        elif len(rg.tls) == 1 and len(rg.tls[0].hosts) == 1:
            listener["hostname"] = rg.tls[0].hosts[0]
        if rg.tls:
            certs = dict.fromkeys(t.secret_name or "" for t in rg.tls)
            listener["certs"] = [{"group": "", "kind": "Secret", "name": n} for n in certs]
        listeners_by_gateway.setdefault(f"{rg.namespace}/{rg.ingress_class}", []).append(listener)
        route, errs = _group_to_route(rg, ports)
        routes.append(route)
        errors.extend(errs)

    for i, ing in enumerate(defaults):
        ns, cls = ing.metadata.namespace or "", ingress_class(ing)
        route = _Route(ns, f"{ing.metadata.name}-default-backend", {"parentRefs": [{"name": cls}]})
        assert ing.spec.default_backend is not None
        ref, err = _backend_ref(ns, ing.spec.default_backend, ports, f"{ing.metadata.name}.paths.backends[{i}]")
        if err:
            errors.append(err)
        else:
            route.rules.append({"backendRefs": [ref]})
        route.sources = [[_Source(ing)]]
        routes.append(route)

    gateways: dict[tuple[str, str], _Gateway] = {}
    for gw_key, listeners in listeners_by_gateway.items():
        ns, _, cls = gw_key.partition("/")
        gw = gateways.setdefault((ns, cls), _Gateway(ns, cls))
        unique: dict[str, dict[str, Any]] = {}
        for lst in listeners:
            prefix = f"{name_from_host(lst['hostname'])}-" if lst.get("hostname") else ""
            if f"{prefix}http" not in unique:
                unique[f"{prefix}http"] = _listener(f"{prefix}http", lst.get("hostname"), 80, "HTTP")
            if "certs" in lst:
                if f"{prefix}https" not in unique:
                    unique[f"{prefix}https"] = _listener(f"{prefix}https", lst.get("hostname"), 443, "HTTPS")
                    unique[f"{prefix}https"]["tls"] = {"certificateRefs": []}
                unique[f"{prefix}https"]["tls"]["certificateRefs"].extend(lst["certs"])
        for lst in unique.values():
            if "tls" in lst:  # the first reference to each Secret
                first: dict[str, dict[str, Any]] = {}
                for ref in lst["tls"]["certificateRefs"]:
                    first.setdefault(ref["name"], ref)
                lst["tls"]["certificateRefs"] = list(first.values())
            gw.listeners.append(lst)
    return routes, gateways, errors


def _listener(name: str, hostname: str | None, port: int, protocol: str) -> dict[str, Any]:
    lst: dict[str, Any] = {"name": name, "port": port, "protocol": protocol}
    if hostname is not None:
        lst["hostname"] = hostname
    return lst


def _group_to_route(rg: _RuleGroup, ports: dict[tuple[str, str], dict[str, int]]) -> tuple[_Route, list[str]]:
    """``ingressRuleGroup.toHTTPRoute``: one rule per distinct (pathType, path), in order."""
    spec: dict[str, Any] = {}
    if rg.ingress_class:
        spec["parentRefs"] = [{"name": rg.ingress_class}]
    if rg.host:
        spec["hostnames"] = [rg.host]
    route = _Route(rg.namespace, route_name(rg.name, rg.host), spec)
    by_key: dict[str, list[tuple[int, int, Ingress, HTTPIngressPath]]] = {}
    for i, (ing, ing_rule) in enumerate(rg.rules):
        for j, path in enumerate(ing_rule.http.paths if ing_rule.http else []):
            by_key.setdefault(f"{path.path_type or ''}/{path.path or ''}", []).append((i, j, ing, path))
    errors: list[str] = []
    for paths in by_key.values():
        i, j, _, first = paths[0]
        match, err = _path_match(first, f"spec.rules[{i}].http.paths[{j}]")
        if err or match is None:
            errors.append(err or "")
            continue
        refs, sources = [], []
        for k, (_, _, ing, path) in enumerate(paths):
            ref, err = _backend_ref(rg.namespace, path.backend, ports, f"paths.backends[{k}]")
            if err or ref is None:
                errors.append(err or "")
                continue
            refs.append(ref)
            sources.append(_Source(ing, path))
        rule: dict[str, Any] = {"matches": [match]}
        if refs:
            rule["backendRefs"] = refs
        route.rules.append(rule)
        route.sources.append(sources)
    return route, errors


# ----------------------------------------------------------------------- ingress-nginx's features

class _Provider:
    """The ingress-nginx provider's ``ToIR``, feature by feature, in the tool's order."""

    def __init__(self, ingresses: list[Ingress], ports: dict[tuple[str, str], dict[str, int]],
                 report: _Report) -> None:
        self.ingresses = ingresses
        self.ports = ports
        self.report = report

    def notify(self, kind: str, message: str, *objects: Any) -> None:
        self.report.add(PROVIDER, kind, message, *objects)

    def convert(self) -> tuple[list[_Route], dict[tuple[str, str], _Gateway], list[str]]:
        http: list[Ingress] = []
        for ing in self.ingresses:
            for annotation in _NOT_EMULATED:
                if annotation in ing.metadata.annotations:
                    raise NotImplementedError(
                        f"kitlib's ingress2gateway does not emulate {annotation} "
                        f"(Ingress {ing.metadata.namespace}/{ing.metadata.name})")
            protocol = ing.metadata.annotations.get(BACKEND_PROTOCOL)
            if protocol is None or protocol.upper() in ("HTTP", "HTTPS", "AUTO_HTTP"):
                http.append(ing)
            elif protocol.upper() in ("GRPC", "GRPCS"):
                raise NotImplementedError(f"kitlib's ingress2gateway does not emulate GRPCRoutes "
                                          f"(Ingress {ing.metadata.namespace}/{ing.metadata.name})")
            else:
                self.notify(WARNING, f"{protocol} backend-protocol is not supported in Gateway API conversion "
                            f"for ingress {ing.metadata.namespace}/{ing.metadata.name}", None)
        routes, gateways, errors = _common_to_ir(http, self.ports)

        for key in sorted(gateways):
            https = {lst["hostname"] for lst in gateways[key].listeners if "hostname" in lst and lst["port"] == 443}
            for lst in gateways[key].listeners:
                if "hostname" in lst and lst["port"] == 80 and lst["hostname"] not in https:
                    self.notify(WARNING, f"Ingress NGINX serves TLS traffic for host {go_quote(lst['hostname'])} "
                                "with a self-signed certificate. This behavior will not be translated and the "
                                "host will not be accessible via HTTPS.")
        for ing in self.ingresses:
            for annotation in sorted(ing.metadata.annotations):  # a Go map: any order; kitlib sorts
                if annotation.startswith(_P) and annotation not in PARSED_ANNOTATIONS:
                    self.notify(WARNING, f"Unsupported annotation {annotation}", ing)
        if errors:
            return [], {}, errors

        by_key = {(r.namespace, r.name): r for r in routes}
        errors += self.canary(by_key)
        self.redirect(routes)
        self.header_modifier(routes)
        self.regex(routes)
        self.app_root(routes)
        return routes, gateways, errors

    # canary.go
    def canary(self, by_key: dict[tuple[str, str], _Route]) -> list[str]:
        errors: list[str] = []
        groups: dict[str, tuple[str, str, str]] = {}
        for ing in self.ingresses:
            for ing_rule in ing.spec.rules:
                host = ing_rule.host or ""
                key = f"{ing.metadata.namespace}/{ingress_class(ing)}/{host}"
                groups.setdefault(key, (ing.metadata.namespace or "", ing.metadata.name or "", host))
        for key in sorted(groups):
            ns, name, host = groups[key]
            route = by_key.get((ns, route_name(name, host)))
            if route is None:
                continue
            add_rules: list[dict[str, Any]] = []
            add_sources: list[list[_Source] | None] = []
            for idx in range(len(route.rules)):
                sources = route.sources[idx] or []
                rule = route.rules[idx]
                existing = rule.get("matches", [])
                weights, config, canary_idx, main_idx, errs = self._canary_info(sources, route.name, idx)
                errors += errs
                if canary_idx < 0 or main_idx < 0:
                    continue
                refs = rule["backendRefs"]
                if config.is_weight or not config.is_header:
                    refs[canary_idx]["weight"], refs[main_idx]["weight"] = weights
                if config.is_header:
                    canary_ref = {k: v for k, v in refs[canary_idx].items() if k != "weight"}
                    add_rules.append(_header_rule(config.header, config.header_value or "always", existing, canary_ref))
                    add_sources.append([sources[canary_idx], sources[main_idx]])
                    if not config.header_value:
                        main_ref = {k: v for k, v in refs[main_idx].items() if k != "weight"}
                        add_rules.append(_header_rule(config.header, "never", existing, main_ref))
                        add_sources.append([sources[main_idx]])
                    if not config.is_weight:
                        rule["backendRefs"] = [r for i, r in enumerate(refs) if i != canary_idx]
                        route.sources[idx] = [s for i, s in enumerate(sources) if i != canary_idx]
            route.rules.extend(add_rules)
            route.sources.extend(add_sources)
        return errors

    def _canary_info(self, sources: list[_Source], route: str, idx: int
                     ) -> tuple[tuple[int, int], _CanaryConfig, int, int, list[str]]:
        errors: list[str] = []
        canary_idx = main_idx = -1
        config = _CanaryConfig()
        path = f"httproute.{route}.spec.rules[{idx}].backendRefs"
        for i, src in enumerate(sources):
            if src.ingress.metadata.annotations.get(CANARY) == "true":
                if canary_idx != -1:
                    errors.append(_invalid(path, "multiple canary backends", "at most one canary backend is allowed per rule"))
                    continue
                config = self._canary_config(src.ingress)
                canary_idx = i
            else:
                if main_idx != -1:
                    errors.append(_invalid(path, "multiple non-canary backends",
                                           "at most one non-canary backend is allowed per rule when using canary"))
                    continue
                main_idx = i
        if canary_idx != -1 and main_idx == -1:
            errors.append(_invalid(path, "canary backend without non-canary backend",
                                   "a non-canary backend is required when using canary"))
            return (0, 0), config, -1, -1, errors
        if canary_idx == -1:
            return (0, 0), config, -1, -1, errors
        return (config.weight, config.total - config.weight), config, canary_idx, main_idx, errors

    def _canary_config(self, ing: Ingress) -> _CanaryConfig:
        a = ing.metadata.annotations
        who = f"ingress {ing.metadata.namespace}/{ing.metadata.name}"
        for unsupported in (CANARY_BY_HEADER_PATTERN, CANARY_BY_COOKIE):
            if a.get(unsupported):
                self.notify(WARNING, f"{who} uses unsupported annotation {unsupported}", ing)
        config = _CanaryConfig(is_header=bool(a.get(CANARY_BY_HEADER)), header=a.get(CANARY_BY_HEADER, ""),
                               header_value=a.get(CANARY_BY_HEADER_VALUE, ""))
        if weight := a.get(CANARY_WEIGHT, ""):
            value, err = _parse_int32(weight)
            if err:
                self.notify(ERROR, f"Invalid canary-weight annotation {go_quote(weight)}, defaulting to 0: {err}", ing)
            elif value < 0:
                self.notify(ERROR, f"Negative canary-weight {value}, defaulting to 0", ing)
            else:
                config.is_weight, config.weight = True, value
        if total := a.get(CANARY_WEIGHT_TOTAL, ""):
            value, err = _parse_int32(total)
            if err:
                self.notify(ERROR, f"Invalid canary-weight-total annotation {go_quote(total)}, defaulting to 100: {err}", ing)
            if value <= 0:
                self.notify(ERROR, f"Non-positive canary-weight-total {value}, defaulting to 100", ing)
            else:
                config.total = value
        if config.weight > config.total:
            self.notify(ERROR, f"Canary-weight ({config.weight}) exceeding canary-weight-total ({config.total}), "
                        f"capping weight to {config.total}", ing)
            config.weight = config.total
        return config

    # redirect.go: permanent-redirect / temporal-redirect
    def redirect(self, routes: list[_Route]) -> None:
        for route in routes:
            for idx, rule in enumerate(route.rules):
                if idx >= len(route.sources):
                    continue
                ing = _first_non_canary(route.sources[idx])
                if ing is None:
                    continue
                a, who = ing.metadata.annotations, f"ingress {ing.metadata.namespace}/{ing.metadata.name}"
                for unsupported in (PROXY_REDIRECT_FROM, PROXY_REDIRECT_TO):
                    if a.get(unsupported):
                        self.notify(WARNING, f"{who} uses unsupported annotation {unsupported}", ing)
                if TEMPORAL_REDIRECT in a:
                    url, status, used = a[TEMPORAL_REDIRECT], 302, TEMPORAL_REDIRECT
                    if PERMANENT_REDIRECT in a:
                        self.notify(WARNING, f"{who} has both {PERMANENT_REDIRECT} and {TEMPORAL_REDIRECT} annotations; "
                                    "temporal-redirect takes priority, permanent-redirect is ignored", ing)
                    if code := a.get(TEMPORAL_REDIRECT_CODE, ""):
                        if _atoi(code) in (301, 302, 303, 307):
                            status = int(code)
                        else:
                            self.notify(WARNING, f"{who} uses unsupported status code {go_quote(code)} in "
                                        f"{TEMPORAL_REDIRECT_CODE} annotation (Gateway API supports: 301, 302, 303, 307 "
                                        "for temporal redirects), using default 302", ing)
                elif PERMANENT_REDIRECT in a:
                    url, status, used = a[PERMANENT_REDIRECT], 301, PERMANENT_REDIRECT
                    if code := a.get(PERMANENT_REDIRECT_CODE, ""):
                        if _atoi(code) in (301, 302, 303, 307, 308):
                            status = int(code)
                        else:
                            self.notify(WARNING, f"{who} uses unsupported status code {go_quote(code)} in "
                                        f"{PERMANENT_REDIRECT_CODE} annotation (Gateway API supports: 301, 302, 303, "
                                        "307, 308 for permanent redirects), using default 301", ing)
                else:
                    continue
                if not url:
                    self.notify(ERROR, f"Empty {used} annotation, skipping redirect", ing)
                    continue
                try:
                    parts = urlsplit(url)
                except ValueError as err:  # Go's url.Parse words its errors differently
                    self.notify(ERROR, f"Invalid redirect URL in {used} annotation: {err}, skipping redirect", ing)
                    continue
                host, port = _host_port(parts.netloc)
                redirect: dict[str, Any] = {"statusCode": status}
                if parts.scheme:
                    redirect["scheme"] = parts.scheme
                if host:
                    redirect["hostname"] = host
                if port:
                    if not port.isdigit():
                        self.notify(ERROR, f"Invalid redirect URL in {used} annotation: parse {go_quote(url)}: "
                                    f"invalid port {go_quote(':' + port)} after host, skipping redirect", ing)
                        continue
                    redirect["port"] = int(port)
                redirect["path"] = {"type": "ReplaceFullPath", "replaceFullPath": parts.path or "/"}
                rule.setdefault("filters", []).append({"type": "RequestRedirect", "requestRedirect": redirect})
                rule.pop("backendRefs", None)

    # headers.go
    def header_modifier(self, routes: list[_Route]) -> None:
        for route in routes:
            for idx, rule in enumerate(route.rules):
                if idx >= len(route.sources):
                    continue
                ing = _first_non_canary(route.sources[idx])
                if ing is None:
                    continue
                a = ing.metadata.annotations
                headers = {}
                if a.get(UPSTREAM_VHOST):
                    headers["Host"] = a[UPSTREAM_VHOST]
                if a.get(CONNECTION_PROXY_HEADER):
                    headers["Connection"] = a[CONNECTION_PROXY_HEADER]
                if CUSTOM_HEADERS in a:
                    self.notify(WARNING, f"Ingress {ing.metadata.namespace}/{ing.metadata.name} uses "
                                f"'{CUSTOM_HEADERS}' which is not supported.", route)
                if headers:
                    filters = rule.setdefault("filters", [])
                    found = next((f for f in filters if f["type"] == "RequestHeaderModifier"), None)
                    if found is None:
                        found = {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": []}}
                        filters.append(found)
                    found["requestHeaderModifier"].setdefault("set", []).extend(
                        {"name": k, "value": v} for k, v in headers.items())

    # regex.go
    def regex_hosts(self) -> set[str]:
        hosts: set[str] = set()
        for ing in self.ingresses:
            a = ing.metadata.annotations
            if go_parse_bool(a.get(CANARY, "")):
                continue
            if not go_parse_bool(a.get(USE_REGEX, "")) and not a.get(REWRITE_TARGET):
                continue
            hosts.update(rule.host for rule in ing.spec.rules if rule.host)
        return hosts

    def regex(self, routes: list[_Route]) -> None:
        hosts = self.regex_hosts()
        for route in sorted(routes, key=lambda r: (r.namespace, r.name)):
            if not any(h in hosts for h in route.hostnames):
                continue
            for rule in route.rules:
                for match in rule.get("matches", []):
                    if "path" in match:
                        # A dict shared with a canary header rule is rewritten twice, as the tool's
                        # shared *HTTPPathMatch is.
                        match["path"]["type"] = "RegularExpression"
                        match["path"]["value"] = f"(?i){match['path']['value']}.*"
            self.notify(INFO, "Using case-insensitive regex path matches. You may want to change this.", route)

    # approot.go
    def app_root(self, routes: list[_Route]) -> None:
        for route in routes:
            app_root, exact_idx = "", -1
            for idx, rule in enumerate(route.rules):
                if idx >= len(route.sources):
                    continue
                ing = _first_non_canary(route.sources[idx])
                if ing is None:
                    continue
                value = ing.metadata.annotations.get(APP_ROOT, "")
                if not value:
                    continue
                if _is_abs_url(value):
                    self.notify(WARNING, f"Ignoring app-root annotation with absolute URL {go_quote(value)} (not supported)")
                    continue
                app_root = value
                for match in rule.get("matches", []):
                    path = match.get("path")
                    if path and path.get("value") == "/" and path.get("type") == "Exact":
                        exact_idx = idx
                        break
                break
            if not app_root:
                continue
            redirect = {"type": "RequestRedirect", "requestRedirect": {
                "path": {"type": "ReplaceFullPath", "replaceFullPath": app_root}, "statusCode": 302}}
            if exact_idx >= 0:
                route.rules[exact_idx].setdefault("filters", []).append(redirect)
                route.rules[exact_idx].pop("backendRefs", None)
            else:
                route.rules.append({"matches": [{"path": {"type": "Exact", "value": "/"}}], "filters": [redirect]})
                route.sources.append(None)

    # rewrite.go (applied on the emitter IR)
    def rewrite_target(self, routes: list[_Route]) -> None:
        hosts = self.regex_hosts()
        for route in routes:
            has_regex = any(h in hosts for h in route.hostnames)
            for idx in range(len(route.rules)):
                if idx >= len(route.sources):
                    continue
                ing = _first_non_canary(route.sources[idx])
                if ing is None or not ing.metadata.annotations.get(REWRITE_TARGET):
                    continue
                target = ing.metadata.annotations[REWRITE_TARGET]
                headers = {}
                if ing.metadata.annotations.get(X_FORWARDED_PREFIX):
                    headers["X-Forwarded-Prefix"] = ing.metadata.annotations[X_FORWARDED_PREFIX]
                groups = has_regex and "\\$" in target
                route.rewrites[idx] = _PathRewrite(
                    target, headers, groups, f"rewrite-target from Ingress {ing.metadata.namespace}/{ing.metadata.name}",
                    "Path rewrites with capture group references are not supported" if groups
                    else "Could not apply rewrite-target annotation")

    # redirect.go: addSSLAndTrailingSlashRedirects
    def ssl_and_trailing_slash(self, routes: list[_Route]) -> list[_Route]:
        tls_hosts: set[str] = set()
        for ing in self.ingresses:
            for tls in ing.spec.tls:
                if tls.hosts:
                    tls_hosts.update(tls.hosts)
                else:
                    tls_hosts.update(r.host for r in ing.spec.rules if r.host)
                    break
        added = []
        for route in routes:
            provider_rules = len(route.rules)
            slash_rules = trailing_slash_rules(route.rules)
            route.rules.extend(slash_rules)
            if not any(h in tls_hosts for h in route.hostnames):
                continue
            http_rules, redirects = [], False
            for idx, sources in enumerate(route.sources):
                source = _first_non_canary(sources)
                if source is None or idx >= provider_rules + len(slash_rules):
                    continue
                enable = True
                if SSL_REDIRECT in source.metadata.annotations:
                    enable = bool(go_parse_bool(source.metadata.annotations[SSL_REDIRECT]))
                if enable:
                    redirects = True
                    rule: dict[str, Any] = {}
                    if route.rules[idx].get("matches"):
                        rule["matches"] = copy.deepcopy(route.rules[idx]["matches"])
                    rule["filters"] = [{"type": "RequestRedirect",
                                        "requestRedirect": {"scheme": "https", "statusCode": 308}}]
                    http_rules.append(rule)
                else:
                    http_rules.append(copy.deepcopy(route.rules[idx]))
            if not redirects:
                continue
            for slash in slash_rules:
                combined = copy.deepcopy(slash)
                combined["filters"][0]["requestRedirect"]["scheme"] = "https"
                http_rules.append(combined)
            spec: dict[str, Any] = {}
            if route.hostnames:
                spec["hostnames"] = list(route.hostnames)
            spec["rules"] = http_rules
            if "parentRefs" in route.spec:
                spec["parentRefs"] = [{**p, "port": 80} for p in copy.deepcopy(route.spec["parentRefs"])]
            added.append(_Route(route.namespace, f"{route.name}-http", spec, parents=None))
            for parent in route.spec.get("parentRefs", []):
                parent["port"] = 443
                if route.hostnames:
                    parent["sectionName"] = f"{name_from_host(route.hostnames[0])}-https"
        return added


@dataclass
class _CanaryConfig:
    is_header: bool = False
    header: str = ""
    header_value: str = ""
    is_weight: bool = False
    weight: int = 0
    total: int = 100


def _header_rule(header: str, value: str, existing: list[dict[str, Any]], ref: dict[str, Any]) -> dict[str, Any]:
    match: dict[str, Any] = {"headers": [{"name": header, "value": value}]}
    if existing and "path" in existing[0]:
        match["path"] = existing[0]["path"]  # the same object, as the tool shares the pointer
    return {"matches": [match], "backendRefs": [ref]}


def _host_port(netloc: str) -> tuple[str, str]:
    """Go's ``URL.Hostname()`` and ``URL.Port()``: as written (no lowercasing), IPv6 brackets off."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        host, _, rest = hostport[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    host, colon, port = hostport.partition(":")
    return host, port if colon else ""


def _is_abs_url(value: str) -> bool:
    try:
        return bool(urlsplit(value).scheme)
    except ValueError:
        return False


def trailing_slash_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``buildTrailingSlashRedirectRules``: ``/docs`` → 301 ``/docs/`` where only ``/docs/`` is routed."""
    matched, prefixes = set(), []
    paths = [m["path"] for r in rules for m in r.get("matches", []) if m.get("path", {}).get("type")]
    for p in paths:
        if p["type"] in ("Exact", "PathPrefix"):
            matched.add(p["value"])
        if p["type"] == "PathPrefix":
            prefixes.append(p["value"])
    out, added = [], set()
    for p in paths:
        target = p["value"]
        if p["type"] not in ("Exact", "PathPrefix") or target == "/" or not target.endswith("/"):
            continue
        source = target[:-1]
        if not source or source in matched or source in added or any(_prefix_covers(x, source) for x in prefixes):
            continue
        out.append({"matches": [{"path": {"type": "Exact", "value": source}}],
                    "filters": [{"type": "RequestRedirect", "requestRedirect": {
                        "statusCode": 301, "path": {"type": "ReplaceFullPath", "replaceFullPath": target}}}]})
        added.add(source)
    return out


def _prefix_covers(prefix: str, path: str) -> bool:
    """Gateway API PathPrefix matching by segments: ``/a`` covers ``/a`` and ``/a/b``, not ``/ab``."""
    if not path.startswith(prefix):
        return False
    return len(path) == len(prefix) or prefix.endswith("/") or path[len(prefix)] == "/"


# ---------------------------------------------------------------------------------- the emitters

def _common_emitter(routes: list[_Route]) -> None:
    """``common_emitter.applyPathRewrites``: rewrites without capture groups become URLRewrite filters."""
    for route in routes:
        for idx, rw in sorted(route.rewrites.items()):
            if rw.capture_groups:
                continue
            filters = route.rules[idx].setdefault("filters", [])
            filters.append({"type": "URLRewrite", "urlRewrite": {
                "path": {"type": "ReplaceFullPath", "replaceFullPath": rw.target}}})
            if rw.headers:
                filters.append({"type": "RequestHeaderModifier", "requestHeaderModifier": {
                    "set": [{"name": k, "value": v} for k, v in rw.headers.items()]}})
            del route.rewrites[idx]


def _dedupe_backend_refs(refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``removeBackendRefsDuplicates``: one ref per (group, kind, name, port), weights summed."""
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for ref in refs:
        group = ref.get("group", "")
        key = ("" if group == "core" else group, ref.get("kind", "Service"), ref["name"], ref.get("port", 0))
        if key in unique:
            old = unique[key]
            if "weight" in old and "weight" in ref:
                old["weight"] += ref["weight"]
        else:
            unique[key] = copy.deepcopy(ref)
    return list(unique.values())


def _prune(value: Any) -> Any:
    """Drop what Go's ``omitempty`` drops: nil pointers and empty lists."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


@dataclass(frozen=True)
class Conversion:
    """What one run of the tool produced: the objects in the order it prints them (Gateway API
    dicts, as YAML has them), and its notifications."""

    objects: list[dict[str, Any]]
    notifications: list[Notification]

    def yaml(self) -> str:
        """The objects as the tool prints them on stdout: YAML documents separated by ``---``."""
        return "---\n".join(dump_yaml(o) for o in self.objects)


def convert(ingresses: Sequence[Ingress], services: Sequence[Service] = (),
            ingress_class_name: str = DEFAULT_INGRESS_CLASS, *, from_cluster: bool = False) -> Conversion:
    """Convert Ingresses to Gateway API objects as ``ingress2gateway`` v1.1.0's ingress-nginx
    provider and standard emitter do (see the module's docstring for the rules).

    ``services`` are those the tool reads beside them (for named backend ports). Ingresses of
    another class than ``ingress_class_name`` are left out. ``from_cluster``: the Ingresses were
    listed from a cluster, so the notifications name them without a kind, as the tool does.
    Raises :class:`ConversionError` with the tool's field errors when it would print nothing.
    """
    selected = [i for i in ingresses if ingress_class(i) == ingress_class_name]
    selected.sort(key=lambda i: (i.metadata.name or "", i.metadata.namespace or ""))
    ports: dict[tuple[str, str], dict[str, int]] = {}
    for svc in services:
        ports[(svc.metadata.namespace or "", svc.metadata.name or "")] = {p.name or "": p.port for p in svc.spec.ports}
    report = _Report("" if from_cluster else "Ingress")
    provider = _Provider(selected, ports, report)
    routes, gateways, errors = provider.convert()
    if errors:
        raise ConversionError(errors)
    provider.rewrite_target(routes)
    routes += provider.ssl_and_trailing_slash(routes)
    _common_emitter(routes)

    for route in routes:
        for rw in route.rewrites.values():
            path = f'metadata.annotations."{REWRITE_TARGET}"'
            report.add("standard_emitter", WARNING, f"Failed to apply {path} from {rw.source}: {rw.failure}", route)
    report.add("standard_emitter", WARNING, "Gateway API does not support configuring URL normalization "
               "(RFC 3986, Section 6). Please check if this matters for your use case and consult "
               "implementation-specific details.")

    generator = {GENERATOR_ANNOTATION: f"ingress2gateway-{VERSION}"}
    objects: list[dict[str, Any]] = []
    for key in sorted(gateways):
        gw = gateways[key]
        objects.append({"apiVersion": GATEWAY_API_VERSION, "kind": "Gateway",
                        "metadata": {"annotations": dict(generator), "name": gw.name, "namespace": gw.namespace},
                        "spec": {"gatewayClassName": gw.name, "listeners": _prune(gw.listeners)}})
    for route in sorted(routes, key=lambda r: (r.namespace, r.name)):
        for rule in route.rules:
            rule["backendRefs"] = _dedupe_backend_refs(rule.get("backendRefs", []))
        objects.append({"apiVersion": GATEWAY_API_VERSION, "kind": "HTTPRoute",
                        "metadata": {"annotations": dict(generator), "name": route.name, "namespace": route.namespace},
                        "spec": _prune(route.spec), "status": {"parents": route.parents}})
    return Conversion(objects, report.items)


# ------------------------------------------------------------------------------- the command line

def print_(cluster: Cluster, namespace: str | None = None, all_namespaces: bool = False,
           ingress_class_name: str = DEFAULT_INGRESS_CLASS, no_color: bool = False) -> Output:
    """``ingress2gateway print --providers=ingress-nginx [-n NS | -A] [--no-color]`` over ``cluster``.

    Returns what the tool prints on stdout (an :class:`~kitlib.kubectl.output.Output`; its
    ``warnings`` are the notification boxes, which are also written to ``sys.stderr`` first, as
    the tool writes them). ``namespace`` defaults to the context's (``default``). A conversion
    that fails raises :class:`kitlib.BadRequest` with the tool's ``Error: ...`` text.
    """
    ns = None if all_namespaces else (namespace or "default")
    ingresses = cluster.list("Ingress", ns)
    services = cluster.list("Service", ns)
    try:
        result = convert([i for i in ingresses if isinstance(i, Ingress)],
                         [s for s in services if isinstance(s, Service)], ingress_class_name, from_cluster=True)
    except ConversionError as err:
        # cobra prints "Error: " and the error, then the command's usage (not repeated here).
        raise BadRequest(f"Error: {err}", printed=True) from None
    boxes = [Note(n.render(no_color).rstrip("\n")) for n in
             sorted(result.notifications, key=lambda n: n.source)]
    text = result.yaml() if result.objects else (
        "No resources found" + (f" in {ns} namespace" if ns else "") + "\n")
    out = Output(text.rstrip("\n"), boxes)
    write_stderr(out.warnings)
    return out


def run(cluster: Cluster, command: str) -> Output:
    """The tool's command line over ``cluster``, e.g. ``run(c, "print --providers=ingress-nginx -A")``.

    Understands ``print`` with ``--providers=ingress-nginx`` (required, as in the tool),
    ``-n/--namespace``, ``-A/--all-namespaces``, ``--no-color`` and
    ``--ingress-nginx-ingress-class``; see :func:`print_`.
    """
    args = shlex.split(command)
    if args[:1] == ["ingress2gateway"]:
        args = args[1:]
    if args[:1] != ["print"]:
        raise BadRequest(f'Error: unknown command "{args[0] if args else ""}" for "ingress2gateway"', printed=True)
    opts: dict[str, Any] = {"namespace": None, "all_namespaces": False, "no_color": False,
                            "ingress_class_name": DEFAULT_INGRESS_CLASS}
    providers: list[str] = []
    rest = iter(args[1:])
    for arg in rest:
        name, eq, value = arg.partition("=")
        takes = name in ("-n", "--namespace", "--providers", "--ingress-nginx-ingress-class")
        if takes and not eq:
            value = next(rest, "")
        if name in ("-n", "--namespace"):
            opts["namespace"] = value
        elif name in ("-A", "--all-namespaces"):
            opts["all_namespaces"] = True
        elif name == "--no-color":
            opts["no_color"] = True
        elif name == "--providers":
            providers += value.split(",")
        elif name == "--ingress-nginx-ingress-class":
            opts["ingress_class_name"] = value
        else:
            raise BadRequest(f"Error: unknown flag: {name}", printed=True)
    if not providers:
        raise BadRequest('Error: required flag(s) "providers" not set', printed=True)
    if opts["namespace"] and opts["all_namespaces"]:
        raise BadRequest("Error: if any flags in the group [namespace all-namespaces] are set none of the "
                         "others can be; [all-namespaces namespace] were all set", printed=True)
    if providers != [PROVIDER]:
        raise NotImplementedError(f"kitlib's ingress2gateway emulates only --providers={PROVIDER}")
    return print_(cluster, **opts)


__all__ = ["Conversion", "ConversionError", "Notification", "convert", "print_", "render_report", "run"]
