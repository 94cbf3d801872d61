"""Same event or not (summarizer/stories.py)."""

from pathlib import Path

import pytest

from summarizer.eval.stories import (
    Pair,
    cross_validate,
    evaluate,
    fit_threshold,
    read_pairs,
)
from summarizer.stories import (
    MAX_NAMES,
    MAX_TERMS,
    THRESHOLD,
    Profile,
    profile,
    profile_of,
    same_story,
    similarity,
    story_similarity,
)

RATE_TASS = (
    "ЦБ сохранил ключевую ставку на уровне 16%\n"
    "Банк России на заседании 25 октября сохранил ключевую ставку на уровне 16% годовых, "
    "сообщила пресс-служба регулятора. Председатель ЦБ Эльвира Набиуллина объяснила решение "
    "замедлением инфляции. Следующее заседание совета директоров пройдет в декабре."
)
RATE_RIA = (
    "Банк России оставил ключевую ставку без изменений\n"
    "Совет директоров Банка России 25 октября оставил ключевую ставку на уровне 16%. "
    "Как заявила Эльвира Набиуллина, инфляция замедляется, и регулятор не видит причин "
    "менять ставку. Аналитики ожидали такого решения."
)
RATE_OTHER = (
    "Сбербанк повысил ставки по вкладам\n"
    "Сбербанк с понедельника повысил ставки по рублевым вкладам на 0,5 процентного пункта, "
    "сообщил банк. Максимальная ставка по вкладу на год составит 18% годовых. "
    "Герман Греф ранее говорил о росте спроса на сбережения."
)


def test_the_same_event_told_by_two_outlets_is_one_story():
    assert same_story(RATE_TASS, RATE_RIA)
    assert story_similarity(RATE_TASS, RATE_RIA) == pytest.approx(
        story_similarity(RATE_RIA, RATE_TASS)
    )


def test_the_same_topic_with_another_event_is_not():
    assert not same_story(RATE_TASS, RATE_OTHER)
    assert story_similarity(RATE_TASS, RATE_OTHER) < story_similarity(RATE_TASS, RATE_RIA)


def test_titles_naming_different_dates_are_different_events():
    text = "Синоптики обещают в Москве облачную погоду, до минус трех градусов, без осадков."
    eighth = profile("Прогноз погоды на 8 ноября", text)
    sixteenth = profile("Прогноз погоды на 16 ноября", text)
    assert similarity(eighth, eighth) == pytest.approx(1.0)
    assert similarity(eighth, sixteenth) <= 0.5 * similarity(eighth, eighth)
    assert not similarity(eighth, sixteenth) >= THRESHOLD


@pytest.mark.parametrize(
    ("first", "second", "apart"),
    [
        ("Авария произошла 3 мая.", "Авария произошла 5 мая.", True),
        ("Авария произошла 3 мая.", "Авария 3 мая и пожар 5 мая.", False),
        ("Авария произошла 3 мая.", "Авария произошла утром.", False),  # one names no date
    ],
)
def test_texts_naming_only_different_dates_are_different_events(first, second, apart):
    title = "На трассе под Тверью столкнулись автобус и грузовик"
    same = similarity(profile(title, first), profile(title, first))
    found = similarity(profile(title, first), profile(title, second))
    assert (found <= 0.5 * same) is apart


def test_a_profile_stored_before_text_dates_still_reads():
    found = profile_of(RATE_TASS)
    encoded = found.encode().removeprefix(b"2\n")
    lines = encoded.split(b"\n", 5)
    old = b"\n".join(lines[:4] + lines[5:])  # without the version and the text dates
    restored = Profile.decode(old)
    assert (restored.vector.keys(), restored.dates, restored.mentioned) == (
        found.vector.keys(),
        found.dates,
        frozenset(),
    )


def test_a_profile_stored_before_the_bounds_is_bounded_when_read():
    words = [f"слово{n:03}" for n in range(3 * MAX_TERMS)]
    weight = 1 / len(words) ** 0.5
    unbounded = Profile(
        vector=dict.fromkeys(words, weight),
        title={},
        title_weight=0.0,
        names=frozenset(words),
        dates=frozenset(),
    )
    restored = Profile.decode(unbounded.encode())
    assert (len(restored.vector), len(restored.names)) == (MAX_TERMS, MAX_NAMES)
    assert sum(value * value for value in restored.vector.values()) == pytest.approx(1.0)


