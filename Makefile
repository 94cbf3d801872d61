# Every target bootstraps .venv on first use, so each command works alone on a fresh machine.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo install test test-fast lint format bench clean

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# Production: the runtime dependencies only, a copy of the code (not tied to this checkout).
# The stamp goes, so that `make test` installs the editable dev setup again.
install:
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt .
	rm -f $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/svodka demo

test: lint
	$(PY) -m pytest -q --durations=15

# The inner loop: everything but end-to-end chats and real processes, on SQLite only (CI and
# `make test` run it all, PostgreSQL included).
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not e2e and not processes" -k "not postgresql"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
