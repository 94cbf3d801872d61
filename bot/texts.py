"""Every user-facing string of the bot, in one place, ready for another language.

Plain strings are sent as HTML (the bot's default parse mode), so they must not contain outside
text: anything that comes from users or the web is put in with aiogram.utils.formatting by the
caller. `{}`-style placeholders here only ever receive our own numbers and names.
"""

from __future__ import annotations

# Commands for setMyCommands, in menu order: (command, description).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("latest", "Свежие новости"),
    ("top", "Главное за сутки"),
    ("topics", "Темы и подписки"),
    ("subscribe", "Подписаться на тему, слово или источник"),
    ("unsubscribe", "Отписаться"),
    ("mysubs", "Мои подписки"),
    ("sources", "Источники"),
    ("mute", "Скрыть слово или источник"),
    ("mutes", "Что скрыто"),
    ("search", "Поиск по архиву"),
    ("digest", "Сводка сейчас"),
    ("settings", "Настройки"),
    ("channel", "Каналы и группы"),
    ("help", "Все команды"),
)
GROUP_COMMANDS = (
    "latest",
    "top",
    "topics",
    "subscribe",
    "unsubscribe",
    "mysubs",
    "sources",
    "mute",
    "mutes",
    "search",
    "digest",
    "settings",
    "help",
)

GREETING = (
    "Привет! Я <b>Сводка</b> — собираю новости, пишу к каждой короткую выжимку "
    "и раскладываю по темам.\n\n"
    "Выберите темы ниже — и я буду присылать новое по ним: сводку раз в день в 09:00 "
    "или сразу, как решите. Свежее прямо сейчас: /latest, все команды: /help."
)
GREETING_GROUP = "Привет! Я <b>Сводка</b>. Темы для этого чата — ниже, все команды — /help."
DEEP_LINK_SUBSCRIBED = "Вы подписаны на тему «{topic}»."

HELP = (
    "<b>Что я умею</b>\n\n"
    "/latest — свежие новости: <code>/latest</code>, <code>/latest спорт 10</code>\n"
    "/top — главное за сутки: о чём пишет больше всего изданий, <code>/top экономика 5</code>\n"
    "/topics — темы кнопками: нажмите, чтобы подписаться\n"
    "/subscribe — тема или слово: <code>/subscribe экономика</code>, "
    "<code>/subscribe биткоин</code>\n"
    "/unsubscribe — <code>/unsubscribe спорт</code> или <code>/unsubscribe all</code>\n"
    "/subscribe источник — <code>/subscribe источник Медуза</code>, "
    "<code>/subscribe meduza.io</code>, <code>/subscribe @канал</code>\n"
    "/sources — источники кнопками\n"
    "/mysubs — ваши подписки\n"
    "/mute — скрыть: <code>/mute санкции</code>, <code>/mute источник РЕН ТВ</code>, "
    "<code>/mute @канал</code>; <code>/unmute …</code>, <code>/mutes</code> — список. "
    "Рекламу я скрываю сам; показать — <code>/mute off реклама</code>\n"
    "/search — поиск по архиву: <code>/search курс рубля</code>\n"
    "/digest — сводка по подпискам прямо сейчас\n"
    "/schedule — время ежедневной сводки: <code>/schedule 09:00</code>, "
    "<code>/schedule off</code>\n"
    "/timezone — часовой пояс: <code>/timezone Asia/Almaty</code> или "
    "<code>/timezone +5</code>\n"
    "/instant — новости сразу, как выходят: <code>/instant on</code>\n"
    "/settings — все настройки кнопками\n"
    "/channel — сводка в ваш канал: <code>/channel add @канал спорт 09:00</code>, "
    "<code>/channel list</code>"
)
HELP_ADMIN = (
    "\n\n<b>Администратору</b>\n"
    "/add — добавить статью: <code>/add https://…</code> или текст\n"
    "/feeds — ленты; <code>/feed add https://…/rss</code>, <code>/feed remove https://…</code>\n"
    "/stats — статистика"
)

