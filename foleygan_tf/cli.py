"""The ``foleygan`` command.

Each sub-command lives in its own module under ``foleygan_tf/commands/`` and exposes
``register(subparsers, common)``; ``common`` is a parent parser carrying ``--preset`` and the
repeatable ``--set dotted.field=value`` override shared by every command. Heavy imports
(TensorFlow) happen inside the handlers so that ``foleygan --help`` stays instant.

Errors that are the user's (bad input file, bad option) are raised as ``UserError`` (or
``ValueError``/``FileNotFoundError``) and printed as one line, without a traceback, exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Order = order in `foleygan --help`; a new sub-command adds its module here.
COMMAND_MODULES = (
    "foleygan_tf.commands.demo",
    "foleygan_tf.commands.codec",
    "foleygan_tf.commands.synth_data",
    "foleygan_tf.commands.prepare",
    "foleygan_tf.commands.describe",
    "foleygan_tf.commands.train",
    "foleygan_tf.commands.export",
    "foleygan_tf.commands.generate",
    "foleygan_tf.commands.evaluate",
    "foleygan_tf.commands.bench",
    "foleygan_tf.commands.survey",
)


class UserError(Exception):
    """An error caused by the user's input: printed as one line, no traceback."""


DEFAULT_PRESET = "tiny"


def common_parser() -> argparse.ArgumentParser:
    from foleygan_tf.config import PRESETS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--preset", default=None, metavar="NAME",
                        help=f"config preset: {', '.join(PRESETS)} (default: {DEFAULT_PRESET})")
    common.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a config field, e.g. --set gan.guidance=none (repeatable; "
                             "`foleygan describe --fields` lists them)")
    add_verbose_option(common)
    return common


def add_verbose_option(parser) -> None:
    """``--verbose`` on a sub-command (the top-level ``foleygan --verbose`` sets the same flag;
    SUPPRESS keeps the sub-command's absent flag from overriding it)."""
    parser.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="show TensorFlow's start-up log")


def config_from_args(args):
    """The validated config named by ``--preset`` (default tiny) with every ``--set`` applied."""
    from foleygan_tf.config import apply_overrides, get_preset

    return apply_overrides(get_preset(args.preset or DEFAULT_PRESET), args.overrides)


def run_config_from_args(args, run_dir):
    """The config of a training run in ``run_dir``: a new run's ``--preset``/``--set``, or an
    existing run's own config with the ``--set`` overrides (``training.run_dir.run_config``)."""
    from foleygan_tf.training.run_dir import run_config

    return run_config(run_dir, args.preset, args.overrides)


def quiet_tensorflow() -> None:
    """Hide TensorFlow's start-up log unless the user asked for it with ``--verbose``: the C++ log
    (CPU features, oneDNN notices, kernel fallbacks logged as errors) and the Python logger's
    warnings (graph-conversion notes); failures still raise Python exceptions, which the CLI prints.
    Must run before TensorFlow is imported; an explicit TF_CPP_MIN_LOG_LEVEL wins."""
    import logging
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)   # TensorFlow keeps a level set before its import


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="foleygan",
        description="FoleyGAN in TensorFlow/Keras: synchronised sound for silent video.")
    from foleygan_tf import __version__

    parser.add_argument("--version", action="version", version=f"foleygan_tf {__version__}")
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up log")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = common_parser()
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub, common)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if not args.verbose:
        quiet_tensorflow()
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:   # the reader went away (`foleygan describe --fields | head`): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (UserError, ValueError, OSError) as err:  # OSError: missing file, read-only/full disk, …
        print(f"foleygan: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("foleygan: interrupted", file=sys.stderr)
        return 130



if __name__ == "__main__":  # pragma: no cover
    # `python -m foleygan_tf.cli`: run the imported module's main, so that errors raised as
    # foleygan_tf.cli.UserError (not this __main__ copy's class) are caught as user errors.
    from foleygan_tf.cli import main as _main

    sys.exit(_main())
