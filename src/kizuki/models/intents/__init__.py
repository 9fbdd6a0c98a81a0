"""Intent classification of inquiry texts (ja/en), with calibrated confidence and out-of-scope.

:class:`IntentClassifier` (:mod:`~kizuki.models.intents.classifier`) learns contact reasons
from labelled texts: TF-IDF features (:mod:`~kizuki.models.intents.features`), a calibrated
linear SVM, an out-of-scope threshold (:mod:`~kizuki.models.intents.threshold`), an optional
second opinion averaged in (:mod:`~kizuki.models.intents.second_opinion`), and a saved-model
file (:mod:`~kizuki.models.intents.model_file`). The topic discoverer of
:mod:`kizuki.models.topics` is reachable from here too.

Examples
--------
>>> texts = ["ログインできない", "パスワードを忘れた", "cannot log in", "forgot my password"] * 6
>>> labels = ["login", "password", "login", "password"] * 6
>>> model = IntentClassifier(oos_threshold=None).fit(texts, labels)
>>> model.predict(["ログインできません"]).tolist()
['login']
"""

from kizuki.models.intents.classifier import IntentClassifier

# Files saved before this package was split pickle their character preprocessor by this name.
from kizuki.models.intents.features import char_text as _char_text  # noqa: F401
from kizuki.models.intents.second_opinion import ENCODER_WEIGHTS
from kizuki.models.topics import IntentDiscoverer, propose_new_topics

__all__ = ["ENCODER_WEIGHTS", "IntentClassifier", "IntentDiscoverer", "propose_new_topics"]
