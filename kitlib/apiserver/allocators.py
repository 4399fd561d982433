"""The API server's allocators for Service ClusterIPs and NodePorts.

Both work like ``pkg/registry/core/service/ipallocator`` and ``portallocator``: a range is
split into a small static band at the bottom (kept for addresses people ask for by hand)
and a dynamic band above it; automatic allocation starts at a random point of the dynamic
band and scans forward, wrapping around, and falls back to the static band only when the
dynamic one is full. For 10.96.0.0/12 the static band is 10.96.0.1-10.96.1.0; for ports
30000-32767 it is 30000-30085.
"""

from __future__ import annotations

import ipaddress
import random


class RangeFull(Exception):
    pass


class NotInRange(Exception):
    pass


class Allocated(Exception):
    pass


class _Bitmap:
    def __init__(self, size: int, offset: int) -> None:
        self.size = size
        self.offset = offset
        self.used: set[int] = set()

    def allocate(self, i: int) -> None:
        if not 0 <= i < self.size:
            raise NotInRange
        if i in self.used:
            raise Allocated
        self.used.add(i)

    def next(self, rng: random.Random) -> int:
        for lo, hi in ((self.offset, self.size), (0, self.offset)):
            span = hi - lo
            if span <= 0:
                continue
            start = rng.randrange(span)
            for k in range(span):
                i = lo + (start + k) % span
                if i not in self.used:
                    self.used.add(i)
                    return i
        raise RangeFull

    def release(self, i: int) -> None:
        self.used.discard(i)


class IPAllocator:
    """ClusterIPs from the service CIDR (network and broadcast addresses excluded)."""

    def __init__(self, cidr: str, rng: random.Random) -> None:
        self.cidr = cidr
        self.network = ipaddress.ip_network(cidr)
        self.base = int(self.network.network_address) + 1
        size = self.network.num_addresses - 2
        self._map = _Bitmap(size, min(max(16, size // 16), 256))
        self.rng = rng

    def allocate(self, ip: str) -> None:
        """Reserve a requested IP; NotInRange or Allocated when that cannot be."""
        try:
            addr = int(ipaddress.IPv4Address(ip))
        except ValueError:
            raise NotInRange from None
        self._map.allocate(addr - self.base)

    def next(self) -> str:
        return str(ipaddress.IPv4Address(self.base + self._map.next(self.rng)))

    def contains(self, ip: str) -> bool:
        """Whether ``ip`` is in the service CIDR, its network and broadcast addresses included."""
        try:
            return ipaddress.IPv4Address(ip) in self.network
        except ValueError:
            return False

    def release(self, ip: str) -> None:
        try:
            self._map.release(int(ipaddress.IPv4Address(ip)) - self.base)
        except ValueError:
            pass

    def in_use(self, ip: str) -> bool:
        try:
            return int(ipaddress.IPv4Address(ip)) - self.base in self._map.used
        except ValueError:
            return False

    def allocated(self) -> list[str]:
        """Every address handed out, in order."""
        return [str(ipaddress.IPv4Address(self.base + i)) for i in sorted(self._map.used)]

    def indexed(self, n: int) -> str:
        """The n-th address of the range (1 is 10.96.0.1, the ``kubernetes`` Service)."""
        return str(self.network.network_address + n)


class PortAllocator:
    """NodePorts from 30000-32767."""

    def __init__(self, first: int, last: int, rng: random.Random) -> None:
        self.first, self.last = first, last
        size = last - first + 1
        self._map = _Bitmap(size, min(max(16, size // 32), 128))
        self.rng = rng

    def allocate(self, port: int) -> None:
        self._map.allocate(port - self.first)

    def next(self) -> int:
        return self.first + self._map.next(self.rng)

    def release(self, port: int) -> None:
        self._map.release(port - self.first)

    def in_use(self, port: int) -> bool:
        return port - self.first in self._map.used

    def allocated(self) -> list[int]:
        """Every port handed out, in order."""
        return [self.first + i for i in sorted(self._map.used)]

    @property
    def range_text(self) -> str:
        return f"{self.first}-{self.last}"


class RangeAllocator:
    """Hands out the subnets of a CIDR (the node IPAM controller's podCIDRs): the next free one
    after the last given, wrapping around, as ``cidrset`` does; a freed subnet comes back into use
    only once the others are taken."""

    def __init__(self, cidr: str, prefix: int) -> None:
        self.network = ipaddress.ip_network(cidr)
        if not self.network.prefixlen <= prefix <= self.network.max_prefixlen:
            raise ValueError(f"a /{prefix} per node does not fit in {cidr}")
        self.prefix = prefix
        self.size = 1 << (prefix - self.network.prefixlen)
        self.used: set[int] = set()
        self.last: int | None = None

    def free(self) -> int | None:
        """The index of the subnet :meth:`next` would give, or None when all are in use."""
        start = 0 if self.last is None else self.last + 1
        for i in range(self.size):
            index = (start + i) % self.size
            if index not in self.used:
                return index
        return None

    def next(self) -> str:
        """The next free subnet, or ValueError in the node IPAM controller's words when none is left."""
        index = self.free()
        if index is None:
            raise ValueError(f"CIDR allocation failed; there are no remaining CIDRs left to allocate in the "
                             f"accepted range (all {self.size} /{self.prefix} subnets of {self.network} are in use)")
        self.used.add(index)
        self.last = index
        return self._subnet(index)

    def release(self, cidr: str) -> None:
        net = ipaddress.ip_network(cidr)
        if net.prefixlen == self.prefix and net.subnet_of(self.network):  # type: ignore[arg-type]  # both IPv4 here
            index = (int(net.network_address) - int(self.network.network_address)) >> (net.max_prefixlen - self.prefix)
            self.used.discard(index)

    def _subnet(self, index: int) -> str:
        base = int(self.network.network_address) + (index << (self.network.max_prefixlen - self.prefix))
        return str(ipaddress.ip_network((base, self.prefix)))

    def state(self) -> tuple[list[int], int | None]:
        """What the allocator remembers: the subnets in use and the last one given."""
        return sorted(self.used), self.last
