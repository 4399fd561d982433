"""Address management as the pieces of a kubeadm/flannel cluster do it.

* The controller manager's range allocator carves one /24 podCIDR per node out of the
  cluster CIDR, in the order nodes register.
* On each node, the CNI ``host-local`` IPAM plugin hands out pod IPs from that podCIDR. It
  skips the gateway (``.1``, the ``cni0`` bridge) and remembers the last address it gave out,
  continuing after it: a freed address is reused only once the range wraps around, so a
  replacement pod almost always gets a new IP.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field


@dataclass
class HostLocal:
    """The host-local IPAM state of one node: its range, what is in use and the last reserved IP."""

    subnet: str
    in_use: set[int] = field(default_factory=set)
    last_reserved: int | None = None

    def __post_init__(self) -> None:
        net = ipaddress.ip_network(self.subnet)
        self._first = int(net.network_address) + 1
        self._last = int(net.broadcast_address) - 1
        self.gateway = str(net.network_address + 1)

    def allocate(self) -> str | None:
        """The next free IP after the last reserved one, wrapping around; None if the range is full."""
        last = self.last_reserved
        if last is not None and self._first <= last < self._last and last + 1 not in self.in_use:
            # The usual case, the loop below's first candidate: the address after the last one,
            # which needs no wrap-around and so is not the gateway (the range's first address).
            return self._reserve(last + 1)
        size = self._last - self._first + 1
        start = self._first if last is None else last + 1
        for i in range(size):
            candidate = self._first + (start - self._first + i) % size
            if candidate == self._first:  # the gateway address belongs to cni0
                continue
            if candidate not in self.in_use:
                return self._reserve(candidate)
        return None

    def _reserve(self, candidate: int) -> str:
        self.in_use.add(candidate)
        self.last_reserved = candidate
        return f"{candidate >> 24}.{candidate >> 16 & 255}.{candidate >> 8 & 255}.{candidate & 255}"

    def release(self, ip: str) -> None:
        self.in_use.discard(int(ipaddress.IPv4Address(ip)))


def node_network_ip(cidr: str, index: int) -> str:
    """The address of the ``index``-th node (0-based) on the node network: ``.2``, ``.3``, ...
    (``.1`` is the network's gateway), as minikube's docker network assigns them."""
    net = ipaddress.ip_network(cidr)
    ip = int(net.network_address) + 2 + index
    if ip >= int(net.broadcast_address):
        raise ValueError(f"no address left for node {index + 1} on the node network {cidr}")
    return str(ipaddress.ip_address(ip))
