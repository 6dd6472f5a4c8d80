"""The report's intervals and test against values computed independently: the Wilson interval
from its closed form (scipy's normal quantile), Newcombe's paired interval from the formula in
Newcombe (1998) written out again here, the exact McNemar test from binomial coefficients, and
published values (Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables":
13/16, and the paired table of Cavo et al. 2012). Their exact coverage is checked too."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binom, multinomial, norm
from toolmaster.eval._intervals import Intervals, format_p, mcnemar_exact, paired_ci, wilson_ci


def wilson_closed_form(k: int, n: int, confidence: float) -> tuple[float, float]:
    """(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    z = float(norm.ppf((1 + confidence) / 2))
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return (centre - spread) / scale, (centre + spread) / scale


def newcombe_paired(table: tuple[int, int, int, int], confidence: float) -> tuple[float, float]:
    """Newcombe 1998, method 10, from the paper's definitions: table = (e, f, g, h), e both
    succeed, f the first only, g the second only, h neither."""
    e, f, g, h = table
    n = e + f + g + h
    p1, p2 = (e + f) / n, (e + g) / n
    l1, u1 = wilson_closed_form(e + f, n, confidence)
    l2, u2 = wilson_closed_form(e + g, n, confidence)
    product = (e + f) * (g + h) * (e + g) * (f + h)
    a = e * h - f * g
    if product == 0:
        phi = 0.0
    elif a > n / 2:
        phi = (a - n / 2) / math.sqrt(product)
    elif a >= 0:
        phi = 0.0
    else:
        phi = a / math.sqrt(product)
    d1, d2 = p1 - l1, u2 - p2
    d3, d4 = u1 - p1, p2 - l2
    delta = math.sqrt(d1 * d1 - 2 * phi * d1 * d2 + d2 * d2)
    epsilon = math.sqrt(d3 * d3 - 2 * phi * d3 * d4 + d4 * d4)
    return max(-1.0, p1 - p2 - delta), min(1.0, p1 - p2 + epsilon)


def mcnemar_by_hand(b: int, c: int) -> float:
    """Twice the smaller binomial tail of b in b + c at 1/2, at most 1."""
    m = b + c
    if m == 0:
        return 1.0
    tail = sum(math.comb(m, i) for i in range(min(b, c) + 1)) / 2**m
    return min(1.0, 2 * tail)


CASES = [(0, 1), (1, 1), (0, 2), (2, 2), (0, 4), (4, 4), (3, 4), (1, 3), (0, 10), (10, 10),
         (13, 16), (81, 263), (1, 29), (0, 20), (50, 100)]  # fmt: skip


@pytest.mark.parametrize("confidence", [0.95, 0.9, 0.99])
@pytest.mark.parametrize(("k", "n"), CASES)
def test_wilson_matches_its_closed_form(k: int, n: int, confidence: float) -> None:
    interval = wilson_ci(k, n, confidence)
    assert interval == pytest.approx(wilson_closed_form(k, n, confidence), abs=1e-12)


def test_wilson_at_the_edges_is_not_a_point() -> None:
    z2 = float(norm.ppf(0.975)) ** 2
    assert wilson_ci(0, 0) is None  # no episodes: no interval
    assert wilson_ci(0, 2) == pytest.approx((0.0, z2 / (2 + z2)))  # 0 of 2: [0, 65.8%]
    assert wilson_ci(4, 4) == pytest.approx((4 / (4 + z2), 1.0))  # 4 of 4: [51.0%, 1]
    assert wilson_ci(1, 1) == pytest.approx((1 / (1 + z2), 1.0))  # n = 1: [20.7%, 1]
    assert wilson_ci(0, 1) == pytest.approx((0.0, z2 / (1 + z2)))
    low, high = wilson_ci(4, 4) or (1.0, 1.0)
    assert round(low, 3) == 0.510
    assert high == 1.0


def test_wilson_matches_a_published_value() -> None:
    # Fagerland, Lydersen & Laake (2017), chapter 2: 13 of 16, 95% CI 0.5699 to 0.9341.
    low, high = wilson_ci(13, 16) or (0.0, 0.0)
    assert (round(low, 4), round(high, 4)) == (0.5699, 0.9341)


def test_wilson_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_ci(5, 4)


@pytest.mark.parametrize(("n", "p"), [(10, 0.5), (20, 0.1), (40, 0.8)])
def test_wilson_covers_the_true_rate(n: int, p: float) -> None:
    """Exact coverage (summed over every k); the Wald interval, which the percentile bootstrap
    approaches, covers 89.1%, 87.6% and 90.5% of these."""
    coverage = 0.0
    for k in range(n + 1):
        low, high = wilson_ci(k, n) or (0.0, 0.0)
        if low <= p <= high:
            coverage += float(binom.pmf(k, n, p))
    assert coverage > 0.92


TABLES = [t for t in itertools.product(range(4), repeat=4) if sum(t) > 0]


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_paired_interval_matches_newcombes_formula(confidence: float) -> None:
    for table in [*TABLES, (59, 6, 16, 80), (1, 1, 7, 12), (30, 0, 0, 0), (0, 0, 0, 30)]:
        assert paired_ci(*table, confidence=confidence) == pytest.approx(
            newcombe_paired(table, confidence), abs=1e-12
        ), table


def test_paired_interval_matches_a_published_value() -> None:
    # Fagerland, Lydersen & Laake (2017), chapter 8, Cavo et al. (2012):
    # estimate -0.0621, 95% CI -0.1186 to -0.0046.
    low, high = paired_ci(59, 6, 16, 80) or (0.0, 0.0)
    assert (round(low, 4), round(high, 4)) == (-0.1186, -0.0046)


def test_paired_interval_edges() -> None:
    assert paired_ci(0, 0, 0, 0) is None  # no pairs: no interval
    same = paired_ci(4, 0, 0, 0)  # all pass in both modes: 0, but not a point
    assert same is not None
    assert same[0] == pytest.approx(-same[1])
    assert same[1] == pytest.approx(1 - (wilson_ci(4, 4) or (0.0, 0.0))[0])
    one = paired_ci(0, 1, 0, 0)  # n = 1, trial passed, direct failed
    assert one == pytest.approx(newcombe_paired((0, 1, 0, 0), 0.95))
    assert one is not None
    assert one[0] < 0 < 1.0 == one[1]


@given(st.tuples(*[st.integers(0, 30)] * 4).filter(lambda t: sum(t) > 0))
def test_paired_interval_holds_the_estimate_and_turns_with_the_modes(
    table: tuple[int, int, int, int],
) -> None:
    a, b, c, d = table
    interval = paired_ci(a, b, c, d)
    swapped = paired_ci(a, c, b, d)
    assert interval is not None
    assert swapped is not None
    low, high = interval
    assert -1.0 <= low <= (b - c) / sum(table) <= high <= 1.0
    assert swapped == pytest.approx((-high, -low))


@pytest.mark.parametrize("cells", [(0.3, 0.2, 0.1, 0.4), (0.5, 0.08, 0.02, 0.4)])
def test_paired_interval_covers_the_true_difference(
    cells: tuple[float, float, float, float],
) -> None:
    """Exact coverage over every 2x2 table of 25 pairs (multinomial probabilities); the Wald
    interval of the paired difference covers 92.7% and 86.7% of these."""
    n, truth = 25, cells[1] - cells[2]
    coverage = 0.0
    for a, b, c in itertools.product(range(n + 1), repeat=3):
        if a + b + c > n:
            continue
        low, high = paired_ci(a, b, c, n - a - b - c) or (0.0, 0.0)
        if low <= truth <= high:
            coverage += float(multinomial.pmf([a, b, c, n - a - b - c], n, cells))
    assert coverage > 0.93


@pytest.mark.parametrize(("b", "c"), list(itertools.product(range(9), repeat=2)))
def test_exact_mcnemar_matches_the_binomial_tails(b: int, c: int) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(mcnemar_by_hand(b, c), abs=1e-12)


def test_exact_mcnemar_published_and_edge_values() -> None:
    assert mcnemar_exact(6, 16) == pytest.approx(110056 / 2**21)  # Cavo et al.: 0.052
    assert format_p(mcnemar_exact(6, 16)) == "0.052"
    assert mcnemar_exact(0, 0) == 1.0  # no discordant pairs: no evidence either way
    assert mcnemar_exact(1, 7) == pytest.approx(18 / 256)
    assert format_p(mcnemar_exact(0, 12)) == "<0.001"
    assert format_p(None) == "-"


def test_interval_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="confidence"):
        Intervals(confidence=1.5)
    assert Intervals().model_dump() == {
        "confidence": 0.95,
        "rate_interval": "wilson",
        "difference_interval": "newcombe-hybrid-score",
        "difference_test": "exact-mcnemar",
    }
