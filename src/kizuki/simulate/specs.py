"""Plain records the generators pass to each other: planned sessions, contacts, self-service.

Each is a bag of equally long numpy arrays, one element per record, with ``concat`` and
``take`` so generators can be combined and filtered without Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

__all__ = ["Columns", "ContactRequests", "SelfServiceAttempts", "SessionSpecs"]

I64 = NDArray[np.int64]


class Columns:
    """Shared helpers for dataclasses whose fields are equally long numpy arrays."""

    def __len__(self) -> int:
        return int(getattr(self, fields(self)[0].name).size)  # type: ignore[arg-type]

    def take(self, idx: NDArray[Any]) -> Self:
        return type(self)(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})  # type: ignore[arg-type]

    @classmethod
    def concat(cls, parts: list[Self]) -> Self:
        return cls(
            **{
                f.name: np.concatenate([getattr(p, f.name) for p in parts])
                for f in fields(cls)  # type: ignore[arg-type]
            }
        )


@dataclass
class SessionSpecs(Columns):
    """Sessions planned outside the regular browsing: problem hits, self-service, incidents.

    ``n_browse`` is the number of journey page views before the special events (-1: draw);
    ``n_after`` the number of other pages viewed after them (a session that goes on).
    """

    ent: I64
    ts: I64
    stage: NDArray[np.int16]
    logged_in: NDArray[np.bool_]
    page: NDArray[np.int32]  # special page viewed after browsing, -1 none
    error: NDArray[np.int32]  # error message code, -1 none
    loop: NDArray[np.bool_]  # the special (or last) page is reloaded twice
    term: NDArray[np.int32]  # help-search term code, -1 none
    results: NDArray[np.int32]  # results_count of that search
    content: NDArray[np.int32]  # FAQ article viewed, -1 none
    chatbot: NDArray[np.bool_]
    goal: NDArray[np.bool_]  # fire the stage's goal event
    n_browse: NDArray[np.int32]
    n_after: NDArray[np.int32]

    @classmethod
    def new(cls, ent: I64, ts: I64, stage: NDArray[np.int16] | int) -> SessionSpecs:
        """Sessions with no special events, to be filled in by the caller."""
        n = ent.size
        return cls(
            ent=ent.astype(np.int64),
            ts=ts.astype(np.int64),
            stage=np.broadcast_to(np.asarray(stage, dtype=np.int16), (n,)).copy(),
            logged_in=np.ones(n, dtype=np.bool_),
            page=np.full(n, -1, dtype=np.int32),
            error=np.full(n, -1, dtype=np.int32),
            loop=np.zeros(n, dtype=np.bool_),
            term=np.full(n, -1, dtype=np.int32),
            results=np.zeros(n, dtype=np.int32),
            content=np.full(n, -1, dtype=np.int32),
            chatbot=np.zeros(n, dtype=np.bool_),
            goal=np.zeros(n, dtype=np.bool_),
            n_browse=np.full(n, -1, dtype=np.int32),
            n_after=np.zeros(n, dtype=np.int32),
        )


@dataclass
class ContactRequests(Columns):
    """Human contacts (tickets) before channel and timing are drawn.

    ``origin``: problem index (>= 0), -1 background, -2 incident, -3 after failed
    self-service, -4 re-contact, -5 about an emerging intent.
    """

    ent: I64
    ts: I64
    intent: NDArray[np.int16]
    origin: NDArray[np.int16]
    resolved: NDArray[np.bool_]


@dataclass
class SelfServiceAttempts(Columns):
    """Help searches / FAQ views / chatbot conversations about one intent."""

    ent: I64
    ts: I64
    intent: NDArray[np.int16]
    chatbot: NDArray[np.bool_]
    success: NDArray[np.bool_]
    origin: NDArray[np.int16]  # problem index, or -1 background
