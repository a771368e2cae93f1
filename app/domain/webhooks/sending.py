"""One POST to a webhook receiver, over a connection to the address checked beforehand (targets.check): httpx asked
for that very address, with the URL's host name as the Host header and as the TLS server name (certificate checked
against it), a total time limit, no redirect followed, no proxy from the environment, and only the status and a
short printable excerpt of the answer kept."""

import asyncio
from dataclasses import dataclass

import httpx

from app.domain.webhooks.targets import Target

EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Outcome:
    status: int | None  # the receiver's HTTP status; None when none came (refused, timed out, broken)
    error: str | None  # what went wrong, for the delivery log (None: delivered)

    @property
    def delivered(self) -> bool:
        return self.error is None


def _excerpt(body: bytes) -> str:
    text = body[: EXCERPT_CHARS * 2].decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else " " for c in text)[:EXCERPT_CHARS].strip()


async def _exchange(target: Target, body: bytes, headers: dict[str, str], seconds: float) -> tuple[int, bytes]:
    address = f"[{target.address}]" if ":" in target.address else target.address
    url = f"{'https' if target.https else 'http'}://{address}:{target.port}{target.path}"
    sent = {
        "Host": target.host_header,
        "Content-Type": "application/json",
        "User-Agent": "coso-webhooks",
        **headers,
    }
    # The address is the one checked; the certificate is checked against the host name (httpcore's sni_hostname).
    extensions = {"sni_hostname": target.host} if target.https else {}
    async with (
        httpx.AsyncClient(timeout=seconds, follow_redirects=False, trust_env=False) as client,
        client.stream("POST", url, content=body, headers=sent, extensions=extensions) as response,
    ):
        answer = b""
        async for chunk in response.aiter_bytes():
            answer += chunk
            if len(answer) > EXCERPT_CHARS * 2:
                break
        return response.status_code, answer


async def post(target: Target, body: bytes, headers: dict[str, str], *, seconds: float) -> Outcome:
    """POST `body` to the target; 2xx is delivered, anything else is an outcome with an error, never a raise."""
    try:
        async with asyncio.timeout(seconds):
            status, answer = await _exchange(target, body, headers, seconds)
    except (TimeoutError, httpx.TimeoutException):
        return Outcome(status=None, error=f"no answer within {seconds:g} s")
    except httpx.ConnectError as exc:
        refused = isinstance(exc.__cause__, ConnectionRefusedError) or "refused" in str(exc).lower()
        if refused:
            return Outcome(status=None, error=f"connection refused by {target.address} port {target.port}")
        return Outcome(status=None, error=f"connection failed: {exc or exc.__class__.__name__}")
    except httpx.HTTPError as exc:
        return Outcome(status=None, error=f"the receiver's answer is not HTTP: {exc.__class__.__name__}")
    if 200 <= status < 300:
        return Outcome(status=status, error=None)
    excerpt = _excerpt(answer)
    if 300 <= status < 400:
        error = f"HTTP {status}: a redirect, not followed; give the final URL"
    else:
        error = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
    return Outcome(status=status, error=error)
