"""Manifests: every form `apply` accepts, export round-trips, and kubectl's YAML layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

import kitlib
from kitlib import manifest
from kitlib.api import convert
from kitlib.apiserver import lastapplied

NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
DEPLOY = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cart", "namespace": "shop"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "cart"}},
             "template": {"metadata": {"labels": {"app": "cart"}},
                          "spec": {"containers": [{"name": "cart", "image": "nginx:1.27",
                                                   "ports": [{"containerPort": 8080}]}]}}},
}
TEXT = yaml.safe_dump(NS) + "---\n" + yaml.safe_dump(DEPLOY)


def names(objs):
    return [f"{o.kind}/{o.name}" for o in objs]


def test_apply_multi_document_yaml(cluster):
    """YAML text with `---` separators applies every document in order."""
    assert names(cluster.apply(TEXT)) == ["Namespace/shop", "Deployment/cart"]
    assert len(cluster.pods("shop")) == 2


def test_apply_skips_empty_documents(cluster):
    """Empty documents (a leading `---`, a trailing one) are ignored."""
    assert names(cluster.apply("---\n" + TEXT + "---\n")) == ["Namespace/shop", "Deployment/cart"]


def test_apply_a_list_kind(cluster):
    """A `kind: List` (what `kubectl get -o yaml` prints for several objects) is unpacked."""
    listed = {"apiVersion": "v1", "kind": "List", "items": [NS, DEPLOY], "metadata": {"resourceVersion": ""}}
    assert names(cluster.apply(yaml.safe_dump(listed))) == ["Namespace/shop", "Deployment/cart"]


def test_apply_dict_and_list_of_dicts(cluster):
    """One object as a dict, or several as a list of dicts."""
    assert names(cluster.apply(NS)) == ["Namespace/shop"]
    assert names(cluster.apply([NS, DEPLOY])) == ["Namespace/shop", "Deployment/cart"]


def test_apply_file_path(cluster, tmp_path):
    """A pathlib.Path or a path string ending in .yaml/.yml/.json is read from disk."""
    path = tmp_path / "shop.yaml"
    path.write_text(TEXT)
    assert names(cluster.apply(path)) == ["Namespace/shop", "Deployment/cart"]
    assert [w for _, w in cluster.apply_with_outcome(str(path))] == ["unchanged", "unchanged"]
    as_json = tmp_path / "ns.json"
    as_json.write_text(json.dumps({**NS, "metadata": {"name": "other"}}))
    assert names(cluster.apply(str(as_json))) == ["Namespace/other"]


def test_apply_json_text(cluster):
    """JSON is YAML: JSON text applies too."""
    assert names(cluster.apply(json.dumps(NS))) == ["Namespace/shop"]


def test_apply_outcome_words(cluster):
    """apply_with_outcome reports created, then unchanged, then configured after a change."""
    assert [w for _, w in cluster.apply_with_outcome([NS, DEPLOY])] == ["created", "created"]
    assert [w for _, w in cluster.apply_with_outcome([NS, DEPLOY])] == ["unchanged", "unchanged"]
    scaled = json.loads(json.dumps(DEPLOY))
    scaled["spec"]["replicas"] = 3
    assert [w for _, w in cluster.apply_with_outcome([NS, scaled])] == ["unchanged", "configured"]
    assert cluster.get("Deployment", "cart", "shop").spec.replicas == 3


def test_same_object_twice_in_one_apply(cluster):
    """When one apply names an object twice, the first document creates it and the second updates it."""
    labelled = {**NS, "metadata": {"name": "shop", "labels": {"team": "a"}}}
    assert [w for _, w in cluster.apply_with_outcome([NS, labelled, labelled])] == [
        "created", "configured", "unchanged"]
    ns = cluster.get("Namespace", "shop")
    assert ns.metadata.labels == {"team": "a", "kubernetes.io/metadata.name": "shop"}
    assert cluster.list("Namespace", selector="team=a") == [ns]


def test_reapplying_a_namespace_keeps_its_name_label(cluster):
    """The API server keeps kubernetes.io/metadata.name on every update, so re-applying the same
    namespace manifest is `unchanged`."""
    cluster.apply(NS)
    assert [w for _, w in cluster.apply_with_outcome(NS)] == ["unchanged"]
    assert cluster.get("Namespace", "shop").metadata.labels == {"kubernetes.io/metadata.name": "shop"}


def test_reapplying_a_bare_pod_is_unchanged(cluster):
    """Re-applying a pod manifest keeps what the server set (node, service account, tolerations)."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    cluster.apply(pod)
    cluster.advance(10)
    assert [w for _, w in cluster.apply_with_outcome(pod)] == ["unchanged"]
    stored = cluster.get("Pod", "solo")
    assert stored.spec.node_name and stored.spec.service_account_name == "default"
    assert len(stored.spec.tolerations) == 2


