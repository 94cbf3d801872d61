"""Fetching pages and feeds over HTTP with aiohttp: timeouts, a size cap, at most
MAX_REDIRECTS redirects, conditional GET, charset detection, and no requests to private,
loopback or link-local addresses unless `settings.allow_private_urls`. Every redirect hop is
checked, and the session's resolver drops non-public addresses at connect time too, so a name
that resolves to a public address for the check and to a private one for the connection (DNS
rebinding) gets nowhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot.config import Settings
from bot.ingest.document import SourceError, decode, is_binary, meta_charset

MAX_REDIRECTS = 5
USER_AGENT = "Svodka/0.1 (news summaries bot; +https://github.com/svodka)"
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
DESTINATION_CHECKS_AT_ONCE = 16


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched resource. `status` 304 means not modified: `body` is empty."""

    url: str  # after redirects
    status: int
    body: bytes
    content_type: str
    charset: str | None
    etag: str | None
    last_modified: str | None

    @property
    def text(self) -> str:
        if is_binary(self.body):
            raise SourceError(f"binary content ({self.content_type or 'unknown type'})")
        return decode(self.body, self.charset or meta_charset(self.body))


class HttpError(SourceError):
    """The server answered with an error status; `retry_after` is its Retry-After in seconds,
    if it gave one in that form."""

    def __init__(self, status: int, reason: str | None, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} {reason or ''}".strip())
        self.status = status
        self.retry_after = retry_after


def retry_after(value: str | None) -> float | None:
    """Seconds of a Retry-After header given as a number (an HTTP date counts as none)."""
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 86_400 else None


class PrivateAddress(OSError):
    """A host that resolves to private, loopback or link-local addresses only."""


class PublicResolver(aiohttp.abc.AbstractResolver):
    """aiohttp's resolver, keeping only public addresses: those are all a connection can use."""

    def __init__(self) -> None:
        self._resolver = aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        public = [result for result in found if _is_public(ipaddress.ip_address(result["host"]))]
        if not public:
            raise PrivateAddress(f"refused: {host} is a private or local address")
        return public

    async def close(self) -> None:
        await self._resolver.close()


@asynccontextmanager
async def open_session(settings: Settings) -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=settings.fetch_timeout)
    resolver = None if settings.allow_private_urls else PublicResolver()
    async with aiohttp.ClientSession(
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        connector=aiohttp.TCPConnector(resolver=resolver),
    ) as session:
        yield session


async def fetch(
    url: str,
    settings: Settings,
    *,
    session: aiohttp.ClientSession | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Response:
    """GET `url`; SourceError with one line for every way it can fail."""
    if session is None:
        async with open_session(settings) as own:
            return await fetch(url, settings, session=own, etag=etag, last_modified=last_modified)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        return await _follow(session, url, settings, headers)
    except TimeoutError:
        raise SourceError(f"no answer within {settings.fetch_timeout:g} s") from None
    except aiohttp.ClientError as error:
        cause = getattr(error, "os_error", None)
        if isinstance(cause, PrivateAddress):  # PublicResolver's
            raise SourceError(str(cause)) from None
        raise SourceError(f"cannot fetch: {error.__class__.__name__} {error}".strip()) from None


async def fetch_text(url: str, settings: Settings, **options) -> Response:
    """A web page: like fetch, but only text types are accepted."""
    return require_page(await fetch(url, settings, **options))


def require_page(response: Response) -> Response:
    if response.content_type and not response.content_type.startswith(PAGE_TYPES):
        raise SourceError(f"not a web page ({response.content_type})")
    return response


async def _follow(
    session: aiohttp.ClientSession, url: str, settings: Settings, headers: dict[str, str]
) -> Response:
    for _ in range(MAX_REDIRECTS + 1):
        await check_destination(url, settings)
        async with session.get(url, headers=headers, allow_redirects=False) as answer:
            if answer.status in (301, 302, 303, 307, 308) and "Location" in answer.headers:
                url = urljoin(url, answer.headers["Location"])
                continue
            if answer.status == 304:
                return _response(url, answer, b"")
            if answer.status >= 400:
                wait = retry_after(answer.headers.get("Retry-After"))
                raise HttpError(answer.status, answer.reason, wait)
            return _response(url, answer, await _read_capped(answer, settings.fetch_max_bytes))
    raise SourceError(f"more than {MAX_REDIRECTS} redirects")


def _response(url: str, answer: aiohttp.ClientResponse, body: bytes) -> Response:
    return Response(
        url=url,
        status=answer.status,
        body=body,
        content_type=answer.content_type if "Content-Type" in answer.headers else "",
        charset=answer.charset,
        etag=answer.headers.get("ETag"),
        last_modified=answer.headers.get("Last-Modified"),
    )


async def _read_capped(answer: aiohttp.ClientResponse, limit: int) -> bytes:
    too_big = SourceError(f"larger than {limit / 2**20:g} MB")
    if (answer.content_length or 0) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


async def check_destination(url: str, settings: Settings) -> None:
    """Refuse URLs that are not http(s) or whose host resolves to a non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"not an http(s) URL: {url}")
    if settings.allow_private_urls:
        return
    for address in await _addresses(parts.hostname, parts.port or 0):
        if not _is_public(address):
            raise SourceError(f"refused: {parts.hostname} is a private or local address")


class UnknownHost(SourceError):
    """The URL's host name does not resolve (now)."""


async def refused_destinations(urls: Sequence[str], settings: Settings) -> dict[str, str]:
    """Those of `urls` that check_destination refuses as private or local, with why; a host
    that does not resolve now is not refused (every fetch checks again, and the feed's health
    shows it). DESTINATION_CHECKS_AT_ONCE name lookups at a time: an OPML file may list
    thousands of feeds."""
    gate = asyncio.Semaphore(DESTINATION_CHECKS_AT_ONCE)

    async def refusal(url: str) -> str | None:
        async with gate:
            try:
                await check_destination(url, settings)
            except UnknownHost:
                return None
            except SourceError as error:
                return str(error)
            return None

    reasons = await asyncio.gather(*map(refusal, urls))
    return {url: reason for url, reason in zip(urls, reasons, strict=True) if reason}


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address in the last 32 bits
NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: a site's own translators
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether `address` is on the public internet. An IPv6 address that carries an IPv4 one
    (IPv4-mapped or -compatible, NAT64, 6to4) is public only if that one is; Teredo tunnels
    and local NAT64 prefixes are never: a gateway would deliver them to a private network."""
    if not address.is_global or address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    if address.teredo is not None or address in NAT64_LOCAL:
        return False
    embedded = address.ipv4_mapped or address.sixtofour
    if embedded is None and (address in NAT64 or address in IPV4_COMPATIBLE):
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return embedded is None or _is_public(embedded)


async def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise UnknownHost(f"unknown host {host}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
