# `make run` starts central and an enrolled demo kiosk; `make test` runs every test. Both set up .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1
KIOSK_PORT ?= 5001
# `make run`: central on CENTRAL_PORT and the kiosk of KIOSK_LOCATION on KIOSK_PORT, each on its SQLite file.
CENTRAL_PORT ?= 5000
KIOSK_LOCATION ?= KPA-01
CENTRAL_DB ?= instance/central.sqlite3
KIOSK_DB ?= instance/kiosk.sqlite3

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

# The demo as one shell script: exported, it keeps its comments and runs in one shell (central's process id
# and the trap that stops it live as long as the kiosk runs).
define RUN_DEMO
set -e
central_db='$(abspath $(CENTRAL_DB))'
kiosk_db='$(abspath $(KIOSK_DB))'
central_url='http://127.0.0.1:$(CENTRAL_PORT)'
mkdir -p "$$(dirname "$$central_db")" "$$(dirname "$$kiosk_db")"
central_env() { DATABASE_URL="sqlite:///$$central_db" "$$@"; }
central() { central_env '$(BIN)/flask' --app central_sync "$$@"; }
kiosk() { DATABASE_URL="sqlite:///$$kiosk_db" '$(BIN)/flask' --app kiosk "$$@"; }
answers() {  # does $$1 answer 200?
  '$(BIN)/python' -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$$1" 2>/dev/null
}

# 1. Central's database: the Đắk Lắk network, catalogue, warehouse stock and users (again: no change).
central seed-demo
# 2. The kiosk's device, with a new token each run: the same device, so the kiosk's events go on from where
#    central has them (only a new kiosk database, whose events start again at seq 1, gets a new device once
#    the old one has taken events). The first run also ships goods to the kiosk. stdout is the token alone.
new_kiosk=; [ -e "$$kiosk_db" ] || new_kiosk=--new-kiosk
token=$$(central demo-kiosk $$new_kiosk '$(KIOSK_LOCATION)')
# 3. Central in the background, stopped when this script ends, Ctrl+C included.
if answers "$$central_url/healthz"; then
  echo "Something answers on $$central_url already: stop it, or choose another CENTRAL_PORT=..." >&2; exit 1
fi
central_env exec '$(BIN)/python' -m waitress --host='$(HOST)' --port='$(CENTRAL_PORT)' --call central_sync:create_app &
central_pid=$$!
trap 'kill $$central_pid 2>/dev/null || true; wait $$central_pid 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
tries=0
until answers "$$central_url/healthz"; do
  kill -0 $$central_pid 2>/dev/null || { echo "Central did not start (see above)." >&2; exit 1; }
  tries=$$((tries + 1)); [ $$tries -lt 300 ] || { echo "Central does not answer on $$central_url." >&2; exit 1; }
  sleep 0.2
done
# 4. The kiosk: enrolled (it pulls its location, the catalogue at its prices, the transfer), the demo users
#    made, the shipment received in full and the receipt synced to central.
kiosk enroll -- "$$central_url" "$$token"
kiosk seed-demo --enrolled
cat <<EOF

  Central inventory    http://$(HOST):$(CENTRAL_PORT)/
      admin / quantri-demo       (admin)
      reviewer / xemxet-demo     (reviewer)
  Kiosk $(KIOSK_LOCATION) POS     http://$(HOST):$(KIOSK_PORT)/
      vendor / banhang-demo      (vendor)
      manager / quanly-demo      (manager)

  The kiosk syncs with central every $${SYNC_INTERVAL:-30} s. Databases: $(CENTRAL_DB), $(KIOSK_DB).
  Ctrl+C stops both.

EOF
# 5. The kiosk in the foreground: waitress, the print worker and the sync worker.
kiosk serve --host '$(HOST)' --port '$(KIOSK_PORT)'
endef
export RUN_DEMO

run: $(STAMP) translations
	@sh -c "$$RUN_DEMO"

# Two workers (the CI machine has two cores), each test file on one worker, each worker its own PostgreSQL
# database beside TEST_DATABASE_URL's (tests/central_sync/conftest.py).
test: $(STAMP) translations
	$(BIN)/python -m pytest -n auto --dist loadfile

bench: $(STAMP) translations
	$(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
