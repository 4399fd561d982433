"""Strict field validation: unknown and duplicate fields get the API server's answer
(``strict decoding error: ...``), ``--validate=warn|ignore`` drop them, and the field tree is the
one the real Kubernetes schemas give.

The expected texts come from Kubernetes' own integration test of the feature
(``test/integration/apiserver/field_validation_test.go``, ``testFieldValidationPost``).
"""

from __future__ import annotations

import json
import warnings

import pytest

import kitlib
from kitlib.api import fields, fields_generate

# The body of testFieldValidationPost (invalidBodyJSON), with the name filled in.
INVALID_BODY_JSON = """
{
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "dupename",
        "name": "web",
        "labels": {"app": "nginx"},
        "unknownMeta": "metaVal"
    },
    "spec": {
        "unknown1": "val1",
        "unknownDupe": "valDupe",
        "unknownDupe": "valDupe2",
        "paused": true,
        "paused": false,
        "selector": {"matchLabels": {"app": "nginx"}},
        "template": {
            "metadata": {"labels": {"app": "nginx"}},
            "spec": {
                "containers": [{
                    "name":  "nginx",
                    "image": "nginx:latest",
                    "unknownNested": "val1",
                    "imagePullPolicy": "Always",
                    "imagePullPolicy": "Never"
                }]
            }
        }
    }
}
"""
STRICT_JSON_ERROR = (
    'strict decoding error: duplicate field "metadata.name", unknown field "metadata.unknownMeta", '
    'unknown field "spec.unknown1", unknown field "spec.unknownDupe", duplicate field "spec.paused", '
    'unknown field "spec.template.spec.containers[0].unknownNested", '
    'duplicate field "spec.template.spec.containers[0].imagePullPolicy"')

TYPO_YAML = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicaz: 3
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
          protocl: TCP
"""
TYPO_ERROR = ('Error from server (BadRequest): error when creating "{}": Deployment in version "v1" cannot be '
              'handled as a Deployment: '
              'strict decoding error: unknown field "spec.replicaz", '
              'unknown field "spec.template.spec.containers[0].ports[0].protocl"')


@pytest.fixture
def typo_file(tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(TYPO_YAML)
    return path


def test_a_json_body_gets_the_api_servers_strict_decoding_error_in_document_order(cluster, snapshot):
    before = snapshot(cluster)
    with pytest.raises(kitlib.BadRequest) as err:
        cluster.apply(INVALID_BODY_JSON)
    assert str(err.value) == ('Deployment in version "v1" cannot be handled as a Deployment: '
                              + STRICT_JSON_ERROR)
    assert snapshot(cluster) == before


def test_misspelled_fields_in_yaml_are_refused_by_kubectl_apply(cluster, snapshot, typo_file):
    """kubectl's default is ``--validate=strict``; YAML reaches the server as JSON with sorted keys."""
    before = snapshot(cluster)
    with pytest.raises(kitlib.ApiError) as err:
        cluster.kubectl(f"apply -f {typo_file}")
    assert str(err.value) == TYPO_ERROR.format(typo_file)
    assert snapshot(cluster) == before
    with pytest.raises(kitlib.ApiError) as err:
        cluster.kubectl(f"apply -f {typo_file} --validate=true")
    assert str(err.value) == TYPO_ERROR.format(typo_file)


