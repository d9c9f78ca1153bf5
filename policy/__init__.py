"""The policy: schema, loader, shipped files."""


