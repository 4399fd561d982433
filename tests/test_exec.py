"""kubectl exec: network tools inside containers print what they print on a real cluster."""

from __future__ import annotations

import shlex

import pytest

import kitlib
from kitlib.kubectl.exec import ExecError


@pytest.fixture
def lab(web):
    """`web` (nginx x3) behind a ClusterIP Service, and a busybox pod `bb`."""
    web.kubectl("expose deployment web --port=80")
    web.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bb"},
               "spec": {"containers": [{"name": "bb", "image": "busybox:1.37", "command": ["sleep", "3600"]}]}})
    web.advance(30)
    return web


def nginx_pod(cluster):
    return cluster.pods(selector="app=web")[0].name


def svc_ip(cluster, name="web"):
    return cluster.get("Service", name).spec.cluster_ip


def test_cat_resolv_conf(lab):
    """`cat /etc/resolv.conf` shows the file the kubelet wrote for the pod."""
    assert lab.kubectl("exec bb -- cat /etc/resolv.conf") == (
        "nameserver 10.96.0.10\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5")


def test_hostname_and_hosts_file(lab):
    """The pod's hostname is its name; /etc/hosts is the kubelet's managed file ending with the pod's IP."""
    assert lab.kubectl("exec bb -- hostname") == "bb"
    hosts = lab.kubectl("exec bb -- cat /etc/hosts").splitlines()
    assert hosts[0] == "# Kubernetes-managed hosts file." and hosts[-1] == f"{lab.get('Pod', 'bb').status.pod_ip}\tbb"


def test_busybox_nslookup_of_a_full_name(lab):
    """BusyBox nslookup of an FQDN: its Server/Address header (port after a colon), the A answer,
    and an empty line for the empty AAAA answer; exit code 0."""
    out = lab.kubectl("exec bb -- nslookup web.default.svc.cluster.local")
    assert out == ("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
                   f"Name:\tweb.default.svc.cluster.local\nAddress: {svc_ip(lab)}\n\n")


def test_busybox_nslookup_of_a_short_name_exits_1(lab):
    """BusyBox nslookup sends A and AAAA for every search suffix and prints each reply: a short name
    resolves but the NXDOMAIN replies make it exit 1, so kubectl reports the exit code."""
    with pytest.raises(ExecError) as err:
        lab.kubectl("exec bb -- nslookup web")
    text = str(err.value)
    assert f"Name:\tweb.default.svc.cluster.local\nAddress: {svc_ip(lab)}\n" in text
    assert text.count("** server can't find web.svc.cluster.local: NXDOMAIN\n") == 2
    assert text.count("** server can't find web.cluster.local: NXDOMAIN\n") == 2
    assert text.endswith("\ncommand terminated with exit code 1") and err.value.exit_code == 1


def test_busybox_nslookup_does_not_search_dotted_names(lab):
    """BusyBox applies the search list only to names without a dot, so `web.default` is sent as
    is and fails (the reason Kubernetes' docs use busybox:1.28 for DNS debugging)."""
    with pytest.raises(ExecError, match=r"\*\* server can't find web.default: NXDOMAIN"):
        lab.kubectl("exec bb -- nslookup web.default")


def test_nslookup_when_kube_dns_is_down(lab):
    """With CoreDNS scaled to zero nothing answers 10.96.0.10: nslookup times out."""
    lab.scale("coredns", 0, namespace="kube-system")
    lab.advance(40)
    with pytest.raises(ExecError) as err:
        lab.kubectl("exec bb -- nslookup web.default.svc.cluster.local")
    assert str(err.value) == (";; connection timed out; no servers could be reached\n\n"
                              "command terminated with exit code 1")


def test_wget_prints_the_page(lab):
    """`wget -qO- URL` (or `-O- -q`) prints the body: the Service name resolves and a web pod answers."""
    page = lab.kubectl("exec bb -- wget -qO- http://web")
    assert page.startswith("<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>")
    assert lab.kubectl("exec bb -- wget -O- -q http://web.default.svc.cluster.local/") == page


