/*
 * The estimator page: the lesson's resource estimate, recomputed as you type.
 *
 * The presets, the fields and the constants come from twitterdesign.estimation through
 * assets/estimator-data.js (written by docs/hooks.py on every build). The formulas are
 * those of twitterdesign.estimation.estimate, operation for operation, so the page gives
 * the library's numbers; tests/test_estimator_page.py checks that on random inputs.
 * Plain JavaScript, no network: it works from the built site opened offline.
 */
(function () {
  "use strict";

  var root = document.getElementById("estimator-app");
  var data = window.TWITTERDESIGN_ESTIMATOR;
  if (!root) { return; }
  if (!data) {
    root.textContent = "The estimator's data is missing; rebuild the docs with mkdocs build.";
    return;
  }
  var C = data.constants;

  /** twitterdesign.estimation.estimate, for the fields this page asks for. */
  function estimate(w) {
    var s = C.seconds_per_day;
    var users = w.daily_active_users;
    var tweetsPerDay = users * w.tweets_per_user_per_day;
    var requestsPerDay = users * w.requests_per_user_per_day;
    var viewsPerDay = users * w.tweets_viewed_per_user_per_day;
    var text = w.text_bytes_per_tweet;
    var image = w.image_fraction * w.image_bytes;
    var video = w.video_fraction * w.video_bytes;
    function total(factor) { return text * factor + image * factor + video * factor; }
    var stored = total(tweetsPerDay);
    var perYear = stored * C.days_per_year;
    var capacity = w.requests_per_server_per_second;
    var requestsPerSecond = requestsPerDay / s;
    var peakRequests = requestsPerSecond * w.peak_to_average;
    function servers(exact) { return Math.ceil(exact * (1.0 - 1e-12)); }
    return {
      tweets_per_day: tweetsPerDay,
      requests_per_second: requestsPerSecond,
      peak_requests_per_second: peakRequests,
      storage_bytes_per_day: stored,
      storage_bytes_per_year: perYear,
      storage_bytes_total: perYear * w.retention_years * w.replication_factor,
      incoming_bits_per_second: total(tweetsPerDay * C.bits_per_byte / s),
      outgoing_bits_per_second: total(viewsPerDay * C.bits_per_byte / s),
      servers_at_average_load: servers(requestsPerSecond / capacity),
      servers_at_peak: servers(peakRequests / capacity),
      servers_if_all_requests_in_one_second: servers(requestsPerDay / capacity),
      servers_by_daily_users: servers(users / capacity),
    };
  }

  // ---- formatting (SI, as the lesson counts) -----------------------------------------
  function si(value, unit, prefixes) {
    prefixes = prefixes || ["", "K", "M", "G", "T", "P", "E"];
    var i = 0;
    var v = Math.abs(value);
    while (v >= 1000 && i < prefixes.length - 1) { v /= 1000; i++; }
    var shown = Number((value < 0 ? -v : v).toPrecision(3));
    return shown + " " + prefixes[i] + unit;
  }
  function count(value) { return Math.round(value).toLocaleString("en-US"); }
  // Counts as the command line prints them: 1.5B tweets, 116K/s.
  function many(value) { return si(value, "", ["", "K", "M", "B", "T"]).replace(" ", ""); }

  var OUTPUTS = [
    ["tweets_per_day", "Tweets per day", many],
    ["requests_per_second", "Requests per second (average)", function (v) { return many(v) + "/s"; }],
    ["peak_requests_per_second", "Requests per second (peak)", function (v) { return many(v) + "/s"; }],
    ["storage_bytes_per_day", "New storage per day", function (v) { return si(v, "B"); }],
    ["storage_bytes_per_year", "New storage per year", function (v) { return si(v, "B"); }],
    ["storage_bytes_total", "Kept (years × copies)", function (v) { return si(v, "B"); }],
    ["incoming_bits_per_second", "Incoming bandwidth", function (v) { return si(v, "bps"); }],
    ["outgoing_bits_per_second", "Outgoing bandwidth", function (v) { return si(v, "bps"); }],
    ["servers_at_average_load", "Servers at average load", count],
    ["servers_at_peak", "Servers at peak", count],
    ["servers_if_all_requests_in_one_second", "Servers if all requests came in one second", count],
    ["servers_by_daily_users", "Servers by the daily-users shortcut", count],
  ];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  // ---- the page ----------------------------------------------------------------------
  root.textContent = "";
  var presets = el("p", { "class": "tde-presets" }, [el("span", { text: "Start from a preset: " })]);
  data.presets.forEach(function (preset) {
    var button = el("button", { type: "button", "class": "md-button", "data-preset": preset.name,
      title: preset.title, text: preset.name });
    button.addEventListener("click", function () { load(preset); });
    presets.appendChild(button);
  });
  root.appendChild(presets);

  var problem = el("p", { "class": "tde-problem", role: "alert", id: "tde-problem" });
  root.appendChild(problem);
  var table = el("table", { "class": "tde-results", "aria-live": "polite" }, [
    el("caption", { text: "Results" }),
  ]);
  var body = el("tbody");
  var cells = {};
  OUTPUTS.forEach(function (out) {
    var cell = el("td", { id: "tde-out-" + out[0], "data-name": out[0] });
    cells[out[0]] = cell;
    body.appendChild(el("tr", {}, [el("th", { scope: "row", text: out[1] }), cell]));
  });
  table.appendChild(body);
  root.appendChild(table);

  var form = el("form", { "class": "tde-inputs", "aria-label": "Assumptions" });
  var inputs = {};
  data.fields.forEach(function (field) {
    var id = "tde-" + field.name;
    var input = el("input", { type: "number", id: id, name: field.name, min: "0", step: "any",
      inputmode: "decimal" });
    inputs[field.name] = input;
    form.appendChild(el("p", { "class": "tde-field" }, [
      el("label", { "for": id, text: field.label + " (" + field.unit + ")" }), input,
    ]));
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("input", update);
  root.appendChild(form);

  function read() {
    var w = {};
    var bad = [];
    data.fields.forEach(function (field) {
      var value = inputs[field.name].valueAsNumber;
      if (!isFinite(value) || value < 0) { bad.push(field.label); }
      w[field.name] = value;
    });
    if (bad.length) { return { problem: "Enter a number of at least 0 for: " + bad.join(", ") + "." }; }
    if (w.image_fraction > 1 || w.video_fraction > 1 || w.image_fraction + w.video_fraction > 1 + 1e-12) {
      return { problem: "A tweet carries at most one kind of media: the image and video shares must add up to at most 1." };
    }
    if (!(w.requests_per_server_per_second > 0)) {
      return { problem: "A server must handle more than 0 requests per second." };
    }
    if (w.peak_to_average < 1) { return { problem: "The peak factor is at least 1 (the peak is never below the average)." }; }
    if (w.replication_factor < 1) { return { problem: "Keep at least 1 copy." }; }
    return { workload: w };
  }

  function update() {
    var got = read();
    problem.textContent = got.problem || "";
    OUTPUTS.forEach(function (out) {
      var cell = cells[out[0]];
      if (got.problem) { cell.textContent = "—"; cell.removeAttribute("data-value"); }
    });
    if (got.problem) { return; }
    var result = estimate(got.workload);
    OUTPUTS.forEach(function (out) {
      var cell = cells[out[0]];
      cell.textContent = out[2](result[out[0]]);
      cell.setAttribute("data-value", String(result[out[0]]));
    });
  }

  function load(preset) {
    data.fields.forEach(function (field) {
      inputs[field.name].value = String(preset.workload[field.name]);
    });
    update();
  }

  load(data.presets[0]);
  // Exposed for tests and curious readers: the formulas the page computes with.
  window.twitterdesignEstimator = { estimate: estimate };
})();
