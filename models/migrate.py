"""Run the Alembic migrations programmatically (``kefu init``, test fixtures)."""

from __future__ import annotations

from alembic.config import Config

from alembic import command
from models.db import PROJECT_ROOT, database_url


def upgrade(url: str | None = None) -> None:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["url"] = url or database_url()
    config.attributes["configure_logging"] = False
    command.upgrade(config, "head")
