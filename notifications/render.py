"""Render a message from ``templates/<event>.<locale>.j2`` (blocks ``title`` and ``body``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOCALES = ("zh-CN", "zh-TW", "en")

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


def local_time(moment: datetime | str | None, tz: str = "Asia/Shanghai") -> str:
    """A time as people read it: local to the policy's time zone, to the minute."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


_env.filters["local"] = local_time


def render(event: str, locale: str, context: dict) -> tuple[str, str]:
    """The (title, body) of an event's message in a locale (zh-CN when the locale has none)."""
    chosen = locale if (TEMPLATES / f"{event}.{locale}.j2").exists() else LOCALES[0]
    template = _env.get_template(f"{event}.{chosen}.j2")
    ctx = template.new_context(context)
    title = "".join(template.blocks["title"](ctx)).strip()
    body = "".join(template.blocks["body"](ctx)).strip()
    return title, body


def compile_all() -> int:
    """Compile every template now (the worker's fork server does, once for all runs)."""
    return len([_env.get_template(name) for name in _env.list_templates(extensions=["j2"])])


def events() -> set[str]:
    return {p.name.split(".")[0] for p in TEMPLATES.glob("*.j2")}
