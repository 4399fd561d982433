"""Label selectors: matchLabels, matchExpressions and kubectl's selector strings."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.api.labels import (
    LabelSelector,
    LabelSelectorRequirement,
    parse_selector,
    validate_selector,
)

WEB = {"app": "web", "tier": "front", "env": "prod"}
DB = {"app": "db", "tier": "back", "env": "prod"}
CANARY = {"app": "web", "tier": "front", "env": "staging", "canary": "true"}


def req(key, op, values=()):
    return LabelSelectorRequirement(key, op, list(values))


def test_match_labels_is_an_and_of_equalities():
    """matchLabels selects objects that carry every listed label with that value."""
    sel = LabelSelector(match_labels={"app": "web", "tier": "front"})
    assert sel.matches(WEB) and sel.matches(CANARY) and not sel.matches(DB)
    assert not sel.matches({"app": "web"})


def test_empty_selector_selects_everything():
    """An empty LabelSelector matches every object (and is_empty says so)."""
    assert LabelSelector().is_empty()
    assert all(LabelSelector().matches(x) for x in (WEB, DB, {}))


@pytest.mark.parametrize(("requirement", "selected"), [
    (req("env", "In", ["prod", "qa"]), [True, True, False, False]),
    (req("env", "NotIn", ["prod"]), [False, False, True, True]),
    (req("canary", "Exists"), [False, False, True, False]),
    (req("canary", "DoesNotExist"), [True, True, False, True]),
])
def test_match_expressions(requirement, selected):
    """In needs the key with one of the values; NotIn accepts a missing key; Exists and
    DoesNotExist look at the key only."""
    objects = [WEB, DB, CANARY, {}]
    assert [requirement.matches(o) for o in objects] == selected


def test_match_labels_and_expressions_combine_with_and():
    """All terms must hold: matchLabels and every matchExpression."""
    sel = LabelSelector(match_labels={"app": "web"}, match_expressions=[req("canary", "DoesNotExist")])
    assert sel.matches(WEB) and not sel.matches(CANARY) and not sel.matches(DB)


@pytest.mark.parametrize(("text", "selected"), [
    ("app=web", [True, False, True]),
    ("app==web", [True, False, True]),
    ("app=web,tier!=db", [True, False, True]),
    ("tier!=front", [False, True, False]),
    ("env in (staging,qa)", [False, False, True]),
    ("env notin (prod)", [False, False, True]),
    ("canary", [False, False, True]),
    ("!canary", [True, True, False]),
    ("app in (web, db), !canary", [True, True, False]),
    ("", [True, True, True]),
])
def test_kubectl_selector_strings(text, selected):
    """kubectl's -l syntax: =, ==, !=, in, notin, key (exists), !key (does not exist), commas for AND."""
    sel = parse_selector(text)
    assert [sel.matches(o) for o in (WEB, DB, CANARY)] == selected


def test_selector_renders_like_kubectl():
    """str(selector) is kubectl's rendering, as in the SELECTOR column of `-o wide`."""
    assert str(parse_selector("tier!=db,app=web")) == "app=web,tier!=db"
    assert str(parse_selector("env in (b,a)")) == "env in (a,b)"
    assert str(parse_selector("!canary,tier")) == "!canary,tier"
    sel = LabelSelector(match_labels={"app": "web"}, match_expressions=[req("env", "NotIn", ["a", "b"])])
    assert str(sel) == "app=web,env notin (a,b)"


def test_malformed_selector_string():
    """A selector kubectl cannot parse is a BadRequest in its words."""
    with pytest.raises(kitlib.BadRequest, match=r"^error: unable to parse requirement: found 'a b', expected: identifier$"):
        parse_selector("a b")


def test_selector_validation_messages():
    """The API server checks operators and values, in apimachinery's words."""
    sel = LabelSelector(match_expressions=[req("a", "Foo"), req("b", "In"), req("c", "Exists", ["x"])])
    assert [str(e) for e in validate_selector(sel, "spec.selector")] == [
        'spec.selector.matchExpressions[0].operator: Unsupported value: "Foo": supported values: '
        '"In", "NotIn", "Exists", "DoesNotExist"',
        "spec.selector.matchExpressions[1].values: Required value: must be specified when `operator` is "
        "'In' or 'NotIn'",
        "spec.selector.matchExpressions[2].values: Forbidden: may not be specified when `operator` is "
        "'Exists' or 'DoesNotExist'",
    ]


def test_deployment_with_match_expressions(cluster):
    """A Deployment may select with matchExpressions; its ReplicaSet adds pod-template-hash to them."""
    cluster.apply({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2,
                 "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "www"]},
                                                   {"key": "canary", "operator": "DoesNotExist"}]},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
    })
    rs = cluster.list("ReplicaSet")[0]
    assert str(rs.spec.selector).startswith("pod-template-hash=")
    assert str(rs.spec.selector).endswith("app in (web,www),!canary")
    assert len(cluster.pods(selector="app in (web,www),!canary")) == 2


def test_invalid_match_expression_is_rejected(cluster, snapshot):
    """A Deployment with a bad operator is Invalid and nothing is stored."""
    before = snapshot(cluster)
    with pytest.raises(kitlib.Invalid, match=r'spec.selector.matchExpressions\[0\].operator: Unsupported value: '
                                             r'"Like": supported values'):
        cluster.apply({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"selector": {"matchExpressions": [{"key": "app", "operator": "Like", "values": ["w"]}]},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}},
        })
    assert snapshot(cluster) == before


def test_list_and_kubectl_use_the_same_selectors(web):
    """cluster.list(selector=...) and `kubectl get -l` accept the same strings and agree."""
    web.kubectl("create deployment db --image=postgres --replicas=2")
    web.kubectl(f"label pod {web.pods(selector='app=web')[0].name} canary=true")
    for text in ("app=web", "app=web,canary!=true", "app in (web,db)", "!canary", "canary", "app notin (web)"):
        expected = [p.name for p in web.list("Pod", "default", text)]
        printed = web.kubectl(f"get pods -o name -l '{text}'").splitlines() if expected else []
        assert [n.removeprefix("pod/") for n in printed] == expected, text
    assert len(web.list("Pod", "default", "!canary")) == 4
