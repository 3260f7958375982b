"""The Black-Scholes price of a European call, the exact function the playground's option-call set
samples (a network learns a pricing function from examples, and is checked against the formula).

    C = S N(d1) - K exp(-r T) N(d2),   d1 = (ln(S/K) + (r + sigma^2 / 2) T) / (sigma sqrt(T)),
                                        d2 = d1 - sigma sqrt(T)
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr  # the standard normal CDF


def call_price(spot, strike, rate, volatility, years):
    """Black-Scholes price of a European call (no dividends); arrays broadcast."""
    spot, strike, volatility, years = (np.asarray(a, np.float64) for a in (spot, strike, volatility, years))
    root = volatility * np.sqrt(years)
    d1 = (np.log(spot / strike) + (rate + volatility**2 / 2) * years) / root
    return spot * ndtr(d1) - strike * np.exp(-rate * years) * ndtr(d1 - root)
