"""Trend inputs from supplied time series (search interest, mentions, sales...): direction and momentum.

Each series is compared with itself, so any unit works (a 0-100 interest index, counts, revenue).
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

# The momentum score maps the growth ratio (mean of the last third / mean of the first third) on a
# log2 scale, so a doubling and a halving move it equally: flat is 50, each doubling adds 25, and
# two doublings (x4) or two halvings (x0.25) reach the ends of the 0-100 scale.
DOUBLINGS_TO_EDGE = 2
MOMENTUM_FORMULA = ("clip(50 + 50 * log2(mean(last third) / mean(first third)) / 2, 0, 100): "
                    "flat 50, x2 75, x4 or more 100, x0.5 25, x0.25 or less 0")
MIN_POINTS = 3  # a third of the series must hold at least one point


class TrendSeries(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(..., min_length=1, max_length=200, description="what is counted (a query, a hashtag)")
    values: list[float] = Field(..., min_length=MIN_POINTS, max_length=5_000,
                                description="the measurements, oldest first, evenly spaced")
    dates: list[str] = Field(default_factory=list, description="optional labels of the points (same length)")

    @model_validator(mode="after")
    def _consistent(self) -> TrendSeries:
        if self.dates and len(self.dates) != len(self.values):
            raise ValueError(f"series {self.name!r} has {len(self.values)} values but {len(self.dates)} dates")
        if any(not math.isfinite(v) or v < 0 for v in self.values):
            raise ValueError(f"series {self.name!r}: values must be finite and not negative")
        return self


def analyse(series: TrendSeries) -> dict:
    values = np.asarray(series.values, dtype=float)
    third = max(1, len(values) // 3)
    early, late = float(values[:third].mean()), float(values[-third:].mean())
    steps = np.arange(len(values), dtype=float)
    slope = float(np.polyfit(steps, values, 1)[0]) if values.std() > 0 else 0.0
    peak = int(values.argmax())
    row = {"name": series.name, "points": len(values), "first": float(values[0]), "last": float(values[-1]),
           "mean": round(float(values.mean()), 3), "min": float(values.min()), "max": float(values.max()),
           "slope_per_step": round(slope, 4), "early_mean": round(early, 3), "late_mean": round(late, 3),
           "peak_at": series.dates[peak] if series.dates else peak}
    if early == 0 and late == 0:
        row.update(growth=None, momentum=50.0, direction="flat", note="all zero at both ends: no change")
        return row
    # A series rising from zero has an unbounded ratio: it is at the top of the scale.
    growth = late / early if early > 0 else math.inf
    momentum = 50 + 50 * math.log2(growth) / DOUBLINGS_TO_EDGE if late > 0 else 0.0
    row.update(growth=round(growth, 3) if math.isfinite(growth) else None,
               momentum=round(min(100.0, max(0.0, momentum)), 1),
               direction="rising" if late > early else "falling" if late < early else "flat")
    return row


def trend_score(rows: list[dict]) -> dict | None:
    if not rows:
        return None
    value = round(sum(r["momentum"] for r in rows) / len(rows), 1)
    return {"score": value, "formula": f"mean over series of momentum; momentum = {MOMENTUM_FORMULA}",
            "evidence": {r["name"]: {"momentum": r["momentum"], "growth": r["growth"],
                                     "early_mean": r["early_mean"], "late_mean": r["late_mean"]} for r in rows}}
