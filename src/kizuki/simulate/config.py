"""The simulator's configuration: a validated description of the demo company.

The shipped default lives in ``default_config.yaml`` beside this module; docs/simulator.md
describes every key. :func:`load_config` reads a YAML file (or the default), applies the
command-line overrides and validates it; every problem becomes a :class:`~kizuki.errors.ConfigError`
that names the key and the bad value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kizuki.errors import ConfigError
from kizuki.simulate.config_files import default_config_path, named_configs, read_config
from kizuki.simulate.realism import Realism, check_realism

__all__ = [
    "Channel",
    "Content",
    "Incident",
    "Intent",
    "Page",
    "Problem",
    "Segment",
    "SimConfig",
    "Stage",
    "default_config_path",
    "load_config",
    "named_configs",
]

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]

CHANNEL_NAMES = ("email", "form", "chat", "phone", "social", "chatbot")
STAGE_GOALS_NONE = None


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(_Model):
    """Who the demo company is."""

    name_ja: str
    name_en: str
    site_url: Annotated[str, Field(pattern=r"^https?://[^/]+$")]
    support_email: str
    zendesk_subdomain: str
    agents: Annotated[int, Field(ge=1, le=10_000)] = 24


class Segment(_Model):
    """A customer segment: its share of customers, plan, value, language mix and base churn."""

    name: Name
    share: Probability
    plan: str
    monthly_value: NonNegative
    value_sigma: NonNegative = 0.2
    ja_share: Probability = 0.9
    monthly_churn: Probability = 0.02


class Behaviour(_Model):
    """How customers browse: session rates, page views and background struggle rates."""

    sessions_per_day: Positive = 0.3
    sessions_sigma: NonNegative = 0.7
    pages_per_session: NonNegative = 3.0
    engagement_share: Probability = 0.6
    background_error_rate: Probability = 0.01
    background_loop_rate: Probability = 0.03
    background_search_rate: Probability = 0.0
    search_click_rate: Probability = 0.65
    background_chatbot_rate: Probability = 0.008
    goal_rate: Probability = 0.35
    mobile_share: Probability = 0.28
    tablet_share: Probability = 0.04
    error_messages: Annotated[list[str], Field(min_length=1)]


class Page(_Model):
    """One page of the site: its path, titles and how often it is visited within its stage."""

    path: Annotated[str, Field(pattern=r"^/")]
    title_ja: str
    title_en: str
    weight: Positive = 1.0


class Stage(_Model):
    """A journey stage: its pages and the goal event that marks it done."""

    name: Name
    goal_event: Name | None = None
    pages: Annotated[list[Page], Field(min_length=1)]


class Journey(_Model):
    """The ordered journey stages and the stage mix of an established customer's sessions."""

    stages: Annotated[list[Stage], Field(min_length=1)]
    stage_mix: dict[str, NonNegative]


class Emerges(_Model):
    """A contact reason that appears partway through the period and grows (a new topic)."""

    start_day: Annotated[int, Field(ge=0)]
    per_1000_customers_first_day: NonNegative = 0.1
    per_1000_customers_last_day: NonNegative = 1.0


class Intent(_Model):
    """A contact reason, with Japanese and English wording.

    ``in_taxonomy: false`` marks a reason the support team has no label for yet: its tickets
    are never tagged, so only topic discovery can find it. ``emerges`` adds contacts about it
    from a given day on, at a rate rising linearly to the end of the period.
    """

    name: Name
    stage: Name
    weight: NonNegative = 1.0
    in_taxonomy: bool = True
    emerges: Emerges | None = None
    selfservice_success: Probability = 0.6
    label_ja: str
    label_en: str
    search_ja: Annotated[list[str], Field(min_length=1)]
    search_en: Annotated[list[str], Field(min_length=1)]
    phrasings_ja: Annotated[list[str], Field(min_length=1)]
    phrasings_en: Annotated[list[str], Field(min_length=1)]
    steps_ja: list[str] = Field(default_factory=list)
    steps_en: list[str] = Field(default_factory=list)


