"""Runner pack: node_pm (to be filled)."""

from .base import Pack

PACK = Pack("node_pm", "")
