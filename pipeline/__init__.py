"""newspipe: raw Chinese newspaper issues in, structured article records out."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("newspipe")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
