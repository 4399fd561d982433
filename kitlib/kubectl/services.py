"""kubectl for Services, as kubectl 1.37 does it.

* ``expose deployment|replicaset|pod|service NAME``: the Service ``kubectl expose`` builds
  (``staging/src/k8s.io/kubectl/pkg/cmd/expose``): named after the object, its selector copied
  from the object, the object's labels, and its container ports when ``--port`` is not given.
* ``create service clusterip|nodeport|loadbalancer|externalname NAME``: the objects of
  ``cmd/create/create_service.go`` (selector and label ``app=NAME``, ports named ``80-8080``).
* ``get svc``, ``get endpoints``, ``get endpointslices``: the columns of
  ``pkg/printers/internalversion/printers.go``.
* ``describe svc``: ``describeService``, which lists the Service's EndpointSlices; and
  ``describe endpoints`` / ``describe endpointslice``.

Server errors pass through as the API server words them, except where kubectl wraps them
(``create service``: ``error: failed to create ClusterIP service: ...``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..api.apps import Deployment, ReplicaSet
from ..api.discovery import SERVICE_NAME_LABEL, Endpoints, EndpointSlice
from ..api.labels import LabelSelectorRequirement
from ..api.meta import KubeObject
from ..api.pod import Pod
from ..api.registry import for_object
from ..api.service import Service
from ..api.validation import DNS1123_SUBDOMAIN
from ..apiserver.service_strategy import port_name_errors
from ..manifest import decode, load
from .args import Args, KubectlError, check_flags, one_name, resource_type
from .describe import annotation_lines, labels_lines, with_events
from .generate import COMMON_FLAGS, emit
from .printers import age, format_labels
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster

LOAD_BALANCER_WIDTH = 16
"""EXTERNAL-IP is cut to this width (13 characters and ``...``) unless ``-o wide``."""


# ---------------------------------------------------------------------------------------- get


def port_string(svc: Service) -> str:
    """PORT(S): ``80/TCP``, ``80:30080/TCP``, comma-joined (``makePortString``)."""
    return ",".join(f"{p.port}:{p.node_port}/{p.protocol}" if p.node_port else f"{p.port}/{p.protocol}"
                    for p in svc.spec.ports)


def external_ip(svc: Service, wide: bool = False) -> str:
    """EXTERNAL-IP (``getServiceExternalIP``): externalIPs, the load balancer's addresses
    (``<pending>`` until something assigns one), or the externalName."""
    s = svc.spec
    kind = s.type or "ClusterIP"
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(s.external_ips) or "<none>"
    if kind == "LoadBalancer":
        found = sorted({addr for i in svc.status.load_balancer.ingress if (addr := i.ip or i.hostname)})
        lb = ",".join(found)
        if not wide and len(lb) > LOAD_BALANCER_WIDTH:
            lb = lb[:LOAD_BALANCER_WIDTH - 3] + "..."
        if s.external_ips:
            return ",".join((lb.split(",") if lb else []) + s.external_ips)
        return lb or "<pending>"
    if kind == "ExternalName":
        return s.external_name or ""
    return "<unknown>"


def _service(cluster: Cluster, svc: Service, wide: bool) -> list[str]:
    s = svc.spec
    row = [svc.name, s.type or "", s.cluster_ips[0] if s.cluster_ips else "<none>", external_ip(svc, wide),
           port_string(svc) or "<none>", age(cluster, svc)]
    if wide:
        row.append(format_labels(s.selector))
    return row


def _more(items: list[str], count: int, limit: int = 3) -> str:
    text = ",".join(items)
    return f"{text} + {count - limit} more..." if count > limit else text


def format_endpoints(ep: Endpoints) -> str:
    """ENDPOINTS of ``get endpoints``: the first three ready ``ip:port``, then ``+ N more...``."""
    if not ep.subsets:
        return "<none>"
    shown: list[str] = []
    count = 0
    for ss in ep.subsets:
        pairs = [a.ip for a in ss.addresses] if not ss.ports else \
            [_host_port(a.ip, p.port) for p in ss.ports for a in ss.addresses]
        count += len(pairs)
        shown += pairs[:3 - len(shown)] if len(shown) < 3 else []
    return _more(shown, count)


def _host_port(ip: str, port: int | None) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _endpoints(cluster: Cluster, ep: Endpoints, wide: bool) -> list[str]:
    return [ep.name, format_endpoints(ep), age(cluster, ep)]


def _list_with_more(items: list[str]) -> str:
    """``listWithMoreString``: three items, ``+ N more...``, or ``<unset>`` for none."""
    text = _more(items[:3], len(items))
    return text or "<unset>"


def _endpointslice(cluster: Cluster, sl: EndpointSlice, wide: bool) -> list[str]:
    ports = [str(p.port) if p.port is not None else (p.name if p.name is not None else "*") for p in sl.ports]
    addresses = [a for e in sl.endpoints for a in e.addresses]
    return [sl.name, sl.address_type, _list_with_more(ports), _list_with_more(addresses), age(cluster, sl)]


# ------------------------------------------------------------------------------------ describe


def format_endpoint_slices(slices: list[EndpointSlice], port_name: str | None) -> str:
    """``formatEndpointSlices``: the ready endpoints of one Service port, three and ``+ N more...``.

    Slices with no ports list their ready addresses bare; no slices at all is ``<none>``.
    The quirks are kubectl's: the ``more`` mark is set before the readiness check.
    """
    if not slices:
        return "<none>"
    shown: list[str] = []
    more, count = False, 0
    for sl in slices:
        if not sl.ports:
            for ep in sl.endpoints:
                more = more or len(shown) == 3
                if ep.conditions.ready is False:
                    continue
                if not more:
                    shown.append(ep.addresses[0])
                count += 1
            continue
        for port in sl.ports:
            if port_name is not None and (port.name or "") != port_name:
                continue
            for ep in sl.endpoints:
                more = more or len(shown) == 3
                if ep.conditions.ready is False:
                    continue
                if not more:
                    shown.append(_host_port(ep.addresses[0], port.port))
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - 3} more..." if more else text


def service_slices(cluster: Cluster, svc: Service) -> list[EndpointSlice]:
    """The EndpointSlices labelled ``kubernetes.io/service-name=<svc>``, in name order."""
    sel = f"{SERVICE_NAME_LABEL}={svc.name}"
    slices = [s for s in cluster.api.list("EndpointSlice", svc.namespace, sel) if isinstance(s, EndpointSlice)]
    return sorted(slices, key=lambda s: s.name)


def _describe_service(cluster: Cluster, svc: Service) -> str:
    s = svc.spec
    lines = [f"Name:\t{svc.name}", f"Namespace:\t{svc.namespace}", *labels_lines("Labels", svc.metadata.labels),
             *annotation_lines(svc.metadata.annotations), f"Selector:\t{format_labels(s.selector)}",
             f"Type:\t{s.type or ''}"]
    if s.ip_family_policy:
        lines.append(f"IP Family Policy:\t{s.ip_family_policy}")
    lines.append(f"IP Families:\t{','.join(s.ip_families) or '<none>'}")
    lines.append(f"IP:\t{s.cluster_ip or ''}")
    lines.append(f"IPs:\t{','.join(s.cluster_ips) or '<none>'}")
    if s.external_ips:
        lines.append(f"External IPs:\t{','.join(s.external_ips)}")
    if s.load_balancer_ip:
        lines.append(f"Desired LoadBalancer IP:\t{s.load_balancer_ip}")
    if s.external_name:
        lines.append(f"External Name:\t{s.external_name}")
    ingress = svc.status.load_balancer.ingress
    if ingress:
        shown = [(f"{i.ip} ({i.ip_mode})" if i.ip_mode else i.ip) if i.ip else (i.hostname or "") for i in ingress]
        lines.append(f"LoadBalancer Ingress:\t{', '.join(shown)}")
    slices = service_slices(cluster, svc)
    for p in s.ports:
        name = p.name or "<unset>"
        lines.append(f"Port:\t{name}\t{p.port}/{p.protocol}")
        lines.append(f"TargetPort:\t{p.target_port}/{p.protocol}")
        if p.app_protocol is not None:
            lines.append(f"AppProtocol:\t{p.app_protocol}")
        if p.node_port:
            lines.append(f"NodePort:\t{name}\t{p.node_port}/{p.protocol}")
        lines.append(f"Endpoints:\t{format_endpoint_slices(slices, p.name or '')}")
    lines.append(f"Session Affinity:\t{s.session_affinity or ''}")
    if s.external_traffic_policy:
        lines.append(f"External Traffic Policy:\t{s.external_traffic_policy}")
    if s.internal_traffic_policy:
        lines.append(f"Internal Traffic Policy:\t{s.internal_traffic_policy}")
    if s.health_check_node_port:
        lines.append(f"HealthCheck NodePort:\t{s.health_check_node_port}")
    ranges = s.load_balancer_source_ranges
    if ranges:
        lines.append(f"LoadBalancer Source Ranges:\t{','.join(ranges)}")
    if s.traffic_distribution is not None:
        lines.append(f"Traffic Distribution:\t{s.traffic_distribution}")
    return with_events(cluster, svc, lines)


def _describe_endpoints(cluster: Cluster, ep: Endpoints) -> str:
    """``describeEndpoints``: each subset's ready and not-ready addresses and its ports."""
    lines = [f"Name:\t{ep.name}", f"Namespace:\t{ep.namespace}", *labels_lines("Labels", ep.metadata.labels),
             *annotation_lines(ep.metadata.annotations), "Subsets:"]
    for ss in ep.subsets:
        lines.append(f"  Addresses:\t{','.join(a.ip for a in ss.addresses) or '<none>'}")
        lines.append(f"  NotReadyAddresses:\t{','.join(a.ip for a in ss.not_ready_addresses) or '<none>'}")
        if ss.ports:
            lines += ["  Ports:", "    Name\tPort\tProtocol", "    ----\t----\t--------"]
            lines += [f"    {p.name or '<unset>'}\t{p.port}\t{p.protocol}" for p in ss.ports]
        lines.append("")
    return with_events(cluster, ep, lines)


