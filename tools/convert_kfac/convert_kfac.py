#!/usr/bin/env python3
"""Convert Kronecker factors from Python libraries into UncertaintyService's kfac.safetensors (kfac-v1).

kfac-v1 stores, per LoRA matrix (key = PEFT module name without ".weight", e.g.
"base_model.model.model.layers.0.self_attn.q_proj.lora_A"), an input factor A and an output factor S,
each square (n x n) or a tall square root U (n x k, k < n, factor = U U^T), normalised as
*expectations per example*: the Fisher block of the matrix is N * (A kron S) over N training examples.
Only the product A kron S matters, so a scalar may move between the two factors.

bayesian-lora (MaximeRobeyns/bayesian_lora, calculate_kronecker_factors -> {name: (A, S)}, saved with
torch.save either as that dict or, as its example script does, as {"factors": dict} after
cholesky_decompose_small_factors). What the library computes, over L batches of B examples (N = L B):
  * its pull-back loss is a batch *mean* of the cross-entropy of labels *sampled* from the model
    (a Monte Carlo Fisher, one sample, last position), so every output gradient carries 1/B;
  * a factor whose side is >= lr_threshold while n_kfac is set is an incremental-SVD square root of
    the sum over all N examples (its shape does not say so: with n_kfac >= the side it is square);
  * every other factor is full: the per-batch sums averaged over the L batches;
  * the example layout replaces each factor with side < lr_threshold by its Cholesky root (float32).
So, as expectations: full A / B, full S * B, root-summed A / N, root-summed S * B^2 / N (a Cholesky
root is squared first). Which factor is which follows from --n-kfac and --lr-threshold, the settings
the factors were computed with, never from shapes. Module names "...lora_A.<adapter>" lose the adapter.

laplace-torch (aleximmer/Laplace, KronLaplace: torch.save(la.H.kfacs), a list of [B, A] per weight
with B the output-gradient factor and A the input factor, summed over the N data points):
A is kept, B divided by N (la.n_data). Bias blocks ([B] alone) are refused: LoRA matrices have none.
Names come from --names, one PEFT module name per weight, in model.named_parameters() order.

Usage:
  convert_kfac.py bayesian-lora factors.pt out/kfac.safetensors --n-examples N --batch-size B [--n-kfac K] [--lr-threshold T]
  convert_kfac.py laplace-torch kfacs.pt out/kfac.safetensors --n-examples N --names names.txt [--fisher exact|mc|empirical]

Needs only torch (Debian's python3-torch); the safetensors file is written by this script.
A refused input prints one line naming the file, module and problem and exits with code 2.
"""
import argparse
import json
import os
import re
import struct
import sys

import torch


class ConversionError(Exception):
    pass


