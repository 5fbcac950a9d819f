"""Which statements of a cell are loaded for grading."""

from autograder.runtime.extract import describe_cell, plan_cell


def kept(source):
    plan = plan_cell(1, source)
    return [type(n).__name__ for n in plan.statements], plan


def test_definitions_kept_experiments_skipped():
    names, plan = kept(
        "import torch\nfrom math import pi\nLR = 0.1\nx = [1, 2]\ny = torch.zeros(3)\n"
        "def f():\n    return 1\nclass A:\n    pass\nfor i in range(10**9):\n    pass\nf()\n"
    )
    assert names == ["Import", "ImportFrom", "Assign", "Assign", "FunctionDef", "ClassDef"]
    assert plan.skipped == 3


def test_magics_and_shell_lines_are_blanked():
    names, plan = kept("%matplotlib inline\n!pip install foo\ndef f():\n    return 1\n")
    assert names == ["FunctionDef"] and plan.error is None
    names, plan = kept("%%time\ndef f():\n    return 1\n")
    assert names == [] and "cell magic" in plan.note


def test_syntax_error_names_cell_and_line():
    plan = plan_cell(7, "\ndef f(:\n    pass\n")
    # the student finds the cell by its first line; 7 counts code cells only
    assert plan.error.startswith('code cell 7 ("def f(:") has a syntax error at line 2')


def test_a_long_first_line_is_shortened():
    assert (
        describe_cell(3, "x = " + "1 + " * 40)
        == 'code cell 3 ("x = 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1...")'
    )
    assert describe_cell(4, "\n\n") == "code cell 4"


def test_cells_are_numbered_among_code_cells(tmp_path):
    import nbformat

    from autograder.grading.submission import read_submission

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("import torch"),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("def f():\n    return 1"),
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert [i for i, _ in read_submission(path).cells] == [1, 2]


def test_runtime_import_is_not_loaded():
    names, _ = kept("from autograde_check import check, check_all\nimport torch\n")
    assert names == ["Import"]


def test_deep_nesting_does_not_crash():
    plan = plan_cell(1, "x = " + "(" * 200_000 + ")" * 200_000)
    assert plan.error is not None


def test_constants_are_cheap_assignments_whatever_their_case():
    names, _ = kept(
        "LR = 0.1\nDTYPE = torch.float64\nDEVICE = torch.device('cuda' if torch.cuda.is_available() else 'cpu')\n"
        "SIZES = tuple(range(3))\nX = torch.randn(1000, 1000)\nmodel = train()\nsquares = [i * i for i in range(9)]\n"
    )
    assert names == ["Assign"] * 4
