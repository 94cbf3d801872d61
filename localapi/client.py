"""An aiogram Bot that talks to a Bot API server at `base_url` (the local one in tests)."""

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from localapi.objects import DEFAULT_TOKEN


def make_bot(base_url: str, token: str = DEFAULT_TOKEN) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
