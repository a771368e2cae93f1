"""JWT bearer tokens for people (through a mobile backend or single sign-on), validated against configured keys:
a shared secret (HS256) or a JWKS (file or URL). Their claims map to the same role, scopes and pii as API keys."""

import asyncio
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jwt

from app.domain.access.callers import Caller, Role, Unauthenticated, parse_scopes


@dataclass(frozen=True)
class JwtConfig:
    secret: str | None = None
    jwks_file: Path | None = None
    jwks_url: str | None = None
    issuer: str | None = None
    audience: str | None = None
    role_claim: str = "role"
    scopes_claim: str = "org_scopes"
    pii_claim: str = "pii"
    leeway_seconds: int = 30

    @property
    def enabled(self) -> bool:
        return bool(self.secret or self.jwks_file or self.jwks_url)

    @cached_property
    def _jwks(self) -> jwt.PyJWKSet | None:
        if self.jwks_file is None:
            return None
        return jwt.PyJWKSet.from_dict(json.loads(self.jwks_file.read_text()))

    @cached_property
    def _jwks_client(self) -> jwt.PyJWKClient | None:
        return jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=600) if self.jwks_url else None

    def signing_key(self, token: str) -> tuple[Any, list[str]]:
        header = jwt.get_unverified_header(token)
        if self.secret and header.get("alg", "").startswith("HS"):
            return self.secret, ["HS256", "HS384", "HS512"]
        asymmetric = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "EdDSA"]
        if self._jwks is not None:
            kid = header.get("kid")
            for key in self._jwks.keys:
                if kid is None or key.key_id == kid:
                    return key.key, asymmetric
            raise Unauthenticated("The token's signing key (kid) is not among the configured keys.")
        if self._jwks_client is not None:
            return self._jwks_client.get_signing_key_from_jwt(token).key, asymmetric
        raise Unauthenticated("Tokens signed this way are not accepted here.")


def _decode(token: str, config: JwtConfig) -> dict[str, Any]:
    key, algorithms = config.signing_key(token)
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=algorithms,
        issuer=config.issuer,
        audience=config.audience,
        leeway=config.leeway_seconds,
        options={
            "require": ["exp", "sub"],
            "verify_aud": config.audience is not None,
            "verify_iss": config.issuer is not None,
        },
    )
    return claims


async def caller_from_jwt(token: str, config: JwtConfig) -> Caller:
    if not config.enabled:
        raise Unauthenticated("This service does not accept JWTs; use an API key.")
    try:
        # Signature checks (RSA, and fetching a JWKS URL) stay off the event loop.
        claims = await asyncio.to_thread(_decode, token, config)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The token has expired; get a new one.") from exc
    except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
        raise Unauthenticated(f"The token is not valid here: {exc}.") from exc
    try:
        role = Role(claims.get(config.role_claim, "viewer"))
    except ValueError as exc:
        raise Unauthenticated(
            f"The token's `{config.role_claim}` claim must be one of {', '.join(r.value for r in Role)}."
        ) from exc
    scopes = claims.get(config.scopes_claim)
    if not isinstance(scopes, list) or not scopes:
        raise Unauthenticated(
            f"The token's `{config.scopes_claim}` claim must list the organisation ids it covers "
            '(["*"] for the whole tree).'
        )
    return Caller(
        kind="jwt",
        id=str(claims["sub"]),
        name=str(claims.get("name") or claims["sub"]),
        role=role,
        scopes=() if scopes == ["*"] else parse_scopes(scopes),
        pii=claims.get(config.pii_claim) is True,
    )
