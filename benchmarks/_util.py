"""What the benchmarks share: making ``kitlib`` importable from a checkout, timing, reporting."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout, installed or not
    sys.path.insert(0, str(ROOT))


@dataclass
class Result:
    """The timings of one measured operation, against its target (None: measured for information)."""

    name: str
    times: list[float] = field(default_factory=list)
    target: float | None = None

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def passed(self) -> bool | None:
        """The median meets the target (None without a target)."""
        return None if self.target is None else self.median <= self.target

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "info"}[self.passed]
        target = "-" if self.target is None else _fmt(self.target)
        return (f"{self.name:<46} best {_fmt(self.best):>9}  median {_fmt(self.median):>9}  "
                f"target {target:>8}  {verdict}  (n={len(self.times)})")


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def timed(fn: Callable[..., T], *args: object) -> tuple[float, T]:
    """Seconds ``fn(*args)`` takes, and what it returns. Garbage left by earlier work is
    collected first, off the clock."""
    gc.collect()
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.python_implementation()} {platform.python_version()} on {platform.system()}, "
            f"{os.cpu_count()} cores ({cpu})")


def report(title: str, results: list[Result]) -> None:
    print(f"\n{title}")
    for r in results:
        print("  " + r.line())


def exit_code(results: list[Result], strict: bool) -> int:
    """0 unless ``strict`` and some result misses its target."""
    return 1 if strict and any(r.passed is False for r in results) else 0


def bench_main(argv: list[str] | None, doc: str | None, run: Callable[[int], list[Result]], title: str,
               repeat: int = 10) -> int:
    """The command line of a benchmark: ``--repeat N`` runs of each measurement, ``--strict``."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=repeat, help=f"runs of each measurement (default {repeat})")
    parser.add_argument("--strict", action="store_true", help="exit with 1 if a target is missed")
    args = parser.parse_args(argv)
    print(machine())
    start = time.perf_counter()
    results = run(args.repeat)
    report(f"{title}; {time.perf_counter() - start:.0f} s in all", results)
    return exit_code(results, args.strict)


def lab_main(argv: list[str] | None, doc: str | None, run: Callable[[int], list[Result]], title: str,
             target: float) -> int:
    """The command line of a lab benchmark: ``--repeat N`` interactions of each kind, ``--strict``."""
    return bench_main(argv, doc, run, f"{title} (target {target * 1000:.0f} ms per interaction, median)")
