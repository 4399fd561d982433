"""A container's main process runs: its command and args over the image's ENTRYPOINT/CMD, in a small
shell model on the cluster's clock. Its exit ends the container; ``restartPolicy``, the exit code,
``Completed``/``Error``, ``CrashLoopBackOff`` and the phase follow as the kubelet sets them."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.api.pod import Container
from kitlib.container import logs, process
from kitlib.kubectl.exec import ExecError


def pod(name: str, command: list[str] | None = None, policy: str | None = None, image: str = "busybox:1.37",
        **container) -> dict:
    """A pod with one container ``c``."""
    spec: dict = {"containers": [{"name": "c", "image": image, **({"command": command} if command else {}),
                                  **container}]}
    if policy:
        spec["restartPolicy"] = policy
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def status(cluster: kitlib.Cluster, name: str) -> list[str]:
    """The pod's row of `get pods`: NAME READY STATUS RESTARTS..."""
    line = next(x for x in cluster.kubectl("get pods").splitlines() if x.startswith(name + " "))
    return line.split()


def container_status(cluster: kitlib.Cluster, name: str):
    return cluster.get("Pod", name).status.container_statuses[0]


def test_command_and_args_override_entrypoint_and_cmd():
    """`command` replaces the image's ENTRYPOINT and drops its CMD; `args` alone replaces the CMD;
    nginx's /docker-entrypoint.sh hands over to what follows it."""
    assert process.argv(Container(name="c", image="busybox")) == ["sh"]
    assert process.argv(Container(name="c", image="nginx")) == ["nginx", "-g", "daemon off;"]
    assert process.argv(Container(name="c", image="registry.k8s.io/e2e-test-images/agnhost:2.40",
                                  extra={"args": ["liveness"]})) == ["/agnhost", "liveness"]
    assert process.argv(Container(name="c", image="busybox", extra={"command": ["sleep"], "args": ["5"]})) \
        == ["sleep", "5"]
    assert process.script_of(Container(name="c", image="nginx")) is None  # a server: runs until signalled


def test_exit_1_crash_loops_with_the_kubelets_back_off(cluster):
    """`sh -c "exit 1"` under restartPolicy Always: restarted at once the first time, then after
    10 s, 20 s, 40 s...: the pod shows Error, then CrashLoopBackOff, and describe's Last State."""
    cluster.apply(pod("crash", ["sh", "-c", "exit 1"]))
    cluster.advance(5)
    cs = container_status(cluster, "crash")
    assert cs.restart_count == 1 and cs.state.waiting.reason == "CrashLoopBackOff"
    assert cs.state.waiting.message.startswith("back-off 10s restarting failed container=c pod=crash_default(")
    assert cs.last_state.terminated.exit_code == 1 and cs.last_state.terminated.reason == "Error"
    assert status(cluster, "crash")[2:4] == ["CrashLoopBackOff", "1"]
    restarts = []
    for _ in range(12):
        cluster.advance(10)
        restarts.append(container_status(cluster, "crash").restart_count)
    # Restarts about 10, 20 and 40 s apart: 2 by ~15 s, 3 by ~36 s, 4 by ~77 s, 5 by ~158 s.
    assert restarts == [2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4]
    out = cluster.kubectl("describe pod crash")
    assert "    Last State:    Terminated\n      Reason:       Error\n      Exit Code:    1\n" in out
    assert "Back-off restarting failed container c in pod crash_default(" in out


def test_busybox_without_a_command_completes_and_crash_loops_in_a_deployment(cluster):
    """busybox's CMD is `sh`, which reads an empty stdin and exits 0: Completed, then
    CrashLoopBackOff, since a Deployment's pods restart Always."""
    cluster.kubectl("create deployment bb --image=busybox")
    cluster.advance(3.5)
    name = cluster.pods()[0].name if cluster.pods() else ""
    assert status(cluster, name)[2] in ("Completed", "CrashLoopBackOff")
    cluster.advance(60)
    row = status(cluster, name)
    assert row[1] == "0/1" and row[2] == "CrashLoopBackOff"
    assert container_status(cluster, name).last_state.terminated.reason == "Completed"


