"""Bad input never breaks a cluster (issue 10): the Python entry points and kubectl's multi-object
commands refuse what a real cluster refuses, in its words, and a refused call changes nothing, except
where kubectl itself reports that it did part of the work."""

from __future__ import annotations

import math
import re

import pytest

import kitlib


@pytest.fixture
def small(cluster):
    """A cluster running Deployment web with two replicas."""
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    cluster.advance(5)
    return cluster


def expect_unchanged(cluster, call, error, match):
    before = cluster.state()
    with pytest.raises(error, match=match):
        call()
    assert cluster.state() == before


# ---------------------------------------------------------------- cluster.scale


@pytest.mark.parametrize("replicas", [1.5, 2.0, "3", True, None, [2]])
def test_scale_takes_an_int_only(small, replicas):
    """A replica count is an integer: a float, a bool or a string is refused before any request,
    as a ValueError that is also an ApiError, and nothing is stored."""
    expect_unchanged(small, lambda: small.scale("web", replicas), ValueError,
                     rf"^replicas must be an int, not {type(replicas).__name__} ")
    with pytest.raises(kitlib.InvalidArgument):
        small.scale("web", replicas)


@pytest.mark.parametrize("replicas", [2**31, 99999999999])
def test_scale_past_int32_is_refused_as_the_server_refuses_the_patch(small, replicas):
    """Scale's spec.replicas is an int32: the API server cannot decode the merge-patched Scale and
    answers 422 with no kind and no name (apiserver endpoints/handlers/patch.go), which kubectl
    prints as `The request is invalid: patch: Invalid value: "<Scale>": json: cannot unmarshal ...`."""
    detail = f"json: cannot unmarshal number {replicas} into Go struct field ScaleSpec.spec.replicas of type int32"
    expect_unchanged(small, lambda: small.scale("web", replicas), kitlib.Invalid,
                     r'^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"autoscaling/v1\\",\\"kind\\":'
                     r'\\"Scale\\",.*\\"spec\\":\{\\"replicas\\":' + str(replicas) + r'\}.*": ' + re.escape(detail) + "$")
    expect_unchanged(small, lambda: small.kubectl(f"scale deployment web --replicas={replicas}"), kitlib.Invalid,
                     r'^The request is invalid: patch: Invalid value: ".*": ' + re.escape(detail) + "$")
    assert small.get("Deployment", "web").spec.replicas == 2


def test_scale_at_int32_max_is_accepted_by_the_check(small):
    """2147483647 fits an int32: the bound is not off by one (checked with the object missing, so
    that no pods are made)."""
    with pytest.raises(kitlib.NotFound, match=r'^deployments.apps "nope" not found$'):
        small.scale("nope", 2**31 - 1)


@pytest.mark.parametrize(("kind", "name"), [("Service", "kubernetes"), ("Node", "minikube"),
                                            ("Namespace", "default"), ("Pod", None)])
def test_scale_of_a_kind_without_a_scale_subresource(small, kind, name):
    """Only Deployments and ReplicaSets (here) serve a scale subresource; for other kinds the API
    server has no `.../scale` route and answers 404, which kubectl prints as
    `Error from server (NotFound): the server could not find the requested resource`."""
    name = name or small.pods()[0].name
    expect_unchanged(small, lambda: small.scale(name, 1, kind=kind), kitlib.NotFound,
                     r"^the server could not find the requested resource$")
    plural = {"Service": "service", "Node": "node", "Namespace": "namespace", "Pod": "pod"}[kind]
    expect_unchanged(small, lambda: small.kubectl(f"scale {plural} {name} --replicas=1"), kitlib.NotFound,
                     r"^Error from server \(NotFound\): the server could not find the requested resource$")


def test_scale_of_a_missing_object_of_a_kind_without_scale(small):
    """kubectl fetches the object before it patches its scale: a missing one is NotFound by name."""
    expect_unchanged(small, lambda: small.kubectl("scale svc nope --replicas=1"), kitlib.NotFound,
                     r'^Error from server \(NotFound\): services "nope" not found$')


# ---------------------------------------------------------------- kubectl's int flags


