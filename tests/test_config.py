import json

import pytest

from foleygan_tf.config import (AFD_CLASSES, FIELD_KINDS, PRESETS, SCHEMA_VERSION, Config, apply_overrides,
                                field_kinds, get_preset, preset_table)


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
    # §V-B: g two 256-unit layers; MTRN and 2TRN trained separately for 100 epochs; Algorithm 1 line 7
    assert (c.trn.mtrn_g_layers, c.trn.pair_epochs, c.trn.pair_input) == (2, 100, "concat")
    assert (c.gan.class_source, c.gan.guidance_source, c.trn.pair_target) == ("mtrn", "trn", "clip_class")


def test_switches_are_off_in_the_paper_preset_and_every_field_has_a_kind():
    paper = field_kinds(get_preset("paper"))
    assert {r["kind"] for r in paper} <= set(FIELD_KINDS)
    for row in paper:   # the paper preset holds the paper's behaviour: no switch differs from its default
        if row["kind"] == "switch":
            assert row["value"] == row["paper"]
    bundled = {r["field"]: r for r in field_kinds(get_preset("bundled"))}
    on = sorted(f for f, r in bundled.items() if r["kind"] == "switch" and r["value"] != r["paper"])
    assert on == ["gan.class_source", "gan.d_sees_action", "gan.envelope_loss", "gan.guidance_source",
                  "gan.onset_loss", "gan.spectrum_loss", "train.spectral_norm_per_update", "trn.pact_gain",
                  "trn.pair_input", "trn.pair_target"]


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
    ("gan.nope=1", "unknown config field 'gan.nope' .config schema 2"),
    ("nope.x=1", "unknown config field 'nope.x'"),
    ("gan.curve_gate=4", "unknown config field"),          # removed in schema 2
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


def test_saved_config_carries_the_schema_version(tmp_path):
    path = tmp_path / "config.json"
    get_preset("tiny").save(path)
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION == 2


def test_unknown_schema_is_a_one_line_error(tmp_path):
    path = tmp_path / "config.json"
    data = get_preset("tiny").to_dict()
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"config.json: config schema 99 is unknown .* schemas 1 to 2") as err:
        Config.load(path)
    assert "\n" not in str(err.value)


def _schema1(preset="tiny"):
    """A config dict as the schema-1 code wrote it (no schema_version, the removed fields)."""
    data = get_preset(preset).to_dict()
    del data["schema_version"]
    for name in ("mtrn_g_layers", "pair_epochs"):
        del data["trn"][name]
    del data["gan"]["class_source"]
    data["trn"]["pair_loss_weight"] = 5.0
    data["train"]["epochs"] = 1
    data["gan"].update(curve_gate=0, magnitude_loss=0.0, waveform_onset_loss=0.0, waveform_stft_loss=0.0)
    return data


def test_schema1_config_upgrades_to_what_its_code_did():
    data = _schema1()
    data["trn"]["epochs"] = 7
    cfg = Config.from_dict(data)
    assert cfg.trn.mtrn_g_layers == 1 and cfg.trn.pair_epochs == 7 and cfg.gan.class_source == "label"
    del data["trn"]["pair_input"]          # before the field existed: the concatenated pair
    assert Config.from_dict(data).trn.pair_input == "concat"


@pytest.mark.parametrize("field, value", [("gan.curve_gate", 8), ("gan.waveform_stft_loss", 1.0),
                                          ("trn.pair_input", "concat_difference")])
def test_schema1_config_with_a_removed_switch_on_is_refused(field, value):
    data = _schema1()
    section, name = field.split(".")
    data[section][name] = value
    with pytest.raises(ValueError, match=f"{field}.*removed in config schema 2"):
        Config.from_dict(data)


def test_readme_preset_table_matches_config():
    readme = open(__file__.replace("tests/test_config.py", "README.md")).read()
    for row in preset_table():
        line = next((l for l in readme.splitlines() if l.startswith(f"| `{row['preset']}`")), None)
        assert line is not None, f"README has no preset row for {row['preset']}"
        for key in ("image", "sample_rate", "stft", "stft_frames", "gan_ch", "z_dim", "batch"):
            assert str(row[key]) in line, f"README row for {row['preset']} lacks {key}={row[key]}"
