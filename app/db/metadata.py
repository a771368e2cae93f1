"""The metadata every table declaration registers on (constraint names follow one convention, as the migrations
do), and the table of the service's own secrets."""

from sqlalchemy import Column, DateTime, LargeBinary, MetaData, Table, Text, func

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def now(name: str) -> Column[object]:
    """A timestamp column set by the database when the row is written."""
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


# Random secrets every process of a deployment shares (cursor signatures, the audit log's digests of sensitive
# values), made by migration 0010.
SERVICE_SECRETS = Table(
    "service_secrets",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", LargeBinary, nullable=False),
    now("created_at"),
)