class Content(_Model):
    """A help article, written in both Japanese and English."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    intent: Name
    title_ja: str
    title_en: str
    # "dense": written as one long formal paragraph, no numbered steps (hard to read)
    style: Literal["plain", "dense"] = "plain"


class Channel(_Model):
    """A support channel with its share of contacts and response-time distributions."""

    name: str
    share: Probability
    first_response_minutes: Positive
    first_response_sigma: NonNegative = 0.8
    business_hours: bool = True
    resolution_hours: Positive
    resolution_sigma: NonNegative = 1.0


class SelfService(_Model):
    """How affected customers try to help themselves."""

    attempt_rate: Probability = 0.55
    chatbot_share: Probability = 0.3
    # after the attempt the customer comes back to the product in a new session 35-90 minutes
    # later with these probabilities: the "return to task" a success leaves in the events
    return_after_success: Probability = 0.85
    return_after_failure: Probability = 0.3
    return_pages_mean: Annotated[float, Field(ge=0.0, le=20.0)] = 2.0


class Support(_Model):
    """Human support: resolution, contact timing, background volume and labelling."""

    resolution_rate: Probability = 0.88
    contact_window_days: Annotated[int, Field(ge=1, le=365)] = 14
    late_contact_share: Probability = 0.12
    background_contacts_per_month: NonNegative = 0.05
    background_selfservice_per_month: NonNegative = 0.08
    labelled_share: Probability = 0.7


class Churn(_Model):
    """Churn timing."""

    problem_delay_days: Positive = 18.0
    trial_days: Annotated[int, Field(ge=0, le=365)] = 14


class Problem(_Model):
    """A planted problem: who it hits, where, and what it does to them."""

    name: Name
    stage: Name
    page_path: Annotated[str, Field(pattern=r"^/")]
    intent: Name
    share_affected: Probability
    contact_rate: Probability
    selfservice_success: Probability
    churn_uplift_if_unresolved: Probability
    error_message: str = "Error"
    signal_error: Probability = 0.6
    signal_loop: Probability = 0.4
    other_page_paths: list[Annotated[str, Field(pattern=r"^/")]] = Field(default_factory=list)

    @property
    def page_paths(self) -> list[str]:
        """Every page the problem is on, the main one (``page_path``) first."""
        return [self.page_path, *self.other_page_paths]


class Incident(_Model):
    """An outage that hits one segment for some hours."""

    id: str
    title_ja: str
    title_en: str
    severity: str = "major"
    segment: Name
    start: dt.datetime
    hours: Positive
    page_path: Annotated[str, Field(pattern=r"^/")]
    intent: Name
    error_message: str = "HTTP 503 Service Unavailable"
    visit_rate: Probability = 0.4
    contact_rate: Probability = 0.1
    # after the incident, contacts from the hit segment are satisfied this much less often
    # (CSAT "good" probability minus the drop) for satisfaction_days
    satisfaction_drop: Probability = 0.0
    satisfaction_days: Positive = 14.0


class Mentions(_Model):
    """Brand mentions on social media and review sites."""

    per_day: NonNegative = 5.0
    negative_share: Probability = 0.2
    positive_share: Probability = 0.4
    incident_multiplier: NonNegative = 10.0
    ja_share: Probability = 0.9


class Surveys(_Model):
    """NPS waves, CES after contacts and CSAT on solved tickets."""

    nps_interval_days: Annotated[int, Field(ge=1, le=365)] = 30
    nps_response_rate: Probability = 0.12
    ces_response_rate: Probability = 0.3
    csat_offer_rate: Probability = 0.9
    csat_response_rate: Probability = 0.35
    comment_rate: Probability = 0.45


class Text(_Model):
    """Variety in customers' writing."""

    keigo_share: Probability = 0.65
    typo_rate: Probability = 0.08
    fullwidth_rate: Probability = 0.15
    halfwidth_kana_rate: Probability = 0.03
    pii_rate: Probability = 0.15
    order_number_rate: Probability = 0.3


class Quality(_Model):
    """Planted export defects: broken rows and exact duplicates in every file."""

    malformed_share: Annotated[float, Field(ge=0.0, le=0.05)] = 0.003
    duplicate_share: Annotated[float, Field(ge=0.0, le=0.05)] = 0.001


