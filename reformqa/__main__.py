"""`python -m reformqa …` runs the command line."""

from reformqa.cli import main

main()
