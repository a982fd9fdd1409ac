"""PyTorch on W1-W3, for bench/main.ts (run through bench/peers/torch.ts).

Usage: python3 torch_bench.py --case-json '{"id": ..., "params": {...}, "samples": N}' --threads 2

Written as a PyTorch user writes it: nn.Linear / Parameters, a
torch.autograd.Function for the surrogate spike, loss.backward(),
torch.optim.Adam. Same sizes and distributions as the JavaScript side (its
own RNG with the same seeds). Prints one line: BENCH_RESULT {json}.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

SUPERSPIKE_K = 25.0
LEARNING_RATE = 1e-3


class SuperSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, u):
        ctx.save_for_backward(u)
        return (u > 0).to(u.dtype)

    @staticmethod
    def backward(ctx, grad):
        (u,) = ctx.saved_tensors
        return grad / (1 + SUPERSPIKE_K * u.abs()) ** 2


spike = SuperSpike.apply


def uniform(shape, lo, hi, seed):
    g = torch.Generator().manual_seed(seed)
    return lo + (hi - lo) * torch.rand(shape, generator=g)


def w1(p):
    T, B, n = p["T"], p["B"], p["n"]
    x = uniform((T, B, n), 0.0, 1.0, 1)
    linear = torch.nn.Linear(n, n)
    bound = 1 / n**0.5
    with torch.no_grad():
        linear.weight.copy_(uniform((n, n), -bound, bound, 2))
        linear.bias.copy_(uniform((n,), -bound, bound, 3))
    beta = 0.9

    def step():
        # unbind, not current[t]: each indexing op's backward would fill a
        # zero [T, B, n] tensor, making the backward quadratic in T.
        currents = linear(x).unbind(0)
        v = torch.zeros(B, n)
        spikes = []
        for c in currents:
            s = spike(v - 1.0)
            v = beta * v + c - s
            spikes.append(s)
        loss = torch.stack(spikes).sum()
        linear.zero_grad(set_to_none=True)
        loss.backward()
        return loss.item()

    return step


def w2(p):
    B, T, inputs, hidden, classes, density = p["B"], p["T"], p["inputs"], p["hidden"], p["classes"], p["density"]
    g = torch.Generator().manual_seed(1)
    x = (torch.rand((B, T, inputs), generator=g) < density).float()
    labels = torch.randint(0, classes, (B,), generator=torch.Generator().manual_seed(4))
    w1_ = torch.nn.Parameter(uniform((inputs, hidden), -0.26, 0.26, 2))
    w2_ = torch.nn.Parameter(uniform((hidden, classes), -(hidden**-0.5), hidden**-0.5, 3))
    beta_hidden = torch.nn.Parameter(uniform((hidden,), 0.25, 0.75, 5))
    beta_out = torch.nn.Parameter(torch.full((classes,), 0.8))
    opt = torch.optim.Adam([w1_, w2_, beta_hidden, beta_out], lr=LEARNING_RATE)

    def step():
        currents = (x @ w1_).unbind(1)
        bh, bo = beta_hidden.clamp(0, 1), beta_out.clamp(0, 1)
        v = torch.zeros(B, hidden)
        vo = torch.zeros(B, classes)
        traces = []
        for c in currents:
            s = spike(v - 1.0)
            v = bh * v + c - s
            vo = bo * vo + s @ w2_
            traces.append(vo)
        logits = torch.stack(traces, 1).sum(1)
        loss = F.cross_entropy(logits, labels, label_smoothing=0.3)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def w3(p):
    m, k, n = p["m"], p["k"], p["n"]
    a = uniform((m, k), -1.0, 1.0, 1)
    b = uniform((k, n), -1.0, 1.0, 2)

    def step():
        return a @ b

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case-json", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    case = json.loads(args.case_json)
    torch.set_num_threads(args.threads)
    p = case["params"]
    builders = {"W1": w1, "W2": w2, "W3": w3}
    if p["kind"] not in builders:
        print("BENCH_RESULT " + json.dumps({"impl": "torch", "case": case["id"], "skipped": "not ported to PyTorch"}))
        return
    step = builders[p["kind"]](p)
    # The warm-up rule of bench/workloads/spec.ts (WARMUP), passed in the case JSON.
    warmup = case["warmup"]
    first = None
    start = time.perf_counter()
    for calls in range(warmup["maxCalls"]):
        if calls >= warmup["minCalls"] and (time.perf_counter() - start) * 1000 >= warmup["ms"]:
            break
        value = step()
        if first is None:
            first = value
    samples = []
    for _ in range(case["samples"]):
        t0 = time.perf_counter()
        step()
        samples.append((time.perf_counter() - t0) * 1000)
    result = {
        "impl": "torch",
        "case": case["id"],
        "runtime": f"python {'.'.join(map(str, __import__('sys').version_info[:3]))}",
        "medianMs": statistics.median(samples),
        "minMs": min(samples),
        "samplesMs": samples,
        "firstValue": first if isinstance(first, float) else None,
        "details": f"torch {torch.__version__}, {torch.get_num_threads()} threads, {torch.__config__.parallel_info().splitlines()[-1].strip()}",
    }
    print("BENCH_RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
