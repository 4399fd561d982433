"""kubectl for the objects behind ClusterIP allocation, as kubectl 1.37 shows them.

* ``get servicecidrs``: ``NAME CIDRS AGE``, the CIDRs joined by commas (``printServiceCIDR``);
  ``describe servicecidr``: the CIDRs, then the conditions' table when there are any
  (``describeServiceCIDRV1``).
* ``get ipaddresses`` (short name ``ip``): ``NAME PARENTREF``, the parent as
  ``resource[.group][/namespace]/name`` (``printIPAddress``). The printer also fills an age cell, but
  the server's table defines only two columns, so kubectl prints no AGE. ``describe ipaddress``:
  the parent reference field by field (``describeIPAddressV1``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..api.servicecidr import IPAddress, ServiceCIDR, parent_text
from .describe import annotation_lines, format_time, labels_lines, with_events
from .printers import age
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def _cidr_row(cluster: Cluster, cidr: ServiceCIDR, wide: bool) -> list[str]:
    return [cidr.name, ",".join(cidr.spec.cidrs), age(cluster, cidr)]


def _describe_cidr(cluster: Cluster, cidr: ServiceCIDR) -> str:
    lines = [f"Name:\t{cidr.name}", *labels_lines("Labels", cidr.metadata.labels),
             *annotation_lines(cidr.metadata.annotations), f"CIDRs:\t{', '.join(cidr.spec.cidrs)}"]
    if cidr.status.conditions:
        lines += ["Status:", "Conditions:", "  Type\tStatus\tLastTransitionTime\tReason\tMessage",
                  "  ----\t------\t------------------\t------\t-------"]
        lines += [f"  {c.type}\t{c.status}\t{format_time(c.last_transition_time)}\t{c.reason}\t{c.message}"
                  for c in cidr.status.conditions]
    return with_events(cluster, cidr, lines)


def _ip_row(cluster: Cluster, ip: IPAddress, wide: bool) -> list[str]:
    return [ip.name, parent_text(ip)]


def _describe_ip(cluster: Cluster, ip: IPAddress) -> str:
    lines = [f"Name:\t{ip.name}", *labels_lines("Labels", ip.metadata.labels),
             *annotation_lines(ip.metadata.annotations)]
    ref = ip.spec.parent_ref
    if ref is not None:
        lines += ["Parent Reference:", f"  Group:\t{ref.group or ''}", f"  Resource:\t{ref.resource or ''}",
                  f"  Namespace:\t{ref.namespace or ''}", f"  Name:\t{ref.name or ''}"]
    return with_events(cluster, ip, lines)


VIEWS = (
    View("ServiceCIDR", ("NAME", "CIDRS", "AGE"), (), _cidr_row, _describe_cidr),
    View("IPAddress", ("NAME", "PARENTREF"), (), _ip_row, _describe_ip),
)
"""The views this module gives :mod:`.kinds`."""
