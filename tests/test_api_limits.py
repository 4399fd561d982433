"""The API server's limits on names, labels and annotations, and who owns ``status`` on create
(issue 10): refused in apimachinery's words, and a refused call changes nothing."""

from __future__ import annotations

import re

import pytest

import kitlib


def expect_unchanged(cluster, call, error, match):
    before = cluster.state()
    with pytest.raises(error, match=match):
        call()
    assert cluster.state() == before


# ---------------------------------------------------------------- status on create


def test_a_pod_created_with_a_status_starts_pending_without_it(web):
    """PrepareForCreate (pkg/registry/core/pod/strategy.go) replaces a new pod's status with
    ``phase: Pending``: a ``status.podIP`` the client wrote, even one another pod holds, is never
    stored, and the kubelet gives the pod an address of its own."""
    taken = web.pods()[0].status.pod_ip
    web.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "liar"},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]},
               "status": {"phase": "Running", "podIP": taken, "podIPs": [{"ip": taken}],
                          "hostIP": "1.2.3.4"}})
    created = web.get("Pod", "liar")
    assert created.status.phase == "Pending"
    assert created.status.host_ip != "1.2.3.4"
    assert created.status.pod_ip != taken
    web.advance(10)
    pod = web.get("Pod", "liar")
    assert pod.status.phase == "Running"
    assert pod.status.pod_ip and pod.status.pod_ip != taken


def test_create_drops_the_status_of_every_kind_but_node(cluster):
    """Deployments, ReplicaSets, Services, Ingresses and Namespaces drop a client's status on create
    (their strategies' PrepareForCreate); the server and its controllers write it."""
    cluster.apply([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"},
         "status": {"phase": "Terminating"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
         "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]},
         "status": {"loadBalancer": {"ingress": [{"ip": "9.9.9.9"}]}}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
         "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "d"}},
                  "template": {"metadata": {"labels": {"app": "d"}},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
         "status": {"replicas": 7, "readyReplicas": 7}},
    ])
    assert cluster.get("Namespace", "team").status.phase == "Active"
    assert cluster.get("Service", "s").status.load_balancer.ingress == []
    assert not cluster.get("Deployment", "d").status.ready_replicas


def test_an_update_keeps_the_stored_status(web):
    """PrepareForUpdate keeps the stored status: a status in an applied manifest changes nothing."""
    pod = web.pods()[0]
    body = pod.to_dict()
    body["status"] = {"phase": "Failed", "podIP": "10.9.9.9"}
    web.apply(body)
    again = web.get("Pod", pod.name)
    assert again.status.phase == "Running"
    assert again.status.pod_ip == pod.status.pod_ip


# ---------------------------------------------------------------- names


def _service(name):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}


def test_a_service_name_is_at_most_63_characters(cluster):
    """A Service's name is a DNS-1035 label (ValidateService's NameIsDNS1035Label): 64 characters
    are refused with IsDNS1035Label's length message alone."""
    name = "a" * 64
    expect_unchanged(cluster, lambda: cluster.apply(_service(name)), kitlib.Invalid,
                     rf'^Service "{name}" is invalid: metadata.name: Invalid value: "{name}": '
                     r"must be no more than 63 characters$")
    cluster.apply(_service("a" * 63))


def test_a_service_name_starts_with_a_letter(cluster):
    """A DNS-1035 label starts with a letter, so ``1web`` is no Service name (it is a Pod name);
    a long name that also starts with a digit gets both of IsDNS1035Label's errors."""
    expect_unchanged(cluster, lambda: cluster.apply(_service("1web")), kitlib.Invalid,
                     r'^Service "1web" is invalid: metadata.name: Invalid value: "1web": a DNS-1035 label '
                     r"must consist of lower case alphanumeric characters or '-', start with an alphabetic")
    name = "1" + "a" * 63
    expect_unchanged(cluster, lambda: cluster.apply(_service(name)), kitlib.Invalid,
                     rf'^Service "{name}" is invalid: \[metadata.name: Invalid value: "{name}": must be no more '
                     rf'than 63 characters, metadata.name: Invalid value: "{name}": a DNS-1035 label')


def test_a_deployment_name_is_a_subdomain_of_at_most_253(cluster):
    """Most kinds' names are DNS-1123 subdomains (NameIsDNSSubdomain): dots allowed, 253 at most.
    (kubectl's ``create deployment`` also makes the name the ``app`` label, itself 63 at most.)"""
    deploy = "create deployment {} --image=nginx"
    cluster.kubectl(deploy.format("web.v2"))
    name = "a" * 254
    expect_unchanged(cluster, lambda: cluster.kubectl(deploy.format(name)), kitlib.Invalid,
                     rf'\n\* metadata.name: Invalid value: "{name}": must be no more than 253 characters\n'
                     rf'\* metadata.labels: Invalid value: "{name}": must be no more than 63 characters\n')


# ---------------------------------------------------------------- labels and selectors


def _config(meta):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", **meta}}


@pytest.mark.parametrize(("key", "detail"), [
    ("a" * 254 + "/app", "prefix part must be no more than 253 characters"),
    ("Example.com/app", "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric"),
    ("/app", "prefix part must be non-empty"),
    ("example.com/" + "a" * 64, "name part must be no more than 63 characters"),
    ("a/b/c", r"a qualified name must consist of alphanumeric characters, '-', '_' or '\.'"),
])
def test_a_label_key_is_a_qualified_name(cluster, key, detail):
    """A label key (IsQualifiedName) is an optional DNS-1123 subdomain prefix of at most 253
    characters and ``/``, then a name of at most 63; each broken rule is its own error."""
    expect_unchanged(cluster, lambda: cluster.apply(_config({"labels": {key: "v"}})), kitlib.Invalid,
                     rf'^ConfigMap "cfg" is invalid: metadata.labels: Invalid value: "{re.escape(key)}": {detail}')