def _describe_endpointslice(cluster: Cluster, sl: EndpointSlice) -> str:
    """``describeEndpointSliceV1``: the ports, then each endpoint with its conditions and pod."""
    lines = [f"Name:\t{sl.name}", f"Namespace:\t{sl.namespace}", *labels_lines("Labels", sl.metadata.labels),
             *annotation_lines(sl.metadata.annotations), f"AddressType:\t{sl.address_type}"]
    if not sl.ports:
        lines.append("Ports: <unset>")
    else:
        lines += ["Ports:", "  Name\tPort\tProtocol", "  ----\t----\t--------"]
        lines += [f"  {p.name or '<unset>'}\t{p.port if p.port is not None else '<unset>'}\t{p.protocol}"
                  for p in sl.ports]
    if not sl.endpoints:
        lines.append("Endpoints: <none>")
    else:
        lines.append("Endpoints:")
        for e in sl.endpoints:
            ready = "<unset>" if e.conditions.ready is None else str(e.conditions.ready).lower()
            lines += [f"  - Addresses:\t{', '.join(e.addresses) or '<none>'}", "    Conditions:",
                      f"      Ready:\t{ready}", f"    Hostname:\t{e.hostname or '<unset>'}"]
            if e.target_ref is not None:
                lines.append(f"    TargetRef:\t{e.target_ref.kind}/{e.target_ref.name}")
            lines += [f"    NodeName:\t{e.node_name or '<unset>'}", f"    Zone:\t{e.zone or '<unset>'}"]
    return with_events(cluster, sl, lines)


