"""Structured logs: one JSON line per event (or console lines in development), request ids."""

import logging
import re
import secrets
import sys
from typing import Any

import structlog
from structlog.typing import Processor

# An incoming X-Request-ID is kept only when it is short and made of safe characters, so a
# client cannot inject line breaks or megabytes into the logs.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_HANDLER_NAME = "portfolio"


def request_id_from(header: str | None) -> str:
    """Return the client's request id when it is sane, a fresh one otherwise."""
    if header is not None and _REQUEST_ID.fullmatch(header):
        return header
    return secrets.token_hex(16)


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return value if isinstance(value, str) else None


def get_logger(name: str) -> Any:
    """A structlog logger; its lines carry the request context."""
    return structlog.stdlib.get_logger(name)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time, as a process manager or test set it."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(*, level: str, console: bool) -> None:
    """Route structlog and the standard library (uvicorn's loggers too) through one format."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    renderer: Processor = (
        # Tracebacks without their frames' locals: those hold request headers (tokens among
        # them), and rendering them made one error print tens of thousands of lines.
        structlog.dev.ConsoleRenderer(
            exception_formatter=structlog.dev.RichTracebackFormatter(show_locals=False)
        )
        if console
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *([] if console else [structlog.processors.format_exc_info]),
            renderer,
        ],
    )
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    # Calling again (a second app in one process) replaces the handler instead of doubling it.
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # The service writes its own access line, with the request id, route and token.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
