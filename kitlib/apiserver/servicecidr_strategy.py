"""ServiceCIDRs and IPAddresses in the API server: their validation, and how the ClusterIP
allocator keeps them (the API server's rules of both kinds are here; their controllers are in
:mod:`kitlib.controllers.servicecidr` and :mod:`kitlib.controllers.ipaddresses`).

* **IPAddress** (``pkg/registry/networking/ipaddress``): its name must be an IP address in
  canonical form and its ``spec.parentRef`` name a resource and a name (``ValidateIPAddress``);
  ``parentRef`` is immutable. The allocator writes one for each ClusterIP it hands out
  (:func:`record`, as ``createIPAddress``: labels ``ipaddress.kubernetes.io/ip-family`` and
  ``ipaddress.kubernetes.io/managed-by: ipallocator.k8s.io``, the Service as parent) just before
  the Service is stored, and deletes it when the Service goes or stops needing it (:func:`forget`).
  One created by anyone else reserves its address: asking for it is ``provided IP is already
  allocated``, and automatic allocation skips it.
* **ServiceCIDR** (``pkg/registry/networking/servicecidr``): one or two CIDRs, one of each family
  (``ValidateServiceCIDR``), immutable but for adding the other family (``ValidateServiceCIDRUpdate``,
  since 1.33). Each IPv4 range is one of the allocator's (:meth:`IPAllocator.add_range`), ready while
  the ServiceCIDR is (:func:`track`); the cluster is single-stack, so an IPv6 range is accepted and
  unused, as the IPv4 allocator of a real single-stack API server leaves it. A ServiceCIDR is
  deleted through its finalizer (:mod:`kitlib.controllers.servicecidr`).

Simplification: a ServiceCIDR whose IPv4 range overlaps the pod network or the node network is
refused (:func:`refuse_unsupported`); a real API server accepts it, and its ClusterIPs then shadow
pod or node addresses, which kitlib's data path does not model.
"""

from __future__ import annotations

import ipaddress
from functools import partial
from typing import TYPE_CHECKING

from ..api.addresses import cidr_errors, ip_errors, parse_ip_sloppy
from ..api.meta import ObjectMeta
from ..api.service import Service
from ..api.servicecidr import (
    ALLOCATOR,
    IP_FAMILY_LABEL,
    MANAGED_BY_LABEL,
    IPAddress,
    IPAddressSpec,
    ParentReference,
    ServiceCIDR,
    is_ready,
)
from ..api.validation import GoValue, dns1123_subdomain, validate_meta
from ..errors import AlreadyExists, FieldError, invalid, required
from .strategy import Allocation, Strategy

if TYPE_CHECKING:
    from .server import ApiServer

IMMUTABLE = "field is immutable"
"""``apimachineryvalidation.FieldImmutableErrorMsg``."""
TWO_FAMILIES = "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64"


# ---------------------------------------------------------------------------- IPAddress


def family(ip: str) -> str:
    """``IPv4`` or ``IPv6``: the value of an IPAddress's ``ip-family`` label."""
    return "IPv6" if ":" in ip else "IPv4"


def record(api: ApiServer, ip: str, svc: Service) -> IPAddress:
    """Write the IPAddress of ClusterIP ``ip``, allocated to ``svc`` (``createIPAddress``); the
    address is in use from now on, if the allocation had not marked it already."""
    api.service_ips.reserve(ip)
    obj = IPAddress(metadata=ObjectMeta(name=ip, labels={IP_FAMILY_LABEL: family(ip), MANAGED_BY_LABEL: ALLOCATOR}),
                    spec=IPAddressSpec(ParentReference(resource="services", namespace=svc.namespace, name=svc.name)))
    api.create_trusted(obj)
    return obj


def forget(api: ApiServer, ip: str) -> None:
    """Give ClusterIP ``ip`` back (``Release``): its IPAddress is deleted, whoever wrote it."""
    obj = api.store.get("IPAddress", ip)
    if obj is not None:
        api.delete(obj)  # IPAddressStrategy.release frees the address
    else:
        api.service_ips.release(ip)


