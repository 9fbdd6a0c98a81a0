"""The texts and intent-model methods of :class:`kizuki.core.Kizuki` (contact reasons, Q3):
the store's texts, its labelled contacts, training an intent model with the automatic model
choice, and the contacts to label next."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from kizuki.errors import ConfigError
from kizuki.progress import ProgressCallback, no_progress

if TYPE_CHECKING:
    from kizuki.models.intents import IntentClassifier
    from kizuki.models.intents.choice import ModelChoice
    from kizuki.settings import Settings
    from kizuki.store import Store

__all__ = ["IntentMethods", "TextSource"]

TextSource = Literal["contacts", "searches"]


class IntentMethods:
    """Methods of :class:`~kizuki.core.Kizuki` over its store's texts and intent labels."""

    store: Store
    settings: Settings

    def texts(self, source: TextSource = "contacts") -> list[str]:
        """The store's non-empty texts of ``source``: contacts (subject and text, redacted at
        ingest) or help-search queries, e.g. to discover topics in."""
        from kizuki.analytics.contact_reasons import contact_texts

        if source == "contacts":
            return [t for t in contact_texts(self.store.table("contacts"))["body"].tolist() if t]
        if source == "searches":
            expr = self.store.table("searches").select("query")
            queries = self.store.to_arrow(expr).to_pandas()
            return [t for t in queries["query"].fillna("").tolist() if t]
        raise ConfigError(f"unknown text source {source!r}; use 'contacts' or 'searches'")

    def labelled_texts(self) -> pd.DataFrame:
        """The store's labelled contacts an intent model can learn from: ``text, intent``
        (intents with at least ``analyze.intents.min_per_intent`` examples)."""
        from kizuki.analytics.contact_reasons import contact_texts, labelled_examples

        contacts = contact_texts(self.store.table("contacts"))
        examples = labelled_examples(contacts, self.settings.analyze.intents)
        return pd.DataFrame(
            {"text": examples["body"].tolist(), "intent": examples["label"].tolist()}
        )

    def train_intent_model(
        self,
        data: pd.DataFrame | None = None,
        *,
        oos_label: str = "out_of_scope",
        model: str | None = None,
        time_budget_s: float | None = None,
    ) -> IntentClassifier:
        """An intent model fitted on ``data`` (``text, intent``; default: the store's labelled
        contacts). ``model``: ``auto`` (by language, size and ``time_budget_s``), ``tfidf`` or
        ``encoder`` (also fine-tunes the packaged sentence encoder; needs ``kizuki[embed]``);
        default ``[analyze.intents] model``. The choice and its reason are in
        :meth:`intent_model_choice`. Raises ConfigError with fewer than two intents."""
        from kizuki.models.intents.choice import build_intent_classifier

        frame = self.labelled_texts() if data is None else data
        if frame["intent"].nunique() < 2:
            raise ConfigError(
                f"need labelled texts of at least two intents; found "
                f"{frame['intent'].nunique()} in {len(frame):,} texts"
            )
        budget = time_budget_s or self.settings.analyze.intents.time_budget_s
        choice = self.intent_model_choice(frame, model, time_budget_s=budget)
        classifier = build_intent_classifier(
            choice,
            time_budget_s=budget,
            oos_label=oos_label,
            n_jobs=-1,
            random_state=self.settings.analyze.seed,
        )
        return classifier.fit(frame["text"], frame["intent"])

    def intent_model_choice(
        self,
        data: pd.DataFrame | None = None,
        model: str | None = None,
        *,
        time_budget_s: float | None = None,
    ) -> ModelChoice:
        """Which intent model :meth:`train_intent_model` trains on ``data`` and why."""
        from kizuki.models.intents.choice import choose_intent_model

        config = self.settings.analyze.intents
        frame = self.labelled_texts() if data is None else data
        return choose_intent_model(
            [str(t) for t in frame["text"].tolist()],
            model or config.model,
            time_budget_s=time_budget_s or config.time_budget_s,
        )

    def label_next(
        self,
        n: int = 50,
        *,
        model: IntentClassifier | str | Path | None = None,
        texts: Sequence[str] | None = None,
        labelled: pd.DataFrame | None = None,
        seed: int | None = None,
        progress: ProgressCallback = no_progress,
    ) -> pd.DataFrame:
        """The ``n`` unlabelled contacts (or ``texts``) whose labels would most improve the intent
        model: :func:`kizuki.models.intents.label_next.label_sheet`, by a ``model`` (fitted or a
        file) or a TF-IDF one trained on ``labelled`` (default: every labelled contact; one
        example counts); below two intents, a cold start. ``seed``: default ``analyze.seed``.

        >>> import kizuki
        >>> kizuki.open("duckdb://").label_next(5, texts=["cannot log in"]).attrs["strategy"]
        'cold_start'
        """
        from kizuki.analytics.contact_reasons import contact_texts
        from kizuki.models.intents import IntentClassifier
        from kizuki.models.intents.label_next import check_batch_size, label_sheet

        check_batch_size(n)  # before the model is trained
        ids = None
        if texts is None:
            contacts = contact_texts(self.store.table("contacts"))
            todo = contacts["label"] == ""
            texts, ids = contacts.loc[todo, "body"].tolist(), contacts.loc[todo, "contact_id"]
            if labelled is None and model is None:
                labelled = contacts.loc[~todo, ["body", "label"]].set_axis(
                    ["text", "intent"], axis=1
                )
        if isinstance(model, str | Path):
            model = IntentClassifier.load(model)
        elif model is None and labelled is not None and labelled["intent"].nunique() >= 2:
            progress(step := f"training the intent model on {len(labelled):,} labels", 0, 1)
            model = self.train_intent_model(labelled, model="tfidf")  # seconds, not minutes
            progress(step, 1, 1)
        seed = self.settings.analyze.seed if seed is None else seed
        sheet = label_sheet(
            texts, n, model, ids=ids, labelled=labelled, seed=seed, progress=progress
        )
        if sheet.attrs["strategy"] == "cold_start" and "contact_id" in sheet:
            self._guess_discovered_topics(sheet)
        return sheet

    def _guess_discovered_topics(self, sheet: pd.DataFrame) -> None:
        """Cold start after ``kizuki analyze``: each contact's discovered topic (its contact
        reason until the team labels) is the sheet's guess, so labelling starts from it."""
        if "result_contact_intents" not in self.store.list_tables():
            return
        table = self.store.table("result_contact_intents")
        table = table.filter(table.source == "topic").select("contact_id", "intent")
        topic_of = dict(self.store.to_arrow(table).to_pandas().itertuples(index=False))
        guesses = sheet["contact_id"].map(topic_of)
        found = guesses.notna()
        sheet.loc[found, "guess"] = guesses[found]
        sheet.loc[found, "why"] = sheet.loc[found, "why"].astype(str) + "; its discovered topic"
