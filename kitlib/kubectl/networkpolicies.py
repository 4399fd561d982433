"""kubectl for NetworkPolicies, as kubectl 1.37 shows them.

* ``get networkpolicies`` (``netpol``): ``NAME POD-SELECTOR AGE``, the selector as
  ``metav1.FormatLabelSelector`` writes it (``networkPolicyColumnDefinitions`` and
  ``printNetworkPolicy`` in ``pkg/printers/internalversion/printers.go``).
* ``describe networkpolicy``: ``describeNetworkPolicy`` and ``describeNetworkPolicySpec`` in
  ``staging/src/k8s.io/kubectl/pkg/describe/describe.go``, word for word: "Allowing ingress
  traffic:", "Not affecting egress traffic", "<none> (Selected pods are isolated for ingress
  connectivity)", "To Port Range: 8000-9000/TCP", and no events (that describer does not list them).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from ..api.labels import LabelSelector
from ..api.networkpolicy import EGRESS, INGRESS, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort
from ..clock import EPOCH, parse_timestamp
from .describe import annotation_lines, labels_lines
from .printers import age
from .tabwriter import DESCRIBE
from .view import View

if TYPE_CHECKING:
    from ..cluster import Cluster


def format_label_selector(sel: LabelSelector) -> str:
    """``metav1.FormatLabelSelector``: the selector as ``labels.Selector.String`` writes it (the
    requirements sorted by key, ``in``/``notin`` with sorted values), ``<none>`` when it is empty.

    >>> from ..api.labels import LabelSelectorRequirement
    >>> format_label_selector(LabelSelector({"b": "1"}, [LabelSelectorRequirement("a", "NotIn", ["y", "x"])]))
    'a notin (x,y),b=1'
    >>> format_label_selector(LabelSelector())
    '<none>'
    """
    reqs = [(k, f"{k}={v}") for k, v in sel.match_labels.items()]
    for r in sel.match_expressions:
        values = ",".join(sorted(set(r.values)))
        text = {"In": f"{r.key} in ({values})", "NotIn": f"{r.key} notin ({values})",
                "Exists": r.key, "DoesNotExist": f"!{r.key}"}.get(r.operator, "")
        reqs.append((r.key, text))
    return ",".join(t for _, t in sorted(reqs, key=lambda kv: kv[0])) or "<none>"


def created_on(ts: str | None) -> str:
    """``metav1.Time`` printed with ``%s`` (Go's ``time.Time.String``): ``2026-01-01 00:00:14 +0000 UTC``."""
    moment = EPOCH + timedelta(seconds=parse_timestamp(ts)) if ts else EPOCH.replace(year=1)
    return moment.strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def _row(cluster: Cluster, np: NetworkPolicy, wide: bool) -> list[str]:
    return [np.name, format_label_selector(np.spec.pod_selector), age(cluster, np)]


def _port_lines(ports: list[NetworkPolicyPort], indent: str) -> list[str]:
    if not ports:
        return [f"{indent}To Port: <any> (traffic allowed to all ports)"]
    out = []
    for p in ports:
        # IntOrString's String() on a nil pointer is "<nil>".
        port = "<nil>" if p.port is None else str(p.port)
        proto = p.protocol or "TCP"
        out.append(f"{indent}To Port: {port}/{proto}" if p.end_port is None
                   else f"{indent}To Port Range: {port}-{p.end_port}/{proto}")
    return out


def _peer_lines(peers: list[NetworkPolicyPeer], word: str, indent: str, anything: str) -> list[str]:
    if not peers:
        return [f"{indent}{word}: <any> ({anything})"]
    out = []
    for peer in peers:
        out.append(f"{indent}{word}:")
        if peer.pod_selector is not None and peer.namespace_selector is not None:
            out += [f"  {indent}NamespaceSelector: {format_label_selector(peer.namespace_selector)}",
                    f"  {indent}PodSelector: {format_label_selector(peer.pod_selector)}"]
        elif peer.pod_selector is not None:
            out.append(f"  {indent}PodSelector: {format_label_selector(peer.pod_selector)}")
        elif peer.namespace_selector is not None:
            out.append(f"  {indent}NamespaceSelector: {format_label_selector(peer.namespace_selector)}")
        elif peer.ip_block is not None:
            out += [f"  {indent}IPBlock:", f"    {indent}CIDR: {peer.ip_block.cidr}",
                    f"    {indent}Except: {', '.join(peer.ip_block.except_)}"]
    return out


def spec_lines(np: NetworkPolicy) -> list[str]:
    """``describeNetworkPolicySpec``: the lines from ``Spec:`` on."""
    s = np.spec
    selector = ("<none> (Allowing the specific traffic to all pods in this namespace)"
                if s.pod_selector.is_empty() else format_label_selector(s.pod_selector))
    # The prefix writer writes "PodSelector: " at level 1, then the value at level 2 ("    ").
    lines = ["Spec:", f"  PodSelector:     {selector}"]
    lines += _direction_lines("ingress", INGRESS in s.policy_types,
                              [(r.ports, r.from_) for r in s.ingress], "From", "source")
    lines += _direction_lines("egress", EGRESS in s.policy_types,
                              [(r.ports, r.to) for r in s.egress], "To", "destination")
    lines.append(f"  Policy Types: {', '.join(s.policy_types)}")
    return lines


def _direction_lines(direction: str, affected: bool, rules: list, word: str, end: str) -> list[str]:
    """One direction of ``describeNetworkPolicySpec``: its rules (ports, then peers), separated by
    dashes, or that the policy isolates or does not affect that direction."""
    if not affected:
        return [f"  Not affecting {direction} traffic"]
    indent = "    "
    lines = [f"  Allowing {direction} traffic:"]
    if not rules:
        lines.append(f"{indent}<none> (Selected pods are isolated for {direction} connectivity)")
    for i, (ports, peers) in enumerate(rules):
        if i:
            lines.append(f"{indent}----------")
        lines += _port_lines(ports, indent)
        lines += _peer_lines(peers, word, indent, f"traffic not restricted by {end}")
    return lines


def _describe(cluster: Cluster, np: NetworkPolicy) -> str:
    head = [f"Name:\t{np.name}", f"Namespace:\t{np.namespace}",
            f"Created on:\t{created_on(np.metadata.creation_timestamp)}",
            *labels_lines("Labels", np.metadata.labels), *annotation_lines(np.metadata.annotations)]
    return DESCRIBE.format("\n".join(head + spec_lines(np)))


VIEWS = (View("NetworkPolicy", ("NAME", "POD-SELECTOR", "AGE"), (), _row, _describe),)
"""The views this module gives :mod:`.kinds`."""
