"""Every way a request can end without its answer, each with its HTTP status and the kind
named in the JSON body (``{"error": "one line", "kind": "time limit"}``)."""

from __future__ import annotations

from symbackprop.errors import one_line


class Refusal(Exception):
    """A request answered with an error: one line for the user, never a traceback."""

    status = 500
    kind = "internal"

    def __init__(self, message: str):
        super().__init__(one_line(message))
        self.message = one_line(message)

    def to_data(self) -> dict:
        return {"error": self.message, "kind": self.kind}


class BadRequest(Refusal):
    """The request or the code, spec or formula in it cannot be read."""

    status = 400
    kind = "bad input"


class OverMemoryLimit(Refusal):
    """The work needed more memory than a request may take."""

    status = 400
    kind = "memory limit"


class NotFound(Refusal):
    status = 404
    kind = "not found"


class TimedOut(Refusal):
    """The work ran past the time limit of a request and was stopped."""

    status = 408
    kind = "time limit"


class BodyTooLarge(Refusal):
    status = 413
    kind = "too large"


class NotJson(Refusal):
    """A body sent as something other than JSON (as a form of another site would be)."""

    status = 415
    kind = "not json"


class WorkFailed(Refusal):
    """The worker process ended without an answer, or met an error of ours."""

    status = 500
    kind = "internal"


class Busy(Refusal):
    """Every worker is taken and the queue is full: the client should try again shortly."""

    status = 503
    kind = "busy"


# What a worker reports, by kind, becomes this refusal in the server.
BY_KIND = {cls.kind: cls for cls in (BadRequest, OverMemoryLimit, TimedOut, WorkFailed)}
