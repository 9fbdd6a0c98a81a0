"""Fine-tuning helpers: the class-mean (prototype) head initialisation, computed by hand.

The training loop itself is exercised through FineTunedEncoderClassifier
(test_encoder_classifier.py: learning, time budget, prototype head, seeds).
"""

from __future__ import annotations

import numpy as np

from kizuki.models.encoder.training import prototype_weights


def test_prototype_weights_are_scaled_unit_class_means() -> None:
    pooled = np.array([[2.0, 0.0], [4.0, 0.0], [0.0, 3.0]], dtype=np.float32)
    y_index = np.array([0, 0, 1])
    weights = prototype_weights(pooled, y_index, n_classes=2)
    # class means (3, 0) and (0, 3) -> unit rows; mean pooled norm is 3, so the scale is 10/3
    np.testing.assert_allclose(weights, [[10 / 3, 0.0], [0.0, 10 / 3]], rtol=1e-6)
    assert weights.dtype == np.float32
