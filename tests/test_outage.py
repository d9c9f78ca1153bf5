"""A decision taken while the Prefect server is down is kept and applied when it returns."""

from __future__ import annotations

from conftest import Kefu, free_port, kefu_env, start_prefect, stop_prefect


def test_decision_taken_while_prefect_is_down_is_applied_when_it_returns(tmp_path, mailbox):
    port = free_port()
    home = tmp_path / "prefect-home"
    home.mkdir()
    server = start_prefect(home, port)
    kefu = Kefu(env=kefu_env(tmp_path, f"sqlite:///{tmp_path / 'kefu.db'}",
                             f"http://127.0.0.1:{port}/api", mailbox.port))
    kefu.run("init")
    kefu.start_worker()
    try:
        number = kefu.json("complaint", "file", "--channel", "phone", "--customer", "周末",
                           "--phone", "13700000000", "--content", "瓶装酒口感很差",
                           "--email", "outage@customer.example")["number"]
        task = kefu.pending(number, "handling")

        stop_prefect(server)
        done = kefu.run("approvals", "decide", str(task["id"]), "--as", "chen.qe",
                        "--decision", "approve", "--comment", "已处理")
        assert "decision recorded" in done.stderr
        decided = [t for t in kefu.show(number)["approvals"] if t["id"] == task["id"]][0]
        assert decided["decision"] == "approve"          # kept while Prefect is away

        server = start_prefect(home, port)
        assert kefu.worker_process.poll() is None         # the worker rode out the outage
        opinion = kefu.pending(number, "customer_feedback", timeout=120)
        assert opinion["assignee"] == "wu.ops"
        assert [e["kind"] for e in kefu.show(number)["events"]].count("handled") == 1
    finally:
        kefu.kill_worker()
        stop_prefect(server)
