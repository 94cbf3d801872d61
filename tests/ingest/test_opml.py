"""OPML (bot/ingest/opml.py): reading hostile files safely, writing what feed readers import,
and `svodka feeds import | export`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cli import main
from bot.ingest.opml import MAX_OPML_BYTES, OpmlError, OpmlFeed, read_opml, write_opml

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="News" title="News">
      <outline type="rss" text="Lenta" title="Lenta.ru" xmlUrl="https://lenta.ru/rss"
               htmlUrl="https://lenta.ru/"/>
      <outline type="rss" text="RIA" xmlUrl="https://ria.ru/export/rss2/index.xml"/>
      <outline type="rss" text="Lenta again" xmlUrl="https://lenta.ru/rss"/>
    </outline>
    <outline type="rss" text="Evil" xmlUrl="javascript:alert(1)"/>
    <outline type="rss" text="Empty"/>
  </body>
</opml>"""

PRIVATE_FEEDS = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><body>
  <outline type="rss" text="Loopback" xmlUrl="http://127.0.0.1/rss"/>
  <outline type="rss" text="Office" xmlUrl="http://10.1.2.3/feed"/>
  <outline type="rss" text="Public" xmlUrl="https://93.184.216.34/rss"/>
  <outline type="rss" text="Mapped" xmlUrl="http://[::ffff:192.168.0.1]/rss"/>
</body></opml>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://a.example/rss"/></body></opml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&secret;" xmlUrl="https://a.example/rss"/></body></opml>"""


def test_a_reader_export_with_folders_duplicates_and_bad_entries():
    listed = read_opml(READER_EXPORT)
    assert listed.feeds == [
        OpmlFeed("https://lenta.ru/rss", "Lenta.ru", "https://lenta.ru/"),
        OpmlFeed("https://ria.ru/export/rss2/index.xml", "RIA", None),
    ]
    assert [str(problem) for problem in listed.problems] == [
        "Evil: 'javascript:alert(1)' is not an http(s) link",
        "Empty: no xmlUrl",
    ]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (BILLION_LAUGHS, "declares a DTD or entities"),
        (EXTERNAL_ENTITY, "declares a DTD or entities"),
        (b"this is not xml at all", "not XML"),
        (b"<rss><channel/></rss>", "not OPML"),
        (b"<opml version='2.0'><body>" + b"<outline text='x'>" * 10 + b"</body></opml>", "not XML"),
        (b"<opml><body>" + b"<outline text='f'/>" * 5001 + b"</body></opml>", "more than 5000"),
        (b" " * (MAX_OPML_BYTES + 1), "larger than 1 MB"),
    ],
    ids=["entity-expansion", "external-entity", "not-xml", "rss", "unclosed", "many", "huge"],
)
def test_hostile_or_malformed_files_are_refused_whole(data, says):
    with pytest.raises(OpmlError, match=says) as refused:
        read_opml(data)
    assert refused.value.in_russian


def test_deep_nesting_is_walked_without_recursion():
    depth = 3000
    data = (
        b"<opml><body>" + b"<outline text='f'>" * depth
        + b"<outline xmlUrl='https://deep.example/rss'/>" + b"</outline>" * depth
        + b"</body></opml>"
    )  # fmt: skip
    assert [feed.url for feed in read_opml(data).feeds] == ["https://deep.example/rss"]


def test_written_opml_reads_back_with_the_attributes_readers_expect():
    feeds = [OpmlFeed("https://lenta.ru/rss", "Lenta & <Co>", "https://lenta.ru/"),
             OpmlFeed("https://ria.ru/rss", None, None)]  # fmt: skip
    data = write_opml(feeds, title="Svodka feeds", now=NOW)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\">")
    assert b'type="rss"' in data and b"<dateCreated>Mon, 30 Nov 2026 12:00:00 +0000" in data
    assert read_opml(data).feeds == [feeds[0], OpmlFeed("https://ria.ru/rss", "https://ria.ru/rss")]


@pytest.fixture
def cli_database(tmp_path, monkeypatch):
    monkeypatch.setenv("SVODKA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")


def test_import_then_export_from_the_command_line(cli_database, tmp_path, capsys):
    source = tmp_path / "reader.opml"
    source.write_bytes(READER_EXPORT)
    assert main(["feeds", "import", str(source)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "2 feeds added, 0 already there, 2 entries skipped",
        "  skipped Evil: 'javascript:alert(1)' is not an http(s) link",
        "  skipped Empty: no xmlUrl",
    ]
    assert main(["feeds", "import", str(source)]) == 0
    assert capsys.readouterr().out.startswith("0 feeds added, 2 already there")
    target = tmp_path / "out.opml"
    assert main(["feeds", "export", str(target)]) == 0
    assert capsys.readouterr().out == f"2 feeds written to {target}\n"
    assert [feed.url for feed in read_opml(target.read_bytes()).feeds] == [
        "https://lenta.ru/rss",
        "https://ria.ru/export/rss2/index.xml",
    ]
    assert main(["feeds", "export"]) == 0
    assert b"https://lenta.ru/rss" in capsys.readouterr().out.encode()


def test_a_hostile_file_imports_nothing(cli_database, tmp_path, capsys):
    source = tmp_path / "evil.opml"
    source.write_bytes(BILLION_LAUGHS)
    assert main(["feeds", "import", str(source)]) == 2
    assert capsys.readouterr().err == (
        f"svodka: {source} refused, nothing imported: it declares a DTD or entities,"
        " which are refused\n"
    )
    assert main(["feeds", "list"]) == 0
    assert capsys.readouterr().out == "(no feeds: add one with `svodka feeds add URL`)\n"


def test_an_import_skips_private_addresses(cli_database, tmp_path, capsys):
    source = tmp_path / "private.opml"
    source.write_bytes(PRIVATE_FEEDS)
    assert main(["feeds", "import", str(source)]) == 0
    local = "is a private or local address"
    assert capsys.readouterr().out.splitlines() == [
        "1 feeds added, 0 already there, 3 entries skipped",
        f"  skipped Loopback: 'http://127.0.0.1/rss' refused: 127.0.0.1 {local}",
        f"  skipped Office: 'http://10.1.2.3/feed' refused: 10.1.2.3 {local}",
        f"  skipped Mapped: 'http://[::ffff:192.168.0.1]/rss' refused: ::ffff:192.168.0.1 {local}",
    ]
