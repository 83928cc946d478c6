#!/usr/bin/env python3
"""Convert Kronecker factors from Python libraries into UncertaintyService's kfac.safetensors (kfac-v1).

kfac-v1 stores, per LoRA matrix (key = PEFT module name without ".weight", e.g.
"base_model.model.model.layers.0.self_attn.q_proj.lora_A"), an input factor A and an output factor S,
each square (n x n) or a tall square root U (n x k, factor = U U^T), normalised as *expectations per
example*: the Fisher block of the matrix is N * (A kron S) over the N training examples.
Only the product A kron S matters, so a scalar may move between the two factors.

Sources and exactly what is converted:

  bayesian-lora (calculate_kronecker_factors -> {name: (A, S)}, saved with torch.save):
    * low-rank factors (tall U, the library's incremental-SVD square roots) are unnormalised sums over
      the N examples: U_A U_A^T = sum_n a a^T. Each root is divided by sqrt(N), so each factor by N.
    * full (square) factors are averages over batches of per-batch sums, i.e. batch_size times the
      per-example expectation: each is divided by --batch-size.
    Module names "...lora_A.<adapter>" lose their adapter suffix (".default").

  laplace-torch (KronLaplace.H, a Kron whose kfacs hold [B, A] per weight, B the output-gradient
  factor and A the input factor, saved with torch.save(la.H.kfacs)):
    * H is the curvature summed over the N data points: B kron A (row-major vec of W) = F.
      So A is kept and B is divided by N (la.n_data). Bias entries ([B] alone) are rejected: LoRA
      matrices have no bias. Names come from --names, one PEFT module name per weight, in the order of
      model.named_parameters() that la used.

Usage:
  convert_kfac.py bayesian-lora factors.pt out/kfac.safetensors --n-examples N --batch-size B [--fisher exact]
  convert_kfac.py laplace-torch kfacs.pt out/kfac.safetensors --n-examples N --names names.txt

Needs torch and safetensors (pip). It cannot run on the project's own machines (no PyPI there).
"""
import argparse
import re

import torch
from safetensors.torch import save_file


def from_bayesian_lora(path, n, batch_size):
    factors = torch.load(path, map_location="cpu")
    out = {}
    for name, (a, s) in factors.items():
        module = re.sub(r"\.(lora_[AB])\.[^.]+$", r".\1", name)
        for suffix, f in (("input_factor", a), ("output_factor", s)):
            f = f.to(torch.float64)
            tall = f.shape[0] != f.shape[1]
            out[f"{module}.{suffix}"] = f / (n ** 0.5) if tall else f / batch_size
    return out


def from_laplace_torch(path, n, names):
    kfacs = torch.load(path, map_location="cpu")
    if len(kfacs) != len(names):
        raise SystemExit(f"{len(kfacs)} Kronecker blocks but {len(names)} names")
    out = {}
    for name, block in zip(names, kfacs):
        if len(block) != 2:
            raise SystemExit(f"{name}: a block with {len(block)} factors (a bias?) has no LoRA counterpart")
        b, a = block
        out[f"{name}.input_factor"] = a.to(torch.float64)
        out[f"{name}.output_factor"] = b.to(torch.float64) / n
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", choices=["bayesian-lora", "laplace-torch"])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--n-examples", type=int, required=True, help="N, the number of training examples")
    parser.add_argument("--batch-size", type=int, help="bayesian-lora: batch size used to accumulate full factors")
    parser.add_argument("--names", help="laplace-torch: file with one PEFT module name per Kronecker block")
    parser.add_argument("--fisher", default="exact", choices=["exact", "mc", "empirical"])
    parser.add_argument("--positions", default="last", choices=["expand", "reduce", "last"])
    args = parser.parse_args()

    if args.source == "bayesian-lora":
        if args.batch_size is None:
            raise SystemExit("--batch-size is required for bayesian-lora")
        tensors = from_bayesian_lora(args.input, args.n_examples, args.batch_size)
    else:
        if args.names is None:
            raise SystemExit("--names is required for laplace-torch")
        names = [line.strip() for line in open(args.names) if line.strip()]
        tensors = from_laplace_torch(args.input, args.n_examples, names)

    metadata = {"format": "kfac-v1", "n_examples": str(args.n_examples), "fisher": args.fisher,
                "positions": args.positions, "normalisation": "expectation"}
    save_file({k: v.contiguous() for k, v in tensors.items()}, args.output, metadata=metadata)
    print(f"wrote {len(tensors) // 2} LoRA matrices to {args.output}")


if __name__ == "__main__":
    main()
