"""Checks for lesson 7, "NetworkPolicy: the cluster's firewall".

Every check asks the policies of the cluster what Calico would do with a connection
(:meth:`kitlib.network.netpol.PolicySet.decide`, the verdict ``cluster.connect`` enforces on a
Calico cluster) between the lesson's pods, and explains a wrong verdict with the verdict's own
reason (``Verdict.explain``)."""

from __future__ import annotations

from ..api.pod import Pod
from .feedback import Feedback, not_yet, ok
from .progress import exercise

API_PORT = 8080
OTHER_PORT = 9090
"""A port the API pod does not serve: a rule for 8080 only must not allow it."""
DNS = (53, "UDP")
DNS_POD = ("kube-system", "k8s-app=kube-dns")

ISOLATION_HINT = ("Keep the lesson's default-deny policies (default-deny-ingress and default-deny-egress) and add "
                  "policies next to them: NetworkPolicies only ever allow, and they add up.")


def _netpol():
    from ..network import netpol

    return netpol


def _pod(cluster, namespace: str, selector: str) -> Pod | None:
    """The first running pod with an IP that ``selector`` selects in ``namespace``."""
    pods = [p for p in cluster.api.list_as(Pod, namespace, selector)
            if p.status.pod_ip and p.metadata.deletion_timestamp is None]
    return pods[0] if pods else None


def _decide(cluster, src: Pod, dst: Pod, port: int, protocol: str = "TCP"):
    policies = _netpol().policy_set(cluster.api)
    return policies.decide(policies.peer(src), policies.peer(dst), port, protocol)


def _why(verdict) -> str:
    """The verdict's reason on one line, for a hint."""
    return " ".join(line.strip() for line in verdict.explain().splitlines() if line.strip())


def _calico(cluster) -> Feedback | None:
    if getattr(cluster, "cni", "flannel") != "calico":
        return not_yet(f"this cluster runs {cluster.cni}, which does not enforce NetworkPolicy: every connection "
                       "is allowed whatever you write.",
                       'Use the lesson\'s Calico cluster: kitlib.Cluster(nodes=3, seed=0, cni="calico").')
    return None


def _pods(cluster, wanted: dict[str, tuple[str, str]]) -> tuple[dict[str, Pod], Feedback | None]:
    found: dict[str, Pod] = {}
    for name, (ns, selector) in wanted.items():
        pod = _pod(cluster, ns, selector)
        if pod is None:
            return found, not_yet(f"there is no running pod {selector} in namespace {ns}.",
                                  "Run the lesson's cells from the top first (Kernel → Restart Kernel and Run All "
                                  "Cells).")
        found[name] = pod
    return found, None


@exercise
def check_frontend_only(cluster, namespace: str = "default") -> Feedback:
    """Exercise 1: with both default-deny policies in place, only the frontend reaches the API
    pods on TCP 8080 (not on other ports, not the database, not Grafana of ``monitoring``), and every pod of the
    namespace can still resolve names (UDP 53 to CoreDNS). Exercise 2 may let Prometheus in too, so
    the outsider checked here is Grafana."""
    problem = _calico(cluster)
    if problem is not None:
        return problem
    pods, problem = _pods(cluster, {"frontend": (namespace, "app=frontend"), "api": (namespace, "app=api"),
                                    "db": (namespace, "app=db"), "dns": DNS_POD,
                                    "grafana": ("monitoring", "app=grafana")})
    if problem is not None:
        return problem
    front, api, db, dns = pods["frontend"], pods["api"], pods["db"], pods["dns"]
    v = _decide(cluster, front, api, API_PORT)
    if not v.allowed:
        side = "egress (the frontend may not send it)" if not v.egress.allowed else \
            "ingress (the API pod does not accept it)"
        return not_yet(f"frontend → api on TCP {API_PORT} is denied at {side}. {_why(v)}",
                       "Default deny egress blocks the frontend's side too: the connection needs an ingress rule on "
                       "the API pods (from podSelector app=frontend, port 8080) AND an egress rule on the frontend "
                       "(to podSelector app=api, port 8080).")
    for name, pod in (("db", db), ("monitoring/grafana", pods["grafana"])):
        v = _decide(cluster, pod, api, API_PORT)
        if v.ingress.allowed:  # the API's own door: db's egress is closed anyway by default deny egress
            return not_yet(f"the API pods accept {name} → api on TCP {API_PORT} too. {_why(v)}",
                           "Only the frontend may reach the API: the ingress rule's peer should be "
                           "podSelector app=frontend, not an empty selector or a whole namespace. " + ISOLATION_HINT)
    v = _decide(cluster, front, api, OTHER_PORT)
    if v.allowed:
        return not_yet(f"frontend → api on TCP {OTHER_PORT} is allowed: the API gets every port, not only "
                       f"{API_PORT}. {_why(v)}",
                       "A rule without ports allows every port: add ports: [{protocol: TCP, port: 8080}] to the rule.")
    v = _decide(cluster, front, db, 5432)
    if v.allowed:
        return not_yet(f"frontend → db on TCP 5432 is allowed. {_why(v)}", ISOLATION_HINT)
    for name, pod in (("frontend", front), ("api", api), ("db", db)):
        v = _decide(cluster, pod, dns, *DNS)
        if not v.allowed:
            return not_yet(f"{name} → CoreDNS ({dns.status.pod_ip}) on UDP 53 is denied, so {name} cannot resolve "
                           f"names like api.default.svc.cluster.local. {_why(v)}",
                           "After a default-deny egress, allow DNS: an egress rule for every pod (podSelector {}) to "
                           "namespaceSelector kubernetes.io/metadata.name=kube-system AND podSelector "
                           "k8s-app=kube-dns, ports UDP 53 and TCP 53.")
    return ok(f"only the frontend reaches the API pods, and only on TCP {API_PORT}; db and grafana are kept out, "
              "and every pod still reaches CoreDNS on UDP 53.")


