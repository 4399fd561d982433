"""The API server's allocators for Service ClusterIPs, NodePorts and podCIDRs.

ClusterIPs and NodePorts work like ``pkg/registry/core/service/ipallocator`` and ``portallocator``:
a range is split into a small static band at the bottom (kept for addresses people ask for by
hand) and a dynamic band above it; automatic allocation starts at a random point of the dynamic
band and scans forward, wrapping around, and falls back to the static band only when the dynamic
one is full. For 10.96.0.0/12 the static band is 10.96.0.1-10.96.1.0; for ports 30000-32767 it is
30000-30085.

Since 1.33 the ClusterIP ranges are those of the ServiceCIDR objects, and an address is taken when
an IPAddress object of that name exists (:mod:`kitlib.apiserver.servicecidr_strategy` keeps the
objects and this allocator in step). :class:`IPAllocator` is the ``MetaAllocator``: one range per
CIDR, the addresses in use shared by all of them.
"""

from __future__ import annotations

import ipaddress
import random


class RangeFull(Exception):
    """``ErrFull``."""

    def __str__(self) -> str:
        return "range is full"


class NotInRange(Exception):
    """``ErrNotInRange`` (a NodePort, or a ClusterIP checked by a dry run): outside the range."""

    def __str__(self) -> str:
        return f"provided IP {self.args[0]} is not in the valid range" if self.args else "not in range"


class Allocated(Exception):
    """``ErrAllocated``."""

    def __str__(self) -> str:
        return "provided IP is already allocated"


class Mismatch(Exception):
    """``ErrMismatchedNetwork``: no ready range contains the address (its network and broadcast
    addresses are in none: ``PrefixContainsIP``)."""

    def __str__(self) -> str:
        return "the provided network does not match the current range"


class NotReady(Exception):
    """``ErrNotReady``: the range's ServiceCIDR is not ready (being deleted)."""

    def __str__(self) -> str:
        return "allocator not ready"


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
        return next_free(self.size, self.offset, self.used, 0, rng)

    def release(self, i: int) -> None:
        self.used.discard(i)


def next_free(size: int, offset: int, used: set[int], base: int, rng: random.Random) -> int:
    """The index below ``size`` that automatic allocation takes (marked in ``used``, which holds
    ``base`` + index): a random start in the dynamic band ``[offset, size)``, scanning forward and
    wrapping; then the same in the static band ``[0, offset)``; RangeFull when both are full."""
    for lo, hi in ((offset, size), (0, offset)):
        span = hi - lo
        if span <= 0:
            continue
        start = rng.randrange(span)
        for k in range(span):
            i = lo + (start + k) % span
            if base + i not in used:
                used.add(base + i)
                return i
    raise RangeFull


