"""What an app shows where no widget front end runs (an exported notebook, GitHub, a static
HTML page): the same output carries the live widget and, beside it, a rendered picture of
its current state (HTML with the figure embedded as a PNG). A front end with widgets shows
the widget; any other shows the picture instead of a blank area."""

from __future__ import annotations

import base64
import html


def bundle(widget, title: str, body_html: str, figure=None) -> dict:
    """The mime bundle of an app: ``widget``'s view plus a static ``text/html`` fallback (its
    ``title``, ``body_html`` — already escaped — and ``figure`` as an embedded PNG)."""
    from mlwatch.plots._base import figure_png

    data = dict(widget._repr_mimebundle_())
    image = ""
    if figure is not None:
        encoded = base64.b64encode(figure_png(figure)).decode("ascii")
        image = f'<img alt="{html.escape(title)}" style="max-width:100%" src="data:image/png;base64,{encoded}">'
    data["text/html"] = (f'<div class="mlwatch-app"><p><strong>{html.escape(title)}</strong> '
                         "(a picture of the app's current state; run the notebook for the live controls)</p>"
                         f"{body_html}{image}</div>")
    return data


def picture(figure):
    """``figure`` (a matplotlib Figure made without pyplot) as an image a notebook shows as
    plain output, live or exported, whatever the matplotlib backend."""
    from IPython.display import Image

    from mlwatch.plots._base import figure_png

    return Image(data=figure_png(figure), format="png")
