import io
import json

import pytest

from bot.cli import main

ARTICLE = "Заголовок новости\n• 12\nПервое предложение. Второе предложение. Третье. Четвертое.\n"


@pytest.fixture
def article(tmp_path):
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_summarize_prints_title_and_sentences(article, capsys):
    assert main(["summarize", str(article), "--method", "lead", "--sentences", "2"]) == 0
    assert capsys.readouterr().out == (
        "Заголовок новости\n\nПервое предложение.\nВторое предложение.\n"
    )


def test_summarize_reads_stdin(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("Одно предложение."))
    assert main(["summarize", "-"]) == 0
    assert capsys.readouterr().out == "Одно предложение.\n"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["summarize", "/nonexistent/article.txt"], "No such file"),
        (["summarize", "ARTICLE", "--method", "bert"], "unknown method 'bert'"),
        (["summarize", "ARTICLE", "--sentences", "-1"], "sentences must be >= 0"),
        (["evaluate", "PAIRS", "--methods", "bert"], "unknown methods ['bert']"),
        (["evaluate", "/nonexistent/pairs.jsonl"], "cannot read"),
        (["evaluate", "ARTICLE"], "cannot read"),
    ],
)
def test_bad_input_gets_a_clear_message(argv, message, article, capsys):
    argv = [str(article) if arg in ("ARTICLE", "PAIRS") else arg for arg in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_evaluate_prints_a_table(tmp_path, capsys):
    path = tmp_path / "pairs.jsonl"
    rows = [{"text": "Кошка спит. Собака лает. Идет дождь.", "summary": "Кошка спит."}] * 2
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), "utf-8")
    assert main(["evaluate", str(path), "--methods", "lead", "oracle", "--sentences", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "| method | R-1 | R-2 | R-L | ms/article | unbalanced quotes % | dangling back-ref. % |"
    )
    assert lines[2].startswith("| lead | 100.0 | 100.0 | 100.0 |")
    assert lines[3].startswith("| oracle | 100.0 | 100.0 | 100.0 |")
    assert lines[2].endswith(" | 0.0 | 0.0 |")
