"""``kubectl logs``: each image's start-up lines, an access-log line per request served, and
kubectl's and the kubelet's words for every refusal (compared with the real kubectl 1.37 where
it can answer offline)."""

from __future__ import annotations

import subprocess

import oracle
import pytest

import kitlib
from kitlib.errors import NotFound, ServerBadRequest
from kitlib.kubectl.args import KubectlError

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"
NGINX_START = """\
/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration
/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/
/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh
10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf
10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf
/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh
/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh
/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh
/docker-entrypoint.sh: Configuration complete; ready for start up
{t} [notice] 1#1: using the "epoll" event method
{t} [notice] 1#1: nginx/1.27.5
{t} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14){sp}
{t} [notice] 1#1: OS: Linux 6.8.0-49-generic
{t} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576
{t} [notice] 1#1: start worker processes
{t} [notice] 1#1: start worker process 29
{t} [notice] 1#1: start worker process 30"""


def pod(cluster: kitlib.Cluster, name: str, *containers: dict, advance: float = 15) -> kitlib.api.pod.Pod:
    cluster.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
                   "spec": {"containers": list(containers)}})
    if advance:
        cluster.advance(advance)
    return cluster.get("Pod", name)


def started(p) -> str:
    """The Go-log stamp (``2026/01/01 00:00:04``) of the container's start."""
    at = p.status.container_statuses[0].state.running.started_at
    return at.replace("-", "/").replace("T", " ").removesuffix("Z")


def test_nginx_prints_its_entrypoint_and_notice_lines(cluster):
    """nginx's docker-entrypoint.sh lines, then its [notice] lines stamped with the start time."""
    p = pod(cluster, "web", {"name": "web", "image": "nginx"})
    assert cluster.kubectl("logs web") == NGINX_START.format(t=started(p), sp=" ")  # gcc -v ends in a space


def test_nginx_access_line_in_its_combined_format_with_the_client_it_sees(cluster):
    """Every request nginx served is one line of its ``main`` log format; the address is the
    client's as the pod sees it: a pod's own IP through a ClusterIP, the node's after SNAT."""
    cluster.kubectl("create deployment web --image=nginx")
    cluster.kubectl("expose deployment web --port=80 --type=NodePort")
    client = pod(cluster, "client", {"name": "c", "image": "busybox", "command": ["sleep", "3600"]})
    r = cluster.http("http://web/index.html", src=client.key)
    assert r.status == 200
    line = cluster.kubectl("logs deployment/web --tail=1")
    assert line == (f'{client.status.pod_ip} - - [01/Jan/2026:00:00:{int(cluster.now):02d} +0000] '
                    '"GET /index.html HTTP/1.1" 200 615 "-" "-" "-"')
    node_port = cluster.get("Service", "web").spec.ports[0].node_port
    node_ip = cluster.nodes()[1].status.addresses[0].address
    outside = cluster.http(f"http://{node_ip}:{node_port}/missing", src="external")
    assert outside.status == 404
    seen = outside.connection.hops[-1].src
    last = cluster.kubectl("logs deployment/web --tail=1")
    assert last.startswith(f"{seen} - - [") and '"GET /missing HTTP/1.1" 404 153' in last
    assert seen != "external" and not seen.startswith("203.")


def test_agnhost_netexec_logs_its_start_and_each_handler(cluster):
    """netexec (Go's log on stderr): its two servers' start lines, then one line per request."""
    p = pod(cluster, "api", {"name": "api", "image": AGNHOST, "args": ["netexec", "--http-port=9000"]})
    cluster.http(f"http://{p.status.pod_ip}:9000/hostname", src="node/minikube")
    cluster.http(f"http://{p.status.pod_ip}:9000/echo?msg=hi", src="node/minikube")
    cluster.http(f"http://{p.status.pod_ip}:9000/anything", src="node/minikube")
    t, now = started(p), "2026/01/01 00:00:15"
    assert cluster.kubectl("logs api") == (f"{t} Started HTTP server on port 9000\n"
                                           f"{t} Started UDP server on port  8081\n"
                                           f"{now} GET /hostname\n{now} GET /echo?msg=hi&code=\n{now} GET /")


def test_serve_hostname_logs_its_port_and_each_request(cluster):
    """serve-hostname: ``Serving on port 9376.``, then ``HTTP request from ip:port`` per request."""
    p = pod(cluster, "sh", {"name": "sh", "image": AGNHOST, "args": ["serve-hostname"]})
    r = cluster.http(f"http://{p.status.pod_ip}:9376/", src="node/minikube")
    first, second = cluster.kubectl("logs sh").splitlines()
    assert first == f"{started(p)} Serving on port 9376."
    assert second.startswith(f"2026/01/01 00:00:15 HTTP request from {r.connection.hops[-1].src}:")


