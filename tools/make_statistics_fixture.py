#!/usr/bin/env python3
"""Writes Tests/Golden/statistics/rliable_reference.json: reference numbers for RobustStatistics.swift.

The computations follow rliable (google-research/rliable, Agarwal et al. 2021, "Deep RL at the Edge of the
Statistical Precipice"): metrics.aggregate_iqm (scipy.stats.trim_mean(x, 0.25, axis=None)),
metrics.probability_of_improvement (Mann-Whitney U / (n*m) per task, averaged over tasks),
library.StratifiedBootstrap / StratifiedIndependentBootstrap (runs resampled with replacement within each
task; X and Y independently) with percentile intervals, and library.run_score_deviation (fraction of
runs with score > tau). rliable itself is not needed: the same few lines with numpy and scipy.

The resample index matrices are written too, so a test can recompute each interval from exactly the
resamples used here (equal to 1e-12). For the test of the Swift generator, the exact bootstrap
distribution of the IQM (every multiset of resampled runs, weighted by its multinomial probability)
gives bounds that a Monte-Carlo percentile from B resamples falls within except with negligible
probability (levels p +- 5 standard errors of a proportion).

Run once: python3 tools/make_statistics_fixture.py (deterministic; numpy's default_rng, seed below).
"""
import itertools
import json
import math
from pathlib import Path

import numpy as np
import scipy
import scipy.stats

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "Tests" / "Golden" / "statistics" / "rliable_reference.json"

SEED = 20211206
CONFIDENCE = 0.95
INDEX_RESAMPLES = 200          # resamples whose indices are written
MONTE_CARLO_RESAMPLES = 20000  # what the Swift test draws with its own generator
MONTE_CARLO_SIGMAS = 5.0

# scores[task][run]: two tasks; ties within and across rules; one outlier (nrl, task 1); rmhl has 4 runs.
RULES = {
    "nrl": [[120.0, 85.5, 500.0, 120.0, 97.25], [-110.0, -95.5, -500.0, -101.0, -95.5]],
    "bp": [[120.0, 210.0, 180.5, 95.0, 120.0], [-88.0, -92.25, -101.0, -84.0, -90.0]],
    "rmhl": [[60.0, 75.0, 60.0, 120.0], [-150.0, -140.5, -95.5, -160.0]],
}
PAIRS = [("nrl", "bp"), ("bp", "nrl"), ("nrl", "rmhl"), ("bp", "rmhl"), ("nrl", "nrl")]
THRESHOLDS = [-500.0, -160.0, -101.0, -95.5, -90.0, 0.0, 60.0, 95.0, 120.0, 180.5, 500.0, 600.0]


def as_matrix(scores):
    """rliable's layout: (num_runs x num_tasks)."""
    return np.array(scores, dtype=np.float64).T


def iqm(matrix):
    return float(scipy.stats.trim_mean(matrix, proportiontocut=0.25, axis=None))


def aggregate_mean(matrix):
    return float(np.mean(np.mean(matrix, axis=0)))


def probability_of_improvement(mx, my):
    probabilities = []
    for task in range(mx.shape[1]):
        if np.array_equal(mx[:, task], my[:, task]):
            probabilities.append(0.5)
        else:
            u, _ = scipy.stats.mannwhitneyu(mx[:, task], my[:, task], alternative="greater")
            probabilities.append(u / (mx.shape[0] * my.shape[0]))
    return float(np.mean(probabilities))


def profile(matrix, thresholds):
    return [float(np.mean(matrix > tau)) for tau in thresholds]


def percentile_interval(values):
    values = np.asarray(values, dtype=np.float64)
    lower, upper = 100 * ((1 - CONFIDENCE) / 2), 100 * ((1 + CONFIDENCE) / 2)
    return np.percentile(values, [lower, upper], axis=0)  # linear interpolation (numpy's default)


def resample(matrix, indices):
    """indices[task][run] -> the resampled matrix (runs x tasks)."""
    return np.stack([matrix[indices[t], t] for t in range(matrix.shape[1])], axis=1)