def test_wget_without_quiet_says_where_it_connects(lab):
    """Without -q BusyBox wget first prints `Connecting to HOST (IP:PORT)` on stderr."""
    out = lab.kubectl("exec bb -- wget -O- http://web")
    assert out.startswith(f"Connecting to web ({svc_ip(lab)}:80)\nwriting to stdout\n<!DOCTYPE html>")


def test_wget_errors(lab):
    """BusyBox wget's messages: an unknown host is a bad address, a closed port is refused, an HTTP
    error is reported with its status line; each exits 1."""
    with pytest.raises(ExecError, match=r"^wget: bad address 'nope'\ncommand terminated with exit code 1$"):
        lab.kubectl("exec bb -- wget -qO- http://nope")
    ip = lab.get("Pod", nginx_pod(lab)).status.pod_ip
    with pytest.raises(ExecError, match=rf"^wget: can't connect to remote host \({ip}\): Connection refused\n"):
        lab.kubectl(f"exec bb -- wget -qO- http://{ip}:8080")
    with pytest.raises(ExecError, match=r"^wget: server returned error: HTTP/1.1 404 Not Found\n"):
        lab.kubectl("exec bb -- wget -qO- http://web/missing")


def test_wget_to_a_port_the_service_lacks_times_out(lab):
    """A ClusterIP port with no rule falls out of the cluster: wget waits for the kernel to give up."""
    with pytest.raises(ExecError, match=rf"can't connect to remote host \({svc_ip(lab)}\): Connection timed out"):
        lab.kubectl("exec bb -- wget -qO- http://web:8080")
    with pytest.raises(ExecError, match=r"^wget: download timed out\n"):
        lab.kubectl("exec bb -- wget -q -T 2 -O- http://web:8080")


def test_curl_in_the_nginx_image(lab):
    """nginx's image ships curl 7.88.1: -s prints only the body."""
    page = lab.kubectl(f"exec {nginx_pod(lab)} -- curl -s http://web")
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>")


def test_curl_shows_its_progress_meter_without_s(lab):
    """kubectl exec's output is not a terminal, so curl draws its progress meter on stderr unless -s."""
    out = lab.kubectl(f"exec {nginx_pod(lab)} -- curl http://web")
    assert out.startswith("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n")
    assert "\n100   615  100   615 " in out


def test_curl_errors(lab):
    """curl's messages and exit codes: 6 for an unknown host, 7 for a refused connection (curl 7.88's
    wording), and -s alone hides the message but keeps the code."""
    pod = nginx_pod(lab)
    with pytest.raises(ExecError, match=r"^curl: \(6\) Could not resolve host: nope\ncommand terminated with exit code 6$"):
        lab.kubectl(f"exec {pod} -- curl -sS http://nope")
    with pytest.raises(ExecError, match=r"^curl: \(7\) Failed to connect to localhost port 81 after 0 ms: "
                                        r"Couldn't connect to server\n"):
        lab.kubectl(f"exec {pod} -- curl -sS localhost:81")
    with pytest.raises(ExecError, match=r"^command terminated with exit code 7$"):
        lab.kubectl(f"exec {pod} -- curl -s localhost:81")


def test_curl_write_out_and_include(lab):
    """-o /dev/null -w '%{http_code}' prints the status; -i adds the status line and headers."""
    pod = nginx_pod(lab)
    assert lab.kubectl(f"exec {pod} -- curl -s -o /dev/null -w '%{{http_code}}' http://web/nope") == "404"
    head = lab.kubectl(f"exec {pod} -- curl -sI http://web")
    assert head.startswith("HTTP/1.1 200 OK\r\nServer: nginx/1.27.5\r\n")


def test_missing_program_is_an_oci_runtime_error(lab):
    """busybox has no curl, nginx (Debian) has no wget: Docker's runtime cannot start the program."""
    with pytest.raises(ExecError) as err:
        lab.kubectl("exec bb -- curl http://web")
    assert str(err.value) == ('OCI runtime exec failed: exec failed: unable to start container process: exec: '
                              '"curl": executable file not found in $PATH: unknown\n'
                              "command terminated with exit code 126")
    with pytest.raises(ExecError, match=r'exec: "wget": executable file not found in \$PATH'):
        lab.kubectl(f"exec {nginx_pod(lab)} -- wget -qO- http://web")


