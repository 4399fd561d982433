"""Bad input never breaks a cluster: a manifest is decoded as kubectl and the API server decode it.

In order: go-yaml's limits (kubectl's ``error converting YAML to JSON``), kubectl's own checks of a
document's shape (``error validating data``), then the API server's JSON decoding into the kind's
Go types (``<Kind> in version "v1" cannot be handled as a <Kind>: json: cannot unmarshal ...``),
and only then validation. Each failure is a BadRequest that leaves the cluster as it was.
"""

from __future__ import annotations

import json

import pytest
import yaml

import kitlib
from kitlib import manifest


def deployment(name: str = "web", **spec: object) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx",
                                                           "ports": [{"containerPort": 80}]}]}},
                     **spec}}


def container(**fields: object) -> dict:
    d = deployment()
    d["spec"]["template"]["spec"]["containers"][0].update(fields)
    return d


def service(**port: object) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
            "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, **port}]}}


CANNOT_HANDLE = r'^Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '


# -------------------------------------------------------------------------------- YAML limits

BOMB = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n" + "".join(
    f"  {c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))


def test_an_alias_bomb_is_refused_at_once(cluster, snapshot):
    """A few hundred bytes of YAML whose aliases expand to 9**9 strings: go-yaml stops decoding once
    aliases make up nearly all of what it decodes, and kubectl prints its error."""
    assert len(BOMB) < 700
    before = snapshot(cluster)
    # No timing assertion (speed claims live in benchmarks/): expanding the bomb would never end.
    with pytest.raises(kitlib.BadRequest, match=r"^error: error parsing manifest: error converting YAML to JSON: "
                                                r"yaml: document contains excessive aliasing$"):
        cluster.apply(BOMB)
    assert snapshot(cluster) == before


def test_a_few_aliases_are_fine(cluster):
    """Anchors and aliases used as intended (a shared label map) decode as usual."""
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &l {app: web}\n"
            "  annotations: *l\ndata:\n  k: v\n")
    cm = cluster.apply(text)[0]
    assert cm.metadata.labels == {"app": "web"} and cm.metadata.annotations["app"] == "web"


def test_an_anchor_inside_itself_is_refused(cluster):
    """An alias to the anchor it is inside would be infinite: go-yaml's message."""
    with pytest.raises(kitlib.BadRequest, match=r"yaml: anchor 'a' value contains itself$"):
        cluster.apply("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: &a {x: *a}\n")


def test_nesting_too_deep_is_refused(cluster):
    """go-yaml refuses nesting past a bound ("exceeded max depth of 10000"); kitlib's bound is
    manifest.MAX_DEPTH, far beyond any real object, and the same holds for a dict given from Python,
    including one that contains itself."""
    deep = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nextra: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(kitlib.BadRequest, match=rf"yaml: line 5: exceeded max depth of {manifest.MAX_DEPTH}$"):
        cluster.apply(deep)
    nested: dict = {}
    inner = nested
    for _ in range(5000):
        inner["x"] = {}
        inner = inner["x"]
    with pytest.raises(kitlib.BadRequest, match="exceeded max depth"):
        cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "extra": nested})
    loop: dict = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    loop["metadata"]["annotations"] = loop
    with pytest.raises(kitlib.BadRequest, match="exceeded max depth"):
        cluster.apply(loop)
    with pytest.raises(kitlib.BadRequest, match="exceeded max depth"):
        cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "extra": nested})


def test_a_python_alias_bomb_is_refused(cluster, snapshot):
    """The same list shared at every level, built in Python, would be a body far past the API
    server's limit once written out as JSON: refused at once, as is a dict holding itself twice."""
    bomb: list = ["lol"] * 9
    for _ in range(12):
        bomb = [bomb] * 9
    before = snapshot(cluster)
    with pytest.raises(kitlib.BadRequest, match=r"^Request entity too large: limit is 3145728$"):
        cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "extra": bomb})
    twice: dict = {}
    twice["a"] = twice["b"] = twice
    with pytest.raises(kitlib.BadRequest, match="Request entity too large"):
        cluster.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "extra": twice})
    assert snapshot(cluster) == before


def test_an_object_nested_well_within_the_bound_applies(cluster):
    """Nesting within the bound decodes; the unknown field that holds it is then refused by strict
    field validation, and dropped under ``--validate=ignore``, as the API server drops it."""
    value: object = "leaf"
    for _ in range(40):
        value = {"x": [value]}
    doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "extra": value}
    with pytest.raises(kitlib.BadRequest, match='strict decoding error: unknown field "extra"$'):
        cluster.apply(doc)
    cm = cluster.apply(doc, validate="ignore")[0]
    assert "extra" not in cm.to_dict()


def test_input_past_the_request_limit_is_refused(cluster):
    """The API server takes request bodies up to 3 MiB."""
    with pytest.raises(kitlib.BadRequest, match=r"^Request entity too large: limit is 3145728$"):
        cluster.apply("a: " + "x" * (3 * 1024 * 1024) + "\n")