UNKNOWN_COMMAND = "Не знаю такой команды. Все команды — /help."
PLAIN_TEXT = "Я понимаю команды. Например, /latest — свежие новости, /help — все команды."
STALE_BUTTON = "Эта кнопка больше не работает."
TOO_MANY_MESSAGES = "Слишком много сообщений подряд — подождите немного, лишние я пропускаю."
SOMETHING_WRONG = "Что-то пошло не так. Попробуйте ещё раз чуть позже."
ONLY_ADMINS = "Менять настройки этого чата могут только его администраторы."

# Topics and subscriptions.
TOPICS_TITLE = "Темы. Нажмите, чтобы подписаться или отписаться (✅ — вы подписаны)."
TOPIC_ON = "✅ {}"
SUBSCRIBED_TOPIC = "Готово: тема «{topic}»."
SUBSCRIBED_KEYWORD = "Готово: буду искать слово «{}»."
ALREADY_SUBSCRIBED = "Вы уже подписаны на «{}»."
UNSUBSCRIBED = "Отписал от «{}»."
UNSUBSCRIBED_ALL = "Отписал от всего ({})."
NOT_SUBSCRIBED = "Подписки «{}» нет. Ваши подписки — /mysubs."
NO_SUBSCRIPTIONS = "Подписок пока нет. Выберите темы — /topics, или /subscribe слово."
MY_SUBSCRIPTIONS = "Ваши подписки. Нажмите, чтобы удалить:"
SUBSCRIBE_USAGE = (
    "Напишите тему или слово: <code>/subscribe экономика</code> или "
    "<code>/subscribe биткоин</code>. Все темы — /topics."
)
UNSUBSCRIBE_USAGE = (
    "Напишите, от чего отписаться: <code>/unsubscribe спорт</code> или "
    "<code>/unsubscribe all</code>. Ваши подписки — /mysubs."
)
BAD_KEYWORD = "В запросе нет слов. Напишите тему или слово, например «экономика»."
TOO_MANY_SUBSCRIPTIONS = "Подписок уже {} — это предел. Удалите лишние: /mysubs."
KEYWORD_MARK = "🔎 {}"
TOPIC_TOGGLED_ON = "Подписал на «{}»"
TOPIC_TOGGLED_OFF = "Отписал от «{}»"
REMOVED = "Удалено"

SUBSCRIBED_SOURCE = "Готово: всё из «{}»."
SOURCE_NOT_FOUND = "Не нашёл источник «{}». Все источники — /sources."
SOURCE_MARK = "📰 {}"
SOURCES_TITLE = (
    "Источники ({}): ✅ — вы подписаны, в скобках — статей за 7 дней. "
    "Нажмите, чтобы подписаться или отписаться."
)
SOURCES_EMPTY = "Источников пока нет."
SOURCE_BUTTON = "{} ({})"
PREVIOUS = "← Назад"
NEXT = "Дальше →"
SOURCE_WORD = "источник"  # "/subscribe источник Медуза"

# Asked once, at the first subscription.
DELIVERY_ASK = "Как присылать новости? Пока не выберете — сводка раз в день в 09:00 ({})."
BUTTON_DELIVERY_INSTANT = "Сразу"
BUTTON_DELIVERY_DAILY = "Раз в день в 09:00"
BUTTON_DELIVERY_TIME = "Выбрать время"
DELIVERY_INSTANT = "Буду присылать новости сразу, как выходят. Изменить — /settings."
DELIVERY_DAILY = "Сводка каждый день в 09:00 ({}). Изменить — /settings."
DELIVERY_TIME = "Напишите время сводки: <code>/schedule 18:30</code>."