@pytest.mark.parametrize(("value", "why"), [("2147483648", "value out of range"), ("many", "invalid syntax"),
                                            ("1.5", "invalid syntax")])
def test_create_deployment_replicas_is_an_int32_flag(small, value, why):
    """`kubectl create deployment --replicas` is an int32 flag (shorthand -r): pflag refuses what
    strconv.ParseInt cannot parse into 32 bits, in cobra's words (checked with kubectl 1.37)."""
    expect_unchanged(small, lambda: small.kubectl(f"create deployment big --image=nginx --replicas={value}"),
                     kitlib.BadRequest,
                     rf'^error: invalid argument "{re.escape(value)}" for "-r, --replicas" flag: strconv.ParseInt: '
                     rf'parsing "{re.escape(value)}": {why}\nSee \'kubectl create deployment --help\' for usage.$')


def test_create_deployment_port_is_an_int32_flag(small):
    """`--port` of `kubectl create deployment` is an int32 flag too."""
    expect_unchanged(small, lambda: small.kubectl("create deployment big --image=nginx --port=99999999999"),
                     kitlib.BadRequest,
                     r'^error: invalid argument "99999999999" for "--port" flag: strconv.ParseInt: '
                     r'parsing "99999999999": value out of range\n')


def test_scale_replicas_is_an_int_flag(small):
    """`kubectl scale --replicas` is a Go int (64 bits): 2147483648 reaches the server, but a value
    past int64 is refused by the flag parser."""
    value = "99999999999999999999"
    expect_unchanged(small, lambda: small.kubectl(f"scale deployment web --replicas={value}"), kitlib.BadRequest,
                     rf'^error: invalid argument "{value}" for "--replicas" flag: strconv.ParseInt: '
                     rf'parsing "{value}": value out of range\nSee \'kubectl scale --help\' for usage.$')


# ---------------------------------------------------------------- cluster.advance


@pytest.mark.parametrize(("seconds", "message"), [
    (-1, r"^time only moves forward: seconds must be 0 or more, not -1$"),
    (-0.5, r"^time only moves forward: seconds must be 0 or more, not -0.5$"),
    (math.nan, r"^seconds must be a finite number, not nan$"),
    (math.inf, r"^seconds must be a finite number, not inf$"),
    (-math.inf, r"^seconds must be a finite number, not -inf$"),
    ("5", r"^seconds must be a number, not str \('5'\)$"),
    (None, r"^seconds must be a number, not NoneType \(None\)$"),
    (True, r"^seconds must be a number, not bool \(True\)$"),
])
def test_advance_refuses_what_a_clock_cannot_do(small, seconds, message):
    """The clock moves forward by a finite number of seconds; anything else is a ValueError (also an
    ApiError, so the labs show it) and the clock, the queue and every object stay as they were."""
    expect_unchanged(small, lambda: small.advance(seconds), ValueError, message)
    with pytest.raises(kitlib.InvalidArgument):
        small.advance(seconds)


# ---------------------------------------------------------------- NamespaceLifecycle


@pytest.mark.parametrize("name", ["default", "kube-system", "kube-public"])
def test_immortal_namespaces_may_not_be_deleted(small, name):
    """The NamespaceLifecycle admission plug-in refuses to delete default, kube-system and
    kube-public with a 403: `namespaces "default" is forbidden: this namespace may not be deleted`,
    printed by kubectl as `Error from server (Forbidden): ...`. Nothing in them is touched."""
    expect_unchanged(small, lambda: small.delete("Namespace", name), kitlib.Forbidden,
                     rf'^namespaces "{name}" is forbidden: this namespace may not be deleted$')
    expect_unchanged(small, lambda: small.kubectl(f"delete namespace {name}"), kitlib.Forbidden,
                     rf'^Error from server \(Forbidden\): namespaces "{name}" is forbidden: '
                     r"this namespace may not be deleted$")
    err = pytest.raises(kitlib.Forbidden, small.delete, "Namespace", name).value
    assert (err.code, err.reason) == (403, "Forbidden")


