"""`kubectl drain` as kubectl's pkg/drain filters decide: DaemonSet pods need --ignore-daemonsets,
unmanaged pods --force, emptyDir pods --delete-emptydir-data; mirror pods are skipped silently."""

from __future__ import annotations

import pytest

import kitlib

KUBE_PROXY_M02 = "kube-system/kube-proxy-kjf78"
FLANNEL_M02 = "kube-flannel/kube-flannel-ds-jqf6q"


@pytest.fixture
def cluster() -> kitlib.Cluster:
    c = kitlib.Cluster(nodes=3, seed=0)
    c.kubectl("create deployment web --image=nginx --replicas=3")
    c.advance(10)
    return c


def test_drain_refuses_daemonset_pods_in_kubectls_words(cluster):
    """Without --ignore-daemonsets kubectl cordons the node, then refuses (RunDrain's lines, then
    the aggregate error), and evicts nothing."""
    with pytest.raises(kitlib.PartialFailure) as info:
        cluster.kubectl("drain minikube-m02")
    refusal = (f"cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {FLANNEL_M02}, "
               f"{KUBE_PROXY_M02}")
    assert str(info.value) == (
        "node/minikube-m02 cordoned\n"
        f'error: unable to drain node "minikube-m02" due to error: {refusal}, continuing command...\n'
        "There are pending nodes to be drained:\n minikube-m02\n"
        f"error: {refusal}")
    assert cluster.get("Node", "minikube-m02").spec.unschedulable
    assert all(p.metadata.deletion_timestamp is None for p in cluster.pods())


def test_ignore_daemonsets_warns_and_evicts_the_rest(cluster):
    """With --ignore-daemonsets the DaemonSet pods stay, named in a warning on stderr."""
    out = cluster.kubectl("drain minikube-m02 --ignore-daemonsets")
    assert out.warnings == (f"ignoring DaemonSet-managed Pods: {FLANNEL_M02}, {KUBE_PROXY_M02}",)
    lines = out.splitlines()
    assert lines[0] == "node/minikube-m02 cordoned" and lines[-1] == "node/minikube-m02 drained"
    assert [line.split()[0] for line in lines[1:-1]] == ["evicting", "pod/web-7957885594-54xrc"]


def test_unmanaged_pod_needs_force_and_mirror_pods_are_skipped(cluster):
    """On the control plane, storage-provisioner declares no controller: refused without --force;
    the static pods' mirror pods are never listed; with --force it is deleted with a warning."""
    with pytest.raises(kitlib.PartialFailure, match=(
            r"error: cannot delete Pods that declare no controller \(use --force to override\): "
            r"kube-system/storage-provisioner$")) as info:
        cluster.kubectl("drain minikube --ignore-daemonsets")
    assert "etcd-minikube" not in str(info.value)
    out = cluster.kubectl("drain minikube --ignore-daemonsets --force")
    assert out.warnings[0].startswith("ignoring DaemonSet-managed Pods: ")
    assert out.warnings[0].endswith("; deleting Pods that declare no controller: kube-system/storage-provisioner")
    assert "evicting pod kube-system/storage-provisioner" in out
    cluster.advance(5)
    assert cluster.get("Pod", "etcd-minikube", "kube-system").metadata.deletion_timestamp is None


def test_both_refusals_are_listed_together(cluster):
    """Several refusals print as one aggregate `[a, b]`."""
    with pytest.raises(kitlib.PartialFailure, match=r"\nerror: \[cannot delete DaemonSet-managed Pods .*, "
                                                     r"cannot delete Pods that declare no controller .*\]$"):
        cluster.kubectl("drain minikube")


def test_emptydir_needs_delete_emptydir_data(cluster):
    """A running pod with an emptyDir volume is refused without --delete-emptydir-data."""
    cluster.apply("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cache}\nspec:\n"
                  "  selector: {matchLabels: {app: cache}}\n  template:\n    metadata: {labels: {app: cache}}\n"
                  "    spec:\n      nodeSelector: {kubernetes.io/hostname: minikube-m03}\n"
                  "      containers: [{name: c, image: nginx}]\n      volumes: [{name: scratch, emptyDir: {}}]")
    cluster.advance(10)
    with pytest.raises(kitlib.PartialFailure, match=r"cannot delete Pods with local storage "
                                                     r"\(use --delete-emptydir-data to override\): default/cache-"):
        cluster.kubectl("drain minikube-m03 --ignore-daemonsets")
    out = cluster.kubectl("drain minikube-m03 --ignore-daemonsets --delete-emptydir-data")
    assert "evicting pod default/cache-" in out
