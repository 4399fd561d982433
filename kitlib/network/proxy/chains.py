"""kube-proxy's chain names: ``KUBE-SVC-``, ``KUBE-SVL-``, ``KUBE-EXT-`` and ``KUBE-SEP-`` plus a hash.

Each name ends in 16 base32 characters of a SHA-256 (``portProtoHash`` and
``servicePortEndpointChainName`` in ``pkg/proxy/iptables/proxier.go``), so the same Service
port gets the same chain on every node and at every sync.
"""

from __future__ import annotations

import functools
import hashlib

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32, as Go's base32.StdEncoding
_B32_PAIRS = [a + b for a in _B32 for b in _B32]


@functools.lru_cache(maxsize=1 << 17)
def _hash16(text: str) -> str:
    # 16 base32 characters encode exactly the first 10 bytes (80 bits) of the digest; taking
    # them 10 bits at a time is what base64.b32encode does, several times faster.
    n = int.from_bytes(hashlib.sha256(text.encode()).digest()[:10], "big")
    pairs = _B32_PAIRS
    return "".join([pairs[(n >> shift) & 1023] for shift in (70, 60, 50, 40, 30, 20, 10, 0)])


@functools.lru_cache(maxsize=1 << 17)
def _hash8(text: str) -> str:
    # 8 base32 characters encode exactly the first 5 bytes (40 bits) of the digest.
    n = int.from_bytes(hashlib.sha256(text.encode()).digest()[:5], "big")
    pairs = _B32_PAIRS
    return pairs[n >> 30] + pairs[(n >> 20) & 1023] + pairs[(n >> 10) & 1023] + pairs[n & 1023]


NFT_NAME_MAX = 256 - 16
"""``chainNameBaseLengthMax``: nftables' name limit (256) less room for the longest prefix."""


def nft_name(name: str) -> str:
    """``hashAndTruncate``: ``name`` behind 8 base32 characters of its SHA-256, cut to
    :data:`NFT_NAME_MAX` characters (ending in ``...``) if longer.

    >>> nft_name("testing/service/tcp/http")
    'P4ZYZVCF-testing/service/tcp/http'
    """
    name = _hash8(name) + "-" + name
    return name if len(name) <= NFT_NAME_MAX else name[:NFT_NAME_MAX - 3] + "..."


def nft_service_base(namespace: str, name: str, protocol: str, port_name: str) -> str:
    """``servicePortChainNameBase``: what follows ``service-``, ``local-``, ``external-`` and
    ``firewall-`` in a service port's nftables chains.

    >>> nft_service_base("ns1", "svc1", "TCP", "p80")
    'ULMVA6XW-ns1/svc1/tcp/p80'
    """
    return nft_name(f"{namespace}/{name}/{protocol.lower()}/{port_name}")


def nft_endpoint_base(namespace: str, name: str, protocol: str, port_name: str, endpoint: str) -> str:
    """``servicePortEndpointChainNameBase``: what follows ``endpoint-`` and ``affinity-`` for one
    endpoint (``ip:port``; an IPv6 address's colons become dots).

    >>> nft_endpoint_base("ns1", "svc1", "TCP", "p80", "10.180.0.1:80")
    '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80'
    """
    ip, _, port = endpoint.rpartition(":")
    ip = ip.strip("[]").replace(":", ".")
    return nft_name(f"{namespace}/{name}/{protocol.lower()}/{port_name}__{ip}/{port}")


def port_proto_hash(service_port_name: str, protocol: str) -> str:
    """kube-proxy's ``portProtoHash``: base32(sha256(name + protocol))[:16].

    >>> port_proto_hash("default/kubernetes:https", "TCP")
    'NPX46M4PTMTKRN6Y'
    """
    return _hash16(service_port_name + protocol.lower())


def service_chain(service_port_name: str, protocol: str) -> str:
    """``KUBE-SVC-…``: the chain that spreads a service port's traffic over its endpoints."""
    return "KUBE-SVC-" + port_proto_hash(service_port_name, protocol)


def local_chain(service_port_name: str, protocol: str) -> str:
    """``KUBE-SVL-…``: the same, over this node's endpoints only (a ``Local`` traffic policy)."""
    return "KUBE-SVL-" + port_proto_hash(service_port_name, protocol)


def external_chain(service_port_name: str, protocol: str) -> str:
    """``KUBE-EXT-…``: where NodePort, LoadBalancer and external-IP traffic goes first."""
    return "KUBE-EXT-" + port_proto_hash(service_port_name, protocol)


def endpoint_chain(service_port_name: str, protocol: str, endpoint: str) -> str:
    """``KUBE-SEP-…``: the chain that DNATs to one endpoint (``endpoint`` is ``ip:port``).

    >>> endpoint_chain("default/my-nginx", "TCP", "10.244.3.3:80")
    'KUBE-SEP-MEZP33SDGZXSPSO5'
    """
    return "KUBE-SEP-" + _hash16(service_port_name + protocol.lower() + endpoint)
