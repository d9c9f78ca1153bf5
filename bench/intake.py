"""Sustained intake: complaints filed per second through the CLI, one process per complaint
(`kefu complaint file`) and a batch through one process (`kefu complaint import`).

    .venv/bin/python -m bench.intake [--single 5] [--batch 300]

Both store the complaint and create its flow run on the server, as a user's command does.
The worker has registered the deployment and is stopped, so the figure is intake alone, not
the flows' work after it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.report import emit
from bench.stack import stack

KEFU = [sys.executable, "-m", "cli.main"]


def _complaint(i: int) -> dict:
    return {"channel": "phone", "customer": f"批量{i}", "phone": "13800000000",
            "content": "酒的口感不对", "email": f"i{i}@bench.example"}


def measure(folder: Path, single: int = 5, batch: int = 300) -> dict:
    """Needs a running server; the worker may be stopped."""
    started = time.perf_counter()
    for i in range(single):
        row = _complaint(i)
        done = subprocess.run([*KEFU, "complaint", "file", "--channel", row["channel"],
                               "--customer", row["customer"], "--phone", row["phone"],
                               "--content", row["content"], "--email", row["email"], "--json"],
                              capture_output=True, text=True, check=True)
        assert json.loads(done.stdout)["flow_run_id"], done.stderr
    single_s = time.perf_counter() - started
    lines = folder / "batch.jsonl"
    lines.write_text("\n".join(json.dumps(_complaint(i), ensure_ascii=False)
                               for i in range(batch)), encoding="utf-8")
    started = time.perf_counter()
    done = subprocess.run([*KEFU, "complaint", "import", str(lines), "--json"],
                          capture_output=True, text=True, check=True)
    batch_s = time.perf_counter() - started
    filed = json.loads(done.stdout)
    assert len(filed) == batch and all(r["flow_run_id"] for r in filed), done.stderr
    return {
        "one_process_each_per_s": round(single / single_s, 2),
        "one_process_each_n": single,
        "batch_per_s": round(batch / batch_s, 1),
        "batch_n": batch,
        "batch_s": round(batch_s, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=5)
    parser.add_argument("--batch", type=int, default=300)
    args = parser.parse_args()
    with stack() as running:
        running.stop_worker()  # it registered the deployment; intake alone is measured
        result = measure(running.folder, args.single, args.batch)
    emit(result, running.folder, "intake", header=("measure", "value"))


if __name__ == "__main__":
    main()
