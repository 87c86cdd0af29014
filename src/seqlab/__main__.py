"""`python -m seqlab` is the `seqlab` command."""

from seqlab.cli.main import main

main()
