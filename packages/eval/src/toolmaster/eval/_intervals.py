"""The report's confidence intervals and its paired test, computed from counts.

- `wilson_ci(k, n)`: the Wilson score interval of a proportion (Wilson 1927, no continuity
  correction): every p with |k/n - p| <= z * sqrt(p (1 - p) / n), z the standard normal
  quantile (1 + confidence) / 2; scipy's `binomtest(k, n).proportion_ci(method="wilson")`.
  It stays honest at the edges: 4 of 4 gives [51.0%, 100%], 0 of 2 gives [0%, 65.8%].
- `paired_ci(...)`: the interval of the difference p1 - p2 of two proportions measured on the
  same units (each task in trial and in direct mode): Newcombe's hybrid score interval for
  paired data (Newcombe 1998, "Improved confidence intervals for the difference between
  binomial proportions based on paired data", method 10; the "Newcombe square-and-add"
  interval that Fagerland, Lydersen & Laake 2014 recommend). The Wilson intervals [l1, u1] and
  [l2, u2] of the two margins are combined with the correlation phi of the 2x2 table:

      L = D - sqrt((p1 - l1)^2 - 2 phi (p1 - l1)(u2 - p2) + (u2 - p2)^2)
      U = D + sqrt((u1 - p1)^2 - 2 phi (u1 - p1)(p2 - l2) + (p2 - l2)^2)

  with D = p1 - p2, and phi = (ad - bc - n/2) / sqrt((a+b)(c+d)(a+c)(b+d)) when
  ad - bc > n/2, 0 when 0 <= ad - bc <= n/2, (ad - bc) / sqrt(...) when ad - bc < 0, and 0
  when a margin is empty (a: both pass, b: only the first, c: only the second, d: neither).
- `mcnemar_exact(b, c)`: the exact (conditional) McNemar test: the two-sided binomial test of
  b successes in the b + c discordant pairs against 1/2 (scipy's `binomtest`); 1 when there
  are no discordant pairs.

scipy is imported when an interval is computed, so `import toolmaster.eval` stays light.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, Protocol, cast

from pydantic import BaseModel, ConfigDict, Field


class _Interval(Protocol):
    @property
    def low(self) -> float: ...
    @property
    def high(self) -> float: ...


class _BinomResult(Protocol):
    @property
    def pvalue(self) -> float: ...
    def proportion_ci(self, confidence_level: float, method: str) -> _Interval: ...


def _binomtest(k: int, n: int, p: float = 0.5) -> _BinomResult:
    """scipy's `binomtest` (scipy ships no complete types), imported when first needed."""
    from scipy import stats  # noqa: PLC0415 (heavy; only when computing)

    test = cast(
        Callable[[int, int, float], _BinomResult],
        stats.binomtest,  # pyright: ignore[reportUnknownMemberType] (untyped k and n)
    )
    return test(k, n, p)


class Intervals(BaseModel):
    """How a report's intervals and test are computed (written into `report.json`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    confidence: float = Field(default=0.95, gt=0.0, lt=1.0)
    """Confidence level of every interval."""
    rate_interval: Literal["wilson"] = "wilson"
    """The interval of a pass rate: the Wilson score interval."""
    difference_interval: Literal["newcombe-hybrid-score"] = "newcombe-hybrid-score"
    """The interval of a paired trial-minus-direct difference: Newcombe 1998, method 10."""
    difference_test: Literal["exact-mcnemar"] = "exact-mcnemar"
    """The test of a paired difference: exact McNemar (two-sided)."""


def wilson_ci(k: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """The Wilson score interval of k successes in n trials; None when n is 0."""
    if n == 0:
        return None
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    interval = _binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def paired_ci(
    both: int, first_only: int, second_only: int, neither: int, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval of p1 - p2 for n paired units (None when n is 0):
    `both` units succeeded in both measurements, `first_only` in the first only, and so on."""
    a, b, c, d = both, first_only, second_only, neither
    n = a + b + c + d
    if n == 0:
        return None
    first, second = wilson_ci(a + b, n, confidence), wilson_ci(a + c, n, confidence)
    assert first is not None
    assert second is not None
    (l1, u1), (l2, u2) = first, second
    p1, p2 = (a + b) / n, (a + c) / n
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    cross = a * d - b * c
    if margins == 0 or 0 <= cross <= n / 2:
        phi = 0.0
    elif cross > n / 2:
        phi = (cross - n / 2) / math.sqrt(margins)
    else:
        phi = cross / math.sqrt(margins)
    down = (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2
    up = (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2
    diff = p1 - p2
    return max(-1.0, diff - math.sqrt(max(0.0, down))), min(1.0, diff + math.sqrt(max(0.0, up)))


def mcnemar_exact(first_only: int, second_only: int) -> float:
    """The two-sided p-value of the exact McNemar test on the discordant pairs."""
    discordant = first_only + second_only
    if discordant == 0:
        return 1.0
    return float(_binomtest(first_only, discordant, 0.5).pvalue)


def format_p(value: float | None) -> str:
    """A p-value as reports show it: `0.052`, `<0.001`, `-` for none."""
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"
