"""A packet tracer over kube-proxy's nftables table, after ``nftablesTracer`` in kube-proxy's
``pkg/proxy/nftables/helpers_test.go``: it runs a new connection's first packet through the
rules as kube-proxy writes them (``nft.written_text``), with the same regular expressions for
the pieces of rule the proxier writes, and reports where it went.

``trace(table, src, proto, dst, port, node_ips)`` returns ``(output, masq)``: the endpoints the
packet may be DNATed to, joined with ``", "`` in vmap order (or ``"REJECT"``, ``"DROP"``, or
``""`` when no rule acts), and whether it was marked for masquerading. As in kube-proxy's
tracer, every packet goes through the prerouting chains (a node's own packets too), then the
forward and input filter chains with the DNATed destination.
"""

from __future__ import annotations

import ipaddress
import re

from kitlib.network.proxy.nft import written_text
from kitlib.network.proxy.nftrules import Chain, Set, Table

IGNORED = re.compile(r' *comment "[^"]*"$|^ct state new')
DEST_IP_ONLY_LOOKUP = re.compile(r"^ip6* daddr @(\S+)")
DEST_DISPATCH = re.compile(r"^ip6* daddr \. meta l4proto \. th dport vmap @(\S+)$")
DEST_PORT_DISPATCH = re.compile(r"^meta l4proto \. th dport vmap @(\S+)$")
DEST_ADDR_LOOKUP = re.compile(r"^ip6* daddr (!= )?\{([^}]*)\}")
DEST_ADDR = re.compile(r"^ip6* daddr (!= )?(\S+)")
DEST_ADDR_LOCAL = re.compile(r"^fib daddr type local")
SOURCE_SET_LOOKUP = re.compile(r"^ip6* saddr @(\S+)")
SOURCE_ADDR_LOOKUP = re.compile(r"^ip6* saddr (!= )?\{([^}]*)\}")
SOURCE_ADDR = re.compile(r"^ip6* saddr (!= )?(\S+)")
SOURCE_ADDR_LOCAL = re.compile(r"^fib saddr type local")
ENDPOINT_VMAP = re.compile(r"^numgen random mod \d+ vmap \{(.*)\}$")
ENDPOINT_VMAP_ENTRY = re.compile(r"\d+ : goto (\S+)")
MASQUERADE = re.compile(r"^jump mark-for-masquerade$")
JUMP = re.compile(r"^(jump|goto) (\S+)$")
RETURN = re.compile(r"^return$")
VERDICT = re.compile(r"^(drop|reject)$")
DNAT = re.compile(r"^meta l4proto (tcp|udp|sctp) dnat to (\S+)$")
UPDATE = re.compile(r"^update @\S+ \{ ip saddr \}")


def _matches(ip: str, address: str) -> bool:
    if "/" in address:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(address, strict=False)
    return ipaddress.ip_address(ip) == ipaddress.ip_address(address)


class Tracer:
    def __init__(self, table: Table, node_ips: set[str]) -> None:
        self.objects = {o.name: o for o in table.objects}
        self.node_ips = node_ips
        self.outputs: list[str] = []
        self.masq = False
        self.matched: list[str] = []

    def _set(self, name: str) -> Set:
        obj = self.objects[name]
        assert isinstance(obj, Set), name
        return obj

    def run(self, name: str, src: str, proto: str, dst: str, port: str) -> bool:
        """Run the packet through chain ``name``: True if it reached a terminal verdict."""
        chain = self.objects.get(name)
        assert isinstance(chain, Chain), f"unknown chain {name!r}"
        for rule in chain.rules:
            text = IGNORED.sub("", written_text(rule))
            while text:
                text = text.lstrip(" ")
                if m := DEST_IP_ONLY_LOOKUP.match(text):
                    text = text[m.end():]
                    if not any(e.key[0] == dst for e in self._set(m[1]).elements):
                        text = ""
                elif m := DEST_DISPATCH.match(text):
                    found = [e for e in self._set(m[1]).elements if e.key == (dst, proto, port)]
                    text = found[0].value if found else ""
                elif m := DEST_PORT_DISPATCH.match(text):
                    found = [e for e in self._set(m[1]).elements if e.key == (proto, port)]
                    text = found[0].value if found else ""
                elif m := DEST_ADDR_LOOKUP.match(text):
                    text = text[m.end():]
                    inside = any(_matches(dst, a.strip()) for a in m[2].split(","))
                    if inside == bool(m[1]):
                        text = ""
                elif m := DEST_ADDR.match(text):
                    text = text[m.end():]
                    if _matches(dst, m[2]) == bool(m[1]):
                        text = ""
                elif m := DEST_ADDR_LOCAL.match(text):
                    text = text[m.end():]
                    if dst not in self.node_ips:
                        text = ""
                elif m := SOURCE_SET_LOOKUP.match(text):
                    text = text[m.end():]
                    if not any(e.key[0] == src for e in self._set(m[1]).elements):
                        text = ""
                elif m := SOURCE_ADDR_LOOKUP.match(text):
                    text = text[m.end():]
                    inside = any(_matches(src, a.strip()) for a in m[2].split(","))
                    if inside == bool(m[1]):
                        text = ""
                elif m := SOURCE_ADDR.match(text):
                    text = text[m.end():]
                    if _matches(src, m[2]) == bool(m[1]):
                        text = ""
                elif m := SOURCE_ADDR_LOCAL.match(text):
                    text = text[m.end():]
                    if src not in self.node_ips:
                        text = ""
                elif m := MASQUERADE.match(text):
                    text = text[m.end():]
                    self.matched.append(written_text(rule))
                    self.masq = True
                elif m := JUMP.match(text):
                    self.matched.append(written_text(rule))
                    if self.run(m[2], src, proto, dst, port):
                        return True
                    if m[1] == "goto":
                        return False
                    text = ""
                elif m := RETURN.match(text):
                    return False
                elif m := VERDICT.match(text):
                    self.outputs.append(m[1].upper())
                    return True
                elif m := UPDATE.match(text):
                    text = text[m.end():]
                elif m := ENDPOINT_VMAP.match(text):
                    self.matched.append(written_text(rule))
                    for target in ENDPOINT_VMAP_ENTRY.findall(m[1]):
                        self.run(target, src, proto, dst, port)
                    return True
                elif m := DNAT.match(text):
                    self.outputs.append(m[2])
                    return True
                else:
                    raise AssertionError(f"the tracer does not know {text!r} in {written_text(rule)!r}")
        return False


def trace(table: Table, src: str, proto: str, dst: str, port: int | str,
          node_ips: set[str] | frozenset[str]) -> tuple[str, bool]:
    """Where a new connection's first packet from ``src`` to ``dst:port`` goes (see the module)."""
    t = Tracer(table, set(node_ips))
    port = str(port)
    if t.run("filter-prerouting-pre-dnat", src, proto, dst, port):
        return ", ".join(t.outputs), t.masq
    t.run("nat-prerouting", src, proto, dst, port)
    if t.outputs:
        dst = t.outputs[0].rsplit(":", 1)[0]
    if not t.run("filter-forward", src, proto, dst, port):
        t.run("filter-input", src, proto, dst, port)
    return ", ".join(t.outputs), t.masq
