"""tessera.nn: functional API (modules come later)."""
from . import functional  # noqa: F401
