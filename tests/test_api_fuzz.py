"""Generated requests against every /api/v1 operation of the running inbox (schemathesis,
from the API's own OpenAPI schema, driven by hypothesis): whatever the input, the server never
answers 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from test_api import api  # noqa: F401 (fixture: a running inbox with API keys)

EXAMPLES = 40   # per operation: ~280 requests in all, about half a minute


def test_no_generated_request_makes_a_server_error(api):  # noqa: F811 (the imported fixture)
    schema = schemathesis.openapi.from_url(f"{api.base}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7, [op.label for op in operations]
    sent = []
    for operation in operations:
        # Complaints are a system's (an intake key); approvals a person's.
        who = "chen" if operation.path.startswith("/approvals") else "hotline"
        _fuzz(operation, f"{api.base}/api/v1", {"Authorization": f"Bearer {api.tokens[who]}"},
              sent)
    assert len(sent) >= len(operations) * EXAMPLES // 2   # the requests were really made


def _fuzz(operation, base_url: str, headers: dict, sent: list) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def no_server_error(case):
        response = case.call_and_validate(base_url=base_url, checks=[not_a_server_error],
                                          headers=headers, timeout=30)
        sent.append(response.status_code)

    no_server_error()
