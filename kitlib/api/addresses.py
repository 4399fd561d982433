"""IP addresses as text: the checks the API's validation and the data path share."""

from __future__ import annotations

import ipaddress


def is_ip(text: str) -> bool:
    """Whether ``text`` is an IPv4 or IPv6 address.

    >>> is_ip("10.96.0.1"), is_ip("web")
    (True, False)
    """
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def in_cidr(ip: str, cidr: str) -> bool:
    """Whether address ``ip`` lies in ``cidr`` (False for anything that is not an address).

    >>> in_cidr("10.244.1.7", "10.244.0.0/16"), in_cidr("web", "10.244.0.0/16")
    (True, False)
    """
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr)
    except ValueError:
        return False


IP_MSG = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
CIDR_MSG = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def parse_ip_sloppy(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address Go's ``netutils.ParseIPSloppy`` reads in ``text``: as ``net.ParseIP`` before Go
    1.17, IPv4 octets may have leading zeros (``010.1.2.3`` is 10.1.2.3); None if it is no address.

    >>> parse_ip_sloppy("010.96.0.1"), parse_ip_sloppy("10.96.0.256")
    (IPv4Address('10.96.0.1'), None)
    """
    if ":" not in text:
        parts = text.split(".")
        if len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in parts) or any(int(p) > 255 for p in parts):
            return None
        return ipaddress.IPv4Address(".".join(str(int(p)) for p in parts))
    if "%" in text:  # a zone: netip reads it, net.ParseIP does not
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def parse_cidr_sloppy(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """The subnet ``netutils.ParseCIDRSloppy`` reads in ``text`` (None if it is no CIDR): the
    address as :func:`parse_ip_sloppy` reads it, a prefix length of digits (leading zeros allowed),
    host bits cleared (``10.0.0.1/8`` is 10.0.0.0/8), as kube-proxy keeps a source range.

    >>> parse_cidr_sloppy("010.0.0.1/08"), parse_cidr_sloppy("10.0.0.0"), parse_cidr_sloppy("10.0.0.0/33")
    (IPv4Network('10.0.0.0/8'), None, None)
    """
    addr, slash, bits = text.partition("/")
    ip = parse_ip_sloppy(addr)
    if not slash or ip is None or not bits.isascii() or not bits.isdigit() or int(bits) > ip.max_prefixlen:
        return None
    return ipaddress.ip_network(f"{ip}/{int(bits)}", strict=False)


def ip_errors(value: str) -> list[str]:
    """``IsValidIP`` (apimachinery, strict since 1.33): why ``value`` is not an IP address in
    canonical form, for fields such as an IPAddress's name.

    >>> ip_errors("10.96.0.10"), ip_errors("10.096.0.10"), ip_errors("2001:DB8::1")
    ([], ['must not have leading 0s'], ['must be in canonical form ("2001:db8::1")'])
    """
    ip = parse_ip_sloppy(value)
    if ip is None:
        return [IP_MSG]
    errs = []
    if ip.version == 4 and str(ip) != value:
        errs.append("must not have leading 0s")  # net.ParseIP reads it, netip.ParseAddr does not
    if ip.version == 6 and ip.ipv4_mapped is not None:
        errs.append("must not be an IPv4-mapped IPv6 address")
    if errs:
        return errs
    return [] if str(ip) == value else [f'must be in canonical form ("{ip}")']


def cidr_errors(value: str) -> list[str]:
    """``IsValidCIDR`` (strict since 1.33): why ``value`` is not a subnet in canonical form.

    >>> cidr_errors("10.100.0.0/16"), cidr_errors("10.100.0.1/16")
    ([], ['must not have bits set beyond the prefix length'])
    >>> cidr_errors("10.100.0.0/016"), cidr_errors("10.100.0.0")
    (['must not have leading 0s in IP or prefix length'], ['must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'])
    """
    addr, slash, bits = value.partition("/")
    ip = parse_ip_sloppy(addr)
    if not slash or ip is None or not bits.isascii() or not bits.isdigit() or int(bits) > ip.max_prefixlen:
        return [CIDR_MSG]
    network = ipaddress.ip_network(f"{ip}/{int(bits)}", strict=False)
    if (ip.version == 4 and str(ip) != addr) or (bits != "0" and bits.startswith("0")):
        return ["must not have leading 0s in IP or prefix length"]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ["must not have an IPv4-mapped IPv6 address"]
    if ip != network.network_address:
        return ["must not have bits set beyond the prefix length"]
    return [] if str(network) == value else [f'must be in canonical form ("{network}")']
