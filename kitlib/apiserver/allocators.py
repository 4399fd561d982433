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
    """Hands out consecutive subnets of a CIDR (the node IPAM controller's podCIDRs)."""

    def __init__(self, cidr: str, prefix: int) -> None:
        self.network = ipaddress.ip_network(cidr)
        self._subnets = self.network.subnets(new_prefix=prefix)
        self.given = 0
        """How many subnets were handed out."""

    def next(self) -> str:
        """The next free subnet."""
        self.given += 1
        return str(next(self._subnets))

    def state(self) -> int:
        """What the allocator remembers: how many subnets it gave out."""
        return self.given
