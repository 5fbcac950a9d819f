"""``python -m autograder`` is the ``autograde`` command."""

from .cli import console_main

console_main()
