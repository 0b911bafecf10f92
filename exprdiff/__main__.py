"""`python -m exprdiff` is the `exprdiff` command."""

from exprdiff.cli.commands import main

main()
