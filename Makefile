# Two commands on a fresh machine: `make demo` and `make test` (both create .venv and install first).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv demo test test-slow test-all bench default-models clean

# Re-install whenever the pins (pyproject.toml) change.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "foleygan_tf needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/foleygan demo

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

test-all: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/foleygan bench --out benchmarks/results.json

# The bundled default models (saved_models/default/): tiny preset, synthetic dataset with the real
# sound bank, trained on the CPU (≈ 10 min on 2 cores). Scratch data go to build/default-models/.
SOUNDBANK ?= ../shared/soundbank
DM := build/default-models
default-models: $(STAMP)
	rm -rf $(DM) && mkdir -p $(DM)
	$(BIN)/foleygan synth-data $(DM)/data --clips-per-class 12 --size 64 --seed 5 --sound-bank $(SOUNDBANK)
	$(BIN)/foleygan prepare $(DM)/data $(DM)/shards --preset tiny
	$(BIN)/foleygan train trn $(DM)/shards $(DM)/trn --preset tiny --epochs 30
	$(BIN)/foleygan train gan $(DM)/shards $(DM)/gan --preset tiny --trn $(DM)/trn --steps 1000 \
	    --set train.d_pretrain_updates=10 --set train.sample_every=500 --set train.d_steps=1 --set train.lr_d=5e-5
	rm -rf $(DM)/export && $(BIN)/foleygan export $(DM)/trn $(DM)/gan $(DM)/export
	cp saved_models/default/README.md $(DM)/export/README.md
	rm -rf saved_models/default && mv $(DM)/export saved_models/default

clean:
	rm -rf $(VENV) demo_output .pytest_cache
