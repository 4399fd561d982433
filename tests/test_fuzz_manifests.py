"""A bad-input matrix over manifests (issue 10): each malformed or out-of-range manifest, given to
``cluster.apply``, ``cluster.create`` and ``kubectl apply -f -``, is refused with an ApiError (or a
ValueError), never another exception, finishes at once, and leaves ``cluster.state()`` as it was.

Every case is small: the bombs are a few hundred bytes (or a few shared Python lists) that would
expand to millions of values.
"""

from __future__ import annotations

import copy
import signal
from collections.abc import Callable, Iterator

import pytest
import yaml
from fuzzing import _deployment, _service
from test_decoding import BOMB

import kitlib

SECONDS = 5
"""How long one call may take before it counts as a hang."""


def _with(doc: dict, path: str, value: object) -> dict:
    """A copy of ``doc`` with the dotted ``path`` set to ``value`` (a number selects a list item)."""
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: object = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]  # type: ignore[index]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value  # type: ignore[index]
    return doc


def _python_bomb() -> dict:
    """Nine levels of one list shared nine times: 9**9 strings when written out."""
    level: list = ["lol"] * 9
    for _ in range(8):
        level = [level] * 9
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "lol", "annotations": {"a": level}}}


DEPLOY = _deployment("fresh")
CONTAINER = "spec.template.spec.containers.0"
SVC = _service("fresh", "NodePort", 80, 30100)
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fresh", "labels": {"app": "fresh"}},
       "spec": {"containers": [{"name": "c", "image": "nginx"}]}}

