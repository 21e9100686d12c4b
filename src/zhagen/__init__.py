"""zhagen (扎根): a workbench for computer-assisted, multi-case grounded theory.

In a notebook: ``project = zhagen.open_project("myproject")`` (see :mod:`zhagen.api` and docs/api.md).
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "init_project", "open_project"]


def __getattr__(name: str) -> Any:
    """``zhagen.open_project`` and ``zhagen.init_project`` without importing the library on ``import zhagen``."""
    if name in ("open_project", "init_project"):
        from zhagen import api

        return getattr(api, name)
    raise AttributeError(f"module 'zhagen' has no attribute {name!r}")
