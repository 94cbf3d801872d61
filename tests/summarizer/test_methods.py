import subprocess
import sys

import pytest

from summarizer import METHODS
from summarizer.methods import SUMY_METHODS, Document, default, get, sumy_adapter

DOG = "Собака громко лает во дворе дома."
CAT = "Кошка спит на диване в гостиной."
RAIN = "В Москве идет сильный дождь."


@pytest.mark.parametrize(
    "sentences, count, expected",
    [
        ((DOG, CAT, RAIN), 0, []),
        ((DOG,), 3, [0]),
        # a repeat adds no new tokens, so it cannot raise the expected F1
        ((DOG, DOG, CAT), 2, [0, 2]),
        ((CAT, DOG, DOG), 2, [0, 1]),
    ],
)
def test_default_choice(sentences, count, expected):
    assert sorted(default.choose(sentences, count, default.trained_model())) == expected


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("Мост открыли.", False),
        ("Кто виноват?", False),
        ("«Мы готовы», — сказал он.", False),
        ("«Мы готовы»", False),
        ("Мост открыли в присутствии", True),
        ("Цена составила 5 млн (около", True),
    ],
)
def test_is_unfinished(sentence, expected):
    assert default.is_unfinished(sentence) is expected


@pytest.mark.parametrize(
    "sentences, count, expected",
    [
        ((DOG, CAT, "Идет сильный дождь и собака громко лает во дворе дома"), 2, [0, 1]),
        ((DOG, "Идет сильный дождь и собака громко лает во"), 2, [0, 1]),
    ],
)
def test_default_takes_an_unfinished_last_sentence_only_if_needed(sentences, count, expected):
    assert sorted(default.choose(sentences, count, default.trained_model())) == expected


def test_default_prefers_what_the_article_repeats():
    sentences = (
        "Погода сегодня переменчивая.",
        "Пожар на складе в Казани потушили к утру.",
        "Соседи обсуждают новый сериал.",
        "Пожар на складе начался ночью, склад в Казани сгорел.",
    )
    chosen = default.choose(sentences, 1, default.trained_model())
    assert chosen in ([1], [3])


@pytest.mark.parametrize(
    "token, expected",
    [("слово", True), (",", True), (".", False), ("...", False), ("т.е", True)],
)
def test_is_word(token, expected):
    assert default.is_word(token) is expected


def test_token_features_position_and_counts():
    features = default.token_features(default.tokenize(["Москва растет.", "Москва и Казань."]))
    assert features["москва"]["log_count"] == pytest.approx(1.0986, abs=1e-4)
    assert features["москва"]["in_first_sentence"] == 1.0
    assert features["казань"]["in_first_sentence"] == 0.0
    assert features["казань"]["capitalized_share"] == 1.0
    assert features["и"]["stop_word"] == 1.0
    assert features["казань"]["proper"] == 1.0
    assert set().union(*features.values()) <= set(default.FEATURES)


@pytest.mark.parametrize(
    "weights, bias, features, expected",
    [
        ({}, 0.0, {"length": 1.0}, 0.5),
        ({"length": 2.0}, -2.0, {"length": 1.0}, 0.5),
        ({"length": 1.0}, 0.0, {"length": 100.0}, 1.0),
        ({"length": -1.0}, 0.0, {"length": 10_000.0}, 0.0),
        ({"unknown": 5.0}, 0.0, {}, 0.5),
    ],
)
def test_model_probability(weights, bias, features, expected):
    model = default.Model(weights, bias, 40.0)
    assert model.probability(features) == pytest.approx(expected)


def test_trained_model_has_every_feature():
    model = default.trained_model()
    assert set(model.weights) == set(default.FEATURES)
    assert 20 < model.reference_tokens < 80


@pytest.mark.parametrize(
    "sentences, chosen, expected",
    [
        (("А.", "Б.", "В."), ["А.", "В."], [0, 2]),
        (("А.", "А.", "Б."), ["А.", "Б."], [0, 2]),
        (("А.", "А."), ["А.", "А."], [0, 1]),
    ],
)
def test_sumy_indices(sentences, chosen, expected):
    assert sumy_adapter._indices(sentences, iter(chosen)) == expected


def test_sumy_tokenizer_is_razdel():
    tokenizer = sumy_adapter.RazdelTokenizer()
    assert tokenizer.to_words("К.-Ж. Токаев, т. е. президент") == [
        "к",
        "ж",
        "токаев",
        "т",
        "е",
        "президент",
    ]
    assert tokenizer.to_sentences("Первое. Второе!") == ["Первое.", "Второе!"]


@pytest.mark.parametrize("algorithm", SUMY_METHODS)
def test_sumy_never_returns_the_title(algorithm):
    document = Document((DOG, CAT, RAIN), title="Собака и кошка")
    chosen = sumy_adapter.select(document, 2, algorithm=algorithm)
    assert len(chosen) == 2
    assert all(0 <= index < 3 for index in chosen)


def test_edmundson_gets_cue_words():
    summarizer = sumy_adapter._summarizer("edmundson")
    assert "заявить" in summarizer.bonus_words
    assert "напомнить" in summarizer.stigma_words
    assert "и" in summarizer.null_words


@pytest.mark.parametrize("name", ["", "Default", "bert", "oracle"])
def test_unknown_method(name):
    with pytest.raises(ValueError, match="unknown method"):
        get(name)


@pytest.mark.parametrize("name", METHODS)
def test_every_method_resolves(name):
    assert callable(get(name))


def test_heavy_modules_stay_unimported():
    """sumy (and NLTK behind it), scikit-learn and aiogram cost seconds to import: the
    default method must not pull them in."""
    code = (
        "import sys, summarizer\n"
        "summarizer.summarize('Первое предложение. Второе предложение.')\n"
        "print(sorted(m for m in ('sumy', 'nltk', 'sklearn', 'aiogram') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
