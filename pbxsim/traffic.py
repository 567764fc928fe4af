"""Seedable demo/load traffic: Poisson arrivals, prefecture mix, IVR choices, talk times."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from .parties import CallerScript

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超"]
MOBILE_PREFIXES = ["138", "139", "137", "136", "135", "150", "151", "158", "187", "188", "130", "131", "132",
                   "155", "156", "186", "133", "153", "180", "189"]


@dataclass
class TrafficModel:
    """Arrival rate, prefecture weights (area code → weight), IVR digit mix and talk times."""

    calls_per_second: float
    area_codes: dict[str, float] = field(default_factory=lambda: {"0371": 0.35, "0379": 0.15, "0377": 0.1})
    menu_mix: dict[str, float] = field(default_factory=lambda: {"1": 0.6, "2": 0.25, "3": 0.1, "0": 0.05})
    landline_share: float = 0.3
    mean_talk: float = 180.0
    mean_patience: float = 90.0
    seed: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def next_gap(self) -> float:
        """Seconds until the next arrival (exponential)."""
        return self.rng.expovariate(self.calls_per_second) if self.calls_per_second > 0 else float("inf")

    def number(self) -> str:
        """A caller number: a landline of a weighted prefecture or a mobile number."""
        if self.rng.random() < self.landline_share:
            codes, weights = zip(*self.area_codes.items())
            code = self.rng.choices(codes, weights)[0]
            return code + str(self.rng.randint(60000000, 89999999))  # Henan local numbers have 8 digits
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99999999):08d}"

    def caller(self) -> CallerScript:
        """One scripted citizen."""
        digit = self.rng.choices(list(self.menu_mix), list(self.menu_mix.values()))[0]
        name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
        return CallerScript(number=self.number(), name=name, menu=[(self.rng.uniform(1.0, 4.0), digit)],
                            patience=self.rng.expovariate(1 / self.mean_patience),
                            talk_time=max(10.0, self.rng.gauss(self.mean_talk, self.mean_talk / 3)))
