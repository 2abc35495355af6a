"""The local API: an OpenAI-compatible HTTP server and a small web page. No Qt.

``python -m app serve`` runs it headless; the window runs the same :class:`ApiServer` in a
plain thread on the window's :class:`~app.core.host.EngineHost`. Modules:

* :mod:`app.server.wire`: OpenAI request parsing and response shapes (pure functions);
* :mod:`app.server.auth`: the bearer token, Host and Origin checks;
* :mod:`app.server.routes`: the Starlette application;
* :mod:`app.server.turns`: one API turn on the host, bridged to asyncio;
* :mod:`app.server.runner`: uvicorn in a thread, start and stop.
"""