def save_safetensors(tensors, path, metadata):
    """The safetensors layout: an 8-byte little-endian header length, a JSON header, the raw data. Written atomically."""
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float64).contiguous().cpu().numpy().astype("<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)
    temporary = path + ".partial"
    with open(temporary, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)
    os.replace(temporary, path)


def load(path):
    try:
        return torch.load(path, map_location="cpu")
    except Exception as e:  # torch raises many kinds for a file that is not a torch.save archive
        raise ConversionError(f"{path}: not a torch.save file ({type(e).__name__}: {e})")


def bayesian_lora_factors(path, n, batch_size, n_kfac, lr_threshold):
    saved = load(path)
    cholesky_roots = isinstance(saved, dict) and set(saved) == {"factors"}
    factors = saved["factors"] if cholesky_roots else saved
    if not isinstance(factors, dict) or not factors:
        raise ConversionError(f"{path}: expected {{name: (A, S)}} or {{'factors': {{name: (A, S)}}}}, got {type(factors).__name__}")
    out = {}
    for name, pair in factors.items():
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ConversionError(f"{path}: {name}: expected a pair (A, S)")
        module = re.sub(r"\.(lora_[AB])\.[^.]+$", r".\1", name)
        for suffix, factor, is_input in (("input_factor", pair[0], True), ("output_factor", pair[1], False)):
            out[f"{module}.{suffix}"] = bayesian_lora_factor(path, name, suffix, factor.to(torch.float64), is_input,
                                                             n, batch_size, n_kfac, lr_threshold, cholesky_roots)
    return out


def bayesian_lora_factor(path, name, suffix, f, is_input, n, batch_size, n_kfac, lr_threshold, cholesky_roots):
    side = f.shape[0]
    if f.dim() != 2 or (f.shape[1] > side):
        raise ConversionError(f"{path}: {name} {suffix}: shape {list(f.shape)} is neither a square factor nor a tall root")
    svd_root = n_kfac is not None and side >= lr_threshold
    cholesky_root = cholesky_roots and side < lr_threshold
    if not (svd_root or cholesky_root) and f.shape[1] != side:
        raise ConversionError(f"{path}: {name} {suffix}: shape {list(f.shape)}, but with n_kfac={n_kfac} and lr_threshold={lr_threshold} "
                              f"a factor of side {side} is full (square); are the settings those it was computed with?")
    if svd_root and f.shape[1] > n_kfac:
        raise ConversionError(f"{path}: {name} {suffix}: shape {list(f.shape)}, but with n_kfac={n_kfac} and lr_threshold={lr_threshold} "
                              f"a factor of side {side} is a root of at most {n_kfac} columns; are the settings those it was computed with?")
    if svd_root:  # a root of the sum over all N examples
        scale = 1.0 / n if is_input else batch_size ** 2 / n
    else:  # per-batch sums averaged over batches
        scale = 1.0 / batch_size if is_input else float(batch_size)
    if svd_root and f.shape[1] < side:
        return f * scale ** 0.5  # stays a tall root
    value = f @ f.T if (svd_root or cholesky_root) else f
    return value * scale


def laplace_torch_factors(path, n, names):
    kfacs = load(path)
    if not isinstance(kfacs, (list, tuple)):
        raise ConversionError(f"{path}: expected the list la.H.kfacs, got {type(kfacs).__name__}")
    if len(kfacs) != len(names):
        raise ConversionError(f"{path}: {len(kfacs)} Kronecker blocks but {len(names)} names")
    out = {}
    for name, block in zip(names, kfacs):
        if len(block) != 2:
            raise ConversionError(f"{path}: {name}: a block with {len(block)} factors (a bias?) has no LoRA counterpart")
        b, a = block
        out[f"{name}.input_factor"] = a.to(torch.float64)
        out[f"{name}.output_factor"] = b.to(torch.float64) / n
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", choices=["bayesian-lora", "laplace-torch"])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--n-examples", type=int, required=True, help="N, the number of training examples")
    parser.add_argument("--batch-size", type=int, help="bayesian-lora: the loader's batch size B")
    parser.add_argument("--n-kfac", type=int, help="bayesian-lora: the n_kfac the factors were computed with (default: none, as the library's)")
    parser.add_argument("--lr-threshold", type=int, default=512, help="bayesian-lora: the lr_threshold they were computed with (library default 512)")
    parser.add_argument("--names", help="laplace-torch: file with one PEFT module name per Kronecker block")
    parser.add_argument("--fisher", choices=["exact", "mc", "empirical"], help="laplace-torch: the Fisher kind la used (bayesian-lora is always mc)")
    parser.add_argument("--positions", default="last", choices=["expand", "reduce", "last"], help="laplace-torch: how positions entered")
    args = parser.parse_args(argv)
    try:
        if args.n_examples < 1:
            raise ConversionError(f"--n-examples {args.n_examples}: must be at least 1")
        if args.source == "bayesian-lora":
            if args.batch_size is None or args.batch_size < 1:
                raise ConversionError("--batch-size is required for bayesian-lora (the loader's batch size) and must be at least 1")
            if args.fisher not in (None, "mc"):
                raise ConversionError(f"--fisher {args.fisher}: bayesian-lora always samples labels from the model (mc)")
            tensors = bayesian_lora_factors(args.input, args.n_examples, args.batch_size, args.n_kfac, args.lr_threshold)
            fisher, positions = "mc", "last"
        else:
            if args.names is None:
                raise ConversionError("--names is required for laplace-torch")
            if args.fisher is None:
                raise ConversionError("--fisher is required for laplace-torch (the kind la was fitted with)")
            names = [line.strip() for line in open(args.names) if line.strip()]
            tensors = laplace_torch_factors(args.input, args.n_examples, names)
            fisher, positions = args.fisher, args.positions
        for key, value in tensors.items():
            if not torch.isfinite(value).all():
                raise ConversionError(f"{args.input}: {key}: contains NaN or infinite values")
    except (ConversionError, OSError) as e:
        print(f"convert_kfac: {e}", file=sys.stderr)
        return 2
    metadata = {"format": "kfac-v1", "n_examples": str(args.n_examples), "fisher": fisher,
                "positions": positions, "normalisation": "expectation"}
    save_safetensors(tensors, args.output, metadata)
    print(f"wrote {len(tensors) // 2} LoRA matrices to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
