# Two set-up commands on a fresh machine (Python 3.11+):
#   make run   installs into .venv, migrates the SQLite database, loads decks/, creates the
#              demo accounts (printed) and serves http://127.0.0.1:5000
#   make test  installs the test tools and runs the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
FLASK = $(BIN)/flask --app wsgi
PIP = $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test install install-test db demo bench lint lock serve worker

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(PIP) -e .

install-test: $(BIN)/python
	$(PIP) -e ".[test]"

db: install
	$(FLASK) db upgrade
	$(FLASK) decks load decks/*.json --sources ../shared/seeds

demo: db
	$(FLASK) users demo

# The development server runs background jobs on a thread of its own (queue in
# instance/jobs.sqlite), so nothing but Python is needed.
run: demo
	QUIZAPP_WORKER=thread $(FLASK) run --host 127.0.0.1 --port 5000

# gunicorn with one job worker process beside it (stopped with it).
serve: db
	$(FLASK) jobs worker & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 4 --bind 127.0.0.1:8000 wsgi:app

worker: install
	$(FLASK) jobs worker

# Checked strictly by mypy (settings in pyproject.toml), those of them that exist.
TYPED = quizapp/scheduling quizapp/formats quizapp/generation quizapp/kinds

test: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy $(wildcard $(TYPED))
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-test
	$(BIN)/python bench/run_all.py

# Re-pin every dependency after changing pyproject.toml.
lock: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
