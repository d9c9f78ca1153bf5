"""Prefect flows, one module per process. Importing one configures Prefect for kefu, and makes
a run that suspends to wait for a person log that at INFO, not ERROR (runtime/prefect_tuning.py)."""

from runtime.prefect_tuning import quiet_suspensions
from runtime.settings import configure

configure()
quiet_suspensions()
