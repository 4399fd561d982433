"""kubectl for Ingresses and IngressClasses, as kubectl 1.37 does it.

* ``create ingress NAME --rule=host/path=svc:port[,tls[=secret]] --class --default-backend
  --annotation``: the object of ``pkg/cmd/create/create_ingress.go``, quirks included (the
  rule regex only has to match a prefix of the rule; a path ending in ``*`` is a Prefix path
  without the ``*``; rules of one host share one rule; TLS entries are shared by secret name).
* ``get ingress|ingressclass``: the columns of ``pkg/printers/internalversion/printers.go``
  (printIngress, printIngressClass).
* ``describe ingress|ingressclass``: ``IngressDescriber.describeIngressV1`` (each backend with the
  ready endpoints of its Service port, from the EndpointSlices) and ``describeIngressClassV1``.

Server errors of ``create ingress`` are wrapped as kubectl wraps them:
``error: failed to create ingress: <the server's message>``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..api.networking import Ingress, IngressBackend, IngressClass, IngressLoadBalancerStatus
from ..api.service import Service
from ..errors import NotFound
from .args import Args, KubectlError, check_flags, one_name
from .describe import annotation_lines, labels_lines, with_events
from .generate import COMMON_FLAGS
from .printers import age
from .services import LOAD_BALANCER_WIDTH, format_endpoint_slices, service_slices
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster

# ------------------------------------------------------------------------------ create ingress

# create_ingress.go's ruleRegex (regexHostPathSvc + regexTLS). Go's ``\w`` is ASCII only, and
# ``MatchString`` is unanchored at the end: only a prefix of the rule has to match.
RULE_REGEX = re.compile(r"^(?P<host>[\w\*\-\.]*)(?P<path>/.*)=(?P<svcname>[\w\-]+):(?P<svcport>[\w\-]+)"
                        r"(,(?P<istls>tls)=?(?P<secretname>[\w\-]+)?)?", re.ASCII)
RULE_FORMAT = "host/path=svcname:svcport[,tls[=secret]]"
_INGRESS_FLAGS = {"class", "rule", "default-backend", "annotation"} | COMMON_FLAGS
_OUTPUT_FORMATS = ("go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,kyaml,name,template,"
                   "templatefile,yaml")


class _Panic(KubectlError):
    """Where the real kubectl panics (an index out of range in create_ingress.go)."""


def _index(parts: list[str], i: int) -> str:
    """``parts[i]`` as Go indexes a slice: out of range is a runtime panic."""
    if i >= len(parts):
        raise _Panic(f"panic: runtime error: index out of range [{i}] with length {len(parts)}")
    return parts[i]


def _int32(text: str) -> int | None:
    """``intstr.Parse``'s number: ``strconv.ParseInt(text, 10, 32)``; None where that fails
    (the port is then a name, ``"99999999999"`` included)."""
    if not re.fullmatch(r"[+-]?[0-9]+", text) or not -2 ** 31 <= int(text) < 2 ** 31:
        return None
    return int(text)


def _backend_port(port: str) -> dict[str, Any]:
    """``parseServiceBackendPort``: a number or a name (zero and empty are left out, omitempty)."""
    number = _int32(port)
    if number is None:
        return {"name": port} if port else {}
    return {"number": number} if number else {}


def _service_backend(service: str) -> dict[str, Any]:
    """``buildIngressBackendSvc``: ``svc:port``."""
    parts = service.split(":")
    return {"service": {"name": parts[0], "port": _backend_port(_index(parts, 1))}}


def _http_path(pathsvc: str) -> dict[str, Any]:
    """``buildHTTPIngressPath``: what follows the host's ``/``, ``path=svc:port``."""
    parts = pathsvc.split("=")
    path = "/" + parts[0]
    service = _index(parts, 1)
    path_type = "Exact"
    if path.endswith("*"):
        path_type, path = "Prefix", path[:-1]
    return {"path": path, "pathType": path_type, "backend": _service_backend(service)}


def _tls_entries(rules: list[str]) -> list[dict[str, Any]]:
    """``buildTLSRules``: one entry per secret name (hosts-only entries share the empty name);
    each host once, in the first entry it appears in."""
    entries: list[dict[str, Any]] = []
    seen: set[str] = set()
    for rule in rules:
        tls = rule.split(",")
        if len(tls) != 2:
            continue
        host = rule.split("/", 1)[0]
        secret_parts = tls[1].split("=")
        secret = secret_parts[1] if len(secret_parts) > 1 else ""
        if host in seen:
            continue
        index = next((i for i, e in enumerate(entries) if e.get("secretName", "") == secret), -1)
        seen.add(host)
        if index > -1:
            entries[index].setdefault("hosts", []).append(host)
            continue
        entry: dict[str, Any] = {}
        if host:
            entry["hosts"] = [host]
        if secret:
            entry["secretName"] = secret
        if entry:
            entries.append(entry)
    return entries


