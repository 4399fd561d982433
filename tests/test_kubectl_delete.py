"""``kubectl delete`` as kubectl 1.37 prints it and waits (``pkg/cmd/delete/delete.go``): each object
``deleted from <namespace> namespace``, then a wait until the objects are gone (the clock advances
here), ``--wait=false``, grace periods, ``--now``, ``--force``, ``-f``, ``-l``/``--all``, dry runs."""

from __future__ import annotations

import shlex
import subprocess

import oracle
import pytest

import kitlib

FORCE = ("Warning: Immediate deletion does not wait for confirmation that the running resource has been "
         "terminated. The resource may continue to run on the cluster indefinitely.\n")


@pytest.fixture
def web() -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=1)
    c.kubectl("create deployment web --image=nginx --replicas=2")
    c.advance(30)
    return c


def test_delete_waits_until_the_pod_is_gone(web):
    """kubectl waits for the deletion (``--wait`` is true by default): when it returns, the pod is
    gone; nginx exits at once on SIGTERM, so the clock moved on by about a second."""
    pod = web.pods()[0].name
    start = web.now
    assert web.kubectl(f"delete pod {pod}") == f'pod "{pod}" deleted from default namespace'
    assert pod not in [p.name for p in web.pods()]
    assert 0 < web.now - start < 30


def test_wait_false_returns_with_the_pod_terminating(web):
    """``--wait=false`` returns after the DELETE: the pod is still there, Terminating."""
    pod = web.pods()[0].name
    start = web.now
    web.kubectl(f"delete pod {pod} --wait=false")
    assert web.now == start
    assert web.get("Pod", pod).metadata.deletion_timestamp is not None


def test_grace_period_and_now(web):
    """``--grace-period`` replaces the pod's 30 s; ``--now`` is 1 s."""
    a, b = (p.name for p in web.pods())
    web.kubectl(f"delete pod {a} --grace-period=7 --wait=false")
    assert web.get("Pod", a).metadata.deletion_grace_period_seconds == 7
    web.kubectl(f"delete pod {b} --now --wait=false")
    assert web.get("Pod", b).metadata.deletion_grace_period_seconds == 1


def test_force_deletes_at_once_with_kubectl_warning(web):
    """``--force`` is grace period 0: the pod leaves the API at once, ``force deleted``, and kubectl
    warns on stderr first."""
    pod = web.pods()[0].name
    start = web.now
    out = web.kubectl(f"delete pod {pod} --force")
    assert out == f'pod "{pod}" force deleted from default namespace'
    assert out.stderr == FORCE
    assert web.now == start
    assert pod not in [p.name for p in web.pods()]


def test_grace_period_zero_without_force_is_one(web):
    """kubectl turns ``--grace-period=0`` into 1 unless ``--force`` says it is meant."""
    pod = web.pods()[0].name
    assert web.kubectl(f"delete pod {pod} --grace-period=0 --wait=false") == f'pod "{pod}" deleted from default namespace'
    assert web.get("Pod", pod).metadata.deletion_grace_period_seconds == 1


def test_delete_from_a_manifest(web):
    """``-f -`` deletes each object the manifest names; a missing one is the server's NotFound,
    naming the source, after the deletions."""
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\n"
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n")
    with pytest.raises(kitlib.PartialFailure) as err:
        web.kubectl(f"delete -f - <<EOF\n{text}EOF")
    assert str(err.value) == ('deployment.apps "web" deleted from default namespace\n'
                              'Error from server (NotFound): error when deleting "STDIN": services "web" not found')


def test_selector_and_all(web):
    """``-l`` lists the objects first; none found is ``No resources found`` (not-found ignored)."""
    out = web.kubectl("delete pods -l app=web --wait=false")
    assert len(out.splitlines()) == 2 and all(line.endswith("deleted from default namespace")
                                              for line in out.splitlines())
    assert web.kubectl("delete svc -l app=nothing") == "No resources found"
    with pytest.raises(kitlib.BadRequest, match=r"^error: cannot set --all and --selector at the same time$"):
        web.kubectl("delete pods --all -l app=web")


def test_cluster_scoped_objects_name_no_namespace(web):
    """A cluster-scoped object's line names no namespace; a namespace is waited for until the
    namespace controller has emptied and removed it."""
    web.kubectl("create namespace shop")
    assert web.kubectl("delete namespace shop") == 'namespace "shop" deleted'
    assert web.api.store.get("Namespace", "shop") is None  # kubectl waited for the namespace controller


@pytest.mark.parametrize(("flag", "suffix"), [("--dry-run=client", "(dry run)"),
                                              ("--dry-run=server", "(server dry run)")])
def test_dry_runs_delete_nothing(web, snapshot, flag, suffix):
    before = snapshot(web)
    assert web.kubectl(f"delete deploy web {flag}") == f'deployment.apps "web" deleted from default namespace {suffix}'
    assert snapshot(web) == before


def test_output_name(web):
    assert web.kubectl("delete deploy web -o name") == "deployment.apps/web"


def test_usage_errors(web, snapshot):
    """kubectl's checks of its flags (``Validate`` in delete.go), which change nothing."""
    before = snapshot(web)
    with pytest.raises(kitlib.BadRequest, match=r"^error: --force and --grace-period greater than 0 cannot be "
                                                r"specified together$"):
        web.kubectl("delete deploy web --force --grace-period=5")
    with pytest.raises(kitlib.BadRequest, match=r"^error: unexpected -o output mode: yaml. We only support '-o name'$"):
        web.kubectl("delete deploy web -o yaml")
    assert snapshot(web) == before


@oracle.needs_kubectl
def test_now_with_a_grace_period_matches_kubectl(web):
    """``--now --grace-period`` is refused before kubectl asks the server anything: word for word."""
    line = "delete pod x --now --grace-period=5"
    with pytest.raises(kitlib.BadRequest) as err:
        web.kubectl(line)
    done = subprocess.run([oracle.require(), *shlex.split(line)], capture_output=True, text=True, timeout=60,
                          check=False, env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"})
    assert str(err.value) == done.stderr.rstrip("\n")


def test_wait_times_out_on_an_object_that_stays():
    """A ServiceCIDR whose addresses are in use stays Terminating: kubectl's wait ends at
    ``--timeout`` (the clock has moved on by it) with its error after the deletion's line."""
    c = kitlib.Cluster(nodes=1)
    c.apply("apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: extra}\n"
            "spec: {cidrs: [10.200.0.0/24]}\n")
    c.kubectl("create service clusterip web --tcp=80 --clusterip=10.200.0.7")
    start = c.now
    with pytest.raises(kitlib.PartialFailure) as err:
        c.kubectl("delete servicecidr extra --timeout=2m")
    assert str(err.value) == ('servicecidr.networking.k8s.io "extra" deleted\n'
                              "error: timed out waiting for the condition on servicecidrs/extra")
    assert c.now - start == 120
