"""`python -m vigie.cli …`: the same commands as `vigie …`."""

from vigie.cli import main

main()
