"""PyTorch CPU peer for `npm run bench`: the same workloads as bench/run.ts, printed as one JSON line.

Run by the harness as a child process with OMP_NUM_THREADS / OPENBLAS_NUM_THREADS set to the thread
count; the thread count is also set in torch so that the figure does not depend on the environment.
Usage: python3 torch_bench.py '{"threads": 1, "only": ["gemm", "mlp", "small", "cnn"], "quick": false, ...}'
"""

import json
import os
import sys
import time

import torch


def measure(fn, min_time):
    """Seconds per call from the fastest chunk, as secondsPerCall in bench/measure.ts does."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    if first > 1.0:
        return first
    inner = max(1, int(0.02 / max(first, 1e-7)))
    best = float("inf")
    spent = 0.0
    chunks = 0
    while spent < min_time or chunks < 3:
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        dt = time.perf_counter() - t0
        best = min(best, dt / inner)
        spent += dt
        chunks += 1
    return best


def bench_gemm(cfg):
    out = []
    for n in cfg["sizes"]:
        a = torch.randn(n, n)
        b = torch.randn(n, n)
        for case in cfg["cases"]:
            # .t() is a view: PyTorch passes the transpose flag to BLAS without copying.
            x = a.t() if case[0] == "t" else a
            y = b.t() if case[1] == "t" else b
            with torch.no_grad():
                sec = measure(lambda: torch.mm(x, y), cfg["minTime"])
            out.append({"n": n, "case": case, "gflops": 2 * n**3 / sec / 1e9})
    return out


def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def cnn(sizes, image):
    """conv3x3 -> ReLU -> maxpool 2, twice, then Linear -> ReLU -> Linear, as in bench/chainrule.ts."""
    cin, c1, c2, hidden, classes = sizes
    side = image // 2 // 2
    return torch.nn.Sequential(
        torch.nn.Conv2d(cin, c1, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(c1, c2, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(c2 * side * side, hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, classes),
    )


def train_rate(build, input_shape, classes, s):
    """Adam on 8 fixed synthetic batches, as trainRate in bench/measure.ts times it."""
    torch.manual_seed(0)
    model = build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch = input_shape[0]
    data = [(torch.randn(*input_shape), torch.randint(0, classes, (batch,))) for _ in range(8)]

    def step(i):
        x, y = data[i % len(data)]
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for i in range(s["warmup"]):
        step(i)
    t0 = time.perf_counter()
    done = 0
    loss = None
    while done < s["steps"]:
        loss = step(done)
        done += 1
        if time.perf_counter() - t0 > s["maxTime"]:
            break
    sec = time.perf_counter() - t0
    return {
        "samplesPerSec": done * batch / sec,
        "steps": done,
        "loss": float(loss.item()) if loss is not None else None,
    }


def train_mlp(s):
    sizes = s["sizes"]
    return train_rate(lambda: mlp(sizes), (s["batch"], sizes[0]), sizes[-1], s)


def train_cnn(s):
    sizes, image = s["sizes"], s["image"]
    shape = (s["batch"], sizes[0], image, image)
    return train_rate(lambda: cnn(sizes, image), shape, sizes[-1], s)


def blas_libraries():
    """The BLAS/LAPACK shared objects mapped into this process: Debian's torch uses whichever
    libblas.so.3 the alternatives system points to (the slow reference BLAS unless OpenBLAS or
    BLIS is installed), which decides its GEMM figures."""
    found = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                name = path.rsplit("/", 1)[-1]
                if "blas" in name.lower() or "blis" in name.lower():
                    found.add(os.path.realpath(path))
    except OSError:
        pass
    return sorted(found)


def main():
    cfg = json.loads(sys.argv[1])
    threads = cfg["threads"]
    torch.set_num_threads(threads)
    res = {
        "version": torch.__version__,
        "threads": torch.get_num_threads(),
        "blas": blas_libraries(),
        "gemm": None,
        "mlp": None,
        "small": None,
        "cnn": None,
    }
    if "gemm" in cfg["only"]:
        res["gemm"] = bench_gemm(cfg["gemm"])
    if "mlp" in cfg["only"]:
        res["mlp"] = train_mlp(cfg["mlp"])
    if "small" in cfg["only"]:
        res["small"] = train_mlp(cfg["small"])
    if "cnn" in cfg["only"]:
        res["cnn"] = train_cnn(cfg["cnn"])
    print(json.dumps(res))


if __name__ == "__main__":
    main()
