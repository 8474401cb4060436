"""`python -m sg` runs the command line."""

from sg.app.cli import main

main()
