"""A TCP forwarder on 127.0.0.1 in front of a server (PostgreSQL, in the tests of database cuts)
that can cut the line: every open connection is aborted and new ones are refused until it is
restored on the same port, as when a network path or the database goes away for a while."""

from __future__ import annotations

import asyncio
import contextlib

CHUNK = 64 * 1024


class TcpForwarder:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0  # chosen at the first start, kept across cuts
        self.cuts = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        """Listen (again, on the same port after a cut); returns the port."""
        self._server = await asyncio.start_server(
            self._forward, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def cut(self) -> None:
        """Refuse new connections and abort the open ones, both ways."""
        self.cuts += 1
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def cut_for(self, seconds: float) -> None:
        await self.cut()
        await asyncio.sleep(seconds)
        await self.start()

    async def close(self) -> None:
        await self.cut()

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted_before = self.cuts
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer, upstream_writer}
        if self.cuts != accepted_before:  # cut while this one was being connected
            for each in pair:
                each.transport.abort()
            return
        self._writers |= pair
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for each in pair:
                each.transport.abort()
            self._writers -= pair


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side ends; an aborted side ends the other."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while chunk := await reader.read(CHUNK):
            writer.write(chunk)
            await writer.drain()
    writer.transport.abort()
