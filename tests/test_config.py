import json

import pytest

from foleygan_tf.config import (AFD_CLASSES, PRESETS, Config, apply_overrides, get_preset,
                                preset_table)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_geometry_rules(name):
    a = get_preset(name).audio
    assert a.frame_length == 4 * a.frame_step  # 75 % overlap
    assert a.fft_length == a.frame_length
    assert a.image_size == a.fft_length // 2  # square image, Nyquist dropped
    assert abs(a.num_stft_frames - a.image_size) <= 4
    assert a.clip_seconds == 3.0


def test_paper_values_are_the_papers():
    c = get_preset("paper")
    assert (c.audio.sample_rate, c.audio.frame_length, c.audio.frame_step, c.audio.num_freq_bins) == (44100, 1024, 256, 513)
    assert c.audio.image_size == 512 and c.audio.clip_samples == 132300
    assert c.num_classes == 12 and c.class_names == AFD_CLASSES
    assert (c.gan.z_dim, c.gan.ch, c.train.batch_size, c.train.accumulation_steps) == (160, 96, 128, 16)
    assert (c.train.lr_d, c.train.lr_g, c.train.beta_1, c.train.beta_2) == (2e-4, 5e-5, 0.0, 0.999)
    assert (c.trn.learning_rate, c.trn.batch_size, c.trn.epochs, c.trn.mlp_units) == (1e-3, 128, 100, 256)
    assert c.video.num_segments == 8 and c.gan.post_filter_length == 512 and c.audio.encoding == "lms"


def test_json_round_trip(tmp_path):
    cfg = apply_overrides(get_preset("small"), ["gan.guidance=none", "audio.encoding=stft"])
    path = tmp_path / "config.json"
    cfg.save(path)
    again = Config.load(path)
    assert again == cfg
    assert json.loads(path.read_text())["gan"]["guidance"] == "none"


def test_overrides_parse_types_and_extend_class_names():
    cfg = apply_overrides(get_preset("tiny"), ["num_classes=1000", "train.jit_compile=false", "gan.ortho_reg=0.5"])
    assert cfg.num_classes == 1000 and len(cfg.class_names) == 1000 and cfg.class_names[12] == "class_12"
    assert cfg.train.jit_compile is False and cfg.gan.ortho_reg == 0.5


@pytest.mark.parametrize("override, message", [
    ("gan.nope=1", "unknown config field"),
    ("nope.x=1", "unknown config section"),
    ("gan.guidance=sideways", "gan.guidance"),
    ("audio.encoding=wavelet", "audio.encoding"),
    ("audio.frame_step=100", "75 %"),
    ("train.jit_compile=maybe", "not a boolean"),
    ("num_classes", "dotted.field=value"),
])
def test_bad_overrides_are_clear(override, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(get_preset("tiny"), [override])


def test_unknown_preset():
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        get_preset("huge")


def test_unknown_json_field():
    data = get_preset("tiny").to_dict()
    data["audio"]["bogus"] = 1
    with pytest.raises(ValueError, match="bogus"):
        Config.from_dict(data)


def test_readme_preset_table_matches_config():
    readme = open(__file__.replace("tests/test_config.py", "README.md")).read()
    for row in preset_table():
        line = next((l for l in readme.splitlines() if l.startswith(f"| `{row['preset']}`")), None)
        assert line is not None, f"README has no preset row for {row['preset']}"
        for key in ("image", "sample_rate", "stft", "stft_frames", "gan_ch", "z_dim", "batch"):
            assert str(row[key]) in line, f"README row for {row['preset']} lacks {key}={row[key]}"
