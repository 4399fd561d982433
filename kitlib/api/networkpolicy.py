"""NetworkPolicy (networking.k8s.io/v1): which connections the pods it selects may take and accept.

The fields mirror ``k8s.io/api/networking/v1/types.go``. What they mean (``kitlib.network.netpol``
evaluates them) is in the API reference and https://kubernetes.io/docs/concepts/services-networking/network-policies/:

* ``spec.podSelector`` selects pods in the policy's namespace (empty: all of them);
* ``spec.policyTypes`` says which directions the policy isolates; the API server defaults it to
  ``["Ingress"]``, plus ``"Egress"`` when ``spec.egress`` has rules (``SetDefaults_NetworkPolicy``);
* ``ingress[].from[]`` / ``egress[].to[]`` peers: ``podSelector`` and ``namespaceSelector`` in one
  peer select pods matching both (AND), separate peers add up (OR); ``ipBlock`` a CIDR minus
  ``except``; a rule with no peers allows every peer, a rule with no ports every port;
* ``ports[]``: a protocol (TCP when not given, ``SetDefaults_NetworkPolicyPort``), a port number or
  a container port's name, and ``endPort`` for a range.

>>> peer = NetworkPolicyPeer(ip_block=IPBlock("10.0.0.0/8", except_=["10.1.0.0/16"]))
>>> from .convert import to_api
>>> to_api(peer)
{'ipBlock': {'cidr': '10.0.0.0/8', 'except': ['10.1.0.0/16']}}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .convert import api_field, extra_field
from .labels import LabelSelector
from .meta import KubeObject, ObjectMeta
from .resource import Resource

INGRESS = "Ingress"
EGRESS = "Egress"
POLICY_TYPES = [INGRESS, EGRESS]
PROTOCOLS = ["TCP", "UDP", "SCTP"]
"""The protocols a NetworkPolicyPort may name (``ValidateNetworkPolicyPort``), in its message's order."""


@dataclass
class IPBlock:
    """A CIDR (``10.0.0.0/8``) minus the CIDRs of ``except``, each strictly inside it."""

    cidr: str = ""
    except_: list[str] = api_field("except", factory=list)


@dataclass
class NetworkPolicyPeer:
    """One peer of a rule: pods by ``pod_selector`` and/or ``namespace_selector`` (both: AND), or
    an ``ip_block`` (alone). A ``pod_selector`` alone selects pods of the policy's namespace."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


@dataclass
class NetworkPolicyPort:
    """A port (number or container port name; None: every port) of ``protocol``, up to ``end_port``."""

    protocol: str | None = None
    port: int | str | None = None
    end_port: int | None = None


@dataclass
class NetworkPolicyIngressRule:
    """Traffic allowed into the selected pods: from any of ``from_`` (none: from anywhere), to any
    of ``ports`` (none: every port)."""

    ports: list[NetworkPolicyPort] = field(default_factory=list)
    from_: list[NetworkPolicyPeer] = api_field("from", factory=list)


@dataclass
class NetworkPolicyEgressRule:
    """Traffic allowed out of the selected pods: to any of ``to`` (none: anywhere), to any of
    ``ports`` (none: every port)."""

    ports: list[NetworkPolicyPort] = field(default_factory=list)
    to: list[NetworkPolicyPeer] = field(default_factory=list)


@dataclass
class NetworkPolicySpec:
    pod_selector: LabelSelector = field(default_factory=LabelSelector)
    ingress: list[NetworkPolicyIngressRule] = field(default_factory=list)
    egress: list[NetworkPolicyEgressRule] = field(default_factory=list)
    policy_types: list[str] = field(default_factory=list)
    extra: dict[str, Any] = extra_field()


@dataclass(repr=False)
class NetworkPolicy(KubeObject):
    """A NetworkPolicy: enforced by the network plug-in (Calico), stored and ignored by one that
    does not implement policies (flannel)."""

    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "NetworkPolicy"

    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: NetworkPolicySpec = field(default_factory=NetworkPolicySpec)


def policy_types(np: NetworkPolicy) -> list[str]:
    """The directions ``np`` isolates: ``spec.policyTypes``, or, for an object not yet defaulted,
    what ``SetDefaults_NetworkPolicy`` would make it."""
    if np.spec.policy_types:
        return list(np.spec.policy_types)
    return [INGRESS, EGRESS] if np.spec.egress else [INGRESS]


RESOURCES = (Resource(NetworkPolicy, "networkpolicies", ("netpol",)),)
"""The resource types this module defines, gathered by :mod:`kitlib.api.registry`."""
