"""Client-side ``kubectl apply``: the last-applied-configuration annotation and kubectl's three-way
merge (``CreateThreeWayMergePatch`` in apimachinery's strategicpatch), dry runs, and several
documents of which some fail."""

from __future__ import annotations

import json
import shlex
import subprocess

import oracle
import pytest

import kitlib
from kitlib.api import strategicpatch
from kitlib.apiserver.lastapplied import LAST_APPLIED

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
        ports:
        - containerPort: 80
"""
WITH_REPLICAS = DEPLOY.replace("spec:\n  selector", "spec:\n  replicas: 2\n  selector")


def apply(cluster: kitlib.Cluster, text: str, flags: str = "") -> str:
    return cluster.kubectl(f"apply -f - {flags}<<EOF\n{text}EOF")


def test_create_writes_the_manifest_as_compact_json(cluster):
    """On create kubectl writes the manifest (its namespace defaulted, ``annotations: {}`` kept)
    into the annotation as Go's JSON encoder does: keys sorted, compact, a final newline."""
    assert apply(cluster, DEPLOY) == "deployment.apps/web created"
    text = cluster.get("Deployment", "web").metadata.annotations[LAST_APPLIED]
    assert text == ('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"name":"web",'
                    '"namespace":"default"},"spec":{"selector":{"matchLabels":{"app":"web"}},"template":'
                    '{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx","name":"web",'
                    '"ports":[{"containerPort":80}]}]}}}}\n')
    assert "kubectl.kubernetes.io/last-applied-configuration: |\n      {" in cluster.kubectl("get deploy web -o yaml")


def test_same_manifest_again_is_unchanged(cluster):
    """The three-way patch of an unchanged manifest is ``{}``: kubectl sends nothing."""
    apply(cluster, DEPLOY)
    revision = cluster.api.store.revision
    assert apply(cluster, DEPLOY) == "deployment.apps/web unchanged"
    assert cluster.api.store.revision == revision


def test_scaled_replicas_survive_a_manifest_without_replicas(cluster):
    """A field the manifest never set is not in the patch: ``kubectl scale`` stays."""
    apply(cluster, DEPLOY)
    cluster.kubectl("scale deployment web --replicas=5")
    assert apply(cluster, DEPLOY) == "deployment.apps/web unchanged"
    assert cluster.get("Deployment", "web").spec.replicas == 5


def test_replicas_in_the_manifest_win_over_a_scale(cluster):
    """The patch holds every change from the live object to the manifest (the delta map of
    CreateThreeWayMergePatch is diffed against *current*): ``replicas: 2`` applied again after a
    scale to 5 sets 2 again, and the Deployment is ``configured``."""
    apply(cluster, WITH_REPLICAS)
    cluster.kubectl("scale deployment web --replicas=5")
    assert apply(cluster, WITH_REPLICAS) == "deployment.apps/web configured"
    assert cluster.get("Deployment", "web").spec.replicas == 2


def test_a_field_dropped_from_the_manifest_is_removed(cluster):
    """A field the last manifest set and the new one lacks is a deletion (``null`` in the patch);
    replicas then go back to their default of 1."""
    apply(cluster, WITH_REPLICAS)
    assert apply(cluster, DEPLOY) == "deployment.apps/web configured"
    assert cluster.get("Deployment", "web").spec.replicas == 1


def test_labels_added_by_kubectl_label_survive(cluster):
    """Labels kubectl label added are not in the last applied configuration: they stay."""
    apply(cluster, DEPLOY)
    cluster.kubectl("label deployment web tier=frontend")
    assert apply(cluster, DEPLOY) == "deployment.apps/web unchanged"
    assert cluster.get("Deployment", "web").metadata.labels == {"tier": "frontend"}


def test_containers_merge_by_name(cluster):
    """Containers merge by their key, ``name``: a sidecar added by ``kubectl patch`` stays when the
    manifest changes the web container's image."""
    apply(cluster, DEPLOY)
    cluster.kubectl("""patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"log","image":"busybox"}]}}}}'""")
    assert apply(cluster, DEPLOY.replace("image: nginx", "image: nginx:1.27")) == "deployment.apps/web configured"
    containers = cluster.get("Deployment", "web").spec.template.spec.containers
    assert [(c.name, c.image) for c in containers] == [("web", "nginx:1.27"), ("log", "busybox")]


