"""``foleygan export {trn,generator,all}``: SavedModel exports of trained blocks.

``foleygan export trn TRN_RUN_DIR OUT_DIR`` — the action-recognition block
(``foleygan_tf.inference.trn_export``: ``serving_default(frames uint8 [B, T, H, W, 3], fps
float32 [B])`` → class probabilities, P_act, S_act, the R-step action curve).

``foleygan export generator GAN_RUN_DIR OUT_DIR`` — the EMA generator with decoder, ISTFT and
post-filter in the graph (``foleygan_tf.inference.generator_export``: ``serving_default(z,
class_probs, action_spectrogram, action_curve)`` → spectrogram, waveform; ``sample_z(seed, num,
truncation)`` → z).

``foleygan export RUN_DIR... SAVED_MODELS_DIR`` (= ``foleygan export all …``) — each run directory
is recognised (TRN run: ``trn.weights.h5``; GAN run: ``checkpoints/``) and exported to
``SAVED_MODELS_DIR/trn`` and ``SAVED_MODELS_DIR/generator``, the layout ``foleygan generate
--models`` and ``FoleyPipeline.from_saved_models`` read. (A run directory literally named ``trn``,
``generator`` or ``all`` needs the explicit ``all``.)

Each export kind is one nested sub-command: a ``_register_<kind>(sub, common)`` function below,
called from :func:`register`.
"""

from __future__ import annotations

import argparse
import os


class _AnyName(dict):
    """The sub-parser map; once ``accept_any`` is set (after the sub-parsers are added) it passes
    argparse's choice check for any first word, which :class:`_DefaultToAll` then routes."""

    accept_any = False

    def __contains__(self, key):
        return self.accept_any or dict.__contains__(self, key)


