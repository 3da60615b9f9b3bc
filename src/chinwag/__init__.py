"""chinwag: a self-hosted, real-time chat system."""

__version__ = "0.1.0"
