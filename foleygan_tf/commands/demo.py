"""``foleygan demo``: the main job on the bundled default.

Until the bundled default models exist (saved_models/default/, a later issue), the demo runs the
spectrogram codec — the paper's audio representation — on a generated natural-sounding clip at the
paper preset, for every encoding of Table III, and says so. It writes WAVs and PNGs to --out and
prints the round-trip quality of each encoding.
"""

from __future__ import annotations

import os


def register(subparsers, common):
    p = subparsers.add_parser("demo", help="run the main job on the bundled default (see `make demo`)",
                              description=__doc__)
    p.add_argument("--out", default="demo_output", help="output directory (default: demo_output)")
    p.add_argument("--preset", default="paper", help="preset for the codec demo (default: paper)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args):
    import json

    from tqdm import tqdm

    from foleygan_tf.audio import SpectrogramCodec, natural_test_signal, write_wav
    from foleygan_tf.audio.plots import plot_image_channels
    from foleygan_tf.audio.quality import round_trip_report
    from foleygan_tf.config import ENCODINGS, get_preset

    default_models = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "saved_models", "default")
    print(f"No bundled default models in {default_models} yet: running the spectrogram-codec demo "
          f"(paper §IV-B-1) on a generated 3 s clip instead.")
    cfg = get_preset(args.preset)
    os.makedirs(args.out, exist_ok=True)
    wave = natural_test_signal(cfg.audio.sample_rate, cfg.audio.clip_seconds, args.seed)
    write_wav(os.path.join(args.out, "input.wav"), wave, cfg.audio.sample_rate)
    summary = {}
    for encoding in tqdm(ENCODINGS, desc="encodings", unit="enc"):
        report = round_trip_report(SpectrogramCodec(cfg.audio, encoding), wave)
        write_wav(os.path.join(args.out, f"decoded_{encoding}.wav"), report["decoded"], cfg.audio.sample_rate)
        plot_image_channels(report["image"], os.path.join(args.out, f"image_{encoding}.png"),
                            f"{encoding} — preset {cfg.name}", cfg.audio.sample_rate, cfg.audio.clip_seconds)
        summary[encoding] = {k: round(report[k], 4) for k in ("snr_db", "spectral_convergence", "image_min", "image_max")}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump({"preset": cfg.name, "round_trip": summary}, f, indent=2)
    print(f"{'encoding':<9}{'SNR dB':>9}{'spec. conv.':>13}   (preset {cfg.name}, "
          f"{cfg.audio.image_size}×{cfg.audio.image_size}×3 at {cfg.audio.sample_rate} Hz)")
    for encoding, r in summary.items():
        print(f"{encoding:<9}{r['snr_db']:>9.1f}{r['spectral_convergence']:>13.4f}")
    print(f"WAVs, PNGs and summary.json written to {os.path.abspath(args.out)}")
    return 0
