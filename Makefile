# `make run` starts the demo kiosk; `make test` runs every test. Both set up .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
KIOSK_PORT ?= 5001

.PHONY: run test bench translations clean

$(STAMP): requirements.txt
	rm -f $(VENV)/.installed-*
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d kiosk/translations
	$(BIN)/pybabel compile --statistics -d central_sync/translations

run: $(STAMP) translations
	$(BIN)/flask --app kiosk seed-demo
	@echo
	@echo "Kiosk POS: http://$(HOST):$(KIOSK_PORT)/  (logins above; Ctrl+C stops it)"
	@echo
	$(BIN)/flask --app kiosk serve --host $(HOST) --port $(KIOSK_PORT)

test: $(STAMP) translations
	$(BIN)/python -m pytest

bench: $(STAMP) translations
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