def test_a_label_value_is_at_most_63_characters(cluster):
    """IsValidLabelValue: 63 characters at most, reported with its length message alone."""
    value = "v" * 64
    expect_unchanged(cluster, lambda: cluster.apply(_config({"labels": {"app": value}})), kitlib.Invalid,
                     rf'^ConfigMap "cfg" is invalid: metadata.labels: Invalid value: "{value}": '
                     r"must be no more than 63 characters$")
    cluster.apply(_config({"labels": {"example.com/" + "k" * 63: "v" * 63}}))


def test_a_deployment_selector_is_validated_as_labels(cluster):
    """ValidateLabelSelector checks ``matchLabels`` as labels (before the template's labels)."""
    key = "x/" + "a" * 64
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"app": "v" * 64}},
                     "template": {"metadata": {"labels": {key: "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    expect_unchanged(cluster, lambda: cluster.apply(body), kitlib.Invalid,
                     r'^Deployment.apps "d" is invalid: \[spec.selector.matchLabels: Invalid value: "v+": '
                     r"must be no more than 63 characters, ")


def test_a_selector_expression_key_and_values_are_validated(cluster):
    """Each matchExpressions requirement's key is a qualified name and each value a label value."""
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"app": "d"},
                                  "matchExpressions": [{"key": "a/b/c", "operator": "In", "values": ["-x"]}]},
                     "template": {"metadata": {"labels": {"app": "d"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    expect_unchanged(cluster, lambda: cluster.apply(body), kitlib.Invalid,
                     r'spec.selector.matchExpressions\[0\].key: Invalid value: "a/b/c": a qualified name .*'
                     r'spec.selector.matchExpressions\[0\].values\[0\]: Invalid value: "-x": a valid label must')


def test_a_service_selector_is_validated_as_labels(cluster):
    """ValidateService checks ``spec.selector`` with ValidateLabels."""
    body = _service("web")
    body["spec"]["selector"] = {"example.com/" + "a" * 64: "web"}
    expect_unchanged(cluster, lambda: cluster.apply(body), kitlib.Invalid,
                     r'^Service "web" is invalid: spec.selector: Invalid value: "example.com/a+": '
                     r"name part must be no more than 63 characters$")


# ---------------------------------------------------------------- annotations


def test_an_annotation_key_is_a_qualified_name_in_any_case(cluster):
    """ValidateAnnotations checks each key as IsQualifiedName of its lower-case form: upper case
    is fine, a name part over 63 characters is not."""
    cluster.apply(_config({"annotations": {"Example.COM/Owner": "me"}}))
    key = "example.com/" + "a" * 64
    expect_unchanged(cluster, lambda: cluster.apply({**_config({"annotations": {key: "x"}}),
                                                       "metadata": {"name": "other", "annotations": {key: "x"}}}),
                     kitlib.Invalid,
                     rf'^ConfigMap "other" is invalid: metadata.annotations: Invalid value: "{key}": '
                     r"name part must be no more than 63 characters$")


def test_annotations_total_at_most_256_kib(cluster):
    """The keys and values of all annotations together are at most TotalAnnotationSizeLimitB
    (256 KiB, counted in bytes); one byte more is ``Too long`` without the value. (Created with a
    plain POST: ``kubectl apply`` would copy the manifest into its last-applied annotation and
    double the size, the well-known limit of client-side apply.)"""
    limit = 256 * 1024
    cluster.create(_config({"annotations": {"note": "x" * (limit - 4)}}))
    body = _config({"annotations": {"note": "x" * (limit - 4), "n": "y"}})
    body["metadata"]["name"] = "big"
    expect_unchanged(cluster, lambda: cluster.create(body), kitlib.Invalid,
                     r'^ConfigMap "big" is invalid: metadata.annotations: Too long: must have at most 262144 bytes$')
    wide = _config({"annotations": {"note": "é" * (limit // 2 - 1)}})  # 2 bytes each: 262146 bytes
    wide["metadata"]["name"] = "wide"
    expect_unchanged(cluster, lambda: cluster.create(wide), kitlib.Invalid, r"Too long: must have at most 262144 bytes$")


def test_client_side_apply_doubles_annotations(cluster):
    """``kubectl apply`` writes the whole manifest into ``last-applied-configuration``: a manifest
    whose annotations are more than half the limit no longer fits (the server's Too long)."""
    limit = 256 * 1024
    body = _config({"annotations": {"note": "x" * (limit // 2)}})
    expect_unchanged(cluster, lambda: cluster.apply(body), kitlib.Invalid,
                     r'^ConfigMap "cfg" is invalid: metadata.annotations: Too long: must have at most 262144 bytes$')


def test_an_annotation_value_must_be_a_string(cluster):
    """An annotation's value is a Go string: a number in a manifest is a decoding error."""
    with pytest.raises(kitlib.ApiError, match=r"cannot unmarshal number into Go struct field "
                                              r"ObjectMeta.metadata.annotations of type string"):
        cluster.apply(_config({"annotations": {"replicas": 3}}))
