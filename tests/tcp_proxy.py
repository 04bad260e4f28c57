"""A TCP proxy between the app and its database that a test can cut and freeze, to stage outages for real.

It runs on the test's own event loop. ``cut()`` is a database that went away: the port refuses connections and
every open one is dropped. ``freeze()`` is one that stopped answering (a hung server, a partitioned network):
connections are still accepted, but no byte is forwarded either way. ``restore()`` brings it back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self.connections_accepted = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones (both sides see the connection reset)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self._drop_all()

    def freeze(self) -> None:
        """Accept connections but forward nothing, in either direction, until ``restore()``."""
        self._flowing.clear()

    async def restore(self) -> None:
        """Forward again, and listen again (on the same port) if cut."""
        self._flowing.set()
        if self._server is None:
            await self.start()

    async def close(self) -> None:
        """Stop, and let every connection's task end by itself (a cancelled one would be logged as an error)."""
        self._closed = True
        self._flowing.set()
        await self.cut()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(client_writer)
        self.connections_accepted += 1
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            await self._flowing.wait()  # frozen: the client connected, and hears nothing
            if self._closed or client_writer.transport.is_closing():
                return  # the client gave up while frozen: don't load the database with a connection for nobody
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            self._writers.add(upstream_writer)
            pumps = {
                asyncio.create_task(self._pump(client_reader, upstream_writer)),
                asyncio.create_task(self._pump(upstream_reader, client_writer)),
            }
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)  # one side hung up or was cut
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        except OSError:
            pass  # the database refused the proxy: the client is dropped below
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.transport.abort()
            self._tasks.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy one direction until its reader ends or either side breaks."""
        with contextlib.suppress(OSError):
            while True:
                await self._flowing.wait()
                data = await reader.read(65536)
                if not data:
                    return
                await self._flowing.wait()  # frozen while this was in flight: it waits here
                if self._closed:
                    return
                writer.write(data)
                await writer.drain()


@asynccontextmanager
async def tcp_proxy(upstream_host: str, upstream_port: int) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(upstream_host, upstream_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        with contextlib.suppress(Exception):
            await proxy.close()
