"""``foleygan generate VIDEO... -o OUT``: Foley for silent videos (``FoleyPipeline``).

``-o`` names the output file for one video (``OUT.mp4``; an existing directory, or a path ending
in ``/``, gets ``OUT/<stem>.mp4``) and a directory for several (``OUT/<stem>.mp4`` each, plus
``<stem>.wav`` with ``--wav`` and ``<stem>.png`` with ``--plot``). Without ``--models`` the bundled
``saved_models/default/`` is used. A progress bar runs over the videos; an unreadable video is
reported in one line (the others are still processed; exit status 2).
"""

from __future__ import annotations

import os

DEFAULT_MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                              "saved_models", "default")


def register(subparsers, common) -> None:
    p = subparsers.add_parser(
        "generate", parents=[common], help="generate synchronised sound for silent videos",
        description="Generate a sound track for each VIDEO (class and action timing from the TRN, audio from "
                    "the generator) and write a copy of the video with the track muxed in (video stream "
                    "copied, not re-encoded, where the container allows). The models' own config is used "
                    "(--preset/--set are ignored).")
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output video (one input) or directory (several inputs, or an existing directory)")
    p.add_argument("--models", default=None, metavar="SAVED_MODELS_DIR",
                   help="directory holding trn/ and generator/ SavedModels (`foleygan export`); "
                        "default: saved_models/default/")
    p.add_argument("--seed", type=int, default=0, help="seed of the latent z (default 0)")
    p.add_argument("--truncation", type=float, default=None,
                   help="truncation threshold of z (default: the model's gan.truncation; <= 0: none)")
    p.add_argument("--class", dest="class_name", default=None, metavar="NAME",
                   help="condition on this class instead of the predicted one")
    p.add_argument("--pre-roll", type=float, default=None, metavar="SECONDS",
                   help="lead-in generated before the first frame and cut away, so the track starts inside "
                        "its steady background (default 0.25; 0: none; docs/inference.md)")
    p.add_argument("--wav", action="store_true", help="also write the bare track as <stem>.wav")
    p.add_argument("--plot", action="store_true",
                   help="also write <stem>.png: the spectrogram with the predicted action curve over it")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary lines")
    p.set_defaults(func=run)


def _outputs(videos, out) -> list[str]:
    from foleygan_tf.cli import UserError

    as_dir = len(videos) > 1 or os.path.isdir(out) or out.endswith(os.sep)
    if not as_dir:
        if not os.path.splitext(out)[1]:
            out += ".mp4"
        return [out]
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"{out}: exists and is not a directory (several videos need an output directory)")
    stems = [os.path.splitext(os.path.basename(v))[0] for v in videos]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise UserError(f"several inputs share the name {dupes[0]!r}: their outputs would collide in {out}")
    return [os.path.join(out, s + ".mp4") for s in stems]


def run(args) -> int:
    import sys

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter

    from tqdm import tqdm

    from foleygan_tf.cli import UserError

    if args.pre_roll is not None and not 0.0 <= args.pre_roll < 1.0:
        raise UserError(f"--pre-roll {args.pre_roll}: must be in [0, 1) seconds")
    models = args.models or DEFAULT_MODELS
    if args.models is None and not os.path.isdir(models):
        raise UserError(f"no default models at {models} — pass --models DIR (a `foleygan export "
                        "TRN_RUN GAN_RUN DIR` directory)")
    for name in ("trn", "generator"):
        if not os.path.isfile(os.path.join(models, name, "saved_model.pb")):
            raise UserError(f"{os.path.join(models, name)}: no SavedModel — {models} must hold trn/ and "
                            "generator/ (`foleygan export TRN_RUN GAN_RUN DIR`)")
    outputs = _outputs(args.videos, args.output)
    for video, out in zip(args.videos, outputs):
        if os.path.abspath(video) == os.path.abspath(out):
            raise UserError(f"{out}: is the input video; refusing to overwrite it (choose another -o)")
    if len(outputs) > 1:
        try:
            os.makedirs(args.output, exist_ok=True)
        except OSError as err:
            raise UserError(f"{args.output}: cannot create the output directory ({err.strerror or err})") from None

    from foleygan_tf.inference.atomic import remove_stale_temps
    from foleygan_tf.inference.pipeline import DEFAULT_PRE_ROLL, FoleyPipeline

    # a killed earlier run may have left temporaries beside these outputs: remove them (finished
    # outputs are complete files — each is renamed into place only once fully written)
    remove_stale_temps([os.path.splitext(o)[0] + ext for o in outputs
                        for ext in (os.path.splitext(o)[1], ".wav", ".png")])

    pre_roll = DEFAULT_PRE_ROLL if args.pre_roll is None else args.pre_roll
    pipeline = FoleyPipeline.from_saved_models(models, pre_roll=pre_roll)
    if args.class_name is not None:
        pipeline.class_index(args.class_name)  # unknown class: one line before any work
    failed = 0
    bar = tqdm(list(zip(args.videos, outputs)), desc="generate", unit="video", disable=args.quiet,
               file=sys.stderr)
    for video, out in bar:
        try:
            r = pipeline.generate(video, out, seed=args.seed, truncation=args.truncation,
                                  class_name=args.class_name, wav=args.wav, plot=args.plot)
        except (ValueError, OSError) as err:  # OSError: FileNotFound, IsADirectory, Permission, …
            if len(outputs) == 1:
                raise UserError(str(err)) from None
            failed += 1
            tqdm.write(f"foleygan: error: {err}", file=sys.stderr)
            continue
        if not args.quiet:
            extra = "".join(f", {k} {r[k]}" for k in ("wav", "plot") if r[k])
            tqdm.write(f"{video} → {r['output']} ({r['class_name']}"
                       f"{' given' if r['class_source'] == 'user' else ''}, {r['duration']:.2f} s, "
                       f"{r['windows']} window(s), video {r['video']}, {r['seconds']:.1f} s{extra})")
    bar.close()
    if failed:
        print(f"foleygan: {failed} of {len(outputs)} video(s) failed", file=sys.stderr)
        return 2
    return 0
