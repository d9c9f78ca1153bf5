"""Find, read and validate the policy file; every problem names the file, the line and the key.

A process that runs for days (the worker, the inbox) reads the file again when it changes.
An edit that does not validate does not stop it: it keeps the last policy that did, and logs
a WARNING naming every problem, once per change of the file. ``kefu policy check`` runs the
same validation before an edit goes live.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from policy.schema import Policy

log = logging.getLogger("kefu.policy")

# libyaml's parser when PyYAML has it: the policy parses in ~5 ms instead of ~65 ms, which
# every CLI command and every flow-run process pays once.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SHIPPED = Path(__file__).resolve().parent
DEFAULT_POLICY = SHIPPED / "default.yaml"


class PolicyError(Exception):
    """The policy file is missing or invalid; each problem names the file (and line) and key."""

    def __init__(self, *problems: str) -> None:
        super().__init__(*problems)
        self.problems = list(problems)

    def __str__(self) -> str:
        text = "; ".join(self.problems)
        # One line ending in a quoted value keeps its closing quote even where a caller strips
        # the quotes around a bare KeyError's message.
        return f"{text}." if text.endswith(("'", '"')) else text


def policy_path() -> Path:
    """``KEFU_POLICY`` (a path, or the name of a shipped variant), else the shipped default."""
    chosen = os.environ.get("KEFU_POLICY")
    if not chosen:
        return DEFAULT_POLICY
    candidate = Path(chosen)
    if candidate.exists():
        return candidate.resolve()
    shipped = SHIPPED / "variants" / f"{chosen}.yaml"
    if shipped.exists():
        return shipped
    raise PolicyError(f"KEFU_POLICY: no policy file at {chosen!r} and no shipped variant of that name")


@dataclass
class _Cached:
    mtime: float
    policy: Policy | None  # the last version of the file that validated
    bad_mtime: float | None = None  # the version that did not (warned about once)
    problems: tuple[str, ...] = ()


_cache: dict[Path, _Cached] = {}


def load_policy(path: Path | None = None) -> Policy:
    """The policy in force, read again when the file changes. When the changed file does not
    validate and this process had a good version, it keeps that one and logs a WARNING with
    every problem, once per change; without one (a fresh command) it raises PolicyError."""
    path = path or policy_path()
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise PolicyError(f"{_shown(path)}: cannot read policy file ({exc.strerror})") from exc
    cached = _cache.get(path)
    if cached is not None and cached.mtime == mtime and cached.policy is not None:
        return cached.policy
    if cached is not None and cached.bad_mtime == mtime:
        return _last_good(cached)
    try:
        policy = read_policy(path)
    except PolicyError as exc:
        if cached is None or cached.policy is None:
            raise
        cached.bad_mtime, cached.problems = mtime, tuple(exc.problems)
        log.warning("POLICY FILE %s DOES NOT VALIDATE; keeping the last good policy (%s) until "
                    "it is fixed (kefu policy check %s): %s", _shown(path), cached.policy.name,
                    _shown(path), "; ".join(exc.problems))
        return cached.policy
    _cache[path] = _Cached(mtime=mtime, policy=policy)
    return policy


def _last_good(cached: _Cached) -> Policy:
    if cached.policy is None:
        raise PolicyError(*cached.problems)
    return cached.policy


def check_policy(path: Path) -> list[str]:
    """Every problem of the policy file at ``path`` (``file:line: key: what``), none when it
    validates: the loader's own validation, without its cache."""
    try:
        read_policy(path)
    except PolicyError as exc:
        return exc.problems
    return []


def read_policy(path: Path) -> Policy:
    """Parse and validate the file (and the files it extends); raises PolicyError."""
    data = _read_yaml(path)
    data = _resolve_extends(path, data, seen=(path,))
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(*_describe_all(path, exc)) from None


def _read_yaml(path: Path, named_by: Path | None = None) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        if named_by is None:
            raise PolicyError(f"{_shown(path)}: cannot read policy file ({exc.strerror})") from exc
        raise PolicyError(
            f"{_shown(named_by)}: extends: cannot read {path} ({exc.strerror})") from exc
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{_shown(path)}:{mark.line + 1}" if mark is not None else _shown(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"{where}: not valid YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{_shown(path)}: expected a mapping at the top level")
    return data


def _resolve_extends(path: Path, data: dict, seen: tuple[Path, ...]) -> dict:
    """``extends: other.yaml`` merges this file over another: mappings merge key by key,
    anything else (lists included) is replaced, except a list under ``key+``, which is
    appended to ``key``."""
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return data
    if not isinstance(parent_name, str):
        raise PolicyError(f"{_shown(path)}: extends: expected a file name, got {parent_name!r}")
    parent_path = (path.parent / parent_name).resolve()
    if parent_path in seen:
        raise PolicyError(f"{_shown(path)}: extends: {parent_name} makes a cycle")
    parent = _read_yaml(parent_path, named_by=path)
    parent = _resolve_extends(parent_path, parent, seen + (parent_path,))
    return _merge(parent, data)


