"""What several ``kefu worker`` processes share through kefu's database (issue 20 §2): leases
(each worker's presence, and which one of them does the installation's chores) and which
process runs each flow run's current segment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class WorkerLease(Base):
    """A named lease: ``worker <holder>`` rows say a worker lives (renewed every round);
    ``reconcile`` names the one worker that reconciles and restarts dead runs. A holder is
    ``host:pid:nonce``; a lease is free once expired, or at once when its holder is a process
    of this host that no longer exists."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]


class RunProcess(Base):
    """The process running a flow run's current segment, written by the run itself when it
    enters Running (``state_id``: that Running state). A run Running with a matching row whose
    process is gone is an orphan; one without is judged by its age."""

    __tablename__ = "run_processes"

    flow_run_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state_id: Mapped[str] = mapped_column(String(36))
    holder: Mapped[str] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int]
    recorded_at: Mapped[datetime]
