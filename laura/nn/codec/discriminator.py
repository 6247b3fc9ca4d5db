"""Multi-scale STFT discriminator (EnCodec; FunCodec's ``encodec_multi_scale_stft_discriminator``).

Each sub-discriminator looks at the complex STFT (real and imaginary parts as two channels) at
one resolution, through 2-D convolutions dilated along time; it returns logits and the feature
maps used by the feature-matching loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm


class STFTDiscriminator(nn.Module):
    def __init__(
        self, n_fft: int, hop: int, filters: int = 32, dilations: tuple[int, ...] = (1, 2, 4)
    ) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        convs = [weight_norm(nn.Conv2d(2, filters, (3, 9), padding=(1, 4)))]
        for d in dilations:
            convs.append(
                weight_norm(
                    nn.Conv2d(
                        filters, filters, (3, 9), stride=(1, 2), dilation=(d, 1), padding=(d, 4)
                    )
                )
            )
        convs.append(weight_norm(nn.Conv2d(filters, filters, (3, 3), padding=(1, 1))))
        self.convs = nn.ModuleList(convs)
        self.post = weight_norm(nn.Conv2d(filters, 1, (3, 3), padding=(1, 1)))

    def forward(self, wav: Tensor) -> tuple[Tensor, list[Tensor]]:
        spec = torch.stft(wav, self.n_fft, self.hop, window=self.window, return_complex=True)
        x = torch.stack([spec.real, spec.imag], dim=1).transpose(2, 3)  # (B, 2, frames, bins)
        feats = []
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
            feats.append(x)
        return self.post(x), feats


class MultiScaleSTFTDiscriminator(nn.Module):
    def __init__(
        self, filters: int = 32, n_ffts: tuple[int, ...] = (1024, 512, 256, 128, 64)
    ) -> None:
        super().__init__()
        self.discriminators = nn.ModuleList(STFTDiscriminator(n, n // 4, filters) for n in n_ffts)

    def forward(self, wav: Tensor) -> tuple[list[Tensor], list[list[Tensor]]]:
        logits, feats = [], []
        for d in self.discriminators:
            lg, ft = d(wav)
            logits.append(lg)
            feats.append(ft)
        return logits, feats
