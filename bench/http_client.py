"""A minimal HTTP/1.1 keep-alive client for the benchmarks, so the load generator costs little CPU.

httpx spends about a millisecond of CPU per request; on a 2-core machine that shares its cores with the
server and PostgreSQL, that alone caps what a benchmark can show. This client writes the request bytes
itself and reads the status, headers and body (Content-Length or chunked) off one connection per worker,
reconnecting when the server closes it. It is for our benchmarks against our own server, nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec

T = TypeVar("T")


def run_client(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on uvloop (uvicorn's loop, installed with it) when there is one: the load generator's
    sockets then cost less CPU, which it takes from the same two cores as the servers it measures."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


@contextlib.contextmanager
def without_gc_pauses() -> Iterator[None]:
    """No garbage-collector pauses in the load generator while it measures.

    The benchmarks import the app's models, so a full collection in the client walks a large heap; during a
    rush that paused the client's event loop for 200 ms and more, and every reply that arrived meanwhile was
    counted as that much slower. What the client allocates while measuring is collected afterwards.
    """
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return msgspec.json.decode(self.body)


class Connection:
    """One keep-alive connection; not shared between tasks (each benchmark worker owns one)."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.default_headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        json_body: object = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """Send one request; a connection the server closed while idle is reopened and the request sent again."""
        if json_body is not None:
            body = msgspec.json.encode(json_body)
            headers = {"Content-Type": "application/json", **(headers or {})}
        lines = [f"{method} {path} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in {**self.default_headers, **(headers or {})}.items()]
        if body or method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(body)}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):
            reused = self._writer is not None
            if self._writer is None:
                self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
            assert self._reader is not None and self._writer is not None
            try:
                self._writer.write(payload)
                await self._writer.drain()
                reply = await self._read(self._reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if reused and attempt == 1:
                    continue  # the server had closed the idle connection: the request never reached it
                raise
            if reply.headers.get("connection", "").lower() == "close":
                await self.close()
            return reply
        raise AssertionError("unreachable")

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Reply:
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(chunk[:-2])
            return Reply(status, headers, b"".join(chunks))
        length = int(headers.get("content-length", "0"))
        return Reply(status, headers, await reader.readexactly(length) if length else b"")
