"""Benchmark: a widget interaction, from the event to the figure updated in the kernel.

For each scale, a cluster is built and converged (not timed) with one Deployment ``web``, and a
:class:`kitlib.widgets.DeploymentLab` is opened on it. Then, repeatedly:

* ``lab.replicas.value = n`` (the slider; its observer runs at once: ``cluster.scale`` and a
  redraw of the map and the pod table), one replica down, and back up;
* killing a pod (``lab.kill(name)``, or the pod picker and the Kill button) and redrawing;
* the "+10 s" button (``cluster.advance(10)`` and a redraw) right after the kill.

Between interactions the cluster is advanced 5 s off the clock, so each one starts from a
settled cluster. Targets (median): 50 ms at workshop scale (3 nodes, 10 pods), 300 ms at 100
nodes and 3,000 pods.

The engine part and the figure part are also timed alone: ``cluster.scale`` + ``advance(2)`` +
the pod list the map draws, and ``update_cluster_map`` on the lab's FigureWidget.

    python benchmarks/bench_interaction.py            # both scales
    python benchmarks/bench_interaction.py --scale workshop --repeat 20
    python benchmarks/bench_interaction.py --strict   # exit code 1 on FAIL
"""

from __future__ import annotations

import argparse
import sys
import time

from _util import Result, exit_code, machine, report, timed

import kitlib

SCALES = {  # name: (nodes, pods of the Deployment, target per interaction in seconds)
    "workshop": (3, 10, 0.050),
    "large": (100, 3000, 0.300),
}
SETTLE = 5.0


def build(nodes: int, pods: int, seed: int = 0) -> kitlib.Cluster:
    cluster = kitlib.Cluster(nodes=nodes, seed=seed)
    cluster.kubectl(f"create deployment web --image=nginx --replicas={pods} --port=80")
    cluster.settle()
    return cluster


def _running(cluster: kitlib.Cluster) -> str:
    return next(p.name for p in reversed(cluster.pods(selector="app=web"))
                if p.status.phase == "Running" and p.metadata.deletion_timestamp is None)


def _kill(lab, name: str) -> None:
    """The lab's kill action: ``lab.kill`` if it has one, else the picker and the button."""
    if hasattr(lab, "kill"):
        lab.kill(name)
    else:
        lab.pod_picker.value = name
        lab.kill_button.click()


def _step_button(lab, seconds: int):
    return next(b for b in lab.step_buttons if b.description == f"+{seconds} s")


def measure_lab(scale: str, nodes: int, pods: int, target: float, repeat: int) -> list[Result]:
    from kitlib.widgets import DeploymentLab

    cluster = build(nodes, pods)
    opened, lab = timed(DeploymentLab, cluster, "web")
    prefix = f"{scale}: lab "
    down, up = Result(prefix + "replicas slider -1", target=target), Result(prefix + "replicas slider +1", target=target)
    kill, step = Result(prefix + "kill pod", target=target), Result(prefix + "+10 s button", target=target)

    def settle() -> None:  # off the clock: let what the last interaction started finish
        cluster.advance(SETTLE)
        lab.refresh()

    for _ in range(repeat):
        name = _running(cluster)
        kill.times.append(timed(_kill, lab, name)[0])
        step.times.append(timed(_step_button(lab, 10).click)[0])
        settle()
        # Down first: the slider stops at its maximum, which may be the current count.
        down.times.append(timed(setattr, lab.replicas, "value", pods - 1)[0])
        assert cluster.get("Deployment", "web").spec.replicas == pods - 1, "the slider did not scale"
        settle()
        up.times.append(timed(setattr, lab.replicas, "value", pods)[0])
        assert cluster.get("Deployment", "web").spec.replicas == pods, "the slider did not scale"
        settle()
        assert len([p for p in cluster.pods() if p.metadata.deletion_timestamp is None]) == pods
    return [down, up, kill, step, Result(prefix + "open (first map and table)", [opened])]


def measure_parts(scale: str, nodes: int, pods: int, target: float, repeat: int) -> list[Result]:
    """The engine alone (what the interactions ask of it) and the map redraw alone."""
    cluster = build(nodes, pods)
    engine = Result(f"{scale}: engine scale -1/+1 + advance(2) + pods", target=target)
    kill = Result(f"{scale}: engine delete pod + advance(2) + pods", target=target)
    results = [engine, kill]

    def scale_to(n: int) -> None:
        cluster.scale("web", n)
        cluster.advance(2)
        cluster.api.list("Pod")  # what the map reads: the store, as an informer, without copies

    def delete(name: str) -> None:
        cluster.delete("Pod", name)
        cluster.advance(2)
        cluster.api.list("Pod")

    for i in range(2 * repeat):
        engine.times.append(timed(scale_to, pods - 1 if i % 2 == 0 else pods)[0])
        cluster.advance(SETTLE)
        kill.times.append(timed(delete, _running(cluster))[0])
        cluster.advance(SETTLE)
    try:
        import plotly.graph_objects as go

        from kitlib.figures import cluster_map, update_cluster_map
    except ImportError as exc:  # the views are not there yet: the engine part is what can be measured
        print(f"({scale}: no figure to time: {exc})")
        return results
    fig = cluster_map(cluster, figure_class=go.FigureWidget)
    redraw = Result(f"{scale}: figure update_cluster_map", target=target)
    for _ in range(repeat):
        cluster.scale("web", pods - 1)
        redraw.times.append(timed(update_cluster_map, fig, cluster)[0])
        cluster.scale("web", pods)
        cluster.advance(SETTLE)
    results.append(redraw)
    return results


def run(scales: list[str], repeat: int | None = None) -> list[Result]:
    results: list[Result] = []
    for scale in scales:
        nodes, pods, target = SCALES[scale]
        n = repeat or (15 if pods <= 100 else 5)
        results += measure_parts(scale, nodes, pods, target, n)
        try:
            import kitlib.widgets  # noqa: F401
        except ImportError as exc:
            print(f"({scale}: the lab widget is not there yet, so only the engine was timed: {exc})")
            continue
        results += measure_lab(scale, nodes, pods, target, n)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=[*SCALES, "all"], default="all")
    parser.add_argument("--repeat", type=int, help="interactions of each kind (default 15, 5 at large scale)")
    parser.add_argument("--strict", action="store_true", help="exit with 1 if a target is missed")
    args = parser.parse_args(argv)
    print(machine())
    start = time.perf_counter()
    results = run(list(SCALES) if args.scale == "all" else [args.scale], args.repeat)
    targets = ", ".join(f"{s} {t * 1000:.0f} ms" for s, (_, _, t) in SCALES.items())
    report(f"interactions (target per interaction, median: {targets}); "
           f"{time.perf_counter() - start:.0f} s in all", results)
    return exit_code(results, args.strict)


if __name__ == "__main__":
    sys.exit(main())
