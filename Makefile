# CouncilChat developer commands. See docs/operations.md.
#
#   make demo    virtualenv + install + PostgreSQL/Redis + migrate + seed, then daphne and a
#                Celery worker in the foreground (PORT=8000 by default); Ctrl-C stops it all
#   make test    the same services, then pytest (PYTEST_ARGS="..." is passed through)
#   make lint    ruff check + ruff format --check
#   make screenshots  the browser tests that take the docs' screenshots, refreshing docs/img/
#
# Needs only python3 (3.11+), make and bash: everything else comes from PyPI into .venv/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Two installs, each with its own stamp: the demo's (runtime + embedded services) and the
# developer's (+ test, lint and bench tools). Installing dev also stamps the demo's install,
# so switching between make test and make demo never reinstalls.
STAMP := $(VENV)/.councilchat-installed
DEV_STAMP := $(VENV)/.councilchat-installed-dev
DEVSERVICES := $(PY) scripts/devservices.py
SERVICES_ENV := .local/services.env

PORT ?= 8000
PYTEST_ARGS ?=
export PORT

export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install install-dev lock demo test screenshots soak bench bench-onboarding bench-widget bench-social lint services services-down services-status clean

help:
	@echo "make demo             run the demo on http://localhost:$(PORT)/ (PORT=... to change)"
	@echo "make test             run the test suite (PYTEST_ARGS='-k name -x' to narrow it)"
	@echo "make soak             the fault suite at scale -> bench/results/soak.* (docs/reliability.md)"
	@echo "make bench            benchmarks vs their floors -> bench/results/ (BENCH_QUICK=1: short)"
	@echo "make bench-onboarding onboarding per council: clone vs migrate, 1 and 20 councils"
	@echo "make bench-widget     the widget's gzipped size and time to interactive (BENCH_QUICK=1)"
	@echo "make bench-social     Meta webhook intake and webhook-to-console vs the widget (BENCH_QUICK=1)"
	@echo "make lint             ruff check and ruff format --check"
	@echo "make screenshots      refresh docs/img/ from the browser tests (DOCS_SCREENSHOTS=1)"
	@echo "make install          create .venv, install what the demo runs (done by demo)"
	@echo "make install-dev      ... and the test, lint and bench tools (done by test/lint/bench)"
	@echo "make lock             regenerate requirements*.lock from pyproject.toml (uv)"
	@echo "make services         start/find PostgreSQL and Redis and keep them running"
	@echo "make services-status  show the embedded services and .local/services.env"
	@echo "make services-down    stop the embedded PostgreSQL/Redis under .local/"
	@echo "make clean            services-down, then delete .local/ (the demo database)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: $(PYTHON) is older than 3.11; run e.g. make demo PYTHON=python3.12" >&2; exit 1; }
	@echo "==> $(PYTHON) -m venv $(VENV)"
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: '$(PYTHON) -m venv' failed (on Debian/Ubuntu: apt install python3-venv)" >&2; \
	  exit 1; }
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when a lock or pyproject.toml changes (or the venv is new). Exactly the
# locked versions (hash-checked), then the project itself without resolving anything.
$(STAMP): pyproject.toml requirements-demo.lock | $(PY)
	$(PY) -m pip install -r requirements-demo.lock
	$(PY) -m pip install --no-deps -e .
	@touch $@

$(DEV_STAMP): pyproject.toml requirements-dev.lock | $(PY)
	$(PY) -m pip install -r requirements-dev.lock
	$(PY) -m pip install --no-deps -e .
	@touch $@ $(STAMP)

# The lock files from pyproject.toml (uv: one universal resolution for every platform and
# Python >= 3.11, with hashes; docs/operations.md). requirements.lock: what runs (the image);
# requirements-demo.lock: that plus the embedded services (make demo); requirements-dev.lock:
# that plus the test, lint and bench tools; all at the same versions.
# LOCK_ARGS=--upgrade (or --upgrade-package NAME) to move versions on.
LOCK_ARGS ?=
UV_COMPILE = UV_CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/uv pip compile pyproject.toml \
  --universal --python-version 3.11 --generate-hashes $(LOCK_ARGS)
lock: | $(PY)
	$(PY) -m pip install --quiet 'uv>=0.13,<0.14'
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra demo -c requirements.lock -o requirements-demo.lock
	$(UV_COMPILE) --extra dev -c requirements-demo.lock -o requirements-dev.lock

install: $(STAMP)

install-dev: $(DEV_STAMP)

# The shell below owns the services for the session "demo" (its pid is the owner). Until
# rundemo.py takes over (exec keeps the pid), the EXIT trap stops what `up` started if a step
# fails or Ctrl-C arrives; afterwards rundemo.py does that on Ctrl-C.
# DEMO=1 installs the demo (seed, pages); DEBUG=1: plain http on loopback, a dev SECRET_KEY.
demo: export DEMO = 1
demo: export DEBUG = 1
demo: $(STAMP)
	@trap '$(DEVSERVICES) down --session demo --owner-pid $$$$' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	$(DEVSERVICES) up --session demo --owner-pid $$$$ || exit $$?; \
	. $(SERVICES_ENV) || exit $$?; \
	echo "==> python manage.py migrate_schemas --noinput"; \
	$(PY) manage.py migrate_schemas --noinput || exit $$?; \
	echo "==> python manage.py seed_demo"; \
	$(PY) manage.py seed_demo || exit $$?; \
	trap - EXIT INT TERM HUP; \
	exec $(PY) scripts/rundemo.py --session demo --owner-pid $$$$

