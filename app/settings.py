"""Service settings, read from the environment (and a `.env` file) by pydantic-settings."""

from datetime import date
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("coso"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COSO_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "COSO_DATABASE_URL"),
        description="postgresql://user:password@host:port/db; unset = embedded PostgreSQL in data_dir",
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    timezone: str = "Asia/Ho_Chi_Minh"
    default_page_size: int = 50
    max_page_size: int = 500
    max_subtree_depth: int = 20
    statement_timeout_ms: int = 15_000
    pool_size: int = 10
    max_body_bytes: int = 1_048_576
    import_max_bytes: int = Field(
        default=50 * 1024 * 1024,
        description="The largest file the imports of other kinds than members take (413 above)",
    )
    export_max_concurrent: int = Field(
        default=4,
        ge=1,
        description="Exports (format=csv|xlsx|ndjson) one process sends at once; one more is a 429 with Retry-After",
    )
    import_sync_max_rows: int = Field(
        default=5_000,
        description="The most data rows an import answered at once takes; a file with more runs as a background "
        "job (202): ~25 s at the per-row path's ~200 rows/s on 2 cores",
    )
    import_sync_max_bytes: int = Field(
        default=1024 * 1024,
        description="A larger import file runs as a background job (202 Accepted, GET /jobs/{id}); so does any "
        "file sent with `Prefer: respond-async`",
    )
    import_job_max_bytes: int = Field(
        default=2 * 1024**3, description="The largest file a background import job takes (413 above)"
    )
    idempotency_ttl_hours: int = Field(
        default=24,
        ge=1,
        description="How long the answer of a write sent with an Idempotency-Key is kept for its retries (hours)",
    )
    require_if_match: bool = Field(
        default=False,
        description="Writes to an existing versioned resource (PUT, PATCH, DELETE, lifecycle events) without "
        "If-Match are refused (428 precondition_required): no lost update by a client that forgot it",
    )
    worker_in_serve: bool = Field(
        default=True,
        description="`coso serve` runs a job worker in the service; false: run `coso worker` processes instead",
    )
    worker_concurrency: int = Field(default=1, ge=1, description="Jobs one worker runs at once")
    job_heartbeat_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A running job whose worker has not signalled for this long (killed, lost) is taken up by "
        "another worker",
    )
    job_max_attempts: int = Field(
        default=3, ge=1, description="Starts of a job (its worker dying each time) before it fails for good"
    )
    job_batch_rows: int = Field(
        default=10_000,
        ge=1,
        description="Rows of a job per batch (a per-row job commits, refreshing indicators, and checkpoints per batch)",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="A webhook delivery that has not been answered in this long failed"
    )
    webhook_retry_base_seconds: float = Field(
        default=5.0,
        gt=0,
        description="The first retry of a failed webhook delivery comes after about this long; each further one "
        "waits twice as long (with jitter), up to COSO_WEBHOOK_RETRY_MAX_SECONDS",
    )
    webhook_retry_max_seconds: float = Field(
        default=3600.0, gt=0, description="The longest wait between two attempts of a webhook delivery"
    )
    webhook_max_failures: int = Field(
        default=20, ge=1, description="A webhook subscription failing this many times in a row is paused"
    )
    webhook_max_failing_hours: float = Field(
        default=24.0, gt=0, description="…or failing (no success since its first failure) for longer than this"
    )
    webhook_batch_entries: int = Field(
        default=100, ge=1, le=1000, description="Change-feed entries one webhook delivery carries at most"
    )
    webhook_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often a worker looks for webhook subscriptions with something to deliver, besides "
        "being woken by each commit that changes something",
    )
    webhook_allow_private: bool = Field(
        default=False,
        description="Deliver webhooks to loopback, private, link-local (cloud metadata) and other non-public "
        "addresses too. Off: such URLs are refused (SSRF)",
    )
    webhook_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names webhooks may be delivered to whatever address they resolve to (JSON list, e.g. "
        '["hooks.intranet.example"])',
    )
    admission_min_age: int = Field(default=18, description="Youngest age at admission (Điều lệ Đảng)")
    admission_max_age: int = Field(default=60, description="Oldest age at admission, unless an exception is recorded")
    due_soon_days: int = Field(default=14, description="An obligation is 'due soon' this many days before it is due")
    earliest_date: date = Field(default=date(1900, 1, 1), description="Dates before this day are refused (422)")
    latest_date: date = Field(default=date(2100, 12, 31), description="Dates after this day are refused (422)")
    access_cache_seconds: float = Field(default=5.0, description="How long a key check or a scope is reused")
    jwt_secret: str | None = Field(default=None, description="Shared secret for HS256 tokens")
    jwt_jwks_file: Path | None = Field(default=None, description="A JWKS file with the identity provider's keys")
    jwt_jwks_url: str | None = Field(default=None, description="…or the URL it publishes them at")
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_role_claim: str = "role"
    jwt_scopes_claim: str = "org_scopes"
    jwt_pii_claim: str = "pii"
    opentelemetry: bool = Field(
        default=False,
        description="FastAPI's OpenTelemetry spans, metrics and logs (needs "
        "an OpenTelemetry SDK configured in the environment)",
    )
    log_level: str = "INFO"
    json_logs: bool = True
    # Rules of the organisation and its members (QĐ 366-QĐ/TW, Điều lệ Đảng): regulations change, so they are here.
    min_official_members: int = Field(
        default=3, description="A grassroots organisation needs this many official members"
    )
    cell_committee_threshold: int = Field(
        default=9, description="A cell with this many official members elects a cell committee"
    )
    cell_committee_min_positions: int = Field(
        default=3,
        description="A cell has a cell committee when this many committee seats are filled, the secretary's included",
    )
    cell_committee_max_members: int = Field(
        default=7, description="A cell committee has at most this many members (QĐ 294-QĐ/TW: không quá 7)"
    )
    cell_max_deputy_secretaries: int = Field(
        default=1, description="A cell elects at most this many deputy secretaries (QĐ 294-QĐ/TW: một phó bí thư)"
    )
    group_max_deputy_leaders: int = Field(
        default=1, description="A party group elects at most this many deputy leaders (Charter art. 24: tổ phó)"
    )
    indicator_upkeep: bool = Field(
        default=True,
        description="Keep indicator figures up to date in every write's "
        "transaction. false is for benchmarks only: figures "
        "go stale until `coso indicators rebuild`",
    )
    cell_max_members: int = Field(
        default=30, description="A grassroots cell with this many members or more should become a grassroots committee"
    )
    subordinate_cell_max_members: int = Field(
        default=30, description="A subordinate cell should have at most this many members"
    )
    probation_months: int = Field(
        default=12, description="Probation lasts this long from the admission ceremony (Charter art. 5)"
    )
    sponsor_min_months: int = Field(
        default=12,
        description="A sponsor has worked, studied or lived with the candidate at least this long (Charter art. 4.2)",
    )
    recognition_working_days: int = Field(
        default=30, description="Working days (Mon–Fri) after probation within which recognition as official is decided"
    )
    public_holidays: list[date] = Field(
        default_factory=list,
        description="Days that are not working days for the recognition window (JSON list of dates)",
    )
    rating_excellent_min: int = Field(default=90, description="Lowest score rated excellent (HTXSNV)")
    rating_good_min: int = Field(default=70, description="Lowest score rated good (HTTNV)")
    rating_fulfilled_min: int = Field(
        default=50, description="Lowest score rated fulfilled (HTNV); below: not fulfilled"
    )
    rating_disciplined_max_band: Literal["excellent", "good", "fulfilled", "not_fulfilled"] = Field(
        default="not_fulfilled",
        description="A member disciplined in the period is rated at most this band (HD 21-HD/BTCTW II.B.2)",
    )
    rating_sick_leave_months: int = Field(
        default=3, description="Months of sick leave in a period from which the sick-leave ceiling applies"
    )
    rating_sick_leave_max_band: Literal["excellent", "good", "fulfilled", "not_fulfilled"] = Field(
        default="fulfilled", description="…and that ceiling (HD 21-HD/BTCTW II.6: not good or better)"
    )
    rating_max_term_years: int = Field(
        default=5, description="A term rated (nhiệm kỳ, e.g. 2020-2025) spans at most this"
    )
    excellent_quota_percent: float = Field(
        default=20.0, description="Excellent ratings may be at most this share of good-or-better ratings within a unit"
    )
    rating_min_months: int = Field(
        default=6,
        description="Members admitted, and organisations founded, less than "
        "this many months before a period ends are not rated",
    )
    compliance_scan_units: int = Field(
        default=2000, description="Units one page of compliance checks examines at most (the rest is on the next page)"
    )
