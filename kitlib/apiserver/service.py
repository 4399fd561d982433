"""Services in the API server: defaults, validation, and ClusterIP/NodePort allocation.

As in ``pkg/registry/core/service/storage``, allocation runs before validation, so a
taken or out-of-range nodePort or clusterIP is reported on its own. Allocations made for
a request that then fails are given back: a failed call changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..api.service import SERVICE_TYPES, ClientIPConfig, Service, SessionAffinityConfig, is_headless, service_type
from ..api.validation import (GoValue, dns1123_label, dns1123_subdomain, validate_labels, IANA_SVC_NAME)
from ..errors import FieldError, invalid, required, unsupported
from ..network.allocators import Allocated, NotInRange, RangeFull
from ..network.ipam import is_ip
from ..errors import ApiError

if TYPE_CHECKING:
    from ..cluster import Cluster

KIND = "Service"
DNS1035 = __import__("re").compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
               "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
               "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
PROTOCOLS = ["SCTP", "TCP", "UDP"]


def default(svc: Service) -> None:
    """SetDefaults_Service plus the registry's IP family fields."""
    s = svc.spec
    s.type = s.type or "ClusterIP"
    s.session_affinity = s.session_affinity or "None"
    if s.session_affinity == "ClientIP":
        cfg = s.session_affinity_config or SessionAffinityConfig()
        cfg.client_ip = cfg.client_ip or ClientIPConfig()
        if cfg.client_ip.timeout_seconds is None:
            cfg.client_ip.timeout_seconds = 10800
        s.session_affinity_config = cfg
    elif s.session_affinity == "None":
        s.session_affinity_config = None
    for p in s.ports:
        p.protocol = p.protocol or "TCP"
        if p.target_port in (None, 0, ""):
            p.target_port = p.port
    if s.type == "ExternalName":
        return
    if s.type in ("NodePort", "LoadBalancer") or s.external_ips:
        s.external_traffic_policy = s.external_traffic_policy or "Cluster"
    s.internal_traffic_policy = s.internal_traffic_policy or "Cluster"
    if s.type == "LoadBalancer" and s.allocate_load_balancer_node_ports is None:
        s.allocate_load_balancer_node_ports = True
    if s.cluster_ip and not s.cluster_ips:
        s.cluster_ips = [s.cluster_ip]
    s.ip_families = s.ip_families or ["IPv4"]
    s.ip_family_policy = s.ip_family_policy or "SingleStack"


