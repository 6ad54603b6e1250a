"""research.sync.guidance_check: the exported pipeline with normal / off / swapped / oracle guidance
vs the events, and P_act's own peaks as onsets."""

import json
import os

import numpy as np
import pytest

from foleygan_tf.commands.options import DEFAULT_MODELS
from research.sync.guidance_check import (MODES, event_correlation, format_guidance_check, guidance_check,
                                          pact_onset_times, score_waves)


def _default_audio() -> dict:
    """The bundled generator's audio config (its export metadata; no TF needed)."""
    with open(os.path.join(DEFAULT_MODELS, "generator", "assets", "foleygan_generator.json")) as f:
        return json.load(f)["config"]["audio"]


def _default_frame_rate() -> float:
    """The frame rate the bundled TRN expects (its export metadata)."""
    with open(os.path.join(DEFAULT_MODELS, "trn", "assets", "foleygan_trn.json")) as f:
        return float(json.load(f)["frame_rate"])


def _click_windows(n=4, sr=None, seconds=3.0, fps=None, seed=0):
    """Windows of decaying noise bursts (87 ms, 22 ms decay) at the default models' audio and frame rates."""
    sr = _default_audio()["sample_rate"] if sr is None else sr
    fps = _default_frame_rate() if fps is None else fps
    rng = np.random.default_rng(seed)
    burst = int(round(0.087 * sr))
    out = []
    for i in range(n):
        events = np.sort(rng.choice(np.arange(0.3, 2.7, 0.4), 3, replace=False))
        wave = 0.001 * rng.standard_normal(int(sr * seconds)).astype(np.float32)
        for e in events:                                       # decaying noise bursts
            k = int(e * sr)
            wave[k:k + burst] += (rng.standard_normal(burst).astype(np.float32)
                                  * np.exp(-np.arange(burst) / (0.022 * sr)))
        frames = np.zeros((int(seconds * fps), 32, 32, 3), np.uint8)
        for e in events:                                       # a flash at the event frame
            frames[int(round(e * fps)):, 8:24, 8:24] = 255 - frames[int(round(e * fps)), 8:24, 8:24]
        out.append({"frames": frames, "fps": fps, "wave": wave, "label": 5, "class_name": "footstep",
                    "events": events, "has_events": True, "clip_id": f"c{i}", "valid_seconds": seconds})
    return out