def range_offset(cidr_size: int) -> int:
    """``calculateRangeOffset``: the static band, min(max(16, size / 16), 256) addresses of a range
    of ``cidr_size`` (network and broadcast included), none for a range of 16 or fewer."""
    if cidr_size <= 16:
        return 0
    return min(max(16, cidr_size // 16), 256)


class IPRange:
    """One ServiceCIDR's IPv4 range (an ``Allocator``): its first usable address, how many there are
    (network and broadcast excluded), its static band, and the ServiceCIDRs that hold it, each
    with whether it is ready (the range is when one of them is)."""

    def __init__(self, cidr: str) -> None:
        self.cidr = cidr
        self.network = ipaddress.IPv4Network(cidr)
        self.first = int(self.network.network_address) + 1
        self.size = max(self.network.num_addresses - 2, 0)
        self.offset = range_offset(self.network.num_addresses)
        self.owners: dict[str, bool] = {}

    @property
    def ready(self) -> bool:
        return any(self.owners.values())

    def contains(self, addr: int) -> bool:
        """``PrefixContainsIP``: in the range, not its network or broadcast address."""
        return self.first <= addr < self.first + self.size


class IPAllocator:
    """ClusterIPs from the ServiceCIDRs' IPv4 ranges (``MetaAllocator``). The addresses in use are
    one set for every range, as the real allocators all read the same IPAddress objects; an
    address outside every range can be in use too (an IPAddress created by hand).

    ``cidr`` is ``--service-cluster-ip-range``, the range of the ServiceCIDR ``kubernetes``; the
    ranges themselves are added as ServiceCIDRs are created (:meth:`add_range`)."""

    def __init__(self, cidr: str, rng: random.Random) -> None:
        self.cidr = cidr
        self.network = ipaddress.ip_network(cidr)
        self.rng = rng
        self.used: set[int] = set()
        """Every IPv4 address in use, as an integer."""
        self.ranges: dict[str, IPRange] = {}
        """By CIDR, in the order they came."""

    # ------------------------------------------------------------------ ranges

    def add_range(self, cidr: str, owner: str, ready: bool = True) -> None:
        """ServiceCIDR ``owner`` holds ``cidr`` (an IPv4 subnet)."""
        self.ranges.setdefault(cidr, IPRange(cidr)).owners[owner] = ready

    def remove_range(self, cidr: str, owner: str) -> None:
        """``owner`` holds ``cidr`` no more; the range goes with its last ServiceCIDR."""
        r = self.ranges.get(cidr)
        if r is not None:
            r.owners.pop(owner, None)
            if not r.owners:
                del self.ranges[cidr]

    def set_ready(self, cidr: str, owner: str, ready: bool) -> None:
        r = self.ranges.get(cidr)
        if r is not None and owner in r.owners:
            r.owners[owner] = ready

    def _in_map_order(self) -> list[IPRange]:
        """The ranges as Go iterates its map of allocators: from a random one onwards (a draw
        only when there are several, so a cluster with one range draws nothing here)."""
        ranges = list(self.ranges.values())
        if len(ranges) > 1:
            start = self.rng.randrange(len(ranges))
            ranges = ranges[start:] + ranges[:start]
        return ranges

    # ------------------------------------------------------------------ allocation

    def next(self) -> str:
        """``AllocateNextService``: a free address from the first ready range that has one."""
        for r in self._in_map_order():
            if r.ready:
                try:
                    return str(ipaddress.IPv4Address(r.first + next_free(r.size, r.offset, self.used, r.first, self.rng)))
                except RangeFull:
                    continue
        raise RangeFull

    def allocate(self, ip: str) -> None:
        """``AllocateService``: reserve a requested address of a ready range; Mismatch or Allocated
        when that cannot be."""
        addr = self._int(ip)
        if addr is None or not any(r.ready and r.contains(addr) for r in self.ranges.values()):
            raise Mismatch
        if addr in self.used:
            raise Allocated
        self.used.add(addr)

    def dry_run_next(self) -> str:
        """What a dry run is told (``dryRunAllocator.AllocateNext``): the network address of one
        range, nothing reserved."""
        ranges = self._in_map_order()
        if not ranges:
            raise RangeFull
        if not ranges[0].ready:
            raise NotReady
        return str(ranges[0].network.network_address)

    def dry_run_check(self, ip: str) -> None:
        """What a dry run checks of a requested address (``dryRunAllocator.Allocate``): only that
        one range holds it, not whether it is taken."""
        ranges = self._in_map_order()
        if not ranges:
            raise Mismatch
        if not ranges[0].ready:
            raise NotReady
        addr = self._int(ip)
        if addr is None or not ranges[0].contains(addr):
            raise NotInRange(ip)

    def reserve(self, ip: str) -> bool:
        """Mark an address in use, in a range or not (an IPAddress object was created); False if
        it was already, or is no IPv4 address."""
        addr = self._int(ip)
        if addr is None or addr in self.used:
            return False
        self.used.add(addr)
        return True

    def release(self, ip: str) -> None:
        addr = self._int(ip)
        if addr is not None:
            self.used.discard(addr)

    # ------------------------------------------------------------------ reading

    def in_use(self, ip: str) -> bool:
        addr = self._int(ip)
        return addr is not None and addr in self.used

    def allocated(self) -> list[str]:
        """Every address in use, in order."""
        return [str(ipaddress.IPv4Address(a)) for a in sorted(self.used)]

    def indexed(self, n: int) -> str:
        """The n-th address of ``--service-cluster-ip-range`` (1 is 10.96.0.1, the ``kubernetes``
        Service)."""
        return str(self.network.network_address + n)

    def state(self) -> list[tuple[str, list[tuple[str, bool]]]]:
        """The ranges as plain values: each CIDR with its ServiceCIDRs and their readiness."""
        return [(c, sorted(r.owners.items())) for c, r in self.ranges.items()]

    @staticmethod
    def _int(ip: str) -> int | None:
        try:
            return int(ipaddress.IPv4Address(ip))
        except ValueError:
            return None


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

    def reserve(self, cidr: str) -> None:
        """Mark ``cidr`` (one of this range's subnets) in use, as the node IPAM controller does for
        a Node that already has its podCIDR (``occupyCIDRs``): a cluster loaded from a dump."""
        net = ipaddress.ip_network(cidr)
        if net.prefixlen == self.prefix and net.subnet_of(self.network):  # type: ignore[arg-type]  # both IPv4 here
            index = (int(net.network_address) - int(self.network.network_address)) >> (net.max_prefixlen - self.prefix)
            self.used.add(index)
            self.last = index if self.last is None else max(self.last, index)

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
