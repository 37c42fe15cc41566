"""Configuration: one `Settings` read from the environment, plus business files."""
from config.settings import Settings, get_settings

__all__ = ["Settings", "get_settings"]
