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
	$(BIN)/foleygan bench --out benchmarks/results/ --readme benchmarks/README.md

# The bundled default models (saved_models/default/): compact preset (R = 128, 2 756 Hz; 72 frames
# = 24 fps per 3 s window), synthetic dataset with the real sound bank, trained on the CPU:
# ≈ 42 min expected on 2 quiet cores (2026-11-27, the parts: data < 1 min, TRN alone 4.9 min,
# 6000 G updates at 0.34–0.36 s each; TRN and GAN run concurrently took 44 min). 24 fps, not 8, and the decoder without
# Griffin-Lim (both in the compact preset): onset F1 0.81 vs 0.67 on the held-out windows
# (docs/training.md "Seventh session").
# Scratch data go to build/default-models/.
# Deviations from the paper for sync (docs/training.md "Results", docs/trn.md): self-supervised
# 2TRN pair targets from the real audio's onsets read by a motion stream on frame differences;
# G/D trained on the guidance the 2TRN is taught to give (the audio-onset target, so the GAN does
# not depend on the TRN run); D sees S_act; paired loudness-envelope / average-spectrum /
# onset-strength losses on G.
SOUNDBANK ?= ../shared/soundbank
DM := build/default-models
default-models: $(STAMP)
	rm -rf $(DM) && mkdir -p $(DM)
	$(BIN)/foleygan synth-data $(DM)/data --clips-per-class 24 --size 64 --seed 5 --sound-bank $(SOUNDBANK)
	$(BIN)/foleygan prepare $(DM)/data $(DM)/shards --preset compact
	$(BIN)/foleygan train trn $(DM)/shards $(DM)/trn --preset compact --epochs 100 \
	    --set trn.pair_target=audio_onsets --set trn.pair_loss_weight=5 --set trn.pair_input=rgb_difference
	$(BIN)/foleygan train gan $(DM)/shards $(DM)/gan --preset compact --trn $(DM)/trn --steps 12000 \
	    --set train.d_pretrain_updates=10 --set train.sample_every=1000 --set train.d_steps=1 \
	    --set train.checkpoint_every=250 --set train.log_every=10 \
	    --set train.lr_d=5e-5 --set train.lr_g=1e-4 --set gan.d_sees_action=true \
	    --set gan.envelope_loss=10 --set gan.spectrum_loss=5 --set gan.ema_decay=0.998 --set gan.ema_start=1000 \
	    --set gan.guidance_source=audio_onsets --set gan.onset_loss=30
	rm -rf $(DM)/export && $(BIN)/foleygan export $(DM)/trn $(DM)/gan $(DM)/export
	cp saved_models/default/README.md $(DM)/export/README.md
	rm -rf saved_models/default && mv $(DM)/export saved_models/default

clean:
	rm -rf $(VENV) out .pytest_cache
