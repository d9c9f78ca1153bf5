"""Running kefu: the local Prefect server, the worker that serves our flows, waking flows."""
