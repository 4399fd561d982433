"""Checks for lesson 3, "Reaching the cluster from outside"."""

from __future__ import annotations

from ..api.node import ZONE_LABEL, node_zone
from ..api.service import PREFER_CLOSE, PREFER_SAME_NODE, PREFER_SAME_ZONE, service_type
from ..errors import NotFound
from ..network.datapath import Connection
from .feedback import Feedback, not_yet, ok
from .progress import exercise


@exercise
def check_fixed_node_port(cluster, name: str = "shop", node_port: int = 30080) -> Feedback:
    """Exercise 1: Service ``shop``, type NodePort, port 80 on nodePort 30080, answering from outside
    on every node."""
    try:
        svc = cluster.get("Service", name)
    except NotFound:
        return not_yet(f"there is no Service {name}.",
                       f'cluster.kubectl("create service nodeport {name} --tcp=80:80 --node-port={node_port}") '
                       "— then make its selector app=web (YAML is easiest).")
    if service_type(svc) != "NodePort":
        return not_yet(f"{name} is a {service_type(svc)} Service.", "Set type: NodePort.")
    if [p.node_port for p in svc.spec.ports] != [node_port]:
        return not_yet(f"{name} listens on node ports {[p.node_port for p in svc.spec.ports]}.",
                       f"Ask for nodePort: {node_port} in the port.")
    if svc.spec.selector != {"app": "web"}:
        return not_yet(f"{name} selects {svc.spec.selector or 'nothing'}, so it has no endpoints.",
                       "kubectl create service sets selector app=<name>; change it to app: web.")
    answered = [n.name for n in cluster.nodes() if cluster.connect("external", f"node/{n.name}", node_port).ok]
    if len(answered) != len(cluster.nodes()):
        return not_yet(f"only {answered} answered on {node_port}.", "Are all web pods Running? cluster.advance(10)")
    return ok(f"every node answers on {node_port} and forwards to a web pod.")


@exercise
def check_client_ip(cluster, conn: Connection | None, name: str = "web-lb") -> Feedback:
    """Exercise 2: ``web-lb`` has externalTrafficPolicy Local, and a connection from outside to its
    LoadBalancer address reached a pod that saw the client's own IP."""
    try:
        svc = cluster.get("Service", name)
    except NotFound:
        return not_yet(f"there is no Service {name}.", "Run the lesson's cells first.")
    if svc.spec.external_traffic_policy != "Local":
        return not_yet(f"{name} has externalTrafficPolicy {svc.spec.external_traffic_policy}.",
                       "Set spec.externalTrafficPolicy to Local (apply the changed Service).")
    if not isinstance(conn, Connection):
        return not_yet("pass the result of cluster.connect(...) to the check.",
                       'conn2 = cluster.connect("external", lb_ip, 80)')
    ingress = [i.ip for i in svc.status.load_balancer.ingress]
    if conn.dst_ip not in ingress:
        return not_yet(f"that connection went to {conn.dst_ip}, not to the LoadBalancer address {ingress}.",
                       "Connect to the address in EXTERNAL-IP.")
    if not conn.ok:
        return not_yet(f"the connection failed: {conn.reason}", "Is MetalLB enabled and a web pod ready?")
    client = cluster.topology.graph.nodes["external"]["ip"]
    seen = conn.hops[-1].src if conn.hops else ""
    if seen != client:
        return not_yet(f"the pod saw {seen}, not the client {client}.", "Local skips the SNAT; Cluster does it.")
    return ok(f"{conn.pod} saw the client as {client}: with Local there is no SNAT and no second hop.")


def _ips(endpoints) -> set[str]:
    """The IPs of kube-proxy's endpoints (``"10.244.1.2:80"`` → ``"10.244.1.2"``)."""
    return {e.address.rsplit(":", 1)[0] for e in endpoints}


@exercise
def check_same_node_fallback(cluster, answer, node: str = "minikube-m04", zone: str = "zone-b",
                             service: str = "web") -> Feedback:
    """Exercise 3: with ``trafficDistribution: PreferSameNode``, a new node of ``zone`` that runs no
    ``web`` pod; ``answer`` lists the IPs of the pods its kube-proxy sends the Service's traffic to
    (those of its zone: the preference falls back from the node to the zone, then to the cluster)."""
    try:
        svc = cluster.get("Service", service)
    except NotFound:
        return not_yet(f"there is no Service {service}.", "Run the lesson's cells on the zoned cluster first.")
    td = svc.spec.traffic_distribution
    if td != PREFER_SAME_NODE:
        why = {None: "has no trafficDistribution",
               PREFER_CLOSE: "has trafficDistribution PreferClose, the deprecated name of PreferSameZone",
               PREFER_SAME_ZONE: "prefers the same zone, not the same node"}.get(td, f"has trafficDistribution {td}")
        return not_yet(f"{service} {why}.", 'Set spec.trafficDistribution to "PreferSameNode" (the way distribute() does).')
    try:
        new = cluster.get("Node", node)
    except NotFound:
        return not_yet(f"there is no node {node}.", f'zoned.add_node(zone="{zone}"); zoned.advance(10)')
    if node_zone(new) != zone:
        return not_yet(f"{node} is in zone {node_zone(new) or '(none)'}, not {zone}.",
                       f'Label it: zoned.label("Node", "{node}", {{"{ZONE_LABEL}": "{zone}"}})')
    rules = cluster.proxy_endpoints(service)
    if node not in rules:
        return not_yet(f"kube-proxy on {node} has no rules for {service} yet.", "zoned.advance(10)")
    mine = rules[node]
    local = [e for e in mine.cluster if e.node == node]
    if local:
        return not_yet(f"{node} runs a {service} pod of its own, so the exercise has nothing to predict.",
                       f"Start again from the lesson's cells: only add the node, do not scale {service}.")
    if not isinstance(answer, (list, tuple, set)):
        return not_yet("answer should be a list of pod IPs.", 'For example ["10.244.0.3", "10.244.2.2"].')
    guess = {str(a).strip().rsplit(":", 1)[0] for a in answer}
    used = _ips(mine.cluster)
    everywhere = {a for sl in cluster.list("EndpointSlice", selector=f"kubernetes.io/service-name={service}")
                  for e in sl.endpoints if e.conditions.ready for a in e.addresses}
    if guess == used:
        return ok(f"{node} runs no {service} pod, so PreferSameNode falls back to its zone, {zone}: its kube-proxy "
                  f"sends to {', '.join(sorted(used))}. A preference narrows the choice while it can and widens "
                  "it when it cannot; it never drops traffic, as externalTrafficPolicy: Local does.")
    if not guess:
        return not_yet("an empty list means kube-proxy would drop the traffic.",
                       "trafficDistribution is a preference: when a node has no pod of its own, it looks wider.")
    if guess >= everywhere and len(everywhere) > len(used):
        return not_yet("that is every web pod of the cluster: the fallback goes one step wider at a time.",
                       f"Which other nodes are in {zone}, and which web pods run there? "
                       "get nodes -L topology.kubernetes.io/zone, get pods -o wide")
    return not_yet(f"{node}'s kube-proxy does not send to exactly {sorted(guess)}.",
                   f"Which web pods run in {zone}? get nodes -L topology.kubernetes.io/zone, get pods -o wide")