def test_a_binary_file_is_unparseable(cluster, tmp_path):
    """Control characters are not YAML (go-yaml: "control characters are not allowed"); nor are
    bytes that are not UTF-8."""
    binary = tmp_path / "image.yaml"
    binary.write_bytes(bytes(range(32)) * 4)
    with pytest.raises(kitlib.BadRequest, match=r"error converting YAML to JSON: yaml: control characters are "
                                                r"not allowed$"):
        cluster.apply(binary)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(kitlib.BadRequest, match=r"yaml: invalid leading UTF-8 octet$"):
        cluster.apply(latin1)


# -------------------------------------------------------------------------------- structure

@pytest.mark.parametrize(("doc", "message"), [
    ("- a\n- b\n", "invalid object to validate"),
    ("hello\n", "invalid object to validate"),
    ({"apiVersion": "v1", "kind": 5, "metadata": {"name": "x"}}, "kind isn't string type"),
    ({"apiVersion": 1, "kind": "ConfigMap", "metadata": {"name": "x"}}, "apiVersion isn't string type"),
    ({"kind": "ConfigMap", "metadata": {"name": "x"}}, "apiVersion not set"),
    ({"apiVersion": "v1", "kind": "List", "items": 5}, "invalid object to validate"),
    ({"apiVersion": "v1", "kind": "List", "items": {"a": "b"}}, "invalid object to validate"),
    ({"apiVersion": "v1", "kind": "List", "items": [["a"]]}, "invalid object to validate"),
])
def test_a_document_of_the_wrong_shape(cluster, snapshot, doc, message):
    """kubectl checks each document before sending it: an object, with string apiVersion and kind,
    and a List's items a list of objects (its words: "error validating data: ...")."""
    before = snapshot(cluster)
    with pytest.raises(kitlib.BadRequest, match=rf"^error: error validating data: {message}$"):
        cluster.apply(doc)
    assert snapshot(cluster) == before


def test_metadata_of_the_wrong_type(cluster):
    """metadata that is not an object cannot be decoded into ObjectMeta; null is no metadata."""
    with pytest.raises(kitlib.BadRequest, match=r'^Namespace in version "v1" cannot be handled as a Namespace: '
                                                r"json: cannot unmarshal string into Go struct field "
                                                r"Namespace.metadata of type v1.ObjectMeta$"):
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": "shop"})
    with pytest.raises(kitlib.Invalid, match="metadata.name: Required value"):
        cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": None})


# -------------------------------------------------------------------------------- field types

@pytest.mark.parametrize(("doc", "message"), [
    (deployment(replicas=2**31), "number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32"),
    (deployment(replicas=1e20), "number 100000000000000000000 into Go struct field DeploymentSpec.spec.replicas "
                                "of type int32"),
    (deployment(replicas=1e21), r"number 1e\+21 into Go struct field DeploymentSpec.spec.replicas of type int32"),
    (deployment(replicas=2.5), r"number 2.5 into Go struct field DeploymentSpec.spec.replicas of type int32"),
    (deployment(replicas="3"), "string into Go struct field DeploymentSpec.spec.replicas of type int32"),
    (deployment(replicas=True), "bool into Go struct field DeploymentSpec.spec.replicas of type int32"),
    (deployment(replicas=[2]), "array into Go struct field DeploymentSpec.spec.replicas of type int32"),
    (deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1.5}}),
     r"number 1.5 into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32"),
    (deployment(selector=["app"]), "array into Go struct field DeploymentSpec.spec.selector of type v1.LabelSelector"),
    (container(ports=[{"containerPort": 2**31}]),
     "number 2147483648 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort "
     "of type int32"),
    (container(ports={"containerPort": 80}),
     r"object into Go struct field Container.spec.template.spec.containers.ports of type \[\]v1.ContainerPort"),
    (container(image=5), "number into Go struct field Container.spec.template.spec.containers.image of type string"),
    (container(readinessProbe={"tcpSocket": {"port": 80}, "timeoutSeconds": 2**31}),
     "number 2147483648 into Go struct field Probe.spec.template.spec.containers.readinessProbe.timeoutSeconds "
     "of type int32"),
    ({**deployment(), "metadata": {"name": "web", "labels": ["app"]}},
     r"array into Go struct field ObjectMeta.metadata.labels of type map\[string\]string"),
    ({**deployment(), "metadata": {"name": "web", "labels": {"replicas": 3}}},
     "number into Go struct field ObjectMeta.metadata.labels of type string"),
])
def test_a_field_of_the_wrong_go_type(cluster, snapshot, doc, message):
    """The API server decodes the JSON into the kind's Go struct: a value the field's type cannot
    hold (an int32 past its range, a fraction for an integer, a string for a number, a list for a
    map, ...) is encoding/json's UnmarshalTypeError, naming the Go struct and the field's path."""
    before = snapshot(cluster)
    with pytest.raises(kitlib.BadRequest, match=CANNOT_HANDLE + message + "$"):
        cluster.apply(doc)
    with pytest.raises(kitlib.BadRequest, match=CANNOT_HANDLE + message + "$"):
        cluster.create(doc)
    assert snapshot(cluster) == before


