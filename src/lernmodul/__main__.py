"""`python -m lernmodul` runs the command line."""

from lernmodul.cli import main

main()
