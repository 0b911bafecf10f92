"""The `exprdiff` command (click): options -> api/batch -> render -> exit code."""

import sys


def _start_the_oracle_early(argv: list[str]) -> None:
    """`exprdiff grad EXPR … --check`: SymPy's process starts before click and the command's
    modules load (0.04 s sooner), so that its import of SymPy (0.4 s) overlaps all of this
    process's work. A guess from the raw arguments, made only when exprdiff is the program:
    where it is wrong (a usage error) the process goes unused and is killed at exit."""
    program = argv[0].replace("\\", "/") if argv else ""
    if (argv[1:2] == ["grad"] and "--check" in argv and "-" not in argv and "--file" not in argv
            and program.endswith(("/exprdiff", "/exprdiff/__main__.py", "exprdiff.exe"))):
        from exprdiff.oracle.child import shared

        shared().start()


_start_the_oracle_early(sys.argv)

from exprdiff.cli.commands import main  # noqa: E402

__all__ = ["main"]
