"""khabar.models.transformer.params and the kind's declarations: the checks a dataclass cannot
express, and the normalization preset a checkpoint gets by default."""

from __future__ import annotations

import pytest

from khabar.errors import KhabarError
from khabar.models.transformer import default_preset
from khabar.models.transformer.params import ScratchParams, TransformerParams, check_params


@pytest.mark.parametrize("params, message", [
    (TransformerParams(max_length=64, long_strategy="head_tail", head_tokens=64), r"c\.yaml: model\.head_tokens: 64 leaves no room"),
    (TransformerParams(max_length=64, long_strategy="chunks", chunk_stride=40), r"model\.chunk_stride: the overlap .* \(40\)"),
    (TransformerParams(name_or_path="scratch", scratch=ScratchParams(hidden=64, heads=3)), r"model\.scratch\.hidden: 64 must be a multiple of heads \(3\)"),
    (TransformerParams(name_or_path="scratch", max_length=512, scratch=ScratchParams(max_position_embeddings=128)),
     r"model\.max_length: 512 exceeds scratch\.max_position_embeddings \(128\)"),
])
def test_param_checks(params, message):
    with pytest.raises(KhabarError, match=message):
        check_params(params, "c.yaml: model")


def test_settings_that_pass():
    check_params(TransformerParams())
    check_params(TransformerParams(max_length=64, long_strategy="head_tail", head_tokens=59))
    check_params(TransformerParams(max_length=64, long_strategy="chunks", chunk_stride=32))
    check_params(TransformerParams(max_length=64, long_strategy="head", head_tokens=500))  # unused by head
    check_params(TransformerParams(name_or_path="aubmindlab/x", scratch=ScratchParams(hidden=64, heads=3)))  # not scratch


@pytest.mark.parametrize("name, preset", [
    ("aubmindlab/bert-base-arabertv02", "arabert"), ("aubmindlab/bert-large-arabertv2", "arabert"),
    ("CAMeL-Lab/bert-base-arabic-camelbert-mix", "standard"), ("scratch", "standard"),
    ("./models/aubmindlab-copy", "standard"),  # a local copy names its preset in the config
])
def test_default_preset_follows_the_publisher(name, preset):
    assert default_preset(TransformerParams(name_or_path=name)) == preset
