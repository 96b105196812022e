"""The record server's deployment files for IT: the systemd unit (checked by `systemd-analyze
verify` where it exists, and field by field everywhere) and the nginx site (checked by
`nginx -t` where nginx exists, and directive by directive everywhere)."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.sources import PACKAGING
from wardlink.core.policy_schema import KEYS_BY_NAME
from wardlink_server.cli import build_parser
from wardlink_server.config import ServerConfig

SERVER = PACKAGING / "server"
UNIT_PATH = SERVER / "wardlink-server.service"
NGINX_PATH = SERVER / "nginx-wardlink.conf"
UNIT_TEXT = UNIT_PATH.read_text(encoding="utf-8")
NGINX_TEXT = NGINX_PATH.read_text(encoding="utf-8")
INSTALLED_SERVER = "/opt/wardlink-server/bin/wardlink-server"
LONG_POLL_S = ServerConfig(database_url="sqlite://").max_wait_s


def _unit() -> dict[str, dict[str, list[str]]]:
    """Section -> key -> values (a key may repeat, as SystemCallFilter does)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in UNIT_TEXT.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if header := re.fullmatch(r"\[(\w+)\]", line):
            current = sections.setdefault(header.group(1), {})
            continue
        assert current is not None, f"a setting outside any section: {line}"
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line}"
        current.setdefault(key, []).append(value)
    return sections


def _one(section: str, key: str) -> str:
    values = _unit()[section].get(key)
    assert values is not None and len(values) == 1, f"{section}.{key}"
    return values[0]


def test_the_unit_runs_the_server_as_its_own_user_on_loopback() -> None:
    assert set(_unit()) == {"Unit", "Service", "Install"}
    assert _one("Service", "User") == "wardlink-server"
    assert _one("Service", "Group") == "wardlink-server"
    assert _one("Service", "EnvironmentFile").startswith("/etc/wardlink-server/")
    assert _one("Install", "WantedBy") == "multi-user.target"
    command = shlex.split(_one("Service", "ExecStart"))
    assert command[0] == INSTALLED_SERVER
    args = build_parser().parse_args(command[1:])  # the server's own parser: no drift
    assert args.command == "serve"
    assert args.host == "127.0.0.1"
    assert args.port == 8080
    assert args.workers == 4
    assert args.database is None  # from WARDLINK_DATABASE_URL: no password in the process list
    example = (SERVER / "wardlink-server.env.example").read_text(encoding="utf-8")
    assert re.search(r"^WARDLINK_DATABASE_URL=postgresql://", example, re.MULTILINE)


def test_the_unit_is_hardened() -> None:
    service = _unit()["Service"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "PrivateTmp": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateDevices": "yes",
        "RestrictSUIDSGID": "yes",
        "CapabilityBoundingSet": "",
        "UMask": "0077",
        "StateDirectory": "wardlink-server",
    }.items():
        assert service.get(key) == [value], key
    assert "@system-service" in service["SystemCallFilter"]


def test_the_unit_lets_long_polls_end_on_a_stop() -> None:
    assert int(_one("Service", "TimeoutStopSec")) > LONG_POLL_S


def _systemd_analyze() -> str | None:
    return shutil.which("systemd-analyze")


