"""Filing through the HTTP API: latency of ``POST /api/v1/complaints`` one request at a time
(p50/p95), and sustained filings per second with several clients at once, against a running
``kefu inbox`` on SQLite (issue 17: p95 < 50 ms, ≥ 200/s on 2 cores).

    .venv/bin/python -m bench.api_intake [--sequential 200] [--sustained 1000] [--clients 8]

The answer comes from kefu's database (the case, its number and clocks are durable); no
Prefect server is needed for it: the worker's reconciler starts the runs later, so the figure
is the API alone. Every request carries its own Idempotency-Key, as a hotline system would.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench.report import emit
from bench.stack import environment
from runtime.polling import until
from runtime.ports import free_port

KEFU = [sys.executable, "-m", "cli.main"]


def _complaint(i: int) -> dict:
    return {"channel": "hotline", "customer": {"name": f"接口{i}", "phone": "13800000000",
                                               "email": f"a{i}@bench.example"},
            "content": "酒的口感不对"}


def _kefu(*args: str) -> str:
    return subprocess.run([*KEFU, *args], capture_output=True, text=True, check=True).stdout


def _post(client: httpx.Client, i: int) -> float:
    started = time.perf_counter()
    answer = client.post("/complaints", json=_complaint(i),
                         headers={"Idempotency-Key": uuid.uuid4().hex})
    elapsed = time.perf_counter() - started
    if answer.status_code != 201:
        raise RuntimeError(f"POST /complaints answered {answer.status_code}: {answer.text[:200]}")
    return elapsed


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(folder: Path, sequential: int = 200, sustained: int = 1000, clients: int = 8) -> dict:
    """Needs the environment of :func:`bench.stack.environment` (no Prefect server)."""
    _kefu("init")
    token = _kefu("api-keys", "create", "--name", "bench", "--scope", "intake").strip()
    port = free_port()
    log = (folder / "inbox.log").open("ab")
    server = subprocess.Popen([*KEFU, "inbox", "--port", str(port)], stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        until(lambda: _answers(base, server), timeout=60, every=0.2,
              failure=lambda waited: RuntimeError(f"kefu inbox not answering after {waited:.0f} s"))
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=30) as client:
            for i in range(10):  # warm-up: imports, first connections, compiled statements
                _post(client, -1 - i)
            one_at_a_time = [_post(client, i) for i in range(sequential)]

        def many(chunk: range) -> list[float]:
            with httpx.Client(base_url=f"{base}/api/v1", headers=headers, timeout=60) as client:
                return [_post(client, sequential + i) for i in chunk]

        chunks = [range(c, sustained, clients) for c in range(clients)]
        cpu_before = _cpu_seconds(server.pid)
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            under_load = [t for part in pool.map(many, chunks) for t in part]
        sustained_s = time.perf_counter() - started
        server_cpu_s = _cpu_seconds(server.pid) - cpu_before
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    return {
        "sequential_n": sequential,
        "latency_p50_ms": round(statistics.median(one_at_a_time) * 1000, 1),
        "latency_p95_ms": round(_percentile(one_at_a_time, 0.95) * 1000, 1),
        "sustained_n": sustained,
        "clients": clients,
        "sustained_per_s": round(sustained / sustained_s, 1),
        "under_load_p95_ms": round(_percentile(under_load, 0.95) * 1000, 1),
        # The server's own CPU per filing: the figure the clients' share of the 2 cores and
        # other load on the machine do not change; 1000 / it = filings/s one core can serve.
        "server_cpu_ms_per_filing": round(server_cpu_s / sustained * 1000, 2),
        "one_core_could_serve_per_s": round(sustained / server_cpu_s, 1) if server_cpu_s else None,
    }


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _answers(base: str, server: subprocess.Popen) -> bool:
    if server.poll() is not None:
        raise RuntimeError("kefu inbox exited: see inbox.log in the bench folder")
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=200)
    parser.add_argument("--sustained", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    folder = environment()
    result = measure(folder, args.sequential, args.sustained, args.clients)
    emit(result, folder, "api_intake", header=("measure", "value"))


if __name__ == "__main__":
    main()
