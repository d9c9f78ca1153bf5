"""Who is meant by an assignee or escalation reference in the policy."""

from __future__ import annotations

from policy.base import Organisation
from policy.schema import Policy


class AssigneeError(ValueError):
    """A reference in the policy does not name anybody."""


def resolve_assignee(ref: str, policy: Policy, handler: str | None = None) -> str:
    """Turn ``handler``, ``person:KEY``, ``head:DEPT`` or ``role:ROLE`` into a person key."""
    org = policy.organisation
    kind, _, arg = ref.partition(":")
    if ref == "handler":
        if handler is None:
            raise AssigneeError("the case has no handler yet")
        return handler
    if kind == "person":
        return org.person(arg).key
    if kind == "head":
        head = org.department(arg).head
        if head is None:
            raise AssigneeError(f"department {arg!r} has no head")
        return head
    if kind == "role":
        for person in org.people:
            if arg in person.roles:
                return person.key
        raise AssigneeError(f"no person has role {arg!r}")
    raise AssigneeError(f"{ref!r} is not handler, person:KEY, head:DEPT or role:ROLE")


def superior_chain(person_key: str, org: Organisation) -> list[str]:
    """The person's superior, that superior's superior, … up to the top (no loops)."""
    chain: list[str] = []
    current = org.person(person_key).superior
    while current is not None and current not in chain and current != person_key:
        chain.append(current)
        current = org.person(current).superior
    return chain


def escalation_targets(refs: list[str], owner: str, policy: Policy) -> list[str]:
    """The people an escalation rung notifies, in order, each once.

    ``assignee`` is the clock's owner, ``superior`` their superior, ``superior.superior`` the
    next one up; when the chain is shorter than asked, the top of it is used.
    """
    targets: list[str] = []
    chain = superior_chain(owner, policy.organisation)
    for ref in refs:
        if ref == "assignee":
            found = owner
        elif ref.startswith("superior"):
            depth = ref.count("superior")
            found = chain[min(depth, len(chain)) - 1] if chain else owner
        else:
            found = resolve_assignee(ref, policy)
        if found not in targets:
            targets.append(found)
    return targets
