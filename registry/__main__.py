"""`python -m registry …` is the same as the `fuhua` command."""

from registry.cli import main

main()
