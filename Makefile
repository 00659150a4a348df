# Two entry points for a fresh machine: `make demo` and `make test` create .venv, install, and run.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test fuzz bench clean

$(BIN)/hpglass: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# the CPU build of torch before anything that depends on it (else pip pulls the CUDA packages)
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[all,test]'
	touch $(BIN)/hpglass

install: $(BIN)/hpglass

demo: install
	$(BIN)/hpglass demo --out demo-out

test: install
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 -q

# the long form of the fuzz suite (tests/fuzz): ≥ 1000 generated cases, one process, summary at the end
FUZZ_EXAMPLES ?= 1050
fuzz: install
	rm -rf fuzz-out && mkdir -p fuzz-out
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 HPGLASS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) \
	HPGLASS_FUZZ_COLLECT=1 HPGLASS_FUZZ_SAVE=fuzz-out/failures HPGLASS_FUZZ_REPORT=fuzz-out/summary.json \
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz/test_fuzz_cli.py

bench: install
	$(BIN)/python benchmarks/bench_scattering.py

clean:
	rm -rf $(VENV) demo-out fuzz-out build dist src/*.egg-info
