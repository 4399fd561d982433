"""Errors: the API server's messages, kubectl's rendering of them, and that a failed call changes
nothing at all (objects, resourceVersions, clock, random generator, network, IPAM)."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

import kitlib

PORT_ERR = ("spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
            "must be between 1 and 65535, inclusive")


def deployment(name="web", replicas=2, labels=None, selector=None, port=80, image="nginx"):
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": selector or dict(labels)},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "app", "image": image,
                                                       "ports": [{"containerPort": port}]}]}}},
    }


def heredoc(doc) -> str:
    docs = doc if isinstance(doc, list) else [doc]
    return "apply -f - <<EOF\n" + "---\n".join(yaml.safe_dump(d) for d in docs) + "EOF"


@pytest.fixture
def busy(web):
    """The `web` cluster part-way through things: a pod terminating, a node failed, time queued."""
    web.delete("Pod", web.pods()[0].name)
    web.fail_node("minikube-m03")
    web.advance(0.3)
    return web


def expect_unchanged(cluster, snapshot, call, error, match):
    before = snapshot(cluster)
    with pytest.raises(error, match=match):
        call()
    assert snapshot(cluster) == before


# ---------------------------------------------------------------- Invalid


def test_negative_replicas(busy, snapshot):
    """spec.replicas below 0 is Invalid; through Python the server's message, through kubectl apply
    kubectl's `The Deployment "web" is invalid: ...`; nothing changes either way."""
    bad = deployment(replicas=-1)
    expect_unchanged(busy, snapshot, lambda: busy.apply(bad), kitlib.Invalid,
                     r'^Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: '
                     r"must be greater than or equal to 0$")
    expect_unchanged(busy, snapshot, lambda: busy.kubectl(heredoc(bad)), kitlib.Invalid,
                     r'^The Deployment "web" is invalid: spec.replicas: Invalid value: -1: '
                     r"must be greater than or equal to 0$")
    expect_unchanged(busy, snapshot, lambda: busy.scale("web", -1), kitlib.Invalid,
                     r'^Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1')
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("create deployment new --image=nginx --replicas=-1"),
                     kitlib.Invalid, r'^The Deployment "new" is invalid: spec.replicas: Invalid value: -1')


def test_invalid_error_carries_its_causes(cluster):
    """An Invalid error keeps its field errors as data: path, type, value, detail."""
    with pytest.raises(kitlib.Invalid) as info:
        cluster.apply(deployment(replicas=-1))
    (cause,) = info.value.causes
    assert (cause.path, cause.type, cause.value) == ("spec.replicas", "Invalid value", -1)
    assert info.value.code == 422 and info.value.reason == "Invalid"


@pytest.mark.parametrize(("kind", "name", "message"), [
    ("Deployment", "Web_1", 'Deployment.apps "Web_1" is invalid: metadata.name: Invalid value: "Web_1": '
                            "a lowercase RFC 1123 subdomain must consist of"),
    ("Namespace", "my.ns", 'Namespace "my.ns" is invalid: metadata.name: Invalid value: "my.ns": '
                           "a lowercase RFC 1123 label must consist of"),
    ("Deployment", "x" * 254, "metadata.name: Invalid value: \"x{254}\": must be no more than 253 characters"),
])
def test_invalid_names(busy, snapshot, kind, name, message):
    """Object names must be DNS subdomains (namespaces: DNS labels), in apimachinery's words."""
    doc = deployment(name="web") if kind == "Deployment" else {"apiVersion": "v1", "kind": "Namespace", "metadata": {}}
    doc["metadata"]["name"] = name
    expect_unchanged(busy, snapshot, lambda: busy.apply(doc), kitlib.Invalid, message)


def test_missing_name(cluster, snapshot):
    """Without name or generateName the object is Invalid."""
    doc = deployment()
    del doc["metadata"]["name"]
    expect_unchanged(cluster, snapshot, lambda: cluster.apply(doc), kitlib.Invalid,
                     "metadata.name: Required value: name or generateName is required")


def test_selector_must_match_template_labels(busy, snapshot):
    """A Deployment whose selector does not select its own template is Invalid."""
    bad = deployment(labels={"app": "other"}, selector={"app": "web"})
    expect_unchanged(busy, snapshot, lambda: busy.apply(bad), kitlib.Invalid,
                     r'^Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: '
                     r'map\[string\]string\{"app":"other"\}: `selector` does not match template `labels`$')


def test_empty_selector_is_invalid(cluster, snapshot):
    """An empty selector would select everything: Invalid for a Deployment."""
    bad = deployment()
    bad["spec"]["selector"] = {}
    expect_unchanged(cluster, snapshot, lambda: cluster.apply(bad), kitlib.Invalid,
                     "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map\\[string\\]string\\(nil\\), "
                     "MatchExpressions:\\[\\]v1.LabelSelectorRequirement\\(nil\\)}: empty selector is invalid "
                     "for deployment")


