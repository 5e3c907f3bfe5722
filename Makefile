# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    install, migrate, load the demo mission, serve http://127.0.0.1:8000
#   make test   install, lint, and run the whole test suite
# Also: make loadtest [LOADTEST_ARGS="--redis-outage" or "--same-records"; see README "Load test"]
#       make hostile  the hostile suite (tests/hostile/: what an attacker or an outage tries)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Production serving: 2 × cores + 1 is gunicorn's rule of thumb for sync workers.
WORKERS ?= $(shell echo $$(( 2 * $$(nproc 2>/dev/null || echo 1) + 1 )))

.PHONY: run serve loadtest hostile test lint format install superuser messages clean bench

$(INSTALLED): pyproject.toml $(wildcard tests/consumers/*.txt)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	# Consumers whose own pins clash with the app's get a venv each (tests/consumers/NAME.txt).
	for pins in tests/consumers/*.txt; do \
		tool=$(VENV)/consumers/$$(basename $$pins .txt); \
		test -x $$tool/bin/python || $(BIN)/python -m venv $$tool || exit 1; \
		$$tool/bin/python -m pip install --quiet -r $$pins || exit 1; \
	done
	touch $(INSTALLED)

install: $(INSTALLED)

# A local .env turns on development mode for every manage.py command, not just this one.
.env:
	printf 'DEBUG=true\n' > .env

run: $(INSTALLED) .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production: no .env is written; the environment (see .env.example) must be complete.
serve: $(INSTALLED)
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/gunicorn missiontracker.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--timeout 30 --access-logfile -

# Readers and editors against gunicorn; LOADTEST_ARGS="--redis-outage" kills the cache's
# Redis mid-run, "--same-records" has editors race on the same visits (see README).
loadtest: $(INSTALLED)
	$(BIN)/python bench/loadtest.py $(LOADTEST_ARGS)

hostile: $(INSTALLED)
	$(BIN)/python -m pytest tests/hostile $(PYTEST_ARGS)

superuser: $(INSTALLED) .env
	$(BIN)/python manage.py createsuperuser

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One pytest process per core (pytest-xdist). Tests are handed out one by one in
# pytest-django's order, so each process runs the tests that empty the database
# (transactional, live server) after the others; a test that needs an outside resource of its
# own (a Redis database, a scratch PostgreSQL database) names it after PYTEST_XDIST_WORKER.
TEST_PROCESSES ?= auto
test: lint
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)

format: $(INSTALLED)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Refresh the French and Japanese catalogues from the code, then compile them (the .mo files
# are committed, so a fresh checkout needs no gettext tools to serve translated pages).
LOCALES := --locale=fr --locale=ja
messages: $(INSTALLED)
	mkdir -p locale
	DEBUG=true $(BIN)/python manage.py makemessages $(LOCALES) --ignore=.venv --ignore=staticfiles --ignore=build --add-location=file --no-obsolete
	DEBUG=true $(BIN)/python manage.py compilemessages $(LOCALES) --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache

# Load and query benchmark: SQLite, plus PostgreSQL when DATABASE_URL points there (needs wrk).
bench: $(INSTALLED)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
