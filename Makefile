# The two set-up commands of the README. Only python3 and make are needed: everything else is
# installed into .venv from the package index.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean bench derive screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The older factorial SDK releases (tools/derive_factorial.py OLDER) go to .venv/sdks: they
# share the installed SDK's package name, so the tests and `make derive` import them in a child.
$(STAMP): pyproject.toml tools/derive_factorial.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python tools/derive_factorial.py --install-sdks
	touch $(STAMP)

## demo: start the reference receiver (examples/receiver.py) for one profile on a free
## loopback port, run `hookconform receiver` against it, print the report, stop the receiver
DEMO_PROFILE ?= resthooks
DEMO_SECRET ?= demo-secret
demo: $(STAMP)
	@port=$$($(BIN)/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'); \
	$(BIN)/python examples/receiver.py --profile $(DEMO_PROFILE) --secret $(DEMO_SECRET) --port $$port --quiet & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT; \
	for i in $$(seq 50); do \
		$(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', $$port), 1).close()" 2>/dev/null && break; \
		sleep 0.1; \
	done; \
	$(BIN)/hookconform receiver http://127.0.0.1:$$port/hooks --profile $(DEMO_PROFILE) --secret $(DEMO_SECRET)

## test: lint with ruff, type-check with mypy, then run the whole test suite
test: lint
	$(BIN)/python -m pytest -n 2

## bench: deliveries per second of the mock provider next to a bare urllib3 loop, a healthy
## receiver's latency beside hostile ones, the mock's memory over a long log (MEMORY_COUNT
## deliveries; `make bench MEMORY_COUNT=100000` for the long run), and the receiver suite
## next to schemathesis
MEMORY_COUNT ?= 10000
bench: $(STAMP)
	$(BIN)/python bench/throughput.py --count 5000 --workers 8 --rounds 3
	$(BIN)/python bench/isolation.py --events 20 --rounds 5
	$(BIN)/python bench/memory.py --count $(MEMORY_COUNT)
	$(BIN)/python bench/receiver_suite.py --profile factorial --max-examples 10
	$(BIN)/python bench/load.py

## derive: regenerate the profile parts derived from the providers' own contracts
## (specs/factorial/derived.yaml and versions/*.yaml from the factorial-api-client SDK releases,
## specs/staffology/derived.yaml from Staffology's swagger beside the clone,
## ../shared/reference/staffology-swagger.json)
derive: $(STAMP)
	$(BIN)/python tools/derive_factorial.py
	$(BIN)/python tools/derive_staffology.py

## screenshot: refresh docs/dashboard.png, the README's picture of the dashboard, from the
## browser test that watches a delivery go from red to green (needs the system's chromium)
screenshot: $(STAMP)
	CI=true HOOKCONFORM_SCREENSHOT=docs/dashboard.png $(BIN)/python -m pytest -q \
		tests/test_dashboard_browser.py -k red_to_green

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache .hypothesis