def test_service_keeps_its_allocated_cluster_ip_and_node_port(cluster):
    """A ClusterIP and a nodePort the server allocated are the live object's, not the manifest's:
    applying the manifest again keeps them."""
    svc = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n"
           "  selector: {app: web}\n  ports:\n  - port: 80\n")
    apply(cluster, svc)
    before = cluster.get("Service", "web")
    assert apply(cluster, svc) == "service/web unchanged"
    assert apply(cluster, svc.replace("port: 80", "port: 80\n    targetPort: 8080")) == "service/web configured"
    after = cluster.get("Service", "web")
    assert after.spec.cluster_ip == before.spec.cluster_ip
    assert after.spec.ports[0].node_port == before.spec.ports[0].node_port
    assert after.spec.ports[0].target_port == 8080


def test_missing_annotation_is_warned_and_written(cluster):
    """An object made with ``kubectl create`` has no annotation: kubectl warns on stderr, in its
    words, and the patch writes it."""
    cluster.kubectl("create deployment web --image=nginx")
    manifest = DEPLOY.replace("- name: web\n        image: nginx\n        ports:\n        - containerPort: 80\n",
                              "- name: nginx\n        image: nginx\n")
    out = apply(cluster, manifest)
    assert out == "deployment.apps/web configured"
    assert out.stderr == ("Warning: resource deployments/web is missing the kubectl.kubernetes.io/"
                          "last-applied-configuration annotation which is required by kubectl apply. kubectl apply "
                          "should only be used on resources created declaratively by either kubectl create "
                          "--save-config or kubectl apply. The missing annotation will be patched automatically.\n")
    assert LAST_APPLIED in cluster.get("Deployment", "web").metadata.annotations


def test_public_apply_merges_the_same_way(cluster):
    """``cluster.apply`` is what kubectl apply does: the same annotation and the same merge."""
    cluster.apply(DEPLOY)
    cluster.scale("web", 4)
    assert [w for _, w in cluster.apply_with_outcome(DEPLOY)] == ["unchanged"]
    assert cluster.get("Deployment", "web").spec.replicas == 4
    assert json.loads(cluster.get("Deployment", "web").metadata.annotations[LAST_APPLIED])["kind"] == "Deployment"


@pytest.mark.parametrize(("flag", "suffix"), [("--dry-run=client", "(dry run)"),
                                              ("--dry-run=server", "(server dry run)")])
def test_dry_runs_say_what_would_happen_and_store_nothing(cluster, snapshot, flag, suffix):
    """Both dry runs print kubectl's word for each object, then their suffix, and change nothing:
    not the objects, not the random draws."""
    before = snapshot(cluster)
    assert apply(cluster, DEPLOY, flag + " ") == f"deployment.apps/web created {suffix}"
    assert snapshot(cluster) == before
    apply(cluster, DEPLOY)
    before = snapshot(cluster)
    assert apply(cluster, DEPLOY, flag + " ") == f"deployment.apps/web unchanged {suffix}"
    assert apply(cluster, WITH_REPLICAS, flag + " ") == f"deployment.apps/web configured {suffix}"
    assert snapshot(cluster) == before


def test_a_bad_dry_run_value_is_refused(cluster):
    with pytest.raises(kitlib.BadRequest, match=r'^error: Invalid dry-run value \(maybe\). Must be "none", '
                                                r'"server", or "client".$'):
        apply(cluster, DEPLOY, "--dry-run=maybe ")


def test_partial_success_reports_the_bad_document_after_the_good_ones(cluster):
    """Documents are applied one by one: the valid ones are stored and printed, the refused one's
    error follows them (kubectl exits 1)."""
    bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n"
    good = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n"
    with pytest.raises(kitlib.PartialFailure) as err:
        apply(cluster, f"{DEPLOY}---\n{bad}---\n{good}")
    assert err.value.output == "deployment.apps/web created\nconfigmap/good created"
    assert str(err.value).splitlines()[2].startswith('The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value')
    assert cluster.get("ConfigMap", "good").name == "good"


