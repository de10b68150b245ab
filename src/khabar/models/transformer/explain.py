"""Why a transformer gave its label: integrated gradients on the token embeddings, summed per word.

Integrated gradients (Sundararajan et al., 2017) integrates the gradient of the explained
quantity along the straight line from a baseline input to the real one; the token attributions add
up to the quantity's change from baseline to input (completeness), up to the integration error
Captum reports. Here:

- the quantity is the label's log-probability (log-softmax of the logits), so a word's weight is
  how much it raised or lowered that label's log-probability against all the other labels; for a
  multi-label model, whose labels do not compete, it is the label's own logit (its sigmoid is the
  label's probability), and the labels explained unless told are the ones the model gives the
  article (`Model.decide`; with `runner_up`, also the most probable label left out);
- the baseline is the same token row with every content token replaced by the padding token
  (special tokens and positions kept): "the same input with no words";
- the integral is taken on the word embeddings, with Captum's `IntegratedGradients` over the
  model's `inputs_embeds`. That is what `LayerIntegratedGradients` on the embedding layer
  computes, without the forward hook it installs on the shared embedding module: in `khabar
  serve` other threads predict with the same network at the same time, and the hook would
  rewrite their embeddings too;
- `steps` points (Gauss-Legendre), evaluated in batches of about `BATCH_TOKENS` tokens.

Token rows: the normalized text is tokenized with offsets by the model's fast tokenizer (one
article at a time, the same ids `encode` uses) and assembled with the model's special tokens; a
long article is explained on its head window only (the first `max_length` tokens, the claim whole
for stance), which bounds the cost: words past it get no weight, and `tokens` says how many of
the article's tokens were read. The explained label and its probability are still the model's
own, over all the windows its `long_strategy` reads. Tokens are summed into the words of the normalized text that hold them,
words traced back to the original text through `evidence.aligned_words`; punctuation tokens and
special tokens count as `unassigned`, with the integration error.

Cost: `steps` forward and backward passes of one token row per explained label, against one
forward pass to predict. Measured on a 2-core CPU shared with other test suites (load 6-9,
2026-12-01): the sample's 2-layer, 64-wide BERT (about 105 tokens an article) 0.17 s an article
with one torch thread, 0.7 s with two (prediction: 0.004 s); a BERT-base-sized network (12 layers,
768 wide) on a 510-token window 322 s for one label, about 10 s a step, where one prediction of
the same article took 7.8 s. On a quiet 2-core CPU that is an estimated 1 to 1.5 minutes an
article and label for BERT-base; `steps` trades precision for time linearly.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from typing import Optional, Sequence

import numpy as np

from ...examples import needs_pair
from ..base import Inputs
from ..evidence import aligned_words, in_text_order, label_explanation, word_spans

#: integration points per explained label
STEPS = 32
#: tokens per forward pass when the integration points are evaluated in batches
BATCH_TOKENS = 4096
METHOD = ("integrated gradients (Captum, {steps} steps) of the label's {quantity} on the word embeddings, "
          "from an all-padding baseline; token attributions summed per word; long articles: the head window")


def explain(model, inputs: Inputs, top: Optional[int] = None, runner_up: bool = False,
            targets: Optional[Sequence[Sequence[str]]] = None, steps: int = STEPS) -> list[dict]:
    """`Model.explain` for a `TransformerModel` (see the module docstring)."""
    import torch
    from captum.attr import IntegratedGradients

    inputs = list(inputs)
    normalized, proba, chosen, top = model.explain_plan(inputs, top, runner_up, targets)
    scheme = model.scheme
    net = model.model_.eval()
    device = model.torch_device()
    embed = net.get_input_embeddings()
    use_types = "token_type_ids" in model.tokenizer_.model_input_names
    pad = model.tokenizer_.pad_token_id
    pad = pad if pad is not None else (model.tokenizer_.unk_token_id or 0)
    norm = model.normalize.build()
    pair = needs_pair(model.task)

    def forward(embeddings, mask, types=None):
        extra = {"token_type_ids": types} if types is not None else {}
        logits = net(inputs_embeds=embeddings, attention_mask=mask, **extra).logits.float()
        return scheme.explained_scores(logits)

    integrated = IntegratedGradients(forward)
    out = []
    for i, (raw, done) in enumerate(zip(inputs, normalized)):
        parts = {"claim": (raw[0], done[0]), "text": (raw[1], done[1])} if pair else {"text": (raw, done)}
        ids, types, owners, counts = _token_row(model, parts)
        ids_t = torch.tensor([ids], device=device)
        base_ids = torch.tensor([[pad if owner is not None else t for t, owner in zip(ids, owners)]], device=device)
        mask = torch.ones_like(ids_t)
        args = (mask, torch.tensor([types], device=device)) if use_types else (mask,)
        with torch.no_grad():
            embeddings, baseline = embed(ids_t), embed(base_ids)
            at_input, at_base = forward(embeddings, *args)[0], forward(baseline, *args)[0]
        words = {part: aligned_words(original, norm, text) for part, (original, text) in parts.items()}
        starts = {part: [start for _, start, _, _ in found] for part, found in words.items()}
        spans = word_spans(words)
        explained = []
        for k in chosen[i]:
            attributions = integrated.attribute(
                embeddings, baselines=baseline, target=int(k), additional_forward_args=args, n_steps=steps,
                internal_batch_size=max(1, BATCH_TOKENS // len(ids)))
            per_token = attributions.sum(dim=-1)[0].detach().cpu().numpy().astype(np.float64)
            weights: dict = defaultdict(float)
            assigned = 0.0
            for value, owner in zip(per_token, owners):
                if owner is None:
                    continue
                part, start = owner
                w = bisect_right(starts[part], start) - 1
                found = words[part]
                if w >= 0 and start < found[w][2]:
                    weights[(part, found[w][0])] += float(value)
                    assigned += float(value)
            score, base = float(at_input[k]), float(at_base[k])
            explained.append(label_explanation(model.labels_[k], proba[i, k], score, base, in_text_order(weights, words),
                                               spans, top, unassigned=score - base - assigned))
        best = int(np.argmax(proba[i]))
        out.append({"label": model.labels_[best], "probability": float(proba[i, best]),
                    "method": METHOD.format(steps=steps, quantity=scheme.explained_quantity),
                    "tokens": counts, "explained": explained})
    return out


def _token_row(model, parts: dict) -> tuple[list[int], list[int], list, dict]:
    """One token row as `encode` builds it, with the head window of a long article: (ids, type
    ids, per position None for a special token or (part, start of the token in the normalized
    part), {part: {"explained": tokens read, "total": tokens}})."""
    backend = model.tokenizer_.backend_tokenizer
    backend.no_truncation()
    backend.no_padding()
    template = model.template_
    room = model.params.max_length - template.n_special
    encoded = {part: backend.encode(text, add_special_tokens=False) for part, (_, text) in parts.items()}
    text = encoded["text"]
    claim = encoded.get("claim")
    n_claim = len(claim.ids) if claim is not None else 0
    if claim is not None and n_claim > room - 8:
        n_claim = room // 2  # as encode does: a claim that leaves no room for the article keeps half the row
    budget = room - n_claim
    n_text = min(len(text.ids), budget)
    text_ids = list(text.ids[:n_text])
    owners_text = [("text", text.offsets[j][0]) for j in range(n_text)]
    if claim is not None:
        claim_ids = list(claim.ids[:n_claim])
        ids, types = template.build(claim_ids, text_ids)
        owners = ([None] * len(template.prefix) + [("claim", claim.offsets[j][0]) for j in range(n_claim)]
                  + [None] * len(template.middle) + owners_text + [None] * len(template.suffix))
    else:
        ids, types = template.build(text_ids)
        owners = [None] * len(template.prefix) + owners_text + [None] * len(template.suffix)
    counts = {"text": {"explained": n_text, "total": len(text.ids)}}
    if claim is not None:
        counts = {"claim": {"explained": n_claim, "total": len(claim.ids)}, **counts}
    return ids, types, owners, counts

