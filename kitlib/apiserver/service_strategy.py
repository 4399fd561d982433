"""Services in the API server: defaults, validation, and ClusterIP/NodePort allocation.

As in ``pkg/registry/core/service/storage``, allocation runs before validation, so a
taken or out-of-range nodePort or clusterIP is reported on its own. Allocations made for
a request that then fails are given back: a failed call changes nothing.

On update, the fields a type change makes meaningless are dropped when the client left
them as they were (``dropTypeDependentFields``), and allocated values the client left out
are copied from the stored object (``patchAllocatedValues``), so that applying a manifest
without ``clusterIP`` or ``nodePort`` keeps what was allocated.

ClusterIPs come from the ServiceCIDRs' ranges; each one in use has its IPAddress object, written
just before the Service is stored and deleted when the Service lets the address go
(:mod:`kitlib.apiserver.servicecidr_strategy`). A dry run is answered as the 1.37 allocator's
``DryRun`` answers it: a ClusterIP left to the server shows the range's network address
(10.96.0.0), and one asked for is checked against the range but not against addresses in use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from ..api.addresses import CIDR_MSG, is_ip, parse_cidr_sloppy
from ..api.service import (
    LOAD_BALANCER_SOURCE_RANGES_ANNOTATION,
    PREFER_CLOSE,
    PREFER_SAME_ZONE,
    SERVICE_TYPES,
    TOPOLOGY_AWARE_HINTS_ANNOTATION,
    TOPOLOGY_MODE_ANNOTATION,
    TRAFFIC_DISTRIBUTIONS,
    ClientIPConfig,
    Service,
    ServicePort,
    SessionAffinityConfig,
    is_external,
    is_headless,
    service_type,
)
from ..api.validation import (
    GoValue,
    dns1035_label,
    dns1123_label,
    dns1123_subdomain,
    validate_labels,
    validate_meta,
)
from ..errors import ApiError, FieldError, invalid, required, unsupported
from .allocators import Allocated, Mismatch, NotInRange, NotReady, RangeFull
from .servicecidr_strategy import forget, record
from .strategy import Allocation, Strategy

if TYPE_CHECKING:
    from .server import ApiServer

KIND = "Service"
R = TypeVar("R")
PROTOCOLS = ["SCTP", "TCP", "UDP"]
KUBELET_PORT = 10250


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
    # normalizeClusterIPs: the singular and the plural field say the same.
    if s.cluster_ip and not s.cluster_ips:
        s.cluster_ips = [s.cluster_ip]
    elif s.cluster_ips and not s.cluster_ip:
        s.cluster_ip = s.cluster_ips[0]
    if s.cluster_ip == "None" and not s.selector and s.ip_family_policy is None and not s.ip_families:
        # initIPFamilyFields: a headless Service without a selector asks for both families,
        # even on a single-stack cluster (its endpoints are whatever the user writes).
        s.ip_family_policy, s.ip_families = "RequireDualStack", ["IPv4", "IPv6"]
        return
    s.ip_families = s.ip_families or ["IPv4"]
    s.ip_family_policy = s.ip_family_policy or "SingleStack"


def validate(svc: Service) -> list[FieldError]:
    """ValidateService, in its order, for the fields kitlib models (``pkg/apis/core/validation``)."""
    errs: list[FieldError] = []
    errs += validate_meta(svc.metadata, namespaced=True, name_check=dns1035_label)
    annotations = svc.metadata.annotations
    mode = annotations.get(TOPOLOGY_MODE_ANNOTATION)
    if mode is not None and TOPOLOGY_AWARE_HINTS_ANNOTATION in annotations \
            and mode != annotations[TOPOLOGY_AWARE_HINTS_ANNOTATION]:
        errs.append(FieldError(f"metadata.annotations[{TOPOLOGY_MODE_ANNOTATION}]", "Invalid value", mode,
                               f"must match annotations[{TOPOLOGY_AWARE_HINTS_ANNOTATION}] when both are specified"))
    s = svc.spec
    kind = service_type(svc)
    headless = is_headless(svc)
    if not s.ports and not headless and kind != "ExternalName":
        errs.append(required("spec.ports"))
    if kind in ("NodePort", "LoadBalancer") and headless:
        errs.append(FieldError("spec.clusterIPs[0]", "Invalid value", "None",
                               f"may not be set to 'None' for {kind} services"))
    if kind == "LoadBalancer":
        for i, p in enumerate(s.ports):
            if p.port == KUBELET_PORT:
                errs.append(FieldError(f"spec.ports[{i}]", "Invalid value", p.port,
                                       f"may not expose port {KUBELET_PORT} externally since it is used by kubelet"))
    if kind == "ExternalName":
        if s.cluster_ip or s.cluster_ips:
            errs.append(FieldError("spec.clusterIPs", "Forbidden", detail="may not be set for ExternalName services"))
        if s.ip_families:
            errs.append(FieldError("spec.ipFamilies", "Forbidden", detail="may not be set for ExternalName services"))
        if s.ip_family_policy:
            errs.append(FieldError("spec.ipFamilyPolicy", "Forbidden",
                                   detail="may not be set for ExternalName services"))
        cname = (s.external_name or "").removesuffix(".")
        errs += dns1123_subdomain(cname, "spec.externalName") if cname else [required("spec.externalName")]
    names: set[str] = set()
    for i, p in enumerate(s.ports):
        errs += _validate_port(p, len(s.ports) > 1, names, f"spec.ports[{i}]")
    errs += validate_labels(s.selector, "spec.selector")
    if s.session_affinity not in ("ClientIP", "None"):
        errs.append(unsupported("spec.sessionAffinity", s.session_affinity, ["ClientIP", "None"]))
    elif s.session_affinity == "ClientIP":
        cfg = s.session_affinity_config
        t = cfg.client_ip.timeout_seconds if cfg and cfg.client_ip else None
        if t is None or not 0 < t <= 86400:
            errs.append(FieldError("spec.sessionAffinityConfig.clientIP.timeoutSeconds", "Invalid value", t,
                                   "must be greater than 0 and less than 86400"))
    if kind not in SERVICE_TYPES:
        errs.append(unsupported("spec.type", kind, SERVICE_TYPES))
    if kind == "ClusterIP":
        for i, p in enumerate(s.ports):
            if p.node_port:
                errs.append(FieldError(f"spec.ports[{i}].nodePort", "Forbidden",
                                       detail="may not be used when `type` is 'ClusterIP'"))
    seen_node_ports: set[tuple[str | None, int]] = set()
    for i, p in enumerate(s.ports):
        if p.node_port:
            if (p.protocol, p.node_port) in seen_node_ports:
                errs.append(FieldError(f"spec.ports[{i}].nodePort", "Duplicate value", p.node_port))
            seen_node_ports.add((p.protocol, p.node_port))
    seen: set[tuple[str | None, int]] = set()
    for i, p in enumerate(s.ports):
        # The duplicate is reported as the key it was found by: only protocol and port are set.
        if (p.protocol, p.port) in seen:
            errs.append(FieldError(f"spec.ports[{i}]", "Duplicate value", GoValue(_go_port_key(p.protocol, p.port))))
        seen.add((p.protocol, p.port))
    errs += _validate_source_ranges(svc)
    errs += _validate_traffic_policies(svc)
    # validateServiceTrafficDistribution: PreferSameZone and PreferSameNode are GA since 1.35.
    td = s.traffic_distribution
    if td is not None and td not in TRAFFIC_DISTRIBUTIONS:
        errs.append(unsupported("spec.trafficDistribution", td, TRAFFIC_DISTRIBUTIONS))
    return errs


def warnings(svc: Service) -> list[str]:
    """``GetWarningsForService``, for the fields kitlib models: the deprecated topology annotation
    and the deprecated ``PreferClose`` (since 1.35, for ``PreferSameZone``)."""
    out = []
    if TOPOLOGY_AWARE_HINTS_ANNOTATION in svc.metadata.annotations:
        out.append(f"annotation {TOPOLOGY_AWARE_HINTS_ANNOTATION} is deprecated, please use "
                   f"{TOPOLOGY_MODE_ANNOTATION} instead")
    if svc.spec.traffic_distribution == PREFER_CLOSE:
        out.append(f'spec.trafficDistribution: "{PREFER_CLOSE}" is deprecated; use "{PREFER_SAME_ZONE}"')
    return out


def _validate_source_ranges(svc: Service) -> list[FieldError]:
    """``loadBalancerSourceRanges``, or when it is empty its annotation: only for type LoadBalancer,
    and each entry (spaces around it allowed, a historical accident) a CIDR. The field path keeps
    its old capital (``spec.LoadBalancerSourceRanges``), as ``ValidateService`` writes it. Legacy
    fields are parsed sloppily while the StrictIPCIDRValidation gate is off: ``10.0.0.1/8`` and
    leading zeros pass (``IsValidCIDRForLegacyField``)."""
    errs: list[FieldError] = []
    ranges = svc.spec.load_balancer_source_ranges
    annotation = svc.metadata.annotations.get(LOAD_BALANCER_SOURCE_RANGES_ANNOTATION)
    if ranges:
        path = "spec.LoadBalancerSourceRanges"
        values = [(f"{path}[{i}]", v.strip()) for i, v in enumerate(ranges)]
    elif annotation is not None:
        path = f"metadata.annotations[{LOAD_BALANCER_SOURCE_RANGES_ANNOTATION}]"
        text = annotation.strip()
        values = [(path, v.strip()) for v in text.split(",")] if text else []
    else:
        return errs
    if service_type(svc) != "LoadBalancer":
        errs.append(FieldError(path, "Forbidden", detail="may only be used when `type` is 'LoadBalancer'"))
    errs += [FieldError(where, "Invalid value", value, CIDR_MSG) for where, value in values
             if parse_cidr_sloppy(value) is None]
    return errs


def _validate_port(p: ServicePort, require_name: bool, names: set[str], path: str) -> list[FieldError]:
    """validateServicePort."""
    errs: list[FieldError] = []
    if require_name and not p.name:
        errs.append(required(f"{path}.name"))
    elif p.name:
        errs += dns1123_label(p.name, f"{path}.name")
        if p.name in names:
            errs.append(FieldError(f"{path}.name", "Duplicate value", p.name))
        names.add(p.name)
    if not 1 <= p.port <= 65535:
        errs.append(FieldError(f"{path}.port", "Invalid value", p.port, "must be between 1 and 65535, inclusive"))
    if not p.protocol:
        errs.append(required(f"{path}.protocol"))
    elif p.protocol not in PROTOCOLS:
        errs.append(unsupported(f"{path}.protocol", p.protocol, PROTOCOLS))
    errs += _target_port(p.target_port, f"{path}.targetPort")
    return errs


def _validate_traffic_policies(svc: Service) -> list[FieldError]:
    """validateServiceExternalTrafficPolicy and validateServiceInternalTrafficFieldsValue."""
    errs: list[FieldError] = []
    s = svc.spec
    etp = s.external_traffic_policy
    if not is_external(svc):
        if etp:
            errs.append(FieldError("spec.externalTrafficPolicy", "Invalid value", etp,
                                   "may only be set for externally-accessible services"))
    elif not etp:
        errs.append(required("spec.externalTrafficPolicy"))
    elif etp not in ("Cluster", "Local"):
        errs.append(unsupported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]))
    if s.health_check_node_port:
        if not needs_health_check(svc):
            errs.append(FieldError("spec.healthCheckNodePort", "Invalid value", s.health_check_node_port,
                                   "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is "
                                   "'Local'"))
        elif not 1 <= s.health_check_node_port <= 65535:
            errs.append(FieldError("spec.healthCheckNodePort", "Invalid value", s.health_check_node_port,
                                   "must be between 1 and 65535, inclusive"))
    itp = s.internal_traffic_policy
    if itp is not None and itp not in ("Cluster", "Local"):
        errs.append(unsupported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]))
    return errs


def port_name_errors(value: str) -> list[str]:
    """IsValidPortName: what is wrong with a named port (``http``, ``metrics``)."""
    errs = []
    if len(value) > 15:
        errs.append("must be no more than 15 characters")
    if not re.fullmatch(r"[-a-z0-9]+", value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", value):
        errs.append("must contain at least one letter (a-z)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if value and (value[0] == "-" or value[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def _target_port(value: int | str | None, path: str) -> list[FieldError]:
    """ValidatePortNumOrName."""
    if isinstance(value, int):
        if not 1 <= value <= 65535:
            return [FieldError(path, "Invalid value", value, "must be between 1 and 65535, inclusive")]
        return []
    if isinstance(value, str):
        return [FieldError(path, "Invalid value", value, msg) for msg in port_name_errors(value)]
    return []


def _go_port_key(protocol: str | None, port: int) -> str:
    return (f'core.ServicePort{{Name:"", Protocol:"{protocol or ""}", AppProtocol:(*string)(nil), Port:{port}, '
            'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}')


def _go_strings(values: list[str]) -> GoValue:
    return GoValue("[]string{" + ", ".join(f'"{v}"' for v in values) + "}")


def _needs_cluster_ip(svc: Service) -> bool:
    return service_type(svc) != "ExternalName"


def _needs_node_port(svc: Service) -> bool:
    return service_type(svc) in ("NodePort", "LoadBalancer")


def _should_allocate_node_ports(svc: Service) -> bool:
    kind = service_type(svc)
    return kind == "NodePort" or (kind == "LoadBalancer" and svc.spec.allocate_load_balancer_node_ports is not False)


def needs_health_check(svc: Service) -> bool:
    """A LoadBalancer with ``externalTrafficPolicy: Local`` gets a health-check node port."""
    return service_type(svc) == "LoadBalancer" and svc.spec.external_traffic_policy == "Local"


def _node_ports(svc: Service) -> set[int]:
    return {p.node_port for p in svc.spec.ports if p.node_port}


def drop_type_dependent_fields(new: Service, old: Service) -> None:
    """What a type change makes meaningless is wiped, if the client left it as it was."""
    s, o = new.spec, old.spec
    if o.cluster_ip and not s.cluster_ip and s.cluster_ips == o.cluster_ips:
        # normalizeClusterIPs (registry/core/service/storage): the singular field cleared and the
        # plural left as it was (a client-side apply dropping clusterIP) clears the plural too.
        s.cluster_ips = []
    if _needs_cluster_ip(old) and not _needs_cluster_ip(new):
        if s.cluster_ip == o.cluster_ip and s.cluster_ips in ([], o.cluster_ips):
            s.cluster_ip, s.cluster_ips = None, []
        if s.ip_families == o.ip_families:
            s.ip_families = []
        if s.ip_family_policy == o.ip_family_policy:
            s.ip_family_policy = None
    if _needs_node_port(old) and not _needs_node_port(new) and _node_ports(new) <= _node_ports(old):
        for p in s.ports:
            p.node_port = None
    if needs_health_check(old) and not needs_health_check(new) and s.health_check_node_port == o.health_check_node_port:
        s.health_check_node_port = None
    if service_type(old) == "LoadBalancer" and service_type(new) != "LoadBalancer" \
            and s.allocate_load_balancer_node_ports is not None \
            and s.allocate_load_balancer_node_ports == o.allocate_load_balancer_node_ports:
        s.allocate_load_balancer_node_ports = None
    if is_external(old) and not is_external(new) \
            and s.external_traffic_policy == o.external_traffic_policy:
        s.external_traffic_policy = None
    if service_type(new) != "LoadBalancer":
        new.status.load_balancer.ingress = []


def patch_allocated_values(new: Service, old: Service) -> None:
    """Allocated values the client left out of an update are kept (for idempotence)."""
    s, o = new.spec, old.spec
    if _needs_cluster_ip(old) and _needs_cluster_ip(new):
        if not s.cluster_ip:
            s.cluster_ip = o.cluster_ip
        if not s.cluster_ips and o.cluster_ips:
            s.cluster_ips = list(o.cluster_ips)
    if _needs_node_port(old) and _needs_node_port(new):
        used = _node_ports(old) & _node_ports(new)
        # Matched by port name: the client may have changed anything else about the port.
        by_name = {p.name or "": p.node_port for p in o.ports}
        for p in s.ports:
            if not p.node_port:
                previous = by_name.get(p.name or "")
                if previous and previous not in used:
                    p.node_port = previous
    if needs_health_check(old) and needs_health_check(new) and not s.health_check_node_port:
        s.health_check_node_port = o.health_check_node_port


def allocate(api: ApiServer, svc: Service, old: Service | None, txn: Allocation) -> None:
    """Reserve the ClusterIP, NodePorts and health-check NodePort the Service needs, and give back
    what an update no longer needs (released only once the request succeeds)."""
    if old is not None:
        drop_type_dependent_fields(svc, old)
        patch_allocated_values(svc, old)
    _cluster_ip(api, svc, old, txn)
    if old is None:
        if _needs_node_port(svc):
            _init_node_ports(api, svc, txn)
        if needs_health_check(svc):
            _alloc_health_check_node_port(api, svc, txn)
        return
    if _needs_node_port(svc):
        _update_node_ports(api, svc, old, txn)
    s, o = svc.spec, old.spec
    if not needs_health_check(old) and needs_health_check(svc):
        _alloc_health_check_node_port(api, svc, txn)
    elif needs_health_check(old) and needs_health_check(svc) and s.health_check_node_port != o.health_check_node_port:
        raise invalid(KIND, svc.name, [FieldError("spec.healthCheckNodePort", "Forbidden", detail="field is immutable")])
    # What the stored object held and the new one does not is released when the request commits.
    ports = api.node_ports
    kept = _node_ports(svc) | ({s.health_check_node_port} if s.health_check_node_port else set())
    held = _node_ports(old) | ({o.health_check_node_port} if o.health_check_node_port else set())
    for port in sorted(held - kept):
        txn.commit.append(partial(ports.release, port))
    if _needs_cluster_ip(old) and not _needs_cluster_ip(svc) and o.cluster_ip and o.cluster_ip != "None":
        txn.commit.append(partial(forget, api, o.cluster_ip))


def _cluster_ip(api: ApiServer, svc: Service, old: Service | None, txn: Allocation) -> None:
    """The ClusterIP: allocated once on create (or when leaving ExternalName), immutable after."""
    if not _needs_cluster_ip(svc):
        return
    s, name, ips = svc.spec, svc.name, api.service_ips
    # initIPFamilyFields checks the addresses before anything is allocated.
    bad = [FieldError(f"spec.clusterIPs[{i}]", "Invalid value", ip,
                      "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")
           for i, ip in enumerate(s.cluster_ips) if ip != "None" and not is_ip(ip)]
    if bad:
        raise invalid(KIND, name, bad)
    if old is not None and _needs_cluster_ip(old):
        if s.cluster_ip != old.spec.cluster_ip and s.cluster_ips == old.spec.cluster_ips:
            s.cluster_ips = [s.cluster_ip or ""]  # normalizeClusterIPs: a changed singular wins
        if s.cluster_ip != old.spec.cluster_ip:
            raise invalid(KIND, name, [FieldError("spec.clusterIPs[0]", "Invalid value", _go_strings(s.cluster_ips),
                                                  "may not change once set")])
        return
    if not s.cluster_ip:
        if txn.dry_run:
            ip = _next(ips.dry_run_next, "failed to allocate a serviceIP")
        else:
            ip = _next(ips.next, "failed to allocate a serviceIP")
            txn.undo.append(partial(ips.release, ip))
        s.cluster_ip, s.cluster_ips = ip, [ip]
    elif s.cluster_ip != "None":
        # Since 1.33 the allocator is the ServiceCIDRs' (ipallocator's MetaAllocator): an address
        # no ready range holds, the ranges' network and broadcast addresses included, is a
        # Mismatch; one an IPAddress names is Allocated.
        try:
            if txn.dry_run:
                ips.dry_run_check(s.cluster_ip)
            else:
                ips.allocate(s.cluster_ip)
        except (Mismatch, Allocated, NotInRange, NotReady) as err:
            raise invalid(KIND, name, [FieldError("spec.clusterIPs", "Invalid value", _go_strings(s.cluster_ips),
                                                  f"failed to allocate IP {s.cluster_ip}: {err}")]) from None
        if not txn.dry_run:
            txn.undo.append(partial(ips.release, s.cluster_ip))


def _init_node_ports(api: ApiServer, svc: Service, txn: Allocation) -> None:
    """initNodePorts: on create, ports that share a port number (53/UDP and 53/TCP) share a nodePort."""
    ports = svc.spec.ports
    by_port: dict[int, int] = {}
    for i, p in enumerate(ports):
        if not p.node_port and not _should_allocate_node_ports(svc):
            continue  # no new ports, but a requested one is honoured
        allocated = by_port.get(p.port)
        if not allocated:
            # A value requested on any port with this number counts (scanning forward).
            requested = next((q.node_port for q in ports if q.port == p.port and q.node_port), None)
            if requested:
                _reserve_port(api, requested, f"spec.ports[{i}].nodePort", svc.name, txn)
                p.node_port = by_port[p.port] = requested
            else:
                p.node_port = by_port[p.port] = _next_node_port(api, txn)
        elif p.node_port != allocated:
            if not p.node_port:
                p.node_port = allocated
            else:
                _reserve_port(api, p.node_port, f"spec.ports[{i}].nodePort", svc.name, txn)


def _update_node_ports(api: ApiServer, svc: Service, old: Service, txn: Allocation) -> None:
    """updateNodePorts: a port keeps its nodePort; a new request is reserved; a missing one is allocated."""
    before = _node_ports(old)
    reserved: set[int] = set()
    for i, p in enumerate(svc.spec.ports):
        if not p.node_port and not _should_allocate_node_ports(svc):
            continue
        if p.node_port:
            if p.node_port not in before and p.node_port not in reserved:
                _reserve_port(api, p.node_port, f"spec.ports[{i}].nodePort", svc.name, txn)
                reserved.add(p.node_port)
        else:
            p.node_port = _next_node_port(api, txn)


def _alloc_health_check_node_port(api: ApiServer, svc: Service, txn: Allocation) -> None:
    """allocHealthCheckNodePort: its failures are internal errors, not field errors."""
    ports, s = api.node_ports, svc.spec
    if s.health_check_node_port:
        port = s.health_check_node_port
        try:
            ports.allocate(port)
        except NotInRange:
            reason = f"provided port is not in the valid range. The range of valid ports is {ports.range_text}"
        except Allocated:
            reason = "provided port is already allocated"
        else:
            txn.undo.append(lambda: ports.release(port))
            return
        raise ApiError(f"Internal error occurred: failed to allocate requested HealthCheck NodePort {port}: {reason}")
    s.health_check_node_port = _next(ports.next, "failed to allocate a HealthCheck NodePort 0")
    txn.undo.append(partial(ports.release, s.health_check_node_port))


def _reserve_port(api: ApiServer, port: int, path: str, name: str, txn: Allocation) -> None:
    ports = api.node_ports
    try:
        ports.allocate(port)
    except NotInRange:
        raise invalid(KIND, name, [FieldError(path, "Invalid value", port,
            f"provided port is not in the valid range. The range of valid ports is {ports.range_text}")]) from None
    except Allocated:
        raise invalid(KIND, name, [FieldError(path, "Invalid value", port, "provided port is already allocated")]) from None
    txn.undo.append(lambda: ports.release(port))


def _next_node_port(api: ApiServer, txn: Allocation) -> int:
    ports = api.node_ports
    port = _next(ports.next, "failed to allocate a nodePort")
    txn.undo.append(lambda: ports.release(port))
    return port


def _next(fn: Callable[[], R], what: str) -> R:
    """``fn()``, or the Internal error ``<what>: range is full`` (or the allocator's other error)."""
    try:
        return fn()
    except (RangeFull, NotReady) as err:
        raise ApiError(f"Internal error occurred: {what}: {err}") from None


def release(api: ApiServer, svc: Service) -> None:
    """Give back everything a deleted Service held: its ClusterIP's IPAddress goes."""
    if _needs_cluster_ip(svc) and svc.spec.cluster_ip and svc.spec.cluster_ip != "None":
        forget(api, svc.spec.cluster_ip)
    for p in svc.spec.ports:
        if p.node_port:
            api.node_ports.release(p.node_port)
    if svc.spec.health_check_node_port:
        api.node_ports.release(svc.spec.health_check_node_port)


class ServiceStrategy(Strategy[Service]):
    """Service: defaults, then allocation (its errors come first, alone), then validation."""

    kind = KIND
    resets_status = True

    def default(self, obj: Service, old: Service | None) -> None:
        default(obj)

    def allocate(self, api: ApiServer, obj: Service, old: Service | None, txn: Allocation) -> None:
        allocate(api, obj, old, txn)

    def validate(self, obj: Service) -> list[FieldError]:
        return validate(obj)

    def warnings(self, obj: Service, old: Service | None) -> list[str]:
        return warnings(obj)

    def before_store(self, api: ApiServer, obj: Service, old: Service | None) -> None:
        # The allocator creates the IPAddress as it allocates: before the Service is stored.
        ip = obj.spec.cluster_ip
        if _needs_cluster_ip(obj) and ip and ip != "None" and (old is None or not _needs_cluster_ip(old)):
            record(api, ip, obj)

    def on_update(self, old: Service, new: Service) -> None:
        super().on_update(old, new)
        if new.spec.type != "LoadBalancer":
            new.status.load_balancer.ingress = []

    def release(self, api: ApiServer, obj: Service) -> None:
        release(api, obj)


STRATEGIES = (ServiceStrategy(),)
