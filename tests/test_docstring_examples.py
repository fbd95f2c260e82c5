"""Every code example in lstmjax's docstrings runs: doctest over each module.

Examples are written as ``>>>`` sessions with their checked outputs (shapes,
small values). A ``::`` literal block is for equations, pseudo-code and
diagrams only: ``test_no_literal_block_is_unexecuted_python`` fails on one
that is Python a reader could paste (it parses and calls or imports
something), so an example cannot hide in a block the suite never runs.
"""

import ast
import doctest
import importlib
import inspect
import pkgutil
import textwrap

import pytest

import lstmjax

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(lstmjax.__path__, prefix="lstmjax.")
) + ["lstmjax"]
# The examples now in the docstrings; a floor, so they cannot silently disappear.
MIN_EXAMPLES = 250
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def module_tests(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    return [t for t in tests if t.examples]


def test_the_docstrings_have_examples():
    count = sum(len(t.examples) for name in MODULES for t in module_tests(name))
    assert count >= MIN_EXAMPLES


@pytest.mark.parametrize("name", [n for n in MODULES if module_tests(n)])
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    tests = module_tests(name)
    monkeypatch.chdir(tmp_path)  # examples that write files write here
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see above)"


def literal_blocks(doc: str) -> list[str]:
    """The ``::`` literal blocks of a reStructuredText docstring, dedented."""
    lines = doc.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        if not line.rstrip().endswith("::"):
            continue
        indent = len(line) - len(line.lstrip())
        j = i + 1
        block = []
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
        ):
            block.append(lines[j])
            j += 1
        blocks.append(textwrap.dedent("\n".join(block)).strip())
    return blocks


def looks_like_python(block: str) -> bool:
    """Pastable Python: it parses and imports or calls something."""
    if "lj." in block or "import " in block:
        return True
    try:
        tree = ast.parse(block)
    except SyntaxError:
        return False
    return any(isinstance(node, (ast.Call, ast.Import, ast.ImportFrom)) for node in ast.walk(tree))


def docstrings(name: str):
    module = importlib.import_module(name)
    yield name, inspect.getdoc(module) or ""
    for attr, value in vars(module).items():
        if getattr(value, "__module__", None) != name:
            continue
        yield f"{name}.{attr}", inspect.getdoc(value) or ""
        if inspect.isclass(value):
            for member, item in vars(value).items():
                doc = inspect.getdoc(item) if callable(item) or isinstance(item, property) else None
                yield f"{name}.{attr}.{member}", doc or ""


def test_looks_like_python_tells_code_from_equations():
    assert looks_like_python("ys, final = lj.rnn(cell, params, xs)")
    assert looks_like_python("p = pool(ys, lengths)   # [B, H]")
    assert not looks_like_python("z     = x_t W_ih + b + h W_hh                      z [4H]")
    assert not looks_like_python("h' = tanh(x_t W_ih + b + h W_hh)")
    assert not looks_like_python("runs/<experiment>/<run-name>/\n  config.json")


def test_no_literal_block_is_unexecuted_python():
    unexecuted = [
        f"{where}:\n{block}"
        for name in MODULES
        for where, doc in docstrings(name)
        for block in literal_blocks(doc)
        if looks_like_python(block)
    ]
    assert not unexecuted, "\n\n".join(unexecuted)
