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
