"""Ending a signed-in session: the engine stopped, the server session ended if asked, the lane
closed and the key zeroed. Runs on the app's session worker, never the GUI thread. No Qt here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from wardlink.store.database import Store
from wardlink.store.errors import StoreError
from wardlink.sync.account_state import TOKEN_KEY, load_snapshot, load_token
from wardlink.sync.client import RecordClient
from wardlink.sync.engine import SyncEngine
from wardlink.sync.errors import SyncError
from wardlink.sync.transport import Timeouts
from wardlink.ui.sign_in_flow import Session

SIGN_OUT_TIMEOUTS = Timeouts(connect=5.0, read=30.0)
MakeClient = Callable[[str, Timeouts | None], RecordClient]


def forget_token(store: Store) -> None:
    """A store operation: drop the session token after signing out (it is dead anyway)."""
    store.delete_state(TOKEN_KEY)


def server_policy(store: Store) -> dict[str, object]:
    """A store operation: the server policy as last received."""
    return dict(load_snapshot(store).policy)


def close_session(
    session: Session, engine: SyncEngine | None, *, sign_out_with: MakeClient | None = None
) -> None:
    """Stop the engine (within a second), end the server session if `sign_out_with` gives a
    client for it, close the lane and zero the key."""
    if engine is not None:
        engine.stop(timeout=1.0)
    result = session.result
    if sign_out_with is not None and session.server_url and not result.lane.closed:
        _sign_out_with_server(session, sign_out_with)
    result.close()


def _sign_out_with_server(session: Session, make_client: MakeClient) -> None:
    """End the server session (offline: it ends at its expiry) and forget the token here."""
    assert session.server_url is not None
    client = make_client(session.server_url, SIGN_OUT_TIMEOUTS)
    try:
        client.token = session.result.lane.call(load_token)
        if client.token is not None:
            with contextlib.suppress(SyncError):
                client.sign_out()
        with contextlib.suppress(StoreError):
            session.result.lane.call(forget_token)
    finally:
        client.close()
