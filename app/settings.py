"""Service settings, read from the environment (and a `.env` file) by pydantic-settings."""

from pathlib import Path

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
    due_soon_days: int = Field(default=14, description="An obligation is 'due soon' this many days before it is due")
    access_cache_seconds: float = Field(default=5.0, description="How long a key check or a scope is reused")
    jwt_secret: str | None = Field(default=None, description="Shared secret for HS256 tokens")
    jwt_jwks_file: Path | None = Field(default=None, description="A JWKS file with the identity provider's keys")
    jwt_jwks_url: str | None = Field(default=None, description="…or the URL it publishes them at")
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_role_claim: str = "role"
    jwt_scopes_claim: str = "org_scopes"
    jwt_pii_claim: str = "pii"
    log_level: str = "INFO"
    json_logs: bool = True