# pytest's exit code is make's; the EXIT trap stops whatever `up` started for this run.
test: $(DEV_STAMP)
	@trap '$(DEVSERVICES) down --session test --owner-pid $$$$' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	$(DEVSERVICES) up --session test --owner-pid $$$$ || exit $$?; \
	. $(SERVICES_ENV) || exit $$?; \
	echo "==> pytest $(PYTEST_ARGS)"; \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The browser tests that take the docs' screenshots, with DOCS_SCREENSHOTS=1 so that they
# also write them to docs/img/{admin,console,widget}/ (an ordinary run writes only to
# artifacts/screenshots/). Review the images with git diff before committing them.
SCREENSHOT_TESTS := tests/e2e/test_admin_pages.py tests/e2e/test_console_flows.py \
	tests/e2e/test_widget_flows.py tests/e2e/test_welsh_and_links.py
screenshots: $(DEV_STAMP)
	@trap '$(DEVSERVICES) down --session screenshots --owner-pid $$$$' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	$(DEVSERVICES) up --session screenshots --owner-pid $$$$ || exit $$?; \
	. $(SERVICES_ENV) || exit $$?; \
	echo "==> DOCS_SCREENSHOTS=1 pytest $(SCREENSHOT_TESTS)"; \
	DOCS_SCREENSHOTS=1 $(VENV)/bin/pytest $(SCREENSHOT_TESTS) $(PYTEST_ARGS)

# The fault suite at scale (tests/reliability/test_faults.py with SOAK=1): its own PostgreSQL,
# Redis and two daphnes on ports 55400-55499, >=100 visitor and 30 operator sockets, two Redis
# restarts, a PostgreSQL crash, a redeploy, 10,000 fuzzed frames; writes bench/results/soak.*.
soak: $(DEV_STAMP)
	@trap '$(DEVSERVICES) down --session soak --owner-pid $$$$' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	$(DEVSERVICES) up --session soak --owner-pid $$$$ || exit $$?; \
	. $(SERVICES_ENV) || exit $$?; \
	ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn); \
	echo "==> SOAK=1 pytest tests/reliability/test_faults.py"; \
	SOAK=1 $(VENV)/bin/pytest -p no:randomly -s -q tests/reliability/test_faults.py

# Starts what it measures (daphne with our app and the floors), in its own database and
# channel-layer prefix; see docs/performance.md. BENCH_QUICK=1 for a short run.
bench: $(DEV_STAMP)
	@trap '$(DEVSERVICES) down --session bench --owner-pid $$$$' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	$(DEVSERVICES) up --session bench --owner-pid $$$$ || exit $$?; \
	. $(SERVICES_ENV) || exit $$?; \
	ulimit -n 200000 2>/dev/null || ulimit -n $$(ulimit -Hn); \
	echo "==> python -m bench.run"; \
	$(PY) -m bench.run

# Onboarding time per council, cloning the base schema against running every migration, in
# its own database; writes bench/results/onboarding.{json,md} (docs/operations.md).
bench-onboarding: $(DEV_STAMP)
	@trap '$(DEVSERVICES) down --session bench-onboarding --owner-pid $$$$' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	$(DEVSERVICES) up --session bench-onboarding --owner-pid $$$$ || exit $$?; \
	. $(SERVICES_ENV) || exit $$?; \
	echo "==> python -m bench.onboarding_bench"; \
	$(PY) -m bench.onboarding_bench

# The widget's size and time to interactive in headless Chromium (bench/widget_bench.py).
bench-widget: $(DEV_STAMP)
	@trap '$(DEVSERVICES) down --session bench-widget --owner-pid $$$$' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	$(DEVSERVICES) up --session bench-widget --owner-pid $$$$ || exit $$?; \
	. $(SERVICES_ENV) || exit $$?; \
	$(PY) -m bench.widget_bench

# Messenger/WhatsApp webhook intake and time to the console, against the widget's path in the
# same run (bench/social_bench.py, docs/social.md); writes bench/results/social.json.
bench-social: $(DEV_STAMP)
	@trap '$(DEVSERVICES) down --session bench-social --owner-pid $$$$' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM HUP; \
	$(DEVSERVICES) up --session bench-social --owner-pid $$$$ || exit $$?; \
	. $(SERVICES_ENV) || exit $$?; \
	$(PY) -m bench.social_bench

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

services: $(STAMP)
	@$(DEVSERVICES) up

services-status: $(STAMP)
	@$(DEVSERVICES) status

services-down:
	@if [ -x $(PY) ]; then $(DEVSERVICES) down; fi

clean: services-down
	rm -rf .local .pytest_cache .ruff_cache
