"""``python -m autograder`` is the ``autograde`` command."""

from autograder.cli import console_main

console_main()
