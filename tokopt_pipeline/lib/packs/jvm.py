"""Runner pack: jvm (to be filled)."""

from .base import Pack

PACK = Pack("jvm", "")
