"""Rollouts: the Deployment controller's rolling updates, and kubectl set image / rollout."""

from __future__ import annotations

import subprocess

import oracle
import pytest
import test_kubectl_services as stub

import kitlib
from kitlib.api.pod import is_ready
from kitlib.controllers import kubelet
from kitlib.controllers.replicaset import is_available

BROKEN = "nginx:broken"
against_real = stub.against_real  # the fixture: the real kubectl reading a cluster's objects


def deployment(image="nginx:1.25", replicas=3, **spec):
    body = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "nginx", "image": image, "ports": [{"containerPort": 80}]}]}},
        **spec,
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": body}


def never_ready(cluster: kitlib.Cluster, image: str = BROKEN) -> None:
    """Pods of ``image`` run but never pass readiness (as a failing readiness probe would leave them)."""
    def hook(obj, removed):
        if obj.kind == "Pod" and not removed and obj.spec.containers[0].image == image and is_ready(obj):
            kubelet.set_ready(cluster.runtime, obj, False)
    cluster.api.watch(hook)


def pods(cluster):
    return [p for p in cluster.pods(selector="app=web") if p.metadata.deletion_timestamp is None]


def images(cluster):
    return sorted(p.spec.containers[0].image for p in pods(cluster))


@pytest.fixture
def web(cluster):
    cluster.apply(deployment())
    cluster.advance(30)
    return cluster


def _check_bounds(cluster, replicas, surge, unavailable, min_ready=0):
    current = pods(cluster)
    assert len(current) <= replicas + surge
    available = [p for p in current if is_available(p, min_ready, cluster.now)]
    assert len(available) >= replicas - unavailable


@pytest.mark.parametrize(("replicas", "surge", "unavailable", "max_surge", "max_unavailable"), [
    (3, "25%", "25%", 1, 0), (10, "25%", "25%", 3, 2), (4, 0, 1, 0, 1), (5, 2, 0, 2, 0), (3, "0%", "10%", 0, 1),
])
def test_every_change_stays_within_surge_and_unavailable(cluster, replicas, surge, unavailable,
                                                         max_surge, max_unavailable):
    """At every change of every object during a rollout (watched through the cluster's hooks),
    there are at most replicas+maxSurge pods and at least replicas-maxUnavailable available ones;
    with both 0, maxUnavailable is 1."""
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}
    cluster.apply(deployment(replicas=replicas, strategy=strategy))
    cluster.advance(30)
    cluster.api.watch(lambda obj, removed: _check_bounds(cluster, replicas, max_surge, max_unavailable))
    cluster.kubectl("set image deployment/web nginx=nginx:1.26")
    cluster.advance(120)
    assert images(cluster) == ["nginx:1.26"] * replicas
    assert cluster.kubectl("rollout status deployment/web --watch=false") == 'deployment "web" successfully rolled out'


def test_good_image_rolls_out_and_status_walks_kubectls_lines(web):
    """`rollout status` prints kubectl's lines as the rollout moves on (the simulator advances the
    clock like --watch), ending in `successfully rolled out`; the old ReplicaSet is kept at 0."""
    assert web.kubectl("set image deployment/web nginx=nginx:1.26") == "deployment.apps/web image updated"
    assert web.kubectl("rollout status deployment/web --watch=false") == \
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...'
    lines = web.kubectl("rollout status deployment/web").split("\n")
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...' in lines
    assert images(web) == ["nginx:1.26"] * 3
    old, new = sorted(web.list("ReplicaSet"), key=lambda r: int(r.metadata.annotations[
        "deployment.kubernetes.io/revision"]))
    assert (old.spec.replicas, new.spec.replicas) == (0, 3)
    assert web.get("Deployment", "web").metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    assert web.kubectl("get deploy").split("\n")[1].split()[:4] == ["web", "3/3", "3", "3"]


def test_describe_shows_replicasets_and_scaling_events(web):
    """describe deployment names the new and old ReplicaSets and the controller's events."""
    web.kubectl("set image deployment/web nginx=nginx:1.26")
    web.advance(1)
    text = web.kubectl("describe deployment web")
    old, new = sorted(web.list("ReplicaSet"), key=lambda r: r.metadata.annotations["deployment.kubernetes.io/revision"])
    assert f"NewReplicaSet:   {new.name} (" in text
    assert f"OldReplicaSets:  {old.name} (" in text
    assert f"Scaled up replica set {new.name} from 0 to 1" in text


def test_get_deploy_columns_during_a_rollout(web):
    """During a rollout READY counts ready pods of every ReplicaSet, UP-TO-DATE the new one's."""
    web.kubectl("set image deployment/web nginx=nginx:1.26")
    web.advance(0.01)
    row = web.kubectl("get deploy").split("\n")[1].split()
    assert row[:4] == ["web", "3/3", "1", "3"]