def test_restart_policy_never_and_on_failure_set_the_phase(cluster):
    """Never: the container is not restarted; exit 0 → Succeeded (Completed, Ready reason
    PodCompleted), non-zero → Failed (Error). OnFailure restarts only a failure."""
    cluster.apply(pod("ok", ["sh", "-c", "echo done"], policy="Never"))
    cluster.apply(pod("bad", ["sh", "-c", "exit 3"], policy="Never"))
    cluster.apply(pod("onf-ok", ["true"], policy="OnFailure"))
    cluster.apply(pod("onf-bad", ["false"], policy="OnFailure"))
    cluster.advance(30)
    ok, bad = cluster.get("Pod", "ok"), cluster.get("Pod", "bad")
    assert (ok.status.phase, status(cluster, "ok")[2]) == ("Succeeded", "Completed")
    ready = ok.status.condition("Ready")
    assert (ready.status, ready.reason, ready.message) == ("False", "PodCompleted", None)
    assert (bad.status.phase, status(cluster, "bad")[2:4]) == ("Failed", ["Error", "0"])
    assert bad.status.container_statuses[0].state.terminated.exit_code == 3
    assert cluster.get("Pod", "onf-ok").status.phase == "Succeeded"
    assert cluster.get("Pod", "onf-bad").status.phase == "Running"
    assert container_status(cluster, "onf-bad").restart_count >= 2


def test_sleep_takes_simulated_time(cluster):
    """`sleep 20; exit 2`: the container runs 20 s of the cluster's clock, then ends with code 2."""
    cluster.apply(pod("nap", ["sh", "-c", "sleep 20; exit 2"], policy="Never"))
    cluster.advance(15)
    assert status(cluster, "nap")[1:3] == ["1/1", "Running"]
    cluster.advance(10)
    t = container_status(cluster, "nap").state.terminated
    assert (t.exit_code, t.reason) == (2, "Error")
    from kitlib.clock import parse_timestamp
    assert parse_timestamp(t.finished_at) - parse_timestamp(t.started_at) == pytest.approx(20)


def test_and_or_lists_and_tests(cluster):
    """`;`, `&&` and `||` as POSIX's AND-OR lists; `test`/`[` on files and strings; `$VAR` from
    the spec's env and `$HOSTNAME`; what the script echoes is the container's log."""
    script = ('[ -f /tmp/x ] || echo "no x"; touch /tmp/x && [ -f /tmp/x ] && echo "x now"; '
              'false && echo skipped || echo "after false"; test "$MODE" = demo && echo "mode $MODE on $HOSTNAME"; '
              'echo kept > /tmp/out; echo more >> /tmp/out; cat /tmp/out; false; echo "code $?"; rm /tmp/nope')
    cluster.apply(pod("sh", ["sh", "-c", script], policy="Never", env=[{"name": "MODE", "value": "demo"}]))
    cluster.advance(10)
    p = cluster.get("Pod", "sh")
    lines = [x.text for x in logs.read(cluster.runtime, p, "c")]
    assert lines == ["no x", "x now", "after false", "mode demo on sh", "kept", "more", "code 1",
                     "rm: can't remove '/tmp/nope': No such file or directory"]
    assert p.status.container_statuses[0].state.terminated.exit_code == 1  # rm's


def test_exec_sees_the_files_the_main_process_wrote(cluster):
    """`kubectl exec` runs in the same container: it reads what the command wrote, and writes
    what the next `exec` reads."""
    cluster.apply(pod("w", ["sh", "-c", "echo ready > /tmp/state; sleep 3600"]))
    cluster.advance(10)
    assert cluster.kubectl("exec w -- cat /tmp/state") == "ready"
    cluster.kubectl("exec w -- touch /tmp/flag")
    assert cluster.kubectl("exec w -- sh -c '[ -f /tmp/flag ] && echo yes'") == "yes"
    assert cluster.kubectl("exec w -- env").splitlines()[:2] == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=w"]


def test_a_restart_starts_with_a_fresh_filesystem_and_a_new_log(cluster):
    """A restarted container is a new container: the files the last run wrote are gone, and its
    output starts a new log (the old one is `--previous`)."""
    cluster.apply(pod("r", ["sh", "-c", "cat /tmp/seen; touch /tmp/seen; echo run; sleep 5; exit 1"]))
    cluster.advance(9)
    p = cluster.get("Pod", "r")
    assert p.status.container_statuses[0].restart_count == 1
    current = [x.text for x in logs.read(cluster.runtime, p, "c")]
    previous = [x.text for x in logs.read(cluster.runtime, p, "c", previous=True) or []]
    assert previous == ["cat: can't open '/tmp/seen': No such file or directory", "run"]
    assert current == previous


