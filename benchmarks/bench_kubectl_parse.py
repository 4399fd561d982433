"""Benchmark: kubectl command lines of about 1 MB, split and parsed (issue 10).

Timed, each through ``cluster.kubectl`` on a 3-node cluster: one 1 MB label selector value
(one word), the same inside double quotes, 150,000 ``-l a=b`` flags (300,000 words), and a 1 MB
line whose quote is never closed (refused with bash's syntax error). shlex took 17 s for the first;
the target is 1 s (median) each.

    python benchmarks/bench_kubectl_parse.py            # PASS/FAIL against the target
    python benchmarks/bench_kubectl_parse.py --strict   # exit code 1 on FAIL
"""

from __future__ import annotations

import sys

from _util import Result, bench_main, timed

import kitlib

TARGET = 1.0
LINES = {
    "1 MB word": "get pods -l app=" + "x" * 1_000_000,
    "1 MB double-quoted word": 'get pods -l "app=' + "x" * 1_000_000 + '"',
    "150,000 flags": "get pods " + " ".join(["-l", "a=b"] * 150_000),
    "1 MB unterminated quote": "get pods -l 'app=" + "x" * 1_000_000,
}


def _attempt(cluster: kitlib.Cluster, line: str) -> str:
    try:
        return cluster.kubectl(line)
    except kitlib.ApiError as err:
        return str(err)


def run(repeat: int = 5) -> list[Result]:
    cluster = kitlib.Cluster(nodes=3, seed=0)
    results = []
    for name, line in LINES.items():
        result = Result(f"kubectl {name} ({len(line):,} characters)", target=TARGET)
        for _ in range(repeat):
            seconds, _ = timed(_attempt, cluster, line)
            result.times.append(seconds)
        results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    return bench_main(argv, __doc__, run, f"kubectl command-line parsing (target {TARGET * 1000:.0f} ms, median)",
                      repeat=5)


if __name__ == "__main__":
    sys.exit(main())