@pytest.mark.skipif(_systemd_analyze() is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_verify_finds_nothing_to_say(tmp_path: Path) -> None:
    server = tmp_path / "wardlink-server"
    server.write_text("#!/bin/sh\n", encoding="utf-8")
    server.chmod(0o755)
    unit = tmp_path / "wardlink-server.service"
    unit.write_text(UNIT_TEXT.replace(INSTALLED_SERVER, str(server)), encoding="utf-8")
    done = subprocess.run(
        [str(_systemd_analyze()), "verify", "--man=no", str(unit)],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    about_ours = [line for line in done.stderr.splitlines() if unit.name in line]
    assert done.returncode == 0 and about_ours == [], done.stderr


def test_systemd_analyze_would_catch_a_mistake(tmp_path: Path) -> None:
    if _systemd_analyze() is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "broken.service"
    unit.write_text("[Service]\nExecStart=/bin/true\nProtectSystem=bogus\n", encoding="utf-8")
    done = subprocess.run(
        [str(_systemd_analyze()), "verify", "--man=no", str(unit)],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert "broken.service" in done.stderr


# --- nginx ------------------------------------------------------------------------------------


def _directives(name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]*);", NGINX_TEXT, re.MULTILINE)


def _seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value).groups()  # type: ignore[union-attr]
    return int(number) * (60 if unit == "m" else 1)


def test_the_braces_balance_and_every_statement_ends() -> None:
    depth = 0
    for line in NGINX_TEXT.splitlines():
        code = line.split("#", 1)[0].strip() if not line.strip().startswith("log_format") else line
        depth += code.count("{") - code.count("}")
        assert depth >= 0
        if code and not code.endswith(("{", "}", ";")) and "'" not in code:
            pytest.fail(f"an unterminated line: {line}")
    assert depth == 0


def test_tls_is_terminated_and_plain_http_redirected() -> None:
    assert "listen 443 ssl http2" in NGINX_TEXT
    assert _directives("ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    assert re.search(r"listen 80;.*?return 301 https://", NGINX_TEXT, re.DOTALL)


def test_it_proxies_to_the_servers_port_with_the_clients_address() -> None:
    upstream = re.search(r"upstream wardlink_record_server \{(.*?)\}", NGINX_TEXT, re.DOTALL)
    assert upstream is not None and "server 127.0.0.1:8080;" in upstream.group(1)
    assert set(_directives("proxy_pass")) == {"http://wardlink_record_server"}
    headers = _directives("proxy_set_header")
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in headers
    assert "X-Forwarded-Proto $scheme" in headers


def test_long_polls_outlast_the_servers_wait() -> None:
    for name in ("proxy_read_timeout", "proxy_send_timeout"):
        (value,) = _directives(name)
        assert _seconds(value) > LONG_POLL_S, name


def test_the_largest_photo_a_policy_allows_gets_through() -> None:
    cap = KEYS_BY_NAME["max_photo_mb"].check
    assert isinstance(cap, functools.partial)
    (value,) = _directives("client_max_body_size")
    assert value.endswith("m") and int(value[:-1]) >= cap.keywords["high"]


def test_no_query_string_or_referrer_reaches_the_access_log() -> None:
    (log_format,) = re.findall(r"log_format\s+wardlink_no_query\s+(.*?);", NGINX_TEXT, re.DOTALL)
    for leaky in (
        "$request ",
        '$request"',
        "$request_uri",
        "$args",
        "$query_string",
        "$http_referer",
    ):
        assert leaky not in log_format, leaky
    assert "$uri" in log_format
    logs = _directives("access_log")
    assert logs and all(line.endswith(" wardlink_no_query") for line in logs)
    assert all(line.endswith(" crit") for line in _directives("error_log"))


def test_metrics_and_the_api_docs_are_not_served() -> None:
    assert re.search(r"location = /metrics \{\s*return 404;", NGINX_TEXT)
    assert re.search(r"location ~ \^/\(docs\|redoc\|openapi\\.json\) \{\s*return 404;", NGINX_TEXT)
    assert "--metrics-port 9108" in UNIT_TEXT
    code = [line for line in NGINX_TEXT.splitlines() if not line.strip().startswith("#")]
    assert not [line for line in code if "9108" in line]


def _nginx() -> str | None:
    return (
        os.environ.get("WARDLINK_NGINX")
        or shutil.which("nginx")
        or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    )


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wardlink.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.skipif(_nginx() is None, reason="nginx is not installed (./dev package-check has one)")
def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    site = (
        NGINX_TEXT.replace("/etc/ssl/wardlink/fullchain.pem", str(cert))
        .replace("/etc/ssl/wardlink/privkey.pem", str(key))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    (tmp_path / "wardlink.conf").write_text(site, encoding="utf-8")
    temp_paths = "\n".join(
        f"    {kind}_temp_path {tmp_path}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n{temp_paths}\n    include {tmp_path}/wardlink.conf;\n}}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [str(_nginx()), "-t", "-q", "-p", str(tmp_path), "-e", f"{tmp_path}/error.log",
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