CASES: dict[str, object] = {
    # ---- not a manifest at all
    "empty text": "",
    "only a document separator": "---\n",
    "only a comment": "# nothing\n",
    "a scalar": "hello",
    "a number": "42",
    "a list of numbers": [1, 2, 3],
    "a list of nulls": "- null\n- null\n",
    "YAML syntax error": "kind: Deployment\n  metadata: : :\n",
    "a tab for indentation": "kind: Pod\nmetadata:\n\tname: x\n",
    "unclosed flow sequence": "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n",
    # ---- YAML and structure bombs
    "YAML alias bomb": BOMB,
    "an anchor inside itself": "a: &a [*a]\n",
    "nesting 200 deep": "a: " + "[" * 200 + "]" * 200 + "\n",
    "Python shared-list bomb": _python_bomb(),
    # ---- kinds and versions
    "unknown kind": {"apiVersion": "v1", "kind": "Frob", "metadata": {"name": "x"}},
    "kind of the wrong case": {**DEPLOY, "kind": "deployment"},
    "unknown apiVersion": {**DEPLOY, "apiVersion": "apps/v2"},
    "Deployment in v1": {**DEPLOY, "apiVersion": "v1"},
    "missing kind": {k: v for k, v in DEPLOY.items() if k != "kind"},
    "missing apiVersion": {k: v for k, v in DEPLOY.items() if k != "apiVersion"},
    "kind is a number": {**DEPLOY, "kind": 5},
    # ---- metadata
    "missing name": _with(DEPLOY, "metadata", {}),
    "empty name": _with(DEPLOY, "metadata.name", ""),
    "name with an underscore": _with(DEPLOY, "metadata.name", "Bad_Name"),
    "name with a leading dash": _with(DEPLOY, "metadata.name", "-web"),
    "name of 254 characters": _with(DEPLOY, "metadata.name", "a" * 254),
    "Service name of 64 characters": _with(SVC, "metadata.name", "a" * 64),
    "Service name with a dot": _with(SVC, "metadata.name", "web.v2"),
    "name is a number": _with(DEPLOY, "metadata.name", 5),
    "metadata is a string": _with(DEPLOY, "metadata", "web"),
    "namespace that does not exist": _with(DEPLOY, "metadata.namespace", "nowhere"),
    "namespace with a bad name": _with(DEPLOY, "metadata.namespace", "Bad_NS"),
    "label key with a space": _with(POD, "metadata.labels", {"bad key": "x"}),
    "label value of 64 characters": _with(POD, "metadata.labels", {"app": "v" * 64}),
    "label value with a space": _with(POD, "metadata.labels", {"app": "a b"}),
    "label value is a number": _with(POD, "metadata.labels", {"app": 5}),
    "labels is a list": _with(POD, "metadata.labels", ["app=web"]),
    "annotation value is a number": _with(POD, "metadata.annotations", {"a": 1}),
    "Namespace with a bad name": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Bad_NS"}},
    # ---- Deployment fields
    "replicas is a string": _with(DEPLOY, "spec.replicas", "3"),
    "replicas is a float": _with(DEPLOY, "spec.replicas", 1.5),
    "replicas is a bool": _with(DEPLOY, "spec.replicas", True),
    "replicas is negative": _with(DEPLOY, "spec.replicas", -1),
    "replicas past int32": _with(DEPLOY, "spec.replicas", 2**31),
    "replicas past int64": _with(DEPLOY, "spec.replicas", 2**63),
    "replicas is NaN": _with(DEPLOY, "spec.replicas", float("nan")),
    "replicas is infinite": _with(DEPLOY, "spec.replicas", float("inf")),
    "spec is a list": _with(DEPLOY, "spec", [1]),
    "missing selector": _with(DEPLOY, "spec.selector", None),
    "selector does not match the template": _with(DEPLOY, "spec.selector.matchLabels", {"app": "other"}),
    "empty selector": _with(DEPLOY, "spec.selector", {}),
    "no containers": _with(DEPLOY, "spec.template.spec.containers", []),
    "containers is a dict": _with(DEPLOY, "spec.template.spec.containers", {"name": "c"}),
    "container without an image": _with(DEPLOY, f"{CONTAINER}.image", ""),
    "Pod image with a leading space": _with(POD, "spec.containers.0.image", " nginx"),
    "Pod image with a trailing newline": _with(POD, "spec.containers.0.image", "nginx\n"),
    "container with a bad name": _with(DEPLOY, f"{CONTAINER}.name", "C_1"),
    "two containers of one name": _with(DEPLOY, "spec.template.spec.containers",
                                        [{"name": "c", "image": "nginx"}, {"name": "c", "image": "nginx"}]),
    "containerPort 0": _with(DEPLOY, f"{CONTAINER}.ports.0.containerPort", 0),
    "containerPort 65536": _with(DEPLOY, f"{CONTAINER}.ports.0.containerPort", 65536),
    "containerPort is a string": _with(DEPLOY, f"{CONTAINER}.ports.0.containerPort", "80"),
    "containerPort past int32": _with(DEPLOY, f"{CONTAINER}.ports.0.containerPort", 2**31),
    "container port protocol HTTP": _with(DEPLOY, f"{CONTAINER}.ports.0.protocol", "HTTP"),
    "strategy type bogus": _with(DEPLOY, "spec.strategy", {"type": "Bogus"}),
    "maxSurge and maxUnavailable both 0": _with(DEPLOY, "spec.strategy", {
        "type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}),
    "restartPolicy Never in a Deployment": _with(DEPLOY, "spec.template.spec.restartPolicy", "Never"),
    # ---- Pod fields
    "Pod restartPolicy bogus": _with(POD, "spec.restartPolicy", "Sometimes"),
    "Pod without containers": _with(POD, "spec.containers", []),
    "Pod nodeName with a bad name": _with(POD, "spec.nodeName", "Bad_Node"),
    # ---- Service fields
    "Service port 0": _with(SVC, "spec.ports.0.port", 0),
    "Service port 65536": _with(SVC, "spec.ports.0.port", 65536),
    "Service port is a string": _with(SVC, "spec.ports.0.port", "80"),
    "Service port is a float": _with(SVC, "spec.ports.0.port", 80.5),
    "Service port past int32": _with(SVC, "spec.ports.0.port", 2**31),
    "Service without ports": _with(SVC, "spec.ports", []),
    "targetPort 70000": _with(SVC, "spec.ports.0.targetPort", 70000),
    "targetPort name with a space": _with(SVC, "spec.ports.0.targetPort", "bad name"),
    "protocol HTTP": _with(SVC, "spec.ports.0.protocol", "HTTP"),
    "type nodeport (wrong case)": _with(SVC, "spec.type", "nodeport"),
    "type Bogus": _with(SVC, "spec.type", "Bogus"),
    "nodePort 29999": _with(SVC, "spec.ports.0.nodePort", 29999),
    "nodePort 32768": _with(SVC, "spec.ports.0.nodePort", 32768),
    "nodePort is a string": _with(SVC, "spec.ports.0.nodePort", "30100"),
    "nodePort on a ClusterIP Service": _with(SVC, "spec.type", "ClusterIP"),
    "nodePort already taken by Service web": _with(SVC, "spec.ports.0.nodePort", 30080),
    "one nodePort twice in a Service": _with(SVC, "spec.ports", [
        {"name": "a", "port": 80, "nodePort": 30100}, {"name": "b", "port": 81, "nodePort": 30100}]),
    "two ports without names": _with(SVC, "spec.ports", [{"port": 80}, {"port": 81}]),
    "one port twice": _with(SVC, "spec.ports", [{"name": "a", "port": 80}, {"name": "b", "port": 80}]),
    "clusterIP outside the service CIDR": _with(SVC, "spec.clusterIP", "10.0.0.5"),
    "clusterIP not an address": _with(SVC, "spec.clusterIP", "garbage"),
    "clusterIP already taken": _with(SVC, "spec.clusterIP", "10.96.0.1"),
    "selector value with a space": _with(SVC, "spec.selector", {"app": "a b"}),
    "selector is a string": _with(SVC, "spec.selector", "app=web"),
    "ExternalName without a name": _with(_with(SVC, "spec.type", "ExternalName"), "spec.ports.0.nodePort", None),
    "sessionAffinity bogus": _with(SVC, "spec.sessionAffinity", "Sticky"),
    "externalTrafficPolicy bogus": _with(SVC, "spec.externalTrafficPolicy", "Nearest"),
    # ---- several documents (see APPLIED_BY_KUBECTL)
    "a good Namespace, then a bad Deployment": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "fresh"}}, _with(DEPLOY, "spec.replicas", -1)],
    "a good Service, then one on its nodePort": [SVC, _with(_with(SVC, "metadata.name", "other"),
                                                            "spec.ports.0.port", 81)],
    "a good Deployment, then an unknown kind": [DEPLOY, {"apiVersion": "v1", "kind": "Frob",
                                                         "metadata": {"name": "x"}}],
}

