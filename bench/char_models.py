"""PyTorch CPU peer of the char-lstm and char-gpt examples: training iterations per second.

The same models and settings as examples/char-lstm/main.ts and examples/char-gpt/main.ts (random
token batches stand in for the text, which does not change the work), on one thread. Prints one
JSON line. Usage (torch 1.13):

    /usr/bin/python3 bench/char_models.py [--iters 100] [--only lstm|gpt]
"""

import argparse
import json
import math
import os
import time

# One thread for the BLAS library too, not only torch's own pool (set before torch loads it).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

VOCAB = 65


class CharLSTM(nn.Module):
    def __init__(self, embedding_dim=64, hidden_size=128, num_layers=2):
        super().__init__()
        self.encoder = nn.Embedding(VOCAB, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.decoder = nn.Linear(hidden_size, VOCAB)

    def forward(self, x, state=None):
        out, state = self.lstm(self.encoder(x), state)
        return self.decoder(out), state


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        # torch 1.13 has no F.scaled_dot_product_attention: the same computation written out.
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd), nn.GELU(approximate="tanh"), nn.Linear(4 * n_embd, n_embd)
        )

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, block_size=64, n_layer=4, n_head=4, n_embd=128):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def time_loop(step, iters):
    for _ in range(3):  # warm-up
        step()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    return iters / (time.perf_counter() - t0)


def bench_lstm(iters):
    batch, seq = 50, 50
    model = CharLSTM()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    x = torch.randint(VOCAB, (batch, seq))
    y = torch.randint(VOCAB, (batch, seq))
    state = [None]

    def step():
        logits, (h, c) = model(x, state[0])
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        state[0] = (h.detach(), c.detach())  # truncated BPTT, as the example
        loss.item()

    return time_loop(step, iters)


def bench_gpt(iters):
    batch, block = 12, 64
    model = GPT(block_size=block)
    params = list(model.parameters())
    opt = torch.optim.AdamW(
        [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ],
        lr=1e-3,
        betas=(0.9, 0.99),
    )
    x = torch.randint(VOCAB, (batch, block))
    y = torch.randint(VOCAB, (batch, block))

    def step():
        loss = F.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()

    return time_loop(step, iters)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--only", choices=["lstm", "gpt"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": 1, "iters": args.iters}
    if args.only in (None, "lstm"):
        out["charLstmIterationsPerSecond"] = round(bench_lstm(args.iters), 2)
    if args.only in (None, "gpt"):
        out["charGptIterationsPerSecond"] = round(bench_gpt(args.iters), 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