def test_delete_all_namespaces_deletes_the_others_and_reports_the_immortal_ones(small):
    """`kubectl delete ns --all` deletes every namespace it may, prints each on stdout, and then
    reports the three the API server refused; the call is not all or nothing. The deleted ones are
    Terminating until the namespace controller's first pass, 5 s later, finds them empty."""
    small.kubectl("create namespace shop")
    with pytest.raises(kitlib.PartialFailure, match=(
            r'^namespace "kube-flannel" deleted\nnamespace "kube-node-lease" deleted\nnamespace "shop" deleted\n'
            r'Error from server \(Forbidden\): namespaces "default" is forbidden: this namespace may not be deleted\n'
            r'Error from server \(Forbidden\): namespaces "kube-public" is forbidden: this namespace may not be deleted\n'
            r'Error from server \(Forbidden\): namespaces "kube-system" is forbidden: this namespace may not be deleted$'
    )) as info:
        small.kubectl("delete ns --all")
    assert info.value.changed == [("Namespace", "", "kube-flannel"), ("Namespace", "", "kube-node-lease"),
                                  ("Namespace", "", "shop")]
    assert [(n.name, n.status.phase) for n in small.list("Namespace")] == [
        ("default", "Active"), ("kube-flannel", "Terminating"), ("kube-node-lease", "Terminating"),
        ("kube-public", "Active"), ("kube-system", "Active"), ("shop", "Terminating")]
    small.advance(5)  # kube-flannel waits for its DaemonSet's pods to stop
    assert [n.name for n in small.list("Namespace")] == ["default", "kube-flannel", "kube-public", "kube-system"]
    small.advance(30)
    assert [n.name for n in small.list("Namespace")] == ["default", "kube-public", "kube-system"]
    assert len(small.pods()) == 2


# ---------------------------------------------------------------- multi-object kubectl commands


def test_delete_two_kinds_one_missing_deletes_the_other(small):
    """`kubectl delete deploy,svc web` with no Service web deletes the Deployment, prints it, then
    reports `Error from server (NotFound): services "web" not found` and exits 1."""
    with pytest.raises(kitlib.PartialFailure, match=(
            r'^deployment.apps "web" deleted from default namespace\nError from server \(NotFound\): services "web" not found$')) as info:
        small.kubectl("delete deploy,svc web")
    err = info.value
    assert err.output == 'deployment.apps "web" deleted from default namespace'
    assert err.changed == [("Deployment", "default", "web")]
    assert (err.reason, err.code) == ("NotFound", 404)
    assert small.list("Deployment") == []


def test_label_two_nodes_one_missing_labels_the_other(small):
    """`kubectl label node minikube nosuch zone=a` labels minikube and reports the missing node."""
    with pytest.raises(kitlib.PartialFailure, match=(
            r'^node/minikube labeled\nError from server \(NotFound\): nodes "nosuch" not found$')) as info:
        small.kubectl("label node minikube nosuch zone=a")
    assert info.value.changed == [("Node", "", "minikube")]
    assert small.get("Node", "minikube").metadata.labels["zone"] == "a"


def test_a_multi_object_command_that_changes_nothing_is_atomic(small):
    """When every object fails, nothing changed: one error is raised as it is, several together."""
    expect_unchanged(small, lambda: small.kubectl("label node nosuch zone=a"), kitlib.NotFound,
                     r'^Error from server \(NotFound\): nodes "nosuch" not found$')
    expect_unchanged(small, lambda: small.kubectl("delete svc a b"), kitlib.PartialFailure,
                     r'^Error from server \(NotFound\): services "a" not found\n'
                     r'Error from server \(NotFound\): services "b" not found$')


def test_scale_reports_missing_objects_after_scaling_the_others(small):
    """kubectl scale fetches every object first, scales those found, and then reports the missing."""
    with pytest.raises(kitlib.PartialFailure, match=(
            r'^deployment.apps/web scaled\nError from server \(NotFound\): deployments.apps "nope" not found$')):
        small.kubectl("scale deployment web nope --replicas=3")
    assert small.get("Deployment", "web").spec.replicas == 3