def test_similarity_is_between_zero_and_one_and_empty_input_is_not_a_story():
    assert 0.0 <= story_similarity(RATE_TASS, RATE_OTHER) <= 1.0
    assert story_similarity(RATE_TASS, RATE_TASS) == pytest.approx(1.0)
    assert story_similarity("", "") == 0.0
    assert not same_story("", RATE_TASS)


def test_names_and_keys_come_from_names_and_rare_title_words():
    found = profile_of(RATE_TASS)
    assert {"набиуллин", "цб"} <= found.names
    keys = found.index_keys()
    assert keys and set(keys) <= found.title.keys() | found.names
    assert "набиуллин" in keys


def test_abbreviations_that_name_nothing_are_no_keys():
    found = profile_of("Бюджет получит 5 млрд руб\nМинфин направит средства на дороги.")
    assert {"млрд", "руб"} <= found.names  # still a shared mention when comparing
    assert not {"млрд", "руб"} & set(found.index_keys())


@pytest.mark.parametrize("article", [RATE_TASS, RATE_RIA, RATE_OTHER, "", "Заголовок\n8 ноября"])
def test_a_profile_comes_back_from_its_encoding(article):
    found = profile_of(article)
    restored = Profile.decode(found.encode())
    assert restored.vector.keys() == found.vector.keys()
    assert (restored.title, restored.names, restored.dates, restored.mentioned) == (
        found.title,
        found.names,
        found.dates,
        found.mentioned,
    )
    for other in (RATE_TASS, RATE_OTHER):
        assert similarity(restored, profile_of(other)) == pytest.approx(
            similarity(found, profile_of(other)), abs=1e-6
        )


DEV = Path(__file__).resolve().parents[3] / "shared" / "eval" / "stories_pairs_dev.tsv"


@pytest.mark.skipif(not DEV.exists(), reason=f"{DEV} is absent")
def test_dev_pairs_keep_the_numbers_the_readme_gives():
    scores = evaluate(read_pairs(DEV))
    assert scores.total == 40
    assert (scores.true_positives, scores.false_positives) == (18, 1)
    assert (scores.true_negatives, scores.false_negatives) == (17, 4)


@pytest.mark.skipif(not DEV.exists(), reason=f"{DEV} is absent")
def test_cross_validation_of_the_dev_pairs_is_reproducible():
    pairs = read_pairs(DEV)
    first, again = cross_validate(pairs), cross_validate(pairs)
    assert first == again
    assert len(first.thresholds) == 5 * 20
    assert first.precision >= 0.88 and first.recall >= 0.8  # the numbers docs/stories.md gives


@pytest.mark.parametrize(
    ("scores", "same", "beta", "threshold"),
    [
        ([0.9, 0.7, 0.4, 0.2], [True, True, False, False], 0.5, 0.7),  # a clean cut
        ([0.9, 0.6, 0.5, 0.2], [True, False, True, False], 0.5, 0.9),  # precision first
        ([0.9, 0.6, 0.5, 0.2], [True, False, True, False], 2.0, 0.5),  # recall first
    ],
)
def test_the_threshold_is_fitted_for_f_beta(scores, same, beta, threshold):
    assert fit_threshold(scores, same, beta=beta) == threshold


def test_cross_validation_judges_each_pair_on_folds_it_was_not_fitted_on():
    same = [Pair(RATE_TASS, RATE_RIA, True)] * 5
    other = [Pair(RATE_TASS, RATE_OTHER, False)] * 5
    found = cross_validate(same + other, folds=5, repeats=2)
    assert (found.accuracy, found.precision, found.recall) == (1.0, 1.0, 1.0)
    assert all(
        story_similarity(RATE_TASS, RATE_OTHER) < threshold <= story_similarity(RATE_TASS, RATE_RIA)
        for threshold in found.thresholds
    )


def test_read_pairs_names_what_is_wrong(tmp_path):
    missing = tmp_path / "missing.tsv"
    missing.write_text("same\tfirst_title\n1\tx\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no column first_text"):
        read_pairs(missing)
    bad = tmp_path / "bad.tsv"
    bad.write_text(
        "same\tfirst_title\tfirst_text\tsecond_title\tsecond_text\nyes\ta\tb\tc\td\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"bad\.tsv:2"):
        read_pairs(bad)