def test_container_port_out_of_range(busy, snapshot):
    """containerPort must be 1-65535, through apply and through `create deployment --port`."""
    expect_unchanged(busy, snapshot, lambda: busy.apply(deployment(name="big", port=70000)), kitlib.Invalid,
                     '^Deployment.apps "big" is invalid: ' + re.escape(PORT_ERR) + "$")
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("create deployment big --image=nginx --port=70000"),
                     kitlib.Invalid,
                     '^The Deployment "big" is invalid: ' + re.escape(PORT_ERR) + "$")


def test_several_field_errors(cluster, snapshot):
    """Several field errors: the server lists them in brackets, kubectl one per line after `*`."""
    bad = deployment(replicas=-1, port=0)
    bad["spec"]["template"]["spec"]["containers"][0]["image"] = ""
    server = ('Deployment.apps "web" is invalid: [spec.replicas: Invalid value: -1: must be greater than or '
              "equal to 0, spec.template.spec.containers[0].image: Required value, "
              "spec.template.spec.containers[0].ports[0].containerPort: Required value]")
    with pytest.raises(kitlib.Invalid) as info:
        cluster.apply(bad)
    assert str(info.value) == server
    before = snapshot(cluster)
    with pytest.raises(kitlib.Invalid) as info:
        cluster.kubectl(heredoc(bad))
    assert str(info.value) == (
        'The Deployment "web" is invalid: \n'
        "* spec.replicas: Invalid value: -1: must be greater than or equal to 0\n"
        "* spec.template.spec.containers[0].image: Required value\n"
        "* spec.template.spec.containers[0].ports[0].containerPort: Required value")
    assert snapshot(cluster) == before


def test_container_checks(cluster, snapshot):
    """No containers, a duplicate container name and an unknown protocol are each Invalid."""
    none = deployment()
    none["spec"]["template"]["spec"]["containers"] = []
    expect_unchanged(cluster, snapshot, lambda: cluster.apply(none), kitlib.Invalid,
                     r"spec.template.spec.containers: Required value$")
    twice = deployment()
    c = twice["spec"]["template"]["spec"]["containers"]
    c.append(copy.deepcopy(c[0]))
    c[1]["ports"] = []
    expect_unchanged(cluster, snapshot, lambda: cluster.apply(twice), kitlib.Invalid,
                     r'spec.template.spec.containers\[1\].name: Duplicate value: "app"$')
    proto = deployment()
    proto["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = "HTTP"
    expect_unchanged(cluster, snapshot, lambda: cluster.apply(proto), kitlib.Invalid,
                     r'ports\[0\].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"$')


def test_rolling_update_parameters(cluster, snapshot):
    """maxSurge and maxUnavailable may not both be 0; maxUnavailable may not exceed 100%; the
    values print as Go's IntOrString."""
    zero = deployment()
    zero["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}
    expect_unchanged(cluster, snapshot, lambda: cluster.apply(zero), kitlib.Invalid,
                     r"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString\{Type:0, "
                     r'IntVal:0, StrVal:""\}: may not be 0 when `maxSurge` is 0$')
    big = deployment()
    big["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": "200%", "maxUnavailable": "150%"}}
    expect_unchanged(cluster, snapshot, lambda: cluster.apply(big), kitlib.Invalid,
                     r'^Deployment.apps "web" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid '
                     r'value: intstr.IntOrString\{Type:1, IntVal:0, StrVal:"150%"\}: must not be greater than 100%$')
    surge = deployment()
    surge["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": "200%"}}
    cluster.apply(surge)  # a surge above 100% is allowed
    recreate = deployment(name="r")
    recreate["spec"]["strategy"] = {"type": "Rolling"}
    expect_unchanged(cluster, snapshot, lambda: cluster.apply(recreate), kitlib.Invalid,
                     r'spec.strategy.type: Unsupported value: "Rolling": supported values: "Recreate", "RollingUpdate"')


def test_selector_is_immutable(busy, snapshot):
    """A Deployment's selector cannot change after creation."""
    moved = deployment(labels={"app": "web2"})
    expect_unchanged(busy, snapshot, lambda: busy.apply(moved), kitlib.Invalid,
                     r'^Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector'
                     r'\{MatchLabels:map\[string\]string\{"app":"web2"\}, '
                     r"MatchExpressions:\[\]v1.LabelSelectorRequirement\(nil\)\}: field is immutable$")


def test_invalid_label_value(busy, snapshot):
    """A label value with a space is Invalid and the object keeps its labels."""
    expect_unchanged(busy, snapshot, lambda: busy.label("Deployment", "web", {"team": "a b"}), kitlib.Invalid,
                     r'^Deployment.apps "web" is invalid: metadata.labels: Invalid value: "a b": a valid label '
                     "must be an empty string or consist of alphanumeric characters")


# ---------------------------------------------------------------- NotFound, AlreadyExists, BadRequest


