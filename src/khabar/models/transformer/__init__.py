"""The fine-tuned BERT kind (`kind: transformer`): AraBERT and friends, or a scratch BERT.

`params` (the config sections and their checks), `model` (fit with Hugging Face's Trainer,
prediction, save_pretrained), `encode` (token rows, long-article windows), `trainer` (the Trainer
pieces), `checkpoint` (where a checkpoint comes from), `scratch` (a small BERT from nothing).
Only `params` is imported here: reading a config never imports torch.
"""

from ..registry import Kind
from .params import TransformerParams, TransformerTrain, check_params

#: The Hub organisation that publishes AraBERT (aubmindlab/bert-base-arabertv02, ...-large-..., ...).
ARABERT_PUBLISHER = "aubmindlab/"


def default_preset(params: TransformerParams) -> str:
    """`arabert` for a checkpoint AraBERT's authors published on the Hub (its pretraining text was
    prepared that way, so fine-tuning and prediction should match it), `standard` for anything
    else, local directories included: name the preset in the config for a local AraBERT copy."""
    return "arabert" if params.name_or_path.startswith(ARABERT_PUBLISHER) else "standard"


KIND = Kind(
    name="transformer",
    params=TransformerParams,
    train=TransformerTrain,
    model="khabar.models.transformer.model:TransformerModel",
    check=check_params,
    default_preset=default_preset,
    trusted_types=(),  # weights are safetensors, read without running code
    data_parallel=True,
)
