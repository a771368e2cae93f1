"""The application factory. Nothing connects at import time: the lifespan owns the database handles."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api import docs, fast_lane, health, problems, reference, spec
from app.api.access import routes as access
from app.api.audit import routes as audit
from app.api.auth import AuthenticatedRoute
from app.api.changes import routes as changes
from app.api.exports import ExportSlots
from app.api.imports import kinds as import_kinds
from app.api.imports import routes as imports
from app.api.indicators import routes as indicators
from app.api.jobs import routes as jobs
from app.api.members import routes as members
from app.api.organizations import compliance
from app.api.organizations import routes as organizations
from app.api.plans import bodies, tasks
from app.api.plans import routes as plans
from app.api.positions import routes as positions
from app.api.ratings import routes as ratings
from app.api.records import routes as records
from app.api.request_context import RequestContextMiddleware
from app.api.responses import problems as problem_docs
from app.api.statistics import routes as statistics
from app.api.webhooks import routes as webhooks
from app.db.changes.listener import ChangeListener
from app.db.database import close_database, open_database
from app.db.indicators import queries as indicators_db
from app.db.migrations import head_revision
from app.db.urls import asyncpg_dsn
from app.domain.access.keys import AccessCache
from app.domain.access.tokens import JwtConfig
from app.domain.secrets import ServiceSecrets
from app.settings import Settings
from app.worker import start_worker

log = logging.getLogger("coso")

# Every /api/v1 router, feature by feature.
ROUTERS = (
    organizations.router,
    compliance.router,
    imports.router,
    import_kinds.router,
    jobs.router,
    changes.router,
    webhooks.router,
    members.router,
    positions.router,
    ratings.router,
    records.router,
    plans.router,
    tasks.router,
    bodies.router,
    indicators.router,
    indicators.plan_router,
    statistics.router,
    access.router,
    audit.router,
    reference.router,
)

DESCRIPTION = """
Grassroots Party organisations, their members, the tasks of the plans implementing Resolution 21-NQ/TW, and the
indicators those plans set.

* Errors are RFC 9457 `application/problem+json`; `type` names the rule that was broken.
* Lists answer `{"items": [...], "next_cursor": ...}`; pass `next_cursor` back as `cursor` (keyset paging).
* `as_of=YYYY-MM-DD` answers with the organisation tree as it stood on that day.
* Every response carries `X-Request-ID` (yours, if you send one).
"""


def _operation_id(route: APIRoute) -> str:
    return route.name


async def _configure_indicators(pool: asyncpg.Pool, settings: Settings) -> None:
    """The thresholds the indicator functions use are the service's settings: written to the database at start
    (a changed one recomputes the figures it decides). The database down: retried by the clock's rounds."""
    try:
        if await indicators_db.configure(pool, cell_committee_min_positions=settings.cell_committee_min_positions):
            log.info("indicator settings changed: figures recomputed")
    except Exception as exc:  # the service starts while the database is down; the clock retries
        log.warning("indicator settings not written: %s", exc.__class__.__name__)


async def _advance_indicators(pool: asyncpg.Pool, settings: Settings, every_seconds: float = 300) -> None:
    """Today's tree changes when a change recorded ahead of its date takes effect: re-place the figures of the
    units concerned (a no-op most of the time). Failures (the database down) are retried on the next round."""
    while True:
        await _configure_indicators(pool, settings)
        try:
            touched = await indicators_db.advance(pool)
            if touched:
                log.info("indicator figures re-placed for %d units whose recorded changes took effect", touched)
        except Exception as exc:  # the loop must outlive any failure: it retries on the next round
            log.warning("indicator clock not advanced: %s", exc.__class__.__name__)
        await asyncio.sleep(every_seconds)


def create_app(settings: Settings, *, database_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await open_database(
            database_url,
            statement_timeout_ms=settings.statement_timeout_ms,
            pool_size=settings.pool_size,
            indicator_upkeep=settings.indicator_upkeep,
        )
        app.state.access = AccessCache(app.state.pool, ttl=settings.access_cache_seconds)
        app.state.secrets = ServiceSecrets(app.state.pool)
        await _configure_indicators(app.state.pool, settings)
        clock = asyncio.create_task(_advance_indicators(app.state.pool, settings))
        app.state.changes = ChangeListener(asyncpg_dsn(database_url))
        worker = await start_worker(database_url, settings) if settings.worker_in_serve else None
        try:
            yield
        finally:
            clock.cancel()
            await app.state.changes.close()
            if worker is not None:
                await worker.stop()
            await close_database(app.state.pool)

    telemetry = settings.opentelemetry
    app = FastAPI(
        title="coso",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        swagger_ui_parameters={"persistAuthorization": True},
        docs_url=None,
        redoc_url=None,  # served by app.api.docs, without a CDN
        telemetry={"tracing": telemetry, "metrics": telemetry, "logs": telemetry, "operation_spans": telemetry},
    )
    app.state.settings = settings
    app.state.migration_head = head_revision()
    app.state.export_slots = ExportSlots(settings.export_max_concurrent)
    app.state.jwt = JwtConfig(
        secret=settings.jwt_secret,
        jwks_file=settings.jwt_jwks_file,
        jwks_url=settings.jwt_jwks_url,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        role_claim=settings.jwt_role_claim,
        scopes_claim=settings.jwt_scopes_claim,
        pii_claim=settings.jwt_pii_claim,
    )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        body_limits={
            imports.IMPORT_PATH: settings.import_job_max_bytes,
            **dict.fromkeys(import_kinds.IMPORT_PATHS, settings.import_max_bytes),
        },
        date_range=(settings.earliest_date, settings.latest_date),
    )
    problems.install(app)
    app.include_router(health.router)
    # Every /api/v1 route requires credentials: its route class establishes the caller first (checked by a test
    # that walks the routes).
    for router in ROUTERS:
        unguarded = [str(r) for r in router.routes if not isinstance(r, AuthenticatedRoute)]
        assert not unguarded, f"routes without authentication: {unguarded}"
        app.include_router(router, responses=problem_docs(401, 403))
    spec.install(app)
    docs.install(app)
    fast_lane.install(app, names={"get_organization", "list_ancestors"})
    return app
