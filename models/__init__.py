"""SQLAlchemy 2.0 models. Importing this package registers every table on ``Base.metadata``."""

from models.approval import ApprovalStatus, ApprovalTask, Clock, Escalation
from models.base import Base
from models.complaint import Complaint, ComplaintStatus, ScoreEntry
from models.customer import Customer
from models.history import ArchiveRecord, CaseEvent, Notification
from models.inbox import Account, AuditEntry, Delegation, LinkToken
from models.org import Department, Person

__all__ = [
    "Account", "AuditEntry", "Delegation", "LinkToken",
    "ApprovalStatus", "ApprovalTask", "ArchiveRecord", "Base", "CaseEvent", "Clock", "Complaint",
    "ComplaintStatus", "Customer", "Department", "Escalation", "Notification", "Person",
    "ScoreEntry",
]
