"""A single filing costs a fraction of a second of work, not Prefect's import (issue 17 §5):
`kefu complaint file` stores the case and starts its run over Prefect's REST API without
loading Prefect's client (most of a second on a 2-core machine). Checked by what the command
imports, not by a timing."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_filing_a_complaint_does_not_import_prefect(offline_kefu):
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cli.main", "complaint", "file", "--channel",
         "phone", "--customer", "张三", "--phone", "13800000000", "--content", "酒的口感不对"],
        env=offline_kefu.env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("TS-")                      # filed
    assert "flow run starts when Prefect is back" in done.stderr      # no server in this test
    loaded = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
              if line.startswith("import time:")]
    assert "sqlalchemy" in loaded                                    # the list is real
    assert [m for m in loaded if m == "prefect" or m.startswith("prefect.")] == []
