# The two commands a new user needs: `make dev` (local stack) and `make test` (everything CI checks).
# Both bootstrap .venv from the locked requirements on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 3000
# `make token USER=bob [SCOPE=ledger/admin] [MERCHANT=m1]`; USER from the shell (the login name) is
# ignored, the default is alice

# checkov and the SAM CLI pin their own boto3 (and pydantic): each gets its own venv from its own lock.
CKV_VENV  := .venv-checkov
CKV_STAMP := $(CKV_VENV)/.installed-stamp
SAM_VENV  := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed-stamp
# sam validate reads a region and credentials even offline: dummy ones, never real
SAM_ENV   := AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline \
             SAM_CLI_TELEMETRY=0
# sam build needs the runtime's python3.12 on PATH; with pyenv this puts it next to the default one
PYENV_VERSION ?= $(shell pyenv version-name 2>/dev/null):3.12.1

.PHONY: test lint typecheck cfn-lint iac checkov sam-validate pytest dev bench scale package token openapi clean

$(STAMP): requirements/lock.txt layers/reward_ledger/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e layers/reward_ledger
	touch $(STAMP)

$(CKV_STAMP): requirements/checkov.lock.txt
	test -x $(CKV_VENV)/bin/python || $(PYTHON) -m venv $(CKV_VENV)
	$(CKV_VENV)/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(CKV_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements/checkov.lock.txt
	touch $(CKV_STAMP)

$(SAM_STAMP): requirements/sam.lock.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(SAM_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements/sam.lock.txt
	touch $(SAM_STAMP)

test: lint typecheck cfn-lint iac pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint template.yaml

# IaC: checkov with 0 failed checks, the policy check (new resources cannot slip through), sam validate
iac: checkov sam-validate
	$(BIN)/python -m infra.iac_check $(CKV_VENV)/bin/checkov

checkov: $(CKV_STAMP)
	$(CKV_VENV)/bin/checkov -f template.yaml --framework cloudformation --compact --quiet --skip-download

sam-validate: $(SAM_STAMP)
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint -t template.yaml

# the deployable artifacts for the template's architecture (arm64 wheels in the layer) in .aws-sam/build
package: $(SAM_STAMP)
	PYENV_VERSION=$(PYENV_VERSION) $(SAM_ENV) $(SAM_VENV)/bin/sam build -t template.yaml
	@! find .aws-sam/build/LedgerLayer -name '*.so' ! -name '*aarch64*' | grep . \
		|| { echo "the layer holds native code for another architecture than arm64"; exit 1; }

pytest: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=25

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
	$(BIN)/python -m bench.scale

# docs/scale.md from the committed bench/results.json (tests/unit/test_scale.py checks it is current)
scale: $(STAMP)
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) $(CKV_VENV) $(SAM_VENV) .aws-sam .mypy_cache .ruff_cache
