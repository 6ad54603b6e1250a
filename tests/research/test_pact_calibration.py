"""research.sync.pact_calibration: P_act's peaks against its audio-onset targets."""

import numpy as np

from research.sync.pact_calibration import format_pact_calibration, pact_calibration, peak_ratio


def test_peak_ratio_is_the_gain_that_restores_the_mean_peak():
    c = 4                                               # chance 0.25; a window counts from a target peak of 0.625
    targets = [np.array([0.25, 1.0, 0.25]), np.array([0.25, 0.7, 0.25]), np.array([0.25, 0.5, 0.25])]
    p_acts = [np.array([0.2, 0.55, 0.3]), np.array([0.25, 0.45, 0.3]), np.array([0.9, 0.9, 0.9])]
    r = peak_ratio(p_acts, targets, c)
    assert r["windows"] == 2                            # the third target never reaches half its range
    assert np.isclose(r["pact_peak"], 0.5) and np.isclose(r["target_peak"], 0.85)
    assert np.isclose(r["ratio"], (0.85 - 0.25) / (0.5 - 0.25))
    # stretched by that gain, the mean peak lands on the target's
    from foleygan_tf.models.trn import stretch_pact

    stretched = [np.asarray(stretch_pact(p.astype(np.float32), r["ratio"], c)) for p in p_acts]
    assert np.isclose(peak_ratio(stretched, targets, c)["ratio"], 1.0, atol=1e-5)
    assert peak_ratio([np.full(3, 0.25)], targets[:1], c)["ratio"] is None        # P_act flat at chance
    assert peak_ratio(p_acts, [np.full(3, 0.25)] * 3, c)["windows"] == 0


def test_pact_calibration_runs_a_serving_function_on_windows(tf):
    """A stand-in TRN whose P_act is half the target's rise: ratio 2 on windows with a real onset."""
    from foleygan_tf.audio.onsets import onset_weights_to_pact, pair_onset_weights

    rate, fps, c = 11025, 24.0, 12
    rng = np.random.default_rng(1)
    windows = []
    for onset in (0.7, 1.9):
        wave = rng.normal(0, 1e-3, 3 * rate).astype(np.float32)
        i = int(onset * rate)
        wave[i:i + 3000] += rng.normal(0, 1, 3000) * np.exp(-np.arange(3000) / 400.0)
        windows.append({"frames": np.zeros((72, 4, 4, 3), np.uint8), "fps": fps, "wave": wave})

    def serve(frames, fps):
        w = windows[len(calls)]
        calls.append(1)
        target = onset_weights_to_pact(pair_onset_weights(w["wave"], w["fps"], frames.shape[1] - 1, rate), c)
        return {"p_act": tf.reshape(1.0 / c + 0.5 * (target - 1.0 / c), (1, -1))}

    calls = []
    r = pact_calibration(serve, windows, c, rate)
    assert len(calls) == 2 and r["windows"] == 2 and r["all_windows"] == 2
    assert np.isclose(r["ratio"], 2.0, atol=1e-4)
    assert "ratio around chance 2.00" in format_pact_calibration(r)


def test_main_refuses_what_is_not_a_trn_saved_model(tmp_path, monkeypatch, capsys, tf):
    """A folder without a SavedModel and a SavedModel without a foleygan metadata asset: the same
    one-line usage error."""
    import pytest

    import research.sync.guidance_check as guidance_check
    from research.sync.pact_calibration import main

    monkeypatch.setattr(guidance_check, "load_windows", lambda shards, split: [])
    bare = tmp_path / "bare"
    tf.saved_model.save(tf.Module(), str(bare))
    for path in (tmp_path, bare):
        with pytest.raises(SystemExit) as exit_:
            main([str(path), str(tmp_path)])
        assert exit_.value.code == 2
        assert f"{path}: not a TRN SavedModel (`foleygan export trn`)" in capsys.readouterr().err
