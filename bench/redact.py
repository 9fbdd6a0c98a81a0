"""Benchmark PII redaction on a realistic mix of support text (most strings hold no PII).

Run: ``.venv/bin/python bench/redact.py [--rows 200000] [--seed 7]``. Prints one table: the
mix, rows, seconds and strings per second for :func:`redact_array` (vectorised pre-filter, then
Python per candidate) and for a plain Python loop over :func:`redact_text`, then the same on
parts of the mix: strings the pre-filter skips, strings without PII, strings with PII.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from kizuki.ingest.redact import redact_array, redact_text

# (template, weight): {n} is filled with a number that is not PII, {pii} with PII.
TEMPLATES: list[tuple[str, float]] = [
    ("ログインできません", 0.10),
    ("パスワードを忘れてしまいました。再設定の方法を教えてください。", 0.10),
    ("How do I cancel my subscription?", 0.08),
    ("請求書の宛名を変更したいです", 0.06),
    ("アプリが起動直後に落ちます（iOS 17.4、バージョン v2.14.3）", 0.06),
    ("The export button does nothing since yesterday", 0.06),
    ("返品", 0.06),
    ("料金プラン 比較", 0.06),
    ("注文番号 {n} の配送状況を教えてください", 0.08),
    ("Order #{n} arrived damaged, please advise", 0.05),
    ("2026/11/22 に ¥12,800 が二重に請求されています", 0.05),
    ("とても使いやすいです。サポートの方の対応も丁寧でした。", 0.05),
    ("折り返しのお電話をお願いします。{pii}", 0.04),
    ("Please call me back at {pii}", 0.03),
    ("連絡先: {pii}", 0.04),
    ("カード {pii} の請求について", 0.01),
    ("〒{pii} 東京都千代田区に届けてください", 0.02),
    ("@kizuki_support 障害ですか？ #48213", 0.05),
]
PII = [
    "090-1234-5678",
    "０３－１２３４－５６７８",
    "+1 415 555 0132",
    "taro.yamada@example.co.jp",
    "jo@example.com",
    "4111 1111 1111 1111",
    "123-4567",
]


def make_texts(rows: int, rng: np.random.Generator) -> list[str]:
    """``rows`` support texts drawn from :data:`TEMPLATES` with seeded numbers and PII."""
    weights = np.array([w for _, w in TEMPLATES])
    picks = rng.choice(len(TEMPLATES), size=rows, p=weights / weights.sum())
    numbers = rng.integers(10_000_000, 99_999_999, size=rows)
    pii = rng.choice(len(PII), size=rows)
    return [
        TEMPLATES[t][0].format(n=f"2026-{n}", pii=PII[p])
        for t, n, p in zip(picks, numbers, pii, strict=True)
    ]


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls of ``fn()``, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    """Print the benchmark table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    texts = make_texts(args.rows, rng)
    column = pa.array(texts)
    changed = sum(redact_text(t) != t for t in texts)
    print(f"rows={args.rows} strings with PII={changed / args.rows:.1%} seed={args.seed}")
    print(f"{'method':<28}{'seconds':>10}{'strings/s':>14}")
    for name, fn in [
        ("redact_array (vectorised)", lambda: redact_array(column)),
        ("redact_text loop", lambda: [redact_text(t) for t in texts]),
    ]:
        seconds = timed(fn)
        print(f"{name:<28}{seconds:>10.3f}{args.rows / seconds:>14,.0f}")
    quiet = pa.array([t for t in texts if not any(c.isdigit() or c == "@" for c in t)])
    seconds = timed(lambda: redact_array(quiet))
    print(f"{'  redact_array, no candidates':<28}{seconds:>10.3f}{len(quiet) / seconds:>14,.0f}")
    for label, subset in [
        ("  no-PII strings only", [t for t in texts if redact_text(t) == t]),
        ("  PII strings only", [t for t in texts if redact_text(t) != t]),
    ]:
        seconds = timed(lambda subset=subset: [redact_text(t) for t in subset])
        print(f"{label:<28}{seconds:>10.3f}{len(subset) / seconds:>14,.0f}")


if __name__ == "__main__":
    main()