class SimConfig(_Model):
    """The whole demo company. Build it with :func:`load_config`."""

    seed: Annotated[int, Field(ge=0, lt=2**63)] = 42
    customers: Annotated[int, Field(ge=1, le=50_000_000)] = 5000
    days: Annotated[int, Field(ge=7, le=3650)] = 90
    end_date: dt.date = dt.date(2026, 10, 31)
    chunk_customers: Annotated[int, Field(ge=100, le=10_000_000)] = 2500
    company: Company
    segments: Annotated[list[Segment], Field(min_length=1)]
    new_customer_share: Probability = 0.2
    prospects_per_customer: NonNegative = 0.5
    behaviour: Behaviour
    journey: Journey
    intents: Annotated[list[Intent], Field(min_length=1)]
    content: list[Content]
    channels: Annotated[list[Channel], Field(min_length=1)]
    selfservice: SelfService = SelfService()
    support: Support = Support()
    churn: Churn = Churn()
    problems: list[Problem]
    incidents: list[Incident] = Field(default_factory=list)
    mentions: Mentions = Mentions()
    surveys: Surveys = Surveys()
    text: Text = Text()
    quality: Quality = Quality()
    realism: Realism = Realism()

    @model_validator(mode="after")
    def _check_references(self) -> SimConfig:
        _check_unique("segments", [s.name for s in self.segments])
        _check_unique("intents", [i.name for i in self.intents])
        _check_unique("content", [c.id for c in self.content])
        _check_unique("problems", [p.name for p in self.problems])
        _check_unique("journey.stages", [s.name for s in self.journey.stages])
        for i, c in enumerate(self.channels):
            if c.name not in CHANNEL_NAMES:
                _bad(f"channels[{i}].name", c.name, f"one of {', '.join(CHANNEL_NAMES)}")
            if c.name == "chatbot" and c.share > 0:
                _bad(f"channels[{i}].share", c.share, "0 for the chatbot (it is self-service)")
        _check_share_sum("segments", [s.share for s in self.segments])
        _check_share_sum("channels", [c.share for c in self.channels])
        stages = {s.name for s in self.journey.stages}
        paths = {p.path for s in self.journey.stages for p in s.pages}
        intents = {i.name for i in self.intents}
        segments = {s.name for s in self.segments}
        for key in self.journey.stage_mix:
            _ref(f"journey.stage_mix.{key}", key, stages, "a journey stage")
        if sum(self.journey.stage_mix.values()) <= 0:
            _bad("journey.stage_mix", self.journey.stage_mix, "at least one positive weight")
        for i, it in enumerate(self.intents):
            _ref(f"intents[{i}].stage", it.stage, stages, "a journey stage")
        for i, art in enumerate(self.content):
            _ref(f"content[{i}].intent", art.intent, intents, "an intent name")
        for i, p in enumerate(self.problems):
            _ref(f"problems[{i}].stage", p.stage, stages, "a journey stage")
            _ref(f"problems[{i}].page_path", p.page_path, paths, "a page path of the journey")
            for j, other in enumerate(p.other_page_paths):
                key = f"problems[{i}].other_page_paths[{j}]"
                _ref(key, other, paths, "a page path of the journey")
                if other in p.page_paths[: j + 1]:
                    _bad(key, other, "a page not listed before (nor the page_path)")
            _ref(f"problems[{i}].intent", p.intent, intents, "an intent name")
        for i, inc in enumerate(self.incidents):
            _ref(f"incidents[{i}].segment", inc.segment, segments, "a segment name")
            _ref(f"incidents[{i}].page_path", inc.page_path, paths, "a page path of the journey")
            _ref(f"incidents[{i}].intent", inc.intent, intents, "an intent name")
            if inc.start.tzinfo is None:
                _bad(f"incidents[{i}].start", str(inc.start), "a time with an offset (+09:00)")
        check_realism(self.realism, [c.name for c in self.channels])
        return self

    @property
    def start_date(self) -> dt.date:
        """The first simulated day (JST)."""
        return self.end_date - dt.timedelta(days=self.days - 1)

    def to_yaml(self) -> str:
        """The resolved configuration as YAML (what ``config.yaml`` of a simulation holds)."""
        data = self.model_dump(mode="json")
        # knobs left at their defaults are not written, so a config that uses none of them
        # reads as it did before they existed
        if self.realism == Realism():
            del data["realism"]
        for prob in data["problems"]:
            if not prob["other_page_paths"]:
                del prob["other_page_paths"]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _bad(key: str, value: Any, expected: str) -> None:
    raise ValueError(f"{key}: got {value!r}, expected {expected}")


def _ref(key: str, value: str, allowed: set[str], what: str) -> None:
    if value not in allowed:
        _bad(key, value, f"{what} ({', '.join(sorted(allowed))})")


def _check_unique(key: str, names: list[str]) -> None:
    seen: set[str] = set()
    for n in names:
        if n in seen:
            _bad(key, n, "unique names")
        seen.add(n)


def _check_share_sum(key: str, shares: list[float]) -> None:
    total = sum(shares)
    if abs(total - 1.0) > 1e-6:
        _bad(f"{key}[].share", round(total, 6), "shares that add up to 1")


def load_config(
    path: Path | None = None,
    *,
    customers: int | None = None,
    days: int | None = None,
    seed: int | None = None,
) -> SimConfig:
    """Read and validate a simulator config; flags given here override the file.

    Parameters
    ----------
    path
        A YAML file, or the name of a shipped config (``default``, ``hard``); ``None`` reads
        the shipped default company. A file with ``inherits: NAME`` (a shipped config's name,
        or a YAML path relative to the file) starts from that config and overrides its keys.
    customers, days, seed
        Overrides of the top-level keys of the same names.

    Raises
    ------
    ConfigError
        The YAML cannot be parsed or a key has a bad value (the message names both).
    NotFoundError
        ``path`` does not exist and is not a shipped config's name.

    Examples
    --------
    >>> cfg = load_config(None, customers=500, days=30, seed=7)
    >>> cfg.customers, cfg.days, cfg.seed
    (500, 30, 7)
    >>> load_config(Path("hard"), customers=500).realism.identity.anonymous_session_share
    0.5
    """
    source, raw = read_config(path)
    for key, value in (("customers", customers), ("days", days), ("seed", seed)):
        if value is not None:
            raw[key] = value
    return _validate(raw, str(source))


def _validate(raw: dict[str, Any], source: str) -> SimConfig:
    try:
        return SimConfig.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _format_loc(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "value_error":
            detail = msg
        else:
            detail = f"{loc}: {msg}; got {err.get('input')!r:.80}"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(
            f"simulator config {source}: {detail}{more}. Fix the value in the YAML or the flag."
        ) from None


def _format_loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