def path_segment_errors(value: str) -> list[str]:
    """``IsValidPathSegmentName``: what a name that goes into a URL path may not be or contain."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def _ip_name(value: str, path: str) -> list[FieldError]:
    """``ValidateIPAddressName``: an IP address in canonical form."""
    return [FieldError(path, "Invalid value", value, msg) for msg in ip_errors(value)]


def validate_ip_address(obj: IPAddress) -> list[FieldError]:
    """``ValidateIPAddress``: the name, then ``spec.parentRef`` (``validateIPAddressParentReference``)."""
    errs = validate_meta(obj.metadata, namespaced=False, name_check=_ip_name)
    ref = obj.spec.parent_ref
    if ref is None:
        return [*errs, required("spec.parentRef")]
    path = "spec.parentRef"
    if ref.group:  # required, but the core group of Services is "", so it cannot be enforced
        errs += [FieldError(f"{path}.group", "Invalid value", ref.group, e.detail)
                 for e in dns1123_subdomain(ref.group, "")]
    for key in ("resource", "name"):
        value = getattr(ref, key)
        if not value:
            errs.append(required(f"{path}.{key}"))
        else:
            errs += [FieldError(f"{path}.{key}", "Invalid value", value, msg) for msg in path_segment_errors(value)]
    if ref.namespace:
        errs += [FieldError(f"{path}.namespace", "Invalid value", ref.namespace, msg)
                 for msg in path_segment_errors(ref.namespace)]
    return errs


def _go_parent(ref: ParentReference | None) -> GoValue | None:
    """A parentRef as apimachinery prints a rejected struct (``%#v`` of what the pointer holds)."""
    if ref is None:
        return None
    return GoValue(f'networking.ParentReference{{Group:"{ref.group or ""}", Resource:"{ref.resource or ""}", '
                   f'Namespace:"{ref.namespace or ""}", Name:"{ref.name or ""}"}}')


class IPAddressStrategy(Strategy[IPAddress]):
    """IPAddress: ValidateIPAddress; a new one reserves its address once valid; deleting it frees it."""

    kind = "IPAddress"
    own_uid_stream = True

    def default(self, obj: IPAddress, old: IPAddress | None) -> None:
        ref = obj.spec.parent_ref
        if ref is not None:  # the fields are omitempty: an empty one is not stored
            for key in ("group", "resource", "namespace", "name"):
                if getattr(ref, key) == "":
                    setattr(ref, key, None)

    def validate(self, obj: IPAddress) -> list[FieldError]:
        return validate_ip_address(obj)

    def validate_update(self, old: IPAddress, new: IPAddress) -> list[FieldError]:
        if new.spec.parent_ref != old.spec.parent_ref:
            return [FieldError("spec.parentRef", "Invalid value", _go_parent(new.spec.parent_ref), IMMUTABLE)]
        return []

    def prepare(self, api: ApiServer, obj: IPAddress, old: IPAddress | None, txn: Allocation) -> None:
        super().prepare(api, obj, old, txn)
        if old is not None or api.store.get(self.kind, obj.name) is not None:
            return  # an update, or a create that is AlreadyExists
        ip = parse_ip_sloppy(obj.name)
        if ip is None or ip.version != 4 or txn.dry_run:
            return
        if not api.service_ips.reserve(obj.name):
            # A Service of this very request took it: its IPAddress would exist by now.
            raise AlreadyExists(f'ipaddresses.networking.k8s.io "{obj.name}" already exists')
        txn.undo.append(partial(api.service_ips.release, obj.name))

    def release(self, api: ApiServer, obj: IPAddress) -> None:
        api.service_ips.release(obj.name)


# -------------------------------------------------------------------------- ServiceCIDR


def _go_spec(cidrs: list[str]) -> GoValue:
    return GoValue("networking.ServiceCIDRSpec{CIDRs:[]string{" + ", ".join(f'"{c}"' for c in cidrs) + "}}")


def _go_strings(values: list[str]) -> GoValue:
    return GoValue("[]string{" + ", ".join(f'"{v}"' for v in values) + "}")


def _version(cidr: str) -> int | None:
    """The IP family of a CIDR as ``ParseCIDRSloppy`` reads it (4 or 6), or None."""
    addr, slash, _ = cidr.partition("/")
    ip = parse_ip_sloppy(addr) if slash else None
    return ip.version if ip is not None else None


def validate_service_cidr(obj: ServiceCIDR) -> list[FieldError]:
    """``ValidateServiceCIDR``: a DNS subdomain name; one CIDR, or two of different families; each
    a CIDR in canonical form."""
    return validate_meta(obj.metadata, namespaced=False) + _validate_cidrs(obj.spec.cidrs)


def _validate_cidrs(cidrs: list[str]) -> list[FieldError]:
    path = "spec.cidrs"
    if not cidrs:
        return [FieldError(path, "Required value", detail="at least one CIDR required")]
    if len(cidrs) > 2:
        return [FieldError(path, "Invalid value", _go_spec(cidrs), "may only hold up to 2 values")]
    if len(cidrs) == 2 and sorted(str(_version(c)) for c in cidrs) != ["4", "6"]:
        return [FieldError(path, "Invalid value", _go_spec(cidrs), TWO_FAMILIES)]
    return [FieldError(f"{path}[{i}]", "Invalid value", cidr, msg)
            for i, cidr in enumerate(cidrs) for msg in cidr_errors(cidr)]


def validate_service_cidr_update(old: ServiceCIDR, new: ServiceCIDR) -> list[FieldError]:
    """``ValidateServiceCIDRUpdate`` (1.33, kubernetes#131263): the CIDRs may not change, but a
    single-stack ServiceCIDR may gain the other family's."""
    before, after = old.spec.cidrs, new.spec.cidrs
    path = "spec.cidrs"
    if len(before) == len(after):
        return [FieldError(f"{path}[{i}]", "Invalid value", after[i], IMMUTABLE)
                for i, cidr in enumerate(before) if cidr != after[i]]
    if len(before) == 1 and len(after) == 2:
        errs = [FieldError(f"{path}[0]", "Invalid value", after[0], IMMUTABLE)] if after[0] != before[0] else []
        return errs + _validate_cidrs(after)
    return [FieldError(path, "Invalid value", _go_strings(after), IMMUTABLE)]


def ipv4_ranges(obj: ServiceCIDR) -> list[str]:
    """The ServiceCIDR's IPv4 CIDRs: the single-stack IPv4 allocator's ranges."""
    return [c for c in obj.spec.cidrs if _version(c) == 4]


def refuse_unsupported(api: ApiServer, obj: ServiceCIDR) -> None:
    """kitlib's simplification: an IPv4 range that overlaps the pod or node network is refused."""
    errs = []
    for i, cidr in enumerate(obj.spec.cidrs):
        if _version(cidr) != 4 or cidr == api.config.service_cidr:  # the API server's own range is its choice
            continue
        net = ipaddress.IPv4Network(cidr)
        for what, other in (("pod network", api.config.pod_cidr), ("node network", api.config.node_cidr)):
            if net.overlaps(ipaddress.IPv4Network(other)):
                errs.append(FieldError(f"spec.cidrs[{i}]", "Forbidden", detail=(
                    f"overlaps the {what} {other}: kitlib does not simulate ClusterIPs that shadow "
                    "pod or node addresses (a real API server accepts this range)")))
    if errs:
        raise invalid("ServiceCIDR.networking.k8s.io", obj.name, errs)


def track(api: ApiServer, obj: ServiceCIDR) -> None:
    """Tell the allocator whether ``obj``'s ranges are ready (``syncAllocators``): after its status
    changed, or once its deletion began."""
    for cidr in ipv4_ranges(obj):
        api.service_ips.set_ready(cidr, obj.name, is_ready(obj))


class ServiceCIDRStrategy(Strategy[ServiceCIDR]):
    """ServiceCIDR: ValidateServiceCIDR (and its update rules); a new IPv4 range joins the
    allocator once valid, and leaves it with the object."""

    kind = "ServiceCIDR"
    own_uid_stream = True

    def validate(self, obj: ServiceCIDR) -> list[FieldError]:
        return validate_service_cidr(obj)

    def prepare(self, api: ApiServer, obj: ServiceCIDR, old: ServiceCIDR | None, txn: Allocation) -> None:
        if old is None:
            super().prepare(api, obj, old, txn)
        else:
            # ValidateUpdate is ValidateServiceCIDRUpdate alone (the metadata, then the CIDRs'
            # changes): CIDRs that did not change were valid when they were created.
            errs = validate_meta(obj.metadata, namespaced=False) + validate_service_cidr_update(old, obj)
            if errs:
                raise invalid("ServiceCIDR.networking.k8s.io", obj.name, errs)
        refuse_unsupported(api, obj)
        if old is None and api.store.get(self.kind, obj.name) is not None:
            return  # a create that is AlreadyExists
        held = set(ipv4_ranges(old)) if old is not None else set()
        for cidr in ipv4_ranges(obj):
            if cidr not in held:
                api.service_ips.add_range(cidr, obj.name, is_ready(obj))
                txn.undo.append(partial(api.service_ips.remove_range, cidr, obj.name))

    def on_update(self, old: ServiceCIDR, new: ServiceCIDR) -> None:
        super().on_update(old, new)
        # kubectl apply's patch leaves the finalizer the controller added, which the manifest lacks.
        new.metadata.finalizers = new.metadata.finalizers or list(old.metadata.finalizers)

    def release(self, api: ApiServer, obj: ServiceCIDR) -> None:
        for cidr in ipv4_ranges(obj):
            api.service_ips.remove_range(cidr, obj.name)


STRATEGIES = (IPAddressStrategy(), ServiceCIDRStrategy())