@exercise
def check_prometheus_only(cluster, namespace: str = "default") -> Feedback:
    """Exercise 2: the API pods accept TCP 8080 from Prometheus (``app=prometheus`` in namespace
    ``monitoring``), but not from the other pods of ``monitoring`` (Grafana) nor from a pod
    labelled ``app=prometheus`` in ``default``: namespaceSelector AND podSelector in one peer. Only the
    API's ingress side is checked, since ``default``'s own egress is closed by default deny egress."""
    problem = _calico(cluster)
    if problem is not None:
        return problem
    pods, problem = _pods(cluster, {"api": (namespace, "app=api"), "prometheus": ("monitoring", "app=prometheus"),
                                    "grafana": ("monitoring", "app=grafana"),
                                    "impostor": (namespace, "app=prometheus")})
    if problem is not None:
        return problem
    api = pods["api"]
    v = _decide(cluster, pods["prometheus"], api, API_PORT)
    if not v.ingress.allowed:
        return not_yet(f"monitoring/prometheus → api on TCP {API_PORT} is denied. {_why(v)}",
                       "Add an ingress rule to the API pods with one peer that has both a namespaceSelector "
                       "(kubernetes.io/metadata.name: monitoring) and a podSelector (app: prometheus).")
    # The API's ingress side only: the impostor's own egress is closed by default deny egress.
    grafana = _decide(cluster, pods["grafana"], api, API_PORT).ingress
    impostor_verdict = _decide(cluster, pods["impostor"], api, API_PORT)
    impostor = impostor_verdict.ingress
    imp = pods["impostor"].name
    if grafana.allowed and impostor.allowed:
        return not_yet(f"the API pods accept monitoring/grafana and {imp} (app=prometheus in {namespace}) too: the "
                       "two selectors are two peers (OR), so any pod of monitoring and any app=prometheus pod of "
                       f"{namespace} get in. "
                       f"{_why(impostor_verdict)}",
                       "Put namespaceSelector and podSelector in ONE list item (no dash before podSelector): "
                       "then a pod must match both.")
    if grafana.allowed:
        return not_yet("the API pods accept monitoring/grafana too: the whole namespace is allowed.",
                       "Add podSelector app: prometheus to the same peer as the namespaceSelector (AND).")
    if impostor.allowed:
        return not_yet(f"the API pods accept {imp}, a pod of {namespace} that only looks like Prometheus. "
                       f"{_why(impostor_verdict)}",
                       "The namespaceSelector must pin the namespace: matchLabels kubernetes.io/metadata.name: "
                       "monitoring (an empty namespaceSelector {} matches every namespace).")
    return ok("only app=prometheus in namespace monitoring reaches the API: namespaceSelector and podSelector in one "
              "peer mean both must match.")


__all__ = ["check_frontend_only", "check_prometheus_only"]
