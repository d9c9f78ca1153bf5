"""Prefect flows, one module per process. Importing one configures Prefect for kefu."""

from runtime.settings import configure

configure()
