"""``symbackprop serve``: a page and a JSON API over ``check``, ``explain`` and ``generate``,
safe to host for a class.

Data flows one way: the request is read and validated (``payloads``), its work runs in a fresh
worker process with a time and a memory limit (``pool``, running a job of ``jobs``), and the
answer goes back as the JSON the verbs print with ``--format json`` (``app``). The page and
its vendored assets are ``page``; ``server`` binds the socket and runs uvicorn. Only ``cli``
and ``settings`` load without the ``serve`` extra installed.
"""
