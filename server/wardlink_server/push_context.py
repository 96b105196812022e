"""What every push op handler shares: its transaction and caller, and how an op is refused.

An op handler runs inside the push's write transaction, in the op's own savepoint. It either
returns the seq of the event it appended, or raises `Rejected`, which rolls the savepoint back:
nothing of a rejected op is stored (DESIGN.md §4, "Push").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import Connection, bindparam, select

from wardlink.core import guard
from wardlink.core.guard import Finding, Rules
from wardlink.core.protocol import OpError, findings_detail
from wardlink_server import schema
from wardlink_server.audit import Actor
from wardlink_server.auth import Caller
from wardlink_server.services import Services

# What each kind of identifier is called in a rejection's message (never the text found).
_KIND_WORDS = {
    "nhs_number": "an NHS number",
    "chi_number": "a CHI number",
    "phone": "a phone number",
    "postcode": "a postcode",
    "dob": "a date of birth",
    "email": "an e-mail address",
    "address": "a street address",
    "name": "a name with a title",
    "hospital_number": "a hospital number",
}


_m, _st = schema.memberships, schema.staff
_IS_MEMBER: Final = select(_m.c.team_id).where(
    _m.c.team_id == bindparam("team_id"), _m.c.staff_id == bindparam("staff_id")
)
_NAME: Final = select(_st.c.display_name).where(_st.c.id == bindparam("staff_id"))


@dataclass(frozen=True)
class OpContext:
    services: Services
    caller: Caller
    conn: Connection
    now: str
    # What the ops of this push have read of the directory: no op changes it, and directory
    # changes wait for the write lock this push holds, so it stays true until the commit.
    known: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def actor(self) -> Actor:
        return Actor(self.caller.staff_id, self.caller.device_id)

    def is_member(self, team_id: str) -> bool:
        key = f"member {team_id}"
        found = self.known.get(key)
        if found is None:
            row = self.conn.execute(
                _IS_MEMBER, {"team_id": team_id, "staff_id": self.caller.staff_id}
            ).first()
            found = self.known[key] = row is not None
        return bool(found)

    def caller_name(self) -> str:
        name = self.known.get("name")
        if name is None:
            name = self.known["name"] = str(
                self.conn.execute(_NAME, {"staff_id": self.caller.staff_id}).scalar_one()
            )
        return str(name)

    def scan(self, text: str) -> list[Finding]:
        """The server's own guard run: the client is never trusted (DESIGN.md §6)."""
        rules = Rules(hospital_number_pattern=self.services.policy.hospital_number_pattern)
        return guard.scan(text, rules=rules)


class Rejected(Exception):
    """An op refused with a protocol error code; its transaction rolls back."""

    def __init__(self, code: str, message: str, **details: object) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    def error(self) -> OpError:
        return OpError(self.code, self.message, self.details)


def identifiers_found(findings: Sequence[Finding], what: str, **details: object) -> Rejected:
    """The `patient_identifiers` rejection: the kinds in words, and the spans."""
    kinds = [
        _KIND_WORDS.get(k, "a patient identifier") for k in dict.fromkeys(f.kind for f in findings)
    ]
    listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
    return Rejected(
        "patient_identifiers",
        f"The {what} looks like it contains {listed}. Patient details belong in a patient note, "
        "not in chat.",
        findings=findings_detail(findings),
        **details,
    )
