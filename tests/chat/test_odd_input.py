"""Odd input never breaks the bot or goes unanswered: forged buttons, repeated updates, long
messages, HTML in titles, unknown commands, a user who types too fast."""

from __future__ import annotations

import pytest
from sqlalchemy import Text, cast, update

from bot import texts
from bot.storage import chats
from bot.storage.schema import articles
from localapi import Fault


def forged_press(harness, message: dict, data: str) -> None:
    """A client sending callback data that no button of ours carries."""
    harness.api.inject({"callback_query": {
        "id": harness.api.state.open_callback(), "from": harness.user, "message": message,
        "chat_instance": "1", "data": data,
    }})  # fmt: skip


async def test_forged_callback_data_is_answered_and_changes_nothing(harness):
    await harness.say("/subscribe спорт")
    [keyboard] = await harness.say("/topics")
    forged = ["garbage", "tp", "tp:nonexistent", "us:999999", "us:abc", "lm:@:abc:5",
              "lm:@:5:1000", "sm:-5:x", "dt:9999", "in:maybe", "",
              "lm:@:99999999999999999999:5", "lm:@:0:5", "us:99999999999999999999", "us:-1",
              "sm:99999999999999999999:курс"]  # fmt: skip
    for data in forged:
        forged_press(harness, keyboard, data)
    answers = await harness.api.wait_for("answerCallbackQuery", count=len(forged))
    assert {call.params.get("text") for call in answers} == {texts.STALE_BUTTON}
    async with harness.db.read() as conn:
        subs = await chats.list_subscriptions(conn, harness.user["id"])
    assert [(sub.kind, sub.value) for sub in subs] == [("topic", "sport")]
    assert harness.api.calls_to("sendMessage")[-1].result["text"] == texts.TOPICS_TITLE


async def test_the_same_update_twice_is_handled_once(harness):
    update = harness.api.inject_message("/subscribe спорт")
    harness.api.inject(update)  # the server delivers it again, same update_id
    await harness.say("/help")
    texts_sent = [message["text"] for message in harness.api.sent_messages()]
    assert texts_sent.count("Готово: тема «Спорт».") == 1
    assert not any(text.startswith("Вы уже подписаны") for text in texts_sent)


async def test_a_5000_character_message_gets_an_answer(harness):
    long_words = ("ыфва " * 1000)[:5000]
    [reply] = await harness.say(long_words)
    assert reply["text"] == texts.PLAIN_TEXT
    [reply] = await harness.say("/search " + long_words)
    assert reply["text"].startswith("По запросу «ыфва ыфва")
    assert len(reply["text"]) < 200  # the query is cut, not echoed whole
    reply, asked = await harness.say("/subscribe " + long_words, count=2)
    assert reply["text"].startswith("Готово")
    assert asked["text"].startswith("Как присылать новости?")  # the first subscription


async def test_html_in_a_title_arrives_as_text(harness):
    title = "<b>Рост</b> & «падение» <script>x</script>"
    async with harness.db.transaction() as conn:
        newest = (await conn.execute(articles.select().order_by(articles.c.id.desc()))).first()
        await conn.execute(update(articles).where(articles.c.id == newest.id).values(title=title))
    [reply] = await harness.say("/latest 1")
    assert reply["text"].split("\n")[2] == title  # after the header and a blank line
    bold = next(entity for entity in reply["entities"] if entity["type"] == "bold"
                and entity["offset"] > 0)  # fmt: skip
    assert bold["length"] == len(title)


async def test_an_article_link_telegram_cannot_open_leaves_latest_working(harness):
    async with harness.db.transaction() as conn:  # stored before ingest checked links
        await conn.execute(
            update(articles).values(url="javascript:alert(" + cast(articles.c.id, Text) + ")")
        )
    [reply] = await harness.say("/latest 3")
    assert reply["text"] != texts.SOMETHING_WRONG and reply["text"].count("\n\n") >= 3
    kinds = {entity["type"] for entity in reply.get("entities", ())}
    assert "bold" in kinds and "text_link" not in kinds  # formatted; only the link is gone


@pytest.mark.parametrize("problem", ["Unsupported URL protocol", "Wrong HTTP URL"])
async def test_a_link_telegram_refuses_costs_only_the_link(harness, problem):
    harness.api.fail(Fault.bad_request(problem), method="sendMessage")
    [reply] = await harness.say("/latest 1")
    refused, accepted = harness.api.calls_to("sendMessage")[-2:]
    assert refused.status == 400 and accepted.status == 200
    assert reply["text"] == refused.params["text"] and "entities" not in reply


async def test_unknown_command_and_plain_text_point_to_help(harness):
    [reply] = await harness.say("/frobnicate now")
    assert reply["text"] == texts.UNKNOWN_COMMAND
    [reply] = await harness.say("привет, что нового?")
    assert reply["text"] == texts.PLAIN_TEXT


async def test_a_fast_user_is_slowed_down_in_order_not_dropped(harness_with):
    async with harness_with(throttle_rate=5.0, throttle_burst=2) as harness:
        words = [f"слово{number}" for number in range(8)]
        for word in words:
            harness.api.inject_message(f"/subscribe {word}")
        # The first subscription also asks how to deliver, once.
        sent = await harness.api.wait_sent(harness.user["id"], count=len(words) + 1)
        texts_sent = [message["text"] for message in sent]
        assert texts_sent.pop(1).startswith("Как присылать новости?")
        assert texts_sent == [f"Готово: буду искать слово «{word}»." for word in words]
        calls = harness.api.calls_to("sendMessage")
        assert calls[-1].at - calls[0].at >= (len(words) - 2) / 5.0 * 0.8


async def test_a_failing_handler_still_answers_the_user(harness):
    # A refusal no retry can mend (5xx and 429 are retried: tests/chat/test_answers.py).
    harness.api.fail(Fault.bad_request("message is too long"), method="sendMessage")
    [reply] = await harness.say("/latest")
    assert reply["text"] == texts.SOMETHING_WRONG


async def test_pressing_the_current_setting_again_is_harmless(harness):
    [panel] = await harness.say("/settings")
    await harness.press(panel, button=2)  # digest at 09:00
    answer = await harness.press(harness.current(panel), button=2)  # the same again
    assert answer.get("text") is None  # answered quietly, no error
    assert "Ежедневная сводка: 09:00" in harness.current(panel)["text"]


async def test_a_button_under_a_deleted_message_does_its_work_and_edits_nothing(harness):
    """Telegram sends an InaccessibleMessage (date 0) under a button whose message is gone:
    it has no content to edit, so the toggle is made and answered, and no edit is tried."""
    from summarizer.topics import TOPICS

    [keyboard] = await harness.say("/topics")
    gone = {"chat": keyboard["chat"], "message_id": keyboard["message_id"], "date": 0}
    forged_press(harness, gone, f"tp:{TOPICS[0].slug}")
    [answer] = await harness.api.wait_for("answerCallbackQuery")
    assert answer.params.get("text") == texts.TOPIC_TOGGLED_ON.format(TOPICS[0].name)
    assert not [call for call in harness.api.calls if call.method.startswith("editMessage")]
