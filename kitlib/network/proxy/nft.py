"""``nft list table ip kube-proxy``: kube-proxy's nftables table (:mod:`.nftrules`) printed as text.

:func:`list_table` prints what ``nft list table`` prints (nftables 1.x): the table's comment,
then each chain, set and map in the table's order, one tab per level, a blank line between
them. ``nft`` prints rules back in its own spelling, not in the words kube-proxy wrote: marks
as ``meta mark set meta mark | 0x00004000``, an anonymous set of one element without its braces,
``, `` between a vmap's elements. Base chains show their priority by its standard name when
they are within 10 of one valid for their hook (``dstnat - 10``, ``filter``, ``srcnat``). A
named set's elements come two to a line for addresses and one to a line for a map's
concatenations, as ``nft`` wraps them. An affinity set's element shows the time it has left
(``expires``); its timeout is the set's. Two things differ from a real node: elements are in
address order (the kernel lists a hash set in its own order), and stale chains, which kube-proxy
flushes at one sync and deletes at a later one, are already gone.

:func:`dump` prints the same table as the lines of an ``nft -f`` transaction, the format of
knftables' fake, which kube-proxy's unit tests (``pkg/proxy/nftables/proxier_test.go``) compare
with: ``add chain ip kube-proxy …``, ``add rule ip kube-proxy <chain> <rule as written>``.
"""

from __future__ import annotations

from .nftrules import Element, Rule, Set, Table

# (value, name, the only hooks it may name there: None for any)
_STANDARD_PRIORITIES = (
    (-300, "raw", None), (-150, "mangle", None), (-100, "dstnat", ("prerouting",)),
    (0, "filter", None), (50, "security", None), (100, "srcnat", ("postrouting",)),
)
_INDENT = "\t"
_WRAP = ",\n\t\t\t     "  # nft's continuation between set elements


def priority_text(priority: int, hook: str) -> str:
    """A base chain's priority as ``nft list`` prints it.

    >>> priority_text(-110, "prerouting"), priority_text(-110, "output"), priority_text(0, "input")
    ('dstnat - 10', '-110', 'filter')
    """
    for value, name, hooks in _STANDARD_PRIORITIES:
        if abs(priority - value) <= 10 and (hooks is None or hook in hooks):
            offset = priority - value
            return name if not offset else f"{name} {'+' if offset > 0 else '-'} {abs(offset)}"
    return str(priority)


def time_text(ms: int) -> str:
    """A duration as ``nft`` prints it: ``3h``, ``2h59m50s``, ``9s120ms``.

    >>> time_text(10_800_000), time_text(10_790_000), time_text(9_120)
    ('3h', '2h59m50s', '9s120ms')
    """
    out = ""
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms >= size:
            out += f"{ms // size}{unit}"
            ms %= size
    return out + (f"{ms}ms" if ms or not out else "")


def rule_text(rule: Rule) -> str:
    """One rule as ``nft list`` prints it back, e.g.
    ``numgen random mod 2 vmap { 0 : goto endpoint-…, 1 : goto endpoint-… }``."""
    match, action, comment, vmap = rule.match, rule.action, rule.comment, rule.vmap
    if vmap:
        action = f"numgen random mod {len(vmap)} vmap {{ " + \
            ", ".join(f"{i} : goto {c}" for i, c in enumerate(vmap)) + " }"
    text = f"{match} {action}" if match and action else match or action
    return f'{text} comment "{comment}"' if comment else text


def written_text(rule: Rule) -> str:
    """One rule in the words kube-proxy writes it (the ``add rule`` line of its transaction)."""
    if rule.written:
        text = rule.written
    elif rule.vmap:
        text = f"{rule.match} " if rule.match else ""
        text += f"numgen random mod {len(rule.vmap)} vmap {{ " + \
            " , ".join(f"{i} : goto {c}" for i, c in enumerate(rule.vmap)) + " }"
    else:
        text = f"{rule.match} {rule.action}" if rule.match and rule.action else rule.match or rule.action
    return f'{text} comment "{rule.comment}"' if rule.comment else text


