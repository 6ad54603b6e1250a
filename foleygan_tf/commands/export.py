"""``foleygan export {trn,…}``: SavedModel exports of trained blocks.

``foleygan export trn TRN_RUN_DIR OUT_DIR`` — the action-recognition block
(``foleygan_tf.inference.trn_export``: ``serving_default(frames uint8 [B, T, H, W, 3], fps
float32 [B])`` → class probabilities, P_act, S_act, the R-step action curve).

Each export kind is one nested sub-command: a ``_register_<kind>(sub, common)`` function below,
called from :func:`register`.
"""

from __future__ import annotations

import os


def register(subparsers, common) -> None:
    p = subparsers.add_parser("export", help="export trained blocks as TensorFlow SavedModels",
                              description="Export a trained block as a SavedModel (serving_default "
                                          "signature; loads with tf.saved_model.load, no foleygan_tf needed).")
    sub = p.add_subparsers(dest="export_command", metavar="{trn}")
    sub.required = True
    _register_trn(sub, common)


def _register_trn(sub, common) -> None:
    t = sub.add_parser(
        "trn", parents=[common], help="export the action recognizer (MTRN + 2TRN + action spectrogram)",
        description="Export the trained action recognizer of TRN_RUN_DIR (`foleygan train trn`) to OUT_DIR: "
                    "serving_default(frames uint8 [B,T,H,W,3], fps float32 [B]) → class_probs, class_index, "
                    "class_name, p_act, action_spectrogram, action_curve. Deterministic; written atomically. "
                    "The run's own config is used (--preset/--set are ignored).")
    t.add_argument("run_dir", metavar="TRN_RUN_DIR")
    t.add_argument("out_dir", metavar="OUT_DIR")
    t.add_argument("--no-verify", action="store_true", help="skip loading the export back and running it once")
    t.set_defaults(func=run_trn)


def run_trn(args) -> int:
    from foleygan_tf.cli import UserError

    for name in ("config.json", "trn.weights.h5"):
        if not os.path.exists(os.path.join(args.run_dir, name)):
            raise UserError(f"{os.path.join(args.run_dir, name)}: not found — is {args.run_dir} a "
                            "`foleygan train trn` run directory?")
    from foleygan_tf.inference.trn_export import export_trn

    meta = export_trn(args.run_dir, args.out_dir, verify=not args.no_verify)
    print(f"exported TRN ({meta['num_classes']} classes, frames → {meta['frame_size']}², "
          f"S_act {meta['image_size']}×{meta['image_size']}×3) to {args.out_dir}")
    return 0
