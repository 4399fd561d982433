"""``kubectl set env``, ``set selector`` and ``expose`` on objects of the cluster (kubectl 1.37
``pkg/cmd/set``, ``pkg/cmd/expose``). With ``--dry-run=client -o yaml`` the real kubectl 1.37.1
prints the object it would send; it reads the object from a stand-in server that serves kitlib's
own objects (:mod:`fake_apiserver`), so the two outputs must be the same bytes."""

from __future__ import annotations

import shlex

import fake_apiserver
import pytest

import kitlib
from kitlib.kubectl.args import KubectlError


@pytest.fixture
def site(web: kitlib.Cluster) -> kitlib.Cluster:
    """deployment/web (3 nginx pods, one with env A=1), service/web, configmap/cfg."""
    web.kubectl("set env deploy/web A=1")
    web.kubectl("expose deployment web --port=80")
    web.kubectl("create configmap cfg --from-literal=db.host=db --from-literal=port=5432")
    web.advance(30)
    return web


def compare(cluster: kitlib.Cluster, line: str) -> None:
    """Run ``line`` in kitlib and in the real kubectl (against kitlib's objects) and compare."""
    with fake_apiserver.serve(cluster) as url:
        done = fake_apiserver.kubectl(url, shlex.split(line))
    # On failure kubectl has printed its stdout (what it did), then its errors.
    expected = (done.returncode, (done.stdout if done.returncode == 0 else done.stdout + done.stderr).rstrip("\n"))
    try:
        ours = (0, str(cluster.kubectl(line)))
    except kitlib.ApiError as err:
        ours = (1, str(err))
    assert ours == expected


@pytest.mark.parametrize("line", [
    "set image deploy/web nginx=nginx:1.27 --dry-run=client -o yaml",
    "set image deploy/web '*=nginx:1.27' --dry-run=client",
    "set image deploy/web nginx=nginx:1.27 x=y --dry-run=client",
    "set image deploy/web x=y",
    "set image deploy/web '*=a' b=c",
    "set image deploy/web",
    "set image deploy/web nginx=nginx",
    "set env deploy/web B=2 --dry-run=client -o yaml",
    "set env deploy/web A=2 C=3 --dry-run=client -o yaml",
    "set env deploy/web A- --dry-run=client -o yaml",
    # (one key each: kubectl adds --from's keys in Go's random map order)
    "set env deploy/web --from=configmap/cfg --keys=db.host --prefix=APP_ --dry-run=client -o yaml",
    "set env deploy/web --from=configmap/cfg --keys=port --dry-run=client -o yaml",
    "set env deploy/web B=2 --dry-run=client",
    "set env deploy/web --list",
    "set env deploy/web A=5 --overwrite=false",
    "set env deploy/web A=1 B- B=2",
    "set env deploy/web 1A=1",
    "set env deploy/web A=1 x",
    "set selector svc/web app=web,tier=fe --dry-run=client -o yaml",
    "set selector svc/web app=other --dry-run=client",
    "set selector deploy/web app=x --dry-run=client",
    "annotate deploy/web team=blue --dry-run=client -o yaml",
    "annotate deploy/web team=blue note=x --dry-run=client",
    "annotate svc/web team=blue --dry-run=client -o json",
    "annotate deploy/web deployment.kubernetes.io/revision=9",
    "annotate deploy/web deployment.kubernetes.io/revision- --dry-run=client -o yaml",
    "annotate deploy/web deployment.kubernetes.io/revision=9 --overwrite --dry-run=client -o name",
    "annotate deploy/web kubernetes.io/change-cause=v2 --dry-run=client -o name",
    "annotate deploy/web",
    "annotate deploy/web a=1 b x=2",
    "annotate deploy/web a=1 a-",
    "annotate deploy/web =x",
    "annotate team=blue",
    "annotate svc web team=blue --all -l app=web",
    "expose deploy/web --port=8080 --target-port=80 --name=web2 --dry-run=client -o yaml",
    "expose deploy/web --port=80 --type=NodePort --name=web3 --dry-run=client -o yaml",
    "expose svc/web --port=443 --target-port=80 --name=web-tls --dry-run=client -o yaml",
])
def test_same_as_kubectl(site, line):
    """The object kubectl would send, or its refusal, byte for byte."""
    compare(site, line)


def test_expose_a_pod_and_a_replicaset(site):
    """``expose pod`` selects the pod's labels; ``expose rs`` the ReplicaSet's selector."""
    pod = site.pods()[0].name
    rs = site.api.list("ReplicaSet", "default")[0].name
    compare(site, f"expose pod {pod} --port=80 --name=one --dry-run=client -o yaml")
    compare(site, f"expose rs {rs} --port=80 --name=rs --dry-run=client -o yaml")


def test_set_image_on_a_pod_and_a_replicaset(site):
    """``set image`` edits any pod template (a pod's own spec too)."""
    pod = site.pods()[0].name
    rs = site.api.list("ReplicaSet", "default")[0].name
    compare(site, f"set image pod/{pod} nginx=nginx:1.27 --dry-run=client -o name")
    compare(site, f"set image rs/{rs} nginx=nginx:1.27 --dry-run=client -o yaml")


def test_set_image_with_a_missing_container_changes_the_others(site):
    """A container name the template lacks is reported after the others were set (exit 1)."""
    with pytest.raises(kitlib.PartialFailure) as info:
        site.kubectl("set image deploy/web nginx=nginx:1.27 x=y")
    assert str(info.value) == 'deployment.apps/web image updated\nerror: unable to find container named "x"'
    assert site.get("Deployment", "web").spec.template.spec.containers[0].image == "nginx:1.27"


def test_set_env_starts_a_rollout(site):
    """A changed pod template is a new ReplicaSet: the pods are replaced with the variable set."""
    old = {p.name for p in site.pods()}
    assert site.kubectl("set env deploy/web GREETING=hello") == "deployment.apps/web env updated"
    site.advance(120)
    pods = site.pods()
    assert old.isdisjoint({p.name for p in pods})
    assert all({"name": "GREETING", "value": "hello"} in p.spec.containers[0].extra["env"] for p in pods)


def test_set_env_without_a_change_prints_nothing(site):
    """kubectl sends no patch when nothing changes, and prints nothing."""
    before = site.state()
    assert site.kubectl("set env deploy/web A=1") == ""
    assert site.state() == before


def test_set_selector_moves_the_service(site):
    """A Service whose selector no longer matches its pods has no endpoints."""
    assert site.kubectl("set selector svc/web app=other") == "service/web selector updated"
    site.advance(5)
    assert site.http("http://web.default.svc.cluster.local/", src=f"default/{site.pods()[0].name}").status is None


def test_annotate_with_a_selector_annotates_each_object(site):
    """``annotate pods -l app=web KEY=VALUE``: every selected pod, one line each."""
    out = site.kubectl("annotate pods -l app=web team=blue")
    assert out.splitlines() == [f"pod/{p.name} annotated" for p in site.pods()]
    assert all(p.metadata.annotations["team"] == "blue" for p in site.pods())


def test_unknown_set_subcommand_is_kubectls(site):
    """``kubectl set foo``: cobra's error for an unknown subcommand."""
    with pytest.raises(KubectlError, match="^error: unknown command \"foo\"\nSee 'kubectl set -h' for help and "
                                           "examples$"):
        site.kubectl("set foo")
