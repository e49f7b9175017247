"""Progress people can see, for the work that takes more than a few seconds (a scan of a
parquet folder, a summary of a large window): ``tqdm.auto`` draws a widget in Jupyter and a
bar on a terminal, with rows per second and the time left. Quiet when asked
(``progress=False``, the command line's ``--quiet``) and, by default, when nothing would
show it: no terminal on stderr and no notebook.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


def wanted(progress: bool | None) -> bool:
    """Whether to draw: as asked, or (``None``) when stderr is a terminal or a notebook runs us."""
    if progress is not None:
        return bool(progress)
    if getattr(sys.stderr, "isatty", lambda: False)():
        return True
    return "ipykernel" in sys.modules


@contextmanager
def bar(total: int, description: str, progress: bool | None = None, unit: str = "rows") -> Iterator[Callable[[int], None]]:
    """A context giving ``tick(n)``: ``n`` more of ``total`` done."""
    if not wanted(progress):
        yield lambda n: None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=description, unit=unit, unit_scale=True, dynamic_ncols=True, leave=False) as shown:
        yield shown.update