def test_guidance_check_on_default_models(tf):
    from foleygan_tf.inference.pipeline import FoleyPipeline

    windows = _click_windows()
    # a models directory (loaded by the check itself) ...
    res = guidance_check(DEFAULT_MODELS, windows=windows, seed=1, class_source="label", keep_waves=True)
    assert set(res["modes"]) == set(MODES) and res["windows"] == 4
    assert res["event_classes"] == ["footstep"]
    # the metric itself is sound at the tiny rate: the real clicks are found
    assert res["real"]["overall"]["f1"] >= 0.9
    assert 0.4 < res["white_noise_flatness"] < 0.7
    for mode in MODES:
        o = res["modes"][mode]["overall"]
        assert 0.0 <= o["f1"] <= 1.0 and o["num_reference"] == 12 and np.isfinite(o["rms"])
        assert -1.0 <= o["event_correlation"] <= 1.0
        assert len(res["waves"][mode]) == 4
    # same z and class in every mode: "off" differs from "normal" only through the guidance
    assert not np.allclose(res["waves"]["normal"][0], res["waves"]["off"][0])
    assert not np.allclose(res["waves"]["normal"][0], res["waves"]["swapped"][0])
    assert "pact_alignment" in res and res["pact_alignment"]["clips"] == 4
    # ... or a loaded pipeline, which the calls below share (each load of the SavedModels costs ≈ 1.3 s)
    pipe = FoleyPipeline.from_saved_models(DEFAULT_MODELS)
    # the oracle mode: guidance from the real audio's onsets (here: the clicks) instead of the TRN
    ora = guidance_check(pipe, windows=windows, seed=1, class_source="label", modes=("normal", "oracle"),
                         keep_waves=True, pact_alignment=False)
    assert set(ora["modes"]) == {"normal", "oracle"} and ora["modes"]["oracle"]["overall"]["num_reference"] == 12
    np.testing.assert_allclose(ora["waves"]["normal"][0], res["waves"]["normal"][0], atol=1e-6)
    assert not np.allclose(ora["waves"]["oracle"][0], res["waves"]["normal"][0])
    # score_waves (the diagnostics' entry point) scores waves exactly as guidance_check does
    audio = _default_audio()
    again = score_waves(res["waves"]["normal"], windows, audio)
    for key in ("precision", "recall", "f1", "spectral_flatness", "event_correlation"):
        assert again["overall"][key] == pytest.approx(res["modes"]["normal"]["overall"][key]), key
    assert score_waves([w["wave"] for w in windows], windows, audio)["overall"]["f1"] == pytest.approx(
        res["real"]["overall"]["f1"])
    # clicks moved by 0.2 s — half the 0.4 s event grid, so beyond the ±100 ms tolerance of every
    # event — are misses
    moved = [np.roll(w["wave"], int(0.2 * audio["sample_rate"])) for w in windows]
    assert score_waves(moved, windows, audio)["overall"]["f1"] < 0.2
    with pytest.raises(ValueError, match="unknown mode"):
        guidance_check(pipe, windows=windows, modes=("psychic",))
    # windows at another frame rate than the TRN was trained at are refused, not scored off-distribution
    with pytest.raises(ValueError, match=r"frames at \[8\.0\] fps, but the TRN export expects 24 fps"):
        guidance_check(pipe, windows=_click_windows(1, fps=8.0))
    po = res["pact_onsets"]
    assert set(po["per_class"]) == {"footstep"} and po["overall"]["num_reference"] == 12
    assert 0.0 <= po["overall"]["f1"] <= 1.0
    # its estimate count is the number of P_act's own peaks inside the windows, window by window;
    # and the S_act the check makes from P_act is the one the TRN export makes
    from foleygan_tf.config import AudioConfig
    from foleygan_tf.evaluation.guidance_variants import guidance_inputs

    peaks = 0
    for w in windows:
        got = pipe.serve_trn(frames=tf.constant(w["frames"][None]), fps=tf.constant([w["fps"]], tf.float32))
        times = pact_onset_times(got["p_act"].numpy()[0], w["fps"])
        peaks += int(np.sum(times < (w["valid_seconds"] or np.inf)))
        s_act, curve = guidance_inputs([got["p_act"].numpy()[0]], [w["fps"]], AudioConfig(**audio))
        np.testing.assert_allclose(s_act, got["action_spectrogram"].numpy(), atol=1e-4)
        np.testing.assert_allclose(curve, got["action_curve"].numpy(), atol=1e-4)
    assert po["overall"]["num_estimated"] == peaks

    assert "normal" in format_guidance_check(res) and "P_act peaks" in format_guidance_check(res)


def test_pact_onset_times():
    p = np.full(23, 1 / 12)
    p[[4, 15]] = [0.9, 0.5]
    p[10] = 0.25                                        # a bump below the threshold
    p[19:21] = 0.6                                      # a plateau: one onset, at its last pair
    np.testing.assert_allclose(pact_onset_times(p, 8.0), [(4 + 0.5) / 8, (15 + 0.5) / 8, (20 + 0.5) / 8])
    assert len(pact_onset_times(np.full(23, 0.5), 8.0)) == 1      # flat curve: its last pair only
    assert len(pact_onset_times(np.zeros(23), 8.0)) == 0


def test_pass_band_flatness_ignores_the_post_filter_stop_band():
    from foleygan_tf.evaluation.audio_checks import spectral_flatness
    from foleygan_tf.inference.postfilter import apply_fir, lowpass_taps

    noise = np.random.default_rng(0).standard_normal(2067)
    filtered = apply_fir(noise, lowpass_taps(512, 0.75))
    assert spectral_flatness(filtered) < 0.1                     # the stop band dominates
    assert abs(spectral_flatness(filtered, band=0.7) - spectral_flatness(noise, band=1.0)) < 0.05
    assert 0.5 < spectral_flatness(noise, band=1.0) < 0.65
    tone = np.sin(2 * np.pi * 100 / 689 * np.arange(2067))
    assert spectral_flatness(tone, band=0.7) < 0.05


def test_event_correlation():
    w = _click_windows(1, sr=689)[0]
    r_true = event_correlation(w["wave"], 689, w["events"])
    r_moved = event_correlation(w["wave"], 689, w["events"] + 0.2)
    assert r_true > 0.3 and r_moved < r_true - 0.2
    assert event_correlation(w["wave"], 689, []) is None