def test_missing_program_in_a_shell(lab):
    """Inside `sh -c` the shell reports it: BusyBox ash `sh: curl: not found`, Debian's dash adds
    the line number; both exit 127."""
    with pytest.raises(ExecError, match=r"^sh: curl: not found\ncommand terminated with exit code 127$"):
        lab.kubectl("exec bb -- sh -c 'curl http://web'")
    with pytest.raises(ExecError, match=r"^sh: 1: nslookup: not found\n"):
        lab.kubectl(f"exec {nginx_pod(lab)} -- sh -c 'nslookup web'")
    assert lab.kubectl("exec bb -- sh -c 'hostname && echo done'") == "bb\ndone"


def test_exec_errors_before_the_command_runs(lab):
    """kubectl's and the API server's own errors: no such pod, no command, no such container."""
    with pytest.raises(kitlib.NotFound, match=r'^Error from server \(NotFound\): pods "ghost" not found$'):
        lab.kubectl("exec ghost -- hostname")
    with pytest.raises(kitlib.BadRequest, match="^error: you must specify at least one command for the container$"):
        lab.kubectl("exec bb --")
    with pytest.raises(kitlib.BadRequest, match=r"^Error from server \(BadRequest\): container nope is not valid "
                                                r"for pod bb$"):
        lab.kubectl("exec bb -c nope -- hostname")


def test_exec_into_a_pod_that_is_not_running(lab):
    """A pod with no node yet: the API server refuses; a container not started yet: the kubelet
    finds no container; a completed pod: kubectl refuses."""
    for node in lab.nodes():
        lab.cordon(node.name)
    lab.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "waiting"},
               "spec": {"containers": [{"name": "w", "image": "busybox"}]}})
    with pytest.raises(kitlib.BadRequest, match=r"^Error from server \(BadRequest\): pod waiting does not have a "
                                                r"host assigned$"):
        lab.kubectl("exec waiting -- hostname")
    lab.uncordon("minikube")
    assert lab.get("Pod", "waiting").spec.node_name == "minikube"
    with pytest.raises(kitlib.BadRequest, match=r'^error: unable to upgrade connection: container not found \("w"\)$'):
        lab.kubectl("exec waiting -- hostname")
    pod = lab.api.get("Pod", "bb")
    pod.status.phase = "Succeeded"  # no Job controller yet: the kubelet's status write, by hand
    lab.api.update_status(pod, notify=False)
    with pytest.raises(kitlib.BadRequest, match="^error: cannot exec into a container in a completed pod; "
                                                "current phase is Succeeded$"):
        lab.kubectl("exec bb -- hostname")


def test_exec_on_a_down_node(lab):
    """The API server cannot reach the kubelet of a node that stopped answering."""
    node = lab.get("Pod", "bb").spec.node_name
    lab.fail_node(node)
    ip = lab.get("Node", node).status.addresses[0].address
    with pytest.raises(kitlib.ApiError, match=rf"^Error from server: error dialing backend: dial tcp {ip}:10250: "
                                             "i/o timeout$"):
        lab.kubectl("exec bb -- hostname")


def test_exec_picks_a_pod_of_a_deployment(lab):
    """`exec deploy/web` runs in one of the deployment's pods."""
    assert lab.kubectl("exec deploy/web -- hostname").startswith("web-")


def test_multi_container_pod_names_the_default(lab):
    """Without -c kubectl picks the first container and says so; -c picks another."""
    lab.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "two"},
               "spec": {"containers": [{"name": "app", "image": "nginx"},
                                        {"name": "side", "image": "busybox", "command": ["sleep", "3600"]}]}})
    lab.advance(30)
    assert lab.kubectl("exec two -- hostname") == 'Defaulted container "app" out of: app, side\ntwo'
    assert lab.kubectl("exec two -c side -- hostname") == "two"


def test_unsimulated_tools_say_so(lab):
    """A program the image has but kitlib does not model is an error in kitlib's words, not a fake output."""
    with pytest.raises(kitlib.BadRequest, match='kitlib does not simulate "ps"'):
        lab.kubectl("exec bb -- ps")


