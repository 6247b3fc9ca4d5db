"""Audio codec: SEANet or frequency-domain encoder/decoder around a residual vector quantizer."""

from laura.nn.codec.codec import Codec, CodecConfig, load_codec, save_codec

__all__ = ["Codec", "CodecConfig", "load_codec", "save_codec"]
