"""khabar: classify Arabic news by topic and by stance."""

__version__ = "0.1.0"
