"""The ``laura`` verbs: one module per verb, each with ``add_arguments(parser)`` and
``run(args) -> int`` (its docstring is the verb's description). ``laura.cli`` is the table
of verbs; the work is done by library functions the verbs call, never here.

Imports inside a verb module are lazy (in ``run``): ``laura VERB --help`` must not pay for torch.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from types import ModuleType


def verb_module(verb: str) -> ModuleType:
    return importlib.import_module(f"laura.bin.{verb.replace('-', '_')}")


def verb_parser(verb: str, module: ModuleType | None = None) -> argparse.ArgumentParser:
    module = module or verb_module(verb)
    doc = (module.__doc__ or "").strip()
    parser = argparse.ArgumentParser(
        prog=f"laura {verb}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.add_arguments(parser)
    return parser


def run_verb(verb: str, argv: list[str] | None = None) -> int:
    """Parse ``argv`` for ``verb`` and run it. Bad input (a ``LauraError``, a missing file) is one
    line on stderr and exit 2; ``LAURA_DEBUG=1`` shows the traceback instead."""
    from laura.errors import LauraError

    module = verb_module(verb)
    args = verb_parser(verb, module).parse_args(argv)
    try:
        return int(module.run(args) or 0)
    except (LauraError, FileNotFoundError, ValueError, KeyError, OSError) as err:
        if os.environ.get("LAURA_DEBUG"):  # full traceback
            raise
        print(f"laura {verb}: error: {error_line(err)}", file=sys.stderr)
        return 2


def error_line(err: BaseException) -> str:
    """The message of a user error as the CLI prints it."""
    from laura.errors import LauraError

    msg = str(err.args[0] if isinstance(err, KeyError) and err.args else err)
    if "Original Traceback" in msg:
        # Raised in a DataLoader worker: torch re-raises it with the worker's traceback as the
        # message; its last line is "module.Type: the message".
        last = [line for line in msg.splitlines() if line.strip()][-1]
        msg = last.split(": ", 1)[1] if ": " in last else last
    return msg if isinstance(err, LauraError) else msg.split("\n")[0]
