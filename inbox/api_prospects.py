"""New-customer development applications through the API (issue 17 §1): a 新客户开发立项申请书
filed by a system (a CRM, a web form) with an intake key, and read back as
``kefu new-customer show --json`` shows it. The same checks as the CLI (000 D8 §2); the
worker's reconciler starts the project's flow run."""

from __future__ import annotations

from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from inbox.api_auth import CALLER, needs, read_case
from policy.schema import Policy
from tasks import audit
from tasks.new_customer.card import prospect_view
from tasks.new_customer.case import apply_prospect
from tasks.new_customer.rules import ProspectError

NUMBER = Annotated[str, Path(max_length=32)]


class ProspectIn(BaseModel):
    """The 新客户开发立项申请书 as a system files it."""

    name: str = Field(max_length=200, description="The prospect's name")
    product_line: str = Field(max_length=64, description="A product line of the policy")
    expected_annual_revenue: str = Field(max_length=32,
                                         description="Expected annual new business, 元")
    owner: str = Field(max_length=64, description="The salesperson who develops it (person key)")


class Applied(BaseModel):
    number: str
    qualified: bool
    reason: str | None


def add_prospect_routes(api: FastAPI, policy: Policy) -> None:
    @api.post("/prospects", status_code=201, response_model=Applied)
    def apply(body: ProspectIn, who: CALLER, request: Request) -> JSONResponse:
        needs("intake", who, request)
        try:
            prospect = apply_prospect(policy, name=body.name, product_line=body.product_line,
                                      expected_annual_revenue=body.expected_annual_revenue,
                                      owner=body.owner)
        except LookupError as missing:  # the policy has no new-customer process
            raise HTTPException(404, str(missing)) from None
        except ProspectError as bad:
            audit.record_alone(actor=who.actor, action="apply_prospect", outcome="refused",
                               via="api", reason=str(bad))
            return JSONResponse({"detail": [{"loc": ["body", bad.field],
                                             "msg": str(bad).split(": ", 1)[-1],
                                             "type": "value_error"}]}, status_code=422)
        audit.record_alone(actor=who.actor, action="apply_prospect", via="api",
                           case_number=prospect.number)
        return JSONResponse({"number": prospect.number, "qualified": prospect.qualified,
                             "reason": prospect.qualification_reason}, status_code=201)

    @api.get("/prospects/{number}")
    def show(number: NUMBER, who: CALLER, request: Request) -> dict:
        """The project as ``kefu new-customer show --json`` shows it."""
        needs("intake", who, request)
        return read_case(who, "prospect", number, prospect_view)
