"""SQLAlchemy 2.0 models. Importing this package registers every table on ``Base.metadata``."""

from models.api import ApiIdempotency, ApiKey
from models.approval import ApprovalStatus, ApprovalTask, Clock, Escalation
from models.archives import ArchiveRequest, ArchiveRequestStatus, SecrecyMark
from models.base import Base
from models.callback import Callback, CallbackStatus
from models.complaint import Complaint, ComplaintStatus, ScoreEntry
from models.credit import CreditPayment, CreditRequest
from models.customer import Customer
from models.history import ArchiveRecord, CaseEvent, Notification
from models.inbox import (
    Account,
    AuditEntry,
    Delegation,
    InboxSession,
    LinkToken,
    LoginThrottle,
)
from models.mailbox import MailboxMessage
from models.org import Department, Person
from models.prospect import Prospect, ProspectStatus, Spend, SpendStatus, TrackingRecord
from models.survey import CorrectiveAction, SurveyRound
from models.tier import CustomerYearFigures, GradeChange, TierAssessment, TierCase
from models.visit import PlannedVisit, SiteVisitRequest, SiteVisitStatus, VisitPlan, VisitPlanStatus
from models.worker import RunProcess, WorkerLease

__all__ = [
    "ArchiveRequest", "ArchiveRequestStatus", "SecrecyMark",
    "ApiIdempotency", "ApiKey",
    "Callback", "CallbackStatus",
    "MailboxMessage",
    "Account", "AuditEntry", "Delegation", "InboxSession", "LinkToken", "LoginThrottle",
    "ApprovalStatus", "ApprovalTask", "ArchiveRecord", "Base", "CaseEvent", "Clock", "Complaint",
    "ComplaintStatus", "Customer", "Department", "Escalation", "Notification", "Person",
    "ScoreEntry",
    "Prospect", "ProspectStatus", "Spend", "SpendStatus", "TrackingRecord",
    "ScoreEntry", "CustomerYearFigures", "GradeChange", "TierAssessment", "TierCase",
    "CorrectiveAction", "SurveyRound", "CreditPayment", "CreditRequest",
    "PlannedVisit", "SiteVisitRequest", "SiteVisitStatus", "VisitPlan", "VisitPlanStatus",
    "RunProcess", "WorkerLease",
]
