"""Sphinx configuration: API reference from the docstrings, MyST guides, notebooks unexecuted."""

import pathlib
import shutil
import sys

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

# The notebooks live in notebooks/ (the test suite runs them there); the
# build renders copies, stored without outputs and never executed here.
_NOTEBOOKS = DOCS / "notebooks"
shutil.rmtree(_NOTEBOOKS, ignore_errors=True)
_NOTEBOOKS.mkdir()
for _nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
    shutil.copy(_nb, _NOTEBOOKS / _nb.name)

project = "lstmjax"
author = "lstmjax authors"
copyright = "lstmjax authors"
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_nb",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# Notebooks are rendered as stored (without outputs); tests/test_notebooks.py runs them.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = "lstmjax"
napoleon_use_ivar = True

# Every cross-reference resolves (sphinx -n), except to the types of other
# libraries in signatures: their sites need intersphinx, i.e. the network.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(jax|jaxlib|numpy|optax|flax|orbax|collections\.abc|pathlib)\..*"),
]
