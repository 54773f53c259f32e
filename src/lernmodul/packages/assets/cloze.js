/* lernmodul package player: cloze questions. Each gap is a labelled field inline in the
   stem ("Gap 1 of 3"): a text box for text and number gaps, a drop-down for choice gaps.
   Grading mirrors lernmodul.core.grading.score_cloze: a gap is right or not; partial
   scoring gives the share of right gaps. A response is an array with one entry per gap: the
   typed text, or for a choice gap the index of the chosen option; null where nothing is
   given. */
(function () {
  "use strict";
  var Keys = window.LernmodulKeys;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  /* The stem's sanitised HTML parts with an empty span where each gap stands (the parts
     are only well-formed together, so the markup is set once and the gaps filled after). */
  function stem(q, className) {
    var markup = q.parts.map(function (part, n) {
      return (n ? '<span class="' + className + '" data-gap="' + n + '"></span>' : "") + part;
    }).join("");
    var box = el("div", { "class": "question-stem cloze-stem" });
    box.innerHTML = markup;
    return box;
  }
  function slot(box, n) {
    var span = box.querySelector('[data-gap="' + (n + 1) + '"]');
    span.removeAttribute("data-gap");
    return span;
  }

  /* The choice options of every gap in this attempt's order: `order` lists them gap after
     gap (as lernmodul.core.grading presents a cloze). */
  function choiceOrders(q, order) {
    var out = [], at = 0;
    q.gaps.forEach(function (gap) {
      var count = gap.kind === "choice" ? gap.options.length : 0;
      out.push(order.slice(at, at + count));
      at += count;
    });
    return out;
  }

  function render(q, order, fs, qid, t) {
    fs.appendChild(el("p", { "class": "field-hint", id: qid + "-hint" }, t("clozeHint")));
    var box = stem(q, "cloze-gap");
    box.id = qid + "-stem";
    var orders = choiceOrders(q, order), total = q.gaps.length;
    var numbers = q.gaps.some(function (gap) { return gap.kind === "number"; });
    q.gaps.forEach(function (gap, n) {
      var span = slot(box, n), field = qid + "-g" + (n + 1);
      span.appendChild(el("label", { "class": "visually-hidden", "for": field }, t("gapOf", { n: n + 1, total: total })));
      if (gap.kind === "choice") {
        var select = el("select", { id: field, name: field });
        select.appendChild(el("option", { value: "" }, t("choose")));
        orders[n].forEach(function (index) { select.appendChild(el("option", { value: String(index) }, gap.options[index])); });
        span.appendChild(select);
      } else {
        var attrs = { type: "text", id: field, name: field, size: gap.kind === "number" ? "8" : "16",
          maxlength: "500", autocomplete: "off", spellcheck: "false" };
        if (gap.kind === "number") { attrs.inputmode = "decimal"; attrs["aria-describedby"] = qid + "-number-hint"; }
        span.appendChild(el("input", attrs));
      }
    });
    fs.appendChild(box);
    if (numbers) { fs.appendChild(el("p", { "class": "field-hint", id: qid + "-number-hint" }, t("numberHint"))); }
  }

  function fields(fs) { return Array.prototype.slice.call(fs.querySelectorAll(".cloze-gap input, .cloze-gap select")); }

  function read(q, fs) {
    var given = fields(fs).map(function (field, n) {
      if (q.gaps[n].kind === "choice") { return field.value === "" ? null : Number(field.value); }
      return field.value.trim() ? field.value : null;
    });
    return given.some(function (v) { return v !== null; }) ? given : null;
  }

  function fill(q, fs, response) {
    fields(fs).forEach(function (field, n) {
      var value = response ? response[n] : null;
      field.value = value === null || value === undefined ? "" : String(value);
    });
  }

  function gapRight(q, key, n, value) {
    var gap = q.gaps[n], salt = q.salt + "/g" + (n + 1);
    if (value === null || value === undefined) { return false; }
    if (gap.kind === "choice") { return value === key; }
    if (gap.kind === "number") {
      var number = Keys.readNumber(value);
      if (number === null) { return false; }
      if (key) { return Math.abs(number - key[0]) <= key[1] + 1e-9; }
      return gap.hashes.indexOf(Keys.answerHash(salt, Keys.numberToken(number))) >= 0;
    }
    var token = Keys.normaliseText(value);
    return !!token && gap.hashes.indexOf(Keys.answerHash(salt, token)) >= 0;
  }

  /* Per gap: is the answer right; `keys` is the question's unsealed secret (g). */
  function verdicts(q, keys, response) {
    return q.gaps.map(function (_, n) { return gapRight(q, keys[n], n, response ? response[n] : null); });
  }

  /* The share of the points: all gaps right, or with partial scoring the share right. */
  function share(q, keys, response) {
    var ok = verdicts(q, keys, response).filter(Boolean).length;
    if (!q.gaps.length) { return 0; }
    return q.partial ? ok / q.gaps.length : (ok === q.gaps.length ? 1 : 0);
  }

  function given(q, n, value) {
    if (value === null || value === undefined) { return null; }
    return q.gaps[n].kind === "choice" ? q.gaps[n].options[value] : String(value).trim();
  }

  /* The right answer of a gap as the package knows it: the right choice or the number
     range; typed text and exact numbers exist only as hashes, so none is named for them. */
  function solution(q, key, n, pts) {
    var gap = q.gaps[n];
    if (gap.kind === "choice") { return key >= 0 ? gap.options[key] : null; }
    if (gap.kind === "number" && key) { return pts(key[0]) + " ± " + pts(key[1]); }
    return null;
  }

  /* The stem with the learner's answer in every gap; with `reveal`, right or wrong per gap
     and, where the package knows it, the right answer of a wrong one. */
  function feedback(q, keys, response, reveal, t, pts) {
    var box = stem(q, "cloze-answer"), total = q.gaps.length;
    var ok = verdicts(q, keys, response);
    q.gaps.forEach(function (_, n) {
      var span = slot(box, n), value = given(q, n, response ? response[n] : null);
      if (reveal) { span.className += ok[n] ? " cloze-right" : " cloze-wrong"; }
      span.appendChild(el("span", { "class": "visually-hidden" }, t("gapOf", { n: n + 1, total: total }) + ": "));
      span.appendChild(el("span", { "class": "cloze-given" }, value === null ? t("noAnswer") : value));
      if (reveal) {
        var right = ok[n] ? null : solution(q, keys[n], n, pts);
        span.appendChild(document.createTextNode(" "));
        span.appendChild(el("span", { "class": "cloze-verdict" }, "(" + (ok[n] ? t("right") : t("wrong")) +
          (right === null ? "" : "; " + t("rightAnswer") + " " + right) + ")"));
      }
    });
    return box;
  }

  /* The response as text for a SCORM interaction: the gaps' answers in order. */
  function text(q, response) {
    return q.gaps.map(function (_, n) { var v = given(q, n, response ? response[n] : null); return v === null ? "" : v; });
  }

  window.LernmodulCloze = { render: render, read: read, fill: fill, share: share,
    verdicts: verdicts, feedback: feedback, text: text };
}());
