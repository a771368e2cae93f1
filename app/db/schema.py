"""Every table declaration, registered on one metadata (what Alembic compares the migrations with)."""

from app.db.access import tables as access
from app.db.audit import tables as audit
from app.db.changes import tables as changes
from app.db.idempotency import tables as idempotency
from app.db.indicators import tables as indicators
from app.db.jobs import tables as jobs
from app.db.members import tables as members
from app.db.metadata import metadata
from app.db.organizations import tables as organizations
from app.db.plans import tables as plans
from app.db.positions import tables as positions
from app.db.ratings import tables as ratings
from app.db.records import tables as records
from app.db.webhooks import tables as webhooks

FEATURES = (
    access,
    audit,
    changes,
    idempotency,
    indicators,
    jobs,
    members,
    organizations,
    plans,
    positions,
    ratings,
    records,
    webhooks,
)

__all__ = ["FEATURES", "metadata"]
