"""A TLS failure in plain words: what is wrong with the server's certificate, and what to do."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

# OpenSSL's verification results (X509_V_ERR_*) that an IT admin meets in practice.
_EXPIRED: Final = 10
_NOT_YET_VALID: Final = 9
_SELF_SIGNED: Final = 18
_SELF_SIGNED_IN_CHAIN: Final = 19
_UNKNOWN_ISSUER: Final = 20
_UNVERIFIABLE_LEAF: Final = 21
_HOSTNAME_MISMATCH: Final = 62
_IP_ADDRESS_MISMATCH: Final = 64


def _verification_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error somewhere inside a requests/urllib3 error."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        pending.extend(a for a in current.args if isinstance(a, BaseException))
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                pending.append(linked)
    return None


def certificate_problem(exc: BaseException, url: str, bundle: Path | None) -> str:
    host = urlsplit(url).hostname or url
    trust = (
        f"add the CA certificate that issued it to the CA bundle (ca_bundle, {bundle})"
        if bundle is not None
        else "set ca_bundle in the machine policy to a file holding the CA certificate that "
        "issued it, or install that CA on this computer"
    )
    found = _verification_error(exc)
    if found is None:
        return (
            "the secure (TLS) connection could not be set up: the server may not speak https on "
            "this port, or a proxy interfered."
        )
    code = found.verify_code
    if code == _EXPIRED:
        return "the server's certificate has expired. Ask the server's administrators to renew it."
    if code == _NOT_YET_VALID:
        return (
            "the server's certificate is not valid yet. Check this computer's date and time, "
            "or ask the server's administrators."
        )
    if code in (_HOSTNAME_MISMATCH, _IP_ADDRESS_MISMATCH):
        return (
            f"the server's certificate is not for the name {host}. Check the address in "
            "server_url, or ask the server's administrators for a certificate with that name."
        )
    if code in (_SELF_SIGNED, _SELF_SIGNED_IN_CHAIN, _UNKNOWN_ISSUER, _UNVERIFIABLE_LEAF):
        return (
            "the server's certificate is issued by an authority this computer does not trust: "
            f"{trust}."
        )
    reason = found.verify_message or "unknown reason"
    return f"the server's certificate was not accepted ({reason})."
