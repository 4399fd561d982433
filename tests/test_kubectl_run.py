"""``kubectl run`` (kubectl 1.37, ``pkg/cmd/run/run.go``): one pod, optionally its Service, printed
or created as kubectl does; with ``-i --rm`` the pod's output and its deletion. The pods kubectl
builds and the errors it prints are compared with the real kubectl 1.37.1 (talking to a stand-in
API server, :mod:`fake_apiserver`, of which ``run --dry-run=client`` only asks discovery)."""

from __future__ import annotations

import shlex

import fake_apiserver
import oracle
import pytest

import kitlib
from kitlib.kubectl.exec import ExecError


@pytest.fixture(scope="module")
def real_run():
    """``real_run([...])``: the real kubectl's exit code and output (stdout, or stderr on failure)."""
    oracle.require()
    with fake_apiserver.serve(kitlib.Cluster()) as url:
        def run(argv: list[str]) -> tuple[int, str]:
            done = fake_apiserver.kubectl(url, argv)
            return done.returncode, (done.stdout if done.returncode == 0 else done.stderr).rstrip("\n")
        yield run


def ours(cluster: kitlib.Cluster, argv: list[str]) -> tuple[int, str]:
    try:
        return 0, cluster.kubectl(shlex.join(argv))
    except kitlib.ApiError as err:
        return 1, str(err)


GENERATED = [
    "run web --image=nginx --dry-run=client -o yaml",
    "run web --image=nginx --port=80 --labels=app=web,tier=fe --env=A=1 --env=B=2 --dry-run=client -o yaml",
    "run web --image=nginx --restart=Never --command --dry-run=client -o yaml -- sh -c 'echo hi'",
    "run web --image=nginx --dry-run=client -o yaml -- a b",
    "run web extra --image=busybox --restart=OnFailure --dry-run=client -o yaml",
    "run web --image=nginx --port=80 --expose --dry-run=client -o yaml",
    "run web --image=nginx --port=8080 --expose -l app=x --dry-run=client -o yaml",
    "run web --image=nginx -n dev --dry-run=client -o yaml",
    "run web --image=nginx --image-pull-policy=Never --privileged --annotations=a=b --dry-run=client -o yaml",
    "run web --image=nginx --dry-run=client -o json",
    "run web --image=nginx --port=80 --expose -l a=b -n dev --env=A=1 --annotations=x=y --image-pull-policy=Never "
    "--privileged --dry-run=client -o json -- a b",
    "run web --image=nginx --dry-run=client",
    "run web --image=nginx --dry-run=client -o name",
    "run web --image=nginx --port=80 --expose --dry-run=client",
    "run web --image=nginx --port=80 --expose --dry-run=client -o name",
]


@pytest.mark.parametrize("line", GENERATED)
def test_generated_pod_is_kubectls(cluster, real_run, line):
    """The pod (and with ``--expose`` the Service) kubectl builds, byte for byte: ``run=NAME``
    labels unless ``--labels``, the words after NAME as ``args`` (``command`` with ``--command``),
    ``dnsPolicy: ClusterFirst``, ``restartPolicy: Always`` unless ``--restart``."""
    argv = shlex.split(line)
    assert ours(cluster, argv) == real_run(argv)


REFUSED = [
    "run web",
    "run --image=nginx",
    "run web --image=nginx --rm",
    "run web --image=nginx --rm -i --dry-run=client",
    "run web --image=nginx --attach --dry-run=client",
    "run web --image=nginx --restart=Foo",
    "run web --image=nginx --expose",
    "run web --image=nginx --port=abc",
    "run web --image=nginx --env=A",
    "run web --image=nginx --env=1A=x",
    "run web --image=nginx --labels=a",
    "run web --image=nginx --labels=a=b=c",
    "run web --image=nginx -t",
    "run web --image=nginx --foo",
    "run web --image=nginx --replicas=2",
    "run web --image=Bad_Image",
    "run web --image=nginx --image-pull-policy=Sometimes",
]


@pytest.mark.parametrize("line", REFUSED)
def test_refusal_is_kubectls(cluster, real_run, line):
    """kubectl checks its flags before it sends anything: ``required flag(s) "image" not set``,
    ``--rm should only be used for attached containers``, ... (``Complete`` then ``Validate``, in
    their order); nothing changes in the cluster."""
    argv = shlex.split(line)
    before = cluster.state()
    code, text = real_run(argv)
    assert code == 1
    assert ours(cluster, argv) == (1, text)
    assert cluster.state() == before


def test_run_creates_a_pod_that_runs(cluster):
    """Without ``-i`` kubectl creates the pod and returns: ``pod/NAME created``; the scheduler and
    kubelet then run it."""
    assert cluster.kubectl("run web --image=nginx --port=80") == "pod/web created"
    cluster.advance(30)
    pod = cluster.api.get("Pod", "web")
    assert pod.status.phase == "Running"
    assert pod.metadata.labels == {"run": "web"}


def test_expose_creates_the_service_that_selects_the_pod(cluster):
    """``--expose --port=80``: a ClusterIP Service named after the pod, selecting it, 80 → 80."""
    assert cluster.kubectl("run web --image=nginx --port=80 --expose") == "pod/web created\nservice/web created"
    cluster.advance(30)
    assert cluster.http("http://web.default.svc.cluster.local/", src="default/web").status == 200


@pytest.fixture
def served(web: kitlib.Cluster) -> kitlib.Cluster:
    web.kubectl("expose deployment web --port=80")
    web.advance(5)
    return web


NGINX_TITLE = "<title>Welcome to nginx!</title>"


