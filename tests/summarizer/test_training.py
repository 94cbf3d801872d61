import pytest

from summarizer.methods import default
from summarizer.training import summaries as training

PAIRS = [
    (
        f"В городе {city} открыли новый мост через реку. Мост строили три года. "
        f"Погода в городе {city} была теплой. Жители пришли на праздник.",
        f"В {city} открыли новый мост через реку.",
    )
    for city in ("Казань", "Пермь", "Омск", "Тула", "Уфа", "Сочи")
]


def test_fit_names_every_feature():
    model = training.fit(PAIRS)
    assert set(model.weights) == set(default.FEATURES)
    assert model.reference_tokens == pytest.approx(7)  # "." is no word for ROUGE


def test_examples_label_tokens_of_the_reference():
    features, labels = training.examples(PAIRS[:1])
    assert features.shape == (len(labels), len(default.FEATURES))
    assert 0 < labels.sum() < len(labels)


def test_cross_validate_reports_every_fold(capsys):
    training.cross_validate(PAIRS, folds=3)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("|")[1].strip() for line in lines[2:]] == [
        "1: default",
        "1: lead",
        "2: default",
        "2: lead",
        "3: default",
        "3: lead",
        "all 3 folds: default",
        "all 3 folds: lead",
    ]
