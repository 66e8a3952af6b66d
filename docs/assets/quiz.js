/*
 * The browser quiz for twitterdesign.
 *
 * Reads the question bank that `mkdocs build` exports (docs/hooks.py writes
 * assets/quiz-bank.js and assets/quiz-bank.json from twitterdesign.quiz), asks one
 * question at a time, checks the answer in the browser, explains it, and ends with a score
 * per topic. Plain JavaScript, no network: it works from the built site opened offline.
 * Grading follows twitterdesign.quiz.check_answer: choice answers must match exactly,
 * numbers must fall within the question's relative tolerance, and units are understood
 * ("25k", "1.2 TB", "9.6 Gbps", "1.2 GB/s").
 */
(function () {
  "use strict";

  var root = document.getElementById("quiz-app");
  if (!root) {
    return;
  }

  // ---- units (SI, as the lesson counts) -------------------------------------------
  var SI = { "": 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15, e: 1e18 };
  var BINARY = { ki: 1024, mi: Math.pow(2, 20), gi: Math.pow(2, 30), ti: Math.pow(2, 40), pi: Math.pow(2, 50) };
  var COUNT = {
    "": 1, k: 1e3, thousand: 1e3, m: 1e6, mn: 1e6, million: 1e6,
    b: 1e9, bn: 1e9, billion: 1e9, t: 1e12, trillion: 1e12,
  };
  var NUMBER = /^\s*([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+)\s*([A-Za-z/ ]*?)\s*$/;

  function prefixFactor(p) {
    var lower = (p || "").toLowerCase();
    if (Object.prototype.hasOwnProperty.call(BINARY, lower)) { return BINARY[lower]; }
    if (Object.prototype.hasOwnProperty.call(SI, lower)) { return SI[lower]; }
    return null;
  }

  /** Parse "1.2 TB", "9.6 Gbps", "25k" into {value, dimension}; null if not a quantity. */
  function parseQuantity(text, expected) {
    var match = NUMBER.exec(text);
    if (!match) { return null; }
    var number = parseFloat(match[1].replace(/,/g, ""));
    var unit = match[2].replace(/ /g, "");
    var lower = unit.toLowerCase();
    var m;
    if (unit === "B" && expected !== "count") { return { value: number, dimension: "bytes" }; }
    if (Object.prototype.hasOwnProperty.call(COUNT, lower)) {
      return { value: number * COUNT[lower], dimension: "count" };
    }
    if (lower === "byte" || lower === "bytes") { return { value: number, dimension: "bytes" }; }
    if ((m = /^([kKmMgGtTpPeE]i?)?(bps|bit\/s|bits\/s|b\/s)$/.exec(unit))) {
      var f = prefixFactor(m[1]);
      if (f !== null) { return { value: number * f, dimension: "bits_per_second" }; }
    }
    if ((m = /^([kKmMgGtTpPeE]i?)?(B\/s|Bps|bytes\/s)$/.exec(unit))) {
      var g = prefixFactor(m[1]);
      if (g !== null) { return { value: number * g, dimension: "bytes_per_second" }; }
    }
    if ((m = /^([kKmMgGtTpPeE]i?)(B|bytes?)$/.exec(unit))) {
      var h = prefixFactor(m[1]);
      if (h !== null) { return { value: number * h, dimension: "bytes" }; }
    }
    return null;
  }

  function unitFactor(q) {
    if (!q.unit) { return 1; }
    var one = parseQuantity("1 " + q.unit, q.dimension);
    return one && one.dimension === q.dimension ? one.value : 1;
  }

  /** Return {value} in the question's base unit, {mismatch} for another kind, or null. */
  function readNumber(q, text) {
    var t = text.trim();
    var word = (q.unit || "").trim();
    if (word && unitFactor(q) === 1 && t.toLowerCase().endsWith(word.toLowerCase())) {
      t = t.slice(0, t.length - word.length).trim();
    }
    var quantity = parseQuantity(t, q.dimension);
    if (!quantity) { return null; }
    var bare = /\d$/.test(t);
    if (quantity.dimension === q.dimension || (quantity.dimension === "count" && bare)) {
      return { value: bare ? quantity.value * unitFactor(q) : quantity.value };
    }
    if (quantity.dimension === "bytes_per_second" && q.dimension === "bits_per_second") {
      return { value: quantity.value * 8 };
    }
    if (quantity.dimension === "bits_per_second" && q.dimension === "bytes_per_second") {
      return { value: quantity.value / 8 };
    }
    return { mismatch: quantity.dimension.replace(/_/g, " ") };
  }

  // ---- helpers ---------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "className") { node.className = attrs[key]; }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function letter(i) { return String.fromCharCode(97 + i); }

  // ?seed=N in the address gives the same quiz every time, option order included (with
  // the same topics and count, which the address also carries); without one, a seed is
  // drawn and written into the address when the quiz starts, so it can be shared.
  var params = new URLSearchParams(window.location.search);
  var MAX_SEED = 2147483647;
  var random = Math.random;

  function mulberry32(a) {
    return function () {
      a |= 0; a = (a + 0x6D2B79F5) | 0;
      var t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  function shuffle(list) {
    for (var i = list.length - 1; i > 0; i--) {
      var j = Math.floor(random() * (i + 1));
      var tmp = list[i]; list[i] = list[j]; list[j] = tmp;
    }
    return list;
  }

  function seedFromAddress() {
    var text = params.get("seed");
    return text && /^\d+$/.test(text) && parseInt(text, 10) <= MAX_SEED ? parseInt(text, 10) : null;
  }

  /** The right answer as twitterdesign's Question.answer_text writes it, for this order. */
  function answerText(q) {
    if (q.type === "single" || q.type === "true_false") {
      return letter(q.correct[0]) + ") " + q.options[q.correct[0]];
    }
    if (q.type === "ordering") { return q.correct.map(letter).join(", "); }
    return q.correct.map(function (i) { return letter(i) + ") " + q.options[i]; }).join(", ");
  }

  /**
   * Return a copy of q with its options shuffled and the answer remapped, as
   * Question.shuffled does in Python: True/False and numbers keep their form, and an
   * ordering question is never shown already in the right order.
   */
  function shuffleOptions(q) {
    if (q.type === "numeric" || q.type === "true_false" || q.options.length < 2) { return q; }
    var n = q.options.length;
    var order;
    var correct;
    do {
      order = shuffle(q.options.map(function (_, i) { return i; }));
      var position = [];
      order.forEach(function (old, shown) { position[old] = shown; });
      correct = q.correct.map(function (i) { return position[i]; });
      if (q.type === "multiple") { correct.sort(function (a, b) { return a - b; }); }
    } while (q.type === "ordering" && correct.every(function (c, i) { return c === i; }) && n > 1);
    var copy = {};
    Object.keys(q).forEach(function (key) { copy[key] = q[key]; });
    copy.options = order.map(function (i) { return q.options[i]; });
    copy.correct = correct;
    copy.answer_text = answerText(copy);
    return copy;
  }

  /** Turn a docs-relative link ("explanation/topk.md#x") into a URL from this page. */
  function docsHref(link) {
    var parts = link.split("#");
    var page = parts[0].replace(/(^|\/)index\.md$/, "$1").replace(/\.md$/, "/");
    return "../" + page + (parts[1] ? "#" + parts[1] : "");
  }

  function pct(x) { return Math.round(100 * x) + "%"; }

  // ---- state -----------------------------------------------------------------------
  var bank = null;
  var quiz = [];
  var position = 0;
  var results = [];
  var seed = null;

  function topicTitle(id) {
    for (var i = 0; i < bank.topics.length; i++) {
      if (bank.topics[i].id === id) { return bank.topics[i].title; }
    }
    return id;
  }

  /** How many questions the chosen topics offer (one instance per parametric template). */
  function availableFor(topics) {
    var seen = {};
    return bank.questions.filter(function (q) {
      if (topics.indexOf(q.topic) < 0) { return false; }
      if (!q.template) { return true; }
      if (seen[q.template]) { return false; }
      seen[q.template] = true;
      return true;
    }).length;
  }

  /** Pick `count` questions, topics taking turns; one instance per parametric template. */
  function drawQuiz(topics, count) {
    var pools = {};
    var seenTemplates = {};
    topics.forEach(function (t) { pools[t] = []; });
    shuffle(bank.questions.slice()).forEach(function (q) {
      if (!pools[q.topic]) { return; }
      if (q.template) {
        if (seenTemplates[q.template]) { return; }
        seenTemplates[q.template] = true;
      }
      pools[q.topic].push(q);
    });
    var picked = [];
    while (picked.length < count) {
      shuffle(topics.slice()).forEach(function (t) {
        if (picked.length < count && pools[t].length) { picked.push(pools[t].pop()); }
      });
    }
    return picked.map(shuffleOptions);
  }

  // ---- screens ---------------------------------------------------------------------
  function showSetup() {
    root.textContent = "";
    // novalidate: the page explains a count that is too high in words (see below).
    var form = el("form", { className: "tdq-setup", "aria-labelledby": "tdq-setup-title", novalidate: "" });
    form.appendChild(el("h2", { id: "tdq-setup-title", text: "Choose your quiz" }));
    var wanted = (params.get("topics") || "").split(",").filter(Boolean);
    var topics = el("fieldset", {}, [el("legend", { text: "Topics" })]);
    bank.topics.forEach(function (t) {
      var id = "tdq-topic-" + t.id;
      var box = el("input", { type: "checkbox", id: id, name: "topic", value: t.id });
      box.checked = !wanted.length || wanted.indexOf(t.id) >= 0;
      topics.appendChild(el("div", { className: "tdq-choice" }, [
        box, el("label", { "for": id, text: t.title }),
      ]));
    });
    form.appendChild(topics);
    var count = el("input", {
      type: "number", id: "tdq-count", name: "count", min: "1", value: params.get("count") || "10",
      inputmode: "numeric", "aria-describedby": "tdq-available",
    });
    var available = el("span", { id: "tdq-available", className: "tdq-hint" });
    form.appendChild(el("p", {}, [
      el("label", { "for": "tdq-count", text: "Number of questions " }), count, available,
    ]));
    function chosenTopics() {
      return Array.prototype.filter.call(
        form.querySelectorAll("input[name=topic]"), function (b) { return b.checked; }
      ).map(function (b) { return b.value; });
    }
    function showAvailable() {
      var n = availableFor(chosenTopics());
      count.setAttribute("max", String(Math.max(n, 1)));
      available.textContent = " (" + n + " available for the chosen topics)";
    }
    form.addEventListener("change", showAvailable);
    showAvailable();
    var problem = el("p", { className: "tdq-problem", role: "alert" });
    form.appendChild(problem);
    form.appendChild(el("button", { type: "submit", id: "tdq-start", className: "md-button md-button--primary", text: "Start the quiz" }));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = chosenTopics();
      var n = parseInt(count.value, 10);
      var most = availableFor(chosen);
      if (!chosen.length) { problem.textContent = "Choose at least one topic."; return; }
      if (!(n >= 1)) { problem.textContent = "Ask for at least one question."; return; }
      if (n > most) {
        problem.textContent = "Only " + most + " questions are available for these topics: " +
          "ask for " + most + " or fewer, or choose more topics.";
        return;
      }
      startQuiz(chosen, n);
    });
    root.appendChild(form);
  }

  function startQuiz(chosen, n) {
    var fromAddress = seedFromAddress();
    seed = fromAddress !== null ? fromAddress : Math.floor(Math.random() * MAX_SEED);
    random = mulberry32(seed);
    params.set("seed", String(seed));
    params.set("topics", chosen.join(","));
    params.set("count", String(n));
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + "?" + params.toString() + window.location.hash);
    }
    quiz = drawQuiz(chosen, n);
    position = 0;
    results = [];
    showQuestion();
  }

  function answerControls(q) {
    var box = el("div", { className: "tdq-answer" });
    var name = "tdq-q";
    if (q.type === "numeric") {
      var hint = q.unit ? " (in " + q.unit + "; units such as 25k, 1.2 TB or 9.6 Gbps work)" : "";
      box.appendChild(el("label", { "for": "tdq-number", text: "Your answer" + hint }));
      box.appendChild(el("input", { type: "text", id: "tdq-number", autocomplete: "off", spellcheck: "false" }));
      return box;
    }
    if (q.type === "ordering") {
      box.appendChild(el("p", { className: "tdq-hint", text: "Give each step its position, 1 first." }));
      q.options.forEach(function (text, i) {
        var select = el("select", { id: "tdq-pos-" + i, "data-index": String(i) });
        select.appendChild(el("option", { value: "", text: "–" }));
        for (var p = 1; p <= q.options.length; p++) {
          select.appendChild(el("option", { value: String(p), text: String(p) }));
        }
        box.appendChild(el("div", { className: "tdq-choice" }, [
          select, el("label", { "for": "tdq-pos-" + i, text: letter(i) + ") " + text }),
        ]));
      });
      return box;
    }
    var kind = q.type === "multiple" ? "checkbox" : "radio";
    if (q.type === "multiple") {
      box.appendChild(el("p", { className: "tdq-hint", text: "Choose every right option." }));
    }
    q.options.forEach(function (text, i) {
      var id = "tdq-opt-" + i;
      box.appendChild(el("div", { className: "tdq-choice" }, [
        el("input", { type: kind, id: id, name: name, value: String(i), "data-index": String(i) }),
        el("label", { "for": id, text: letter(i) + ") " + text }),
      ]));
    });
    return box;
  }

  /** Read the controls; return {given, correct} or {problem}. */
  function checkAnswer(q, form) {
    if (q.type === "numeric") {
      var text = form.querySelector("#tdq-number").value;
      // The example must not give the answer away.
      if (!text.trim()) { return { problem: "Type a number, e.g. 12.5" + (q.unit ? " " + q.unit : "") + "." }; }
      var read = readNumber(q, text);
      if (!read) { return { problem: "That is not a number with a unit I know, e.g. 1.2 TB or 25k." }; }
      if (read.mismatch) {
        return { given: text, correct: false, note: "expected " + q.dimension.replace(/_/g, " ") + ", got " + read.mismatch };
      }
      var error = q.value ? Math.abs(read.value - q.value) / Math.abs(q.value) : Math.abs(read.value);
      var ok = error <= q.tolerance + 1e-12;
      return { given: text, correct: ok, note: ok ? "" : "off by " + Number((100 * error).toPrecision(3)) + "%" };
    }
    if (q.type === "ordering") {
      var selects = form.querySelectorAll("select");
      var order = [];
      for (var i = 0; i < selects.length; i++) {
        var p = parseInt(selects[i].value, 10);
        if (!p) { return { problem: "Give every step a position." }; }
        if (order[p - 1] !== undefined) { return { problem: "Use each position once." }; }
        order[p - 1] = i;
      }
      return { given: order.map(letter).join(", "), correct: order.join(",") === q.correct.join(",") };
    }
    var chosen = Array.prototype.filter.call(
      form.querySelectorAll("input[data-index]"), function (b) { return b.checked; }
    ).map(function (b) { return parseInt(b.value, 10); });
    if (!chosen.length) { return { problem: "Choose an option." }; }
    return {
      given: chosen.map(function (i) { return letter(i) + ") " + q.options[i]; }).join("; "),
      correct: chosen.join(",") === q.correct.join(","),
    };
  }

  /** After a check, mark the option(s) chosen and the right one(s), in words and colour. */
  function markOptions(q, form) {
    if (q.type === "numeric") { return; }
    var rows = form.querySelectorAll(".tdq-answer .tdq-choice");
    Array.prototype.forEach.call(rows, function (row, i) {
      var control = row.querySelector("input, select");
      var right = q.type === "ordering" ? null : q.correct.indexOf(i) >= 0;
      var label = row.querySelector("label");
      if (q.type === "ordering") {
        var at = q.correct.indexOf(i) + 1;
        var mine = parseInt(control.value, 10);
        row.className += mine === at ? " tdq-opt-right" : " tdq-opt-wrong";
        label.appendChild(el("span", { className: "tdq-mark", text: mine === at ? " ✓ position " + at : " ✗ belongs at position " + at }));
        return;
      }
      if (control.checked) { row.className += " tdq-opt-chosen"; }
      if (right) { row.className += " tdq-opt-right"; }
      if (control.checked && !right) { row.className += " tdq-opt-wrong"; }
      var words = [];
      if (control.checked) { words.push("your answer"); }
      if (right) { words.push("right answer"); }
      if (words.length) {
        label.appendChild(el("span", { className: "tdq-mark", text: (right ? " ✓ " : " ✗ ") + words.join(", ") }));
      }
    });
  }

  function showQuestion() {
    var q = quiz[position];
    root.textContent = "";
    var score = results.filter(function (r) { return r.correct; }).length;
    root.appendChild(el("p", {
      className: "tdq-progress", id: "tdq-progress",
      text: "Question " + (position + 1) + " of " + quiz.length + " · " + topicTitle(q.topic) +
        " · " + q.difficulty + " · score so far " + score + "/" + results.length +
        " · quiz seed " + seed,
    }));
    var form = el("form", { className: "tdq-question", "data-question-id": q.id, "aria-describedby": "tdq-progress" });
    var fieldset = el("fieldset", {}, [
      el("legend", { className: "tdq-prompt", id: "tdq-prompt", tabindex: "-1", text: q.prompt }),
    ]);
    fieldset.appendChild(answerControls(q));
    form.appendChild(fieldset);
    var problem = el("p", { className: "tdq-problem", id: "tdq-problem", role: "alert" });
    form.appendChild(problem);
    var submit = el("button", { type: "submit", id: "tdq-check", className: "md-button md-button--primary", text: "Check answer" });
    form.appendChild(submit);
    var feedback = el("div", { className: "tdq-feedback", id: "tdq-feedback", role: "status", "aria-live": "polite" });
    form.appendChild(feedback);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submit.disabled) { return; }
      var verdict = checkAnswer(q, form);
      if (verdict.problem) { problem.textContent = verdict.problem; return; }
      problem.textContent = "";
      results.push({ question: q, correct: verdict.correct, given: verdict.given });
      Array.prototype.forEach.call(form.querySelectorAll("input, select"), function (c) { c.disabled = true; });
      markOptions(q, form);
      submit.disabled = true;
      feedback.className = "tdq-feedback " + (verdict.correct ? "tdq-right" : "tdq-wrong");
      feedback.appendChild(el("p", { className: "tdq-verdict", text: verdict.correct
        ? "Right! " + q.answer_text
        : "Not quite. The answer is " + q.answer_text + "." + (verdict.note ? " (" + verdict.note + ")" : "") }));
      feedback.appendChild(el("p", { className: "tdq-explanation", text: q.explanation }));
      feedback.appendChild(el("p", {}, [el("a", { href: docsHref(q.link), text: "Read more in the docs" })]));
      var last = position === quiz.length - 1;
      var next = el("button", { type: "button", id: "tdq-next", className: "md-button", text: last ? "See your score" : "Next question" });
      next.addEventListener("click", function () {
        position += 1;
        if (position < quiz.length) { showQuestion(); } else { showScore(); }
      });
      feedback.appendChild(next);
      next.focus();
    });
    root.appendChild(form);
    var prompt = document.getElementById("tdq-prompt");
    if (prompt) { prompt.focus(); }  // announce the new question to screen readers
  }

  function showScore() {
    root.textContent = "";
    var right = results.filter(function (r) { return r.correct; }).length;
    var heading = el("h2", { id: "tdq-score", tabindex: "-1", text: "You scored " + right + " of " + results.length + " (" + pct(right / results.length) + ")" });
    root.appendChild(heading);
    var table = el("table", { className: "tdq-topics" }, [
      el("caption", { text: "Score per topic" }),
      el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col", text: "Topic" }), el("th", { scope: "col", text: "Right" }), el("th", { scope: "col", text: "Score" }),
      ])]),
    ]);
    var body = el("tbody");
    bank.topics.forEach(function (t) {
      var mine = results.filter(function (r) { return r.question.topic === t.id; });
      if (!mine.length) { return; }
      var ok = mine.filter(function (r) { return r.correct; }).length;
      body.appendChild(el("tr", {}, [
        el("th", { scope: "row", text: t.title }),
        el("td", { text: ok + "/" + mine.length }),
        el("td", { text: pct(ok / mine.length) }),
      ]));
    });
    table.appendChild(body);
    root.appendChild(table);
    var misses = results.filter(function (r) { return !r.correct; });
    if (misses.length) {
      root.appendChild(el("h3", { text: "To review" }));
      var list = el("ul", { className: "tdq-review" });
      misses.forEach(function (r) {
        list.appendChild(el("li", {}, [
          el("span", { text: r.question.prompt + " — " }),
          el("a", { href: docsHref(r.question.link), text: "read more" }),
        ]));
      });
      root.appendChild(list);
    }
    root.appendChild(el("p", { className: "tdq-hint", id: "tdq-seed", text:
      "Quiz seed " + seed + ": this page's address gives the same quiz again, in the same order." }));
    if (misses.length) {
      var retry = el("button", { type: "button", id: "tdq-retry", className: "md-button md-button--primary",
        text: "Retry the " + misses.length + " missed question" + (misses.length === 1 ? "" : "s") });
      retry.addEventListener("click", function () {
        // Same questions, options shuffled again, so the retry tests the idea, not the letter.
        quiz = misses.map(function (r) { return shuffleOptions(r.question); });
        position = 0;
        results = [];
        showQuestion();
      });
      root.appendChild(retry);
    }
    var again = el("button", { type: "button", id: "tdq-again", className: "md-button", text: "Take another quiz" });
    again.addEventListener("click", function () {
      params.delete("seed");  // a new quiz, not this one again
      showSetup();
    });
    root.appendChild(again);
    heading.focus();
  }

  function fail(message) {
    root.textContent = "";
    root.appendChild(el("p", { className: "tdq-problem", role: "alert", text: message }));
  }

  function start(data) {
    if (!data || data.format !== 1 || !data.questions || !data.questions.length) {
      fail("The question bank is missing or in an unknown format; rebuild the docs with mkdocs build.");
      return;
    }
    bank = data;
    showSetup();
  }

  if (window.TWITTERDESIGN_QUIZ_BANK) {
    start(window.TWITTERDESIGN_QUIZ_BANK);
  } else if (window.fetch) {
    fetch(root.getAttribute("data-bank-url"))
      .then(function (r) { return r.json(); })
      .then(start, function () { fail("Could not load the question bank."); });
  } else {
    fail("Could not load the question bank.");
  }

  // Exposed for tests and curious readers: the same unit parsing the page grades with.
  window.twitterdesignQuiz = {
    parseQuantity: parseQuantity, readNumber: readNumber,
    // The quiz being taken, as shown (options in their shuffled order); for tests.
    current: function () { return { seed: seed, questions: quiz }; },
  };
})();