def test_service_ports_past_int32(cluster):
    """Service ports are int32 as well: past the range is a decoding error, not a validation one."""
    with pytest.raises(kitlib.BadRequest, match=r'^Service in version "v1" cannot be handled as a Service: json: '
                                                r"cannot unmarshal number 4294967296 into Go struct field "
                                                r"ServicePort.spec.ports.nodePort of type int32$"):
        cluster.apply(service(nodePort=2**32))
    with pytest.raises(kitlib.BadRequest, match=r"cannot unmarshal string into Go struct field "
                                                r"ServicePort.spec.ports.port of type int32$"):
        cluster.apply(service(port="80"))


def test_configmap_and_secret_values_must_be_strings(cluster):
    """data maps string keys to string values: a number, a bool or a list is refused."""
    with pytest.raises(kitlib.BadRequest, match=r'^ConfigMap in version "v1" cannot be handled as a ConfigMap: '
                                                r"json: cannot unmarshal number into Go struct field "
                                                r"ConfigMap.data of type string$"):
        cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"port": 80}})
    with pytest.raises(kitlib.BadRequest, match=r'^Secret in version "v1" cannot be handled as a Secret: '
                                                r"json: cannot unmarshal bool into Go struct field "
                                                r"Secret.stringData of type string$"):
        cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                       "stringData": {"debug": True}})


def test_the_first_error_in_the_order_kubectl_sends(cluster):
    """kubectl sends JSON with sorted keys and Go's decoder reports the first mismatch it meets:
    spec.replicas comes before spec.template."""
    doc = container(image=5)
    doc["spec"]["replicas"] = "two"
    with pytest.raises(kitlib.BadRequest, match="DeploymentSpec.spec.replicas of type int32$"):
        cluster.apply(doc)


def test_valid_numbers_decode_as_before(cluster):
    """IntOrString takes an int or a string; a float with no fraction is the integer Go's JSON
    prints for it; int32's own bounds are accepted by decoding (validation then judges them)."""
    d = cluster.apply(deployment(replicas=3.0, strategy={"type": "RollingUpdate",
                                                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}))[0]
    assert d.spec.replicas == 3 and type(d.spec.replicas) is int
    assert (d.spec.strategy.rolling_update.max_surge, d.spec.strategy.rolling_update.max_unavailable) == ("25%", 1)
    with pytest.raises(kitlib.Invalid, match="containerPort: Invalid value: 2147483647"):
        cluster.apply(container(ports=[{"containerPort": 2**31 - 1}]))


def test_kubectl_prints_the_servers_decoding_error(cluster):
    """Through kubectl the decoding error is the server's: "Error from server (BadRequest): ...",
    with the source of the failed create, as kubectl's AddSourceToErr adds it."""
    text = yaml.safe_dump(deployment(replicas=2**31))
    with pytest.raises(kitlib.BadRequest, match=r'^Error from server \(BadRequest\): error when creating "STDIN": '
                                                r'Deployment in version "v1" '
                                                r"cannot be handled as a Deployment: json: cannot unmarshal number "
                                                r"2147483648 into Go struct field DeploymentSpec.spec.replicas"):
        cluster.kubectl("apply -f - <<EOF\n" + text + "\nEOF")


# -------------------------------------------------------------------------------- kubectl apply -f

def test_apply_with_no_objects(cluster):
    """Empty input, or only empty documents, is kubectl's "no objects passed to apply"."""
    for text in ("", "---\n", "# nothing\n"):
        with pytest.raises(kitlib.BadRequest, match=r"^error: no objects passed to apply$"):
            cluster.kubectl("apply -f - <<EOF\n" + text + "\nEOF")


def test_apply_a_directory(cluster, tmp_path):
    """``-f DIR`` applies the directory's .json, .yaml and .yml files in name order, skipping other
    files and subdirectories (without --recursive)."""
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}
    (tmp_path / "a-namespace.json").write_text(json.dumps(ns))
    (tmp_path / "b-deploy.yaml").write_text(yaml.safe_dump({**deployment("cart"),
                                                            "metadata": {"name": "cart", "namespace": "shop"}}))
    (tmp_path / "c-config.yml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    (tmp_path / "notes.txt").write_text("not a manifest")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: nested\n")
    out = cluster.kubectl(f"apply -f {tmp_path}")
    assert out == "namespace/shop created\ndeployment.apps/cart created\nconfigmap/c created"
    with pytest.raises(kitlib.NotFound):
        cluster.get("ConfigMap", "nested")


def test_apply_an_empty_directory(cluster, tmp_path):
    """A directory with no manifest files is kubectl's error for it."""
    (tmp_path / "README").write_text("hi")
    with pytest.raises(kitlib.BadRequest, match=rf"^error: error reading \[{tmp_path}\]: recognized file "
                                                r"extensions are \[.json .yaml .yml\]$"):
        cluster.kubectl(f"apply -f {tmp_path}")
