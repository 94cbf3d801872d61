"""Fetching pages from a local server: charsets, limits, errors, private addresses, and
fetch_and_ingest_url end to end."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from aiohttp import web

from bot.ingest import fetch
from bot.ingest.document import SourceError
from bot.ingest.intake import fetch_and_ingest_url
from bot.storage import articles

KOI8_META = '<meta http-equiv="Content-Type" content="text/html; charset=KOI8-R">'
PARAGRAPHS = [
    "Жители Заречного выбрали проект новой набережной на общественном голосовании.",
    "За вариант с велодорожкой и амфитеатром проголосовали почти двенадцать тысяч человек.",
    "Строительство начнётся весной и займёт два года, сообщили в мэрии.",
    "Работы оплатят из городского бюджета и федеральной программы благоустройства.",
]
TEXT = " ".join(PARAGRAPHS)


def page(title: str = "Набережная для Заречного", meta: str = "") -> str:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in PARAGRAPHS)
    return (
        f"<html><head>{meta}<title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{body}</article></body></html>"
    )


@pytest.mark.parametrize(
    ("encoding", "content_type", "meta"),
    [
        ("cp1251", "text/html; charset=windows-1251", ""),
        ("cp1251", "text/html", '<meta charset="windows-1251">'),
        (
            "koi8_r",
            "text/html",
            '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">',
        ),
        ("cp1251", "text/html", ""),  # undeclared: detected
        ("koi8_r", "text/html", ""),
        ("utf-8", "text/html", ""),
    ],
)
async def test_charsets(site, settings, encoding, content_type, meta):
    url = site.serve("/news", page(meta=meta).encode(encoding), content_type=content_type)
    response = await fetch.fetch_text(url, settings)
    assert PARAGRAPHS[1] in response.text


@pytest.mark.parametrize(
    ("status", "message"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500 Internal Server Error")]
)
async def test_http_errors(site, settings, status, message):
    url = site.serve("/gone", "nothing here", status=status)
    with pytest.raises(SourceError, match=message):
        await fetch.fetch_text(url, settings)


async def test_size_cap_with_and_without_content_length(site, settings):
    big = b"<p>" + b"x" * (settings.fetch_max_bytes + 1) + b"</p>"
    url = site.serve("/big", big)

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(6):
            await response.write(b"y" * 2**20)
        return response

    streamed = site.route("/stream", chunked)
    for target in (url, streamed):
        with pytest.raises(SourceError, match="larger than 5 MB"):
            await fetch.fetch_text(target, settings)


async def test_timeout(site, settings):
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    with pytest.raises(SourceError, match="no answer within 1 s"):
        await fetch.fetch_text(site.route("/slow", slow), settings)


async def test_redirects_are_limited(site, settings):
    for hop in range(7):
        site.serve(f"/r{hop}", status=302, headers={"Location": f"/r{hop + 1}"})
    site.serve("/r7", page())
    assert (await fetch.fetch_text(site.url("/r2"), settings)).url == site.url("/r7")
    with pytest.raises(SourceError, match="more than 5 redirects"):
        await fetch.fetch_text(site.url("/r0"), settings)


async def test_not_a_page(site, settings):
    url = site.serve("/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(100), content_type="image/png")
    with pytest.raises(SourceError, match=r"not a web page \(image/png\)"):
        await fetch.fetch_text(url, settings)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://localhost/",
        "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::a00:1]/",  # a local NAT64 prefix
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:1::1]/",  # 6to4 of 192.168.0.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo
        "http://[::127.0.0.1]/",  # IPv4-compatible
        "http://[::ffff:10.0.0.1]/",  # IPv4-mapped
        "http://[::ffff:7f00:1]/",
    ],
)
async def test_private_addresses_are_refused(settings, url):
    strict = settings.model_copy(update={"allow_private_urls": False})
    with pytest.raises(SourceError, match=r"refused: .* is a private or local address"):
        await fetch.check_destination(url, strict)


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1::1", "64:ff9b::5db8:d822", "2002:5db8:d822::1"]
)
def test_public_addresses_pass_in_any_form(address):
    assert fetch._is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "javascript:x"])
async def test_only_http_urls(settings, url):
    with pytest.raises(SourceError, match="not an http"):
        await fetch.check_destination(url, settings)


async def test_every_redirect_hop_is_checked(site, settings, monkeypatch):
    """The first hop looks public; the redirect leads to a name that resolves to loopback."""
    strict = settings.model_copy(update={"allow_private_urls": False})
    public = ipaddress.ip_address("93.184.216.34")
    loopback = ipaddress.ip_address("127.0.0.1")

    async def resolve(host: str, port: int):
        return [public if host == "127.0.0.1" else loopback]

    monkeypatch.setattr(fetch, "_addresses", resolve)
    port = site.base.rsplit(":", 1)[1]
    site.serve("/hop", status=302, headers={"Location": f"http://localhost:{port}/secret"})
    site.serve("/secret", page())
    with pytest.raises(SourceError, match="refused: localhost"):
        await fetch.fetch_text(site.url("/hop"), strict)
    assert site.hits("/secret") == []


async def test_a_name_that_resolves_to_loopback_at_connect_time_is_refused(
    site, settings, monkeypatch
):
    """DNS rebinding: the check sees a public address, the connection would get loopback."""
    strict = settings.model_copy(update={"allow_private_urls": False})

    async def looks_public(host: str, port: int):
        return [ipaddress.ip_address("93.184.216.34")]

    monkeypatch.setattr(fetch, "_addresses", looks_public)
    port = site.base.rsplit(":", 1)[1]
    site.serve("/secret", page())
    with pytest.raises(SourceError, match="refused: localhost is a private or local address"):
        await fetch.fetch_text(f"http://localhost:{port}/secret", strict)
    assert site.hits("/secret") == []


async def test_fetch_and_ingest_a_url(database, site, settings):
    url = site.serve("/news/1", page(title="Набережная &amp; &lt;b&gt;амфитеатр&lt;/b&gt;"))
    added = await fetch_and_ingest_url(database, url + "?utm_source=tg", settings)
    again = await fetch_and_ingest_url(database, url + "/#comments", settings)
    missing = await fetch_and_ingest_url(database, site.url("/news/404"), settings)
    assert added.status == "added"
    assert (again.status, again.article_id) == ("duplicate", added.article_id)
    assert (missing.status, missing.reason) == ("rejected", "HTTP 404 Not Found")
    assert len(site.hits("/news/1")) == 1  # a stored URL is not fetched again
    async with database.read() as conn:
        view = await articles.get(conn, added.article_id)
    assert view.title == "Набережная & амфитеатр"
    assert view.url == url
    assert PARAGRAPHS[0] in view.summary
