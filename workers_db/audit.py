"""The audit trail: every change a person, a token or a job makes leaves one row, written by the
operation that makes the change (in the caller's transaction), never by the view.

Who acted is one string of one format, `kind:id` (also stored in `resolved_by` and
`approved_by`):

- `user:<admin_users.id>`: a person signed in to the admin UI;
- `token:<api_tokens.id>`: an API token (of any role, a reader agent's too);
- `cli:<login name>`: a command run on the server (`genba-call import`, `link-card`, …);
- `system:<job>`: a background job (`system:reconcile`), the call flow (`system:call`), or
  code that sets data up
  (`system:demo` for `genba-call demo`; `system:setup`, the default of the creating operations,
  for tests and benchmarks);
- `anonymous`: nobody signed in (a failed login names the address tried in its detail).

Each operation has one action name (`create_company`, `resolve_exception`, …), whichever
surface calls it.
"""

from __future__ import annotations

import getpass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from workers_db.models import AuditEntry, utcnow

ANONYMOUS = "anonymous"


class Acting(Protocol):
    """Who is asking (a `Principal`): a login's user id or a token's id."""

    @property
    def token_id(self) -> int | None: ...

    @property
    def user_id(self) -> int | None: ...


def actor_of(principal: Acting) -> str:
    """The audit name of a signed-in user or an API token."""
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    if principal.user_id is not None:
        return f"user:{principal.user_id}"
    return ANONYMOUS


def user_actor(user_id: int) -> str:
    return f"user:{user_id}"


def cli_actor(name: str | None = None) -> str:
    """A command run on the server, named by the login that ran it (or `name`)."""
    return f"cli:{name or getpass.getuser()}"


def system_actor(job: str) -> str:
    return f"system:{job}"


SETUP_ACTOR = system_actor("setup")


def audit(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: object | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an audit row in the caller's transaction (it commits or rolls back with the change)."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
    )
    session.add(entry)
    return entry
