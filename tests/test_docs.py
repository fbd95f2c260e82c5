"""Every guide's Python examples run: the fenced ``python`` blocks of each page
in docs/ and of README.md, in order, in one namespace per page."""

import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").rglob("*.md"))
PAGES = [p for p in PAGES if "_build" not in p.parts] + [ROOT / "README.md"]
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(path: pathlib.Path) -> list[str]:
    return FENCE.findall(path.read_text())


def test_the_guides_have_examples():
    assert sum(len(python_blocks(p)) for p in PAGES) >= 15


@pytest.mark.parametrize(
    "page",
    [p for p in PAGES if python_blocks(p)],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_guide_examples_run(page, tmp_path, monkeypatch):
    pytest.importorskip("torch") if "import torch" in page.read_text() else None
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{page.stem}"}
    for i, block in enumerate(python_blocks(page)):
        code = compile(block, f"{page.relative_to(ROOT)}[block {i}]", "exec")
        exec(code, namespace)  # noqa: S102


def test_every_public_name_has_a_reference_entry():
    """Every name the public modules export is an object of the built site's
    inventory.

    ``make test`` runs ``make docs`` first, so the inventory is there; a run
    without it fails rather than skips (a skip would count as coverage it is
    not), and building the site here would repeat that build.
    """
    inventory = ROOT / "docs/_build/html/objects.inv"
    assert inventory.exists(), (
        f"{inventory.relative_to(ROOT)} is missing: build the docs first (make docs, "
        "which make test runs before the tests)"
    )
    from sphinx.util.inventory import InventoryFile

    with inventory.open("rb") as f:
        inv = InventoryFile.load(f, "", os.path.join)
    documented = (
        {name for kind in inv.data.values() for name in kind}
        if hasattr(inv, "data")
        else {name for kind in inv.values() for name in kind}
    )
    import lstmjax
    import lstmjax.seq2seq
    import lstmjax.train

    missing = []
    for module in (lstmjax, lstmjax.train, lstmjax.seq2seq):
        for name in module.__all__:
            if isinstance(getattr(module, name), type(lstmjax)):
                continue  # submodules have their own pages
            # the seq2seq entry points lstmjax re-exports are documented in lstmjax.seq2seq
            names = {f"{module.__name__}.{name}", f"lstmjax.{name}", f"lstmjax.seq2seq.{name}"}
            if not names & documented:
                missing.append(f"{module.__name__}.{name}")
    assert not missing, f"no reference entry (docs/api/*.rst; then make docs): {missing}"


def test_readme_links_resolve_to_files_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [link for link in links if "://" not in link]
    assert len(local) >= 10
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing


def test_readme_headline_numbers_are_the_docs_numbers():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Headline results", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    pages = " ".join(
        (ROOT / "docs/guides" / name).read_text() for name in ("experiments.md", "performance.md")
    )
    numbers = {n for row in rows[1:] for n in re.findall(r"\d+\.\d+", row)}
    assert len(numbers) >= 10
    quoted = {n for n in numbers if re.search(rf"(?<![\d.]){re.escape(n)}(?!\d)", pages)}
    missing = sorted(numbers - quoted)
    assert not missing