def test_custom_resources_replace_lists_whole(cluster):
    """A custom resource has no strategic merge keys: its patch is a JSON merge patch, and a list
    the manifest changes is replaced whole."""
    cluster.enable_addon("gateway")
    route = ("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r\nspec:\n"
             "  hostnames: [a.example, b.example]\n")
    assert apply(cluster, route) == "httproute.gateway.networking.k8s.io/r created"
    assert apply(cluster, route.replace("[a.example, b.example]", "[c.example]")) == \
        "httproute.gateway.networking.k8s.io/r configured"
    assert cluster.get("HTTPRoute", "r").to_dict()["spec"]["hostnames"] == ["c.example"]


def test_three_way_patch_is_strategic():
    """The patch itself, as CreateThreeWayMergePatch builds it: changes against the live object,
    deletions against the last applied one, a ``$setElementOrder`` beside a merged list."""
    schema = strategicpatch.Schema.of("apps/v1", "Deployment")
    original = {"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "a", "image": "x"}]}}}}
    modified = {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "y"}]}}}}
    current = {"spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "a", "image": "x"},
                                                                             {"name": "b", "image": "z"}]}}}}
    assert strategicpatch.three_way(original, modified, current, schema) == {"spec": {
        "replicas": None,
        "template": {"spec": {"$setElementOrder/containers": [{"name": "a"}],
                              "containers": [{"image": "y", "name": "a"}]}}}}


# ------------------------------------------------------------------ server-side apply


def test_server_side_apply_conflicts_with_client_side_apply(cluster):
    """Client-side apply's writes are Updates by ``kubectl-client-side-apply``: a server-side apply
    setting its replicas to another value is the field manager's conflict, with kubectl's advice;
    the same value is co-owned; ``--force-conflicts`` takes the field over."""
    apply(cluster, WITH_REPLICAS)
    with pytest.raises(kitlib.BadRequest) as err:
        apply(cluster, WITH_REPLICAS.replace("replicas: 2", "replicas: 3"), "--server-side ")
    assert str(err.value).splitlines()[:2] == [
        'error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
        "Please review the fields above--they currently have other managers. Here"]
    assert apply(cluster, WITH_REPLICAS, "--server-side ") == "deployment.apps/web serverside-applied"
    assert apply(cluster, WITH_REPLICAS.replace("replicas: 2", "replicas: 3"), "--server-side --force-conflicts ") == \
        "deployment.apps/web serverside-applied"
    assert cluster.get("Deployment", "web").spec.replicas == 3
    managers = {(e["manager"], e["operation"]): e for e in cluster.managed_fields("Deployment", "web")}
    assert "f:replicas" in managers[("kubectl", "Apply")]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in managers[("kubectl-client-side-apply", "Update")]["fieldsV1"]["f:spec"]


def test_server_side_apply_creates_and_removes_what_it_no_longer_applies(cluster):
    """A new object is created with one Apply entry for the field manager (``--field-manager``); a
    field the manager applied before and drops is removed when nobody else owns it."""
    labelled = DEPLOY.replace("metadata:\n  name: web\n", "metadata:\n  name: web\n  labels: {team: a}\n")
    assert apply(cluster, labelled, "--server-side --field-manager=ci ") == "deployment.apps/web serverside-applied"
    [entry] = cluster.managed_fields("Deployment", "web")
    assert (entry["manager"], entry["operation"], entry["fieldsType"]) == ("ci", "Apply", "FieldsV1")
    assert "kubectl.kubernetes.io/last-applied-configuration" not in cluster.get("Deployment", "web").metadata.annotations
    apply(cluster, DEPLOY, "--server-side --field-manager=ci ")
    assert cluster.get("Deployment", "web").metadata.labels == {}


def test_server_side_apply_dry_runs(cluster, snapshot):
    """``--dry-run=server`` stores nothing; a client dry run cannot be server-side (kubectl's words)."""
    before = snapshot(cluster)
    assert apply(cluster, DEPLOY, "--server-side --dry-run=server ") == \
        "deployment.apps/web serverside-applied (server dry run)"
    assert snapshot(cluster) == before
    with pytest.raises(kitlib.BadRequest, match=r"^error: --dry-run=client doesn't work with --server-side "
                                                r"\(did you mean --dry-run=server instead\?\)$"):
        apply(cluster, DEPLOY, "--server-side --dry-run=client ")


