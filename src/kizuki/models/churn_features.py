"""What the churn model reads from a customer table: its columns, the target, and the words.

- :func:`split_columns` sorts a frame's columns into numeric and categorical ones. Strings that
  all parse as numbers, blanks aside (Telco's ``TotalCharges``), are numeric with NaN for the
  blanks; strings, categories and booleans are categorical; a string column with a different
  value in every row (an e-mail, a name) is ignored, with the reason.
- :func:`binary_target` maps a churn column to 0/1 (Yes/No, True/False, 1/0,
  churned/active…) or says clearly why it cannot; :func:`two_classes` checks a model's labels.
- :func:`as_frame` takes a DataFrame or an array (scikit-learn's checks send arrays).
- :func:`phrase` words one reason in Japanese or English.
- :func:`booster_frame` is a table as LightGBM reads it; :func:`peer_frame` as the logistic
  regression peer reads it.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"plan": ["a", "b", "a"], "total": ["1.5", " ", "3"]})
>>> split_columns(frame).numeric, split_columns(frame).categorical
(['total'], ['plan'])
>>> binary_target(pd.Series(["Yes", "No", "yes"]), "Churn").tolist()
[1, 0, 1]
>>> phrase("high", "en", "tenure", 24.0)
'tenure is high (24)'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from kizuki.errors import ConfigError, SchemaError
from kizuki.i18n import check_language

__all__ = [
    "Columns",
    "ColumnsError",
    "InputError",
    "as_frame",
    "as_text",
    "binary_target",
    "booster_frame",
    "format_value",
    "parse_numbers",
    "peer_frame",
    "phrase",
    "scalar",
    "split_columns",
    "two_classes",
]

# Lower-cased target values, after stripping; anything else must be recoded by the user.
_CHURNED = frozenset(
    {"1", "1.0", "yes", "y", "true", "t", "churn", "churned", "churner", "left", "lost",
     "cancelled", "canceled", "exited", "inactive", "lapsed", "はい", "解約", "退会", "離脱"}
)  # fmt: skip
_STAYED = frozenset(
    {"0", "0.0", "no", "n", "false", "f", "active", "retained", "stayed", "current",
     "existing", "renewed", "いいえ", "継続", "在籍"}
)  # fmt: skip
# Fewer rows than this and "a different value in every row" says little about a column.
_IDENTIFIER_MIN_ROWS = 20

# These few phrases are the only words the model speaks; they belong in the i18n catalogs
# (keys churn.reason.*) once those gain them.
_PHRASES: dict[str, dict[str, str]] = {
    "ja": {
        "high": "{label}が高い（{value}）",
        "low": "{label}が低い（{value}）",
        "equal": "{label}が{value}",
        "category": "{label}が「{value}」",
        "missing": "{label}が未入力",
    },
    "en": {
        "high": "{label} is high ({value})",
        "low": "{label} is low ({value})",
        "equal": "{label} is {value}",
        "category": "{label} = {value}",
        "missing": "{label} is missing",
    },
}


class InputError(ConfigError, ValueError):
    """A ConfigError that scikit-learn's checks also recognise as their ValueError."""


class ColumnsError(SchemaError, ValueError):
    """A SchemaError that scikit-learn's checks also recognise as their ValueError."""


@dataclass(frozen=True)
class Columns:
    """A customer table's columns as the model uses them, in the table's order."""

    numeric: list[str]
    categorical: list[str]
    #: Columns left out, each with the reason.
    ignored: dict[str, str] = field(default_factory=dict)


def as_frame(
    X: Any, names: Sequence[str] | None = None, n_features: int | None = None
) -> pd.DataFrame:
    """``X`` as a DataFrame with str column names; an array gets ``names`` (else x0, x1, …) and
    must have ``n_features`` columns when that is given."""
    from sklearn.utils.validation import check_array

    if isinstance(X, pd.DataFrame):
        if not len(X):
            raise InputError("X has 0 rows; give at least one customer")
        return X.set_axis([str(c) for c in X.columns], axis=1)
    array = check_array(X, dtype=None, ensure_all_finite="allow-nan")
    if n_features is not None and array.shape[1] != n_features:
        raise ColumnsError(
            f"X has {array.shape[1]} features, but ChurnClassifier is expecting {n_features} "
            "features as input."
        )
    columns = [str(c) for c in names] if names is not None else None
    return pd.DataFrame(array, columns=columns or [f"x{i}" for i in range(array.shape[1])])


