"""``kefu complaint import FILE``: file many complaints in one process.

One ``kefu complaint file`` per complaint spends most of its time starting Python and
importing Prefect (about 2 s on a busy 2-core machine); a call centre's batch, or a bench,
files hundreds through one process. Each line of the file is one 客户投诉表 as a JSON object
with the options of ``kefu complaint file`` (channel, customer, phone, content, address,
email, shipped_on, important, staff); a .csv or .xlsx table with those columns works too (a call
centre's spreadsheet). Files are read as offices save them (``tasks/tables.py``: UTF-8 or
GB18030). Every line is checked first: one bad line is a one-line error naming its line (or
row) and field (exit 2), and nothing is filed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

FIELDS = ("channel", "customer", "phone", "content", "address", "email", "shipped_on",
          "important", "staff", "triggers", "taken_by")
YES = ("1", "true", "yes", "y", "是", "重要")
NO = ("", "0", "false", "no", "n", "否")
BATCH = 25


def complaint_import(
    path: Annotated[Path, typer.Argument(
        help="JSON Lines (one complaint per line; '-' = stdin), or a .csv/.xlsx table with "
             "these columns; UTF-8 or GB18030")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """File every complaint of a file; prints their numbers and starts their runs."""
    from zoneinfo import ZoneInfo

    from policy.load import load_policy
    from runtime.runs import PrefectUnavailable, start_complaint_runs
    from tasks.complaint.intake import IntakeError, file_complaint, parse_complaint
    from tasks.deadlines import now

    policy = load_policy()
    today = now().astimezone(ZoneInfo(policy.calendar.timezone)).date()
    parsed = []
    for where, row in _complaints(path):
        unknown = sorted(set(row) - set(FIELDS)) if isinstance(row, dict) else ["(not an object)"]
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]}")
        try:
            parsed.append(parse_complaint(policy, today=today, **{
                k: row.get(k) for k in FIELDS if k not in ("important", "triggers")},
                triggers=_triggers(where, row.get("triggers")),
                important=_important(where, row.get("important"))))
        except IntakeError as exc:
            raise ValueError(f"{where}: {exc}") from None
    filed: list[str] = []
    runs: dict[str, str] = {}
    unavailable: PrefectUnavailable | None = None
    # A batch at a time: each complaint's run is started (and recorded) seconds after it is
    # filed, so the worker's reconciler does not find it without one and start it as well.
    for start in range(0, len(parsed), BATCH):
        batch = [file_complaint(policy, data).number for data in parsed[start:start + BATCH]]
        filed += batch
        if unavailable is None:
            try:
                runs.update(start_complaint_runs(batch))
            except PrefectUnavailable as exc:
                unavailable = exc
    if unavailable is not None:
        # The worker's reconciler starts them when Prefect is back: one warning, not one each.
        not_started = len(filed) - len(runs)
        typer.secho(f"warning: {not_started} complaints are filed; their flow runs start when "
                    f"Prefect is back ({unavailable})", err=True, fg=typer.colors.YELLOW)
    if as_json:
        typer.echo(json.dumps([{"number": n, "flow_run_id": runs.get(n)} for n in filed]))
    else:
        typer.echo("\n".join(filed))


def _triggers(where: str, value: object) -> list[str]:
    """A line's ``triggers``: a JSON list, or a table cell of flags split by , ; or spaces."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [v for v in value.replace(";", ",").replace(" ", ",").split(",") if v]
    raise ValueError(f"{where}: --trigger: {value!r} is not a list of flags")


def _complaints(path: Path) -> Iterator[tuple[str, object]]:
    """("line N" or "row N", the complaint's fields) for each complaint of the file."""
    from tasks import tables

    if path.suffix.lower() in tables.TABLE_SUFFIXES:
        for row in tables.read_table(path, required=("channel", "customer", "phone", "content")):
            yield f"row {row.number}", {k: v for k, v in row.cells.items() if v != ""}
        return
    text = (tables.decode(sys.stdin.buffer.read(), "stdin") if str(path) == "-"
            else tables.read_text(path))
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {line_number}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {line_number}: not JSON ({exc.msg})") from None


def _important(where: str, value: object) -> bool:
    """JSON's true/false, or a table's 是/否, yes/no, 1/0 (an empty cell is no)."""
    if not isinstance(value, str):
        return bool(value)
    answer = value.strip().lower()
    if answer in YES or answer in NO:
        return answer in YES
    raise ValueError(f"{where}: important: {value!r} is not yes or no (是/否)")
