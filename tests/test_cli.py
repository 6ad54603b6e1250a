import json
import os
import subprocess
import sys


from foleygan_tf.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_foleygan_help_runs_from_the_installed_entry_point():
    exe = os.path.join(os.path.dirname(sys.executable), "foleygan")
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "usage: foleygan" in out.stdout and "demo" in out.stdout and "codec" in out.stdout


def test_codec_command_round_trips_a_file(tmp_path, capsys, tf):
    from foleygan_tf.audio import load_audio, natural_test_signal, write_wav

    src = tmp_path / "in.wav"
    write_wav(src, natural_test_signal(689, 3.0, 7), 689)
    out = tmp_path / "out.wav"
    png = tmp_path / "img.png"
    assert main(["codec", str(src), "-o", str(out), "--preset", "tiny", "--set", "audio.encoding=stft",
                 "--plot", str(png)]) == 0
    line = capsys.readouterr().out
    snr = float(line.split("SNR ")[1].split(" dB")[0])
    assert snr > 30
    decoded = load_audio(out, 689)
    assert decoded.size == 2067 and png.stat().st_size > 10_000


def test_codec_command_bad_input_is_one_line(tmp_path, capsys):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"")
    code = main(["codec", str(bad), "-o", str(tmp_path / "o.wav")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and str(bad) in err and "empty" in err
    assert not (tmp_path / "o.wav").exists()


def test_bad_override_is_one_line(tmp_path, capsys):
    code = main(["codec", "x.wav", "-o", str(tmp_path / "o.wav"), "--set", "gan.bogus=1"])
    assert code == 2 and "unknown config field 'gan.bogus'" in capsys.readouterr().err


def test_codec_demo_reports_every_encoding(tmp_path, capsys, tf):
    assert main(["demo", "--codec", "--out", str(tmp_path), "--preset", "tiny"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["round_trip"]) == {"stft", "lms", "ms", "mfcc", "cqt"}
    assert summary["round_trip"]["stft"]["snr_db"] > 30
    assert all(-1.0 <= r["image_min"] <= r["image_max"] <= 1.0 for r in summary["round_trip"].values())
    assert (tmp_path / "image_lms.png").exists() and (tmp_path / "decoded_lms.wav").exists()


def test_demo_without_models_falls_back_to_the_codec(tmp_path, capsys, tf):
    assert main(["demo", "--out", str(tmp_path / "o"), "--models", str(tmp_path / "none"), "--preset", "tiny"]) == 0
    assert "No bundled default models" in capsys.readouterr().out
    assert (tmp_path / "o" / "summary.json").exists()


def test_demo_sound_designs_the_bundled_example_with_the_bundled_default_models(tmp_path, capsys, tf):
    import av

    from foleygan_tf.commands.demo import EXAMPLE_VIDEO
    from foleygan_tf.inference.exports import DEFAULT_MODELS

    for name in ("trn", "generator"):
        assert os.path.isfile(os.path.join(DEFAULT_MODELS, name, "saved_model.pb")), "bundled models missing"
    assert os.path.getsize(EXAMPLE_VIDEO) < 500_000, "the bundled example video should stay a few hundred KB"
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "16 seen events" in out and "F1" in out
    with av.open(EXAMPLE_VIDEO) as c:
        video_seconds = float(c.streams.video[0].frames / c.streams.video[0].average_rate)
    with av.open(str(tmp_path / "demo.mp4")) as c:
        assert c.streams.video and c.streams.audio
        audio = c.streams.audio[0]
        audio_seconds = float(audio.duration * audio.time_base)
    assert abs(audio_seconds - video_seconds) < 0.05, (audio_seconds, video_seconds)
    assert (tmp_path / "demo.wav").stat().st_size > 1000 and (tmp_path / "demo.png").exists()


def test_python_dash_m_entry_point_gives_one_line_errors(tmp_path):
    missing = tmp_path / "no such.wav"
    proc = subprocess.run([sys.executable, "-m", "foleygan_tf.cli", "codec", str(missing), "-o", str(tmp_path / "o.wav")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("foleygan: error:")]
    assert len(lines) == 1 and str(missing) in lines[0], proc.stderr
    assert not (tmp_path / "o.wav").exists()
