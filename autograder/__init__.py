"""Autograded notebook assignments for the course *Optimization in PyTorch*.

The folders show who runs what. Each layer imports only from the layers above it in this
list (``tests/test_layout.py`` pins it):

- ``runtime/``: what runs inside the sandbox child and ships to students for ``check()``:
  the wire format (``wire``), comparison (``compare``), probe helpers, the one definition
  extractor (``extract``) and the error base (``errors``). It imports nothing else from
  the engine, and holds nothing secret.
- ``sandbox/``: the child process that runs student code and everything that confines it
  (slot identities, namespaces, cgroups, seccomp, traps, the fork server).
- ``spec``, ``course``: assignment metadata and where assignments live.
- ``notebook/``: reference regions and the notebooks built from ``notebook.py``.
- ``testing``, ``untrusted_text``: the API hidden tests are written in, and making
  student text safe to show.
- ``grading/``: the trusted side: running hidden tests against the sandbox, results,
  Gradescope's entry point, batch grading, the pytest runner. Never shipped to students.
- ``build/``: bundles, the Gradescope zip, verification, the otter export.
- ``tools/``: instructor reports (bench, CPU matrix, mutation scores).
- ``cli``: the ``autograde`` command.
"""

__version__ = "0.1.0"
