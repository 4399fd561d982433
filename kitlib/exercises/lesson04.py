"""Checks for lesson 4, "Under the hood: kube-proxy"."""

from __future__ import annotations

from ..network.proxy import nat_table
from .feedback import Feedback, not_yet, ok


def probabilities(cluster, node: str = "minikube", service: str = "default/web") -> list[float]:
    """The probabilities of the KUBE-SVC chain's jumps, in rule order (the last, unconditional, is 1)."""
    # ClientIP affinity adds a "-m recent --rcheck" rule per endpoint before the random ones.
    return [1.0 if r.probability is None else r.probability
            for r in nat_table(cluster.runtime, node).rules()
            if r.chain.startswith("KUBE-SVC-") and r.comment.startswith(f"{service} -> ")
            and r.target.startswith("KUBE-SEP-") and r.recent is None]


def check_probabilities(cluster, answer, service: str = "default/web", replicas: int = 4) -> Feedback:
    """Exercise 1: the learner's predicted probabilities match the rules kube-proxy wrote."""
    d = cluster.get("Deployment", "web")
    if d.spec.replicas != replicas:
        return not_yet(f"web runs {d.spec.replicas} replicas.", f'cluster.scale("web", {replicas}); cluster.advance(10)')
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


def check_sep_chain(cluster, chain: str, node: str = "minikube", service: str = "default/web") -> Feedback:
    """Exercise 2: the KUBE-SEP chain that DNATs to the pod with the lowest IP."""
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
