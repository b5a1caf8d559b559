"""The task queue: Huey, with its broker chosen by configuration.

- ``JOBS_BROKER_URL = "redis://host:6379/0"`` (production): jobs go to Redis; ``fuhua worker``
  processes, on this or other machines, take them.
- ``sqlite:///path`` (the default, ``instance/jobs.sqlite``): Huey's SQLite storage, no server to
  run; the web process starts its own worker threads (``JOBS_INPROCESS_WORKER``), so the
  quickstart stays one command.
- ``"immediate"``: Huey's immediate mode runs each job at once in the caller (the test default).

The queue only carries a job id; the job's record (registry.models.jobs.Job) is in the database.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey
from huey.consumer import Consumer

log = logging.getLogger(__name__)
QUEUE_NAME = "fuhua"
#: longest wait between two polls of an idle worker (Huey's default of 10 s would delay a run started from the web)
POLL_MAX_DELAY = 1.0


def broker_url(app: Flask) -> str:
    url = app.config.get("JOBS_BROKER_URL")
    if url:
        return str(url)
    if app.testing:
        return "immediate"
    return f"sqlite:///{Path(app.instance_path) / 'jobs.sqlite'}"


def make_huey(app: Flask) -> Huey:
    """A Huey instance for the configured broker (tasks are registered on it by registry.jobs.tasks)."""
    url = broker_url(app)
    name = app.config.get("JOBS_QUEUE_NAME") or QUEUE_NAME
    if url == "immediate":
        return MemoryHuey(name, immediate=True, results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False)
    raise RuntimeError(f"JOBS_BROKER_URL must be redis://…, sqlite:///… or immediate; got {url!r}")


def broker_kind(huey: Huey) -> str:
    if huey.immediate:
        return "immediate"
    return "redis" if isinstance(huey, RedisHuey) else "sqlite"


def ping(huey: Huey) -> bool:
    """Is the broker reachable? (Redis may be down; SQLite and immediate mode always are.)"""
    if isinstance(huey, RedisHuey) and not huey.immediate:
        try:
            return bool(huey.storage.conn.ping())
        except Exception:  # noqa: BLE001 — any connection error means "not reachable"
            return False
    return True


class InProcessConsumer(Consumer):
    """Huey's consumer run as threads inside another process (the web server, a CLI command).

    Signal handlers belong to the host process (and can only be set from the main thread), so
    this consumer leaves them alone; stop it with ``stop()``.
    """

    def _set_signal_handlers(self) -> None:  # noqa: D401 — the host process owns its signals
        return None


_started: dict[int, InProcessConsumer] = {}
_lock = threading.Lock()


def start_inprocess_worker(huey: Huey, workers: int = 1) -> InProcessConsumer | None:
    """Start worker threads for `huey` in this process, once. Not for immediate mode."""
    if huey.immediate:
        return None
    with _lock:
        consumer = _started.get(id(huey))
        if consumer is None:
            consumer = InProcessConsumer(huey, workers=workers, worker_type="thread", periodic=True,
                                         check_worker_health=False, max_delay=POLL_MAX_DELAY)
            consumer.start()
            _started[id(huey)] = consumer
            log.info("in-process job worker started (%s worker thread(s))", workers)
        return consumer


def stop_inprocess_worker(huey: Huey) -> None:
    with _lock:
        consumer = _started.pop(id(huey), None)
    if consumer is not None:
        consumer.stop(graceful=True)


def consumer_options(**overrides: Any) -> dict[str, Any]:
    """Options of a `fuhua worker` consumer: threads (jobs are mostly database work), hourly checks on."""
    options: dict[str, Any] = {"workers": 1, "worker_type": "thread", "periodic": True,
                               "max_delay": POLL_MAX_DELAY}
    options.update({k: v for k, v in overrides.items() if v is not None})
    return options
