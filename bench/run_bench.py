"""Time and peak memory of the built-in study end to end.

    .venv/bin/python bench/run_bench.py [--runs 3] [--keep DIR] [--compete N] [--json]

Runs ``/usr/bin/time -v zhagen run --out <fresh temporary folder>`` RUNS times
(import of the built-in corpus, open coding, axial and selective coding,
checks, report, workbook, figures, QDPX) and reports the median wall time, the
median user and system CPU time and the median peak resident memory.
GNU time comes from Debian's ``time`` package; when /usr/bin/time is missing the
script installs it with apt-get (as root) or says how to.  With --keep DIR the
last run's output folder is copied to DIR (bench/web_bench.py needs one).
With --compete N, N other CPU-bound processes (a pure-Python busy loop each)
run beside every measured run, as another user's job would: the figure to put
beside the idle one (issue 17 asks for at most 1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ZHAGEN = Path(sys.executable).with_name("zhagen")
GNU_TIME = Path("/usr/bin/time")


def ensure_gnu_time() -> None:
    if GNU_TIME.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "time"], check=True, stdout=subprocess.DEVNULL)
    if not GNU_TIME.exists():
        raise SystemExit("GNU time is missing: apt-get install time")


def _seconds(clock: str) -> float:
    """'h:mm:ss' or 'm:ss.ss' to seconds."""
    total = 0.0
    for part in clock.split(":"):
        total = total * 60 + float(part)
    return total


def parse_time_v(text: str) -> dict[str, float]:
    def field(label: str) -> str:
        match = re.search(rf"^\s*{re.escape(label)}: (.+)$", text, re.MULTILINE)
        if not match:
            raise ValueError(f"no {label!r} in the output of time -v")
        return match.group(1).strip()

    return {
        "wall_s": _seconds(field("Elapsed (wall clock) time (h:mm:ss or m:ss)")),
        "user_s": float(field("User time (seconds)")),
        "sys_s": float(field("System time (seconds)")),
        "max_rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024,
        "exit": int(field("Exit status")),
    }


BUSY = "while True:\n    pass\n"


@contextmanager
def competing(processes: int) -> Iterator[None]:
    """``processes`` CPU-bound Python processes running until the block ends."""
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(processes)]
    try:
        yield
    finally:
        for process in busy:
            process.kill()
            process.wait()


def one_run(keep: Path | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="zhagen-run-bench-") as tmp:
        out = Path(tmp) / "study"
        report = Path(tmp) / "time.txt"
        subprocess.run(
            [str(GNU_TIME), "-v", "-o", str(report), str(ZHAGEN), "run", "--out", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
        result = parse_time_v(report.read_text())
        if result["exit"] != 0:
            raise SystemExit(f"zhagen run failed (exit {result['exit']})")
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(out, keep)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="copy the last run's project here")
    parser.add_argument("--compete", type=int, default=0, metavar="N",
                        help="run N CPU-bound processes beside every measured run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    ensure_gnu_time()
    load = os.getloadavg()[0]
    with competing(args.compete):
        runs = [one_run(args.keep if i == args.runs - 1 else None) for i in range(args.runs)]
    med = {key: statistics.median(r[key] for r in runs) for key in ("wall_s", "user_s", "sys_s", "max_rss_mb")}
    figures = {
        "run.wall_seconds_median": round(med["wall_s"], 2),
        "run.wall_seconds_all": [round(r["wall_s"], 2) for r in runs],
        "run.user_seconds_median": round(med["user_s"], 2),
        "run.sys_seconds_median": round(med["sys_s"], 2),
        "run.max_rss_mb_median": round(med["max_rss_mb"], 1),
        "run.load_average_start": round(load, 2),
        "run.competing_processes": args.compete,
    }
    if args.json:
        print(json.dumps(figures))
    else:
        beside = f", {args.compete} CPU-bound processes beside it" if args.compete else ""
        print(f"zhagen run (built-in study end to end{beside}), median of {args.runs}: {med['wall_s']:.2f} s wall "
              f"(runs: {', '.join(format(r['wall_s'], '.2f') for r in runs)}), {med['user_s']:.2f} s user, "
              f"{med['sys_s']:.2f} s sys, peak RSS {med['max_rss_mb']:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
