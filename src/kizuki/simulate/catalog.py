"""Lookup tables built once from the config: pages, help content, search terms, messages.

Generation works on integer codes; this module maps them to text. ``LANGS`` fixes the language
codes: 0 is Japanese, 1 English.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import numpy as np
from numpy.typing import NDArray

from kizuki.simulate.config import SimConfig

__all__ = ["LANGS", "Catalog", "build_catalog"]

LANGS = ("ja", "en")


@dataclass(frozen=True)
class Catalog:
    """Integer-coded views of the config used by the vectorised generators."""

    site_url: str
    stage_names: tuple[str, ...]
    goal_events: tuple[str | None, ...]  # per stage
    page_paths: tuple[str, ...]  # journey pages
    page_titles: tuple[tuple[str, str], ...]  # (ja, en) per journey page
    page_stage: NDArray[np.int16]
    stage_pages: tuple[NDArray[np.int32], ...]  # page codes per stage
    stage_page_p: tuple[NDArray[np.float64], ...]  # their visit probabilities
    stage_mix: NDArray[np.float64]  # established customers' stage probabilities
    intent_names: tuple[str, ...]
    intent_stage: NDArray[np.int16]
    intent_weight: NDArray[np.float64]
    intent_has_content: NDArray[np.bool_]
    content_ids: tuple[str, ...]
    content_intent: NDArray[np.int16]
    intent_content: tuple[NDArray[np.int32], ...]  # content codes per intent
    search_terms: tuple[str, ...]
    search_lang: NDArray[np.int8]
    intent_terms: tuple[tuple[NDArray[np.int32], NDArray[np.int32]], ...]  # (ja, en) per intent
    error_messages: tuple[str, ...]
    n_background_errors: int
    extra_events: tuple[str, ...] = ()  # event names only some configs use (``login``)

    def page_code(self, path: str) -> int:
        """The code of a journey page path."""
        return self.page_paths.index(path)

    def faq_url(self, content: int, lang: int) -> str:
        return f"{self.site_url}/help/{LANGS[lang]}/articles/{self.content_ids[content]}"

    def pick_terms(
        self, rng: np.random.Generator, intent: NDArray[np.int16], lang: NDArray[np.int8]
    ) -> NDArray[np.int32]:
        """A random search term of each (intent, language)."""
        groups = [g for pair in self.intent_terms for g in pair]
        return _pick(rng, groups, intent.astype(np.int64) * 2 + lang)

    def pick_content(
        self, rng: np.random.Generator, intent: NDArray[np.int16]
    ) -> NDArray[np.int32]:
        """A random help article of each intent; -1 where the intent has none."""
        return _pick(rng, list(self.intent_content), intent.astype(np.int64))

    def search_url(self, term: int) -> str:
        lang = LANGS[int(self.search_lang[term])]
        return f"{self.site_url}/help/{lang}/search?q={quote(self.search_terms[term])}"


def build_catalog(cfg: SimConfig) -> Catalog:
    """Turn the config's names into integer codes and lookup arrays."""
    stages = cfg.journey.stages
    paths: list[str] = []
    titles: list[tuple[str, str]] = []
    page_stage: list[int] = []
    stage_pages: list[NDArray[np.int32]] = []
    stage_page_p: list[NDArray[np.float64]] = []
    for s_i, stage in enumerate(stages):
        codes = []
        for page in stage.pages:
            if page.path in paths:  # a page listed under two stages keeps its first code
                codes.append(paths.index(page.path))
                continue
            codes.append(len(paths))
            paths.append(page.path)
            titles.append((page.title_ja, page.title_en))
            page_stage.append(s_i)
        w = np.array([p.weight for p in stage.pages], dtype=np.float64)
        stage_pages.append(np.array(codes, dtype=np.int32))
        stage_page_p.append(w / w.sum())
    stage_names = tuple(s.name for s in stages)
    mix = np.array([cfg.journey.stage_mix.get(n, 0.0) for n in stage_names], dtype=np.float64)

    intents = cfg.intents
    intent_names = tuple(i.name for i in intents)
    content_intent = np.array([intent_names.index(c.intent) for c in cfg.content], dtype=np.int16)
    intent_content = tuple(
        np.flatnonzero(content_intent == i).astype(np.int32) for i in range(len(intents))
    )
    terms: list[str] = []
    term_lang: list[int] = []
    intent_terms = []
    for it in intents:
        per_lang = []
        for lang, words in enumerate((it.search_ja, it.search_en)):
            start = len(terms)
            terms.extend(words)
            term_lang.extend([lang] * len(words))
            per_lang.append(np.arange(start, len(terms), dtype=np.int32))
        intent_terms.append((per_lang[0], per_lang[1]))
    errors = list(cfg.behaviour.error_messages)
    # generic messages join the background pool; a problem that throws one is not told apart
    # by its message
    errors.extend(m for m in cfg.realism.generic_errors.messages if m not in errors)
    n_bg = len(errors)
    for msg in [p.error_message for p in cfg.problems] + [i.error_message for i in cfg.incidents]:
        if msg not in errors:
            errors.append(msg)
    return Catalog(
        site_url=cfg.company.site_url,
        stage_names=stage_names,
        goal_events=tuple(s.goal_event for s in stages),
        page_paths=tuple(paths),
        page_titles=tuple(titles),
        page_stage=np.array(page_stage, dtype=np.int16),
        stage_pages=tuple(stage_pages),
        stage_page_p=tuple(stage_page_p),
        stage_mix=mix / mix.sum(),
        intent_names=intent_names,
        intent_stage=np.array([stage_names.index(i.stage) for i in intents], dtype=np.int16),
        intent_weight=np.array([i.weight for i in intents], dtype=np.float64),
        intent_has_content=np.array([c.size > 0 for c in intent_content], dtype=np.bool_),
        content_ids=tuple(c.id for c in cfg.content),
        content_intent=content_intent,
        intent_content=intent_content,
        search_terms=tuple(terms),
        search_lang=np.array(term_lang, dtype=np.int8),
        intent_terms=tuple(intent_terms),
        error_messages=tuple(errors),
        n_background_errors=n_bg,
        extra_events=("login",) if cfg.realism.identity.mid_session_login_share > 0 else (),
    )


def _pick(
    rng: np.random.Generator, groups: list[NDArray[np.int32]], which: NDArray[np.int64]
) -> NDArray[np.int32]:
    counts = np.array([g.size for g in groups], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    flat = np.concatenate([*groups, np.array([-1], dtype=np.int32)])
    c = counts[which]
    offset = (rng.random(which.size) * c).astype(np.int64)
    idx = np.where(c > 0, starts[which] + offset, flat.size - 1)
    return flat[idx].astype(np.int32)
