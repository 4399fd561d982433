"""Checks for lesson 1, "Every pod gets an IP"."""

from __future__ import annotations

from ..api.addresses import in_cidr
from ..api.pod import is_ready
from ..errors import NotFound
from ..network.datapath import Connection
from .feedback import Feedback, not_yet, ok
from .progress import exercise


def deployment_pods(cluster, deployment: str, namespace: str):
    d = cluster.get("Deployment", deployment, namespace)
    sel = d.spec.selector
    pods = [p for p in cluster.pods(namespace) if sel.matches(p.metadata.labels)
            and p.metadata.deletion_timestamp is None]
    return d, pods, [p for p in pods if p.status.phase == "Running" and is_ready(p)]


@exercise
def check_spread(cluster, deployment: str = "web", replicas: int = 6, namespace: str = "default") -> Feedback:
    """Exercise 1: the deployment runs ``replicas`` ready pods, on every node of the cluster."""
    try:
        d, pods, running = deployment_pods(cluster, deployment, namespace)
    except NotFound:
        return not_yet(f"there is no deployment {deployment!r}.", "Run the cells above that create it.")
    if d.spec.replicas != replicas:
        return not_yet(f"{deployment} asks for {d.spec.replicas} replicas, not {replicas}.",
                       f"Move the replicas slider to {replicas}, or run cluster.scale({deployment!r}, {replicas}).")
    if len(running) != replicas:
        return not_yet(f"{len(running)} of {replicas} pods are Running and ready.",
                       "New pods need a few seconds to pull their image and start: press +10 s, "
                       "or run cluster.advance(10).")
    nodes = {n.name for n in cluster.nodes()}
    used = {p.spec.node_name for p in running}
    if used != nodes:
        return not_yet(f"the pods run on {sorted(used)}, not on every node.",
                       "Is a node failed or cordoned? Restore it, then scale down and up again.")
    ips = sorted(p.status.pod_ip for p in running)
    return ok(f"{replicas} pods, spread over {len(nodes)} nodes, each with its own IP: {', '.join(ips)}.")


@exercise
def check_cross_node(cluster, conn: Connection | None) -> Feedback:
    """Exercise 2: a connection between pods on two different nodes that answered, without NAT."""
    if not isinstance(conn, Connection):
        return not_yet("pass the result of cluster.connect(...) to this check.",
                       'conn = cluster.connect("default/<pod-a>", "default/<pod-b>", 80)')
    src_pod = conn.hops[0].vertex.removeprefix("pod:") if conn.hops and conn.hops[0].vertex.startswith("pod:") else None
    if src_pod is None:
        return not_yet("the connection did not start from a pod.", "Use a pod as the source: 'default/<name>'.")
    if not conn.ok:
        return not_yet(f"the connection failed: {conn.reason}.", "Pick a Running pod and port 80, which nginx listens on.")
    src = cluster.api.store.get("Pod", src_pod)
    dst = cluster.api.store.get("Pod", conn.pod)
    if src is None or dst is None or src.spec.node_name == dst.spec.node_name:
        return not_yet("both pods are on the same node, so the packet never left it.",
                       "Look at the NODE column of `kubectl get pods -o wide` and pick pods on different nodes.")
    if not any(h.device == "flannel.1" for h in conn.hops):
        return not_yet("the path does not cross the overlay.", "Pick pods on two different nodes.")
    arrived = conn.hops[-1].src
    if arrived != src.status.pod_ip:
        return not_yet("the packet arrived with another source address.", "Connect pod to pod, not through a node.")
    return ok(f"{src.name} on {src.spec.node_name} reached {dst.name} on {dst.spec.node_name} through the "
              f"VXLAN overlay, and the packet arrived still from {arrived}: no NAT between pods.")


@exercise
def check_new_ip(cluster, old_pod: str, old_ip: str, deployment: str = "web", namespace: str = "default") -> Feedback:
    """Exercise 3: the killed pod is gone and its replacement runs with a different IP."""
    if not old_pod or not old_ip:
        return not_yet("tell the check which pod you killed and the IP it had.",
                       'victim = cluster.pods()[0]; old_name, old_ip = victim.name, victim.status.pod_ip')
    if not in_cidr(str(old_ip), cluster.pod_cidr):
        return not_yet(f"{old_ip} is not a pod IP (pod IPs are in {cluster.pod_cidr}).",
                       "Take the IP from the pod's status.pod_ip, or the IP column of kubectl get pods -o wide.")
    if not str(old_pod).startswith(f"{deployment}-"):
        return not_yet(f"{old_pod} is not a pod of {deployment}.", f"Pick one of the {deployment}-... pods.")
    old = cluster.api.store.get("Pod", f"{namespace}/{old_pod}")
    if old is not None and old.metadata.deletion_timestamp is None:
        return not_yet(f"pod {old_pod} is still running.",
                       f'Kill it: cluster.delete("Pod", "{old_pod}") or use the Kill pod button.')
    # The pod as it was when the API server removed it (the watch cache's DELETED event): a pod
    # that never ran, or another IP than it had, is not an answer.
    gone = next((p for p in reversed(cluster.api.deleted)
                 if p.kind == "Pod" and p.namespace == namespace and p.name == old_pod), old)
    if gone is None:
        return not_yet(f"no pod {old_pod} ran in this cluster.",
                       "Copy the name from kubectl get pods -o wide before you kill the pod.")
    if gone.status.pod_ip != str(old_ip):
        return not_yet(f"{old_pod} had the IP {gone.status.pod_ip or 'none'}, not {old_ip}.",
                       "Note the name and the IP of the same pod, before you kill it.")
    d, pods, running = deployment_pods(cluster, deployment, namespace)
    if len(running) < (d.spec.replicas or 0):
        return not_yet(f"only {len(running)} of {d.spec.replicas} pods are Running again.",
                       "The replacement needs a few seconds: cluster.advance(10).")
    if any(p.status.pod_ip == old_ip for p in running):
        return not_yet(f"a running pod has {old_ip}.", "Pass the IP the killed pod had, before you killed it.")
    new = sorted(running, key=lambda p: p.metadata.creation_timestamp or "")[-1]
    return ok(f"{old_pod} ({old_ip}) was replaced by {new.name} with a new IP, {new.status.pod_ip}. "
              "Anything that remembered the old IP is now talking to nobody: lesson 2 fixes this.")


@exercise
def check_node_failure(cluster, node: str, deployment: str = "web", namespace: str = "default") -> Feedback:
    """Exercise 4: with ``node`` down, every replica runs again on the other nodes."""
    try:
        runtime = cluster.node_runtime(node)
    except KeyError:
        return not_yet(f"there is no node {node!r}.", "Pick one of the names in `kubectl get nodes`.")
    if runtime.up:
        return not_yet(f"{node} is up.", f'Fail it: cluster.fail_node("{node}") or the Fail node button.')
    d, pods, running = deployment_pods(cluster, deployment, namespace)
    elsewhere = [p for p in running if p.spec.node_name != node]
    if len(elsewhere) < (d.spec.replicas or 0):
        return not_yet(f"{len(elsewhere)} of {d.spec.replicas} pods run on the other nodes.",
                       "Kubernetes waits 50 s to call the node NotReady and 300 s more before it evicts "
                       "its pods: advance the clock by about 400 s, then a few more for the new pods to start.")
    return ok(f"all {d.spec.replicas} replicas run on the remaining nodes; the pods of {node} were evicted "
              "and replaced, with new names and new IPs.")
