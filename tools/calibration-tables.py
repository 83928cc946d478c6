#!/usr/bin/env python3
"""Prints README's calibration tables from a bundle's calibration.json files (what `evaluate` and
`evaluate-reward` wrote), so the tables and the committed reports cannot disagree.

Usage: tools/calibration-tables.py [bundle folder (default models/demo)]
       tools/calibration-tables.py BUNDLE --compare OTHER [--adapters a1,a2] [--methods m1,m2] [--titles BEFORE AFTER]
The second form sets two bundles' reports side by side (an older commit's models/demo checked out with
git worktree, or a copy evaluated with `evaluate --prediction map`).
"""
import argparse
import json
from pathlib import Path

SPLITS = ("test", "ood")
ADAPTERS = ("wordnet-mcq", "spam", "vader-reward")


def load(bundle, adapter):
    return json.loads((Path(bundle) / "adapters" / adapter / "calibration.json").read_text())


def number(x):
    return f"{x:.3f}"


def flagged(rows, method, reward):
    """An NLL no better than the frequency baseline's (pairs: the uniform's), as `evaluate` warns."""
    reference = rows.get("baseline_uniform" if reward else "baseline_frequency")
    return (not method.startswith("baseline_") and reference is not None
            and rows[method]["nll"] >= reference["nll"])


def baselines_table(bundle):
    print("| adapter | split | method | acc | ECE | NLL | Brier |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for adapter in ADAPTERS:
        report = load(bundle, adapter)
        reward = report["splits"]["test"].get("map", {}).get("human_votes") is not None
        for split in SPLITS:
            rows = report["splits"][split]
            for method, r in rows.items():
                name = f"**{method}**" if method == "temperature" else method
                acc = "(tie)" if reward and method == "baseline_uniform" else number(r["acc"])
                nll = number(r["nll"]) + (" (no better than the baseline)" if flagged(rows, method, reward) else "")
                print(f"| {adapter} | {split} | {name} | {acc} | {number(r['ece'])} | {nll} | {number(r['brier'])} |")


def human_votes_table(bundle):
    report = load(bundle, "vader-reward")
    print("| split | method | acc | ECE | NLL | \\|p-q\\| | (p-q)^2 | corr(p, q) | CE(q, p) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for split in SPLITS:
        for method, r in report["splits"][split].items():
            votes = r.get("human_votes")
            if votes is None:
                continue
            acc = "(tie)" if method == "baseline_uniform" else number(r["acc"])
            print(f"| {split} | {method} | {acc} | {number(r['ece'])} | {number(r['nll'])} | {number(votes['mae'])} | "
                  f"{votes['brier']:.4f} | {number(votes['correlation'])} | {number(votes['cross_entropy'])} |")
    floors = ", ".join(f"{split} {next(iter(report['splits'][split].values()))['human_votes']['vote_entropy']:.3f}" for split in SPLITS)
    print(f"\nThe votes' own entropy (the floor of CE): {floors}.")


def comparison_table(first, second, adapters, methods, first_title, second_title):
    print(f"| adapter | split | method | {first_title}: acc / ECE / NLL | {second_title}: acc / ECE / NLL |")
    print("| --- | --- | --- | --- | --- |")
    cell = lambda r: f"{number(r['acc'])} / {number(r['ece'])} / {number(r['nll'])}"
    for adapter in adapters:
        one, two = load(first, adapter), load(second, adapter)
        for split in SPLITS:
            for method in methods:
                a, b = one["splits"][split].get(method), two["splits"][split].get(method)
                if a is not None and b is not None:
                    print(f"| {adapter} | {split} | {method} | {cell(a)} | {cell(b)} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", nargs="?", default="models/demo")
    parser.add_argument("--compare", help="another bundle's folder: print a table of both bundles' reports instead")
    parser.add_argument("--adapters", default=",".join(ADAPTERS))
    parser.add_argument("--methods", default="map,temperature,laplace,laplace_probit,baseline_frequency,baseline_bow")
    parser.add_argument("--titles", nargs=2, default=["before", "after"], help="the two columns' titles (--compare's report first)")
    args = parser.parse_args()
    if args.compare:
        comparison_table(args.compare, args.bundle, args.adapters.split(","), args.methods.split(","), *args.titles)
    else:
        baselines_table(args.bundle)
        print()
        human_votes_table(args.bundle)