def _merge(base: dict, over: dict) -> dict:
    """``key+: [...]`` appends to the list ``key`` of the file extended (a variant adds people
    and departments to the organisation without copying it)."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(key, str) and key.endswith("+") and isinstance(value, list):
            merged[key[:-1]] = [*(merged.get(key[:-1]) or []), *value]
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _shown(path: Path) -> str:
    """A path as the admin knows it: relative to the working directory when under it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# --- problems: file, line and key ---------------------------------------------------------

Loc = tuple[str | int, ...]
# A validator's message may start with the path it is about: ``people[3].superior: …`` (a
# model validator sees its whole section) or ``complaint.categories[0].department: …``.
_MESSAGE_PATH = re.compile(r"^(?P<path>[A-Za-z_][\w]*(?:\[\d+\]|\.[A-Za-z_]\w*|\.\d+)*): ")


def _describe_all(path: Path, exc: ValidationError) -> list[str]:
    sources = _sources(path)
    return [_describe(error, sources) for error in exc.errors()]


def _describe(error: dict, sources: list[tuple[Path, yaml.Node | None]]) -> str:
    loc: Loc = tuple(error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] not in ("value_error", "missing") and \
            isinstance(error.get("input"), str | int | float):
        message += f" (got {error['input']!r})"  # pydantic's own words do not show it
    found = _MESSAGE_PATH.match(message)
    if found:  # the path a model validator names, inside its section or from the top
        inner = _parse_path(found["path"])
        best = max((loc + inner, inner), key=lambda c: _depth_in(sources, c))
        if _depth_in(sources, best) > _depth_in(sources, loc):
            loc, message = best, message[found.end():]
    file, root, line = _locate(sources, loc)
    where = f"{_shown(file)}:{line}" if line else _shown(file)
    return f"{where}: {_human_path(loc, root) or '(top level)'}: {message}"


def _parse_path(text: str) -> Loc:
    """``people[3].superior`` or ``people.3.superior`` → ("people", 3, "superior")."""
    pieces = text.replace("[", ".").replace("]", "").split(".")
    return tuple(int(p) if p.isdigit() else p for p in pieces if p)


def _sources(path: Path) -> list[tuple[Path, yaml.Node | None]]:
    """The file and the files it extends, child first, each with its YAML node tree (marks
    kept, so a key has a line)."""
    found: list[tuple[Path, yaml.Node | None]] = []
    current: Path | None = path
    while current is not None and current not in [p for p, _ in found]:
        try:
            node = yaml.compose(current.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        except (OSError, yaml.YAMLError):
            node = None
        found.append((current, node))
        current = _extends_of(current, node)
    return found


def _extends_of(path: Path, node: yaml.Node | None) -> Path | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if key.value == "extends" and isinstance(value, yaml.ScalarNode):
            return (path.parent / value.value).resolve()
    return None


def _walk(node: yaml.Node | None, loc: Loc) -> list[yaml.Node]:
    """The nodes along ``loc`` (a key's node for a mapping step), as deep as the file goes."""
    trail: list[yaml.Node] = []
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if pair is None:
                break
            trail.append(pair[0])
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and 0 <= part < len(node.value):
            node = node.value[part]
            trail.append(node)
        else:
            break
    return trail


def _depth_in(sources: list[tuple[Path, yaml.Node | None]], loc: Loc) -> int:
    return max((len(_walk(node, loc)) for _, node in sources), default=0)


def _locate(sources: list[tuple[Path, yaml.Node | None]],
            loc: Loc) -> tuple[Path, yaml.Node | None, int]:
    """The file that says ``loc`` (the one reaching deepest along it; the child wins a tie,
    as what it says overrides its parent), its node tree, and the line: a key's line for a
    mapping entry, an item's line for a list item, 0 when the file has none of it."""
    best_file, best_root, best_trail = sources[0][0], sources[0][1], []
    for file, node in sources:
        trail = _walk(node, loc)
        if len(trail) > len(best_trail):
            best_file, best_root, best_trail = file, node, trail
    line = best_trail[-1].start_mark.line + 1 if best_trail else 0
    return best_file, best_root, line


def _human_path(loc: Loc, root: yaml.Node | None) -> str:
    """``organisation.people #7 (chen.qe).email``: list items counted from 1, with their key."""
    text, node = "", root
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            key = _item_key(node, part)
            text += f" #{part + 1}" + (f" ({key})" if key else "")
            node = node.value[part] if 0 <= part < len(node.value) else None
            continue
        if isinstance(part, int) and not isinstance(node, yaml.MappingNode):
            text += f" #{part + 1}"  # a list the file does not have (a default)
            node = None
            continue
        text += f".{part}" if text else str(part)
        node = next((v for k, v in node.value if k.value == str(part)), None) \
            if isinstance(node, yaml.MappingNode) else None
    return text


def _item_key(node: object, index: int) -> str | None:
    if not isinstance(node, yaml.SequenceNode) or not 0 <= index < len(node.value):
        return None
    item = node.value[index]
    if not isinstance(item, yaml.MappingNode):
        return None
    return next((v.value for k, v in item.value
                 if k.value == "key" and isinstance(v, yaml.ScalarNode)), None)
