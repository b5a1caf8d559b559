"""Documented configuration defaults; override with FUHUA_* environment variables."""

from __future__ import annotations

import os
from datetime import timedelta


def database_url_from_env() -> str | None:
    """FUHUA_DATABASE_URL wins; a bare postgresql:// URL is pointed at psycopg 3."""
    url = os.environ.get("FUHUA_DATABASE_URL") or os.environ.get("FUHUA_SQLALCHEMY_DATABASE_URI")
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    # development default only; create_app refuses it outside debug/testing
    SECRET_KEY = "dev"
    # the audit chain's HMAC key (FUHUA_AUDIT_KEY), kept apart from SECRET_KEY and from the database;
    # development default only, refused outside debug/testing like the secret key
    AUDIT_KEY = "dev-audit"
    # no event system needed; saves memory
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # recycle pooled connections and test them, so a restarted PostgreSQL does not break requests
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Chinese first; English available through the language switch
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    # upload cap (bytes): self-report workbooks are small; a bigger body is refused with 413
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    # rows shown per registry page
    PAGE_SIZE = 25
    # session cookies: HttpOnly always; Secure when served over HTTPS (set FUHUA_SESSION_COOKIE_SECURE=true)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    REMEMBER_COOKIE_HTTPONLY = True
    # CSRF tokens expire with the session
    WTF_CSRF_TIME_LIMIT = None
    # failed logins are remembered this long; after a few free ones each attempt waits 1, 2, 4 ... s
    # (registry.auth.operations): per username and address, per address, per username from anywhere
    LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
    LOGIN_FREE_PER_ACCOUNT_ADDRESS = 3
    LOGIN_FREE_PER_ADDRESS = 10
    LOGIN_FREE_PER_ACCOUNT = 10
    LOGIN_DELAY_BASE = timedelta(seconds=1)
    LOGIN_DELAY_MAX = timedelta(minutes=15)
    # the wait strangers can impose on an account (browsers that logged into it before are exempt)
    LOGIN_ACCOUNT_DELAY_MAX = timedelta(minutes=1)
    # login POSTs per client address (Flask-Limiter; per worker unless RATELIMIT_STORAGE_URI is shared)
    LOGIN_RATE_LIMIT = "30 per minute"
    RATELIMIT_STORAGE_URI = "memory://"
    # no X-RateLimit headers: they would also overwrite the login delay's own Retry-After
    RATELIMIT_HEADERS_ENABLED = False
    # reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none, trust no header)
    TRUSTED_PROXIES = 0
    # a session unused for this long is logged out (PERMANENT_SESSION_LIFETIME caps its total age)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    # where the review workflow finds a system's reviewer-scored items: (category, year, subclass) -> system;
    # None means assessment.load_system
    REVIEW_SYSTEM_LOADER = None
    # run Alembic migrations on start, so a new install or an upgrade needs no extra step
    AUTO_MIGRATE = True
    # the bureau's own data root (FUHUA_SYSTEMS_ROOT): a folder laid out like the package's (systems/…, criteria/…)
    # whose files override or add to the shipped indicator systems and criteria; None = shipped files only
    SYSTEMS_ROOT = None
    # `assess run` refuses a year in which fewer than this share of the institutions due have a current
    # self-report (override with --force and a note)
    ASSESS_MIN_REPORT_SHARE = 0.5
    # label shown on every page while the database holds synthetic demo data
    SHOW_DEMO_BANNER = True
    # the job queue's broker: "redis://host:6379/0" in production (run `fuhua worker` processes), or
    # "sqlite:///path"; None means instance/jobs.sqlite (tests: "immediate", jobs run where started)
    JOBS_BROKER_URL = None
    # work the queue from threads of the web process; None: yes for an SQLite broker, no for Redis
    JOBS_INPROCESS_WORKER = None
    # the queue's name on the broker (several deployments, or test runs, can share one Redis)
    JOBS_QUEUE_NAME = "fuhua"
    # e-mail (Flask-Mailman over SMTP): set FUHUA_MAIL_SERVER (and _PORT, _USERNAME, _PASSWORD, _USE_TLS);
    # without a server, e-mails are written to the log instead of being sent
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_DEFAULT_SENDER = "fuhua@localhost"
