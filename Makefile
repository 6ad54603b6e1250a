# Two commands on a fresh machine: `make demo` and `make test` (both create .venv and install first).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv demo test test-slow test-all bench default-models clean browser

# Re-install whenever the pins (pyproject.toml) change.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "foleygan_tf needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# Debian's chromium + chromium-driver for the `browser` tests (the listening test driven by
# Selenium), installed with apt-get only when missing (CI runs as root; elsewhere through sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	    $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

demo: $(STAMP)
	$(BIN)/foleygan demo

# One worker per core; idle workers take tests from busy ones (worksteal), so the run does not end
# on one long file.
test: $(STAMP) browser
	$(BIN)/python -m pytest -m "not slow" -n auto --dist worksteal

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

test-all: $(STAMP) browser
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/foleygan bench --out benchmarks/results/ --readme benchmarks/README.md

# The bundled default models (saved_models/default/): the `bundled` preset (foleygan_tf/config.py;
# docs/ARCHITECTURE.md lists its switches), trained on the CPU from a synthetic dataset that uses
# the real recordings of the sound bank. Scratch data go to build/default-models/; every stage
# keeps its output, so a rerun resumes the unfinished one. The TRN learns from 240 clips per class
# (its held-out timing keeps improving with clips; G, which learns from the audio onsets, does not
# need them), the GAN from the first 48 of them: the same scenes, so its test windows are in the
# TRN's test split too (docs/RESULTS.md, "The bundled models' TRN").
SOUNDBANK ?= ../shared/soundbank
DM := build/default-models
default-models: $(STAMP)
	$(BIN)/foleygan synth-data $(DM)/data --clips-per-class 48 --size 64 --seed 5 --randomize --sound-bank $(SOUNDBANK)
	$(BIN)/foleygan prepare $(DM)/data $(DM)/shards --preset bundled
	$(BIN)/foleygan synth-data $(DM)/trn-data --clips-per-class 240 --size 64 --seed 5 --randomize --sound-bank $(SOUNDBANK)
	$(BIN)/foleygan prepare $(DM)/trn-data $(DM)/trn-shards --preset bundled
	$(BIN)/foleygan train trn $(DM)/trn-shards $(DM)/trn --preset bundled
	$(BIN)/foleygan train gan $(DM)/shards $(DM)/gan --preset bundled
	$(BIN)/foleygan export $(DM)/trn $(DM)/gan $(DM)/export
	cp saved_models/default/README.md $(DM)/export/README.md
	rm -rf saved_models/default && mv $(DM)/export saved_models/default

clean:
	rm -rf $(VENV) out .pytest_cache