def test_validate_warn_prints_the_servers_warnings_and_drops_the_fields(cluster, typo_file, capsys):
    """The server's warnings are kubectl's stderr, apart from what it prints on stdout: they come
    back in the result's ``warnings`` and are written to ``sys.stderr`` as ``Warning:`` lines."""
    out = cluster.kubectl(f"apply -f {typo_file} --validate=warn")
    assert out == "deployment.apps/web created"
    assert out.warnings == ('unknown field "spec.replicaz"',
                            'unknown field "spec.template.spec.containers[0].ports[0].protocl"')
    assert capsys.readouterr().err == ('Warning: unknown field "spec.replicaz"\n'
                                       'Warning: unknown field "spec.template.spec.containers[0].ports[0].protocl"\n')
    spec = cluster.get("Deployment", "web").to_dict()["spec"]
    assert "replicaz" not in spec and spec["replicas"] == 1  # dropped, so the default stays
    assert spec["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]


def test_warnings_come_before_a_later_failure(cluster, tmp_path, capsys):
    """Each document's warnings were sent before the failure: kubectl writes them, then its error
    (after the first object's success: kubectl applies object by object)."""
    path = tmp_path / "two.yaml"
    path.write_text(TYPO_YAML + "---\napiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {ports: [{port: 0}]}\n")
    with pytest.raises(kitlib.PartialFailure) as err:
        cluster.kubectl(f"apply -f {path} --validate=warn")
    assert err.value.output == "deployment.apps/web created"
    assert isinstance(err.value.errors[0], kitlib.Invalid)
    assert err.value.warnings == ('unknown field "spec.replicaz"',
                                  'unknown field "spec.template.spec.containers[0].ports[0].protocl"')
    assert capsys.readouterr().err.count("Warning: unknown field") == 2


@pytest.mark.parametrize("value", ["false", "ignore", "False", "0"])
def test_validate_ignore_drops_unknown_fields_silently(cluster, typo_file, value):
    out = cluster.kubectl(f"apply -f {typo_file} --validate={value}")
    assert out == "deployment.apps/web created" and out.warnings == ()
    stored = cluster.get("Deployment", "web").to_dict()
    assert "replicaz" not in stored["spec"]
    # kubectl's last-applied-configuration annotation is the manifest as given, typo and all.
    assert '"replicaz":3' in stored["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]


@pytest.mark.parametrize("value", ["foo", "Strict", "yes"])
def test_an_unknown_validate_value_is_kubectls_error(cluster, typo_file, snapshot, value):
    before = snapshot(cluster)
    with pytest.raises(kitlib.BadRequest) as err:
        cluster.kubectl(f"apply -f {typo_file} --validate={value}")
    assert str(err.value) == (f'error: invalid - validate option "{value}"; must be one of: strict (or true), '
                              "warn, ignore (or false)")
    assert snapshot(cluster) == before


def test_the_python_api_validates_as_kubectl_does(cluster):
    with pytest.raises(kitlib.BadRequest, match='unknown field "spec.replicaz"'):
        cluster.apply(TYPO_YAML)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        cluster.apply(TYPO_YAML, validate="warn")
    assert [str(w.message) for w in said] == [
        'unknown field "spec.replicaz"', 'unknown field "spec.template.spec.containers[0].ports[0].protocl"']
    with pytest.raises(ValueError, match="invalid - validate option"):
        cluster.apply(TYPO_YAML, validate="loose")


def test_duplicate_yaml_keys_never_reach_the_server(cluster):
    """kubectl reads YAML with sigs.k8s.io/yaml (go-yaml v2, not strict): the last of two equal
    keys wins before the JSON is sent, so the server has no duplicate to refuse. (Kubernetes'
    integration test gets ``key "name" already set in map`` only for a body sent as YAML, which
    kubectl never does.)"""
    cm = cluster.apply("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nmetadata: {name: b}\n")[0]
    assert cm.name == "b"


def test_duplicate_keys_in_json_are_refused(cluster):
    text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "1", "k": "2"}}'
    with pytest.raises(kitlib.BadRequest, match=r'strict decoding error: duplicate field "data.k"$'):
        cluster.apply(text)
    assert cluster.apply(text, validate="ignore")[0].data == {"k": "2"}


def test_a_wrong_type_is_reported_before_unknown_fields(cluster):
    """The typed decoding fails first; strict validation only looks at what decoded."""
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replicas": "3", "replicaz": 3}}
    with pytest.raises(kitlib.BadRequest, match="cannot unmarshal string into Go struct field "
                                                "DeploymentSpec.spec.replicas of type int32$"):
        cluster.apply(doc)


def test_a_server_dry_run_validates_and_a_client_dry_run_does_not(cluster, typo_file):
    assert cluster.kubectl(f"apply -f {typo_file} --dry-run=client") == "deployment.apps/web created (dry run)"
    with pytest.raises(kitlib.ApiError, match="strict decoding error"):
        cluster.kubectl(f"apply -f {typo_file} --dry-run=server")


def test_every_object_kitlib_writes_passes_strict_validation(cluster):
    """What kitlib stores and prints has only fields the schema knows: a default cluster with a
    Deployment, a Service and an Ingress controller, re-applied from ``-o json``, is accepted."""
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    cluster.kubectl("expose deployment web --port=80 --type=NodePort")
    cluster.advance(30)
    for kind in ("Pod", "Deployment", "ReplicaSet", "Service", "EndpointSlice", "Endpoints", "Node",
                 "Namespace", "ConfigMap"):
        for obj in cluster.api.store.objects(kind):
            assert fields.problems(json.loads(json.dumps(obj.to_dict()))) == [], (kind, obj.name)


def test_the_field_tree_is_generated_from_the_real_schemas():
    """``kitlib/api/fields-v1.37.json`` is what ``python -m kitlib.api.fields_generate`` writes
    from kubernetes-validate's copy of the Kubernetes OpenAPI schemas."""
    pytest.importorskip("kubernetes_validate")
    committed = (fields_generate.Path(fields_generate.__file__).with_name(fields.TREE_FILE)).read_text()
    assert committed == fields_generate.dumps(fields_generate.generate())


def test_the_field_tree_agrees_with_kubernetes_validate():
    """An independent check: kubernetes-validate's strict JSON-schema validation refuses the same
    typo and accepts the same corrected manifest."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    import yaml
    doc = yaml.safe_load(TYPO_YAML)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, fields.KUBERNETES_VERSION.lstrip("v"), strict=True)
    fixed = fields.drop_unknown(doc)
    assert fields.problems(fixed) == []
    kubernetes_validate.validate(fixed, fields.KUBERNETES_VERSION.lstrip("v"), strict=True)