# Mutes.
MUTE_USAGE = (
    "Что скрыть? <code>/mute санкции</code>, <code>/mute источник РЕН ТВ</code>, "
    "<code>/mute @канал</code>. Рекламу я скрываю сам; показать — <code>/mute off реклама</code>."
)
UNMUTE_USAGE = "Что вернуть? <code>/unmute санкции</code>. Список скрытого — /mutes."
MUTED_WORD = "Скрываю новости со словом «{}»."
MUTED_SOURCE = "Скрываю новости только из «{}»."
ALREADY_MUTED = "«{}» уже скрыто."
UNMUTED = "Снова показываю «{}»."
NOT_MUTED = "«{}» не скрыто. Список — /mutes."
TOO_MANY_MUTES = "Скрыто уже {} — это предел. Удалите лишнее: /mutes."
MUTES_TITLE = "Скрыто. Нажмите, чтобы вернуть:"
MUTES_EMPTY = "Ничего не скрыто, кроме рекламы."
ADS_WORD = "реклама"
ADS_HIDDEN = "Рекламу скрываю."
ADS_SHOWN = "Рекламу показываю. Скрыть снова — <code>/mute реклама</code>."
BUTTON_ADS_SHOW = "Показывать рекламу"
BUTTON_ADS_HIDE = "Скрывать рекламу"
MUTE_WORD_MARK = "🔇 {}"

# Latest and search.
LATEST_EMPTY = "Пока ничего нет."
LATEST_EMPTY_FOR = "По запросу «{}» пока ничего нет."
LATEST_HEADER_ALL = "Свежие новости"
LATEST_HEADER_SUBS = "Свежее по вашим подпискам"
LATEST_HEADER_FOR = "Свежее: {}"
LATEST_COUNT_RANGE = "Число статей — от 1 до {}, например: <code>/latest спорт 10</code>."
LATEST_CAPPED = "Показываю {} — больше за раз нельзя."
MORE = "Ещё"
NOTHING_MORE = "Больше ничего нет."
SEARCH_USAGE = "Что искать? Например: <code>/search курс рубля</code>."
SEARCH_EMPTY = "По запросу «{}» ничего не нашёл."
SEARCH_HEADER = "Найдено: {}"

# Stories: one event from several outlets.
SOURCES_ONE = "{} источник"  # 1, 21, 31...
SOURCES_FEW = "{} источника"  # 2-4, 22-24...
SOURCES_MANY = "{} источников"  # 0, 5-20, 25-30...
SOURCES_MORE = "и ещё {}"
STORY_ADDITION = "{outlet} добавляет: {sentence}"  # one sentence another outlet adds to a story
ANOTHER_OUTLET = "Другой источник"  # ... when its name is unknown (a file, a pasted text)
TOP_HEADER = "Главное за сутки"
TOP_HEADER_FOR = "Главное за сутки: {}"
TOP_HEADER_SUBS = "Главное за сутки по вашим подпискам"
TOP_EMPTY = "За сутки ничего не вышло."
TOP_EMPTY_FOR = "За сутки по запросу «{}» ничего не вышло."
TOP_COUNT_RANGE = "Число сюжетов — от 1 до {}, например: <code>/top экономика 5</code>."

