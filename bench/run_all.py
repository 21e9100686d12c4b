"""Run every speed benchmark and print one line per figure.

    .venv/bin/python bench/run_all.py [--work /tmp/zhagen-bench] [--docs 10000] [--code-docs N]
                                      [--import-docs 2000] [--profile-docs 2000] [--skip import,coding,profile,run,web]

In order: bench/import_bench.py; bench/coding_bench.py (timed, on DOCS
documents); bench/coding_bench.py --profile on PROFILE_DOCS documents (the
cProfile breakdown, a second size); bench/run_bench.py (whose last run's
project is kept in WORK/webdemo); bench/web_bench.py on that project; and
bench/web_scale_bench.py on the project coding_bench.py coded.  Each benchmark's full output goes to WORK/logs/<name>.log; the
figures are printed here as ``name = value``.  See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable


def run(name: str, args: list[str], logs: Path) -> tuple[str, float]:
    """Run one benchmark script; its stdout, and the log file gets stdout and stderr."""
    start = time.perf_counter()
    result = subprocess.run([PYTHON, str(HERE / args[0]), *args[1:]], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    (logs / f"{name}.log").write_text(f"$ {' '.join(args)}\n{result.stdout}\n--- stderr ---\n{result.stderr}")
    if result.returncode != 0:
        print(f"{name}: FAILED (exit {result.returncode}); see {logs / (name + '.log')}", flush=True)
        return "", seconds
    return result.stdout, seconds


def code_state() -> str:
    """The commit measured, and the files changed in the work tree (read-only git commands)."""
    def git(*args: str) -> str:
        result = subprocess.run(["git", "-C", str(HERE.parent), *args], capture_output=True, text=True, check=False)
        return result.stdout

    # porcelain lines are "XY path": the status columns are part of the line, so no strip() before slicing
    dirty = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line.strip()]
    return git("rev-parse", "--short", "HEAD").strip() + (f" + uncommitted changes in {', '.join(dirty)}" if dirty else "")


def show(figures: dict[str, Any]) -> None:
    for key, value in figures.items():
        if key.endswith("parts_calls"):
            continue  # in the log
        if isinstance(value, dict):
            for sub, inner in value.items():
                print(f"{key}.{sub} = {inner}", flush=True)
        else:
            print(f"{key} = {value}", flush=True)


def last_json(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/zhagen-bench"))
    parser.add_argument("--docs", type=int, default=10_000, help="coding_bench: documents imported and segmented")
    parser.add_argument("--code-docs", type=int, default=None, help="coding_bench: documents coded (default: all of --docs)")
    parser.add_argument("--import-docs", type=int, default=2000)
    parser.add_argument("--profile-docs", type=int, default=2000, help="coding_bench --profile: documents coded")
    parser.add_argument("--skip", default="", help="comma-separated: import,coding,profile,run,web,webscale")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    logs = args.work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    work = ["--work", str(args.work)]
    failed = 0
    print(f"bench.code = {code_state()}", flush=True)

    if "import" not in skip:
        out, seconds = run("import", ["import_bench.py", "--docs", str(args.import_docs), *work, "--json"], logs)
        failed += not out
        show(last_json(out))
        print(f"bench.import_wall_seconds = {seconds:.1f}", flush=True)
    if "coding" not in skip:
        extra = ["--code-docs", str(args.code_docs)] if args.code_docs else []
        out, seconds = run("coding", ["coding_bench.py", "--docs", str(args.docs), *extra, *work, "--json"], logs)
        failed += not out
        show(last_json(out))
        print(f"bench.coding_wall_seconds = {seconds:.1f}", flush=True)
    if "profile" not in skip:
        n = str(args.profile_docs)
        out, seconds = run("profile", ["coding_bench.py", "--docs", n, "--profile", *work, "--json"], logs)
        failed += not out
        show({f"profile[{n}].{k}": v for k, v in last_json(out).items()})
        print(f"bench.profile_wall_seconds = {seconds:.1f}; the profile: {args.work / ('coding-' + n + '.txt')}",
              flush=True)
    demo = args.work / "webdemo"
    if "run" not in skip:
        out, seconds = run("run", ["run_bench.py", "--keep", str(demo), "--json"], logs)
        failed += not out
        show(last_json(out))
        print(f"bench.run_wall_seconds = {seconds:.1f}", flush=True)
    if "web" not in skip:
        if not (demo / "zhagen.yaml").is_file():
            subprocess.run([str(Path(PYTHON).with_name("zhagen")), "run", "--out", str(demo)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out, seconds = run("web", ["web_bench.py", str(demo)], logs)
        failed += not out
        for line in out.splitlines():
            if line.strip():
                print(f"web: {line.strip()}", flush=True)
        print(f"bench.web_wall_seconds = {seconds:.1f}", flush=True)
    coded = args.work / f"coding-project-{args.code_docs or args.docs}-s0-run"  # what coding_bench left
    if "webscale" not in skip and (coded / "zhagen.yaml").is_file():
        out, seconds = run("webscale", ["web_scale_bench.py", str(coded), "--json"], logs)
        failed += not out
        show({f"webscale[{url}].median_ms": v["median_ms"] for url, v in last_json(out).items()})
        print(f"bench.webscale_wall_seconds = {seconds:.1f}", flush=True)
    print(f"bench.code_at_end = {code_state()}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