# ------------------------------------------------------------------------------ create service

SERVICE_TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
                 "externalname": "ExternalName"}
_CREATE_FLAGS = {"clusterip": {"tcp", "clusterip"}, "nodeport": {"tcp", "node-port"}, "loadbalancer": {"tcp"},
                 "externalname": {"tcp", "external-name"}}
_CREATE_SERVICE_HELP = """Create a service using a specified subcommand.

Aliases:
service, svc

Available Commands:
  clusterip      Create a ClusterIP service
  externalname   Create an ExternalName service
  loadbalancer   Create a LoadBalancer service
  nodeport       Create a NodePort service

Usage:
  kubectl create service [flags] [options]

Use "kubectl create service <command> --help" for more information about a given command.
Use "kubectl options" for a list of global command-line options (applies to all commands)."""


def _parse_uint16(text: str) -> int:
    """``utilnet.ParsePort(text, allowZero=true)``, with strconv.ParseUint's errors."""
    if not re.fullmatch(r"[0-9]+", text):
        raise KubectlError(f'error: strconv.ParseUint: parsing "{text}": invalid syntax')
    if int(text) > 65535:
        raise KubectlError(f'error: strconv.ParseUint: parsing "{text}": value out of range')
    return int(text)


def _atoi(text: str) -> int | None:
    """``strconv.Atoi``: a number, or None where Go would fail."""
    if re.fullmatch(r"[+-]?[0-9]+", text) and abs(int(text)) < 2 ** 63:
        return int(text)
    return None


