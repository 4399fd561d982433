"""Checks for lesson 3, "Reaching the cluster from outside"."""

from __future__ import annotations

from ..api.service import service_type
from ..errors import NotFound
from ..network.datapath import Connection
from .feedback import Feedback, not_yet, ok


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