def _rules(rules: list[str]) -> list[dict[str, Any]]:
    """``buildIngressRules``: one rule per host, its paths in the order given."""
    out: list[dict[str, Any]] = []
    for rule in rules:
        remove_tls = rule.split(",")[0]
        host_split = remove_tls.split("/", 1)
        host = host_split[0]
        path = _http_path(_index(host_split, 1))
        found = next((r for r in out if r.get("host", "") == host), None)
        if found is not None:
            found["http"]["paths"].append(path)
            continue
        entry: dict[str, Any] = {"host": host} if host else {}
        entry["http"] = {"paths": [path]}
        out.append(entry)
    return out


def create_ingress(cluster: Cluster, args: Args) -> dict[str, Any]:
    """The Ingress ``kubectl create ingress NAME ...`` builds, checked as kubectl checks it."""
    check_flags(args, _INGRESS_FLAGS, "create ingress")
    name = one_name(args.words[2:], "create ingress")
    dry = args.get("dry-run")
    if dry not in (None, "none", "client", "server"):
        raise KubectlError(f'error: Invalid dry-run value ({dry}). Must be "none", "server", or "client".')
    fmt = args.get("output")
    if fmt not in (None, "", "yaml", "json", "name"):
        raise KubectlError(f'error: unable to match a printer suitable for the output format "{fmt}", '
                           f"allowed formats are: {_OUTPUT_FORMATS}")
    rules = args.all("rule")
    default_backend = args.get("default-backend") or ""
    annotations = args.all("annotation")
    # Validate(): in kubectl's order, before anything is built.
    if not default_backend and not rules:
        raise KubectlError("error: not enough information provided: every ingress has to either specify a "
                           "default-backend (which catches all traffic) or a list of rules (which catch "
                           "specific paths)")
    for rule in rules:
        if not RULE_REGEX.match(rule):
            raise KubectlError(f"error: rule {rule} is invalid and should be in format {RULE_FORMAT}")
    for annotation in annotations:
        if "=" not in annotation:
            raise KubectlError(f"error: annotation {annotation} is invalid and should be in format key=[value]")
    if default_backend and len(default_backend.split(":")) != 2:
        raise KubectlError("error: default-backend should be in format servicename:serviceport")
    # createIngress(): Go's struct field order, which -o json keeps (-o yaml sorts the keys).
    meta: dict[str, Any] = {"name": name}
    if args.get("namespace"):
        meta["namespace"] = args.get("namespace")
    notes = dict(annotation.split("=", 1) for annotation in annotations)
    if notes:
        meta["annotations"] = dict(sorted(notes.items()))  # a Go map: JSON sorts its keys
    spec: dict[str, Any] = {}
    if args.get("class"):
        spec["ingressClassName"] = args.get("class")
    if default_backend:
        spec["defaultBackend"] = _service_backend(default_backend)
    tls = _tls_entries(rules)
    built = _rules(rules)
    if tls:
        spec["tls"] = tls
    if built:
        spec["rules"] = built
    return {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": meta, "spec": spec,
            "status": {"loadBalancer": {}}}


# ---------------------------------------------------------------------------------------- get


def load_balancer_string(status: IngressLoadBalancerStatus, wide: bool) -> str:
    """``ingressLoadBalancerStatusStringer``: the IPs (else hostnames), sorted, each once; cut
    to 16 characters unless wide."""
    found = sorted({addr for i in status.ingress if (addr := i.ip or i.hostname)})
    text = ",".join(found)
    if not wide and len(text) > LOAD_BALANCER_WIDTH:
        text = text[:LOAD_BALANCER_WIDTH - 3] + "..."
    return text


def format_hosts(ing: Ingress) -> str:
    """``formatHosts``: the first three hosts, ``*`` for none, ``+ N more...`` (N counts rules)."""
    shown: list[str] = []
    more = False
    for rule in ing.spec.rules:
        if len(shown) == 3:
            more = True
        if not more and rule.host:
            shown.append(rule.host)
    if not shown:
        return "*"
    text = ",".join(shown)
    return f"{text} + {len(ing.spec.rules) - 3} more..." if more else text


