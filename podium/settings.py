"""Settings, read from the environment only when asked, so tests build apps with their own."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Environment = Literal["development", "test", "production"]
_ENVIRONMENTS: tuple[Environment, ...] = ("development", "test", "production")
LogFormat = Literal["text", "json"]
_LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
# A metrics token shorter than this is refused: it is all that keeps /metrics private.
METRICS_TOKEN_MIN_LENGTH = 32


class SettingsError(RuntimeError):
    """A setting is missing or unusable; raised at start-up, never mid-request."""


def default_data_dir(environ: Mapping[str, str]) -> Path:
    """Where the embedded database and generated secrets live: outside the repository."""
    if explicit := environ.get("PODIUM_DATA_DIR"):
        return Path(explicit).expanduser()
    xdg = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "podium"


def load_or_create_secret(path: Path) -> str:
    """Generate the signing secret once and keep it (mode 0600) so restarts keep sessions valid."""
    if path.exists():
        value = path.read_text().strip()
        if len(value) >= 32:
            return value
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _optional_flag(value: str | None) -> bool | None:
    """A flag that may be left unset (None), so its default can depend on other settings."""
    return None if value is None or not value.strip() else _flag(value, default=False)


def _seconds(env: Mapping[str, str], name: str, default: float, *, allow_zero: bool) -> float:
    """A duration in seconds; a negative one (or zero where that would mean "never wait") is refused at start-up."""
    raw = env.get(name, "")
    try:
        value = float(raw) if raw.strip() else default
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise SettingsError(f"{name} must be {'zero or more' if allow_zero else 'more than zero'} seconds")
    return value


def _count(env: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
    """A whole number from ``minimum`` to ``maximum`` (if given), refused at start-up otherwise."""
    raw = env.get(name, "")
    try:
        value = int(raw) if raw.strip() else default
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise SettingsError(f"{name} must be at most {maximum}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs to start; build with ``Settings.from_env()`` or directly in tests."""

    database_url: str
    secret_key: str
    environment: Environment = "development"
    data_dir: Path = field(default_factory=lambda: default_data_dir(os.environ))
    base_url: str = "http://127.0.0.1:8000"
    secure_cookies: bool = False
    echo_sql: bool = False
    # Log levels (podium/log_config.py): our own packages', and every library's (alembic, procrastinate, ...).
    log_level: str = "INFO"
    library_log_level: str = "WARNING"
    # "text": one readable line per record; "json": one JSON object per line with the request's id, for a log
    # collector (podium/log_config.py).
    log_format: LogFormat = "text"
    # Bearer token that opens GET /metrics (podium/metrics.py); empty: no /metrics route and no request metrics.
    metrics_token: str = ""
    # PostgreSQL connections each worker keeps open (opened at startup), and may open beyond that under load
    # (closed again when returned, so sustained overflow costs a new, cold PostgreSQL backend per request).
    # Waiting requests get one first come, first served (podium/db_pool.py). Few connections doing the work
    # beat many contending for the same rows and each warming its own caches: in the registration rush
    # (bench/registration_rush, 2 workers on 2 cores) 5 per worker placed ~860 orders/s, 10 + 5 ~680.
    # workers x (pool + overflow) must stay under max_connections.
    db_pool_size: int = 5
    db_max_overflow: int = 0
    # How long a request waits for the database before it answers 503 (podium/db_outage.py), in seconds.
    # Connect: opening a new connection (PostgreSQL). Statement: the longest one statement may run (PostgreSQL's
    # statement_timeout; the worker stops waiting for an answer a second later, for a database that answers
    # nothing at all) or wait for SQLite's write lock; 0 for no limit. Each statement is timed, not the request:
    # 15 s leaves a wide margin for the heaviest one (a CSV export's or a badge batch's query). Pool: the longest
    # a request waits for a free connection.
    db_connect_timeout: float = 5.0
    db_statement_timeout: float = 15.0
    db_pool_timeout: float = 10.0
    session_ttl_seconds: int = 12 * 3600
    # Failed logins, counted in the database so every worker behind the load balancer sees the same numbers
    # (podium/auth/lockout.py): per (address, account) pair and per address they lock that pair or address
    # out; per account, from anywhere, they guard the account: only addresses it logged in from before may
    # still try, and its owner is mailed an unlock link. Nobody can lock an owner out from elsewhere.
    login_max_failures: int = 5
    login_max_failures_per_ip: int = 50
    login_account_guard_failures: int = 20
    login_window_seconds: int = 15 * 60
    login_lockout_seconds: int = 15 * 60
    # Proxies whose X-Forwarded-For is believed (IPs or CIDRs); empty: the direct peer is the client.
    trusted_proxies: tuple[str, ...] = ()
    # Abuse limits per client address and per email, each over ``rate_limit_window_seconds`` (podium/
    # rate_limits.py). Per address they are sized for a university NAT where hundreds register at opening.
    rate_limit_window_seconds: int = 10 * 60
    order_limit_per_address: int = 300
    order_limit_per_email: int = 20
    waitlist_limit_per_address: int = 200
    waitlist_limit_per_email: int = 20
    login_limit_per_address: int = 200
    # Passwordless sign-in (podium/auth/sign_in.py): how long a mailed link and code work, how many may be live
    # per address at once (a new one retires the oldest), code tries per mailed sign-in, and the mails one
    # address, or requests one client address, may ask for per ``rate_limit_window_seconds``.
    sign_in_ttl_seconds: int = 15 * 60
    sign_in_live_per_email: int = 3
    sign_in_code_tries: int = 5
    sign_in_limit_per_email: int = 5
    sign_in_limit_per_address: int = 100
    # New secret links mailed per order or registration (organizers' aren't counted): a leaked link can't be
    # used to flood its holder's inbox.
    link_mails_per_link: int = 5
    # Unpaid holds (pending orders) one buyer email, or one address, may have open at one event at once.
    open_holds_per_email: int = 3
    open_holds_per_address: int = 20
    # How often each worker sweeps expired seat holds and writes the mails due since (an unpaid order's "pay by",
    # reminders); 0 turns the sweep off (holds still end lazily).
    hold_sweep_seconds: float = 30.0
    # How long a waitlist offer holds its seat for the person it was offered to.
    waitlist_offer_hours: float = 24.0
    # How often the job reminding reviewers of open assignments runs (0 turns it off), and the window in which
    # one reviewer gets at most one reminder.
    review_reminder_check_seconds: float = 3600.0
    review_reminder_days: float = 3.0
    # Card payments: with no secret key the offline test provider is used (refused in production).
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    # A Stripe-compatible server instead of api.stripe.com (tests use a local one).
    stripe_api_base: str = ""
    # Stripe.js must come from Stripe (card data goes from the buyer's browser straight to Stripe); the one
    # script we don't serve ourselves.
    stripe_js_url: str = "https://js.stripe.com/v3/"
    # Mail: with no SMTP host, messages are written to $PODIUM_DATA_DIR/mail as .eml files.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    mail_from: str = "Podium <no-reply@podium.invalid>"
    mail_drain_seconds: float = 5.0
    # How often pending card refunds (cancellations, organizer refunds) are sent to Stripe; 0 turns it off.
    refund_send_seconds: float = 60.0
    # How long a sender's claim on a refund lasts: after it, another sender first asks the provider whether
    # the refund was made (a crash mid-call) and only sends it again if not. Longer than any provider call.
    refund_lease_seconds: float = 120.0
    # Background jobs (podium/jobs, procrastinate). The three intervals above are the schedules of the periodic
    # jobs (whole seconds, at least one; 0 unschedules one). ``web_runs_jobs``: the web process runs a worker in
    # its lifespan (None: yes on SQLite, the embedded default; no on PostgreSQL, where ``podium worker`` runs).
    web_runs_jobs: bool | None = None
    # Jobs one worker process runs at once (each with its own database connection while it works).
    job_concurrency: int = 4
    # The niceness a ``podium worker`` process runs at (0-19; it never raises its priority): on a machine it
    # shares with web workers, a request is served before a mail is rendered. In a rush the mail then trails
    # the orders by seconds instead of taking CPU from them (bench/registration_rush: the mail's deadline is a
    # minute after the last order, a buyer's is the answer to their click).
    worker_nice: int = 10
    # On Linux, a ``podium worker`` also runs in the kernel's idle scheduling class (``SCHED_IDLE``): it gets the
    # CPU the web workers and PostgreSQL leave, not a niced share of a saturated machine. In a rush at c64 it
    # then took 0.1-0.3 ms of CPU per order instead of 0.4-1.0 (bench/registration_rush). Its jobs then also wait
    # while the machine's CPU is contended (``podium.jobs.cpu_pressure``), as the database work they cause runs
    # at normal priority. A machine never idle leaves it little; give it a machine of its own or turn this off
    # (PODIUM_WORKER_IDLE=false).
    worker_idle: bool = True
    # A job that raises is tried again this many times, waiting ``backoff * 2**attempt`` seconds (at most an
    # hour) between tries, then stays failed for an organizer to see and retry.
    job_retries: int = 5
    job_retry_backoff_seconds: float = 2.0
    # Modules imported for their ``@job`` decorators beyond the composition's own (plugins; tests' fixture jobs).
    job_modules: tuple[str, ...] = ()
    # Move everything the worker built while starting (routes, models, templates, the OpenAPI schema) out of
    # the garbage collector's reach once it has started (podium/heap.py). Off in tests, which build many apps
    # in one process and want each collected.
    freeze_heap_at_startup: bool = True

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def runs_jobs_in_web(self) -> bool:
        """Whether web processes run a job worker: the setting, or else yes exactly on SQLite (the embedded default)."""
        return self.is_sqlite if self.web_runs_jobs is None else self.web_runs_jobs

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        environment = env.get("PODIUM_ENV", "development")
        if environment not in _ENVIRONMENTS:
            raise SettingsError(f"PODIUM_ENV must be one of {', '.join(_ENVIRONMENTS)}, not {environment!r}")
        data_dir = default_data_dir(env)
        secret = env.get("PODIUM_SECRET_KEY", "")
        if environment == "production":
            if len(secret) < 32:
                raise SettingsError("production needs PODIUM_SECRET_KEY (at least 32 characters)")
            if "DATABASE_URL" not in env:
                raise SettingsError("production needs DATABASE_URL (PostgreSQL)")
        if not secret:
            secret = load_or_create_secret(data_dir / "secret_key")
        database_url = normalise_database_url(
            env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'podium.db'}"
        )
        return cls(
            database_url=database_url,
            secret_key=secret,
            environment=environment,
            data_dir=data_dir,
            base_url=env.get("PODIUM_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            secure_cookies=_flag(env.get("PODIUM_SECURE_COOKIES"), default=environment == "production"),
            echo_sql=_flag(env.get("PODIUM_ECHO_SQL"), default=False),
            log_level=_log_level(env, "PODIUM_LOG_LEVEL", "INFO"),
            library_log_level=_log_level(env, "PODIUM_LIBRARY_LOG_LEVEL", "WARNING"),
            log_format=_log_format(env.get("PODIUM_LOG_FORMAT", "")),
            metrics_token=_metrics_token(env.get("PODIUM_METRICS_TOKEN", "")),
            **_pool_and_limits(env),
            **_timeouts_and_sweeps(env),
            **_payments_and_mail(env),
            **_runtime(env),
        )


def _pool_and_limits(env: Mapping[str, str]) -> dict[str, Any]:
    """The connection pool's size and the abuse limits."""
    return dict(
        db_pool_size=int(env.get("PODIUM_DB_POOL_SIZE", "5")),
        db_max_overflow=int(env.get("PODIUM_DB_MAX_OVERFLOW", "0")),
        trusted_proxies=_trusted_proxies(env.get("PODIUM_TRUSTED_PROXIES", "")),
        order_limit_per_address=int(env.get("PODIUM_ORDER_LIMIT_PER_ADDRESS", "300")),
        order_limit_per_email=int(env.get("PODIUM_ORDER_LIMIT_PER_EMAIL", "20")),
        waitlist_limit_per_address=int(env.get("PODIUM_WAITLIST_LIMIT_PER_ADDRESS", "200")),
        waitlist_limit_per_email=int(env.get("PODIUM_WAITLIST_LIMIT_PER_EMAIL", "20")),
        login_limit_per_address=int(env.get("PODIUM_LOGIN_LIMIT_PER_ADDRESS", "200")),
        sign_in_ttl_seconds=int(env.get("PODIUM_SIGN_IN_TTL_SECONDS", "900")),
        sign_in_live_per_email=int(env.get("PODIUM_SIGN_IN_LIVE_PER_EMAIL", "3")),
        sign_in_code_tries=int(env.get("PODIUM_SIGN_IN_CODE_TRIES", "5")),
        sign_in_limit_per_email=int(env.get("PODIUM_SIGN_IN_LIMIT_PER_EMAIL", "5")),
        sign_in_limit_per_address=int(env.get("PODIUM_SIGN_IN_LIMIT_PER_ADDRESS", "100")),
        open_holds_per_email=int(env.get("PODIUM_OPEN_HOLDS_PER_EMAIL", "3")),
        open_holds_per_address=int(env.get("PODIUM_OPEN_HOLDS_PER_ADDRESS", "20")),
        link_mails_per_link=int(env.get("PODIUM_LINK_MAILS_PER_LINK", "5")),
    )


def _timeouts_and_sweeps(env: Mapping[str, str]) -> dict[str, Any]:
    """How long to wait for the database, and how often the sweeps run."""
    return dict(
        db_connect_timeout=_seconds(env, "PODIUM_DB_CONNECT_TIMEOUT", 5.0, allow_zero=False),
        db_statement_timeout=_seconds(env, "PODIUM_DB_STATEMENT_TIMEOUT", 15.0, allow_zero=True),
        db_pool_timeout=_seconds(env, "PODIUM_DB_POOL_TIMEOUT", 10.0, allow_zero=False),
        hold_sweep_seconds=float(env.get("PODIUM_HOLD_SWEEP_SECONDS", "30")),
        waitlist_offer_hours=float(env.get("PODIUM_WAITLIST_OFFER_HOURS", "24")),
        review_reminder_check_seconds=float(env.get("PODIUM_REVIEW_REMINDER_CHECK_SECONDS", "3600")),
        review_reminder_days=float(env.get("PODIUM_REVIEW_REMINDER_DAYS", "3")),
    )


def _payments_and_mail(env: Mapping[str, str]) -> dict[str, Any]:
    """Stripe, the mail server and the senders' rhythm."""
    return dict(
        stripe_secret_key=env.get("STRIPE_SECRET_KEY", ""),
        stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=env.get("STRIPE_API_BASE", ""),
        stripe_js_url=env.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        smtp_host=env.get("SMTP_HOST", ""),
        smtp_port=int(env.get("SMTP_PORT", "587")),
        smtp_username=env.get("SMTP_USERNAME", ""),
        smtp_password=env.get("SMTP_PASSWORD", ""),
        smtp_starttls=_flag(env.get("SMTP_STARTTLS"), default=True),
        mail_from=env.get("MAIL_FROM", "Podium <no-reply@podium.invalid>"),
        mail_drain_seconds=float(env.get("PODIUM_MAIL_DRAIN_SECONDS", "5")),
        refund_send_seconds=float(env.get("PODIUM_REFUND_SEND_SECONDS", "60")),
        refund_lease_seconds=float(env.get("PODIUM_REFUND_LEASE_SECONDS", "120")),
    )


def _runtime(env: Mapping[str, str]) -> dict[str, Any]:
    """The process: its heap, and the jobs it runs."""
    return dict(
        freeze_heap_at_startup=_flag(env.get("PODIUM_FREEZE_HEAP"), default=True),
        web_runs_jobs=_optional_flag(env.get("PODIUM_WEB_RUNS_JOBS")),
        job_concurrency=_count(env, "PODIUM_JOB_CONCURRENCY", 4, minimum=1),
        worker_nice=_count(env, "PODIUM_WORKER_NICE", 10, minimum=0, maximum=19),
        worker_idle=_flag(env.get("PODIUM_WORKER_IDLE"), default=True),
        job_retries=_count(env, "PODIUM_JOB_RETRIES", 5, minimum=0),
        job_retry_backoff_seconds=_seconds(env, "PODIUM_JOB_RETRY_BACKOFF_SECONDS", 2.0, allow_zero=True),
        job_modules=tuple(m.strip() for m in env.get("PODIUM_JOB_MODULES", "").split(",") if m.strip()),
    )


_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, default).strip().upper()
    if value not in _LOG_LEVELS:
        raise SettingsError(f"{name} must be one of {', '.join(_LOG_LEVELS)}, not {env.get(name)!r}")
    return value


def _log_format(value: str) -> LogFormat:
    value = value.strip().lower() or "text"
    if value not in _LOG_FORMATS:
        raise SettingsError(f"PODIUM_LOG_FORMAT must be one of {', '.join(_LOG_FORMATS)}, not {value!r}")
    return value


def _metrics_token(value: str) -> str:
    value = value.strip()
    if value and len(value) < METRICS_TOKEN_MIN_LENGTH:
        raise SettingsError(f"PODIUM_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters")
    return value


def _trusted_proxies(value: str) -> tuple[str, ...]:
    """``PODIUM_TRUSTED_PROXIES``: comma-separated IPs or CIDRs, refused at start-up if one isn't."""
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError as exc:
            raise SettingsError(f"PODIUM_TRUSTED_PROXIES: {item!r} is not an IP address or network") from exc
    return items


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out and pick the async driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url
