"""Mix and rate: did the traffic change, or the model?

The change of a mean loss between two windows, ``sum w' l' - sum w l`` over segments
(``w`` the segment's share of rows, ``l`` its mean loss), splits exactly into

* **mix** ``sum (w' - w)(l + l') / 2``: segment shares moved, each at its average loss;
* **rate** ``sum (l' - l)(w + w') / 2``: losses moved within segments, at average shares.

(the symmetric, Shapley split: no order between the two effects). A segment present on
one side only counts as mix, at the loss it has.
"""

from __future__ import annotations

import numpy as np


def mix_rate(n_reference, loss_reference, n_current, loss_current) -> tuple[float, float]:
    """(mix, rate) of the change in mean loss; inputs per segment: rows and mean loss
    (NaN where a side has no row).

    >>> mix, rate = mix_rate([50, 50], [0.1, 0.3], [20, 80], [0.1, 0.3])   # only the mix moved
    >>> round(mix, 6), round(rate, 6)
    (0.06, 0.0)
    """
    n_r, n_c = np.asarray(n_reference, dtype=float), np.asarray(n_current, dtype=float)
    l_r, l_c = np.asarray(loss_reference, dtype=float), np.asarray(loss_current, dtype=float)
    l_r = np.where(n_r > 0, l_r, l_c)       # one-sided segments: no rate change
    l_c = np.where(n_c > 0, l_c, l_r)
    l_r, l_c = np.nan_to_num(l_r), np.nan_to_num(l_c)    # empty on both sides: weight 0 anyway
    w_r, w_c = n_r / n_r.sum(), n_c / n_c.sum()
    mix = float(np.sum((w_c - w_r) * (l_r + l_c) / 2))
    rate = float(np.sum((l_c - l_r) * (w_r + w_c) / 2))
    return mix, rate
