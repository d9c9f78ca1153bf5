"""What a person sees running ``kefu`` in a terminal: kefu's own words, not Prefect's."""

from __future__ import annotations

import os
import pty
import subprocess

from conftest import KEFU, ROOT

from runtime.ports import free_port

NOTICE = "Prefect collects anonymous usage data"
CI_MARKERS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "BUILDKITE", "CI_NAME")


def in_terminal(args: list[str], env: dict) -> str:
    """Run ``kefu ARGS`` with a pseudo-terminal as stdin, stdout and stderr; its output."""
    leader, follower = pty.openpty()
    process = subprocess.Popen([*KEFU, *args], cwd=ROOT, env=env,
                               stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait(timeout=60) == 0, output.decode(errors="replace")
    return output.decode(errors="replace")


def test_filing_in_a_terminal_shows_no_prefect_telemetry_notice_unless_asked(tmp_path):
    """Prefect prints a usage-data notice (and would report usage) on its first import in a
    terminal. kefu turns that off (DO_NOT_TRACK=1 unless set); the second run, with the
    user's own DO_NOT_TRACK=0, shows the notice appears when it is not off — so the first
    assertion can fail. A batch import, which starts its runs with Prefect's client (a single
    `complaint file` no longer imports Prefect at all: tests/complaint/test_filing_cost.py)."""
    env = {k: v for k, v in os.environ.items()
           if k not in CI_MARKERS and not k.startswith(("PREFECT_", "DO_NOT_TRACK"))}
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"channel": "phone", "customer": "张三", "phone": "13800000000", '
                     '"content": "酒的口感不对"}\n', encoding="utf-8")
    filing = ["complaint", "import", str(batch)]
    outputs = {}
    for label, extra in (("default", {}), ("opted in", {"DO_NOT_TRACK": "0"})):
        folder = tmp_path / label.replace(" ", "-")
        folder.mkdir()
        run_env = {**env, **extra, "KEFU_DATA_DIR": str(folder),
                   "KEFU_DATABASE_URL": f"sqlite:///{folder / 'kefu.db'}",
                   # No server answers there: the complaint is filed, its run starts later.
                   "KEFU_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}
        subprocess.run([*KEFU, "init"], cwd=ROOT, env=run_env,
                       check=True, capture_output=True)
        outputs[label] = in_terminal(filing, run_env)
    assert "TS-" in outputs["default"] and "Prefect is back" in outputs["default"]
    assert NOTICE not in outputs["default"]
    assert NOTICE in outputs["opted in"]
