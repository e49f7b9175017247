"""matplotlib renderers of Results: the only place in mlwatch that draws."""
