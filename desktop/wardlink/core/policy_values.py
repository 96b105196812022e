"""How each kind of policy value is checked and put in its one normal form.

Every check takes the raw value as TOML or JSON gives it (or a value already in normal form) and
returns the normal form, or raises `PolicyError` naming the key. Messages are plain language for an
IT admin or a user, and never repeat the value: a URL may carry a password, a pattern may be
sensitive, and nothing here needs to echo what it was given.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit


class PolicyError(ValueError):
    """A policy value (or the policy file) is not acceptable; the message says which and why.

    `source` ("machine" or "server") says who must fix it: IT on this PC, or the record server's
    administrators. It is None where the caller checked a single value.
    """

    def __init__(self, key: str, message: str, *, source: str | None = None) -> None:
        self.key = key
        self.reason = message
        self.message = f"{key}: {message}"
        self.source = source
        super().__init__(self.message)


class PolicyFileError(PolicyError):
    """The machine policy file cannot be read or is not valid TOML."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(where, reason, source="machine")


def whole_number(key: str, value: object, *, low: int, high: int, unit: str) -> int:
    """An int in [low, high]; booleans and floats are refused even when they look whole."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PolicyError(key, f"must be a whole number of {unit} between {low} and {high}")
    return value


def true_or_false(key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(key, "must be true or false")
    return value


def _text(key: str, value: object, what: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(key, f"must be {what}")
    if len(value) > max_length:
        raise PolicyError(key, f"must be {what} of at most {max_length} characters")
    return value.strip()


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def server_url(key: str, value: object) -> str:
    """An https URL, or http to this machine only (127.0.0.0/8, ::1, localhost).

    Normal form: as given, without a trailing slash. No user name or password in the URL (sign-in
    asks for those), and no query or fragment.
    """
    what = "an https:// URL of the record server (http:// only to this computer)"
    text = _text(key, value, what, 2000)
    if _CONTROL_OR_SPACE.search(text):
        raise PolicyError(key, f"must be {what}, with no spaces in it")
    try:
        parts = urlsplit(text)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        raise PolicyError(key, f"must be {what}") from None
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        raise PolicyError(key, f"must be {what}")
    if port == 0:
        raise PolicyError(key, f"must be {what}, with a port between 1 and 65535")
    if parts.username is not None or parts.password is not None:
        raise PolicyError(key, "must not contain a user name or password; sign-in asks for them")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise PolicyError(key, f"must be {what}, without a query (?) or fragment (#)")
    if scheme == "http" and not _is_loopback(host):
        raise PolicyError(
            key, "must use https://; plain http:// is allowed only to this computer (localhost)"
        )
    return text.rstrip("/")


def ed25519_public_key(key: str, value: object) -> str:
    """The 32 bytes of an Ed25519 public key (RFC 8032), kept as standard base64.

    Accepted as standard base64 with padding (44 characters, the form Wardlink prints) or as 64
    hexadecimal digits; the two cannot be confused because their lengths differ.
    """
    what = "an Ed25519 public key: 44 characters of base64 or 64 hexadecimal digits"
    text = _text(key, value, what, 200)
    raw: bytes | None = None
    if len(text) == 64:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    elif len(text) == 44:
        try:
            raw = base64.b64decode(text, validate=True)
        except binascii.Error:
            raw = None
    if raw is None or len(raw) != 32:
        raise PolicyError(key, f"must be {what}")
    return base64.b64encode(raw).decode("ascii")


def decode_public_key(text: str) -> bytes:
    """The 32 raw bytes of a key in the normal form `ed25519_public_key` returns."""
    return base64.b64decode(text, validate=True)


def absolute_path(key: str, value: object) -> Path:
    """An absolute path on this platform; whether it exists is checked where it is used."""
    what = "an absolute path (starting from the root of a drive or the file system)"
    if isinstance(value, Path):
        value = str(value)
    text = _text(key, value, what, 4000)
    if "\x00" in text:
        raise PolicyError(key, f"must be {what}")
    path = Path(text)
    if not path.is_absolute():
        raise PolicyError(key, f"must be {what}")
    return path


# A sample of ward text on which a guard pattern must not find an empty span: a zero-width
# match (`\b`, a lookahead) would make the composer flag nothing visible and block every message.
_ZERO_WIDTH_PROBE = "Bed 4, bay B: RX123456 obs 36.8 ok. MRN-0042 x"


def guard_pattern(key: str, value: object) -> str:
    """A Python regular expression that compiles and never matches an empty span."""
    what = "a regular expression (Python syntax) for the hospital number"
    if not isinstance(value, str) or not value:
        raise PolicyError(key, f"must be {what}")
    if len(value) > 500:
        raise PolicyError(key, f"must be {what} of at most 500 characters")
    try:
        compiled = re.compile(value)
    except re.error as exc:
        position = f" at position {exc.pos}" if exc.pos is not None else ""
        raise PolicyError(key, f"is not a valid regular expression ({exc.msg}{position})") from None
    if compiled.search("") is not None or any(
        m.end() == m.start() for m in compiled.finditer(_ZERO_WIDTH_PROBE)
    ):
        raise PolicyError(key, "must not match empty text; it would flag every message")
    return value


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+", re.ASCII)
_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+", re.ASCII)


def identifier_system(key: str, value: object) -> str:
    """A URI naming an identifier system, e.g. `urn:oid:…` or `https://…`."""
    what = "a URI such as urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53"
    if not isinstance(value, str) or len(value) > 255 or not _URI.fullmatch(value):
        raise PolicyError(key, f"must be {what}")
    if value.lower().startswith("urn:oid:") and not _OID.fullmatch(value[8:]):
        raise PolicyError(key, f"must be {what}: the part after urn:oid: is not an OID")
    return value
