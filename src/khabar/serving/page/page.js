// khabar's page: paste an article (or a claim and an article), see the labels, the abstain
// verdict and the evidence words highlighted in the text; for a multi-label model, every label it
// decides, each bar with its label's threshold, and the evidence of each decided label in turn.
// With `khabar serve --feedback STORE --queue POOL`, a "Label next" mode serves the pool's articles
// one at a time (GET /queue/next, most useful first), an editor clicks the right label (POST
// /queue/label) or skips it (POST /queue/skip), and the next one comes.
// It talks to the server's own /health, /model, /card, /predict and /queue, and never puts text into
// HTML: every string the user or the server gives goes into the page as a text node
// (textContent), so nothing in it can run.
"use strict";

(function () {
  // thresholds: a multi-label model's per-label thresholds (from /model), null for one label per article
  // queue: the queue view's labels and pool size (from /model), null without one; shown: the article on screen
  const state = { task: "topic", labels: [], thresholds: null, busy: false, feedback: false, asked: null,
    queue: null, shown: null, queueBusy: false };

  function $(id) {
    return document.getElementById(id);
  }

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function getJSON(url, options) {
    const response = await fetch(url, options);
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    return { ok: response.ok, status: response.status, body: body };
  }

  function percent(p) {
    return (100 * p).toFixed(p >= 0.995 || p < 0.1 ? 1 : 0) + "%";
  }

  function signed(x) {
    return (x >= 0 ? "+" : "\u2212") + Math.abs(x).toFixed(3);
  }

  function setStatus(text, isError) {
    const status = $("status");
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  // -- start: what kind of model is this? ------------------------------------------------------
  async function init() {
    try {
      const health = await getJSON("health");
      if (!health.ok || !health.body) throw new Error("the server did not answer /health");
      state.task = health.body.task;
      const model = await getJSON("model");
      state.labels = model.ok && model.body && Array.isArray(model.body.labels) ? model.body.labels : [];
      const multi = model.ok && model.body && model.body.multi_label;
      state.thresholds = multi && typeof multi.thresholds === "object" ? multi.thresholds : null;
      state.feedback = Boolean(model.ok && model.body && model.body.feedback) && !state.thresholds;
      const queue = model.ok && model.body ? model.body.queue : null;
      state.queue = queue && Array.isArray(queue.labels) ? queue : null;
      const kind = health.body.kind || "";
      $("model-line").textContent = kind + " " + state.task + " model \u00b7 " + state.labels.length +
        " labels: " + state.labels.join(", ") +
        (state.thresholds ? " \u00b7 multi-label: every label above its own threshold" : "");
      document.body.dataset.task = state.task;
      if (state.thresholds) document.body.dataset.multiLabel = "true";
      if (state.task === "stance") {
        $("claim-field").hidden = false;
        $("claim-title").hidden = false;
        $("text-title").hidden = false;
        $("claim-view").hidden = false;
      }
      const card = await fetch("card");
      $("card-link").hidden = !card.ok;
      $("no-card").hidden = card.ok;
      $("submit").disabled = false;
      $("modes").hidden = !state.queue;
      document.body.dataset.mode = "try";
      if (state.queue && window.location.hash === "#queue") await showMode("queue");
      document.body.dataset.ready = "true";
    } catch (err) {
      $("model-line").textContent = "Cannot reach the model: " + err.message;
      $("model-line").className = "error";
    }
  }

  // -- asking ------------------------------------------------------------------------------------
  async function submit(event) {
    event.preventDefault();
    if (state.busy) return;
    const text = $("text").value;
    const claim = $("claim").value;
    if (!text.trim() || (state.task === "stance" && !claim.trim())) {
      setStatus(state.task === "stance" ? "Give a claim and an article." : "Paste an article first.", true);
      return;
    }
    const request = { text: text, top_k: Math.max(1, state.labels.length), explain: $("explain").checked };
    if (state.task === "stance") request.claim = claim;
    state.busy = true;
    $("submit").disabled = true;
    setStatus("Classifying\u2026", false);
    try {
      const answer = await getJSON("predict", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request),
      });
      if (!answer.ok) {
        const reason = answer.body && answer.body.error ? answer.body.error : "HTTP " + answer.status;
        setStatus(reason, true);
        return;
      }
      render(answer.body.predictions[0], { text: text, claim: claim });
      setStatus("", false);
    } catch (err) {
      setStatus("The request failed: " + err.message, true);
    } finally {
      state.busy = false;
      $("submit").disabled = false;
    }
  }

  // -- showing -------------------------------------------------------------------------------------
  function render(prediction, parts) {
    const decided = Array.isArray(prediction.labels) ? prediction.labels : null;  // a multi-label answer
    if (decided) renderLabelSet(prediction, decided);
    else renderVerdict(prediction);
    renderBars(prediction.top_k, decided);
    const explanation = prediction.explanation;
    $("evidence").hidden = !explanation;
    if (explanation) renderTabs(explanation, parts);
    $("result").hidden = false;
    $("result").dataset.label = prediction.label === null ? "" : prediction.label;
    $("result").dataset.abstained = String(Boolean(prediction.abstained));
    $("result").dataset.labels = JSON.stringify(decided ? decided.map((d) => d.label) : []);
    state.asked = { parts: parts, label: prediction.label };
    renderFeedback();
  }

  // One button per label when the server stores corrections (khabar serve --feedback): a click
  // sends the article, the model's label and the chosen one to POST /feedback.
  function renderFeedback() {
    $("feedback").hidden = !state.feedback;
    if (!state.feedback) return;
    const box = $("feedback-buttons");
    box.textContent = "";
    $("feedback-status").textContent = "";
    state.labels.forEach(function (label) {
      const button = make("button", label === state.asked.label ? "label-button current" : "label-button", label);
      button.type = "button";
      button.dataset.label = label;
      button.addEventListener("click", function () { sendFeedback(label); });
      box.appendChild(button);
    });
  }

  async function sendFeedback(label) {
    const body = { text: state.asked.parts.text, model_label: state.asked.label, label: label };
    if (state.task === "stance") body.claim = state.asked.parts.claim;
    const status = $("feedback-status");
    try {
      const answer = await getJSON("feedback", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      status.textContent = answer.ok ? "Saved: " + label : (answer.body && answer.body.error) || "HTTP " + answer.status;
      status.className = answer.ok ? "" : "error";
      if (answer.ok) $("feedback").dataset.saved = label;
    } catch (err) {
      status.textContent = "The correction was not saved: " + err.message;
      status.className = "error";
    }
  }

  // -- the queue: label the next article ---------------------------------------------------------
  async function showMode(mode) {
    const queue = mode === "queue";
    document.body.dataset.mode = mode;
    $("mode-try").setAttribute("aria-pressed", String(!queue));
    $("mode-queue").setAttribute("aria-pressed", String(queue));
    $("queue").hidden = !queue;
    $("form").hidden = queue;
    if (queue) {
      $("result").hidden = true;
      if (!state.shown) await loadNext();
    }
  }

  function queueStatus(text, isError) {
    $("queue-status").textContent = text;
    $("queue-status").className = isError ? "error" : "";
  }

  function showProgress(progress) {
    if (!progress) return;
    const box = $("queue-progress");
    box.textContent = "(" + progress.labelled + " labelled \u00b7 " + progress.skipped + " skipped \u00b7 " +
      progress.left + " left of " + progress.pool + ")";
    box.dataset.labelled = String(progress.labelled);
    box.dataset.left = String(progress.left);
  }

  function queueError(answer) {
    return answer.body && answer.body.error ? answer.body.error : "HTTP " + answer.status;
  }

  async function loadNext() {
    const view = $("queue");
    view.dataset.state = "loading";
    state.shown = null;
    setQueueBusy(true);
    queueStatus("Finding the next article to label\u2026", false);
    try {
      const answer = await getJSON("queue/next");
      if (!answer.ok) {
        queueStatus(queueError(answer), true);
        view.dataset.state = "error";
        return;
      }
      showProgress(answer.body.progress);
      const article = answer.body.article;
      $("queue-article").hidden = !article;
      $("queue-again").hidden = Boolean(article);
      if (!article) {
        view.dataset.state = "empty";
        view.removeAttribute("data-id");
        queueStatus(answer.body.leased ? "Nothing free to label: " + answer.body.leased +
          " article(s) are with other editors right now; check again in a while." :
          "Every article of the pool is labelled or skipped. Export them: khabar feedback export STORE -o labels.jsonl", false);
        return;
      }
      renderQueueArticle(article);
      queueStatus("", false);
      view.dataset.id = article.id;
      view.dataset.state = "article";
    } catch (err) {
      queueStatus("The queue did not answer: " + err.message, true);
      view.dataset.state = "error";
    } finally {
      setQueueBusy(false);
    }
  }

  function renderQueueArticle(article) {
    state.shown = article;
    const stance = article.text_pair !== undefined && article.text_pair !== null;
    $("queue-claim-title").hidden = !stance;
    $("queue-claim").hidden = !stance;
    $("queue-claim").textContent = stance ? article.text : "";
    $("queue-text").textContent = stance ? article.text_pair : article.text;
    const guess = article.guess || {};
    const guessed = guess.label === null || guess.label === undefined ? "no label (abstained)" : guess.label;
    $("queue-guess").textContent = "The model's guess: " + guessed +
      (typeof guess.probability === "number" ? " \u00b7 " + percent(guess.probability) : "");
    const box = $("queue-buttons");
    box.replaceChildren();
    state.queue.labels.forEach(function (label) {
      const button = make("button", label === guess.label ? "label-button current" : "label-button", label);
      button.type = "button";
      button.dir = "auto";
      button.dataset.label = label;
      button.addEventListener("click", function () { sendQueue("label", { id: article.id, label: label }); });
      box.append(button);
    });
  }

  function setQueueBusy(busy) {
    state.queueBusy = busy;
    for (const button of $("queue-buttons").querySelectorAll("button")) button.disabled = busy;
    $("queue-skip").disabled = busy;
    $("queue-again").disabled = busy;
  }

  // POST queue/label or queue/skip for the article shown, then the next one.
  async function sendQueue(action, body) {
    if (state.queueBusy || !state.shown) return;
    setQueueBusy(true);
    queueStatus(action === "label" ? "Saving\u2026" : "Skipping\u2026", false);
    let saved = false;
    try {
      const answer = await getJSON("queue/" + action, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!answer.ok) {
        queueStatus(queueError(answer), true);
        return;
      }
      showProgress(answer.body.progress);
      saved = true;
    } catch (err) {
      queueStatus("Not saved: " + err.message, true);
    } finally {
      setQueueBusy(false);
    }
    if (saved) await loadNext();
  }

  // A multi-label verdict: every decided label with its probability, or none passing.
  function renderLabelSet(prediction, decided) {
    const verdict = $("verdict");
    verdict.replaceChildren();
    if (!decided.length) {
      const best = prediction.top_k[0];
      verdict.className = "abstained";
      verdict.append(make("span", "label", "No label"),
        document.createTextNode(": none reaches its threshold (most probable "),
        make("bdi", "guess", best.label),
        document.createTextNode(", " + percent(best.probability) + ")."));
      return;
    }
    verdict.className = "";
    verdict.append(document.createTextNode(decided.length > 1 ? "Labels: " : "Label: "));
    decided.forEach(function (entry, i) {
      if (i) verdict.append(document.createTextNode(", "));
      verdict.append(make("bdi", "label", entry.label), document.createTextNode(" \u00b7 " + percent(entry.probability)));
    });
  }

  function renderVerdict(prediction) {
    const verdict = $("verdict");
    verdict.replaceChildren();
    const best = prediction.top_k[0];
    if (prediction.abstained) {
      verdict.className = "abstained";
      verdict.append(make("span", "label", "Abstained"),
        document.createTextNode(": no label is probable enough to trust (best guess "),
        make("bdi", "guess", best.label),
        document.createTextNode(", " + percent(best.probability) + ")."));
    } else {
      verdict.className = "";
      verdict.append(document.createTextNode("Label: "), make("bdi", "label", prediction.label),
        document.createTextNode(" \u00b7 " + percent(prediction.probability)));
    }
  }

  // One bar per label; for a multi-label answer (`decided`), the decided labels stand out and
  // each bar marks its label's threshold.
  function renderBars(topK, decided) {
    const bars = $("bars");
    bars.replaceChildren();
    const chosen = new Set((decided || []).map((d) => d.label));
    for (const entry of topK) {
      const row = make("li", decided && chosen.has(entry.label) ? "chosen" : "");
      const name = make("span", "name", entry.label);
      name.dir = "auto";
      name.title = entry.label;
      const track = make("span", "track");
      const fill = make("span", "fill");
      fill.style.setProperty("--p", String(Math.max(0, Math.min(1, entry.probability))));
      track.append(fill);
      const threshold = decided && state.thresholds ? state.thresholds[entry.label] : undefined;
      if (typeof threshold === "number") {
        const tick = make("span", "tick");
        tick.style.setProperty("--t", String(Math.max(0, Math.min(1, threshold))));
        tick.title = "threshold " + percent(threshold);
        track.append(tick);
        name.title = entry.label + " (threshold " + percent(threshold) + ")";
      }
      row.append(name, track, make("span", "value", percent(entry.probability)));
      bars.append(row);
    }
  }

  // One button per explained label when there are several (a multi-label model explains each
  // label it decides); the first is shown.
  function renderTabs(explanation, parts) {
    const tabs = $("evidence-tabs");
    tabs.replaceChildren();
    const entries = explanation.explained || [];
    tabs.hidden = entries.length < 2;
    entries.forEach(function (entry, i) {
      const button = make("button", "tab", entry.label);
      button.type = "button";
      button.dir = "auto";
      button.setAttribute("aria-pressed", String(i === 0));
      button.addEventListener("click", function () {
        for (const other of tabs.children) other.setAttribute("aria-pressed", String(other === button));
        renderEvidence(explanation, parts, i);
      });
      tabs.append(button);
    });
    renderEvidence(explanation, parts, 0);
  }

  // Offsets count Unicode code points (as Python does); JavaScript strings count UTF-16 units,
  // so the text is cut as an array of code points.
  function written(chars, span) {
    return chars.slice(span.start, span.end).join("");
  }

  function renderEvidence(explanation, parts, index) {
    const entry = explanation.explained[index || 0];
    $("evidence-label").textContent = "for \u201c" + entry.label + "\u201d";
    const chars = { text: Array.from(parts.text), claim: Array.from(parts.claim || "") };
    const strongest = Math.max(1e-12, ...entry.toward.concat(entry.against).map((w) => Math.abs(w.weight)));
    const marks = { text: [], claim: [] };
    for (const [side, words] of [["toward", entry.toward], ["against", entry.against]]) {
      for (const word of words) {
        for (const span of word.spans) {
          if (!marks[word.part]) continue;
          marks[word.part].push({ start: span.start, end: span.end, side: side, word: word,
            strength: Math.abs(word.weight) / strongest });
        }
      }
    }
    highlight($("text-view"), chars.text, marks.text, entry.label);
    if (state.task === "stance") highlight($("claim-view"), chars.claim, marks.claim, entry.label);
    wordList($("toward"), entry.toward, chars);
    wordList($("against"), entry.against, chars);
    const signals = $("signals");
    signals.replaceChildren();
    for (const signal of (entry.signals || []).slice(0, 6)) {
      const value = signal.value === null || signal.value === undefined ? "" : " = " + signal.value;
      signals.append(make("li", "", signal.name + value + " (" + signed(signal.weight) + ")"));
    }
    $("signals-box").hidden = !(entry.signals && entry.signals.length);
    $("method").textContent = "How: " + explanation.method + ".";
  }

  function highlight(container, chars, marks, label) {
    container.replaceChildren();
    marks.sort((a, b) => a.start - b.start || b.end - a.end);
    let at = 0;
    for (const mark of marks) {
      if (mark.start < at || mark.end > chars.length || mark.end <= mark.start) continue;
      if (mark.start > at) container.append(document.createTextNode(chars.slice(at, mark.start).join("")));
      const node = make("mark", mark.side, chars.slice(mark.start, mark.end).join(""));
      node.style.setProperty("--strength", mark.strength.toFixed(3));
      node.title = (mark.side === "toward" ? "toward " : "against ") + label + ": " + signed(mark.word.weight);
      container.append(node);
      at = mark.end;
    }
    if (at < chars.length) container.append(document.createTextNode(chars.slice(at).join("")));
  }

  function wordList(list, words, chars) {
    list.replaceChildren();
    for (const word of words) {
      const item = make("li");
      const source = chars[word.part] || [];
      const shown = word.spans.length ? written(source, word.spans[0]) : word.word;
      const text = make("bdi", "w", shown);
      text.lang = "ar";
      item.append(text, make("span", "weight", signed(word.weight) + (state.task === "stance" ? " \u00b7 " + word.part : "")));
      list.append(item);
    }
    if (!words.length) list.append(make("li", "muted", "none"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("form").addEventListener("submit", submit);
    $("mode-try").addEventListener("click", function () { showMode("try"); });
    $("mode-queue").addEventListener("click", function () { showMode("queue"); });
    $("queue-skip").addEventListener("click", function () {
      if (state.shown) sendQueue("skip", { id: state.shown.id });
    });
    $("queue-again").addEventListener("click", loadNext);
    init();
  });
})();
