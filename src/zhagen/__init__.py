"""zhagen (扎根): a workbench for computer-assisted, multi-case grounded theory."""

__version__ = "0.1.0"
