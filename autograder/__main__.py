"""``python -m autograder`` is the ``autograde`` command."""

from autograder.cli import main

raise SystemExit(main())
