"""`svodka demo --script`: the acceptance path, offline, as a person would see it."""

from __future__ import annotations

from bot.demo import plain, run_demo

TOKAYEV = "Алматы необходимо развивать креативную экономику, считает Токаев"
NOISE = ("Фото", "• 3658", "Еще по теме", "Свежее из этой рубрики")


async def test_demo_script_shows_the_seed_and_a_push():
    lines: list[str] = []
    script = ["/start", "/latest", "1", "/subscribe наука", "/instant on", "!new"]
    assert await run_demo(script, out=lines.append) == 0
    shown = "\n".join(lines)
    assert TOKAYEV in shown
    assert not any(noise in shown for noise in NOISE)
    assert "[1] Ещё" in shown  # buttons are listed by number
    after_new = shown.split("› !new", 1)[1]
    assert "берестяную грамоту" in after_new  # pushed by delivery after /instant on


async def test_a_push_right_after_instant_on_is_waited_for():
    # The sender waits out Telegram's spacing when it starts; the demo must wait for it too.
    lines: list[str] = []
    assert await run_demo(["/subscribe наука", "/instant on", "!new"], out=lines.append) == 0
    assert "берестяную грамоту" in "\n".join(lines).split("› !new", 1)[1]


def test_plain_text_writes_links_out():
    message = {
        "text": "Заголовок и текст",
        "entities": [{"type": "text_link", "offset": 0, "length": 9, "url": "https://e.ru/a"}],
    }
    assert plain(message) == "Заголовок (https://e.ru/a) и текст"
