from pathlib import Path

import pytest

from summarizer import clean
from summarizer.eval.topics import Example, read_examples, score
from summarizer.text import lemma, lemmas
from summarizer.topics import (
    TOPICS,
    TopicModel,
    classify,
    classify_lemmas,
    default_model,
    find_topic,
    keywords,
    topic_for_category,
)

ROOT = Path(__file__).resolve().parents[2]
SLUGS = {topic.slug for topic in TOPICS}


# --- data files ------------------------------------------------------------------------------


def test_taxonomy_has_the_required_topics():
    required = "politics economy society technology science sport culture tourism health"
    assert {*required.split(), "incidents", "world"} <= SLUGS


@pytest.mark.parametrize("slug", sorted(SLUGS))
def test_keywords_are_lemmas(slug):
    assert [word for word in sorted(keywords()[slug]) if lemma(word) != word] == []


# --- rubrics and feed categories -------------------------------------------------------------


@pytest.mark.parametrize(
    "category, slug",
    [
        ("Экономика", "economy"),
        ("Деньги и власть", "economy"),
        ("  силовые   СТРУКТУРЫ ", "incidents"),
        ("Наука и техника", "science"),
        ("Мир", "world"),
        ("В мире", "world"),
        ("Бывший СССР", "world"),
        ("Забота о себе", "health"),
        ("Путешествия", "tourism"),
        ("Ценности", "culture"),
        ("entertainment", "culture"),
        ("Рецепты", None),
        ("", None),
    ],
)
def test_topic_for_category(category, slug):
    assert topic_for_category(category) == slug


def test_every_rubric_maps_to_a_known_topic():
    from summarizer.topics import _rubrics

    assert set(_rubrics().values()) <= SLUGS


# --- /subscribe names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, slug",
    [
        ("economy", "economy"),
        ("Экономика", "economy"),
        ("экономике", "economy"),
        ("ЭКОНОМИКОЙ", "economy"),
        ("спорта", "sport"),
        ("в мире", "world"),
        ("В МИРЕ", "world"),
        ("мир", "world"),
        ("про спорт", "sport"),
        ("хоккей", "sport"),
        ("Наука и техника", "science"),
        ("туризм", "tourism"),
        ("здоровье", "health"),
        ("погода", None),
        ("", None),
        ("   ", None),
    ],
)
def test_find_topic(query, slug):
    topic = find_topic(query)
    assert (topic.slug if topic else None) == slug


# --- classification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, first",
    [
        ("Сборная России по хоккею обыграла финнов в полуфинале чемпионата мира", "sport"),
        ("ЦБ повысил ключевую ставку, рубль укрепился к доллару", "economy"),
        ("Число туристов в Сочи выросло, город развивает сферу туризма", "tourism"),
        ("Врачи назвали первые симптомы диабета и объяснили, как его лечить", "health"),
        ("В Подмосковье задержали подозреваемого в убийстве двух человек", "incidents"),
        ("Режиссер снял фильм по роману Толстого, премьера пройдет на кинофестивале", "culture"),
        ("Астрономы с помощью телескопа обнаружили у далекой звезды новую планету", "science"),
        ("Новый смартфон получит чип с нейросетью и обновление операционной системы", "technology"),
        ("Госдума приняла закон о выборах губернаторов во втором чтении", "politics"),
        ("Канцлер Германии и президент Франции обсудили в Париже помощь Украине", "world"),
    ],
)
def test_headline_first_topic(title, first):
    assert classify("", title=title)[0] == first


def test_seed_article_is_economy_first():
    topics = classify((ROOT / "seeds" / "000_b548b0995df282f2.txt").read_text(encoding="utf-8"))
    assert topics[0] == "economy"


@pytest.mark.parametrize("text", ["", "   ", "12 345 678", "!!! ??? ...", "• 3658"])
def test_text_without_words_has_no_topics(text):
    assert classify(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Матч завершился победой хозяев. Правительство обсудило бюджет. Театр показал премьеру.",
        "Президент, биржа, футбол, музей, вакцина, пожар, туристы, смартфон, ученые, школа.",
        "Путин " * 100_000,  # far longer than any article: only its start is read
    ],
)
def test_at_most_three_known_topics_best_first(text):
    model = default_model()
    topics = model.classify(text)
    probabilities = model.probabilities(text)
    assert 1 <= len(topics) <= 3
    assert len(set(topics)) == len(topics) and set(topics) <= SLUGS
    assert [probabilities[slug] for slug in topics] == sorted(
        (probabilities[slug] for slug in topics), reverse=True
    )


