"""`python -m seqlab` is the `seqlab` command."""

from seqlab.cli import main

main()
