# Every target sets up .venv on a fresh machine by itself: torch's CPU build first (an unpinned
# torch would pull a multi-GB CUDA build), then khabar with its dev extra.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-slow bench-small demo serve clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# the slow tests, and every property test again with its full number of examples (tests/conftest.py)
test-slow: $(STAMP)
	KHABAR_HYPOTHESIS=full $(BIN)/python -m pytest -q -m "slow or hypothesis"

# Every benchmark in bench/ in its small mode (a few hundred examples each; see bench/_common.py):
# figures and MET / NOT MET lines, then one line per benchmark with its time; fails if one fails.
# Benchmarks whose corpora are absent (no ../shared/data) print `skipped: ...` and pass.
bench-small: $(STAMP)
	$(BIN)/python bench/_run_small.py

# The main job on the embedded sample: train + evaluate (topic and stance), label two new
# articles and a claim/headline pair, explain one label, then compare the runs.
demo: $(STAMP)
	$(BIN)/khabar train configs/sample_topic_tfidf.yaml
	$(BIN)/khabar train configs/sample_stance_tfidf.yaml
	$(BIN)/khabar evaluate experiments/sample_topic_tfidf --data data/sample/topic.jsonl --split test
	$(BIN)/khabar predict experiments/sample_topic_tfidf data/sample/new
	$(BIN)/khabar predict experiments/sample_stance_tfidf \
	  --text "وزارة التربية تعلن تأجيل الامتحانات النهائية أسبوعا" \
	  --pair "الوزارة تنفي ما تداولته مواقع التواصل عن تأجيل الامتحانات وتؤكد أنها في موعدها"
	$(BIN)/khabar explain experiments/sample_topic_tfidf data/sample/new/sports.txt --format text --top 6
	$(BIN)/khabar train configs/sample_topic_multilabel.yaml
	$(BIN)/khabar predict experiments/sample_topic_multilabel \
	  --text "شركة ناشئة في التكنولوجيا المالية تجمع تمويلا بقيمة عشرين مليون دولار من المستثمرين لتطوير تطبيقها للدفع الإلكتروني"
	$(BIN)/khabar compare experiments/

# The HTTP server on 127.0.0.1:8000 with the sample topic model, trained first if there is no run yet.
SERVE_CONFIG ?= sample_topic_tfidf
serve: $(STAMP)
	test -d experiments/$(SERVE_CONFIG) || $(BIN)/khabar train configs/$(SERVE_CONFIG).yaml
	$(BIN)/khabar serve experiments/$(SERVE_CONFIG) --port 8000

clean:
	rm -rf $(VENV) build src/*.egg-info
