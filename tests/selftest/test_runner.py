"""The whole self-test: against the real record server all checks pass and it exits 0; any
failure makes it exit 1; `wardlink --self-test` on the command line, plain and JSON; no Qt but
QtCore, and only in the Qt check."""

from __future__ import annotations

import ast
import io
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.keyring_doubles import DictBackend, named_backend
from tests.sync.live_server import LiveServer
from wardlink.core import guard
from wardlink.core.policy import TomlPolicyFile
from wardlink.selftest.report import CheckResult, Report, Status, render_text
from wardlink.selftest.runner import SelfTestSetup, run_checks, run_self_test
from wardlink.selftest.server_check import ServerTimeouts

CHECKS = ["policy", "keyring", "sqlcipher", "data folder", "server", "qt"]
SELFTEST = Path(__file__).parents[2] / "desktop" / "wardlink" / "selftest"
Run = Callable[..., subprocess.CompletedProcess[str]]


def write_policy(tmp_path: Path, **values: str) -> Path:
    data = tmp_path / "wardlink-data"
    data.mkdir(mode=0o700, exist_ok=True)
    path = tmp_path / "policy.toml"
    lines = [f'data_dir = "{data}"', *(f'{k} = "{v}"' for k, v in values.items())]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def setup_for(policy: Path, keyring: DictBackend, **options: object) -> SelfTestSetup:
    return SelfTestSetup(
        policy_source=lambda: TomlPolicyFile(policy),
        keyring_backend=keyring,
        timeouts=ServerTimeouts(connect=2.0, read=5.0),
        **options,  # type: ignore[arg-type]
    )


def statuses(report: Report) -> dict[str, Status]:
    return {result.name: result.status for result in report.results}


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --- in process -----------------------------------------------------------------------------------


def test_everything_passes_against_the_live_server(
    live_server: LiveServer, allowed_keyring: DictBackend, tmp_path: Path
) -> None:
    policy = write_policy(
        tmp_path, server_url=live_server.url, server_public_key=live_server.services.public_key_b64
    )
    out = io.StringIO()
    code = run_self_test(setup=setup_for(policy, allowed_keyring), out=out)
    text = out.getvalue()
    assert code == 0, text
    for name in CHECKS:
        assert f"PASS  {name}" in text
    assert "0 failed. This computer is ready to use." in text


def test_a_server_that_is_down_fails_the_self_test(
    allowed_keyring: DictBackend, tmp_path: Path
) -> None:
    report = run_checks(setup_for(write_policy(tmp_path, server_url=closed_port_url()),
                                  allowed_keyring))  # fmt: skip
    assert statuses(report)["server"] is Status.FAIL
    assert report.exit_code == 1
    assert "NOT ready" in report.summary()


def test_a_pinned_key_mismatch_fails_the_self_test(
    live_server: LiveServer, allowed_keyring: DictBackend, tmp_path: Path
) -> None:
    other = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
    policy = write_policy(tmp_path, server_url=live_server.url, server_public_key=other)
    report = run_checks(setup_for(policy, allowed_keyring))
    assert statuses(report)["server"] is Status.FAIL
    assert report.exit_code == 1


