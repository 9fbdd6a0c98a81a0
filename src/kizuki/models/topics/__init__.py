"""Topic discovery: group unlabelled inquiry texts into topics with readable labels.

:class:`IntentDiscoverer` (:mod:`~kizuki.models.topics.discoverer`) embeds texts
(:mod:`~kizuki.models.topics.embedding`: MiniLM sentence vectors or LSA over the topic words of
:mod:`~kizuki.models.topics.words`), clusters the unit-length vectors and chooses their number
(:mod:`~kizuki.models.topics.clustering`: consensus of k-means partitions, or Ward / k-means
with k by a BIC-like criterion) and describes each cluster as a :class:`Topic`
(:mod:`~kizuki.models.topics.labels`: a label a person would write, class-based TF-IDF terms
and nearest examples). :meth:`IntentDiscoverer.intent_labels` keeps the topics as intents.
:func:`propose_new_topics` (:mod:`~kizuki.models.topics.proposals`) runs it on the texts that
fit no known intent and words the result as proposals for the intent taxonomy.

Examples
--------
>>> texts = ["reset my password", "forgot password", "password reset link",
...          "refund my order", "order refund please", "refund not received"]
>>> IntentDiscoverer(n_topics=2, embedding="tfidf", random_state=0).fit(texts).labels_.tolist()
[0, 0, 0, 1, 1, 1]
"""

from kizuki.models.topics.discoverer import IntentDiscoverer
from kizuki.models.topics.labels import Topic
from kizuki.models.topics.proposals import TopicProposal, propose_new_topics
from kizuki.models.topics.words import JA_STOP_WORDS, scrub, topic_words

__all__ = [
    "JA_STOP_WORDS",
    "IntentDiscoverer",
    "Topic",
    "TopicProposal",
    "propose_new_topics",
    "scrub",
    "topic_words",
]
