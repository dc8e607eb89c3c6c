# One command to run the bot, one to test it. Both make the virtualenv first if needed.
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test lint services browser

$(BIN)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## run: the bot on embedded defaults (SQLite, in-process Redis, console sender) with the phone simulator
run: $(BIN)/.installed
	$(BIN)/flask --app bot db upgrade
	@echo "Phone simulator: http://127.0.0.1:$(PORT)/simulator/"
	$(BIN)/flask --app bot run --port $(PORT)

## test: lint, type-check, then the whole suite on this machine's PostgreSQL and Redis
test: $(BIN)/.installed services browser lint
	$(BIN)/pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/flask --app bot campaigns check

services:
	scripts/start-services

browser:
	scripts/install-chromium