def test_an_invalid_policy_fails_naming_the_key(
    live_server: LiveServer, allowed_keyring: DictBackend, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(f'server_url = "{live_server.url}"\nallow_pdf_export = "yes"\n')
    report = run_checks(setup_for(policy, allowed_keyring))
    found = statuses(report)
    assert found["policy"] is Status.FAIL
    assert "allow_pdf_export: must be true or false" in report.results[0].detail
    assert found["data folder"] is Status.WARN  # not checked: where would it be?
    assert found["server"] is Status.WARN
    assert found["keyring"] is found["sqlcipher"] is Status.PASS
    assert report.exit_code == 1


def test_the_server_option_checks_another_server_with_the_policys_rules(
    live_server: LiveServer, allowed_keyring: DictBackend, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path, server_url=closed_port_url())
    report = run_checks(setup_for(policy, allowed_keyring, server=live_server.url))
    assert statuses(report)["server"] is Status.PASS


def test_a_key_store_that_is_not_allowed_fails_the_self_test(
    live_server: LiveServer, tmp_path: Path
) -> None:
    plaintext = named_backend("keyrings.alt.file", "PlaintextKeyring")
    report = run_checks(setup_for(write_policy(tmp_path, server_url=live_server.url), plaintext))
    assert statuses(report)["keyring"] is Status.FAIL
    assert report.exit_code == 1


def test_no_server_address_only_warns(allowed_keyring: DictBackend, tmp_path: Path) -> None:
    report = run_checks(setup_for(write_policy(tmp_path), allowed_keyring))
    assert statuses(report)["server"] is Status.WARN
    assert report.exit_code == 0


def test_warnings_alone_pass_and_the_text_report_is_one_block_per_check() -> None:
    report = Report(
        "Wardlink self-test",
        (
            CheckResult("policy", Status.PASS, "fine"),
            CheckResult("qt", Status.WARN, "a long detail " * 12),
        ),
    )
    assert report.exit_code == 0
    lines = render_text(report).splitlines()
    assert lines[:3] == ["Wardlink self-test", "", "PASS  policy       fine"]
    assert lines[3].startswith("WARN  qt           a long detail")
    assert lines[4].startswith(" " * 19) and lines[4][19] != " "  # wrapped under the detail
    assert all(len(line) <= 100 for line in lines)
    assert (
        lines[-1] == "Summary: 1 passed, 1 with warnings, 0 failed. This computer is ready to use."
    )


# --- no Qt ----------------------------------------------------------------------------------------


def test_only_the_qt_check_imports_qt_and_only_qtcore() -> None:
    for path in sorted(SELFTEST.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        names = {
            alias.name if isinstance(node, ast.Import) else f"{node.module}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        qt = {n for n in names if n.split(".")[0] in ("PySide6", "shiboken6")}
        if path.name == "qt_check.py":
            assert qt == {"PySide6", "PySide6.QtCore"}
        else:
            assert qt == set(), path.name
        assert not any(n.startswith("wardlink.ui") for n in names), path.name


def test_the_checks_other_than_qt_run_without_loading_qt(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from wardlink.selftest.report import CheckResult, Status\n"
        "from wardlink.selftest.runner import SelfTestSetup, run_checks\n"
        "skip = lambda: CheckResult('qt', Status.WARN, 'skipped')\n"
        "report = run_checks(SelfTestSetup(check_qt=skip))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- on the command line --------------------------------------------------------------------------


def test_wardlink_self_test_on_the_command_line(
    run_wardlink: Run, live_server: LiveServer, tmp_path: Path
) -> None:
    policy = write_policy(
        tmp_path, server_url=live_server.url, server_public_key=live_server.services.public_key_b64
    )
    env = {"WARDLINK_POLICY_FILE": str(policy)}
    plain = run_wardlink("--self-test", env=env)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    for name in CHECKS:
        assert f"PASS  {name}" in plain.stdout
    assert "Secret Service is in use" in plain.stdout
    assert guard.scan(plain.stdout) == []  # nothing that looks like patient data
    assert "Traceback" not in plain.stderr

    as_json = run_wardlink("--self-test", "--json", env=env)
    assert as_json.returncode == 0
    report = json.loads(as_json.stdout)
    assert [c["name"] for c in report["checks"]] == CHECKS
    assert report["passed"] is True
    assert report["summary"] == {"passed": 6, "warnings": 0, "failed": 0}


def test_failures_on_the_command_line_exit_1(
    run_wardlink: Run, live_server: LiveServer, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path, server_url=live_server.url)
    env = {"WARDLINK_POLICY_FILE": str(policy)}
    down = run_wardlink("--self-test", "--server", closed_port_url(), env=env)
    assert down.returncode == 1
    assert "FAIL  server" in down.stdout
    no_keyring = run_wardlink("--self-test", keyring=False, env=env)
    assert no_keyring.returncode == 1
    assert "FAIL  keyring" in no_keyring.stdout
    assert "Traceback" not in down.stderr + no_keyring.stderr


def test_the_options_go_with_self_test(run_wardlink: Run) -> None:
    lone = run_wardlink("--json", keyring=False)
    assert lone.returncode == 2
    assert "--server and --json go with --self-test" in lone.stderr


def test_help_names_self_test_but_not_smoke_start(run_wardlink: Run) -> None:
    shown = run_wardlink("--help", keyring=False)
    assert shown.returncode == 0
    assert "--self-test" in shown.stdout
    assert "--smoke-start" not in shown.stdout