def test_pod_image_may_change_other_fields_may_not(cluster):
    """A pod's container image may be updated; its ports may not."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "solo"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    cluster.apply(pod)
    pod["spec"]["containers"][0]["image"] = "nginx:1.27"
    assert [w for _, w in cluster.apply_with_outcome(pod)] == ["configured"]
    assert cluster.get("Pod", "solo").spec.containers[0].image == "nginx:1.27"
    pod["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    with pytest.raises(kitlib.Invalid, match=r'^Pod "solo" is invalid: spec: Forbidden: pod updates may not '
                                             r"change fields other than `spec.containers\[\*\].image`"):
        cluster.apply(pod)


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "Pod", "Node", "Namespace"])
def test_export_round_trip_is_unchanged(web, kind):
    """Applying an exported object (`obj.to_dict()`, as `kubectl get -o yaml` prints it) changes
    nothing but the `last-applied-configuration` annotation kubectl writes: the object is
    `configured` (the annotation is new), and every other field is as it was. kubectl's three-way
    patch from the live object to the export holds only that annotation."""
    obj = web.list(kind, "default")[0]
    before = obj.to_dict()
    assert [word for _, word in web.apply_with_outcome(before)] == ["configured"]
    after = web.get(kind, obj.name, "default").to_dict()
    assert lastapplied.LAST_APPLIED in after["metadata"]["annotations"]
    del after["metadata"]["annotations"][lastapplied.LAST_APPLIED]
    after["metadata"]["resourceVersion"] = before["metadata"]["resourceVersion"]
    before["metadata"].setdefault("annotations", {})
    assert after == before


def test_stale_export_is_a_conflict(web):
    """An export applied after the object changed carries an old `resourceVersion`: the patch holds
    it, and the API server refuses it as a precondition that failed (409 Conflict)."""
    text = web.kubectl("get deploy web -o yaml")
    web.kubectl("scale deploy web --replicas=4")
    with pytest.raises(kitlib.Conflict) as err:
        web.kubectl(f"apply -f - <<EOF\n{text}\nEOF")
    assert str(err.value) == ('Error from server (Conflict): Operation cannot be fulfilled on deployments.apps "web": '
                              "the object has been modified; please apply your changes to the latest version and "
                              "try again")


def test_export_round_trip_through_kubectl_yaml(web):
    """`kubectl get deploy web -o yaml` applied back through `kubectl apply -f -` is `configured`:
    the annotation kubectl writes is the export's own JSON, new to the live object."""
    text = web.kubectl("get deploy web -o yaml")
    assert web.kubectl(f"apply -f - <<EOF\n{text}\nEOF") == "deployment.apps/web configured"
    assert web.get("Deployment", "web").spec.replicas == 3


def test_unknown_fields_round_trip(cluster):
    """Fields kitlib does not model are kept and exported as they came."""
    doc = json.loads(json.dumps(DEPLOY))
    doc["metadata"]["namespace"] = "default"
    doc["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "MODE", "value": "fast"}]
    cluster.apply(doc)
    exported = cluster.get("Deployment", "cart").to_dict()
    assert exported["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "fast"}]


def test_missing_kind_or_version(cluster):
    """A document without kind or apiVersion is refused before anything is applied."""
    with pytest.raises(kitlib.BadRequest, match="kind not set"):
        cluster.apply({"apiVersion": "v1", "metadata": {"name": "x"}})
    with pytest.raises(kitlib.BadRequest, match="apiVersion not set"):
        cluster.apply({"kind": "Namespace", "metadata": {"name": "x"}})


def test_unknown_kind(cluster):
    """A kind the server does not serve is kubectl's `no matches for kind` error."""
    with pytest.raises(kitlib.BadRequest, match=r'no matches for kind "CronTab" in version "stable.example.com/v1"'):
        cluster.apply({"apiVersion": "stable.example.com/v1", "kind": "CronTab", "metadata": {"name": "x"}})
    with pytest.raises(kitlib.BadRequest, match=r'no matches for kind "Deployment" in version "v1"'):
        cluster.apply({**DEPLOY, "apiVersion": "v1"})


def test_malformed_documents(cluster):
    """Broken YAML, a document that is not an object, or a field of the wrong type is a BadRequest."""
    with pytest.raises(kitlib.BadRequest, match="error parsing manifest"):
        cluster.apply("a: [1")
    with pytest.raises(kitlib.BadRequest, match="error validating data: invalid object to validate"):
        cluster.apply("- 1\n- 2")
    bad = json.loads(json.dumps(DEPLOY))
    bad["spec"]["replicas"] = "three"
    with pytest.raises(kitlib.BadRequest, match=r'^Deployment in version "v1" cannot be handled as a Deployment: '
                                                r"json: cannot unmarshal string into Go struct field "
                                                r"DeploymentSpec.spec.replicas of type int32$"):
        cluster.apply(bad)


def test_missing_path(cluster):
    """A path that does not exist is kubectl's path error."""
    with pytest.raises(kitlib.BadRequest, match=r'^error: the path "nope.yaml" does not exist$'):
        cluster.apply("nope.yaml")
    with pytest.raises(kitlib.BadRequest, match="does not exist"):
        cluster.apply(Path("/nope/x.yaml"))


def test_load_unpacks_everything():
    """manifest.load turns every accepted source into a flat list of documents."""
    assert manifest.load(TEXT) == [NS, DEPLOY]
    assert manifest.load({"kind": "List", "apiVersion": "v1", "items": [NS, {"kind": "List", "items": [DEPLOY]}]}) \
        == [NS, DEPLOY]
    assert manifest.load([NS]) == [NS]


def test_dump_yaml_layout():
    """YAML as kubectl prints it: keys sorted, lists at the key's indentation, no line wrapping,
    multi-line strings as blocks."""
    text = convert.dump_yaml({"b": [{"y": 1, "x": "two"}], "a": "x" * 200, "c": "line1\nline2\n"})
    assert text == "a: " + "x" * 200 + "\nb:\n- x: two\n  y: 1\nc: |\n  line1\n  line2\n"


def test_dump_json_layout():
    """JSON as kubectl prints it: 4-space indentation."""
    assert convert.dump_json({"a": [1]}) == '{\n    "a": [\n        1\n    ]\n}'


def test_to_yaml_parses_back_to_to_dict(web):
    """obj.to_yaml() is the YAML of obj.to_dict(), with apiVersion and kind."""
    d = web.get("Deployment", "web")
    assert yaml.safe_load(d.to_yaml()) == d.to_dict()
    assert list(d.to_dict())[:2] == ["apiVersion", "kind"]
