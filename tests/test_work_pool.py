"""kefu's flows under a standard Prefect process work pool, Prefect and kefu on PostgreSQL
(issue 20 §2, the must-show test).

As the README's "More than one machine" says: ``kefu deploy`` (the ``kefu`` process work pool
and prefect.yaml's deployments in it), then two ``kefu worker --pool kefu`` — each Prefect's
own process worker plus kefu's chores. Twenty complaints are filed at once; worker a is killed
with kill -9 (its process group: the worker and its flow-run processes) while a flow-run process
of its own runs a case. Every case reaches its wait and archives after its decisions — the
decided runs resumed through the pool — with one flow run per case, each escalation rung once
(two sweeps at once), each mail once, no step twice, and worker b rescheduling a's runs."""

from __future__ import annotations

import httpx
from conftest import burst_survives_a_killed_worker, start_kefu_worker, two_worker_installation

CASES = 20


def test_two_pool_workers_one_killed_every_case_archives_once(tmp_path, mailbox, postgres_pair,
                                                              policy):
    with two_worker_installation(tmp_path, mailbox, postgres_pair) as (kefu, api, workers):
        deployed = kefu.run("deploy")
        assert "created work pool 'kefu' (process)" in deployed.stdout, deployed.stdout
        pool = httpx.get(f"{api}/work_pools/kefu", timeout=10).json()
        assert pool["type"] == "process"
        deployment = httpx.get(f"{api}/deployments/name/complaint/complaint", timeout=10).json()
        assert deployment["work_pool_name"] == "kefu"
        assert deployment["entrypoint"] == "flows/complaint.py:complaint_flow"

        workers.update({name: start_kefu_worker(kefu, name, "--pool", "kefu")
                        for name in ("a", "b")})
        taken = burst_survives_a_killed_worker(kefu, workers, mailbox, policy, CASES)

        # The runs went through the pool: Prefect's process workers, not a runner.
        runs = httpx.post(f"{api}/flow_runs/filter", json={"limit": 200}, timeout=30).json()
        complaints = [r for r in runs if r["name"].startswith("complaint ")]
        assert {r["work_pool_name"] for r in complaints} == {"kefu"}
        print(f"work pool: waits {taken['to_wait']:.1f} s, archives {taken['to_archive']:.1f} s "
              "after the kill")


def test_the_work_pool_is_made_once_as_a_process_pool_and_a_pool_of_another_type_refused(
        prefect_api):
    import asyncio

    import pytest
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from runtime.pool_worker import declared_pools, ensure_pool

    assert declared_pools() == ["kefu"]  # prefect.yaml: every deployment in pool kefu
    with temporary_settings({PREFECT_API_URL: prefect_api}):
        assert asyncio.run(ensure_pool("kefu-made")) is True
        assert asyncio.run(ensure_pool("kefu-made")) is False
        assert httpx.get(f"{prefect_api}/work_pools/kefu-made", timeout=10).json()["type"] == "process"
        httpx.post(f"{prefect_api}/work_pools/", json={"name": "kefu-docker", "type": "docker"},
                   timeout=10).raise_for_status()
        with pytest.raises(SystemExit, match="'docker'"):
            asyncio.run(ensure_pool("kefu-docker"))
