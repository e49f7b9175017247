"""ipywidgets apps composed from the steps, their Results and plots; no statistics inside.

Imported on use (ipywidgets is needed only here): ``mlwatch.widgets.explore(incident)``,
``mlwatch.widgets.drift_playground()``.
"""

from mlwatch.widgets.explore import Explorer, explore
from mlwatch.widgets.playground import Playground, drift_playground, inject

__all__ = ["Explorer", "Playground", "drift_playground", "explore", "inject"]
