"""laura: Lightning toolkit for unified audio-and-text GPT models (LauraGPT)."""

__version__ = "0.1.0"
