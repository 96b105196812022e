"""Check: the machine policy loads and validates, as the app would read it at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from wardlink.core.policy import MachinePolicySource, Policy, PolicyError, merge
from wardlink.selftest.report import CheckResult, Status

NAME = "policy"


@dataclass(frozen=True)
class PolicyOutcome:
    result: CheckResult
    policy: Policy | None  # None when the policy is not valid (the app would not start)


def check_policy(source: MachinePolicySource) -> PolicyOutcome:
    where = source.describe()
    try:
        raw = source.read()
        policy = merge(raw, None, None)
    except PolicyError as exc:
        detail = (
            f"The machine policy ({where}) is not valid, so Wardlink will not start: {exc.message}."
        )
        return PolicyOutcome(CheckResult(NAME, Status.FAIL, detail), None)
    keys = sorted(key for key, value in raw.items() if value is not None)
    if keys:
        found = f"The machine policy ({where}) is valid and sets {', '.join(keys)}."
    else:
        found = f"No machine policy is set ({where}); the defaults apply."
    server = (
        f" Record server: {policy.server_url}."
        if policy.server_url
        else " No record server address is set: users will be asked for it at sign-in."
    )
    return PolicyOutcome(CheckResult(NAME, Status.PASS, found + server), policy)
