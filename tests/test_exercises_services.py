"""Lessons 02-04's exercise checks pass on the instructor's solution and hint on wrong answers."""

from __future__ import annotations

import pytest

import kitlib
from kitlib.exercises import lesson02, lesson03, lesson04
from kitlib.network.proxy import chains

AGNHOST = lesson02.AGNHOST


def _cluster(replicas=3, svc_type="ClusterIP"):
    c = kitlib.Cluster(nodes=3, seed=0)
    c.kubectl(f"create deployment web --image=nginx --replicas={replicas} --port=80")
    c.kubectl("create deployment client --image=nginx")
    c.kubectl(f"expose deployment web --port=80 --type={svc_type}")
    c.advance(10)
    return c


def test_api_service_needs_port_80_to_8080_and_running_pods():
    """The check wants Service api 80 → 8080 in front of two agnhost netexec pods that answer."""
    c = _cluster()
    assert "no deployment api" in lesson02.check_api_service(c).message
    c.kubectl(f"create deployment api --image={AGNHOST} --replicas=2 --port=8080 -- /agnhost netexec --http-port=8080")
    c.kubectl("expose deployment api --port=8080")
    wrong = lesson02.check_api_service(c)
    assert not wrong and "8080" in wrong.message
    c.delete("Service", "api")
    c.kubectl("expose deployment api --port=80 --target-port=8080")
    c.advance(10)
    assert lesson02.check_api_service(c)


def test_api_service_check_says_when_agnhost_runs_pause():
    """agnhost without arguments runs its image's CMD, ``pause``, which listens on nothing: whatever
    containerPort says, the Service's requests are refused, and the check says why."""
    c = _cluster()
    c.kubectl(f"create deployment api --image={AGNHOST} --replicas=2 --port=8080")
    c.kubectl("expose deployment api --port=80 --target-port=8080")
    c.advance(10)
    feedback = lesson02.check_api_service(c)
    assert not feedback and "nothing in the api pods listens on 8080" in feedback.message
    assert "/agnhost netexec --http-port=8080" in feedback.hint


def test_hello_service_needs_the_port_http_echo_listens_on():
    """Exercise 4: a Service in front of http-echo whose targetPort is where it really listens
    (5678, as its log says); a wrong targetPort is refused though its endpoints look fine."""
    c = _cluster()
    assert "no deployment hello" in lesson02.check_hello_service(c).message
    c.kubectl("create deployment hello --image=hashicorp/http-echo -- /http-echo -text=hello")
    c.advance(10)
    assert "no Service hello" in lesson02.check_hello_service(c).message
    assert "server is listening on :5678" in c.kubectl("logs deployment/hello")
    c.kubectl("expose deployment hello --port=80")
    wrong = lesson02.check_hello_service(c)
    assert not wrong and "sends them to port 80, where nothing in the hello pods listens" in wrong.message
    assert "logs deployment/hello" in wrong.hint
    c.delete("Service", "hello")
    c.kubectl("expose deployment hello --port=80 --target-port=5678")
    done = lesson02.check_hello_service(c)
    assert done and "port 5678" in done.message


def test_cross_namespace_lookup_needs_the_namespace_in_the_name():
    c = _cluster()
    c.kubectl("create namespace shop")
    c.kubectl("create deployment client --image=nginx -n shop")
    c.advance(10)
    pod = c.pods("shop")[0]
    assert not lesson02.check_cross_namespace(c, None)
    short = lesson02.check_cross_namespace(c, c.resolve("web", src=pod.key))
    assert not short and "web.default" in short.hint
    assert lesson02.check_cross_namespace(c, c.resolve("web.default", src=pod.key))


def test_no_failures_after_deleting_pods():
    c = _cluster()
    c.scale("web", 5)
    c.advance(10)
    for pod in c.pods(selector="app=web")[:2]:
        c.delete("Pod", pod.name)
    client = c.pods(selector="app=client")[0]
    result = c.traffic(client.key, "web", 80, requests=1000)
    assert lesson02.check_no_failures(c, result)
    assert not lesson02.check_no_failures(c, c.traffic(client.key, "web", 80, requests=10))


def test_no_failures_needs_two_pods_deleted_right_before_the_requests():
    """1,000 answered requests prove nothing by themselves: the check wants two web pods whose
    deletion was asked for in the 30 s before the requests were sent (Terminating or gone)."""
    c = _cluster(replicas=5)
    client = c.pods(selector="app=client")[0]
    untouched = lesson02.check_no_failures(c, c.traffic(client.key, "web", 80, requests=1000))
    assert not untouched and "0 web pods were deleted in the 30 s before the requests, not 2." in untouched.message
    c.delete("Pod", c.pods(selector="app=web")[0].name)
    one = lesson02.check_no_failures(c, c.traffic(client.key, "web", 80, requests=1000))
    assert not one and "1 web pods were deleted" in one.message
    c.delete("Pod", c.pods(selector="app=web")[0].name)
    c.advance(60)  # both gone long before the next requests: not "right afterwards"
    late = lesson02.check_no_failures(c, c.traffic(client.key, "web", 80, requests=1000))
    assert not late and "0 web pods were deleted" in late.message