def test_never_ready_version_stalls_and_old_pods_keep_serving(web):
    """A new version whose pods never become ready stalls the rollout at maxSurge new pods; the
    old pods keep serving and no request to the Service fails."""
    never_ready(web)
    web.kubectl("expose deployment web --port=80")
    ip = web.get("Service", "web").spec.cluster_ip
    web.kubectl(f"set image deployment/web nginx={BROKEN}")
    t = web.traffic("node/minikube", ip, 80, requests=300, duration=120)
    assert t.failed == 0
    assert images(web) == ["nginx:1.25", "nginx:1.25", "nginx:1.25", BROKEN]
    assert all(p.spec.containers[0].image == "nginx:1.25" for p in web.pods() if p.key in t.served)
    assert web.kubectl("rollout status deployment/web --watch=false") == \
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...'


def test_progress_deadline_exceeded(web):
    """progressDeadlineSeconds after the last progress, Progressing turns False with reason
    ProgressDeadlineExceeded and `rollout status` fails with kubectl's error; the rollout stays."""
    never_ready(web)
    web.apply(deployment(image=BROKEN, progressDeadlineSeconds=60))
    web.advance(30)
    cond = {c.type: c for c in web.get("Deployment", "web").status.conditions}["Progressing"]
    assert (cond.status, cond.reason) == ("True", "ReplicaSetUpdated")
    with pytest.raises(kitlib.ApiError, match='error: deployment "web" exceeded its progress deadline$'):
        web.kubectl("rollout status deployment/web")
    d = web.get("Deployment", "web")
    cond = {c.type: c for c in d.status.conditions}["Progressing"]
    assert (cond.status, cond.reason) == ("False", "ProgressDeadlineExceeded")
    assert cond.message == f'ReplicaSet "{web.list("ReplicaSet")[-1].name}" has timed out progressing.' or \
        cond.message.endswith("has timed out progressing.")
    assert 60 < web.now < 100
    assert len(pods(web)) == 4


def test_min_ready_seconds_delays_availability(cluster):
    """With minReadySeconds a new pod counts as available only after being ready that long, so
    the rollout waits that long between steps."""
    cluster.apply(deployment(minReadySeconds=20))
    cluster.advance(60)
    cluster.api.watch(lambda obj, removed: _check_bounds(cluster, 3, 1, 0, min_ready=20))
    cluster.kubectl("set image deployment/web nginx=nginx:1.26")
    cluster.advance(15)
    d = cluster.get("Deployment", "web")
    assert (d.status.updated_replicas, d.status.ready_replicas, d.status.available_replicas) == (1, 4, 3)
    start = cluster.now
    cluster.kubectl("rollout status deployment/web")
    assert cluster.now - start > 40  # three steps of 20 s, the first already 15 s in


def test_recreate_has_no_overlap(cluster):
    """Recreate creates the new ReplicaSet only once every old pod is gone."""
    cluster.apply(deployment(strategy={"type": "Recreate"}))
    cluster.advance(30)
    cluster.api.watch(lambda obj, removed: len({p.spec.containers[0].image for p in cluster.pods()}) <= 1
                          or pytest.fail("two versions at once"))
    cluster.kubectl("set image deployment/web nginx=nginx:1.26")
    assert len(cluster.list("ReplicaSet")) == 1
    assert cluster.kubectl("rollout status deployment/web").endswith("successfully rolled out")
    assert images(cluster) == ["nginx:1.26"] * 3


def test_undo_returns_to_the_previous_template_and_reuses_its_replicaset(web):
    """`rollout undo` copies the previous revision's template back; the controller scales that
    ReplicaSet up again as a new revision and records the old number in revision-history."""
    (first,) = web.list("ReplicaSet")
    web.kubectl("set image deployment/web nginx=nginx:1.26")
    web.kubectl("rollout status deployment/web")
    assert web.kubectl("rollout undo deployment/web") == "deployment.apps/web rolled back"
    web.kubectl("rollout status deployment/web")
    rs = web.get("ReplicaSet", first.name)
    assert rs.spec.replicas == 3 and len(web.list("ReplicaSet")) == 2
    assert rs.metadata.annotations["deployment.kubernetes.io/revision"] == "3"
    assert rs.metadata.annotations["deployment.kubernetes.io/revision-history"] == "1"
    assert images(web) == ["nginx:1.25"] * 3
    assert web.kubectl("rollout undo deployment/web --to-revision=3") == \
        "deployment.apps/web skipped rollback (current template already matches revision 3)"


