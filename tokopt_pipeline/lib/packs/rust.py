"""Runner pack: rust (to be filled)."""

from .base import Pack

PACK = Pack("rust", "")
