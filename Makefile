# KAM — the two commands a newcomer needs are `make run` and `make test`.
# Only Python >= 3.11 and make are assumed: everything else is installed into .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ARGS   ?=

AXE    := var/axe-core/.installed

.PHONY: install run test lint format lock manage shell clean bench backup restore

install: $(STAMP) $(AXE)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==0.13.9" \
		|| echo "uv could not be installed; falling back to pip"
	@if [ -x $(BIN)/uv ]; then \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt -r requirements-dev.txt; \
	else \
		$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt; \
	fi
	@touch $(STAMP)

# axe-core for the browser tests' accessibility checks: from the npm registry, pinned and integrity-checked in
# tests/e2e/axe.py (no Node needed); it is fetched again when that pin changes.
$(AXE): tests/e2e/axe.py | $(STAMP)
	@$(BIN)/python -m tests.e2e.axe
	@touch $(AXE)

## make run: embedded PostgreSQL + Redis (unless DATABASE_URL/REDIS_URL), migrate, demo data, web + worker + beat.
run: install
	@$(BIN)/python -m kam.stack run

## make test: the whole suite against real PostgreSQL and Redis; ARGS="tests/accounts -k outsider" narrows it.
test: install
	@$(BIN)/python -m kam.stack test $(ARGS)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m kam.stack exec python manage.py makemigrations --check --dry-run
	$(BIN)/python -m kam.stack exec mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make manage ARGS="createsuperuser": any manage.py command with the same servers as make run.
manage: install
	@$(BIN)/python -m kam.stack exec python manage.py $(ARGS)

shell: install
	@$(BIN)/python -m kam.stack exec python manage.py shell

## make bench: time the scoring run on 100,000 accounts / 2,000,000 orders in the kam_bench database (see bench/scoring.py).
bench: install
	@$(BIN)/python -m kam.stack exec python bench/scoring.py $(ARGS)

## make backup: pg_dump (custom format) of the configured database to var/backups/kam-YYYYmmdd-HHMMSS.dump.
backup: install
	@$(BIN)/python -m kam.stack exec python -m kam.backup backup

## make restore FILE=var/backups/kam-….dump: pg_restore --clean --if-exists into the configured database.
restore: install
	@if [ -z "$(FILE)" ]; then echo "make restore needs FILE=var/backups/kam-YYYYmmdd-HHMMSS.dump"; exit 2; fi
	@$(BIN)/python -m kam.stack exec python -m kam.backup restore "$(FILE)"

## make lock: recompile the pinned requirements from requirements*.in.
lock: install
	$(BIN)/uv pip compile --quiet requirements.in -o requirements.txt --python-version 3.11
	$(BIN)/uv pip compile --quiet requirements-dev.in -o requirements-dev.txt --python-version 3.11

clean:
	rm -rf $(VENV) var/staticfiles var/axe-core .pytest_cache .ruff_cache
