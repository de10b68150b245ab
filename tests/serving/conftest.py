"""Fixtures of the serving tests: a fake model whose probabilities come from keyword counts."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from waiting import HANG

from khabar.models.base import Model

TOPIC_LABELS = ["finance", "politics", "sports"]
STANCE_LABELS = ["agree", "disagree", "discuss", "unrelated"]
KEYWORDS = {"finance": "بورصة", "politics": "حكومة", "sports": "مباراة"}


class FakeModel(Model):
    """Deterministic probabilities from keyword counts; records every predict_proba call.

    `gate`, when set, makes the first call wait until the test opens it, so that requests
    arriving meanwhile pile up in the micro-batcher's queue; `entered` is set when a call starts.
    """

    kind = "fake"

    def __init__(self, task: str = "topic"):
        super().__init__(task, params=None, train=None, normalize=None)
        self.labels_ = list(TOPIC_LABELS if task == "topic" else STANCE_LABELS)
        self.data_fingerprint_ = "fake"
        self.calls: list[int] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.metrics_ = {"test/accuracy": 0.9}

    def predict_proba(self, inputs):
        self.calls.append(len(inputs))
        self.entered.set()
        if self.gate is not None and len(self.calls) == 1:
            assert self.gate.wait(HANG)
        rows = []
        for item in inputs:
            if self.task == "topic":
                assert isinstance(item, str), "topic model got a pair"
                scores = [item.count(KEYWORDS[lab]) for lab in self.labels_]
            else:
                claim, text = item
                shared = len(set(claim.split()) & set(text.split()))
                scores = [shared, int("لا" in text.split()), 0.5, 1.0 / (1 + shared)]
            rows.append(np.exp(scores) / np.exp(scores).sum())
        return np.array(rows)

    def fit(self, train, dev=None):
        return self

    def save_weights(self, directory):
        pass

    @classmethod
    def load_weights(cls, directory, manifest):
        raise NotImplementedError


@pytest.fixture
def topic():
    return FakeModel("topic")


@pytest.fixture
def stance():
    return FakeModel("stance")
