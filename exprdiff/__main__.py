"""`python -m exprdiff` is the `exprdiff` command."""

from .cli import main

main()