def validate(svc: Service) -> list[FieldError]:
    """ValidateService, the cases a learner meets."""
    errs: list[FieldError] = []
    meta = svc.metadata
    if not meta.name and not meta.generate_name:
        errs.append(FieldError("metadata.name", "Required value", detail="name or generateName is required"))
    elif meta.name and not DNS1035.match(meta.name):
        errs.append(FieldError("metadata.name", "Invalid value", meta.name, DNS1035_MSG))
    errs += validate_labels(meta.labels, "metadata.labels")
    s = svc.spec
    kind = service_type(svc)
    if kind not in SERVICE_TYPES:
        errs.append(unsupported("spec.type", kind, SERVICE_TYPES))
        return errs
    if kind == "ExternalName":
        if not s.external_name:
            errs.append(required("spec.externalName"))
        else:
            errs += dns1123_subdomain(s.external_name.rstrip("."), "spec.externalName")
        if s.cluster_ip and s.cluster_ip != "":
            errs.append(FieldError("spec.clusterIPs", "Forbidden", detail="may not be set for ExternalName services"))
    elif not s.ports and not is_headless(svc):
        errs.append(required("spec.ports"))
    if is_headless(svc) and kind in ("NodePort", "LoadBalancer"):
        errs.append(FieldError("spec.clusterIPs[0]", "Invalid value", "None",
                               f"may not be set to 'None' for {kind} services"))
    names: set[str] = set()
    seen: set[tuple[str, int]] = set()
    node_ports: set[int] = set()
    for i, p in enumerate(s.ports):
        path = f"spec.ports[{i}]"
        if len(s.ports) > 1 and not p.name:
            errs.append(required(f"{path}.name"))
        elif p.name:
            errs += [FieldError(f"{path}.name", e.type, e.value, e.detail) for e in dns1123_label(p.name, "x")]
            if p.name in names:
                errs.append(FieldError(f"{path}.name", "Duplicate value", p.name))
            names.add(p.name)
        if not 1 <= p.port <= 65535:
            errs.append(FieldError(f"{path}.port", "Invalid value", p.port, "must be between 1 and 65535, inclusive"))
        if p.protocol not in PROTOCOLS:
            errs.append(unsupported(f"{path}.protocol", p.protocol, PROTOCOLS))
        errs += _target_port(p.target_port, f"{path}.targetPort")
        if p.node_port and kind == "ClusterIP":
            errs.append(FieldError(f"{path}.nodePort", "Forbidden", detail="may not be used when `type` is 'ClusterIP'"))
        if p.node_port:
            if p.node_port in node_ports and (p.protocol, p.node_port) in {(q.protocol, q.node_port) for q in s.ports[:i]}:
                errs.append(FieldError(f"{path}.nodePort", "Duplicate value", p.node_port))
            node_ports.add(p.node_port)
        key = (p.protocol or "TCP", p.port)
        if key in seen:
            errs.append(FieldError(path, "Duplicate value", GoValue(_go_port(p))))
        seen.add(key)
    if s.session_affinity not in ("ClientIP", "None"):
        errs.append(unsupported("spec.sessionAffinity", s.session_affinity, ["ClientIP", "None"]))
    elif s.session_affinity == "ClientIP":
        t = s.session_affinity_config.client_ip.timeout_seconds  # type: ignore[union-attr]
        if t is None or not 0 < t <= 86400:
            errs.append(FieldError("spec.sessionAffinityConfig.clientIP.timeoutSeconds", "Invalid value", t,
                                   "must be greater than 0 and less than 86400"))
    etp = s.external_traffic_policy
    if etp is not None:
        if etp not in ("Cluster", "Local"):
            errs.append(unsupported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]))
        elif kind not in ("NodePort", "LoadBalancer") and not s.external_ips:
            errs.append(FieldError("spec.externalTrafficPolicy", "Invalid value", etp,
                                   "may only be set for externally-accessible services"))
    if s.health_check_node_port and not (kind == "LoadBalancer" and etp == "Local"):
        errs.append(FieldError("spec.healthCheckNodePort", "Invalid value", s.health_check_node_port,
                               "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
    itp = s.internal_traffic_policy
    if itp is not None and itp not in ("Cluster", "Local"):
        errs.append(unsupported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]))
    if s.cluster_ip and s.cluster_ip != "None" and not is_ip(s.cluster_ip):
        errs.append(FieldError("spec.clusterIPs[0]", "Invalid value", s.cluster_ip,
                               "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
    return errs


def _target_port(value: int | str | None, path: str) -> list[FieldError]:
    if isinstance(value, int):
        if not 1 <= value <= 65535:
            return [FieldError(path, "Invalid value", value, "must be between 1 and 65535, inclusive")]
        return []
    if isinstance(value, str):
        if len(value) > 15:
            return [FieldError(path, "Invalid value", value, "must be no more than 15 characters")]
        if not IANA_SVC_NAME.match(value.replace("--", "-")) or "--" in value:
            return [FieldError(path, "Invalid value", value,
                               "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")]
        if not any(c.isalpha() for c in value):
            return [FieldError(path, "Invalid value", value, "must contain at least one letter (a-z)")]
    return []


def _go_port(p) -> str:
    tp = p.target_port
    tp_text = (f'intstr.IntOrString{{Type:0, IntVal:{tp}, StrVal:""}}' if isinstance(tp, int)
               else f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{tp}"}}')
    return (f'core.ServicePort{{Name:"{p.name or ""}", Protocol:"{p.protocol}", AppProtocol:(*string)(nil), '
            f"Port:{p.port}, TargetPort:{tp_text}, NodePort:{p.node_port or 0}}}")


class Allocation:
    """What a request reserved, so that a failure can give it all back."""

    def __init__(self) -> None:
        self.undo: list[Callable[[], None]] = []

    def rollback(self) -> None:
        for fn in reversed(self.undo):
            fn()
        self.undo.clear()


def allocate(cluster: Cluster, svc: Service, old: Service | None, txn: Allocation) -> None:
    """Reserve the ClusterIP, NodePorts and health-check NodePort the Service needs, and give back
    what an update no longer needs (released only once the request succeeds)."""
    ips, ports = cluster.service_ips, cluster.node_ports
    s = svc.spec
    kind = service_type(svc)
    name = svc.name
    # ClusterIP: kept on update (an update may leave it out), allocated once on create.
    if old is not None and service_type(old) != "ExternalName" and kind != "ExternalName":
        old_ip = old.spec.cluster_ip
        if s.cluster_ip in (None, ""):
            s.cluster_ip, s.cluster_ips = old_ip, list(old.spec.cluster_ips)
        elif s.cluster_ip != old_ip:
            raise invalid(f"{KIND}", name, [FieldError("spec.clusterIPs[0]", "Invalid value",
                                                       GoValue(f'[]string{{"{s.cluster_ip}"}}'), "may not change once set")])
    elif kind != "ExternalName":
        if s.cluster_ip in (None, ""):
            ip = _next(ips.next, "serviceIP")
            txn.undo.append(lambda ip=ip: ips.release(ip))
            s.cluster_ip, s.cluster_ips = ip, [ip]
        elif s.cluster_ip != "None":
            try:
                ips.allocate(s.cluster_ip)
            except NotInRange:
                raise invalid(KIND, name, [FieldError("spec.clusterIPs", "Invalid value", GoValue(f'[]string{{"{s.cluster_ip}"}}'),
                    f"failed to allocate IP {s.cluster_ip}: the provided IP ({s.cluster_ip}) is not in the valid range. "
                    f"The range of valid IPs is {ips.cidr}")]) from None
            except Allocated:
                raise invalid(KIND, name, [FieldError("spec.clusterIPs", "Invalid value", GoValue(f'[]string{{"{s.cluster_ip}"}}'),
                    f"failed to allocate IP {s.cluster_ip}: provided IP is already allocated")]) from None
            ip = s.cluster_ip
            txn.undo.append(lambda ip=ip: ips.release(ip))
            s.cluster_ips = [ip]
    # NodePorts: needed by NodePort and LoadBalancer services.
    old_ports = {p.node_port for p in old.spec.ports if p.node_port} if old is not None else set()
    by_name = {(p.name or "", p.protocol): p.node_port for p in old.spec.ports if p.node_port} if old is not None else {}
    needs = kind == "NodePort" or (kind == "LoadBalancer" and s.allocate_load_balancer_node_ports is not False)
    keep: set[int] = set()
    if needs:
        shared: dict[int, int] = {}
        for i, p in enumerate(s.ports):
            if not p.node_port and (p.name or "", p.protocol) in by_name:
                p.node_port = by_name[(p.name or "", p.protocol)]
            if p.node_port:
                if p.node_port not in old_ports and p.node_port not in keep:
                    _reserve_port(ports, p.node_port, f"spec.ports[{i}].nodePort", name, txn)
                keep.add(p.node_port)
                shared.setdefault(p.port, p.node_port)
            elif p.port in shared:
                p.node_port = shared[p.port]
            else:
                port = _next(ports.next, "nodePort")
                txn.undo.append(lambda port=port: ports.release(port))
                p.node_port = shared[p.port] = port
                keep.add(port)
    elif old is not None:
        # Back to ClusterIP: node ports that the update left unchanged are dropped silently.
        for p in s.ports:
            if p.node_port in old_ports:
                p.node_port = None
    # Health-check node port: LoadBalancer with externalTrafficPolicy Local.
    old_hc = old.spec.health_check_node_port if old is not None else None
    if kind == "LoadBalancer" and s.external_traffic_policy == "Local":
        if not s.health_check_node_port and old_hc:
            s.health_check_node_port = old_hc
        if s.health_check_node_port and s.health_check_node_port != old_hc:
            _reserve_port(ports, s.health_check_node_port, "spec.healthCheckNodePort", name, txn)
        elif not s.health_check_node_port:
            port = _next(ports.next, "nodePort")
            txn.undo.append(lambda port=port: ports.release(port))
            s.health_check_node_port = port
        keep.add(s.health_check_node_port)
    elif s.health_check_node_port == old_hc:
        s.health_check_node_port = None
    if kind != "LoadBalancer":
        svc.status.load_balancer.ingress = []
    if kind == "ExternalName":
        s.cluster_ip, s.cluster_ips, s.ip_families, s.ip_family_policy = None, [], [], None
    # What the old object held and the new one does not is released when the request commits.
    if old is not None:
        freed_ports = (old_ports | ({old_hc} if old_hc else set())) - keep
        freed_ip = old.spec.cluster_ip if (service_type(old) != "ExternalName" and kind == "ExternalName"
                                          and old.spec.cluster_ip not in (None, "None")) else None
        txn.commit = getattr(txn, "commit", [])  # type: ignore[attr-defined]
        for port in freed_ports:
            txn.commit.append(lambda port=port: ports.release(port))  # type: ignore[attr-defined]
        if freed_ip:
            txn.commit.append(lambda ip=freed_ip: ips.release(ip))  # type: ignore[attr-defined]


def _reserve_port(ports, port: int, path: str, name: str, txn: Allocation) -> None:
    try:
        ports.allocate(port)
    except NotInRange:
        raise invalid(KIND, name, [FieldError(path, "Invalid value", port,
            f"provided port is not in the valid range. The range of valid ports is {ports.range_text}")]) from None
    except Allocated:
        raise invalid(KIND, name, [FieldError(path, "Invalid value", port, "provided port is already allocated")]) from None
    txn.undo.append(lambda: ports.release(port))


def _next(fn, what: str):
    try:
        return fn()
    except RangeFull:
        raise ApiError(f"Internal error occurred: failed to allocate a {what}: range is full") from None


def release(cluster: Cluster, svc: Service) -> None:
    """Give back everything a deleted Service held."""
    if svc.spec.cluster_ip and svc.spec.cluster_ip != "None":
        cluster.service_ips.release(svc.spec.cluster_ip)
    for p in svc.spec.ports:
        if p.node_port:
            cluster.node_ports.release(p.node_port)
    if svc.spec.health_check_node_port:
        cluster.node_ports.release(svc.spec.health_check_node_port)
