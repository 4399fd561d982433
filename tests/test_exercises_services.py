"""Lessons 02-04's exercise checks pass on the instructor's solution and hint on wrong answers."""

from __future__ import annotations

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
    c = _cluster()
    assert "no deployment api" in lesson02.check_api_service(c).message
    c.kubectl(f"create deployment api --image={AGNHOST} --replicas=2 --port=8080")
    c.kubectl("expose deployment api --port=8080")
    wrong = lesson02.check_api_service(c)
    assert not wrong and "8080" in wrong.message
    c.delete("Service", "api")
    c.kubectl("expose deployment api --port=80 --target-port=8080")
    c.advance(10)
    assert lesson02.check_api_service(c)


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
