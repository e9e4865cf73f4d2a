"""Runner pack: go (to be filled)."""

from .base import Pack

PACK = Pack("go", "")
