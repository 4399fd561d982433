"""Checks for lesson 2, "Services"."""

from __future__ import annotations

from ..api.defaults import image_repo
from ..api.pod import Pod
from ..api.service import service_type
from ..clock import parse_timestamp
from ..errors import NotFound
from ..network.dns import DnsAnswer
from ..network.traffic import Traffic
from .feedback import Feedback, not_yet, ok
from .progress import exercise

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"


@exercise
def check_api_service(cluster, namespace: str = "default") -> Feedback:
    """Exercise 1: deployment ``api`` (agnhost, 2 replicas, port 8080) behind Service ``api`` 80 → 8080,
    answering through its ClusterIP."""
    try:
        d = cluster.get("Deployment", "api", namespace)
    except NotFound:
        return not_yet("there is no deployment api.",
                       f'cluster.kubectl("create deployment api --image={AGNHOST} --replicas=2 --port=8080 '
                       '-- /agnhost netexec --http-port=8080")')
    if d.spec.replicas != 2 or [c.image for c in d.spec.template.spec.containers] != [AGNHOST]:
        return not_yet("the deployment api should run 2 replicas of the agnhost image.",
                       f"Use --image={AGNHOST} --replicas=2.")
    try:
        svc = cluster.get("Service", "api", namespace)
    except NotFound:
        return not_yet("there is no Service api.", 'cluster.kubectl("expose deployment api --port=80 --target-port=8080")')
    ports = [(p.port, p.target_port) for p in svc.spec.ports]
    if ports != [(80, 8080)]:
        return not_yet(f"the Service maps {ports} (port, targetPort), not 80 → 8080.",
                       "--port is the Service's port, --target-port the container's.")
    if svc.spec.selector != {"app": "api"} or service_type(svc) != "ClusterIP":
        return not_yet("the Service should be a ClusterIP selecting app=api.", "kubectl expose copies the selector for you.")
    client = next((p for p in cluster.pods(namespace) if p.status.phase == "Running"
                   and not p.name.startswith("api-")), None)
    if client is None:
        return not_yet("there is no other running pod to test from.", "Keep the web deployment from the lesson.")
    t = cluster.traffic(client.key, svc.spec.cluster_ip, 80, requests=100)
    if t.failed and any("listens on 8080/TCP" in r for r in t.reasons):
        return not_yet(f"requests to the ClusterIP: {t.failed} of {t.requests} refused: nothing in the api pods "
                       "listens on 8080.", "agnhost without arguments runs `pause`, which listens on nothing: "
                       "recreate the deployment with -- /agnhost netexec --http-port=8080.")
    if t.failed or len(t.served) != 2:
        return not_yet(f"requests to the ClusterIP: {t.ok} answered by {len(t.served)} pods, {t.failed} failed.",
                       "Wait until both api pods are Running: cluster.advance(10).")
    return ok(f"api has ClusterIP {svc.spec.cluster_ip}; port 80 reaches both pods on 8080.")


@exercise
def check_cross_namespace(cluster, answer: DnsAnswer | None, namespace: str = "shop") -> Feedback:
    """Exercise 2: a pod of namespace ``shop`` resolved ``web`` of ``default`` to its ClusterIP."""
    if not isinstance(answer, DnsAnswer):
        return not_yet("pass the result of cluster.resolve(...) to the check.",
                       'answer = cluster.resolve("web.default", src="shop/<pod>")')
    if not answer.src.startswith(f"{namespace}/"):
        return not_yet(f"the lookup was made from {answer.src or 'outside'}, not from a pod of {namespace}.",
                       f"Create a pod in {namespace} and pass src=\"{namespace}/<pod>\".")
    if not answer.ok:
        return not_yet(f"the lookup failed: {answer.reason}",
                       f"From {namespace}, the short name web means web.{namespace}: add the namespace, web.default.")
    web = cluster.get("Service", "web", "default").spec.cluster_ip
    if answer.address != web:
        return not_yet(f"{answer.name} resolved to {answer.address}, not to web's ClusterIP {web}.", "Ask for web.default.")
    return ok(f"{answer.name} → {answer.fqdn} → {web}: the search list of a pod in {namespace} "
              "filled in the rest of the name.")


# "Right afterwards": the pods were deleted at most this many simulated seconds before the requests.
RECENT = 30


