"""Runs the checks in order and prints the report (`wardlink --self-test`)."""

from __future__ import annotations

import platform as platform_mod
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import keyring.backend

from wardlink import __version__
from wardlink.core.policy import MachinePolicySource, data_folder, machine_policy_source
from wardlink.selftest.data_folder_check import NAME as DATA_FOLDER
from wardlink.selftest.data_folder_check import check_data_folder
from wardlink.selftest.keyring_check import check_keyring
from wardlink.selftest.policy_check import check_policy
from wardlink.selftest.qt_check import check_qt
from wardlink.selftest.report import CheckResult, Report, Status, render_json, render_text
from wardlink.selftest.server_check import ServerTimeouts, check_server
from wardlink.selftest.sqlcipher_check import check_sqlcipher


@dataclass
class SelfTestSetup:
    """What the checks look at; the defaults are this computer's, as the app would see it."""

    server: str | None = None  # `--server`: check this address instead of the policy's
    policy_source: Callable[[], MachinePolicySource] = machine_policy_source
    keyring_backend: keyring.backend.KeyringBackend | None = None  # None: the OS keyring
    timeouts: ServerTimeouts = field(default_factory=ServerTimeouts)
    check_qt: Callable[[], CheckResult] = check_qt


def run_checks(setup: SelfTestSetup) -> Report:
    outcome = check_policy(setup.policy_source())
    results = [outcome.result, check_keyring(setup.keyring_backend), check_sqlcipher()]
    if outcome.policy is None:
        results.append(
            CheckResult(DATA_FOLDER, Status.WARN, "Not checked: the machine policy is not valid.")
        )
    else:
        results.append(check_data_folder(data_folder(outcome.policy)))
    results.append(check_server(outcome.policy, setup.server, timeouts=setup.timeouts))
    results.append(setup.check_qt())
    title = (
        f"Wardlink {__version__} self-test on {platform_mod.node() or 'this computer'} "
        f"({sys.platform}, Python {platform_mod.python_version()})"
    )
    return Report(title, tuple(results))


def run_self_test(
    server: str | None = None,
    *,
    as_json: bool = False,
    setup: SelfTestSetup | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the report; 0 if no check failed, else 1."""
    setup = setup or SelfTestSetup()
    if server is not None:
        setup.server = server
    report = run_checks(setup)
    (out or sys.stdout).write(render_json(report) if as_json else render_text(report))
    return report.exit_code