def draw_indices(rng, matrix, count):
    runs, tasks = matrix.shape
    return rng.integers(0, runs, size=(count, tasks, runs))


def exact_bootstrap_distribution(matrix, statistic):
    """Every stratified resample as a multiset per task with its probability: (values, probabilities)."""
    runs, tasks = matrix.shape
    per_task = []
    for t in range(tasks):
        options = []
        for counts in compositions(runs, runs):
            weight = math.factorial(runs) / math.prod(math.factorial(c) for c in counts) / runs ** runs
            column = np.repeat(matrix[:, t], counts)
            options.append((column, weight))
        per_task.append(options)
    values, weights = [], []
    for combo in itertools.product(*per_task):
        values.append(statistic(np.stack([c for c, _ in combo], axis=1)))
        weights.append(math.prod(w for _, w in combo))
    return np.array(values), np.array(weights)


def compositions(total, parts):
    """Every tuple of `parts` non-negative counts summing to `total`."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first,) + rest


def quantile_of_distribution(values, weights, level):
    """The smallest value v with P(X <= v) >= level."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    k = int(np.searchsorted(cumulative, level - 1e-15, side="left"))
    return float(values[order][min(k, len(values) - 1)])


def monte_carlo_bounds(values, weights, level):
    slack = MONTE_CARLO_SIGMAS * math.sqrt(level * (1 - level) / MONTE_CARLO_RESAMPLES)
    return [quantile_of_distribution(values, weights, level - slack),
            quantile_of_distribution(values, weights, level + slack)]


