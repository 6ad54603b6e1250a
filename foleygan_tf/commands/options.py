"""Options shared by several commands: how a command names the models it uses.

One convention for every command that runs models (``generate``, ``evaluate``, ``survey build``):

* ``--models DIR`` — one set of models: a folder written by ``foleygan export`` (``DIR/trn`` and
  ``DIR/generator`` SavedModels); its name in reports is the folder's name;
* ``--model NAME=DIR`` (repeatable) — several, for a comparison (commands that compare models);
* neither — the bundled ``saved_models/default``.
"""

from __future__ import annotations

import os

from foleygan_tf.inference.exports import DEFAULT_MODELS, EXPORTED_PARTS, REPO_ROOT, require_exported  # noqa: F401


def add_models_option(parser, *, several: bool = False, default_help: str = "saved_models/default/") -> None:
    """Add ``--models DIR`` (and, with ``several``, the repeatable ``--model NAME=DIR``)."""
    parser.add_argument("--models", default=None, metavar="DIR",
                        help=f"exported models (`foleygan export`: DIR/trn and DIR/generator); default: {default_help}")
    if several:
        parser.add_argument("--model", dest="model_specs", action="append", default=[], metavar="NAME=DIR",
                            help="one of several models to compare (repeatable; instead of --models)")


def parse_model_spec(spec: str) -> tuple[str, str]:
    """``"NAME=DIR"`` → ``(NAME, DIR)``; a bare ``"DIR"`` is named after its folder."""
    name, sep, path = spec.partition("=")
    if not sep:
        name, path = os.path.basename(os.path.normpath(spec)), spec
    if not name or not path:
        raise ValueError(f"--model expects NAME=DIR, got {spec!r}")
    return name, path


def selected_models(args, *, use_default: bool = True) -> list[tuple[str, str]]:
    """``[(name, dir), …]`` named by ``--model``/``--models`` (or the bundled default when
    ``use_default``). One-line ``ValueError`` for a missing folder, both options at once, or a
    name used twice."""
    specs = list(getattr(args, "model_specs", None) or [])
    if specs and args.models:
        raise ValueError("give either --models DIR or --model NAME=DIR (repeatable), not both")
    if specs:
        models = [parse_model_spec(s) for s in specs]
    elif args.models:
        models = [(os.path.basename(os.path.normpath(args.models)), args.models)]
    elif use_default:
        if not os.path.isdir(DEFAULT_MODELS):
            raise ValueError(f"no default models at {DEFAULT_MODELS} — pass --models DIR "
                             "(a `foleygan export TRN_RUN GAN_RUN DIR` folder)")
        models = [("default", DEFAULT_MODELS)]
    else:
        raise ValueError("name the models: --models DIR or --model NAME=DIR")
    names = [n for n, _ in models]
    if len(set(names)) != len(names):
        raise ValueError(f"model names must be unique, got {names} (name them with --model NAME=DIR)")
    for name, path in models:
        if not os.path.isdir(path):
            raise ValueError(f"{path}: model {name!r} is not a directory")
    return models
