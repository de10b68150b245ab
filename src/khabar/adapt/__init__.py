"""Bringing a model to a newsroom's own outlet and taxonomy with few labels.

`suggest` (which articles to label next, most useful first) and `strategies` (how usefulness is
measured). The other two pieces live with what they extend: a prior model as features in
`models/tfidf/prior.py` (`model.prior`), unlabeled articles in the kinds that use them
(`data.unlabeled`, `Kind.unlabeled`), Label Studio exports with the input formats
(data/label_studio.py), corrections on the page with the server (serving/feedback*.py).
bench/outlet_adapt.py measures the loop.
"""
