"""The parameters of the silent-customer estimate, validated once (documented in docs/silent.md)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SilentConfig"]


class SilentConfig(BaseModel):
    """Parameters of the silent-customer estimate (documented in docs/silent.md).

    Examples
    --------
    >>> SilentConfig(window_days=7).window_days
    7
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: Annotated[
        int, Field(ge=1, description="days after a session to count a contact")
    ] = 14
    horizon_months: Annotated[float, Field(gt=0, description="months of revenue at risk")] = 12.0
    goodman_contact_rate: Annotated[
        float, Field(gt=0, le=1, description="assumed share of affected customers who contact")
    ] = 0.04
    goodman_rate_low: Annotated[float, Field(gt=0, le=1, description="minor irritations")] = 0.02
    goodman_rate_high: Annotated[float, Field(gt=0, le=1, description="serious problems")] = 0.25
    alpha: Annotated[
        float, Field(gt=0, lt=1, description="significance a page's problem class must reach")
    ] = 1e-6
    min_units: Annotated[
        int, Field(ge=1, description="units a page needs to be modelled at all")
    ] = 20
    small_units: Annotated[
        int,
        Field(
            ge=1,
            description="pages with fewer units are small samples: their problem is tested at "
            "small_alpha over the modelled pages (method small_sample) instead of alpha",
        ),
    ] = 2000
    small_alpha: Annotated[
        float,
        Field(
            gt=0,
            lt=1,
            description="family-wise false-alarm rate of the small-sample test (Bonferroni "
            "over the modelled pages)",
        ),
    ] = 0.05
    min_raised: Annotated[
        int, Field(ge=1, le=3, description="indicators the problem class must raise")
    ] = 2
    raise_lift: Annotated[
        float, Field(gt=1, description="hit/background firing ratio that counts as raised")
    ] = 2.0
    raise_min_rate: Annotated[
        float, Field(ge=0, lt=1, description="hit-class firing rate that counts as raised")
    ] = 0.05
    n_boot: Annotated[int, Field(ge=10, description="bootstrap replicates / posterior draws")] = 200
    help_prefixes: Annotated[
        tuple[str, ...],
        Field(description="page-path prefixes of help pages, which are never a unit's page"),
    ] = ("/help",)
    page_events: Annotated[
        tuple[str, ...], Field(description="event names that are page views")
    ] = ("page_view",)
    incident_margin_minutes: Annotated[
        int,
        Field(ge=0, description="sessions from this long before a recorded incident are its"),
    ] = 60
    nps_detractor_max: Annotated[float, Field(description="NPS at or below: dissatisfied")] = 6.0
    csat_low_max: Annotated[float, Field(description="CSAT at or below: dissatisfied")] = 2.0
    ces_low_max: Annotated[float, Field(description="CES at or below: dissatisfied")] = 3.0
    unidentified_contact_ratio: Annotated[
        float,
        Field(
            ge=1,
            description="how far the contact rate of affected visitors no identity links to a "
            "customer may differ from the identified ones' (a factor either way; the "
            "extrapolated figures' intervals carry it)",
        ),
    ] = 1.5
    min_coverage: Annotated[
        float,
        Field(
            ge=0,
            le=1,
            description="share of a problem's affected visitors that must be identified "
            "customers, else its figures carry the diagnostic low_coverage",
        ),
    ] = 0.3
    min_link_share: Annotated[
        float,
        Field(
            ge=0,
            le=1,
            description="share of human contacts that must link to a customer, else "
            "diagnostic low_linkage",
        ),
    ] = 0.5
    max_relative_width: Annotated[
        float,
        Field(
            gt=0,
            description="95% interval of the affected count wider than this many times the "
            "count: diagnostic flat_likelihood",
        ),
    ] = 1.5
    loop_anchors: Annotated[
        bool,
        Field(
            description="a session without an error belongs to the page of its first reload "
            "loop (else the page it ended on)",
        ),
    ] = False