def test_applying_to_an_object_being_deleted_warns(cluster):
    """kubectl warns when the object it applied to is being deleted (``WarnIfDeleting``)."""
    cluster.kubectl("create namespace shop")
    ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"
    cluster.kubectl("create deployment web --image=nginx -n shop")
    cluster.kubectl("delete namespace shop --wait=false")
    out = apply(cluster, ns)
    assert out == "namespace/shop configured"
    assert out.stderr.endswith("Warning: Detected changes to resource shop which is currently being deleted.\n")


def test_patch_metadata_is_generated():
    """``kitlib/api/patch-v1.37.json`` is what ``python -m kitlib.api.fields_generate`` writes from
    the Kubernetes OpenAPI schemas (merge keys, patch strategies, list and map types)."""
    from kitlib.api import fields, fields_generate
    committed = fields_generate.Path(fields_generate.__file__).with_name(fields.PATCH_FILE).read_text()
    assert committed == fields_generate.dumps_patch(fields_generate.patch_meta())


def test_generate_name_cannot_be_applied(cluster, snapshot):
    """kubectl refuses a manifest with only ``generateName``: apply needs a name to find the object."""
    before = snapshot(cluster)
    with pytest.raises(kitlib.BadRequest, match=r"^error: from web-: cannot use generate name with apply$"):
        apply(cluster, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: web-\n")
    assert snapshot(cluster) == before


@oracle.needs_kubectl
@pytest.mark.parametrize("flags", ["--force-conflicts", "--server-side --dry-run=client", "--server-side --force",
                                   "--subresource=status"])
def test_flag_combinations_kubectl_refuses(cluster, tmp_path, flags):
    """``ApplyOptions.Validate``'s refusals, word for word as kubectl 1.37.1 prints them offline."""
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    line = f"apply -f {manifest} {flags}"
    with pytest.raises(kitlib.BadRequest) as err:
        cluster.kubectl(line)
    done = subprocess.run([oracle.require(), *shlex.split(line)], capture_output=True, text=True, timeout=60,
                          check=False, env={"KUBECONFIG": "/nonexistent", "PATH": "/usr/bin:/bin"})
    assert str(err.value) == done.stderr.rstrip("\n")


def test_element_order_after_a_delete_and_an_add():
    """Where a patch deletes one container and adds another while the server holds a third, the
    merged order is apimachinery's (its merge writes into the live list's array, so the server's
    own container lands between the kept one and the new one)."""
    schema = strategicpatch.Schema.of("v1", "Pod")
    live = {"spec": {"containers": [{"name": "a"}, {"name": "b", "image": "x"}, {"name": "d", "image": "y"}]}}
    patch = strategicpatch.three_way({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}},
                                     {"spec": {"containers": [{"name": "b"}, {"name": "c"}]}}, live, schema)
    assert patch == {"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "c"}],
                              "containers": [{"name": "c"}, {"name": "a", "$patch": "delete"}]}}
    merged = strategicpatch.apply(live, patch, schema)
    assert [c["name"] for c in merged["spec"]["containers"]] == ["b", "d", "c"]


def test_server_side_apply_after_kubectl_scale_conflicts_with_its_subresource(cluster):
    """``kubectl scale`` sets no field manager: the server names it after kubectl's User-Agent,
    ``kubectl``, on the ``scale`` subresource; a server-side apply of other replicas conflicts."""
    cluster.kubectl("create deployment web --image=nginx")
    cluster.kubectl("scale deployment web --replicas=4")
    manifest = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n")
    with pytest.raises(kitlib.BadRequest) as err:
        apply(cluster, manifest, "--server-side ")
    assert str(err.value).splitlines()[0] == ('error: Apply failed with 1 conflict: conflict with "kubectl" with '
                                              'subresource "scale" using apps/v1: .spec.replicas')
    managers = [(e["manager"], e["operation"], e.get("subresource", "")) for e in
                cluster.managed_fields("Deployment", "web")]
    assert managers == [("kubectl-create", "Update", ""), ("kubectl", "Update", "scale")]