def test_rm_i_prints_the_commands_output_then_deletes_the_pod(served):
    """The Services page's classic ``kubectl run tmp --rm -i --image=busybox --restart=Never --
    wget -qO- web``: kubectl waits for the pod, which has already completed, prints its log (nginx's
    page) and deletes the pod: ``pod "tmp" deleted from default namespace`` (kubectl 1.37's delete
    line). No prompt lines: kubectl never attached."""
    out = served.kubectl("run tmp --rm -i --image=busybox --restart=Never -- wget -qO- web")
    assert NGINX_TITLE in out
    assert out.endswith('</html>\npod "tmp" deleted from default namespace')
    assert out.warnings == ()
    pod = served.api.store.get("Pod", "default/tmp")
    assert pod is None or pod.metadata.deletion_timestamp


def test_rm_i_with_the_services_full_name(served):
    """``wget -qO- http://web.default.svc.cluster.local``: the same page through the full name."""
    out = served.kubectl("run tmp2 --rm -i --image=busybox --restart=Never -- wget -qO- "
                         "http://web.default.svc.cluster.local")
    assert NGINX_TITLE in out


def test_busybox_nslookup_exits_1_and_kubectl_reports_it(served):
    """BusyBox's nslookup also asks the search list's other names, gets NXDOMAIN, and exits 1:
    with ``--restart=Never`` kubectl returns the container's exit code and prints ``pod
    default/tmp terminated (Error)`` (a ``CodeExitError``, without ``error:``), after the answer
    and the deletion."""
    with pytest.raises(ExecError) as info:
        served.kubectl("run tmp --rm -i --image=busybox --restart=Never -- nslookup web")
    text = str(info.value)
    assert "Name:\tweb.default.svc.cluster.local" in text
    assert text.endswith('pod "tmp" deleted from default namespace\npod default/tmp terminated (Error)')
    assert info.value.exit_code == 1


def test_it_shell_in_a_notebook_has_no_terminal(served):
    """``kubectl run -it --rm ... -- sh`` from a notebook: kubectl's stdin is not a terminal, so it
    writes ``Unable to use a TTY - input is not a terminal or the right kind of file`` on stderr; the
    shell reads an empty stdin and exits 0; the pod is deleted."""
    out = served.kubectl("run shell --rm -it --image=busybox --restart=Never -- sh")
    assert out == 'pod "shell" deleted from default namespace'
    assert out.warnings == ("Unable to use a TTY - input is not a terminal or the right kind of file",)


def test_attached_to_a_running_container_kubectl_prints_its_prompt_lines(served):
    """A pod first seen running is attached to: kubectl's two prompt lines go to stderr, then
    the output as the container prints it."""
    out = served.kubectl("run slow -i --image=busybox --restart=Never -- sh -c 'echo hi; sleep 5; echo bye'")
    assert out == "hi\nbye"
    assert out.warnings[1] == "If you don't see a command prompt, try pressing enter."
    assert served.api.get("Pod", "slow").status.phase == "Succeeded"


def test_default_restart_always_never_gets_ready_and_times_out(served):
    """Without ``--restart=Never`` the pod's restartPolicy is Always: a short command exits before
    the pod is ever Ready, so kubectl, waiting for Running and Ready, gives up after
    ``--pod-running-timeout`` (1m): ``error: timed out waiting for the condition``, after its
    ``--rm`` deleted the pod."""
    start = served.now
    with pytest.raises(ExecError) as info:
        served.kubectl("run tmp --rm -i --image=busybox -- wget -qO- web")
    assert str(info.value) == 'pod "tmp" deleted from default namespace\nerror: timed out waiting for the condition'
    assert served.now - start >= 60


def test_attached_to_a_server_kitlib_detaches_as_ctrl_c_would(served):
    """``kubectl run web -i --image=nginx`` stays attached to nginx until Ctrl-C; kitlib detaches
    after a simulated minute, says so on stderr, and leaves the pod (Ctrl-C skips ``--rm``)."""
    out = served.kubectl("run srv -i --rm --image=nginx --restart=Never")
    assert "Configuration complete; ready for start up" in out
    assert out.warnings[-1].startswith("kitlib: detached from pod/srv after 60 simulated seconds")
    assert served.api.get("Pod", "srv").status.phase == "Running"


def test_expose_when_the_service_exists_keeps_the_pod(cluster):
    """kubectl creates the pod, then fails on the Service: it prints the pod's line, then the
    server's error, and exits 1; the pod stays."""
    cluster.kubectl("create service clusterip web --tcp=80")
    with pytest.raises(kitlib.PartialFailure) as info:
        cluster.kubectl("run web --image=nginx --port=80 --expose")
    assert str(info.value) == 'pod/web created\nError from server (AlreadyExists): services "web" already exists'
    assert cluster.api.get("Pod", "web").metadata.labels == {"run": "web"}


def test_the_debug_services_page_shell(served):
    """kubernetes.io/docs/tasks/debug/debug-application/debug-service/: ``kubectl run -it --rm
    --restart=Never busybox --image=gcr.io/google-containers/busybox sh``. From a notebook there is
    no terminal: kubectl says so on stderr, the shell reads an empty stdin and exits 0, and the pod
    is deleted."""
    out = served.kubectl("run -it --rm --restart=Never busybox --image=gcr.io/google-containers/busybox sh")
    assert out == 'pod "busybox" deleted from default namespace'
    assert out.warnings[0] == "Unable to use a TTY - input is not a terminal or the right kind of file"


def test_the_debug_services_page_wget_through_the_service(served):
    """The same page's check that the Service answers, as a one-shot pod: ``kubectl run -i --rm
    --restart=Never busybox --image=busybox -- wget -qO- web:80``."""
    out = served.kubectl("run -i --rm --restart=Never busybox --image=busybox -- wget -qO- web:80")
    assert NGINX_TITLE in out and out.endswith('pod "busybox" deleted from default namespace')
