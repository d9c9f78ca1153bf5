"""How every benchmark reports: a table on stdout, then the same figures as JSON on stdout and
in a file, so runs can be compared."""

from __future__ import annotations

import json
from pathlib import Path


def emit(results: dict, folder: Path, name: str, header: tuple[str, str] | None = None) -> None:
    width = max(len(key) for key in results) + 2
    if header:
        print(f"{header[0]:<{width}}{header[1]:>10}")
    for key, value in results.items():
        print(f"{key:<{width}}{value!s:>10}")
    (folder / f"{name}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results))
