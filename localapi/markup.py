"""Telegram's HTML parse mode: text with tags in, plain text and entities out.

The local server parses HTML like Telegram does, so unescaped outside text (a title with
"<" in it) fails here with Telegram's "can't parse entities" error instead of in production.
"""

from html.parser import HTMLParser

from localapi.objects import JSON, utf16_len

TAG_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's wording."""


def parse_html(text: str) -> tuple[str, list[JSON]]:
    parser = _TelegramHTML(text)
    parser.feed(text)
    parser.close()
    return parser.finish()


class _TelegramHTML(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.parts: list[str] = []
        self.length = 0  # UTF-16 units of plain text so far
        self.open: list[tuple[str, JSON | None]] = []  # (tag, entity or None if merged)
        self.entities: list[JSON] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        entity_type = TAG_ENTITIES.get(tag)
        if tag == "span" and attributes.get("class") == "tg-spoiler":
            entity_type = "spoiler"
        if entity_type is None:
            self.fail(f'Unsupported start tag "{tag}"')
        entity: JSON = {"type": entity_type, "offset": self.length}
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "code" and self.open and self.open[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            pre = self.open[-1][1]
            if language and pre is not None:
                pre["language"] = language
                self.open.append((tag, None))  # <pre><code class="language-x"> is one pre entity
                return
        self.open.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            self.fail(f'Unexpected end tag "{tag}"')
        expected, entity = self.open.pop()
        if expected != tag:
            self.fail(f'Unmatched end tag "{tag}", expected "</{expected}>"')
        if entity is not None and self.length > entity["offset"]:
            entity["length"] = self.length - entity["offset"]
            self.entities.append(entity)

    def fail(self, problem: str) -> None:
        line, column = self.getpos()
        lines = self.source.split("\n")
        prefix = "\n".join([*lines[: line - 1], lines[line - 1][:column]])
        offset = len(prefix.encode())
        raise EntityParseError(f"can't parse entities: {problem} at byte offset {offset}")

    def finish(self) -> tuple[str, list[JSON]]:
        if self.open:
            tag = self.open[-1][0]
            raise EntityParseError(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
            )
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return "".join(self.parts), self.entities
