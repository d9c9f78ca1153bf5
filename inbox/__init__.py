"""The approvers' inbox: a small server-rendered web app (FastAPI + Jinja2)."""
