"""The ``realism`` section of a simulator config: knobs that break the estimators' assumptions.

Every knob is off by default (the default company fits the silent-customer estimator's
assumptions); the shipped ``hard`` config turns them on. docs/simulator.md describes each.
Generation draws the randomness of these knobs from generators of their own, so a config with
every knob off gives the same bytes as before the knobs existed.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "GenericErrors",
    "HelpSeekerRealism",
    "HitRealism",
    "IdentityRealism",
    "Realism",
    "TicketRealism",
    "check_realism",
]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdentityRealism(_Model):
    """Who GA4 can tell apart: anonymous sessions, logins in mid-session, second devices."""

    anonymous_session_share: Probability = 0.0  # customers' sessions with no login at all
    mid_session_login_share: Probability = 0.0  # logged-in sessions that log in partway
    second_device_share: Probability = 0.0  # customers with a second user_pseudo_id
    second_device_session_share: Probability = 0.3  # of their sessions, on the second device
    second_device_login_share: Probability = 0.5  # second-device sessions that log in

    @property
    def enabled(self) -> bool:
        return (
            self.anonymous_session_share > 0
            or self.mid_session_login_share > 0
            or self.second_device_share > 0
        )


class TicketRealism(_Model):
    """Tickets that do not link to their customer, and intent tags missing not at random."""

    linked_share: Probability = 1.0  # tickets whose requester carries the customer's id
    guest_share: Probability = 0.5  # of unlinked tickets: one-off guest addresses
    tag_rate_by_channel: dict[str, Probability] = Field(default_factory=dict)
    rare_tagger_share: Probability = 0.0  # agents who rarely tag
    rare_tagger_factor: Probability = 0.2  # their tag rate, as a share of the channel's

    @property
    def tagging_enabled(self) -> bool:
        return bool(self.tag_rate_by_channel) or self.rare_tagger_share > 0


class HitRealism(_Model):
    """Problem hits: repeats, correlated signals, sessions that go on after the hit."""

    extra_hits_mean: Annotated[float, Field(ge=0.0, le=20.0)] = 0.0  # Poisson mean per customer
    extra_hit_days: Annotated[int, Field(ge=1, le=60)] = 10  # repeats come 1..this many days later
    reload_risk_ratio_given_error: Annotated[float, Field(gt=0.0, le=100.0)] = 1.0
    continue_after_hit_share: Probability = 0.0  # hit sessions that browse on afterwards
    continue_pages_mean: Annotated[float, Field(ge=0.0, le=20.0)] = 2.0  # 1 + Poisson(this)


class HelpSeekerRealism(_Model):
    """Help seekers (background self-service sessions) who also err and reload."""

    error_share: Probability = 0.0
    reload_share: Probability = 0.0


class GenericErrors(_Model):
    """Error messages added to the background pool; a problem using one is hard to tell apart."""

    messages: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)


class Realism(_Model):
    """All realism knobs; the defaults leave the simulation as simple as the estimators assume."""

    identity: IdentityRealism = IdentityRealism()
    tickets: TicketRealism = TicketRealism()
    hits: HitRealism = HitRealism()
    help_seekers: HelpSeekerRealism = HelpSeekerRealism()
    generic_errors: GenericErrors = GenericErrors()


def check_realism(realism: Realism, channels: list[str]) -> None:
    """Cross-checks the field types cannot express; raises ``ValueError`` naming the key."""
    for name in realism.tickets.tag_rate_by_channel:
        if name not in channels:
            _bad(
                f"realism.tickets.tag_rate_by_channel.{name}",
                name,
                f"a channel of the config ({', '.join(channels)})",
            )
    seen: set[str] = set()
    for i, msg in enumerate(realism.generic_errors.messages):
        if msg in seen:
            _bad(f"realism.generic_errors.messages[{i}]", msg, "unique messages")
        seen.add(msg)


def _bad(key: str, value: Any, expected: str) -> None:
    raise ValueError(f"{key}: got {value!r}, expected {expected}")