class _DefaultToAll(argparse._SubParsersAction):
    """``foleygan export RUN_DIR... OUT`` without a kind: route to the ``all`` sub-command."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._name_parser_map = self.choices = _AnyName()

    def __call__(self, parser, namespace, values, option_string=None):
        if values and not dict.__contains__(self._name_parser_map, values[0]):
            values = ["all", *values]
        super().__call__(parser, namespace, values, option_string)


def register(subparsers, common) -> None:
    p = subparsers.add_parser("export", help="export trained blocks as TensorFlow SavedModels",
                              description="Export trained blocks as SavedModels (serving_default "
                                          "signature; loads with tf.saved_model.load, no foleygan_tf needed). "
                                          "`foleygan export RUN_DIR... SAVED_MODELS_DIR` exports every given "
                                          "run into SAVED_MODELS_DIR/trn and SAVED_MODELS_DIR/generator.")
    sub = p.add_subparsers(dest="export_command", metavar="{trn,generator,all}", action=_DefaultToAll)
    sub.required = True
    _register_trn(sub, common)
    _register_generator(sub, common)
    _register_all(sub, common)
    sub._name_parser_map.accept_any = True


def _register_trn(sub, common) -> None:
    t = sub.add_parser(
        "trn", help="export the action recognizer (MTRN + 2TRN + action spectrogram)",
        description="Export the trained action recognizer of TRN_RUN_DIR (`foleygan train trn`) to OUT_DIR: "
                    "serving_default(frames uint8 [B,T,H,W,3], fps float32 [B]) → class_probs, class_index, "
                    "class_name, p_act, action_spectrogram, action_curve. Deterministic; written atomically. "
                    "The run's own config is used.")
    t.add_argument("run_dir", metavar="TRN_RUN_DIR")
    t.add_argument("out_dir", metavar="OUT_DIR")
    t.add_argument("--no-verify", action="store_true", help="skip loading the export back and running it once")
    _pact_gain_option(t)
    t.set_defaults(func=run_trn)


def _pact_gain_option(parser) -> None:
    parser.add_argument("--pact-gain", type=float, default=None, metavar="G",
                        help="stretch P_act around chance by G in the export (trn.pact_gain, docs/trn.md; "
                             "default: the run's own; 1: the raw probability)")


def run_trn(args) -> int:
    from foleygan_tf.inference.trn_export import export_trn

    _print_trn(export_trn(args.run_dir, args.out_dir, verify=not args.no_verify, pact_gain=args.pact_gain),
               args.out_dir)
    return 0


def _print_trn(meta, out_dir) -> None:
    print(f"exported TRN ({meta['num_classes']} classes, frames → {meta['frame_size']}², "
          f"S_act {meta['image_size']}×{meta['image_size']}×3, P_act gain {meta['config']['trn']['pact_gain']:g}) "
          f"to {out_dir}")


def _filter_options(parser) -> None:
    parser.add_argument("--post-filter", choices=("lowpass", "none"), default="lowpass",
                        help="post-processing filter baked into the graph (paper §V-B, length 512): a "
                             "linear-phase windowed-sinc low-pass (default) or none")
    parser.add_argument("--post-filter-length", type=int, default=None, metavar="TAPS",
                        help="filter taps (default: the run's gan.post_filter_length, 512)")
    parser.add_argument("--post-filter-cutoff", type=float, default=0.75, metavar="FRACTION",
                        help="low-pass cut-off as a fraction of Nyquist (default 0.75)")
    parser.add_argument("--refine-iters", type=int, default=None, metavar="N",
                        help="Griffin-Lim iterations after the LMS phase in the baked-in decoder "
                             "(default: the run's audio.lms_refine_iters; 0: G's own phase, sharper attacks)")
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default="float32",
                        help="compute dtype of the generator's network (default float32); bfloat16 runs "
                             "G's convolutions in bf16 (much faster on CPUs with AVX512-BF16/AMX) while the "
                             "decoder, ISTFT and post-filter stay float32; inputs/outputs stay float32")
    parser.add_argument("--no-verify", action="store_true", help="skip loading the export back and running it once")


def _generator_options(args) -> dict:
    return dict(post_filter=args.post_filter, post_filter_length=args.post_filter_length,
                post_filter_cutoff=args.post_filter_cutoff, dtype=args.dtype, refine_iters=args.refine_iters)


def _register_generator(sub, common) -> None:
    g = sub.add_parser(
        "generator", help="export the EMA generator (+ decoder, ISTFT, post-filter)",
        description="Export the EMA generator of GAN_RUN_DIR (`foleygan train gan`, latest checkpoint) to "
                    "OUT_DIR: serving_default(z float32 [B,z_dim], class_probs float32 [B,C], "
                    "action_spectrogram float32 [B,R,R,3], action_curve float32 [B,R]) → spectrogram "
                    "[B,R,R,3], waveform [B,clip_samples]; sample_z(seed, num, truncation) → z. Written "
                    "atomically. The run's own config is used.")
    g.add_argument("run_dir", metavar="GAN_RUN_DIR",
                   help="a `foleygan train gan` run directory, or a generator SavedModel to re-export "
                        "(e.g. with --dtype bfloat16)")
    g.add_argument("out_dir", metavar="OUT_DIR")
    _filter_options(g)
    g.set_defaults(func=run_generator)


def _print_generator(meta, out_dir) -> None:
    f = meta["post_filter"]
    filt = f"{f['kind']} {f['length']} taps" if f["kind"] != "none" else "no post-filter"
    print(f"exported generator ({meta['checkpoint']}, {meta['num_classes']} classes, "
          f"{meta['image_size']}×{meta['image_size']}×3 → {meta['clip_samples']} samples at "
          f"{meta['sample_rate']} Hz, {filt}, {meta.get('compute_dtype', 'float32')}) to {out_dir}")


def run_generator(args) -> int:
    from foleygan_tf.inference.generator_export import export_generator

    meta = export_generator(args.run_dir, args.out_dir, verify=not args.no_verify, **_generator_options(args))
    _print_generator(meta, args.out_dir)
    return 0


def _register_all(sub, common) -> None:
    a = sub.add_parser(
        "all", help="export TRN and GAN runs into SAVED_MODELS_DIR/{trn,generator}",
        description="Export each RUN_DIR (a `foleygan train trn` or `foleygan train gan` run, recognised by "
                    "its contents) into SAVED_MODELS_DIR/trn and SAVED_MODELS_DIR/generator — the layout "
                    "`foleygan generate --models` reads. Same as `foleygan export RUN_DIR... SAVED_MODELS_DIR`.")
    a.add_argument("paths", nargs="+", metavar="RUN_DIR... SAVED_MODELS_DIR")
    _filter_options(a)
    _pact_gain_option(a)
    a.set_defaults(func=run_all)


def run_all(args) -> int:
    from foleygan_tf.inference.exports import export_models

    if len(args.paths) < 2:
        raise ValueError("export: give at least one run directory and the SAVED_MODELS_DIR")
    *runs, out = args.paths
    exported = export_models(runs, out, verify=not args.no_verify, pact_gain=args.pact_gain,
                             **_generator_options(args))
    if "trn" in exported:
        _print_trn(exported["trn"], os.path.join(out, "trn"))
    if "generator" in exported:
        _print_generator(exported["generator"], os.path.join(out, "generator"))
    return 0
