# hermelding: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)

.PHONY: demo test lint bench constraints clean
.DEFAULT_GOAL := demo

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@rm -f $(VENV)/.installed-*; touch $@

## demo: generate the Drenthe demo deliveries, run the whole nightly flow once on them, write the quarterly report
demo: $(STAMP)
	$(BIN)/hermelding genereer --regio VT02 --van 2019 --tot 2025 --periode halfjaar --seed 1 --uit data/raw
	$(BIN)/hermelding draai
	$(BIN)/hermelding rapport

## test: lint, then the whole test suite (on two cores: one worker per test module)
test: $(STAMP)
	$(BIN)/ruff check hermelding flows tests benchmarks
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests
	$(BIN)/python -m pytest -n 2 --dist loadfile

## bench: the nightly run on a national-scale ten-year set, against a hand-written DuckDB baseline
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --profiel national

lint: $(STAMP)
	$(BIN)/ruff check hermelding flows tests benchmarks
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests

## constraints: re-pin the tested versions after changing pyproject.toml
constraints: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | sed '1i # Tested versions: `make` installs with `-c constraints.txt` so a fresh clone gets what CI tested.\n# Regenerate after changing pyproject.toml: make constraints' > constraints.txt

clean:
	rm -rf data/warehouse data/grondwaarheid data/marts/releases data/marts/rapporten data/marts/*.duckdb
	find data/raw -mindepth 1 -maxdepth 1 -type d ! -name referentie -exec rm -rf {} +
