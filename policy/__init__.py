"""The policy: schema, loader, shipped files."""

import policy.schema  # noqa: F401  (policy.new_customer builds on it)