def _tcp_port(spec: str) -> tuple[int, int | str]:
    """``parsePorts``: ``80`` or ``80:8080`` or ``80:http`` (the target checked as kubectl does)."""
    parts = spec.split(":")
    port = _parse_uint16(parts[0])
    if len(parts) == 1:
        return port, port
    number = _atoi(parts[1])
    if number is None:
        errs = port_name_errors(parts[1])
        if errs:
            raise KubectlError("error: " + ",".join(errs))
        return port, parts[1]
    if not 1 <= number <= 65535:
        raise KubectlError("error: must be between 1 and 65535, inclusive")
    return port, number


def create_service(cluster: Cluster, args: Args) -> dict[str, Any]:
    """The Service ``kubectl create service <type> NAME`` builds (checked as kubectl checks it)."""
    words = args.words[2:]
    if not words:
        raise KubectlError(_CREATE_SERVICE_HELP)
    sub = words[0]
    if sub not in SERVICE_TYPES:
        raise KubectlError(f'error: unknown command "{" ".join(words)}"\n'
                           "See 'kubectl create service -h' for help and examples")
    check_flags(args, _CREATE_FLAGS[sub] | COMMON_FLAGS, f"create service {sub}")
    if sub == "externalname" and not args.has("external-name"):
        raise KubectlError('error: required flag(s) "external-name" not set')
    name, kind = one_name(words[1:], f"create service {sub}"), SERVICE_TYPES[sub]
    node_port = 0
    if args.has("node-port"):
        raw = args.get("node-port") or ""
        if _atoi(raw) is None:
            raise KubectlError(f'error: invalid argument "{raw}" for "--node-port" flag: strconv.ParseInt: '
                               f'parsing "{raw}": invalid syntax\nSee \'kubectl create service {sub} --help\' '
                               "for usage.")
        node_port = int(raw)
    cluster_ip = args.get("clusterip") or ""
    tcp = [item for value in args.all("tcp") for item in value.split(",")]
    external_name = args.get("external-name") or ""
    # Validate: what kubectl refuses before building anything.
    if cluster_ip != "None" and not tcp and kind != "ExternalName":
        raise KubectlError("error: at least one tcp port specifier must be provided")
    if kind == "ExternalName":
        if len(external_name) > 253 or not DNS1123_SUBDOMAIN.match(external_name):
            raise KubectlError(f"error: invalid service external name {external_name}")
    ports = []
    for spec in tcp:
        port, target = _tcp_port(spec)
        entry: dict[str, Any] = {"name": spec.replace(":", "-"), "protocol": "TCP", "port": port,
                                 "targetPort": target}
        if node_port:
            entry["nodePort"] = node_port
        ports.append(entry)
    meta: dict[str, Any] = {"name": name}
    if args.get("namespace"):
        meta["namespace"] = args.get("namespace")
    meta["labels"] = {"app": name}
    spec_out: dict[str, Any] = {}
    if ports:
        spec_out["ports"] = ports
    spec_out["selector"] = {"app": name}
    if cluster_ip:
        spec_out["clusterIP"] = cluster_ip
    spec_out["type"] = kind
    if external_name:
        spec_out["externalName"] = external_name
    return {"kind": "Service", "apiVersion": "v1", "metadata": meta, "spec": spec_out,
            "status": {"loadBalancer": {}}}


