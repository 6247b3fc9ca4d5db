"""Residual vector quantizer: 32 codebooks of 1024 entries, EMA updates, k-means init, dead-code
restarts, commitment loss and structured quantizer dropout (EnCodec / FunCodec).

Each codebook quantizes what the previous ones left over; the codec's latent is approximated by
the SUM of the chosen entries, which is exactly what the one-step vocoder regresses. Codebooks
are buffers, not parameters: they move by exponential moving averages of the vectors assigned to
them, never by the optimiser. Under DDP the per-code counts and sums are all-reduced, so every
rank applies the same update.
"""

from __future__ import annotations

import random

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn


def _sample(x: Tensor, n: int) -> Tensor:
    idx = (
        torch.randperm(x.shape[0], device=x.device)[:n]
        if x.shape[0] >= n
        else torch.randint(0, x.shape[0], (n,), device=x.device)
    )
    return x[idx]


def kmeans(x: Tensor, k: int, iters: int) -> tuple[Tensor, Tensor]:
    """Plain k-means on (N, D) vectors; returns centroids (k, D) and cluster sizes (k,)."""
    means = _sample(x, k)
    counts = torch.zeros(k, device=x.device)
    for _ in range(iters):
        assign = torch.cdist(x, means).argmin(dim=-1)
        counts = torch.bincount(assign, minlength=k).to(x.dtype)
        sums = torch.zeros_like(means).index_add_(0, assign, x)
        new = sums / counts.clamp(min=1)[:, None]
        means = torch.where((counts == 0)[:, None], means, new)
    return means, counts


def _distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _all_reduce(*tensors: Tensor) -> None:
    if _distributed():
        for t in tensors:
            dist.all_reduce(t)