def test_exec_changes_nothing(lab, snapshot):
    """Looking from inside a pod changes nothing in the cluster, its clock or its random generator.
    (The request itself moves the nodes' kernels: kube-proxy's random choice draws from their
    stream, as a real packet would; and the nginx that served it writes its access-log line.)"""
    def cluster_state() -> dict:
        taken = snapshot(lab)
        for kernel in ("proxy_state", "proxy_rng", "logs"):
            taken.pop(kernel)
        return taken

    before = cluster_state()
    logged = sum(len(log.current) for logs in lab.runtime.logs.by_pod.values() for log in logs.values())
    lab.kubectl("exec bb -- wget -qO- http://web.default.svc.cluster.local")
    assert sum(len(log.current) for logs in lab.runtime.logs.by_pod.values() for log in logs.values()) == logged + 1
    lab.kubectl("exec bb -- cat /etc/resolv.conf")
    with pytest.raises(ExecError):
        lab.kubectl("exec bb -- nslookup web")
    assert cluster_state() == before


@pytest.mark.parametrize("script, quote", [("echo 'unterminated", "'"), ('echo "unterminated', '"'),
                                           ("echo \"it's\" 'open", "'")])
def test_unterminated_quote_in_a_shell_script(lab, snapshot, script, quote):
    """A script whose quote is never closed is refused by the shell before it runs anything, exit 2:
    BusyBox ash prints `sh: syntax error: unterminated quoted string`, Debian's dash `sh: 1: Syntax
    error: Unterminated quoted string`, bash `bash: -c: line 1: unexpected EOF while looking for
    matching `''`; kubectl adds `command terminated with exit code 2`. Nothing changes."""
    before = snapshot(lab)
    with pytest.raises(ExecError, match=r"^sh: syntax error: unterminated quoted string\n"
                                        r"command terminated with exit code 2$") as err:
        lab.kubectl("exec bb -- sh -c " + shlex.quote(script))
    assert err.value.exit_code == 2
    with pytest.raises(ExecError, match=r"^sh: 1: Syntax error: Unterminated quoted string\n"
                                        r"command terminated with exit code 2$"):
        lab.kubectl(f"exec {nginx_pod(lab)} -- sh -c " + shlex.quote(script))
    with pytest.raises(ExecError, match=r"^bash: -c: line 1: unexpected EOF while looking for matching `"
                                        + quote + r"'\ncommand terminated with exit code 2$"):
        lab.kubectl(f"exec {nginx_pod(lab)} -- bash -c " + shlex.quote(script))
    assert snapshot(lab) == before


def test_unterminated_quote_as_the_course_writes_it(lab):
    """The issue's own line, `kubectl exec POD -- sh -c "echo 'unterminated"`: the kubectl line is
    well quoted, the script inside is not."""
    with pytest.raises(ExecError, match=r"^sh: syntax error: unterminated quoted string\n"):
        lab.kubectl("""exec bb -- sh -c "echo 'unterminated\"""")


def test_backslash_at_the_end_of_a_script_is_a_backslash(lab):
    """`sh -c 'echo a\\'` prints `a\\`: a backslash with nothing after it stays (as in ash, dash, bash)."""
    assert lab.kubectl("exec bb -- sh -c 'echo a\\'") == "a\\"


def test_printenv_prints_the_environment_or_the_values_asked_for(lab):
    """`printenv` (coreutils in nginx, an applet in BusyBox) prints what `env` prints; with names,
    each value that is set, one a line, and exit code 1 if any name is unset."""
    pod = nginx_pod(lab)
    assert lab.kubectl(f"exec {pod} -- printenv") == lab.kubectl(f"exec {pod} -- env")
    assert lab.kubectl("exec bb -- printenv HOSTNAME KUBERNETES_SERVICE_HOST") == "bb\n10.96.0.1"
    with pytest.raises(ExecError, match="command terminated with exit code 1"):
        lab.kubectl("exec bb -- printenv HOSTNAME NOSUCH")
