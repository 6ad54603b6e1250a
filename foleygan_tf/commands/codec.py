"""``foleygan codec IN -o OUT.wav``: encode any audio/video file's audio into the spectrogram image
of a preset and decode it back — listen to what an encoding keeps (Table III)."""

from __future__ import annotations



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
    from foleygan_tf.audio.quality import codec_file_round_trip
    from foleygan_tf.cli import config_from_args

    cfg = config_from_args(args)
    report = codec_file_round_trip(args.input, args.output, cfg.audio, args.encoding, args.offset, args.plot)
    print(f"{report['encoding']} at preset {cfg.name} ({cfg.audio.image_size}×{cfg.audio.image_size}×3, "
          f"{cfg.audio.sample_rate} Hz): SNR {report['snr_db']:.1f} dB, spectral convergence "
          f"{report['spectral_convergence']:.4f} → {args.output}")
    return 0
