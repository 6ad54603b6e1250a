"""Progress bars and result lines for long commands.

Bars go to stderr (tqdm) when it is a terminal; result lines go to stdout through :func:`say`,
which clears the bars, prints the line, flushes and redraws them — so results stay readable above
the bar in a terminal and in order when stdout and stderr are piped into one log (stdout is
block-buffered there).
"""

from __future__ import annotations

import sys

__all__ = ["progress", "say"]


def progress(iterable=None, *, desc: str, unit: str, enabled: bool = True, total: int | None = None, leave: bool = True):
    """A tqdm bar on stderr over ``iterable``; off when ``enabled`` is false or stderr is not a
    terminal (a log file gets the result lines, not carriage-return redraws)."""
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, unit=unit, total=total, disable=None if enabled else True, leave=leave,
                file=sys.stderr, dynamic_ncols=True)


def say(line: str, file=None) -> None:
    """Print ``line`` (stdout by default) above the running progress bars, flushed."""
    from tqdm import tqdm

    file = file or sys.stdout
    tqdm.write(line, file=file)
    file.flush()
