"""The explorer: a local page to set a layer's weights and input, see the real Keras
layer's output after every step beside each hypothesis's, and check a hypothesis on the
spot (``harness explore``; ``harness.explore`` in a notebook).

``state.py`` computes what the page shows, ``server.py`` serves it (Starlette, uvicorn),
``inline.py`` shows it in a notebook, ``static/`` holds the page.  Nothing here is
imported by ``import harness``.
"""
