"""Runner pack: terraform (to be filled)."""

from .base import Pack

PACK = Pack("terraform", "")
