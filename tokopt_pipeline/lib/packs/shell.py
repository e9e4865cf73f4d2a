"""Runner pack: shell (to be filled)."""

from .base import Pack

PACK = Pack("shell", "")
