# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
PIP_VERSION := 26.3

export DJANGO_SETTINGS_MODULE ?= config.settings.dev

DEMO_SCHEMA   ?= demo
DEMO_DOMAIN   ?= demo.localhost
DEMO_EMAIL    ?= manager@demo.localhost
DEMO_PASSWORD ?= Demo-Manager-2026
PLATFORM_EMAIL ?= admin@localhost
WEB_HOST ?= 127.0.0.1
WEB_PORT ?= 8000
export WEB_HOST WEB_PORT

.PHONY: install run test lint bench lock migrate demo static clean browser

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==$(PIP_VERSION)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python -m config.ensure_database
	$(BIN)/python manage.py migrate_schemas --shared --verbosity 0
	$(BIN)/python manage.py migrate_schemas --tenant --verbosity 0

demo: migrate
	TENANT_ADMIN_PASSWORD='$(DEMO_PASSWORD)' $(BIN)/python manage.py provision_tenant $(DEMO_SCHEMA) \
		--domain $(DEMO_DOMAIN) --name "Demo Plant" --admin-email $(DEMO_EMAIL)
	PLATFORM_ADMIN_PASSWORD='$(DEMO_PASSWORD)' $(BIN)/python manage.py create_platform_admin $(PLATFORM_EMAIL)
	DEMO_USER_PASSWORD='$(DEMO_PASSWORD)' $(BIN)/python manage.py seed_demo $(DEMO_SCHEMA)

static: install
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: demo static
	@echo ""
	@echo "  CMMS is starting (web + WebSocket, Celery worker, Celery beat)."
	@echo "  Tenant admin:  http://$(DEMO_DOMAIN):$(WEB_PORT)/admin/"
	@echo "  API docs:      http://$(DEMO_DOMAIN):$(WEB_PORT)/api/docs/"
	@echo "  Live events:   ws://$(DEMO_DOMAIN):$(WEB_PORT)/ws/events/?token=<access JWT>"
	@echo "  Sign in as:    $(DEMO_EMAIL) / $(DEMO_PASSWORD)"
	@echo "  Platform admin: http://localhost:$(WEB_PORT)/admin/  ($(PLATFORM_EMAIL) / $(DEMO_PASSWORD))"
	@echo "  Health:        http://localhost:$(WEB_PORT)/health"
	@echo ""
	$(BIN)/honcho start

# The back office's browser tests drive the system's Chromium (Debian's package), never a
# browser downloaded by Playwright.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && apt-get install -y -qq chromium; } || true
	@test -x $(CHROMIUM) || { echo "The browser tests need Chromium at $(CHROMIUM):" \
		"install Debian's package as root (apt-get install chromium) and run make test again."; exit 1; }

test: install browser
	CHROMIUM=$(CHROMIUM) DJANGO_SETTINGS_MODULE=config.settings.test $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: migrate
	$(BIN)/python -m bench

# Re-resolve the newest versions pyproject.toml allows and pin them.
lock:
	rm -rf $(VENV)-lock && $(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet "pip==$(PIP_VERSION)"
	$(VENV)-lock/bin/python -m pip install --quiet -e ".[dev]"
	{ echo "# Exact versions installed by make and CI (regenerate with: make lock)."; \
	  $(VENV)-lock/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf $(VENV)-lock

clean:
	rm -rf $(VENV) var
