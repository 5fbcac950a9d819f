"""Autograded notebook assignments for the course *Optimization in PyTorch*.

Modules, in import order (each imports only from those above it):

- ``wire``, ``compare``: plain data across the sandbox boundary, and its comparison;
  both are also shipped to students for ``check()``.
- ``spec``, ``course``: assignment metadata and where assignments live.
- ``regions``, ``notebooks``, ``submission``: reference regions, building notebooks,
  reading what a student submits.
- ``sandbox``: the child process that runs student code.
- ``testing``, ``runner``, ``results``: the probe API of hidden tests, running them,
  Gradescope's results format.
- ``build``, ``verify``, ``gradescope``, ``cli``: the commands.
"""

__version__ = "0.1.0"