def test_not_found(busy, snapshot):
    """A missing object is NotFound: `<resource>.<group> "<name>" not found`, kubectl adds
    `Error from server (NotFound): `."""
    expect_unchanged(busy, snapshot, lambda: busy.delete("Deployment", "nope"), kitlib.NotFound,
                     r'^deployments.apps "nope" not found$')
    expect_unchanged(busy, snapshot, lambda: busy.scale("nope", 2), kitlib.NotFound,
                     r'^deployments.apps "nope" not found$')
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("get deployment nope"), kitlib.NotFound,
                     r'^Error from server \(NotFound\): deployments.apps "nope" not found$')
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("delete pod nope"), kitlib.NotFound,
                     r'^Error from server \(NotFound\): pods "nope" not found$')
    expect_unchanged(busy, snapshot, lambda: busy.cordon("minikube-m09"), kitlib.NotFound,
                     r'^nodes "minikube-m09" not found$')
    expect_unchanged(busy, snapshot, lambda: busy.apply({**deployment(), "metadata": {"name": "x", "namespace": "nope"}}),
                     kitlib.NotFound, r'^namespaces "nope" not found$')


def test_already_exists(busy, snapshot):
    """Creating a taken name is AlreadyExists."""
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("create deployment web --image=nginx"),
                     kitlib.AlreadyExists, r'^Error from server \(AlreadyExists\): deployments.apps "web" already exists$')
    expect_unchanged(busy, snapshot, lambda: busy.create(deployment()), kitlib.AlreadyExists,
                     r'^deployments.apps "web" already exists$')


def test_unknown_resource_type(busy, snapshot):
    """A resource type the server does not know is kubectl's `doesn't have a resource type`."""
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("get pdos"), kitlib.BadRequest,
                     r'^error: the server doesn\'t have a resource type "pdos"$')
    expect_unchanged(busy, snapshot, lambda: busy.list("widgets"), kitlib.BadRequest,
                     r'^error: the server doesn\'t have a resource type "widgets"$')
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("delete pdos x"), kitlib.BadRequest,
                     r'"pdos"$')


def test_kubectl_usage_errors_change_nothing(busy, snapshot):
    """Usage errors are kubectl's `error: ...` lines, before anything reaches the server."""
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("scale deployment web --replicas=-1"), kitlib.BadRequest,
                     r"^error: The --replicas=COUNT flag is required")
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("scale deployment web --replicas=many"), kitlib.BadRequest,
                     r'invalid argument "many" for "--replicas" flag')
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("label deployment web app=other"), kitlib.BadRequest,
                     r"^error: 'app' already has a value \(web\), and --overwrite is false$")
    expect_unchanged(busy, snapshot, lambda: busy.kubectl("get pods -n"), kitlib.BadRequest,
                     r"flag needs an argument")


# ---------------------------------------------------------------- multi-document apply


def test_multi_document_apply_is_all_or_nothing(busy, snapshot):
    """``cluster.apply`` validates every document before storing any: when the 2nd document is
    invalid, the 1st is not created either."""
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
            deployment(name="cart", replicas=-1),
            deployment(name="api")]
    expect_unchanged(busy, snapshot, lambda: busy.apply(docs), kitlib.Invalid,
                     r'^Deployment.apps "cart" is invalid: spec.replicas')
    unknown = [deployment(name="api"), {"apiVersion": "v1", "kind": "Gizmo", "metadata": {"name": "g"}}]
    expect_unchanged(busy, snapshot, lambda: busy.apply(unknown), kitlib.BadRequest,
                     r'no matches for kind "Gizmo" in version "v1"')
    with pytest.raises(kitlib.NotFound):
        busy.get("Namespace", "shop")


def test_kubectl_apply_applies_each_object_and_reports_the_failures_after(busy):
    """kubectl applies object by object (``applyOneObject``); a refused one does not stop the
    others, and the errors come after the successes. A document it cannot map to a kind is
    reported first and skipped."""
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
            deployment(name="cart", replicas=-1),
            {"apiVersion": "v1", "kind": "Gizmo", "metadata": {"name": "g"}},
            deployment(name="api")]
    with pytest.raises(kitlib.PartialFailure) as err:
        busy.kubectl(heredoc(docs))
    assert err.value.output == "namespace/shop created\ndeployment.apps/api created"
    assert [e.kubectl_text() for e in err.value.errors] == [
        'error: resource mapping not found for name: "g" namespace: "" from "STDIN": no matches for kind "Gizmo" '
        'in version "v1"\nensure CRDs are installed first',
        'The Deployment "cart" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0']
    assert err.value.changed == [("Namespace", "", "shop"), ("Deployment", "default", "api")]
    assert busy.get("Namespace", "shop") and busy.get("Deployment", "api")
    with pytest.raises(kitlib.NotFound):
        busy.get("Deployment", "cart")


def test_update_that_fails_keeps_the_old_object(busy, snapshot):
    """A failed update (2nd document) leaves the 1st document's object as it was, unchanged."""
    scaled = deployment(name="web", replicas=5, image="nginx")
    scaled["spec"]["template"]["spec"]["containers"][0]["name"] = "nginx"
    docs = [scaled, deployment(name="web2", port=0)]
    expect_unchanged(busy, snapshot, lambda: busy.apply(docs), kitlib.Invalid,
                     r'^Deployment.apps "web2" is invalid: spec.template.spec.containers\[0\].ports\[0\]'
                     r".containerPort: Required value$")
    assert busy.get("Deployment", "web").spec.replicas == 3
