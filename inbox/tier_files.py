"""The tier results workbook in the inbox (issue 21 §10: a mail never points at a server path):
the published 客户质量等级评估表 is downloaded here, behind login, by the people its mail went to
(the policy's ``tier_assessment.publish_to_departments``) and the convener; anybody else gets
the answer of a file that does not exist. Every download is in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import FastAPI, Path, Request
from fastapi.responses import FileResponse, Response

from models.db import session_scope
from policy.schema import Policy
from tasks import audit
from tasks.tier.case import get, may_read_results

NUMBER = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9-]+$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_tier_file_routes(app: FastAPI, policy: Policy, *, page: Callable, read_session: Callable,
                         to_login: Callable, locale_of: Callable) -> None:

    @app.get("/files/tiers/{number}.xlsx")
    def tier_results(request: Request, number: NUMBER) -> Response:
        user = read_session(request).get("u")
        if not user:
            return to_login(request)
        path = None
        if may_read_results(policy, user):
            with session_scope() as session:
                try:
                    path = get(session, number).result_file
                except LookupError:
                    path = None
        if not path or not FilePath(path).is_file():
            audit.record_alone(actor=user, action="download_tier_results", outcome="refused",
                               via="inbox", case_number=number[:32])
            return Response(status_code=404)
        audit.record_alone(actor=user, action="download_tier_results", via="inbox",
                           case_number=number)
        return FileResponse(path, media_type=XLSX, filename=f"{number}.xlsx")
