"""Proactive outreach (issue 23, docs/outreach.md): whom to contact before they leave, why,
with what, and delivering the queue.

- :mod:`kizuki.outreach.queue`: triggers, expected value saved, suppression, the ranked queue;
- :mod:`kizuki.outreach.messages`: message templates in polite Japanese and English;
- :mod:`kizuki.outreach.webhook`: HMAC-signed delivery with retries and idempotency keys.
"""

from kizuki.outreach.queue import CAUSES, QUEUE_COLUMNS, OutreachConfig, outreach_queue

__all__ = ["CAUSES", "QUEUE_COLUMNS", "OutreachConfig", "outreach_queue"]
