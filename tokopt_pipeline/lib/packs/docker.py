"""Runner pack: docker (to be filled)."""

from .base import Pack

PACK = Pack("docker", "")