# ---------------------------------------------------------------------------------------- expose

EXPOSABLE = (Pod, Service, Deployment, ReplicaSet)


def _go_requirements(reqs: list[LabelSelectorRequirement]) -> str:
    """A ``[]LabelSelectorRequirement`` as Go's ``%+v`` prints it."""
    return "[" + " ".join(f"{{Key:{r.key} Operator:{r.operator} Values:[{' '.join(r.values)}]}}" for r in reqs) + "]"


def _selector_of(obj: Pod | Service | Deployment | ReplicaSet) -> dict[str, str]:
    """``MapBasedSelectorForObject``."""
    if isinstance(obj, Pod):
        if not obj.metadata.labels:
            raise ValueError("the pod has no labels and cannot be exposed")
        return dict(obj.metadata.labels)
    if isinstance(obj, Service):
        if not obj.spec.selector:
            raise ValueError("the service has no pod selector set")
        return dict(obj.spec.selector)
    sel = obj.spec.selector
    what = "deployment" if obj.kind == "Deployment" else "replicaset"
    if sel is None or not sel.match_labels:
        raise ValueError(f"invalid {what}: no selectors, therefore cannot be exposed")
    if sel.match_expressions:
        raise ValueError(f'couldn\'t convert expressions - "{_go_requirements(sel.match_expressions)}" to '
                         "map-based selector format")
    return dict(sel.match_labels)


def _container_ports(obj: Pod | Service | Deployment | ReplicaSet) -> list[tuple[int, str]]:
    """(port, protocol) of every container port (pods and templates), or of a Service's ports."""
    if isinstance(obj, Service):
        return [(p.port, p.protocol or "TCP") for p in obj.spec.ports]
    spec = obj.spec if isinstance(obj, Pod) else obj.spec.template.spec
    return [(p.container_port, p.protocol or "TCP") for c in spec.containers for p in c.ports]


def _parse_labels(spec: str) -> dict[str, str]:
    """expose's ``parseLabels``: ``a=b,c=d`` only."""
    labels = {}
    for item in spec.split(","):
        parts = item.split("=")
        if len(parts) != 2:
            raise KubectlError(f"error: unexpected label spec: {item}")
        if not parts[0]:
            raise KubectlError("error: unexpected empty label key")
        labels[parts[0]] = parts[1]
    return labels


def _expose_targets(cluster: Cluster, args: Args, stdin: str) -> list[KubeObject]:
    words = args.words[1:]
    ns = args.namespace
    files = args.all("filename")
    if files:
        return [decode(doc) for f in files for doc in load(stdin if f == "-" else f)]
    if not words:
        raise KubectlError("error: You must provide one or more resources by argument or filename.\n"
                           "Example resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n"
                           "   '<resource> <name>'\n   '<resource>'")
    pairs: list[tuple[str, str]] = []
    if "/" in words[0]:
        for w in words:
            kind, _, name = w.partition("/")
            pairs.append((kind, name))
    elif len(words) == 1:
        resource_type(words[0])
        raise KubectlError("error: resource(s) were provided, but no name was specified")
    else:
        pairs = [(words[0], n) for n in words[1:]]
    return [cluster.api.get(resource_type(kind).kind, name, ns) for kind, name in pairs]