def test_fixed_node_port_answers_on_every_node():
    c = _cluster(replicas=2)
    assert not lesson03.check_fixed_node_port(c)
    c.kubectl("create service nodeport shop --tcp=80:80 --node-port=30080")
    assert "selects" in lesson03.check_fixed_node_port(c).message
    svc = c.get("Service", "shop").to_dict()
    svc["spec"]["selector"] = {"app": "web"}
    c.apply(svc)
    assert lesson03.check_fixed_node_port(c)


def test_client_ip_needs_local_policy_on_the_lb():
    c = _cluster(replicas=2)
    c.kubectl("expose deployment web --name=web-lb --port=80 --type=LoadBalancer")
    c.enable_addon("metallb", addresses="192.168.49.200-192.168.49.250")
    c.advance(1)
    lb_ip = c.get("Service", "web-lb").status.load_balancer.ingress[0].ip
    assert not lesson03.check_client_ip(c, c.connect("external", lb_ip, 80))
    svc = c.get("Service", "web-lb").to_dict()
    svc["spec"]["externalTrafficPolicy"] = "Local"
    c.apply(svc)
    c.advance(1)
    lb_ip = c.get("Service", "web-lb").status.load_balancer.ingress[0].ip
    result = lesson03.check_client_ip(c, c.connect("external", lb_ip, 80))
    assert result and "192.168.49.1" in result.message


def test_probabilities_follow_the_endpoint_count():
    c = _cluster(svc_type="NodePort")
    assert lesson04.probabilities(c) == [0.33333333349, 0.5, 1.0]
    c.scale("web", 4)
    c.advance(10)
    assert not lesson04.check_probabilities(c, [1 / 3, 1 / 2, 1])
    assert lesson04.check_probabilities(c, [1 / 4, 1 / 3, 1 / 2, 1])
    svc = c.get("Service", "web").to_dict()
    svc["spec"]["sessionAffinity"] = "ClientIP"
    c.apply(svc)
    assert lesson04.probabilities(c) == [0.25, 0.33333333349, 0.5, 1.0]  # affinity rules aside


def test_sep_chain_of_the_lowest_pod_ip():
    c = _cluster(svc_type="NodePort")
    assert not lesson04.check_sep_chain(c, "")
    assert not lesson04.check_sep_chain(c, "KUBE-SEP-NOTACHAIN")
    lowest = min(c.pods(selector="app=web"), key=lambda p: tuple(int(x) for x in p.status.pod_ip.split(".")))
    line = next(line for line in c.iptables("minikube").splitlines()
                if f"--to-destination {lowest.status.pod_ip}:80" in line)
    assert lesson04.check_sep_chain(c, line.split()[1])


def test_lesson04_checks_read_the_rules_as_data(monkeypatch):
    """The lesson 4 checks read kube-proxy's rules as data, not the iptables-save text."""
    c = _cluster(svc_type="NodePort")
    lowest = min(c.pods(selector="app=web"), key=lambda p: tuple(int(x) for x in p.status.pod_ip.split(".")))
    sep = chains.endpoint_chain("default/web", "TCP", f"{lowest.status.pod_ip}:80")

    def no_text(node):
        raise AssertionError("the check parsed the iptables-save text")

    monkeypatch.setattr(c, "iptables", no_text)
    assert lesson04.probabilities(c) == [0.33333333349, 0.5, 1.0]
    assert lesson04.check_sep_chain(c, sep)


def test_iptables_exercises_say_when_kube_proxy_is_in_another_mode():
    """Exercises 1 and 2 of lesson 4 read the iptables rules: in nftables mode they say so and how
    to switch back, instead of reporting a chain with no endpoints."""
    c = _cluster(replicas=4, svc_type="NodePort")
    c.set_proxy_mode("nftables")
    for result in (lesson04.check_probabilities(c, [1 / 4, 1 / 3, 1 / 2, 1]), lesson04.check_sep_chain(c, "KUBE-SEP-X")):
        assert not result and "nftables mode" in result.message and 'set_proxy_mode("iptables")' in result.hint
    c.set_proxy_mode("iptables")
    assert lesson04.check_probabilities(c, [1 / 4, 1 / 3, 1 / 2, 1])