# Digest and settings.
DIGEST_HEADER = "Сводка"
DIGEST_EMPTY = "Для сводки пока ничего нет."
SETTINGS_TITLE = "<b>Настройки</b>"
SETTINGS_TIMEZONE = "Часовой пояс: {}"
SETTINGS_SCHEDULE = "Ежедневная сводка: {}"
SETTINGS_SCHEDULE_OFF = "Ежедневная сводка: выключена"
SETTINGS_INSTANT = "Новости сразу: {}"
SETTINGS_SUBSCRIPTIONS = "Подписки: {} — /mysubs"
SETTINGS_PREVIEW = "Превью ссылок: {}"
SETTINGS_PREVIEW_DEFAULT = "в мгновенных — вкл, в сводке — выкл"
SETTINGS_LENGTH = "Длина: {}"
LENGTHS = {1: "коротко", 3: "обычно", 5: "подробно"}
BUTTON_PREVIEW = "Превью ссылок: {}"
BUTTON_LENGTH = "Длина: {}"
PREVIEW_ON = "вкл"
PREVIEW_OFF = "выкл"
ON = "включены"
OFF = "выключены"
BUTTON_INSTANT_ON = "Новости сразу: включить"
BUTTON_INSTANT_OFF = "Новости сразу: выключить"
BUTTON_SCHEDULE = "Сводка в {}"
BUTTON_SCHEDULE_OFF = "Без сводки"
BUTTON_TOPICS = "Темы"
SCHEDULE_SET = "Ежедневная сводка в {} ({})."
SCHEDULE_OFF = "Ежедневная сводка выключена."
SCHEDULE_USAGE = "Напишите время: <code>/schedule 09:00</code> или <code>/schedule off</code>."
SCHEDULE_BAD = (
    "Не понял время. Нужно ЧЧ:ММ от 00:00 до 23:59, например <code>/schedule 09:00</code>."
)
TIMEZONE_SET = "Часовой пояс: {}. Сейчас там {}."
TIMEZONE_USAGE = (
    "Напишите город или смещение от UTC: <code>/timezone Europe/Moscow</code>, "
    "<code>/timezone +5</code>."
)
TIMEZONE_BAD = (
    "Не знаю такого пояса. Нужно как <code>Asia/Almaty</code> или смещение в целых часах: "
    "<code>+5</code>, <code>UTC-3</code>."
)
INSTANT_ON = "Буду присылать новости по подпискам сразу, как они выходят."
INSTANT_ON_NO_SUBS = INSTANT_ON + " Но подписок пока нет — выберите темы: /topics."
INSTANT_OFF = "Больше не присылаю новости сразу."
INSTANT_USAGE = "Напишите <code>/instant on</code> или <code>/instant off</code>."

# Admin.
NOT_ADMIN = "Эта команда только для администраторов бота."
ADD_USAGE = "Пришлите ссылку или текст: <code>/add https://…</code>."
ADD_DUPLICATE = "Такая статья уже есть в архиве."
ADD_MERGED = "Это та же новость, что уже есть в архиве: добавил источник."
ADD_REJECTED = "Не получилось добавить: {}."
# Why a page or text could not be added, as an admin reads it: (pattern of the ingest's own
# English line, which the CLI and the log keep; Russian text, given the pattern's groups).
INGEST_PROBLEMS: tuple[tuple[str, str], ...] = (
    (r"unknown host (\S+)", "не нашёл сайт {}"),
    (
        r"refused: (\S+) is a private or local address",
        "{} — адрес внутренней сети, его не открываю",
    ),
    (r"no answer within (\S+) s", "сайт не ответил за {} с"),
    (r"HTTP (\d+)", "сайт ответил ошибкой {}"),
    (r"larger than (\S+) MB", "страница больше {} МБ"),
    (r"not a web page", "по ссылке не веб-страница"),
    (r"binary content", "по ссылке не текст"),
    (r"more than \d+ redirects", "слишком много перенаправлений"),
    (r"no article text", "не нашёл текста статьи"),
    (r"not an http\(s\) URL", "нужна ссылка http или https"),
    (r"cannot fetch", "не удалось загрузить страницу"),
)
FEEDS_EMPTY = "Лент нет. Добавьте: <code>/feed add https://…/rss</code>."
FEEDS_TITLE = "Ленты ({}):"
FEED_STATE = (
    "   каждые {} мин · статей за сутки: {}\n   последний удачный опрос: {} · следующий: {}"
)
FEED_LAST_ERROR = "   ⚠ ошибка {}: {}"
FEED_FAILING_LONG = "   ❗ не работает больше суток (с {})"
FEED_NEVER = "не было"
OPML_TITLE = "Ленты Сводки"
OPML_EXPORTED = "Ленты в формате OPML: {}. Этот файл примет любая читалка RSS."
OPML_WHAT = "Чтобы добавить ленты из файла, пришлите файл OPML (.opml или .xml)."
OPML_REFUSED = "Файл не принят, ничего не добавлено: {}."
OPML_TOO_BIG = "файл больше 1 МБ"
OPML_IMPORTED = "Импорт OPML: добавлено лент — {}, уже были — {}, пропущено записей — {}."
OPML_MORE_PROBLEMS = "…и ещё пропущено: {}"
FEED_USAGE = "Напишите <code>/feed add https://…</code> или <code>/feed remove https://…</code>."
FEED_ADDED = "Лента добавлена, загружу её в ближайшие минуты."
CHANNEL_ADDED = (
    "Канал добавлен: буду читать его открытую веб-версию, первые посты — в ближайшие минуты."
)
FEED_REMOVED = "Лента удалена."
FEED_NOT_FOUND = "Такой ленты нет. Список — /feeds."
# Channels the bot administers (their posts arrive as updates, nothing is polled).
ADMIN_CHANNEL_ADDED = "Канал «{}» добавлен: я его администратор, беру посты сразу, как выходят."
ADMIN_CHANNEL_REFUSED = "Не могу читать {}: сделайте меня администратором этого канала."
ADMIN_CHANNEL_NO_TELEGRAM = "Telegram не ответил, проверить канал не удалось. Попробуйте позже."
ADMIN_CHANNEL_LOST = "я больше не администратор канала: посты не приходят"
ADMIN_CHANNEL_STATE = "   я администратор: посты приходят сразу · постов за сутки: {}"
STATS_TITLE = "Статистика"
STATS_ARTICLES = "Статей: {}"
STATS_TOPICS = "По темам: {}"
STATS_CHATS = "Чатов: {} (личных {}, групп {}, каналов {})"
STATS_DELIVERIES = "Доставки: {}"
STATS_DATABASE = "База данных: {:.1f} МБ"
DELIVERY_STATES = {
    "pending": "в очереди",
    "sent": "отправлено",
    "failed": "не удалось",
    "dropped": "отменено",
}
STATS_ERRORS = "Последние ошибки:"
STATS_NO_ERRORS = "Ошибок нет."