def _deleted_before(cluster, app: str, sent_at: float | None) -> set[str]:
    """The names of pods of Deployment ``app`` whose deletion was asked for in the ``RECENT``
    seconds before ``sent_at``: still Terminating, or removed (the watch cache's last state)."""
    if sent_at is None:
        return set()
    names = set()
    for pod in [*cluster.api.deleted, *cluster.api.list_as(Pod, "default")]:
        meta = pod.metadata
        if (pod.kind != "Pod" or pod.namespace != "default" or meta.deletion_timestamp is None
                or not pod.name.startswith(f"{app}-")):
            continue
        # deletionTimestamp is the request's time plus the grace period the kubelet waits.
        asked = parse_timestamp(meta.deletion_timestamp) - (meta.deletion_grace_period_seconds or 0)
        if sent_at - RECENT <= asked <= sent_at:
            names.add(pod.name)
    return names


@exercise
def check_no_failures(cluster, result: Traffic | None, replicas: int = 5) -> Feedback:
    """Exercise 3: with pods deleted a moment ago, 1,000 requests to the Service all succeeded."""
    if not isinstance(result, Traffic):
        return not_yet("pass the result of cluster.traffic(...) to the check.",
                       'result = cluster.traffic(client.key, "web", 80, requests=1000)')
    if result.service != "default/web" or result.requests < 1000:
        return not_yet(f"that was {result.requests} requests to {result.service or result.address}.",
                       "Send at least 1,000 requests to the web Service.")
    d = cluster.get("Deployment", "web")
    terminating = [p for p in cluster.pods() if p.metadata.deletion_timestamp is not None]
    if d.spec.replicas != replicas:
        return not_yet(f"web runs {d.spec.replicas} replicas, not {replicas}.", f'cluster.scale("web", {replicas})')
    deleted = _deleted_before(cluster, "web", result.sent_at)
    if len(deleted) < 2:
        return not_yet(f"{len(deleted)} web pods were deleted in the {RECENT} s before the requests, not 2.",
                       'Delete two: for p in cluster.pods(selector="app=web")[:2]: cluster.delete("Pod", p.name); '
                       "then send the requests at once.")
    if result.failed:
        return not_yet(f"{result.failed} requests failed.", "Which pods were behind the Service when you sent them?")
    note = f" ({len(terminating)} pods were still terminating)" if terminating else ""
    return ok(f"all {result.requests} requests answered by {len(result.served)} pods{note}: a deleted pod "
              "leaves the EndpointSlice at once, so the Service never sends it new requests.")


@exercise
def check_hello_service(cluster, namespace: str = "default") -> Feedback:
    """Exercise 4: Service ``hello`` on port 80 in front of http-echo, its targetPort where
    http-echo really listens (5678, which its log says), so that connections are accepted."""
    try:
        d = cluster.get("Deployment", "hello", namespace)
    except NotFound:
        return not_yet("there is no deployment hello.",
                       'cluster.kubectl("create deployment hello --image=hashicorp/http-echo -- /http-echo -text=hello")')
    if [image_repo(c.image or "") for c in d.spec.template.spec.containers] != ["hashicorp/http-echo"]:
        return not_yet("the deployment hello should run the image hashicorp/http-echo.",
                       "Use --image=hashicorp/http-echo -- /http-echo -text=hello.")
    try:
        svc = cluster.get("Service", "hello", namespace)
    except NotFound:
        return not_yet("there is no Service hello.", "cluster.kubectl(\"logs deployment/hello\") says which port "
                       "http-echo listens on; expose that port as the targetPort.")
    port = next((p for p in svc.spec.ports if p.port == 80), None)
    if port is None:
        return not_yet(f"the Service hello has no port 80 (it has {[p.port for p in svc.spec.ports]}).",
                       "--port is the port clients dial: 80.")
    client = next((p for p in cluster.pods(namespace) if p.status.phase == "Running"
                   and not p.name.startswith("hello-")), None)
    if client is None:
        return not_yet("there is no other running pod to test from.", "Keep the client deployment from the lesson.")
    conn = cluster.connect(client.key, svc.spec.cluster_ip, 80)
    if conn.failure == "refused" and "listens on" in conn.reason:
        return not_yet(f"connections to hello:80 are refused: the Service sends them to port {port.target_port}, "
                       "where nothing in the hello pods listens (its endpoints look fine all the same).",
                       'cluster.kubectl("logs deployment/hello") says which port http-echo listens on.')
    if not conn.ok:
        return not_yet(f"connections to hello:80 fail: {conn.reason}", "Wait until the hello pods are Running: "
                       "cluster.advance(10).")
    return ok(f"hello:80 reaches port {conn.target_port} of pod {conn.pod}, where http-echo listens.")