def test_numgen_values_lead_to_the_endpoints_in_vmap_order():
    """nftables mode picks an endpoint with one rule, numgen random mod N vmap { 0 : goto endpoint-…,
    … }: exercise 3 of lesson 4 wants the pod IP behind each number, 0 first."""
    c = _cluster(svc_type="NodePort")
    first = lesson04.check_numgen(c, [])
    assert not first and "iptables mode" in first.message and 'set_proxy_mode("nftables")' in first.hint
    c.set_proxy_mode("nftables")
    ips = sorted((p.status.pod_ip for p in c.pods(selector="app=web")), key=lambda ip: tuple(map(int, ip.split("."))))
    assert lesson04.numgen_targets(c) == [f"{ip}:80" for ip in ips]
    assert lesson04.check_numgen(c, ips)
    assert lesson04.check_numgen(c, [f"{ip}:80" for ip in ips])
    assert lesson04.check_numgen(c, {str(i): ip for i, ip in enumerate(ips)})
    swapped = lesson04.check_numgen(c, [ips[0], ips[2], ips[1]])
    assert not swapped and swapped.message.startswith("number 1 does not go to")
    assert "mod 3" in lesson04.check_numgen(c, ips[:2]).message
    assert "0 to 2" in lesson04.check_numgen(c, {0: ips[0], 1: ips[1], 3: ips[2]}).message
    assert not lesson04.check_numgen(c, "10.244.0.3")
    c.scale("web", 4)
    c.advance(10)
    assert not lesson04.check_numgen(c, ips)  # four endpoints now: mod 4
    assert lesson04.check_numgen(c, [t.rsplit(":", 1)[0] for t in lesson04.numgen_targets(c)])


def _zoned(replicas=4):
    c = kitlib.Cluster(nodes=3, seed=0, zones=["zone-a", "zone-b"])
    c.kubectl(f"create deployment web --image=nginx --replicas={replicas} --port=80")
    c.kubectl("create deployment client --image=nginx")
    c.kubectl("expose deployment web --port=80")
    c.advance(10)
    return c


def _distribute(c, how):
    svc = c.get("Service", "web").to_dict()
    svc["spec"]["trafficDistribution"] = how
    c.apply(svc)


def test_same_node_fallback_is_the_zone_of_a_node_without_a_pod():
    """With PreferSameNode, a node that runs no pod of the Service falls back to its zone's pods, not
    to every pod and not to none: exercise 3 of lesson 3 wants those pods' IPs."""
    c = _zoned()
    assert "no trafficDistribution" in lesson03.check_same_node_fallback(c, []).message
    _distribute(c, "PreferSameZone")
    assert "same zone, not the same node" in lesson03.check_same_node_fallback(c, []).message
    _distribute(c, "PreferSameNode")
    assert "no node minikube-m04" in lesson03.check_same_node_fallback(c, []).message
    c.add_node(zone="zone-b")
    c.advance(10)
    zone_b = sorted(p.status.pod_ip for p in c.pods(selector="app=web") if p.spec.node_name == "minikube-m02")
    everyone = [p.status.pod_ip for p in c.pods(selector="app=web")]
    zone_a = sorted(set(everyone) - set(zone_b))
    assert zone_b == ["10.244.1.2"]
    assert "drop" in lesson03.check_same_node_fallback(c, []).message
    assert "every web pod" in lesson03.check_same_node_fallback(c, everyone).message
    assert not lesson03.check_same_node_fallback(c, zone_a)
    assert not lesson03.check_same_node_fallback(c, "10.244.1.2")
    passed = lesson03.check_same_node_fallback(c, zone_b)
    assert passed and "falls back to its zone, zone-b" in passed.message
    assert lesson03.check_same_node_fallback(c, [f"{ip}:80" for ip in zone_b])


def test_same_node_fallback_hints_at_the_deprecated_prefer_close():
    c = _zoned()
    with pytest.warns(UserWarning, match='"PreferClose" is deprecated; use "PreferSameZone"'):
        _distribute(c, "PreferClose")
    result = lesson03.check_same_node_fallback(c, ["10.244.1.2"])
    assert not result and "deprecated name of PreferSameZone" in result.message


def test_same_node_fallback_needs_a_node_without_a_pod():
    c = _zoned()
    _distribute(c, "PreferSameNode")
    c.add_node(zone="zone-b")
    c.scale("web", 5)
    c.advance(10)
    assert [p.spec.node_name for p in c.pods(selector="app=web")].count("minikube-m04") == 1
    result = lesson03.check_same_node_fallback(c, ["10.244.1.2"])
    assert not result and "runs a web pod of its own" in result.message