APPLIED_BY_KUBECTL = {"a good Namespace, then a bad Deployment": 1, "a good Service, then one on its nodePort": 1,
                      "a good Deployment, then an unknown kind": 1}
"""Several documents: ``cluster.apply`` is all or nothing, ``kubectl apply`` applies object by
object, so this many leading documents are applied when the rest fail."""

NO_OBJECTS = frozenset({"empty text", "only a document separator", "only a comment"})
"""Input with no objects: ``kubectl apply`` says "no objects passed to apply"; ``cluster.apply``
returns an empty list and changes nothing (as ``test_manifest.py`` has it)."""

KNOWN_ACCEPTED: dict[str, str] = {}
"""Cases a real cluster refuses and kitlib accepts today: the id and the missing rule."""

ROUTES = ("cluster.apply", "cluster.create", "kubectl apply -f -")


def case_of(doc: object) -> str:
    return next(case for case, d in CASES.items() if d is doc)


def _text(doc: object) -> str:
    if isinstance(doc, str):
        return doc
    docs = doc if isinstance(doc, list) else [doc]
    return "---\n".join(yaml.safe_dump(d, sort_keys=False) for d in docs)


def _call(cluster: kitlib.Cluster, route: str, doc: object) -> Callable[[], object]:
    if route == "cluster.apply":
        return lambda: cluster.apply(copy.deepcopy(doc))
    if route == "cluster.create":
        return lambda: cluster.create(copy.deepcopy(doc))  # type: ignore[arg-type]  # a str or list is bad input too
    return lambda: cluster.kubectl(f"apply -f - <<EOF\n{_text(doc)}\nEOF")


class Hang(Exception):
    """A call took longer than :data:`SECONDS`."""


@pytest.fixture
def deadline() -> Iterator[None]:
    def expire(signum, frame):
        raise Hang(f"still running after {SECONDS} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, SECONDS)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def base() -> kitlib.Cluster:
    """One node running Deployment web (2 replicas) behind NodePort Service web on 30080; each test
    works on a deep copy."""
    cluster = kitlib.Cluster(nodes=1, seed=0)
    cluster.kubectl("create deployment web --image=nginx --replicas=2 --port=80")
    cluster.kubectl("create service nodeport web --tcp=80:80 --node-port=30080")
    cluster.advance(5)
    return cluster


def _params() -> list:
    out = []
    for case, doc in CASES.items():
        for route in ROUTES:
            marks = []
            if case in KNOWN_ACCEPTED:
                marks.append(pytest.mark.xfail(strict=True, reason=f"kitlib accepts it: {KNOWN_ACCEPTED[case]}"))
            out.append(pytest.param(doc, route, id=f"{case} | {route}", marks=marks))
    return out


@pytest.mark.parametrize(("doc", "route"), _params())
def test_a_bad_manifest_is_refused_and_changes_nothing(base, deadline, doc, route):
    """A malformed or out-of-range manifest is refused as the API server or kubectl refuses it (an
    ApiError, or a ValueError for a Python argument of the wrong type), and the cluster is as it was."""
    cluster = copy.deepcopy(base)
    before = cluster.state()
    good = APPLIED_BY_KUBECTL.get(case_of(doc), 0) if route == "kubectl apply -f -" else 0
    if good:
        # kubectl applies object by object: the good ones before the bad one are applied, as they
        # would be alone, and the failure says so.
        alone = copy.deepcopy(base)
        _call(alone, route, doc[:good])()
        before = alone.state()
    try:
        result = _call(cluster, route, doc)()
    except (kitlib.ApiError, ValueError) as err:
        assert str(err), "an error without a message"
        assert isinstance(err, kitlib.PartialFailure) == bool(good), err
    else:
        if not (result == [] and route == "cluster.apply" and case_of(doc) in NO_OBJECTS):
            pytest.fail(f"accepted: {result!r}")
    assert cluster.state() == before
