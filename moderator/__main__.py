"""`python -m moderator` is the `moderator` command."""

from moderator.cli import main

main()