def test_http_echo_logs_its_listen_line_and_requests(cluster):
    """http-echo: ``[INFO] server is listening on :5678``, then its httpLog line per request."""
    p = pod(cluster, "echo", {"name": "echo", "image": "hashicorp/http-echo", "args": ["-text=hello"]})
    r = cluster.http(f"http://{p.status.pod_ip}:5678/x", src="node/minikube")
    out = cluster.kubectl("logs echo").splitlines()
    assert out[0] == f"{started(p)} [INFO] server is listening on :5678"
    client = r.connection.hops[-1].src
    assert out[1].startswith(f'2026/01/01 00:00:15 {p.status.pod_ip}:5678 {client}:')
    assert out[1].split('"', 2)[1] == "GET /x HTTP/1.1" and ' 200 6 "" ' in out[1] and out[1].endswith("µs")


def test_deployment_name_uses_the_first_pod_and_says_so_on_stderr(cluster):
    """``logs deployment/NAME`` reads the first pod by ByLogging; kubectl writes ``Found N pods,
    using pod/NAME`` on stderr (no ``Warning:`` prefix)."""
    cluster.kubectl("create deployment web --image=nginx --replicas=3")
    cluster.advance(15)
    out = cluster.kubectl("logs deploy/web")
    first = sorted(p.name for p in cluster.pods(selector="app=web"))
    (note,) = out.warnings
    assert note.startswith("Found 3 pods, using pod/web-") and note.split("/")[-1] in first
    assert out.stderr == note + "\n"
    assert out.startswith("/docker-entrypoint.sh:")


def test_multi_container_pod_defaults_to_the_first_container(cluster):
    """Without -c, kubectl 1.37 reads the first container and says ``Defaulted container``."""
    pod(cluster, "two", {"name": "web", "image": "nginx"},
        {"name": "side", "image": "busybox", "command": ["sleep", "3600"]})
    out = cluster.kubectl("logs two")
    assert out.warnings == ('Defaulted container "web" out of: web, side',)
    assert cluster.kubectl("logs two -c side") == ""
    assert cluster.kubectl("logs two side") == ""
    both = cluster.kubectl("logs two --all-containers --prefix")
    assert both.splitlines()[0] == "[pod/two/web] /docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will " \
                                   "attempt to perform configuration"
    with pytest.raises(kitlib.BadRequest, match=r"^error: container nope is not valid for pod two out of: web, side$"):
        cluster.kubectl("logs two -c nope")
    with pytest.raises(kitlib.BadRequest, match=r"^error: --all-containers=true should not be specified with "
                                                r"container name side$"):
        cluster.kubectl("logs two --all-containers -c side")
    with pytest.raises(kitlib.BadRequest, match=r"^error: only one of -c or an inline \[CONTAINER\] arg is allowed$"):
        cluster.kubectl("logs two side -c web")


def test_tail_timestamps_follow_and_limit_bytes(cluster):
    """``--tail=N`` keeps the last N lines (0: none); ``--timestamps`` prefixes RFC 3339 times;
    ``-f`` prints what is there now."""
    pod(cluster, "web", {"name": "web", "image": "nginx"})
    full = cluster.kubectl("logs web")
    assert cluster.kubectl("logs web --tail=2") == "\n".join(full.splitlines()[-2:])
    assert cluster.kubectl("logs web --tail=0") == ""
    assert cluster.kubectl("logs web -f") == full
    stamped = cluster.kubectl("logs web --timestamps --tail=1")
    assert stamped.startswith("2026-01-01T00:00:") and stamped.endswith("Z 2026/01/01 00:00:" + stamped[17:19]
                                                                        + " [notice] 1#1: start worker process 30")
    assert cluster.kubectl("logs web --limit-bytes=20") == full[:20]


def test_previous_needs_a_terminated_run(cluster):
    """``--previous`` with no earlier run: the kubelet's ``previous terminated container ... not
    found``; after a crash it shows the run before, with that run's start time."""
    p = pod(cluster, "api", {"name": "api", "image": AGNHOST, "args": ["netexec"]})
    with pytest.raises(ServerBadRequest, match=r'^Error from server \(BadRequest\): previous terminated container '
                                               r'"api" in pod "api" not found$'):
        cluster.kubectl("logs api -p")
    cluster.http(f"http://{p.status.pod_ip}:8080/hostname", src="node/minikube")
    first = cluster.kubectl("logs api")
    cluster.set_fault("api", "crash")  # it exits at once and is started again
    cluster.advance(0.5)
    cluster.set_fault("api", "crash", on=False)
    cluster.advance(10)
    assert cluster.get("Pod", "api").status.container_statuses[0].restart_count == 1
    assert cluster.kubectl("logs api --previous") == first
    assert "GET /hostname" not in cluster.kubectl("logs api")


