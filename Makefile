# Two entry points for a fresh machine: `make demo` and `make test` create .venv, install, and run.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test bench clean

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

bench: install
	$(BIN)/python benchmarks/bench_scattering.py

clean:
	rm -rf $(VENV) demo-out build dist src/*.egg-info