def test_history_lists_revisions_and_change_causes(web):
    """`rollout history` is kubectl's REVISION / CHANGE-CAUSE table (change-cause comes from the
    `kubernetes.io/change-cause` annotation, copied from the Deployment to its new ReplicaSet);
    `--revision=N` prints that revision's pod template."""
    web.apply(deployment(image="nginx:1.26") | {"metadata": {"name": "web", "annotations": {
        "kubernetes.io/change-cause": "upgrade to 1.26"}}})
    web.advance(60)
    assert web.kubectl("rollout history deployment/web") == (
        "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         upgrade to 1.26\n")
    text = web.kubectl("rollout history deployment/web --revision=1")
    (first,) = [rs for rs in web.list("ReplicaSet")
                if rs.metadata.annotations["deployment.kubernetes.io/revision"] == "1"]
    h = first.metadata.labels["pod-template-hash"]
    assert text.startswith(f"deployment.apps/web with revision #1\nPod Template:\n  Labels:\tapp=web\n"
                           f"\tpod-template-hash={h}\n  Containers:\n   nginx:\n    Image:\tnginx:1.25\n")
    assert text.endswith("  Volumes:\t<none>\n  Node-Selectors:\t<none>\n  Tolerations:\t<none>\n")


def test_revision_history_limit_deletes_the_oldest_idle_replicasets(web):
    """Once a rollout completes, idle old ReplicaSets beyond revisionHistoryLimit are deleted,
    oldest revision first."""
    web.apply(deployment(revisionHistoryLimit=1))
    for tag in ("1.26", "1.27", "1.28"):
        web.kubectl(f"set image deployment/web nginx=nginx:{tag}")
        web.kubectl("rollout status deployment/web")
    revs = sorted(rs.metadata.annotations["deployment.kubernetes.io/revision"] for rs in web.list("ReplicaSet"))
    assert revs == ["3", "4"]


def test_pause_holds_template_changes_and_resume_rolls_them_out(web):
    """A paused Deployment creates no new ReplicaSet; resume starts the rollout."""
    assert web.kubectl("rollout pause deployment/web") == "deployment.apps/web paused"
    web.kubectl("set image deployment/web nginx=nginx:1.26")
    web.advance(30)
    assert len(web.list("ReplicaSet")) == 1 and images(web) == ["nginx:1.25"] * 3
    cond = {c.type: c for c in web.get("Deployment", "web").status.conditions}["Progressing"]
    assert (cond.status, cond.reason) == ("Unknown", "DeploymentPaused")
    assert web.kubectl("rollout resume deployment/web") == "deployment.apps/web resumed"
    web.kubectl("rollout status deployment/web")
    assert images(web) == ["nginx:1.26"] * 3


def test_restart_sets_restarted_at_and_replaces_every_pod(web):
    """`rollout restart` stamps kubectl.kubernetes.io/restartedAt on the pod template: a new
    template, so a rollout that replaces every pod with the same image."""
    before = {p.name for p in pods(web)}
    assert web.kubectl("rollout restart deployment/web") == "deployment.apps/web restarted"
    d = web.get("Deployment", "web")
    assert d.spec.template.metadata.annotations["kubectl.kubernetes.io/restartedAt"] == web.clock.timestamp()
    web.kubectl("rollout status deployment/web")
    assert not before & {p.name for p in pods(web)}


@pytest.mark.parametrize(("command", "message"), [
    ("set image deployment/web x=nginx:2", 'error: unable to find container named "x"'),
    ("set image deployment/x nginx=nginx:2", r'Error from server \(NotFound\): deployments.apps "x" not found'),
    ("set image deployment/web", "error: at least one image update is required"),
    ("rollout status deployment/x", r'Error from server \(NotFound\): deployments.apps "x" not found'),
    ("rollout undo deployment/web", 'error: no rollout history found for deployment "web"'),
    ("rollout undo deployment/web --to-revision=7", "error: unable to find specified revision 7 in history"),
    ("rollout history deployment/web --revision=7", "error: unable to find the specified revision"),
    ("rollout resume deployment/web", 'error: deployments.apps "web" is not paused'),
    ("rollout status", "error: required resource not specified"),
])
def test_errors_are_kubectls_and_change_nothing(web, snapshot, command, message):
    """Each bad command prints kubectl's words and leaves the cluster as it was."""
    before = snapshot(web)
    with pytest.raises(kitlib.ApiError, match=f"^{message}$"):
        web.kubectl(command)
    assert snapshot(web) == before