def parse_numbers(values: pd.Series) -> pd.Series:
    """``values`` as float64: blanks and anything that is not a number become NaN."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    text = values.astype("object").map(lambda v: v.strip() if isinstance(v, str) else v)
    return pd.to_numeric(text.replace("", np.nan), errors="coerce").astype("float64")


def _is_numeric_text(values: pd.Series) -> bool:
    """True when every non-blank value of a string column parses as a number (and one does)."""
    present = values.dropna()
    present = present[present.astype(str).str.strip() != ""]
    if present.empty:
        return False
    return bool(parse_numbers(present).notna().all())


def split_columns(frame: pd.DataFrame) -> Columns:
    """Sort the columns of ``frame`` into numeric and categorical ones.

    Raises
    ------
    SchemaError
        A column holds dates or durations (derive numbers from them, e.g. days since signup).
    """
    numeric: list[str] = []
    categorical: list[str] = []
    ignored: dict[str, str] = {}
    for name in frame.columns:
        values = frame[name]
        kind = values.dtype
        if pd.api.types.is_datetime64_any_dtype(kind) or pd.api.types.is_timedelta64_dtype(kind):
            raise SchemaError(
                f"column {name!r} holds dates or durations ({kind}); give the model numbers "
                "derived from it (e.g. days since signup) or drop it"
            )
        if pd.api.types.is_bool_dtype(kind) or isinstance(kind, pd.CategoricalDtype):
            categorical.append(str(name))
        elif pd.api.types.is_numeric_dtype(kind) or _is_numeric_text(values):
            numeric.append(str(name))
        elif _is_identifier(values):
            ignored[str(name)] = "a different value in every row (an identifier?)"
        else:
            categorical.append(str(name))
    return Columns(numeric, categorical, ignored)


def _is_identifier(values: pd.Series) -> bool:
    """True for a text column with a different value in every one of enough rows."""
    present = values.dropna()
    return len(present) >= _IDENTIFIER_MIN_ROWS and present.nunique() == len(present)


def two_classes(y: Any, n_rows: int) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """The classes of a model's labels ``y`` (one per row, two classes) and ``y`` as 0/1."""
    from sklearn.utils import column_or_1d
    from sklearn.utils.multiclass import check_classification_targets

    y = column_or_1d(y, warn=True)
    if len(y) != n_rows:
        raise InputError(f"X has {n_rows:,} rows but y has {len(y):,} labels; give one per row")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise InputError("y contains NaN or infinity; every customer needs a churn label")
    check_classification_targets(y)
    classes, y01 = np.unique(y, return_inverse=True)
    if len(classes) != 2:
        raise InputError(
            "Only binary classification is supported. ChurnClassifier needs two classes in y "
            f"(churned and stayed); got {len(classes)} class(es): {classes[:5].tolist()}"
        )
    return classes, y01


def binary_target(values: pd.Series, column: str) -> NDArray[np.int8]:
    """The churn column ``values`` as 1 (churned) and 0 (stayed).

    Accepts booleans, 1/0 and the words in ``_CHURNED`` and ``_STAYED`` (any case: Yes/No,
    True/False, churned/active, はい/いいえ…).

    Raises
    ------
    ConfigError
        A value is missing, the column does not hold exactly two values, or which one means
        churn cannot be told; the message names the column and shows the values.
    """
    missing = int(values.isna().sum())
    if missing:
        raise ConfigError(
            f"target column {column!r} has {missing:,} missing value(s); fill or drop those rows"
        )
    text = values.map(lambda v: str(v).strip().lower())
    counts = values.astype(str).str.strip().value_counts()
    shown = ", ".join(f"{v!r} ({n:,})" for v, n in counts.head(6).items())
    distinct = text.nunique()
    if distinct != 2:
        raise ConfigError(
            f"target column {column!r} must hold exactly two values (churned and stayed); "
            f"it holds {distinct}: {shown}{' …' if len(counts) > 6 else ''}"
        )
    churned = text.isin(_CHURNED)
    stayed = text.isin(_STAYED)
    if not (churned | stayed).all() or churned.all() or stayed.all():
        raise ConfigError(
            f"cannot tell which value of target column {column!r} means churn: {shown}; "
            "recode it as 1 (churned) and 0 (stayed), or Yes/No"
        )
    return np.asarray(churned.to_numpy(), dtype=np.int8)


def format_value(value: Any) -> str:
    """A feature value as a reason shows it: 2, 1,234.5, 0.125, Month-to-month."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return str(value)
    number = float(value)
    if math.isfinite(number) and number.is_integer():
        return f"{number:,.0f}"
    if abs(number) >= 100:
        return f"{number:,.1f}"
    return f"{number:.3g}"


def phrase(kind: str, lang: str, label: str, value: Any = None) -> str:
    """One reason in words: ``kind`` is high, low, equal, category or missing."""
    template = _PHRASES[check_language(lang)][kind]
    return template.format(label=label, value=format_value(value))


def peer_frame(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """The used columns of ``frame`` for :func:`logistic_peer`: numbers parsed, categories as
    text with missing ones as ``"(missing)"``."""
    out = {name: parse_numbers(frame[name]) for name in columns.numeric}
    for name in columns.categorical:
        out[name] = as_text(frame[name]).fillna("(missing)")
    return pd.DataFrame(out, index=frame.index)[[c for c in frame.columns if c in out]]


def booster_frame(
    frame: pd.DataFrame, names: list[str], categories: Mapping[str, list[str]]
) -> pd.DataFrame:
    """Columns ``names`` of ``frame`` for LightGBM, named f0, f1, …: those in ``categories``
    as pandas categoricals of those categories (others missing), the rest as float64."""
    out: dict[str, Any] = {}
    for i, name in enumerate(names):
        if name in categories:
            text = as_text(frame[name])
            known = text.where(text.isin(categories[name]))  # unseen ones are missing
            out[f"f{i}"] = pd.Categorical(known.to_numpy(dtype=object), categories[name])
        else:
            out[f"f{i}"] = parse_numbers(frame[name]).to_numpy(dtype=np.float64)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def as_text(values: pd.Series) -> pd.Series:
    """A categorical column's values as str (True → "True"), missing ones as NaN."""
    return values.astype(object).map(lambda v: np.nan if _missing(v) else str(v))


def scalar(value: Any) -> Any:
    """A feature value as a plain Python value, None when missing."""
    if _missing(value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _missing(value: Any) -> bool:
    """True for None, NaN and NaT."""
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))