class Codebook(nn.Module):
    """One EMA codebook of ``size`` entries of dimension ``dim``."""

    def __init__(
        self,
        dim: int,
        size: int = 1024,
        decay: float = 0.99,
        kmeans_init: bool = True,
        kmeans_iters: int = 50,
        dead_code_threshold: float = 2.0,
        eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.dim, self.size, self.decay, self.eps = dim, size, decay, eps
        self.kmeans_iters = kmeans_iters
        self.dead_code_threshold = dead_code_threshold
        embed = (
            torch.zeros(size, dim)
            if kmeans_init
            else nn.init.kaiming_uniform_(torch.empty(size, dim))
        )
        self.register_buffer("inited", torch.tensor([not kmeans_init], dtype=torch.float32))
        self.register_buffer("cluster_size", torch.zeros(size))
        self.register_buffer("embed", embed)
        self.register_buffer("embed_avg", embed.clone())

    def encode(self, x: Tensor) -> Tensor:
        """Nearest entry (Euclidean) for each row of x (N, D)."""
        e = self.embed
        dist_ = x.pow(2).sum(1, keepdim=True) - 2 * x @ e.t() + e.pow(2).sum(1)[None]
        return dist_.argmin(dim=-1)

    def decode(self, idx: Tensor) -> Tensor:
        return F.embedding(idx, self.embed)

    @torch.no_grad()
    def _init(self, x: Tensor) -> None:
        means, counts = kmeans(x, self.size, self.kmeans_iters)
        if _distributed():
            dist.broadcast(means, 0)
            dist.broadcast(counts, 0)
        self.embed.copy_(means)
        # Sums, not means: EnCodec stores the means here, so its first EMA steps after the
        # k-means init shrink every entry towards zero (embed_avg / cluster_size).
        self.embed_avg.copy_(means * counts[:, None])
        self.cluster_size.copy_(counts)
        self.inited.fill_(1.0)

    @torch.no_grad()
    def _update(self, x: Tensor, idx: Tensor) -> None:
        dead = self.cluster_size < self.dead_code_threshold
        if self.dead_code_threshold > 0 and bool(dead.any()):
            fresh = _sample(x, self.size)
            if _distributed():
                dist.broadcast(fresh, 0)
            # Restart the averages too: EnCodec replaces only `embed`, which the EMA step below
            # then overwrites, so its restarts never take effect.
            w = float(self.dead_code_threshold)
            self.embed.copy_(torch.where(dead[:, None], fresh, self.embed))
            self.embed_avg.copy_(torch.where(dead[:, None], fresh * w, self.embed_avg))
            self.cluster_size.copy_(
                torch.where(dead, torch.full_like(self.cluster_size, w), self.cluster_size)
            )
        onehot = F.one_hot(idx, self.size).to(x.dtype)
        counts, sums = onehot.sum(0), onehot.t() @ x
        _all_reduce(counts, sums)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_avg.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        n = self.cluster_size.sum()
        smoothed = (self.cluster_size + self.eps) / (n + self.size * self.eps) * n
        self.embed.copy_(self.embed_avg / smoothed[:, None])

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x (N, D) -> (quantized (N, D), indices (N,)); EMA update in training."""
        if self.training and not bool(self.inited.item()):
            self._init(x.detach())
        idx = self.encode(x.detach())
        q = self.decode(idx)
        if self.training:
            self._update(x.detach(), idx)
        return q, idx


class ResidualVectorQuantizer(nn.Module):
    """n_q codebooks applied to successive residuals of a (B, F, D) latent."""

    def __init__(
        self,
        dim: int = 128,
        n_q: int = 32,
        codebook_size: int = 1024,
        decay: float = 0.99,
        kmeans_init: bool = True,
        kmeans_iters: int = 50,
        dead_code_threshold: float = 2.0,
        dropout_choices: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.dim, self.n_q, self.codebook_size = dim, n_q, codebook_size
        self.dropout_choices = list(dropout_choices or [])
        bad = [c for c in self.dropout_choices if not 1 <= c <= n_q]
        if bad:
            raise ValueError(f"quantizer dropout choices {bad} are outside 1..{n_q}")
        self.codebooks = nn.ModuleList(
            Codebook(dim, codebook_size, decay, kmeans_init, kmeans_iters, dead_code_threshold)
            for _ in range(n_q)
        )

    def _n_q(self, n_q: int | None) -> int:
        n = self.n_q if n_q is None else n_q
        if not 1 <= n <= self.n_q:
            raise ValueError(f"n_q={n} but this quantizer has {self.n_q} codebooks")
        return n

    def forward(self, z: Tensor, n_q: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """z (B, F, D) -> (quantized (B, F, D) with straight-through gradients, codes (B, n, F),
        commitment loss). In training with dropout choices, n is drawn from them per batch."""
        n = self.depth(n_q, z)
        b, f, d = z.shape
        residual = z.reshape(b * f, d)
        out = torch.zeros_like(residual)
        codes, commit = [], []
        for cb in self.codebooks[:n]:
            q, idx = cb(residual)
            if self.training:
                commit.append(F.mse_loss(residual, q.detach()))
                q = residual + (q - residual).detach()
            out = out + q
            residual = residual - q
            codes.append(idx.view(b, f))
        loss = torch.stack(commit).mean() if commit else z.new_zeros(())
        return out.view(b, f, d), torch.stack(codes, dim=1), loss

    def depth(self, n_q: int | None, like: Tensor) -> int:
        """How many codebooks a pass uses: ``n_q``, else in training with dropout choices one of
        them, the same on every rank (all-reduce needs it), else all."""
        if not (self.training and self.dropout_choices and n_q is None):
            return self._n_q(n_q)
        n = random.choice(self.dropout_choices)
        if _distributed():
            t = torch.tensor([n], device=like.device)
            dist.broadcast(t, 0)
            n = int(t.item())
        return n

    @torch.no_grad()
    def encode(self, z: Tensor, n_q: int | None = None) -> Tensor:
        """z (B, F, D) -> codes (B, n_q, F)."""
        n = self._n_q(n_q)
        b, f, d = z.shape
        residual = z.reshape(b * f, d)
        codes = []
        for cb in self.codebooks[:n]:
            idx = cb.encode(residual)
            residual = residual - cb.decode(idx)
            codes.append(idx.view(b, f))
        return torch.stack(codes, dim=1)

    def decode(self, codes: Tensor) -> Tensor:
        """codes (B, n, F) with n <= n_q -> the sum of their entries (B, F, D)."""
        if codes.dim() != 3 or codes.shape[1] > self.n_q:
            raise ValueError(
                f"codes must be (batch, n_q <= {self.n_q}, frames), got {tuple(codes.shape)}"
            )
        if codes.numel() and (int(codes.min()) < 0 or int(codes.max()) >= self.codebook_size):
            raise ValueError(
                f"codes must lie in [0, {self.codebook_size}), got "
                f"[{int(codes.min())}, {int(codes.max())}]"
            )
        out = 0
        for i in range(codes.shape[1]):
            out = out + self.codebooks[i].decode(codes[:, i])
        return out  # type: ignore[return-value]
