"""The `exprdiff` command (click): options -> api/batch -> render -> exit code."""

from exprdiff.cli.commands import main

__all__ = ["main"]
