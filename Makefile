# Two commands on a fresh machine: `make run` (the bot, or a terminal chat without a
# token) and `make test` (ruff, the layer check, mypy, pytest). Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	@if [ -n "$$TELEGRAM_BOT_TOKEN" ] || grep -qs '^TELEGRAM_BOT_TOKEN=..*' .env; then \
		$(BIN)/python -m bot run; \
	else \
		echo "Chưa có TELEGRAM_BOT_TOKEN: mở trò chuyện trên terminal. Để chạy trên Telegram: đặt TELEGRAM_BOT_TOKEN (xem README)."; \
		$(BIN)/python -m bot chat; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
