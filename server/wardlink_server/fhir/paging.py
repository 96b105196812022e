"""Opaque page links: `?_page=<token>`, the search's parameters sealed inside.

A Bundle's `self`, `next` and `previous` links never spell a search's parameters: a search made
with `POST .../_search` (so that an NHS number stays out of URLs) must not have its number put
back into the links. Each token is the search (type, parameters, offset, `_count`) encrypted with
AES-GCM under a server secret, bound to the caller who made it, so it is useless to anyone else
and cannot be altered. It also carries the event seq the first page was read at: later pages
read the same snapshot of the record, so nothing filed meanwhile shifts them (what is filed
later is found by searching again). Tokens hold no state on the server and work on any of its
processes.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wardlink_server.errors import ApiError

_NONCE_BYTES = 12
_MAX_TOKEN_CHARS = 8000


@dataclass(frozen=True)
class PageState:
    type: str
    id: str | None  # the resource whose history this pages; None for a search
    pairs: tuple[tuple[str, str], ...]
    offset: int
    count: int
    bound: int  # the event seq the first page was read at

    def at(self, offset: int) -> PageState:
        return PageState(self.type, self.id, self.pairs, offset, self.count, self.bound)


def seal(key: bytes, caller_id: str, state: PageState) -> str:
    plain = json.dumps(
        [state.type, state.id, [list(p) for p in state.pairs], state.offset, state.count,
         state.bound],
        separators=(",", ":"),
    ).encode("utf-8")  # fmt: skip
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = nonce + AESGCM(key).encrypt(nonce, plain, caller_id.encode("utf-8"))
    return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")


def unseal(key: bytes, caller_id: str, token: str) -> PageState:
    """The page a token names; 400 if it is not one this server made for this caller."""
    try:
        if len(token) > _MAX_TOKEN_CHARS:
            raise ValueError("too long")
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        nonce, body = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
        plain = AESGCM(key).decrypt(nonce, body, caller_id.encode("utf-8"))
        kind, rid, pairs, offset, count, bound = json.loads(plain)
        return PageState(
            str(kind), None if rid is None else str(rid),
            tuple((str(name), str(value)) for name, value in pairs),
            int(offset), int(count), int(bound),
        )  # fmt: skip
    except (ValueError, TypeError, InvalidTag, binascii.Error, UnicodeEncodeError):
        raise ApiError(
            "invalid", "That page link is not valid here. Run the search again.", field="_page"
        ) from None
