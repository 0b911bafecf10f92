"""`python -m exprdiff` is the `exprdiff` command."""

from exprdiff.cli.commands import main

main(prog_name="exprdiff")  # one name in usage lines and for shell completion