def test_servers_run_until_signalled_and_cost_nothing(cluster):
    """nginx, agnhost and http-echo run until they are signalled: nothing is scheduled for them
    and no filesystem is made until something writes one."""
    cluster.kubectl("create deployment web --image=nginx --replicas=3")
    cluster.advance(30)
    assert all(status(cluster, p.name)[2] == "Running" for p in cluster.pods())
    assert cluster.runtime.processes.by_container == {}


def test_unsupported_shell_syntax_is_taken_to_run_until_signalled(cluster):
    """A loop is beyond the shell model: the container is taken to run, as the loop would."""
    cluster.apply(pod("loop", ["sh", "-c", "while true; do echo hi; sleep 5; done"]))
    cluster.advance(60)
    assert status(cluster, "loop")[1:4] == ["1/1", "Running", "0"]


def test_a_completed_container_cannot_be_exec_ed_into(cluster):
    """kubectl refuses to exec into a pod that has completed."""
    cluster.apply(pod("done", ["true"], policy="Never"))
    cluster.advance(10)
    with pytest.raises(kitlib.BadRequest, match="cannot exec into a container in a completed pod; current phase "
                                                "is Succeeded"):
        cluster.kubectl("exec done -- hostname")
    with pytest.raises(ExecError, match="exit code 1"):
        cluster.apply(pod("alive", ["sleep", "60"]))
        cluster.advance(10)
        cluster.kubectl("exec alive -- false")


def test_an_exec_that_fails_as_an_error_writes_nothing(cluster, snapshot):
    """A script kitlib cannot finish (a program it does not simulate) is an error and changes
    nothing, not even the files its first commands would have written."""
    cluster.apply(pod("w", ["sleep", "3600"]))
    cluster.advance(10)
    before = snapshot(cluster)
    with pytest.raises(kitlib.BadRequest, match='kitlib does not simulate "ps"'):
        cluster.kubectl("exec w -- sh -c 'touch /tmp/a; ps'")
    assert snapshot(cluster) == before
    with pytest.raises(ExecError):
        cluster.kubectl("exec w -- cat /tmp/a")


def test_service_variables_are_those_of_services_that_existed_at_start(cluster):
    """The kubelet adds each Service's variables (WEB_API_SERVICE_HOST, Docker's WEB_API_PORT...)
    for the Services of the pod's namespace that exist when the container starts, and always the
    `kubernetes` Service's; a Service created later is not in the environment of a running container."""
    cluster.kubectl("create service clusterip web-api --tcp=80:8080")
    ip = cluster.get("Service", "web-api").spec.cluster_ip
    cluster.apply(pod("w", ["sh", "-c", "echo $WEB_API_SERVICE_HOST:$WEB_API_SERVICE_PORT; sleep 3600"]))
    cluster.advance(10)
    env = cluster.kubectl("exec w -- env").splitlines()
    assert "KUBERNETES_SERVICE_HOST=10.96.0.1" in env and "KUBERNETES_PORT_443_TCP_PROTO=tcp" in env
    assert [x for x in env if x.startswith("WEB_API_")] == [
        f"WEB_API_SERVICE_HOST={ip}", "WEB_API_SERVICE_PORT=80", "WEB_API_SERVICE_PORT_80_8080=80",
        f"WEB_API_PORT=tcp://{ip}:80", f"WEB_API_PORT_80_TCP=tcp://{ip}:80", "WEB_API_PORT_80_TCP_PROTO=tcp",
        "WEB_API_PORT_80_TCP_PORT=80", f"WEB_API_PORT_80_TCP_ADDR={ip}"]
    assert [x.text for x in logs.read(cluster.runtime, cluster.get("Pod", "w"), "c")] == [f"{ip}:80"]
    cluster.kubectl("create service clusterip late --tcp=81")
    assert not [x for x in cluster.kubectl("exec w -- env").splitlines() if x.startswith("LATE_")]