# Channels and groups.
CHANNEL_USAGE = (
    "Как подключить канал: добавьте меня в администраторы канала с правом публикации, "
    "затем напишите\n<code>/channel add @канал спорт, экономика 09:00</code>\n"
    "Без времени — публикую каждую новость сразу, со временем — сводку раз в день. "
    "В конце можно указать часовой пояс канала: <code>09:00 Asia/Novosibirsk</code>.\n"
    "<code>/channel list</code> — ваши каналы, <code>/channel remove @канал</code> — отключить."
)
CHANNEL_NEEDS_TOPICS = "Напишите темы для канала: <code>/channel add @канал спорт 09:00</code>."
CHANNEL_UNKNOWN_TOPICS = "Не знаю тем: {}. Все темы — /topics."
CHANNEL_NOT_FOUND = "Не нашёл чат {}. Проверьте имя и добавьте меня в его администраторы."
CHANNEL_NOT_CHANNEL = "{} — это личный чат, а не канал или группа."
CHANNEL_CALLER_NOT_ADMIN = "Вы не администратор {}. Подключать его могут только администраторы."
CHANNEL_BOT_CANNOT_POST = (
    "Я не могу публиковать в {}. Сделайте меня администратором с правом публикации сообщений."
)
CHANNEL_ADDED_INSTANT = "Готово: публикую в {} каждую новость по темам: {}."
CHANNEL_ADDED_DIGEST = "Готово: сводка в {} каждый день в {} ({}) по темам: {}."
CHANNEL_REMOVED = "Отключил {}."
CHANNEL_NOT_CONNECTED = "{} не подключён. Ваши каналы — /channel list."
CHANNEL_LIST_EMPTY = "Подключённых каналов нет. Как подключить — /channel."
CHANNEL_LIST_TITLE = "Ваши каналы:"
CHANNEL_LIST_INSTANT = "сразу"

# Words users may type as arguments (besides the English ones).
WORDS_ON = frozenset({"on", "вкл", "да"})
WORDS_OFF = frozenset({"off", "выкл", "нет"})
WORDS_ALL = frozenset({"all", "все", "всё"})

# Rendering.
TIME_FORMAT = "%d.%m.%Y %H:%M"
UTC_OFFSET = "UTC{:+d}"
