# The two commands a new user needs: `make dev` (local stack) and `make test` (everything CI checks).
# Both bootstrap .venv from the locked requirements on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 3000
# `make token USER=bob [SCOPE=ledger/admin] [MERCHANT=m1]`; USER from the shell (the login name) is
# ignored, the default is alice

.PHONY: test lint typecheck cfn-lint pytest dev bench token openapi clean

$(STAMP): requirements/lock.txt layers/reward_ledger/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e layers/reward_ledger
	touch $(STAMP)

test: lint typecheck cfn-lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

pytest: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile

dev: $(STAMP)
	$(BIN)/python -m infra.local --port $(PORT)

token: $(STAMP)
	@$(BIN)/python -m infra.token $(if $(filter command line,$(origin USER)),$(USER),alice) \
		$(if $(SCOPE),--scope $(SCOPE)) $(if $(MERCHANT),--merchant $(MERCHANT))

# the production OpenAPI document (openapi.json) from the handlers; tests/contract fails when it is stale
openapi: $(STAMP)
	$(BIN)/python -m infra.spec

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache
