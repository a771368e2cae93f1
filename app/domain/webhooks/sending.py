"""One POST to a webhook receiver, over a connection to the address checked beforehand (targets.check): HTTP/1.1
by h11, TLS verified against the URL's host name, a total time limit, no redirect followed, and only the status and
a short printable excerpt of the answer kept."""

import asyncio
import ssl
from dataclasses import dataclass

import h11

from app.domain.webhooks.targets import Target

EXCERPT_CHARS = 200
_READ = 16 * 1024


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


async def _exchange(target: Target, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    context = ssl.create_default_context() if target.https else None
    reader, writer = await asyncio.open_connection(
        target.address, target.port, ssl=context, server_hostname=target.host if context else None
    )
    try:
        conn = h11.Connection(our_role=h11.CLIENT)
        sent = [
            ("Host", target.host_header),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("User-Agent", "coso-webhooks"),
            ("Connection", "close"),
            *headers.items(),
        ]
        events = (h11.Request(method="POST", target=target.path, headers=sent), h11.Data(data=body), h11.EndOfMessage())
        writer.write(b"".join(conn.send(e) or b"" for e in events))
        await writer.drain()
        status: int | None = None
        answer = b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                chunk = await reader.read(_READ)
                conn.receive_data(chunk)
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                answer += bytes(event.data)
            if isinstance(event, h11.EndOfMessage | h11.ConnectionClosed) or len(answer) > EXCERPT_CHARS * 2:
                break
        assert status is not None
        return status, answer
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1)
        except (OSError, TimeoutError, ssl.SSLError):
            pass


async def post(target: Target, body: bytes, headers: dict[str, str], *, seconds: float) -> Outcome:
    """POST `body` to the target; 2xx is delivered, anything else is an outcome with an error, never a raise."""
    try:
        async with asyncio.timeout(seconds):
            status, answer = await _exchange(target, body, headers)
    except TimeoutError:
        return Outcome(status=None, error=f"no answer within {seconds:g} s")
    except ConnectionRefusedError:
        return Outcome(status=None, error=f"connection refused by {target.address} port {target.port}")
    except ssl.SSLError as exc:
        return Outcome(status=None, error=f"TLS failed: {exc.reason or exc.__class__.__name__}")
    except (h11.ProtocolError, AssertionError):
        return Outcome(status=None, error="the receiver's answer is not HTTP/1.1")
    except OSError as exc:
        return Outcome(status=None, error=f"connection failed: {exc.strerror or exc.__class__.__name__}")
    if 200 <= status < 300:
        return Outcome(status=status, error=None)
    excerpt = _excerpt(answer)
    if 300 <= status < 400:
        error = f"HTTP {status}: a redirect, not followed; give the final URL"
    else:
        error = f"HTTP {status}" + (f": {excerpt}" if excerpt else "")
    return Outcome(status=status, error=error)
