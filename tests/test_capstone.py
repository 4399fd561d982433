"""The capstone's ten broken clusters: each fault really reproduces (its check fails, and kubectl and
curl show what a real cluster shows), the solution in ``course/solutions/capstone.md`` fixes it, and a
plausible wrong fix does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kitlib.exercises import capstone
from kitlib.kubectl.exec import ExecError

SOLUTIONS = Path(__file__).resolve().parents[1] / "course" / "solutions" / "capstone.md"
NUMBERS = range(1, len(capstone.SCENARIOS) + 1)


def solution(n: int) -> str:
    """The first ```python block of the solutions' section for scenario ``n``: its fix."""
    text = SOLUTIONS.read_text()
    section = re.split(r"^## ", text, flags=re.M)
    body = next(s for s in section if s.startswith(f"Scenario {n}:"))
    return re.search(r"```python\n(.*?)```", body, re.S).group(1)


def run(code: str, cluster, n: int) -> None:
    """Run a fix as the notebook's cell would, where scenario ``n``'s cluster is ``cluster<n>``."""
    exec(code, {f"cluster{n}": cluster, "cluster": cluster, "capstone": capstone})  # noqa: S102 (the course's text)


UNFIXED = {
    1: "curl http://web/hostname from the client pod: no answer: the connection was refused",
    2: "curl http://web/hostname from the client pod: no answer: the connection was refused",
    3: "curl http://web/hostname from the client pod: no answer: the connection was refused",
    4: r"pods not ready: web-c8469b954-\w+, web-c8469b954-\w+ \(READY 0/1\)",
    5: "the client sends WEB_URL=http://web:30080/hostname: no answer: the connection timed out",
    6: "kubectl get svc web: EXTERNAL-IP is still <pending>",
    7: "curl http://shop.example/api/orders/7 from outside went to Service web, not Service api's answer",
    8: r"curl http://shop.example/ from outside got HTTP 404, not Service web's answer",
    9: r"nslookup web from the client pod: no answer \(;; connection timed out; no servers could be reached\)",
    10: "curl http://192.168.49.2:30080/hostname from outside: no answer: the connection timed out",
}

WRONG = {
    1: ('cluster.kubectl("set selector service web app=web,tier=frontend")',
        "the connection was refused"),
    2: ("""cluster.kubectl(\"\"\"patch deployment web --type=json -p '[{"op": "replace", "path": """
        """"/spec/template/spec/containers/0/ports/0/containerPort", "value": 80}]'\"\"\")""",
        "the connection was refused"),
    3: ("""cluster.kubectl(\"\"\"patch service web --type=json -p '[{"op": "add", "path": "/spec/ports/0/name", """
        """"value": "http"}]'\"\"\")""",
        "the connection was refused"),
    4: ("""cluster.kubectl(\"\"\"patch deployment web --type=json -p '[{"op": "replace", "path": """
        """"/spec/template/spec/containers/0/readinessProbe/failureThreshold", "value": 10}]'\"\"\")""",
        r"pods not ready: .*\(READY 0/1\)"),
    5: ("""cluster.kubectl(\"\"\"patch configmap client-config -p '{"data": {"WEB_URL": """
        """"http://192.168.49.2:80/hostname"}}'\"\"\")""",
        "WEB_URL=http://192.168.49.2:80/hostname: no answer: the connection was refused"),
    6: ("""cluster.kubectl(\"\"\"patch service web -p '{"spec": {"loadBalancerIP": "192.168.49.200"}}'\"\"\")""",
        "EXTERNAL-IP is still <pending>"),
    7: ('cluster.apply(capstone._shop("nginx", [("/api", "Exact", "api"), ("/", "Prefix", "web")]))',
        "/api/orders/7 from outside went to Service web"),
    8: ('cluster.apply("apiVersion: networking.k8s.io/v1\\nkind: IngressClass\\nmetadata:\\n  name: traefik\\n'
        'spec:\\n  controller: traefik.io/ingress-controller\\n")',
        "got HTTP 404"),
    9: ('cluster.apply("apiVersion: networking.k8s.io/v1\\nkind: NetworkPolicy\\nmetadata:\\n  name: allow-dns\\n'
        'spec:\\n  podSelector: {}\\n  policyTypes: [Egress]\\n  egress:\\n  - to:\\n    - ipBlock:\\n'
        '        cidr: 10.96.0.10/32\\n    ports:\\n    - protocol: UDP\\n      port: 53\\n")',
        "nslookup web from the client pod: no answer"),
    10: ('cluster.kubectl("scale deployment web --replicas=2")',
         r"curl http://192\.168\.49\.\d:30080/hostname from outside: no answer: the connection timed out"),
}


@pytest.mark.parametrize("n", NUMBERS)
def test_the_unfixed_cluster_fails_its_check(n):
    """Each fault reproduces: the check of the cluster as built does not pass, and says what a request got."""
    feedback = capstone.check(n, capstone.build(n))
    assert not feedback.passed
    assert re.search(UNFIXED[n], feedback.message), feedback.message
    assert feedback.hint


@pytest.mark.parametrize("n", NUMBERS)
def test_the_solution_in_course_passes(n):
    """The fix written in course/solutions/capstone.md, applied as the learner would, passes the check."""
    cluster = capstone.build(n)
    run(solution(n), cluster, n)
    feedback = capstone.check(n, cluster)
    assert feedback.passed, feedback


@pytest.mark.parametrize("n", NUMBERS)
def test_a_plausible_wrong_fix_still_fails(n):
    """A change a learner might try that does not remove the fault leaves the check failing."""
    cluster = capstone.build(n)
    code, message = WRONG[n]
    run(code, cluster, n)
    feedback = capstone.check(n, cluster)
    assert not feedback.passed, feedback
    assert re.search(message, feedback.message), feedback.message


@pytest.mark.parametrize("n", NUMBERS)
def test_building_a_scenario_twice_gives_the_same_cluster(n):
    """Seeded: the same names, IPs and objects every time, so a room sees the same output."""
    a, b = capstone.build(n), capstone.build(n)
    assert a.state() == b.state()
    assert a.kubectl("get pods,svc -o wide") == b.kubectl("get pods,svc -o wide")


def test_hints_come_in_three_stages():
    """Stage 1 says where to look, 3 nearly gives the answer; stages outside 1-3 are clamped."""
    for s in capstone.SCENARIOS:
        assert len(s.hints) == 3 and len(set(s.hints)) == 3
    assert str(capstone.hint(1)).startswith("Hint 1 of 3 for scenario 1: Follow the request")
    assert "kubectl set selector service web app=web" in str(capstone.hint(1, 3))
    assert capstone.hint(1, 9).stage == 3
    with pytest.raises(ValueError, match="there are scenarios 1 to 10, not 11"):
        capstone.hint(11)


def test_a_check_never_raises_when_the_learner_deletes_what_it_reads():
    """A deleted Service is a failed check with a way back, not a traceback."""
    cluster = capstone.build(1)
    cluster.kubectl("delete service web")
    assert capstone.check(1, cluster).message == ("curl http://web/hostname from the client pod: no answer: the name "
                                                  "did not resolve (curl: Could not resolve host).")
    cluster = capstone.build(6)
    cluster.kubectl("delete service web")
    feedback = capstone.check(6, cluster)
    assert not feedback.passed
    assert feedback.message == 'the check could not run: services "web" not found'
    assert "capstone.build(6)" in feedback.hint


# ---------------------------------------------------------------------------- what the learner sees


def curl_error(cluster, command: str) -> str:
    with pytest.raises(ExecError) as err:
        cluster.kubectl(command)
    return str(err.value)


def test_no_endpoints_refuse_at_once():
    """Debug Services: a Service with no endpoints is rejected by kube-proxy, so curl fails at once (exit 7),
    while DNS still answers with the ClusterIP."""
    cluster = capstone.build(1)
    assert curl_error(cluster, "exec client -- curl -sS http://web/hostname") == (
        "curl: (7) Failed to connect to web port 80 after 0 ms: Could not connect to server\n"
        "command terminated with exit code 7")
    assert "Address: 10.101.142.8" in cluster.kubectl("exec client -- nslookup web")
    assert re.search(r"web-\w+\s+IPv4\s+<unset>\s+<unset>", cluster.kubectl("get endpointslices"))


def test_a_named_target_port_missing_on_the_pod_leaves_endpoints_without_ports():
    """The EndpointSlice controller skips a port it cannot find in the pod (getEndpointPorts), so the slice lists
    the pods with no port; kubectl describe lists their IPs without ports (formatEndpointSlices)."""
    cluster = capstone.build(3)
    assert re.search(r"web-\w+\s+IPv4\s+<unset>\s+10\.244\.2\.3,10\.244\.1\.2", cluster.kubectl("get endpointslices"))
    assert "Endpoints:                10.244.2.3,10.244.1.2\n" in cluster.kubectl("describe svc web")


def test_the_readiness_probe_gets_nginx_404():
    """The kubelet's event names the status the probe got."""
    cluster = capstone.build(4)
    pod = cluster.pods(selector="app=web")[0].name
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in cluster.kubectl(f"describe pod {pod}")


def test_a_node_port_on_the_cluster_ip_times_out_and_port_on_a_node_is_refused():
    """From inside: the ClusterIP serves the Service's port only (30080 there times out in iptables mode), and a
    node's IP serves the nodePort only (80 there is refused)."""
    cluster = capstone.build(5)
    assert curl_error(cluster, "exec client -- curl -sS -m 5 http://web:30080/hostname") == (
        "curl: (28) Connection timed out after 5001 milliseconds\ncommand terminated with exit code 28")
    assert curl_error(cluster, "exec client -- curl -sS http://192.168.49.2:80/hostname").startswith(
        "curl: (7) Failed to connect to 192.168.49.2 port 80")
    assert cluster.kubectl("exec client -- curl -sS http://192.168.49.2:30080/hostname").startswith("web-")


def test_a_load_balancer_without_a_controller_stays_pending():
    cluster = capstone.build(6)
    assert re.search(r"web\s+LoadBalancer\s+\S+\s+<pending>\s+80:\d+/TCP", cluster.kubectl("get svc web"))


def test_an_ingress_of_another_class_gets_no_address_and_the_default_backend_answers():
    cluster = capstone.build(8)
    assert re.search(r"shop\s+traefik\s+shop\.example\s+80\s", cluster.kubectl("get ingress shop"))
    resp = cluster.http("http://shop.example/")
    assert resp.status == 404 and resp.service is None


def test_default_deny_breaks_names_not_addresses():
    """Calico drops the client's DNS queries: curl cannot resolve, nslookup times out, the ClusterIP works."""
    cluster = capstone.build(9)
    assert curl_error(cluster, "exec client -- curl -sS http://web/hostname") == (
        "curl: (6) Could not resolve host: web\ncommand terminated with exit code 6")
    assert curl_error(cluster, "exec client -- nslookup web").startswith(
        ";; connection timed out; no servers could be reached")
    ip = cluster.get("Service", "web").spec.cluster_ip
    assert cluster.kubectl(f"exec client -- curl -sS http://{ip}/hostname").startswith("web-")


def test_external_traffic_policy_local_answers_only_where_a_pod_runs():
    cluster = capstone.build(10)
    answers = {ip: cluster.http(f"http://{ip}:30080/hostname").failure or "ok"
               for ip in ("192.168.49.2", "192.168.49.3", "192.168.49.4")}
    assert answers == {"192.168.49.2": "timeout", "192.168.49.3": "timeout", "192.168.49.4": "ok"}


def test_the_notebook_tells_each_symptom_as_the_module_does():
    """The lesson shows each scenario's report from the module, word for word."""
    import json

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "09-troubleshooting.ipynb"
    text = "".join("".join(c["source"]) for c in json.loads(notebook.read_text())["cells"])
    for s in capstone.SCENARIOS:
        assert s.symptom in text, s.number
        assert f"capstone.check({s.number}, cluster{s.number})" in text
        assert f"capstone.hint({s.number}, stage=1)" in text


@pytest.mark.parametrize(("n", "code", "says"), [
    (3, """cluster.kubectl(\"\"\"patch service web --type=json -p '[{"op": "replace", "path": "/spec/ports/0/targetPort", \
"value": 8080}]'\"\"\")""", "reach every web pod (2)"),
    (5, """cluster.kubectl(\"\"\"patch configmap client-config -p '{"data": {"WEB_URL": \
"http://192.168.49.3:30080/hostname"}}'\"\"\")""", "through a node's NodePort"),
    (6, """cluster.kubectl(\"\"\"patch service web -p '{"spec": {"type": "NodePort"}}'\"\"\")""",
     "every node answers on 3"),
])
def test_other_fixes_that_work_pass_too(n, code, says):
    """The checks judge what requests get, not the YAML: another working fix passes."""
    cluster = capstone.build(n)
    run(code, cluster, n)
    feedback = capstone.check(n, cluster)
    assert feedback.passed and says in feedback.message, feedback


def test_opening_all_egress_resolves_names_but_is_too_wide():
    """egress: [{}] lets DNS through, and everything else: the check asks for DNS only."""
    cluster = capstone.build(9)
    cluster.apply("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-all\nspec:\n"
                  "  podSelector:\n    matchLabels:\n      run: client\n  policyTypes: [Egress]\n  egress:\n  - {}\n")
    feedback = capstone.check(9, cluster)
    assert not feedback.passed
    assert re.search(r"names resolve, but the client may now send to db-\w+-\w+ too", feedback.message), feedback


def test_more_wrong_fixes_the_instructor_guide_names():
    """Relabelling one pod to match the typo takes it out of its ReplicaSet, and only it answers; deleting
    default-deny leaves the client's egress isolated by client-to-web, so DNS stays blocked."""
    cluster = capstone.build(1)
    pod = cluster.pods(selector="app=web")[0].name
    cluster.kubectl(f"label pod {pod} app=wbe --overwrite")
    feedback = capstone.check(1, cluster)
    assert not feedback.passed
    assert feedback.message == (f"curl http://web/hostname from the client pod was answered by {pod}, which is not "
                                "a ready pod of Deployment web (label app=web).")

    cluster = capstone.build(9)
    cluster.kubectl("delete networkpolicy default-deny")
    feedback = capstone.check(9, cluster)
    assert not feedback.passed and feedback.message.startswith("nslookup web from the client pod: no answer")


def test_get_events_counts_the_failed_probes_as_describe_does():
    """The kubelet records an Unhealthy event for every failed readiness probe (the recorder aggregates them:
    count and lastTimestamp go up); `kubectl get events` and `kubectl describe pod` read the same events."""
    cluster = capstone.build(4)
    events = cluster.kubectl("get events --field-selector reason=Unhealthy -o wide")
    pod = cluster.pods(selector="app=web")[0].name
    row = next(line for line in events.splitlines() if f"pod/{pod}" in line)
    assert re.match(r"\ds\s+Warning\s+Unhealthy\s", row), row  # seen in the last probe period (5 s)
    assert re.search(r"\s5\ds\s+12\s+", row), row
    assert re.search(r"Unhealthy   \ds \(x12 over 5\ds\)", cluster.kubectl(f"describe pod {pod}"))
