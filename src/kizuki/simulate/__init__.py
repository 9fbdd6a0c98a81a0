"""The demo-company simulator: GA4 and Zendesk exports, canonical files and ground truth.

``load_config`` reads (and validates) a company description, ``simulate_company`` writes a
simulation of it; docs/simulator.md describes both and the files written.
"""

from kizuki.simulate.company import SimResult, simulate_company
from kizuki.simulate.config import SimConfig, load_config

__all__ = ["SimConfig", "SimResult", "load_config", "simulate_company"]