def expose(cluster: Cluster, args: Args, stdin: str) -> str:
    """``kubectl expose (TYPE NAME | TYPE/NAME | -f FILE) [--port] [--target-port] [--type] ...``."""
    # Options carry over from one exposed object to the next, as in RunExpose.
    selector = args.get("selector") or ""
    port = args.get("port") or ""
    labels = args.get("labels") or ""
    cluster_ip = args.get("cluster-ip") or ""
    out = []
    for obj in _expose_targets(cluster, args, stdin):
        res = for_object(obj)
        if not isinstance(obj, EXPOSABLE):
            raise KubectlError(f"error: cannot expose a {res.qualified_kind}")
        default_name = obj.name[:63]
        if not selector:
            try:
                selector = ",".join(f"{k}={v}" for k, v in _selector_of(obj).items())
            except ValueError as exc:
                raise KubectlError(f"error: couldn't retrieve selectors via --selector flag or introspection: {exc}") \
                    from None
        ports = ""
        if not port:
            found = list(dict.fromkeys(str(p) for p, _ in _container_ports(obj)))  # each number once
            if not found and cluster_ip != "None":
                raise KubectlError("error: couldn't find port via --port flag or introspection")
            if len(found) == 1:
                port = found[0]
            else:
                ports = ",".join(found)
        protocols: dict[str, list[str]] = {}
        for p, proto in _container_ports(obj):
            protocols.setdefault(str(p), []).append(proto)
        if not labels:
            labels = ",".join(f"{k}={v}" for k, v in obj.metadata.labels.items())
        service = _build_service(args, selector, labels, args.get("name") or default_name, ports or port, protocols)
        out.append(emit(cluster, args, service, "exposed"))
    return "\n".join(out)


def _build_service(args: Args, selector: str, labels: str, name: str, port_text: str,
                   protocols: dict[str, list[str]]) -> dict[str, Any]:
    """expose's ``createService``."""
    sel = _parse_labels(selector)
    meta_labels = _parse_labels(labels) if labels else None
    protocol = args.get("protocol") or ""
    ports: list[dict[str, Any]] = []
    items = port_text.split(",") if port_text else []
    for i, item in enumerate(items):
        number = _atoi(item)
        if number is None:
            reason = "value out of range" if re.fullmatch(r"[+-]?[0-9]+", item) else "invalid syntax"
            raise KubectlError(f'error: strconv.Atoi: parsing "{item}": {reason}')
        port_name = f"port-{i + 1}" if len(items) > 1 else ""
        proto = protocol
        if not protocol:
            proto = "TCP"
            found = protocols.get(item, [])
            if len(found) == 1:
                proto = found[0]
            elif len(found) > 1:
                # One Service port per protocol the container port declares (53/UDP and 53/TCP).
                ports += [_port(f"port-{i + 1}-{p.lower()}", p, number) for p in found]
                continue
        ports.append(_port(port_name, proto, number))
    target = args.get("target-port") or args.get("container-port") or ""
    for p in ports:
        p["targetPort"] = (_atoi(target) if _atoi(target) is not None else target) if target else p["port"]
    meta: dict[str, Any] = {"name": name}
    if args.get("namespace"):
        meta["namespace"] = args.get("namespace")
    if meta_labels:
        meta["labels"] = meta_labels
    spec: dict[str, Any] = {}
    if ports:
        spec["ports"] = ports
    spec["selector"] = sel
    if args.get("cluster-ip"):
        spec["clusterIP"] = args.get("cluster-ip")
    if args.get("type"):
        spec["type"] = args.get("type")
    if args.get("external-ip"):
        spec["externalIPs"] = [args.get("external-ip")]
    affinity = args.get("session-affinity")
    if affinity:
        if affinity not in ("None", "ClientIP"):
            raise KubectlError(f"error: unknown session affinity: {affinity}")
        spec["sessionAffinity"] = affinity
    if spec.get("type") == "LoadBalancer" and args.get("load-balancer-ip"):
        spec["loadBalancerIP"] = args.get("load-balancer-ip")
    return {"kind": "Service", "apiVersion": "v1", "metadata": meta, "spec": spec, "status": {"loadBalancer": {}}}


def _port(name: str, protocol: str, number: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name} if name else {}
    return entry | {"protocol": protocol, "port": number}


VIEWS = (
    View("Service", ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"), ("SELECTOR",), _service,
         _describe_service, create=create_service, create_types=("service", "svc"),
         create_failure=lambda svc: f"failed to create {svc['spec']['type']} service"),
    View("Endpoints", ("NAME", "ENDPOINTS", "AGE"), (), _endpoints, _describe_endpoints),
    View("EndpointSlice", ("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"), (), _endpointslice,
         _describe_endpointslice),
)
