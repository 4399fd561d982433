"""Checks for lesson 4, "Under the hood: kube-proxy"."""

from __future__ import annotations

import ipaddress

from ..network.proxy import nat_table, nft_table
from .feedback import Feedback, not_yet, ok
from .progress import exercise


def _in_mode(cluster, mode: str) -> Feedback | None:
    """A hint when kube-proxy is not in ``mode`` (each exercise reads one mode's rules), else None."""
    current = getattr(cluster, "proxy_mode", "iptables")
    if current == mode:
        return None
    return not_yet(f"kube-proxy is in {current} mode, and this exercise reads its {mode} rules.",
                   f'cluster.set_proxy_mode("{mode}"), or the kube-proxy menu of the lab.')


def probabilities(cluster, node: str = "minikube", service: str = "default/web") -> list[float]:
    """The probabilities of the KUBE-SVC chain's jumps, in rule order (the last, unconditional, is 1)."""
    # ClientIP affinity adds a "-m recent --rcheck" rule per endpoint before the random ones.
    return [1.0 if r.probability is None else r.probability
            for r in nat_table(cluster.runtime, node).rules()
            if r.chain.startswith("KUBE-SVC-") and r.comment.startswith(f"{service} -> ")
            and r.target.startswith("KUBE-SEP-") and r.recent is None]


@exercise
def check_probabilities(cluster, answer, service: str = "default/web", replicas: int = 4) -> Feedback:
    """Exercise 1: the learner's predicted probabilities match the rules kube-proxy wrote."""
    d = cluster.get("Deployment", "web")
    if d.spec.replicas != replicas:
        return not_yet(f"web runs {d.spec.replicas} replicas.", f'cluster.scale("web", {replicas}); cluster.advance(10)')
    wrong_mode = _in_mode(cluster, "iptables")
    if wrong_mode is not None:
        return wrong_mode
    actual = probabilities(cluster)
    if len(actual) != replicas:
        return not_yet(f"the chain has {len(actual)} endpoints; wait for all {replicas} pods to be ready.",
                       "cluster.advance(10)")
    try:
        guess = [float(x) for x in answer]
    except (TypeError, ValueError):
        return not_yet("answer should be a list of numbers.", "For three endpoints: [1/3, 1/2, 1].")
    if len(guess) != len(actual) or any(abs(a - b) > 0.01 for a, b in zip(guess, actual, strict=False)):
        return not_yet(f"your list {answer} does not match the rules.",
                       "With n endpoints the rules read 1/n, 1/(n-1), ..., 1.")
    return ok("the chain reads " + ", ".join(f"{p:.4f}" for p in actual) + ": each pod gets 1/4 of new connections.")


@exercise
def check_sep_chain(cluster, chain: str, node: str = "minikube", service: str = "default/web") -> Feedback:
    """Exercise 2: the KUBE-SEP chain that DNATs to the pod with the lowest IP."""
    wrong_mode = _in_mode(cluster, "iptables")
    if wrong_mode is not None:
        return wrong_mode
    dnat = {r.chain: r.to_destination.rsplit(":", 1)[0] for r in nat_table(cluster.runtime, node).rules()
            if r.chain.startswith("KUBE-SEP-") and r.target == "DNAT" and r.comment == service}
    if not dnat:
        return not_yet(f"no endpoint chains for {service} on {node}.", "Run the lesson's cells first.")
    lowest = min(dnat.items(), key=lambda kv: tuple(int(x) for x in kv[1].split(".")))
    if not chain:
        return not_yet("chain is empty.", "Look for the -j DNAT rules and compare their --to-destination.")
    if chain.strip() != lowest[0]:
        got = dnat.get(chain.strip())
        return not_yet(f"{chain} DNATs to {got}" if got else f"{chain} is not one of web's endpoint chains.",
                       "The chain name is on the left of the rule with -j DNAT --to-destination <lowest IP>.")
    return ok(f"{lowest[0]} rewrites the destination to {lowest[1]}; its name is a hash of the service port, "
              "the protocol and the endpoint.")


def numgen_targets(cluster, node: str = "minikube", service: str = "web", namespace: str = "default") -> list[str]:
    """In nftables mode, the endpoint each value of the Service chain's ``numgen random mod N``
    leads to, as ``IP:port``, value 0 first: the vmap's ``goto endpoint-…`` chains, each followed
    to its ``dnat to`` rule."""
    table = nft_table(cluster.runtime, node).for_service(namespace, service)
    chains = {c.name: c for c in table.chains()}
    vmap = next((r.vmap for c in table.chains() if c.name.startswith("service-")
                 for r in c.rules if r.vmap), ())
    out = []
    for chain in vmap:
        dnat = next((r.action for r in chains[chain].rules if r.action.startswith("dnat to ")), "")
        out.append(dnat.removeprefix("dnat to "))
    return out


def _ip_of(value: object) -> str:
    """``"10.244.0.3"`` from ``"10.244.0.3"`` or ``"10.244.0.3:80"``; ``""`` for anything else."""
    text = str(value).strip()
    host = text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        return ""


@exercise
def check_numgen(cluster, answer, node: str = "minikube", service: str = "web") -> Feedback:
    """Exercise 3: in nftables mode, the pod IP behind each value of ``numgen random mod N``, as a
    list (value 0 first) or a dict value → IP."""
    wrong_mode = _in_mode(cluster, "nftables")
    if wrong_mode is not None:
        return wrong_mode
    targets = numgen_targets(cluster, node, service)
    if not targets:
        return not_yet(f"{service} has no endpoints on {node}'s service chain.", "Are the web pods Running? cluster.advance(10)")
    actual = [_ip_of(t) for t in targets]
    n = len(actual)
    if isinstance(answer, dict):
        try:
            given = {int(k): v for k, v in answer.items()}
        except (TypeError, ValueError):
            return not_yet("the keys of answer should be the numbers 0, 1, 2, ...", 'For example {0: "10.244.0.3", ...}.')
        if sorted(given) != list(range(n)):
            return not_yet(f"the chain reads numgen random mod {n}: the numbers are 0 to {n - 1}, and your answer "
                           f"gives {sorted(given)}.", "One IP for each number of the vmap.")
        values = [given[i] for i in range(n)]
    elif isinstance(answer, (list, tuple)):
        if len(answer) != n:
            return not_yet(f"the chain reads numgen random mod {n}: that is {n} numbers, 0 to {n - 1}, "
                           f"and your answer has {len(answer)}.", "One IP for each number of the vmap, in order.")
        values = list(answer)
    else:
        return not_yet("answer should be a list of pod IPs (the one for 0 first) or a dict number → IP.",
                       'For example ["10.244.0.3", ...].')
    for i, (value, ip) in enumerate(zip(values, actual, strict=True)):
        if _ip_of(value) != ip:
            return not_yet(f"number {i} does not go to {value!r}.",
                           f"Find '{i} : goto endpoint-…' in the vmap, then that endpoint chain's 'dnat to' rule.")
    return ok(f"numgen random mod {n} draws one number, 0 to {n - 1}, each as likely as the others, and the "
              f"vmap jumps straight to its endpoint chain: {', '.join(f'{i} → {ip}' for i, ip in enumerate(actual))}. "
              "One rule and one draw, where iptables tries its rules one by one.")
