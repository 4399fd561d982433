"""NetworkPolicies in the API server: defaults and validation.

Defaults are ``SetDefaults_NetworkPolicy`` and ``SetDefaults_NetworkPolicyPort``
(``pkg/apis/networking/v1/defaults.go``): ``policyTypes`` becomes ``["Ingress"]``, plus ``"Egress"``
when the policy has egress rules; a port without a protocol gets ``TCP``. Both run when the
object is decoded, before validation, as in the API server.

Validation is ``ValidateNetworkPolicy`` (``pkg/apis/networking/validation/validation.go``) in its
order and words: the metadata, the pod selector, each ingress rule's ports then peers, each egress
rule's ports then peers, the policy types. CIDRs are a legacy field, parsed as
``IsValidCIDRForLegacyField`` does while StrictIPCIDRValidation is off (as for a Service's
``loadBalancerSourceRanges``, :mod:`.service_strategy`).
"""

from __future__ import annotations

from ..api.addresses import CIDR_MSG, parse_cidr_sloppy
from ..api.labels import validate_selector
from ..api.networkpolicy import (
    EGRESS,
    INGRESS,
    POLICY_TYPES,
    PROTOCOLS,
    IPBlock,
    NetworkPolicy,
    NetworkPolicyPeer,
    NetworkPolicyPort,
)
from ..api.validation import GoValue, validate_meta
from ..errors import FieldError, unsupported
from .service_strategy import port_name_errors
from .strategy import Strategy

PORT_RANGE_MSG = "must be between 1 and 65535, inclusive"


def default_network_policy(np: NetworkPolicy) -> None:
    """``SetDefaults_NetworkPolicy`` and ``SetDefaults_NetworkPolicyPort``."""
    spec = np.spec
    if not spec.policy_types:
        # "Any policy that does not specify policyTypes implies at least Ingress."
        spec.policy_types = [INGRESS, EGRESS] if spec.egress else [INGRESS]
    ports = [p for rule in spec.ingress for p in rule.ports] + [p for erule in spec.egress for p in erule.ports]
    for port in ports:
        if port.protocol is None:
            port.protocol = "TCP"


def validate_port(port: NetworkPolicyPort, path: str) -> list[FieldError]:
    """``ValidateNetworkPolicyPort``: the protocol, then a numeric port with its ``endPort``, or a
    named port (which takes no ``endPort``)."""
    errs: list[FieldError] = []
    if port.protocol is not None and port.protocol not in PROTOCOLS:
        errs.append(unsupported(f"{path}.protocol", port.protocol, PROTOCOLS))
    if isinstance(port.port, int):
        if not 1 <= port.port <= 65535:
            errs.append(FieldError(f"{path}.port", "Invalid value", port.port, PORT_RANGE_MSG))
        if port.end_port is not None:
            if port.end_port < port.port:
                errs.append(FieldError(f"{path}.endPort", "Invalid value", port.end_port,
                                       "must be greater than or equal to `port`"))
            if not 1 <= port.end_port <= 65535:
                errs.append(FieldError(f"{path}.endPort", "Invalid value", port.end_port, PORT_RANGE_MSG))
    elif port.port is not None:
        if port.end_port is not None:
            errs.append(FieldError(f"{path}.endPort", "Invalid value", port.end_port,
                                   "may not be specified when `port` is non-numeric"))
        errs += [FieldError(f"{path}.port", "Invalid value", port.port, msg) for msg in port_name_errors(port.port)]
    elif port.end_port is not None:
        errs.append(FieldError(f"{path}.endPort", "Invalid value", port.end_port,
                               "may not be specified when `port` is not specified"))
    return errs


def validate_ip_block(block: IPBlock, path: str) -> list[FieldError]:
    """``ValidateIPBlock``: a CIDR, and each ``except`` CIDR a strict subset of it."""
    if not block.cidr:
        return [FieldError(f"{path}.cidr", "Required value")]
    cidr = parse_cidr_sloppy(block.cidr)
    if cidr is None:
        return [FieldError(f"{path}.cidr", "Invalid value", block.cidr, CIDR_MSG)]
    errs: list[FieldError] = []
    for i, text in enumerate(block.except_):
        where = f"{path}.except[{i}]"
        inner = parse_cidr_sloppy(text)
        if inner is None:
            errs.append(FieldError(where, "Invalid value", text, CIDR_MSG))
        # !cidrIPNet.Contains(exceptCIDR.IP) || cidrMaskLen >= exceptMaskLen
        elif (inner.version != cidr.version or inner.network_address not in cidr
              or cidr.prefixlen >= inner.prefixlen):
            errs.append(FieldError(where, "Invalid value", text, "must be a strict subset of `cidr`"))
    return errs


def validate_peer(peer: NetworkPolicyPeer, path: str) -> list[FieldError]:
    """``ValidateNetworkPolicyPeer``: at least one of the three, and an ``ipBlock`` alone."""
    errs: list[FieldError] = []
    count = 0
    if peer.pod_selector is not None:
        count += 1
        errs += validate_selector(peer.pod_selector, f"{path}.podSelector")
    if peer.namespace_selector is not None:
        count += 1
        errs += validate_selector(peer.namespace_selector, f"{path}.namespaceSelector")
    if peer.ip_block is not None:
        count += 1
        errs += validate_ip_block(peer.ip_block, f"{path}.ipBlock")
    if count == 0:
        errs.append(FieldError(path, "Required value", detail="must specify a peer"))
    elif count > 1 and peer.ip_block is not None:
        errs.append(FieldError(path, "Forbidden", detail="may not specify both ipBlock and another peer"))
    return errs


def validate_network_policy(np: NetworkPolicy) -> list[FieldError]:
    """``ValidateNetworkPolicy``: metadata, then ``ValidateNetworkPolicySpec``."""
    errs = validate_meta(np.metadata, namespaced=True)
    spec = np.spec
    errs += validate_selector(spec.pod_selector, "spec.podSelector")
    for i, rule in enumerate(spec.ingress):
        errs += [e for j, port in enumerate(rule.ports) for e in validate_port(port, f"spec.ingress[{i}].ports[{j}]")]
        errs += [e for j, peer in enumerate(rule.from_) for e in validate_peer(peer, f"spec.ingress[{i}].from[{j}]")]
    for i, erule in enumerate(spec.egress):
        errs += [e for j, port in enumerate(erule.ports) for e in validate_port(port, f"spec.egress[{i}].ports[{j}]")]
        errs += [e for j, peer in enumerate(erule.to) for e in validate_peer(peer, f"spec.egress[{i}].to[{j}]")]
    if len(spec.policy_types) > len(POLICY_TYPES):
        value = ", ".join(f'"{t}"' for t in spec.policy_types)
        errs.append(FieldError("spec.policyTypes", "Invalid value", GoValue(f"[]networking.PolicyType{{{value}}}"),
                               "may not specify more than two policyTypes"))
        return errs
    errs += [unsupported(f"spec.policyTypes[{i}]", t, POLICY_TYPES)
             for i, t in enumerate(spec.policy_types) if t not in POLICY_TYPES]
    return errs


class NetworkPolicyStrategy(Strategy[NetworkPolicy]):
    """NetworkPolicy: defaults, then ValidateNetworkPolicy. It has no status and allocates nothing."""

    kind = "NetworkPolicy"
    generation = True
    draws = False

    def default(self, obj: NetworkPolicy, old: NetworkPolicy | None) -> None:
        default_network_policy(obj)

    def validate(self, obj: NetworkPolicy) -> list[FieldError]:
        return validate_network_policy(obj)


STRATEGIES = (NetworkPolicyStrategy(),)
