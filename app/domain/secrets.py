"""Keys derived from the secret every process of a deployment shares (kept in the database, so that a cursor one
process issued is good at every other, across restarts). Read on first use, not at start: the service starts
while the database is down."""

import hashlib
import hmac

from app.db.secrets import main_secret
from app.db.sql import Querier
from app.domain.pagination import Cursors


class ServiceSecrets:
    def __init__(self, pool: Querier) -> None:
        self._pool = pool
        self._cursors: Cursors | None = None

    async def cursors(self) -> Cursors:
        if self._cursors is None:
            secret = await main_secret(self._pool)
            self._cursors = Cursors(hmac.new(secret, b"coso cursors", hashlib.sha256).digest())
        return self._cursors
