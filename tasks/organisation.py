"""Copy the policy's departments and people into the database (``kefu init``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Department, Person
from policy.schema import Policy


def sync_organisation(session: Session, policy: Policy) -> dict[str, int]:
    """Insert or update every department and person; people no longer listed become inactive."""
    for dept in policy.organisation.departments:
        row = session.get(Department, dept.key) or Department(key=dept.key)
        row.name, row.head_key = dept.name, dept.head
        session.add(row)
    session.flush()
    listed = set()
    for person in policy.organisation.people:
        listed.add(person.key)
        row = session.get(Person, person.key) or Person(key=person.key)
        row.name, row.title, row.department_key = person.name, person.title, person.department
        row.superior_key, row.roles, row.active = person.superior, list(person.roles), True
        session.add(row)
    for row in session.scalars(select(Person).where(Person.key.not_in(listed))):
        row.active = False
    return {"departments": len(policy.organisation.departments), "people": len(listed)}
