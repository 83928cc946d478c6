"""Tests of convert_kfac.py on factors written in the libraries' own layouts, with known ground truth.

Per-example input activations a_n and output gradients g_n are drawn; the truth is
E[a a^T] kron E[g g^T]. Each case writes factors exactly as bayesian-lora's hooks would leave them
for those examples (output gradients of a batch-mean loss carry 1/B; full factors are per-batch sums
averaged over batches; wide factors are roots of the sum over all N; the example script's layout
holds Cholesky roots of the small ones) or as laplace-torch's Kron ([B, A] summed over N), converts
them, reads the safetensors back, and compares A kron S with the truth.

Run: python3 -m unittest tools/convert_kfac/test_convert_kfac.py (needs only python3-torch).
With KFAC_CONVERTED_DIR set, every converted file and its truth (truth-<case>.safetensors, the
dense E[a a^T] and E[g g^T] per module) are kept there for the C# loader test.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import convert_kfac  # noqa: E402

N, B = 24, 4  # examples and batch size: L = 6 batches
PREFIX = "base_model.model.model.layers.0.self_attn.q_proj"


def read_safetensors(path):
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        values = struct.unpack(f"<{(end - start) // 8}d", data[start:end])
        tensors[name] = torch.tensor(values, dtype=torch.float64).reshape(info["shape"])
    return tensors, metadata


def dense(f):
    return f if f.shape[0] == f.shape[1] else f @ f.T


def examples(seed, d_in, d_out, rank=None, same_input=False):
    g = torch.Generator().manual_seed(seed)
    if rank is None:
        a = torch.randn(N, d_in, generator=g, dtype=torch.float64)
    else:  # inputs in a rank-dimensional subspace, so a rank-k root of their sum is exact
        a = torch.randn(N, rank, generator=g, dtype=torch.float64) @ torch.randn(rank, d_in, generator=g, dtype=torch.float64)
    if same_input:
        a = a[:1].expand(N, d_in).clone()
    if rank is None:
        grads = torch.randn(N, d_out, generator=g, dtype=torch.float64)
    else:
        grads = torch.randn(N, rank, generator=g, dtype=torch.float64) @ torch.randn(rank, d_out, generator=g, dtype=torch.float64)
    return a, grads


def full_sum(x):
    return x.T @ x


def root_of(matrix, k):
    values, vectors = torch.linalg.eigh(matrix)
    values, vectors = values.flip(0)[:k].clamp_min(0), vectors.flip(1)[:, :k]
    return vectors * values.sqrt()


def bayesian_lora_factor(x, is_input, side_is_wide, n_kfac):
    """One factor as the library's hooks leave it: x holds per-example activations or (unscaled) gradients."""
    if not is_input:
        x = x / B  # gradients of the batch-mean loss
    total = full_sum(x)
    if n_kfac is not None and side_is_wide:
        return root_of(total, min(n_kfac, x.shape[1]))
    return total / (N // B)  # per-batch sums averaged over the L batches


class ConvertKfacTests(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()
        self.kept = os.environ.get("KFAC_CONVERTED_DIR")

    def convert(self, case, saved, extra, truth):
        source = os.path.join(self.folder, f"{case}.pt")
        torch.save(saved, source)
        out = os.path.join(self.kept or self.folder, f"{case}.safetensors")
        result = subprocess.run([sys.executable, os.path.join(HERE, "convert_kfac.py"), *extra[:1], source, out, *extra[1:]],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        tensors, metadata = read_safetensors(out)
        if self.kept:
            convert_kfac.save_safetensors(truth_tensors(truth), os.path.join(self.kept, f"truth-{case}.safetensors"), metadata)
        return tensors, metadata

    def assert_matches(self, tensors, truth, tolerance):
        self.assertEqual(set(tensors), {f"{m}.{s}" for m in truth for s in ("input_factor", "output_factor")})
        for module, (a_true, s_true) in truth.items():
            got = torch.kron(dense(tensors[f"{module}.input_factor"]), dense(tensors[f"{module}.output_factor"]))
            want = torch.kron(a_true, s_true)
            error = ((got - want).abs().max() / want.abs().max()).item()
            self.assertLess(error, tolerance, f"{module}: relative error {error:.3g}")

    def bayesian_lora_case(self, case, n_kfac, lr_threshold, cholesky_layout, rank=None, same_input=False):
        modules, truth = {}, {}
        for index, (matrix, d_in, d_out) in enumerate((("lora_A", 64, 4), ("lora_B", 4, 64))):
            a, g = examples(index + 1, d_in, d_out, rank, same_input and matrix == "lora_A")
            truth[f"{PREFIX}.{matrix}"] = (full_sum(a) / N, full_sum(g) / N)
            factors = [bayesian_lora_factor(a, True, d_in >= lr_threshold, n_kfac), bayesian_lora_factor(g, False, d_out >= lr_threshold, n_kfac)]
            if cholesky_layout:  # the example script's cholesky_decompose_small_factors, stored in float32
                factors = [torch.linalg.cholesky(f + 1e-10 * torch.eye(f.shape[0], dtype=f.dtype)) if f.shape[0] < lr_threshold else f for f in factors]
                factors = [f.to(torch.float32) for f in factors]
            modules[f"{PREFIX}.{matrix}.default"] = tuple(factors)
        saved = {"factors": modules} if cholesky_layout else modules
        extra = ["bayesian-lora", "--n-examples", str(N), "--batch-size", str(B), "--lr-threshold", str(lr_threshold)]
        if n_kfac is not None:
            extra += ["--n-kfac", str(n_kfac)]
        return self.convert(case, saved, extra, truth), truth

    def test_full_factors_from_batches_of_four_need_no_batch_correction(self):
        # The old converter divided each by B: off by exactly 1/B^2 = 0.0625.
        (tensors, metadata), truth = self.bayesian_lora_case("bayesian-lora-full", None, 512, False)
        self.assert_matches(tensors, truth, 1e-12)
        self.assertEqual(metadata["fisher"], "mc")
        self.assertEqual(metadata["positions"], "last")
        self.assertEqual(metadata["n_examples"], str(N))

    def test_low_rank_roots_of_wide_factors_are_scaled_as_sums_over_all_examples(self):
        (tensors, _), truth = self.bayesian_lora_case("bayesian-lora-low-rank", 8, 32, False, rank=8)
        self.assertEqual(list(tensors[f"{PREFIX}.lora_A.input_factor"].shape), [64, 8])  # still a tall root
        self.assert_matches(tensors, truth, 1e-10)

    def test_a_root_as_wide_as_its_factor_is_read_by_the_settings_not_the_shape(self):
        # n_kfac >= the side: the library's root is square; read as a full factor it was off by up to 870x.
        (tensors, _), truth = self.bayesian_lora_case("bayesian-lora-square-root", 64, 32, False)
        self.assert_matches(tensors, truth, 1e-10)

    def test_the_example_scripts_layout_with_cholesky_roots_in_float32(self):
        (tensors, _), truth = self.bayesian_lora_case("bayesian-lora-example-layout", 8, 32, True, rank=8)
        self.assert_matches(tensors, truth, 1e-5)

    def test_a_rank_one_input_factor_converts(self):
        # Every prompt ends in the same token: a rank-1 input factor (the loader must accept it).
        (tensors, _), truth = self.bayesian_lora_case("bayesian-lora-rank-one", None, 512, False, same_input=True)
        self.assert_matches(tensors, truth, 1e-12)

    def test_laplace_torch_kron_factors_summed_over_the_data(self):
        truth, kfacs, names = {}, [], []
        for index, (matrix, d_in, d_out) in enumerate((("lora_A", 16, 4), ("lora_B", 4, 16))):
            a, g = examples(10 + index, d_in, d_out)
            truth[f"{PREFIX}.{matrix}"] = (full_sum(a) / N, full_sum(g) / N)
            kfacs.append([full_sum(g) / N * 3.0, full_sum(a) / 3.0])  # [B, A]: B kron A = N E[gg^T] kron E[aa^T], the summed K-FAC GGN; any split
            names.append(f"{PREFIX}.{matrix}")
        names_file = os.path.join(self.folder, "names.txt")
        with open(names_file, "w") as f:
            f.write("\n".join(names) + "\n")
        tensors, metadata = self.convert("laplace-torch", kfacs, ["laplace-torch", "--n-examples", str(N), "--names", names_file, "--fisher", "exact"], truth)
        self.assert_matches(tensors, truth, 1e-12)
        self.assertEqual(metadata["fisher"], "exact")

    def test_bad_input_is_one_line_and_exit_code_2_without_output(self):
        source = os.path.join(self.folder, "factors.pt")
        torch.save({f"{PREFIX}.lora_A.default": (torch.eye(64), torch.eye(4))}, source)
        out = os.path.join(self.folder, "out.safetensors")
        for extra, named in ((["--n-examples", "8"], "--batch-size"),
                             (["--n-examples", "8", "--batch-size", "2", "--n-kfac", "8", "--lr-threshold", "32"], "lora_A"),
                             (["--n-examples", "8", "--batch-size", "2", "--fisher", "exact"], "mc")):
            result = subprocess.run([sys.executable, os.path.join(HERE, "convert_kfac.py"), "bayesian-lora", source, out, *extra],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn(named, result.stderr)
            self.assertFalse(os.path.exists(out))


def truth_tensors(truth):
    out = {}
    for module, (a, s) in truth.items():
        out[f"{module}.input_factor"] = a
        out[f"{module}.output_factor"] = s
    return out


if __name__ == "__main__":
    unittest.main()
