"""``kefu complaint import FILE``: file many complaints in one process.

One ``kefu complaint file`` per complaint spends most of its time starting Python and
importing Prefect (about 2 s on a busy 2-core machine); a call centre's batch, or a bench,
files hundreds through one process. Each line of the file is one 客户投诉表 as a JSON object
with the options of ``kefu complaint file`` (channel, customer, phone, content, address,
email, shipped_on, important). Every line is checked first: one bad line is a one-line error
naming its line and field (exit 2), and nothing is filed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

FIELDS = ("channel", "customer", "phone", "content", "address", "email", "shipped_on",
          "important")


def complaint_import(
    path: Annotated[Path, typer.Argument(help="JSON Lines: one complaint per line ('-' = stdin)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """File every complaint of a JSON Lines file; prints their numbers and starts their runs."""
    import sys
    from zoneinfo import ZoneInfo

    from policy.load import load_policy
    from runtime.runs import PrefectUnavailable, start_complaint_runs
    from tasks.complaint.intake import IntakeError, file_complaint, parse_complaint
    from tasks.deadlines import now

    policy = load_policy()
    today = now().astimezone(ZoneInfo(policy.calendar.timezone)).date()
    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    parsed = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {line_number}: not JSON ({exc.msg})") from None
        unknown = sorted(set(row) - set(FIELDS)) if isinstance(row, dict) else ["(not an object)"]
        if unknown:
            raise ValueError(f"line {line_number}: unknown field {unknown[0]}")
        try:
            parsed.append(parse_complaint(policy, today=today, **{
                k: row.get(k) for k in FIELDS if k != "important"},
                important=bool(row.get("important"))))
        except IntakeError as exc:
            raise ValueError(f"line {line_number}: {exc}") from None
    filed = [file_complaint(policy, data).number for data in parsed]
    runs: dict[str, str] = {}
    try:
        runs = start_complaint_runs(filed) if filed else {}
    except PrefectUnavailable as exc:
        # The worker's reconciler starts them when Prefect is back: one warning, not one each.
        typer.secho(f"warning: {len(filed)} complaints are filed; their flow runs start when "
                    f"Prefect is back ({exc})", err=True, fg=typer.colors.YELLOW)
    if as_json:
        typer.echo(json.dumps([{"number": n, "flow_run_id": runs.get(n)} for n in filed]))
    else:
        typer.echo("\n".join(filed))
