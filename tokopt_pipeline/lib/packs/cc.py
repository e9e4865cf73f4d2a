"""Runner pack: cc (to be filled)."""

from .base import Pack

PACK = Pack("cc", "")
