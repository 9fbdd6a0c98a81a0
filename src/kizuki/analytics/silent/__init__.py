"""Silent customers and money at risk, per friction page and in total (Q1).

For every page where a problem shows:

- **affected** A: customers hit, estimated by latent class models over the sessions that ended
  on the page (signals that co-occur more than background noise would explain; two classes
  detect the problem, a third, help seekers, is set apart to count it); the count is the
  posterior mean over its profile likelihood, not the maximum (docs/silent.md);
- **contacted** C: affected customers who contacted support about the page's intent within
  ``window_days``: labelled contacts after a session on the page, less the background rate of
  comparable customers, divided by the share of tickets that carry an intent label;
- **silent** S = A − C, the observed contact rate C / A;
- churn of the (probably) silent, of resolved contacters and of comparable unaffected
  customers, and **revenue at risk** = S × excess churn × monthly value × ``horizon_months``;
- beside them the Goodman estimate (contacts ÷ an assumed contact rate) and a survey-based
  one (excess dissatisfied survey answers among likely affected non-contacters).

Intervals are 95% percentiles: of the posterior of the hit count for A (flat prior, profile
likelihood; the estimate is its mean), and of a bootstrap (customers resampled, Poisson weights)
for the rest. Methods, assumptions and measured accuracy: docs/silent.md.

The modules, from the engine to the table:

- :mod:`~kizuki.analytics.silent.config`: :class:`SilentConfig`, the parameters;
- :mod:`~kizuki.analytics.silent.units`: the per-session units and their indicators (Ibis);
- :mod:`~kizuki.analytics.silent.inputs`: :func:`load_silent_inputs`, the engine-side
  queries, and :class:`SilentInputs`, the small tables they return;
- :mod:`~kizuki.analytics.silent.latent_class`: the two-class latent class model (EM,
  bootstrap, profile likelihood), accelerated by :mod:`~kizuki.analytics.silent.squarem`;
- :mod:`~kizuki.analytics.silent.help_seekers`: the three-class model with help seekers apart,
  which counts the hit units of a page with a problem, and its simulator;
- :mod:`~kizuki.analytics.silent.profile_likelihood`: the hit count's profile likelihood grid
  and posterior;
- :mod:`~kizuki.analytics.silent.page_fit`: a page's hit model and what it says of the
  page's customers;
- :mod:`~kizuki.analytics.silent.bootstrap`: the customer bootstrap;
- :mod:`~kizuki.analytics.silent.page_estimate`: a page's row of the table;
- :mod:`~kizuki.analytics.silent.table`: :func:`estimate_silent` and
  :func:`silent_customers`, the whole table.
"""

from __future__ import annotations

from kizuki.analytics.silent.config import SilentConfig
from kizuki.analytics.silent.inputs import SilentInputs, load_silent_inputs
from kizuki.analytics.silent.table import SILENT_COLUMNS, estimate_silent, silent_customers

__all__ = [
    "SILENT_COLUMNS",
    "SilentConfig",
    "SilentInputs",
    "estimate_silent",
    "load_silent_inputs",
    "silent_customers",
]
