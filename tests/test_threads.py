"""Native thread pools are held to one thread per zhagen process (and its workers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import json, os
import numpy
from threadpoolctl import threadpool_info
from zhagen.threads import limit_native_threads
limit_native_threads()
print(json.dumps({"threads": sorted({pool["num_threads"] for pool in threadpool_info()}),
                  "env": os.environ.get("OPENBLAS_NUM_THREADS")}))
"""


def probe(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.endswith("NUM_THREADS")}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_native_pools_run_one_thread_and_children_inherit_the_limit() -> None:
    found = probe()
    assert found["threads"] == [1]
    assert found["env"] == "1"


def test_the_limit_can_be_raised_for_a_machine_with_cores_to_spare() -> None:
    found = probe(ZHAGEN_NATIVE_THREADS="2")
    assert found["env"] == "2"
    assert max(found["threads"]) <= 2


def test_a_bad_setting_falls_back_to_one_thread() -> None:
    assert probe(ZHAGEN_NATIVE_THREADS="many")["threads"] == [1]