def dump(value, depth=0):
    """JSON with one line per object key, and lists of numbers (or of such lists, the index matrices'
    rows) kept on one line, so the file stays readable and diffs stay small."""
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {dump(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and not is_flat(value):
        return "[\n" + ",\n".join(inner + dump(v, depth + 1) for v in value) + "\n" + pad + "]"
    return json.dumps(value, separators=(",", ":"))


def is_flat(value):
    """A list of numbers, or a list of lists of numbers (one resample's indices[task][run])."""
    return isinstance(value, list) and all(
        not isinstance(v, (dict, list)) or (isinstance(v, list) and all(not isinstance(w, (dict, list)) for w in v))
        for v in value)


def main():
    rng = np.random.default_rng(SEED)
    rules = []
    indices_of = {}
    for label, scores in RULES.items():
        m = as_matrix(scores)
        indices = draw_indices(rng, m, INDEX_RESAMPLES)
        indices_of[label] = indices
        resamples = [resample(m, ix) for ix in indices]
        iqm_ci = percentile_interval([iqm(r) for r in resamples])
        mean_ci = percentile_interval([aggregate_mean(r) for r in resamples])
        band = percentile_interval([profile(r, THRESHOLDS) for r in resamples])
        values, weights = exact_bootstrap_distribution(m, iqm)
        lower_level, upper_level = (1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2
        mc = {
            "resamples": MONTE_CARLO_RESAMPLES,
            "lower_bounds": monte_carlo_bounds(values, weights, lower_level),
            "upper_bounds": monte_carlo_bounds(values, weights, upper_level),
        }
        # numpy's own Monte-Carlo interval must fall within the same bounds (a check of the bounds).
        own = percentile_interval([iqm(resample(m, ix)) for ix in draw_indices(rng, m, MONTE_CARLO_RESAMPLES)])
        assert mc["lower_bounds"][0] <= own[0] <= mc["lower_bounds"][1], (label, own, mc)
        assert mc["upper_bounds"][0] <= own[1] <= mc["upper_bounds"][1], (label, own, mc)
        mc["numpy_interval"] = [float(own[0]), float(own[1])]
        rules.append({
            "label": label,
            "scores": scores,
            "iqm": iqm(m),
            "mean": aggregate_mean(m),
            "bootstrap_indices": indices.tolist(),
            "iqm_ci": [float(v) for v in iqm_ci],
            "mean_ci": [float(v) for v in mean_ci],
            "profile": {
                "fraction": profile(m, THRESHOLDS),
                "lower": [float(v) for v in band[0]],
                "upper": [float(v) for v in band[1]],
            },
            "iqm_monte_carlo": mc,
        })

    pairs = []
    for x, y in PAIRS:
        mx, my = as_matrix(RULES[x]), as_matrix(RULES[y])
        x_indices, y_indices = draw_indices(rng, mx, INDEX_RESAMPLES), draw_indices(rng, my, INDEX_RESAMPLES)
        boot = [probability_of_improvement(resample(mx, a), resample(my, b)) for a, b in zip(x_indices, y_indices)]
        ci = percentile_interval(boot)
        pairs.append({
            "x": x, "y": y,
            "probability": probability_of_improvement(mx, my),
            "x_indices": x_indices.tolist(), "y_indices": y_indices.tolist(),
            "ci": [float(v) for v in ci],
        })

    trim_cases = [[5.0], [2.0, 1.0], [3.0, 1.0, 2.0], [4.0, 4.0, 1.0, 9.0], [7.0, -1.0, 3.5, 3.5, 2.0, 100.0, 0.0],
                  [2.5] * 6, [1e6, -3.0, 0.25, 0.25, 0.25, 8.0, 11.0, -40.0, 5.0]]
    trim = [{"values": c, "iqm": float(scipy.stats.trim_mean(np.array(c), 0.25, axis=None))} for c in trim_cases]

    # Sample efficiency: an independent implementation (np.convolve) of the centred moving average with
    # windows shrinking at the ends, the first 1-based episode where it is >= threshold, and the mean return.
    curve = [0.0, 10.0, 5.0, 30.0, 20.0, 60.0, 40.0, 80.0, 100.0, 90.0, 120.0]
    efficiency = []
    for window, threshold in [(1, 50.0), (3, 50.0), (5, 50.0), (4, 85.0), (3, 1000.0), (7, 0.0)]:
        half = window // 2
        kernel = np.ones(2 * half + 1)
        sums = np.convolve(curve, kernel, mode="same")
        counts = np.convolve(np.ones(len(curve)), kernel, mode="same")
        smoothed = sums / counts
        hits = np.nonzero(smoothed >= threshold)[0]
        efficiency.append({"window": window, "threshold": threshold,
                           "episode": int(hits[0]) + 1 if len(hits) else None})
    sample_efficiency = {"returns": curve, "auc": float(np.mean(curve)), "cases": efficiency}

    # The report's own blocks are single tasks (one environment each): the first task's scores of every
    # rule, their IQM (scipy's trim_mean) and, for each pair in rule order, scipy's Mann-Whitney U / nm.
    labels = list(RULES)
    first = {label: [float(v) for v in RULES[label][0]] for label in labels}
    report = {
        "task": 0,
        "iqm": {label: float(scipy.stats.trim_mean(np.array(first[label]), 0.25, axis=None)) for label in labels},
        "pairs": [{"x": x, "y": y,
                   "probability": float(scipy.stats.mannwhitneyu(first[x], first[y]).statistic) / (len(first[x]) * len(first[y]))}
                  for i, x in enumerate(labels) for y in labels[i + 1:]],
    }

    document = {
        "schema": "nrl-statistics-v1",
        "description": "rliable's IQM, aggregate mean, stratified-bootstrap percentile intervals, probability of "
                       "improvement and score-distribution performance profiles on a fixed data set; written by "
                       "tools/make_statistics_fixture.py",
        "reference": {"numpy": np.__version__, "scipy": scipy.__version__, "seed": str(SEED)},
        "confidence": CONFIDENCE,
        "thresholds": THRESHOLDS,
        "rules": rules,
        "pairs": pairs,
        "trim_mean_cases": trim,
        "sample_efficiency": sample_efficiency,
        "report": report,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(dump(document) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