@pytest.mark.parametrize(
    "categories, first",
    [
        (("Спорт",), "sport"),
        (("Путешествия",), "tourism"),
        (("Нет такой рубрики", "Культура"), "culture"),
    ],
)
def test_feed_category_leads_for_neutral_text(categories, first):
    text = "Об этом сообщили в среду, подробности пока не раскрываются."
    assert classify(text, categories=categories)[0] == first


def test_feed_category_alone_is_enough():
    assert classify("", categories=["Экономика"]) == ["economy"]


@pytest.mark.parametrize("page", sorted((ROOT / "seeds").glob("*.txt")), ids=lambda path: path.stem)
def test_lemmas_a_caller_has_give_the_same_topics(page):
    article = clean(page.read_text("utf-8"))
    given = classify_lemmas(lemmas(article.title), lemmas(article.body))
    assert given == classify(article.body, title=article.title)


def test_model_survives_save_and_load(tmp_path):
    model = default_model()
    model.save(tmp_path / "model.npz")
    loaded = TopicModel.load(tmp_path / "model.npz")
    text = "Курс рубля к доллару снизился после решения ЦБ по ключевой ставке"
    original, restored = model.probabilities(text), loaded.probabilities(text)
    assert original.keys() == restored.keys()
    assert all(abs(original[slug] - restored[slug]) < 1e-6 for slug in original)


@pytest.mark.parametrize(
    "text, first",
    [
        ("Футболист забил гол в финале кубка", "sport"),
        ("Регион обсудил развитие внутреннего туризма", "tourism"),  # "туризма" -> "туризм"
        ("Курсы валют: рубли, доллары и евро", "economy"),
    ],
)
def test_lexicon_baseline_matches_lemmas(text, first):
    assert TopicModel.lexicon_only().classify(text)[0] == first


# --- evaluation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "label, predicted, hit, top1",
    [
        ("Спорт", ["sport"], True, True),
        ("Спорт", ["world", "sport"], True, False),
        ("Общество", ["politics"], True, True),  # society news: politics counts too
        ("Наука и техника", ["technology", "world"], True, True),
        ("Экономика", ["world"], False, False),
        ("Экономика", [], False, False),
    ],
)
def test_hit_and_top1(label, predicted, hit, top1):
    report = score([(Example("", "", label), predicted)])
    assert (report.hits, report.top1, report.labels) == (hit, top1, len(predicted))


def test_unmapped_labels_are_skipped():
    report = score([(Example("", "", "Рецепты"), ["culture"]), (Example("", "", ""), [])])
    assert (report.articles, report.skipped) == (0, 2)


def test_precision_recall_f1():
    report = score(
        [
            (Example("", "", "Спорт"), ["sport"]),  # TP sport
            (Example("", "", "Спорт"), ["culture"]),  # FN sport, FP culture
            (Example("", "", "Культура"), ["sport", "culture"]),  # FP sport, TP culture
        ]
    )
    assert report.precision_recall_f1("sport") == (0.5, 0.5, 0.5)
    assert report.precision_recall_f1("culture") == (0.5, 1.0, pytest.approx(2 / 3))
    assert report.confusion["Спорт", "culture"] == 1


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            "url,title,text,date,rubric,tags\nu,Заголовок,Текст,d,Спорт,t\n",
            ("Заголовок", "Текст", "Спорт"),
        ),
        ("category,title,description\nМир,Заголовок,Анонс\n", ("Заголовок", "Анонс", "Мир")),
    ],
)
def test_read_examples(tmp_path, content, expected):
    path = tmp_path / "labeled.csv"
    path.write_text(content, encoding="utf-8")
    assert read_examples(path) == [Example(*expected)]


def test_read_examples_rejects_unknown_columns(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="expected columns"):
        read_examples(path)
