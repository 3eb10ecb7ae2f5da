"""The ``file`` credential backend for claude-usage."""

from claude_usage_creds_linux.file_backend import FileBackend

__all__ = ["FileBackend", "__version__"]
__version__ = "0.1.0"