def test_paused_deployment_errors(web, snapshot):
    """A paused Deployment cannot be paused again, restarted or rolled back."""
    web.kubectl("set image deployment/web nginx=nginx:1.26")
    web.kubectl("rollout status deployment/web")
    web.kubectl("rollout pause deployment/web")
    before = snapshot(web)
    for command, message in [
        ("rollout pause deployment/web", 'error: deployments.apps "web" is already paused'),
        ("rollout restart deployment/web",
         r'error: deployments.apps "web" can\'t restart paused deployment \(run rollout resume first\)'),
        ("rollout undo deployment/web", "error: you cannot rollback a paused deployment; resume it first with "
                                        "'kubectl rollout resume deployment/web' and try again"),
    ]:
        with pytest.raises(kitlib.ApiError, match=f"^{message}$"):
            web.kubectl(command)
    assert snapshot(web) == before


def test_set_image_with_the_same_image_prints_nothing(web, snapshot):
    """kubectl skips an empty patch: no output, no new revision."""
    assert web.kubectl("set image deployment/web nginx=nginx:1.25") == ""
    assert len(web.list("ReplicaSet")) == 1


@oracle.needs_kubectl
def test_set_image_matches_real_kubectl(tmp_path):
    """The object kitlib's set image stores has the template the real kubectl computes with --local."""
    cluster = kitlib.Cluster(nodes=1)
    cluster.apply(deployment())
    path = tmp_path / "d.yaml"
    path.write_text(kitlib.api.convert.dump_yaml(deployment()))
    out = subprocess.run([oracle.KUBECTL, "set", "image", "--local", "-f", str(path), "nginx=nginx:1.26", "-o", "yaml"],
                         capture_output=True, text=True, check=True).stdout
    real = kitlib.manifest.load(out)[0]["spec"]["template"]
    cluster.kubectl("set image deployment/web nginx=nginx:1.26")
    ours = cluster.get("Deployment", "web").to_dict()["spec"]["template"]
    assert ours["spec"]["containers"][0]["image"] == real["spec"]["containers"][0]["image"] == "nginx:1.26"
    bad = subprocess.run([oracle.KUBECTL, "set", "image", "--local", "-f", str(path), "x=nginx:1.26", "-o", "yaml"],
                         capture_output=True, text=True)
    with pytest.raises(kitlib.ApiError) as err:
        cluster.kubectl("set image deployment/web x=nginx:1.26")
    assert bad.stderr.strip() == str(err.value)


def test_annotate_sets_the_change_cause_of_the_current_revision(web, snapshot):
    """`kubectl annotate deployment/web kubernetes.io/change-cause=...` is copied to the current
    ReplicaSet, so `rollout history` shows it; other annotations need --overwrite to change."""
    assert web.kubectl('annotate deployment/web kubernetes.io/change-cause="first version"') == \
        "deployment.apps/web annotated"
    assert web.kubectl("rollout history deployment/web").split("\n")[2] == "1         first version"
    web.kubectl("annotate deployment/web team=a")
    before = snapshot(web)
    with pytest.raises(kitlib.ApiError, match=r"^error: --overwrite is false but found the following declared "
                                              r"annotation\(s\): 'team' already has a value \(a\)$"):
        web.kubectl("annotate deployment/web team=b")
    assert snapshot(web) == before


def test_scaling_during_a_stalled_rollout_is_proportional(cluster):
    """The documentation's example: 10 replicas, maxSurge 3, maxUnavailable 2, a bad version stuck
    at 8 old + 5 new; scaling to 15 adds 3 to the old ReplicaSet and 2 to the new one."""
    never_ready(cluster)
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    cluster.apply(deployment(replicas=10, strategy=strategy))
    cluster.advance(30)
    cluster.kubectl(f"set image deployment/web nginx={BROKEN}")
    cluster.advance(30)
    sizes = lambda: sorted(rs.spec.replicas for rs in cluster.list("ReplicaSet"))  # noqa: E731
    assert sizes() == [5, 8]
    cluster.kubectl("scale deployment/web --replicas=15")
    cluster.advance(30)
    assert sizes() == [7, 11]


def test_rollout_history_is_what_kubectl_prints(against_real):
    """``rollout history`` and one revision's pod template (``DescribePodTemplate``), as the real
    kubectl prints them from the same ReplicaSets: since 1.33 a named port reads ``80/TCP (http)``,
    and several ports are ``Ports``."""
    cluster = kitlib.Cluster(nodes=2, seed=0)
    body = deployment(replicas=2)
    body["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "name": "http"},
                                                                  {"containerPort": 443}]
    cluster.apply(body)
    cluster.advance(30)
    cluster.kubectl("set image deployment/web nginx=nginx:1.27")
    cluster.advance(60)
    kubectl = against_real(cluster)
    for command in ("rollout history deployment/web", "rollout history deployment/web --revision=1"):
        assert stub.ours(cluster, command) == kubectl(command)
    assert "Ports:\t80/TCP (http), 443/TCP" in cluster.kubectl("rollout history deployment/web --revision=2")