def test_a_pod_waiting_to_start_has_no_logs_yet(cluster):
    """Before its container runs: ``container "x" in pod "y" is waiting to start: ContainerCreating``."""
    pod(cluster, "slow", {"name": "app", "image": "nginx"}, advance=0)
    cluster.advance(1)
    p = cluster.get("Pod", "slow")
    assert p.spec.node_name and not p.status.container_statuses[0].state.running
    with pytest.raises(ServerBadRequest, match=r'^Error from server \(BadRequest\): container "app" in pod "slow" '
                                               r"is waiting to start: ContainerCreating$"):
        cluster.kubectl("logs slow")


def test_missing_pod_and_deployment(cluster, snapshot):
    """A missing object is the API server's NotFound; a failed logs call changes nothing."""
    before = snapshot(cluster)
    with pytest.raises(NotFound, match=r'^Error from server \(NotFound\): pods "nope" not found$'):
        cluster.kubectl("logs nope")
    with pytest.raises(NotFound, match=r'^Error from server \(NotFound\): deployments.apps "nope" not found$'):
        cluster.kubectl("logs deployment/nope")
    assert snapshot(cluster) == before


def test_a_selector_reads_the_last_ten_lines_of_each_pod(cluster):
    """``-l`` reads every matching pod, ``--tail`` defaulting to 10 (``selectorTail``)."""
    cluster.kubectl("create deployment web --image=nginx --replicas=2")
    cluster.advance(15)
    assert len(cluster.kubectl("logs -l app=web").splitlines()) == 20
    out = cluster.kubectl("logs -l app=none")
    assert out == "" and out.warnings == ("No resources found in default namespace.",)


OFFLINE = [
    "logs",
    "logs a b c",
    "logs --bogus web",
    "logs --tail=x web",
    "logs --tail=99999999999999999999 web",
    "logs --since=x web",
    "logs --since=5 web",
    "logs --limit-bytes=x web",
    "logs -l app=x web",
]


@pytest.mark.parametrize("line", OFFLINE)
def test_flag_and_usage_errors_match_the_real_kubectl(cluster, line):
    """What kubectl refuses before asking the server, in its own words."""
    exe = oracle.require()
    done = subprocess.run([exe, *line.split()], capture_output=True, text=True, timeout=60, check=False,
                          env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    with pytest.raises(KubectlError) as info:
        cluster.kubectl(line)
    assert str(info.value) == done.stderr.rstrip("\n")


def test_tail_below_minus_one_is_refused_after_the_pod_is_found(cluster):
    """Validate runs after the object is fetched: a missing pod is NotFound first."""
    pod(cluster, "web", {"name": "web", "image": "nginx"})
    with pytest.raises(kitlib.BadRequest, match=r"^error: --tail must be greater than or equal to -1$"):
        cluster.kubectl("logs web --tail=-2")
    with pytest.raises(NotFound):
        cluster.kubectl("logs nope --tail=-2")


def test_since_time_all_pods_and_follow_limits(cluster):
    """``--since-time`` keeps lines from that time on (a bad time is Go's ``time.Parse`` error);
    ``--all-pods`` reads every pod with a prefix; ``-f`` over more streams than
    ``--max-log-requests`` is refused."""
    cluster.kubectl("create deployment web --image=nginx --replicas=2")
    cluster.advance(15)
    p = cluster.pods(selector="app=web")[0]
    cluster.http(f"http://{p.status.pod_ip}/", src="node/minikube")
    assert cluster.kubectl(f"logs {p.name} --since-time=2026-01-01T00:00:14Z").startswith(
        "10.244.") and len(cluster.kubectl(f"logs {p.name} --since-time=2026-01-01T00:00:14Z").splitlines()) == 1
    with pytest.raises(kitlib.BadRequest, match=r'^error: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": '
                                                r'cannot parse "yesterday" as "2006"$'):
        cluster.kubectl(f"logs {p.name} --since-time=yesterday")
    with pytest.raises(kitlib.BadRequest, match=r"^error: at most one of `sinceTime` or `sinceSeconds` may be "
                                                r"specified$"):
        cluster.kubectl(f"logs {p.name} --since-time=2026-01-01T00:00:14Z --since=1h")
    every = cluster.kubectl("logs deployment/web --all-pods --tail=1")
    assert every.warnings == () and len(every.splitlines()) == 2
    assert all(line.startswith("[pod/web-") and "/nginx] " in line for line in every.splitlines())
    with pytest.raises(kitlib.BadRequest, match=r"^error: you are attempting to follow 2 log streams, but maximum "
                                                r"allowed concurrency is 1, use --max-log-requests to increase the "
                                                r"limit$"):
        cluster.kubectl("logs -f -l app=web --max-log-requests=1")


def test_since_time_parse_error_matches_the_real_kubectl(cluster):
    """kubectl parses ``--since-time`` before it asks the server."""
    exe = oracle.require()
    done = subprocess.run([exe, "logs", "--since-time=2026-01-01", "web"], capture_output=True, text=True,
                          timeout=60, check=False, env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"})
    with pytest.raises(kitlib.BadRequest) as info:
        cluster.kubectl("logs --since-time=2026-01-01 web")
    assert str(info.value) == done.stderr.rstrip("\n")