def element_text(e: Element) -> str:
    """One element as ``nft list`` prints it: the key, its comment, ``: verdict`` in a map."""
    text = " . ".join(e.key)
    if e.expires is not None:
        text += " expires " + time_text(e.expires)
    if e.comment:
        text += f' comment "{e.comment}"'
    return f"{text} : {e.value}" if e.value else text


def _elements(s: Set) -> str:
    # nft wraps a named set's elements: addresses two to a line, a map's concatenations one to a line.
    parts = [element_text(e) for e in s.elements]
    if s.is_map:
        return _WRAP.join(parts)
    pairs = [", ".join(parts[i:i + 2]) for i in range(0, len(parts), 2)]
    return _WRAP.join(pairs)


def _set_lines(s: Set) -> list[str]:
    kind = "map" if s.is_map else "set"
    lines = [f"\t{kind} {s.name} {{", f"\t\ttype {s.type}"]
    if s.flags:
        lines.append(f"\t\tflags {s.flags}")
    if s.timeout is not None:
        lines.append(f"\t\ttimeout {time_text(s.timeout * 1000)}")
    if s.comment:
        lines.append(f'\t\tcomment "{s.comment}"')
    if s.elements:
        lines.append(f"\t\telements = {{ {_elements(s)} }}")
    lines.append("\t}")
    return lines


def list_table(table: Table) -> str:
    """What ``nft list table ip kube-proxy`` prints."""
    lines = [f"table {table.family} {table.name} {{", f'\tcomment "{table.comment}"']
    append = lines.append
    for o in table.objects:
        append("")
        if isinstance(o, Set):
            lines += _set_lines(o)
            continue
        # A large table has a few hundred thousand rules: chains are printed inline.
        append(f"\tchain {o.name} {{")
        if o.comment:
            append(f'\t\tcomment "{o.comment}"')
        if o.hook:
            append(f"\t\ttype {o.type} hook {o.hook} priority {priority_text(o.priority, o.hook)}; policy accept;")
        for r in o.rules:
            if r.vmap or r.comment:
                append("\t\t" + rule_text(r))
            else:
                match, action = r.match, r.action
                append(f"\t\t{match} {action}" if match and action else "\t\t" + (match or action))
        append("\t}")
    append("}")
    return "\n".join(lines) + "\n"


def dump(table: Table) -> str:
    """The table as the ``add …`` lines of an ``nft -f`` transaction (knftables' fake dump):
    the table, then its chains, sets and maps, the rules chain by chain, the elements."""
    prefix = f"{table.family} {table.name}"
    lines = [f'add table {prefix} {{ comment "{table.comment}" ; }}']
    for o in table.objects:
        if isinstance(o, Set):
            opts = [f"type {o.type}"] + ([f"flags {o.flags}"] if o.flags else []) + \
                ([f"timeout {o.timeout}s"] if o.timeout is not None else []) + \
                ([f'comment "{o.comment}"'] if o.comment else [])
            lines.append(f"add {'map' if o.is_map else 'set'} {prefix} {o.name} {{ {' ; '.join(opts)} ; }}")
        elif o.hook:
            lines.append(f"add chain {prefix} {o.name} {{ type {o.type} hook {o.hook} priority {o.priority} ; }}")
        elif o.comment:
            lines.append(f'add chain {prefix} {o.name} {{ comment "{o.comment}" ; }}')
        else:
            lines.append(f"add chain {prefix} {o.name}")
    for c in table.chains():
        lines += [f"add rule {prefix} {c.name} {written_text(r)}" for r in c.rules]
    for s in table.sets():
        for e in s.elements:
            key = " . ".join(e.key) + (f' comment "{e.comment}"' if e.comment else "")
            lines.append(f"add element {prefix} {s.name} {{ {key}{' : ' + e.value if e.value else ''} }}")
    return "\n".join(lines) + "\n"
