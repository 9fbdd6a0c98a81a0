# Kizuki: `make demo` and `make test` work on a fresh machine with only Python 3.11 and git.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REPORT_LANG ?= $(if $(filter en%,$(LANG)),en,ja)
DEMO_ARGS ?=
# pytest workers (pytest-xdist): one per CPU; each test file runs whole in one worker
TEST_WORKERS ?= auto

.PHONY: demo test lint typecheck bench serve clean java browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark,ml,ja,multilingual,embed,bench,search,content,churn]'
	touch $(STAMP)

# Spark needs a Java runtime; install one where the machine has none (Debian/Ubuntu).
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "Java not found: installing openjdk-17-jre-headless"; \
	  (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless) >/dev/null; }

# The report's browser test needs a Chromium; install Debian's (never a downloaded one) and
# Japanese fonts where missing. Without it that test is skipped, so a failed install only warns.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "chromium not found: installing chromium and fonts-ipafont-gothic"; \
	  (apt-get update -qq && apt-get install -y -qq chromium fonts-ipafont-gothic) >/dev/null \
	  || echo "warning: could not install chromium; the browser test will be skipped"; }

demo: $(STAMP)
	$(BIN)/kizuki demo --lang $(REPORT_LANG) $(DEMO_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench docs
	$(BIN)/ruff format --check src tests bench docs
	$(BIN)/mypy

test: $(STAMP) java browser lint
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

bench: $(STAMP)
	$(BIN)/python bench/simulate.py
	$(BIN)/python bench/ingest.py

serve: $(STAMP)
	$(BIN)/kizuki serve

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
