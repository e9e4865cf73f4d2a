"""Runner pack: js (to be filled)."""

from .base import Pack

PACK = Pack("js", "")