def _ingress(cluster: Cluster, ing: Ingress, wide: bool) -> list[str]:
    return [ing.name, ing.spec.ingress_class_name or "<none>", format_hosts(ing),
            load_balancer_string(ing.status.load_balancer, wide), "80, 443" if ing.spec.tls else "80",
            age(cluster, ing)]


def _parameters(ic: IngressClass) -> str:
    p = ic.spec.parameters
    if p is None:
        return "<none>"
    kind = f"{p.kind}.{p.api_group}" if p.api_group is not None else p.kind
    return f"{kind}/{p.name}"


def _ingressclass(cluster: Cluster, ic: IngressClass, wide: bool) -> list[str]:
    return [ic.name, ic.spec.controller or "", _parameters(ic), age(cluster, ic)]


# ------------------------------------------------------------------------------------ describe


def service_backend_string(backend: IngressBackend) -> str:
    """``serviceBackendStringer``: ``svc:80`` or ``svc:http``."""
    svc = backend.service
    if svc is None:
        return ""
    return f"{svc.name}:{svc.port.number if svc.port.number else (svc.port.name or '')}"


def describe_backend(cluster: Cluster, namespace: str, backend: IngressBackend) -> str:
    """``describeBackendV1``: ``svc:port (ip:port,...)`` from the ready endpoints of that
    Service port; the client's error when the Service is not there."""
    if backend.service is not None:
        text = service_backend_string(backend)
        name = backend.service.name
        if not name:
            return f"{text} (<error: resource name may not be empty>)"
        try:
            svc = cluster.api.get("Service", name, namespace)
        except NotFound as err:
            return f"{text} (<error: {err.message}>)"
        assert isinstance(svc, Service)
        port = backend.service.port
        sp_name = ""
        for sp in svc.spec.ports:
            if port.number and port.number == sp.port:
                sp_name = sp.name or ""
            elif port.name and port.name == sp.name:
                sp_name = sp.name
        return f"{text} ({format_endpoint_slices(service_slices(cluster, svc), sp_name)})"
    if backend.resource is not None:
        ref = backend.resource
        group = ref.api_group if ref.api_group is not None else "<none>"
        return f"APIGroup: {group}, Kind: {ref.kind}, Name: {ref.name}"
    return ""


def _describe_ingress(cluster: Cluster, ing: Ingress) -> str:
    s = ing.spec
    default = describe_backend(cluster, ing.namespace, s.default_backend) if s.default_backend else "<default>"
    lines = [f"Name:\t{ing.name}", *labels_lines("Labels", ing.metadata.labels), f"Namespace:\t{ing.namespace}",
             f"Address:\t{load_balancer_string(ing.status.load_balancer, True)}",
             f"Ingress Class:\t{s.ingress_class_name or '<none>'}", f"Default backend:\t{default}"]
    if s.tls:
        lines.append("TLS:")
        for t in s.tls:
            hosts = ",".join(t.hosts)
            lines.append(f"  SNI routes {hosts}" if not t.secret_name else f"  {t.secret_name} terminates {hosts}")
    lines += ["Rules:", "  Host\tPath\tBackends", "  ----\t----\t--------"]
    count = 0
    for rule in s.rules:
        if rule.http is None:
            continue
        count += 1
        lines.append(f"  {rule.host or '*'}\t")
        lines += [f"    \t{p.path or ''} \t{describe_backend(cluster, ing.namespace, p.backend)}"
                  for p in rule.http.paths]
    if count == 0:
        lines.append(f"  *\t*\t{default}")
    lines += annotation_lines(ing.metadata.annotations)
    return with_events(cluster, ing, lines)


def _describe_ingressclass(cluster: Cluster, ic: IngressClass) -> str:
    lines = [f"Name:\t{ic.name}", *labels_lines("Labels", ic.metadata.labels),
             *annotation_lines(ic.metadata.annotations), f"Controller:\t{ic.spec.controller or ''}"]
    p = ic.spec.parameters
    if p is not None:
        lines.append("Parameters:")
        if p.api_group is not None:
            lines.append(f"  APIGroup:\t{p.api_group}")
        lines += [f"  Kind:\t{p.kind}", f"  Name:\t{p.name}"]
    return with_events(cluster, ic, lines)


VIEWS = (
    View("Ingress", ("NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"), (), _ingress, _describe_ingress,
         create=create_ingress, create_types=("ingress", "ing"), create_failure=lambda _ingress: "failed to create ingress"),
    View("IngressClass", ("NAME", "CONTROLLER", "PARAMETERS", "AGE"), (), _ingressclass, _describe_ingressclass),
)
