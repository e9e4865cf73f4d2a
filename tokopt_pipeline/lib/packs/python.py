"""Runner pack: python (to be filled)."""

from .base import Pack

PACK = Pack("python", "")
