"""``foleygan codec IN -o OUT.wav``: encode any audio/video file's audio into the spectrogram image
of a preset and decode it back — listen to what an encoding keeps (Table III)."""

from __future__ import annotations

import os


def register(subparsers, common):
    p = subparsers.add_parser("codec", parents=[common], help="round-trip an audio/video file through the spectrogram codec",
                              description=__doc__)
    p.add_argument("input", help="audio file (wav/flac/ogg/mp3 …) or video with an audio track")
    p.add_argument("-o", "--output", required=True, help="decoded WAV to write")
    p.add_argument("--encoding", choices=("stft", "lms", "ms", "mfcc", "cqt"), help="override audio.encoding")
    p.add_argument("--offset", type=float, default=0.0, help="start of the clip in seconds")
    p.add_argument("--plot", metavar="PNG", help="also save the encoded image's channels as a PNG")
    p.set_defaults(func=run)


def run(args):
    from foleygan_tf.cli import UserError, config_from_args

    cfg = config_from_args(args)
    if os.path.abspath(args.output) == os.path.abspath(args.input):
        raise UserError(f"{args.output}: refusing to overwrite the input")
    from foleygan_tf.audio import SpectrogramCodec, load_clip, write_wav
    from foleygan_tf.audio.plots import plot_image_channels
    from foleygan_tf.audio.quality import round_trip_report

    wave = load_clip(args.input, cfg.audio, args.offset)
    codec = SpectrogramCodec(cfg.audio, args.encoding)
    report = round_trip_report(codec, wave)
    write_wav(args.output, report["decoded"], codec.sample_rate)
    if args.plot:
        plot_image_channels(report["image"], args.plot, f"{args.input} — {codec.encoding}",
                            codec.sample_rate, cfg.audio.clip_seconds)
    print(f"{codec.encoding} at preset {cfg.name} ({codec.image_size}×{codec.image_size}×3, "
          f"{codec.sample_rate} Hz): SNR {report['snr_db']:.1f} dB, spectral convergence "
          f"{report['spectral_convergence']:.4f} → {args.output}")
    return 0
