"""What the serving server writes to its log, kept free of patient identifiers (DESIGN.md §5).

The app logs each request's path, never its query string, and database errors never carry
their parameters (`database`). Two more nets catch what those cannot foresee:
- `guard_errors` wraps the served app: an exception that escapes a request (after the app has
  answered 500) is logged with its class and the code lines it passed through, never its message:
  a database driver's message may quote the row it refused. Long-polls cancelled at shutdown
  end quietly.
- `RedactingFormatter` formats every log line the server writes (its own, uvicorn's, any
  library's) and removes whatever the patient-identifier guard finds in it, tracebacks included.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from pathlib import Path
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

from wardlink.core import guard

log = logging.getLogger("wardlink_server.errors")

REDACTED: Final = "[redacted]"
FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line has been through the patient-identifier guard."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def redact(text: str) -> str:
    findings = guard.scan(text)
    if not findings:
        return text
    pieces: list[str] = []
    end = 0
    for finding in sorted(findings, key=lambda f: f.start):
        pieces += [text[end : finding.start], REDACTED]
        end = finding.end
    return "".join([*pieces, text[end:]])


def log_config(level: str = "INFO") -> dict[str, Any]:
    """`logging.config.dictConfig` settings: every logger to stderr through the redaction."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"redacting": {"()": f"{__name__}.RedactingFormatter", "fmt": FORMAT}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "redacting",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            # Off: it would log query strings. The app logs each request's path instead.
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "wardlink_server": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def describe(exc: BaseException) -> str:
    """The exception's class and the lines of Wardlink's code it passed through, and the line
    that raised it, without its message (nor its causes')."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames[:-1] if _OUR_PACKAGES & set(Path(f.filename).parts)]
    where = "".join(
        f"\n  {Path(f.filename).name}:{f.lineno} in {f.name}" for f in [*ours, *frames[-1:]]
    )
    return f"{type(exc).__module__}.{type(exc).__qualname__}{where}"


_OUR_PACKAGES: Final = frozenset({"wardlink_server", "wardlink"})


def guard_errors(app: ASGIApp) -> ASGIApp:
    """`app`, with what escapes a request logged as `describe` puts it instead of re-raised
    (the server would log the message). The app has answered 500 already, if it still could."""

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        try:
            await app(scope, receive, send)
        except Exception as exc:  # the point: nothing escapes with its message
            log.error("unexpected error while handling a request: %s", describe(exc))
        except asyncio.CancelledError:
            # Shutting down: uvicorn cancels what outlived the graceful period (long-polls).
            # Ending the request here spares the log a traceback for each of them.
            return

    return guarded
