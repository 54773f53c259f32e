/* lernmodul package player: questions as accessible form controls, grading in the browser
   (mirrors lernmodul.core.grading), and feedback. Course HTML (stems, options, feedback) is
   the compiler's sanitised HTML; everything else is set as text. */
(function () {
  "use strict";
  var Keys = window.LernmodulKeys;
  var Cloze = window.LernmodulCloze;
  var T = window.LERNMODUL_COURSE.texts;

  function t(key, values) {
    var text = T[key];
    Object.keys(values || {}).forEach(function (k) { text = text.split("{" + k + "}").join(values[k]); });
    return text;
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function html(tag, attrs, markup) { var node = el(tag, attrs); node.innerHTML = markup; return node; }

  function secret(q) {
    if (!q._secret) { q._secret = JSON.parse(Keys.unseal(q.sealed, q.salt + "|key")); }
    return q._secret;
  }

  /* The fields of one question; `order`: shown option indices (choices) or right-hand
     indices (match) in the order of this attempt, a cloze's choices gap after gap. */
  function render(q, order, number, total, prefix) {
    var qid = prefix;
    var described = [qid + "-stem"];
    if (["multiple", "order", "match", "cloze"].indexOf(q.type) >= 0) { described.push(qid + "-hint"); }
    var fs = el("fieldset", { "class": "question question-" + q.type, id: qid, "data-question": q.id,
      "aria-describedby": described.join(" ") });
    fs.appendChild(el("legend", { "class": "question-number" }, t("questionOf", { n: number, total: total })));
    var list;
    if (q.type === "cloze") { Cloze.render(q, order, fs, qid, t); return fs; }
    fs.appendChild(html("div", { "class": "question-stem", id: qid + "-stem" }, q.stem));
    if (q.type === "single" || q.type === "truefalse" || q.type === "multiple") {
      if (q.type === "multiple") { fs.appendChild(el("p", { "class": "field-hint", id: qid + "-hint" }, t("selectAll"))); }
      list = el("ul", { "class": "choices" });
      order.forEach(function (index, n) {
        var li = el("li", { "class": "choice" });
        var input = el("input", { type: q.type === "multiple" ? "checkbox" : "radio", name: qid,
          id: qid + "-" + (n + 1), value: String(index) });
        li.appendChild(input);
        li.appendChild(html("label", { "for": qid + "-" + (n + 1) }, q.options[index].html));
        list.appendChild(li);
      });
      fs.appendChild(list);
    } else if (q.type === "order" || q.type === "match") {
      var isOrder = q.type === "order";
      fs.appendChild(el("p", { "class": "field-hint", id: qid + "-hint" },
        isOrder ? t("orderHint", { count: q.options.length }) : t("matchHint")));
      list = el("ul", { "class": "choices" });
      (isOrder ? order : q.options.map(function (_, i) { return i; })).forEach(function (index, n) {
        var field = qid + "-" + (n + 1);
        var li = el("li", { "class": "choice choice-select" });
        li.appendChild(html("label", { "for": field }, q.options[index].html));
        var select = el("select", { id: field, "data-item": String(index) });
        select.appendChild(el("option", { value: "" }, isOrder ? t("position") : t("choose")));
        if (isOrder) {
          q.options.forEach(function (_, p) { select.appendChild(el("option", { value: String(p + 1) }, String(p + 1))); });
        } else {
          order.forEach(function (right) { select.appendChild(el("option", { value: String(right) }, q.rights[right])); });
        }
        li.appendChild(select);
        list.appendChild(li);
      });
      fs.appendChild(list);
    } else {
      var box = el("div", { "class": "field" });
      box.appendChild(el("label", { "class": "field-label", "for": qid + "-input" }, t("yourAnswer")));
      var attrs = { type: "text", id: qid + "-input", name: qid, maxlength: "500", autocomplete: "off" };
      if (q.type === "number") {
        box.appendChild(el("p", { "class": "field-hint", id: qid + "-hint" }, t("numberHint")));
        attrs.inputmode = "decimal"; attrs["aria-describedby"] = qid + "-hint";
      }
      box.appendChild(el("input", attrs));
      fs.appendChild(box);
    }
    return fs;
  }

  /* The response in the fieldset, or null when nothing (or an incomplete order) is given. */
  function read(q, fs) {
    if (q.type === "cloze") { return Cloze.read(q, fs); }
    if (q.type === "single" || q.type === "truefalse") {
      var checked = fs.querySelector("input:checked");
      return checked ? Number(checked.value) : null;
    }
    if (q.type === "multiple") {
      return Array.prototype.map.call(fs.querySelectorAll("input:checked"), function (i) { return Number(i.value); });
    }
    var selects = Array.prototype.slice.call(fs.querySelectorAll("select"));
    if (q.type === "order") {
      var given = [];
      selects.forEach(function (s) { if (s.value !== "") { given[Number(s.value) - 1] = Number(s.getAttribute("data-item")); } });
      var full = given.filter(function (x) { return x !== undefined; }).length === q.options.length;
      return full ? given : null;
    }
    if (q.type === "match") {
      var pairs = selects.map(function (s) { return s.value === "" ? -1 : Number(s.value); });
      return pairs.some(function (p) { return p >= 0; }) ? pairs : null;
    }
    var value = fs.querySelector("input").value;
    return value.trim() ? value : null;
  }

  /* What is filled in so far, to keep for a resumed attempt: as `read` gives it, except an
     order question: the position chosen per shown item (0: none yet), complete or not. */
  function keep(q, fs) {
    if (q.type !== "order") { return read(q, fs); }
    var positions = Array.prototype.map.call(fs.querySelectorAll("select"), function (s) { return Number(s.value || 0); });
    return positions.some(Boolean) ? positions : null;
  }

  /* Puts what `keep` gave back into the fieldset. */
  function fill(q, fs, response) {
    if (response === null || response === undefined) { return; }
    if (q.type === "cloze") { Cloze.fill(q, fs, response); return; }
    if (q.type === "single" || q.type === "truefalse" || q.type === "multiple") {
      var chosen = q.type === "multiple" ? response : [response];
      Array.prototype.forEach.call(fs.querySelectorAll("input"), function (i) { i.checked = chosen.indexOf(Number(i.value)) >= 0; });
      return;
    }
    var selects = Array.prototype.slice.call(fs.querySelectorAll("select"));
    if (q.type === "order") {
      selects.forEach(function (s, n) { s.value = response[n] ? String(response[n]) : ""; });
    } else if (q.type === "match") {
      selects.forEach(function (s, i) { s.value = response[i] >= 0 ? String(response[i]) : ""; });
    } else { fs.querySelector("input").value = response; }
  }

  function score(q, share, extra) {
    share = Math.min(1, Math.max(0, share));
    var result = { points: Math.round(q.points * share * 1e6) / 1e6, max: q.points,
      correct: Math.abs(share - 1) < 1e-9, feedback: "" };
    Object.keys(extra || {}).forEach(function (k) { result[k] = extra[k]; });
    return result;
  }

  function grade(q, response) {
    var s = secret(q);
    if (response === null || response === undefined) { return score(q, 0); }
    if (q.type === "cloze") { return score(q, Cloze.share(q, s.g, response)); }
    if (q.type === "single" || q.type === "truefalse") { return score(q, s.c.indexOf(response) >= 0 ? 1 : 0); }
    if (q.type === "multiple") {
      var right = response.filter(function (i) { return s.c.indexOf(i) >= 0; }).length;
      var wrong = response.length - right;
      if (q.partial) { return score(q, s.c.length ? (right - wrong) / s.c.length : 0); }
      return score(q, right === s.c.length && wrong === 0 ? 1 : 0);
    }
    if (q.type === "order") {
      var inPlace = response.filter(function (item, pos) { return q.options[item].html === q.options[s.o[pos]].html; }).length;
      return score(q, q.partial ? inPlace / s.o.length : (inPlace === s.o.length ? 1 : 0));
    }
    if (q.type === "match") {
      var ok = response.filter(function (r, i) { return r >= 0 && q.rights[r] === q.rights[s.m[i]]; }).length;
      return score(q, q.partial ? ok / q.options.length : (ok === q.options.length ? 1 : 0));
    }
    var token, found = null;
    if (q.type === "number") {
      var value = Keys.readNumber(response);
      if (value === null) { return score(q, 0); }
      token = Keys.numberToken(value);
      var range = s.n.filter(function (a) { return Math.abs(value - a[0]) <= a[1] + 1e-9; })[0];
      if (range) { return score(q, 1, { feedback: range[2] }); }
    } else {
      token = Keys.normaliseText(response);
      if (!token) { return score(q, 0); }
    }
    var hash = Keys.answerHash(q.salt, token);
    q.hashes.forEach(function (h) { if (!found && h.h === hash) { found = h; } });
    return found ? score(q, 1, { feedback: Keys.unseal(found.f, q.salt + "|" + token) }) : score(q, 0);
  }

  function verdict(sc) { return sc.correct ? t("right") : sc.points > 0 ? t("partly") : t("wrong"); }
  function pts(x) {
    var text = String(Math.round(x * 100) / 100);
    return window.LERNMODUL_COURSE.language.indexOf("de") === 0 ? text.replace(".", ",") : text;
  }

  /* After grading: right or wrong, per-option feedback and the explanation (`reveal`), or
     the learner's own answer and the verdict only (an exam whose key is withheld). */
  function feedback(q, order, response, sc, number, total, prefix, reveal) {
    var s = secret(q);
    var section = el("section", { "class": "feedback " + (sc.correct ? "feedback-right" : "feedback-wrong"),
      "aria-labelledby": prefix + "-fb" });
    var h = el("h3", { id: prefix + "-fb" }, t("questionOf", { n: number, total: total }) + ": " + verdict(sc) + " ");
    h.appendChild(el("span", { "class": "points" }, "(" + t("points", { points: pts(sc.points), max: pts(sc.max) }) + ")"));
    section.appendChild(h);
    if (q.type === "cloze") {
      section.appendChild(Cloze.feedback(q, s.g, response, reveal, t, pts));
    } else { section.appendChild(html("div", { "class": "question-stem" }, q.stem)); }
    if (q.type === "cloze") {
      /* the answers stand in the stem above */
    } else if (q.type === "single" || q.type === "truefalse" || q.type === "multiple") {
      var ul = el("ul", { "class": "feedback-options" });
      order.forEach(function (index) {
        var chosen = response !== null && (q.type === "multiple" ? response.indexOf(index) >= 0 : response === index);
        var isRight = s.c.indexOf(index) >= 0;
        var li = el("li", { "class": ((reveal && isRight) ? "option-correct" : "") + (chosen ? " option-chosen" : "") });
        li.appendChild(html("p", { "class": "option-text" }, q.options[index].html));
        var status = el("p", { "class": "option-status" });
        if (chosen) { status.appendChild(el("strong", {}, t("yourChoice"))); }
        if (reveal) { status.appendChild(document.createTextNode((chosen ? " – " : "") + (isRight ? t("aRight") : t("notRight")))); }
        if (status.childNodes.length) { li.appendChild(status); }
        if (reveal && s.f[index] && (chosen || isRight)) { li.appendChild(html("div", { "class": "option-feedback" }, s.f[index])); }
        ul.appendChild(li);
      });
      section.appendChild(ul);
    } else if (q.type === "order") {
      if (reveal) {
        section.appendChild(el("p", {}, t("rightOrder")));
        var ol = el("ol", { "class": "feedback-options" });
        s.o.forEach(function (i) { ol.appendChild(html("li", {}, q.options[i].html)); });
        section.appendChild(ol);
      }
      if (response === null) { section.appendChild(el("p", {}, t("noAnswer"))); }
    } else if (q.type === "match") {
      var table = el("table", { "class": "feedback-table" });
      var head = el("tr");
      head.appendChild(el("th", { scope: "col" }, t("item")));
      if (reveal) { head.appendChild(el("th", { scope: "col" }, t("rightMatch"))); }
      head.appendChild(el("th", { scope: "col" }, t("yourMatch")));
      var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
      var tbody = el("tbody");
      q.options.forEach(function (o, i) {
        var tr = el("tr");
        tr.appendChild(html("th", { scope: "row" }, o.html));
        if (reveal) { tr.appendChild(html("td", {}, s.r[i])); }
        tr.appendChild(el("td", {}, response && response[i] >= 0 ? q.rights[response[i]] : t("noAnswer")));
        tbody.appendChild(tr);
      });
      table.appendChild(tbody);
      section.appendChild(table);
    } else {
      section.appendChild(el("p", {}, t("yourAnswer") + ": " + (response === null ? t("noAnswer") : response)));
      if (reveal && sc.feedback) { section.appendChild(html("div", { "class": "option-feedback" }, sc.feedback)); }
    }
    if (reveal && s.x) {
      var ex = html("div", { "class": "explanation" }, s.x);
      ex.insertBefore(el("p", { "class": "explanation-title" }, t("explanation")), ex.firstChild);
      section.appendChild(ex);
    }
    return section;
  }

  /* Interaction values for SCORM (only sent when the package was built with interactions). */
  function interaction(q, response, sc) {
    var type = { single: "choice", truefalse: "true-false", multiple: "choice", order: "sequencing",
      match: "matching", number: "numeric", text: "fill-in", cloze: "fill-in" }[q.type];
    if (q.type === "cloze") { response = response === null ? null : Cloze.text(q, response); }
    var text = response === null ? "" : Array.isArray(response) ? response.join(",") : String(response);
    if (q.type === "truefalse" && response !== null) { text = response === 0 ? "true" : "false"; }
    var r2004 = text.replace(/,/g, "[,]");
    if (q.type === "match" && response !== null) {
      r2004 = response.map(function (r, i) { return i + "[.]" + (r < 0 ? "none" : r); }).join("[,]");
    } else if (q.type === "number" || q.type === "text") { r2004 = text.slice(0, 250);
    } else if (q.type === "cloze" && response !== null) {
      // fill-in: at most 10 strings of 250 characters
      r2004 = response.slice(0, 10).map(function (v) { return v.slice(0, 250); }).join("[,]");
    }
    return { id: q.id, type12: type, type2004: type, response12: text.slice(0, 255),
      response2004: r2004, correct: sc.correct, points: q.points };
  }

  window.LernmodulQuestions = { render: render, read: read, keep: keep, fill: fill, grade: grade, feedback: feedback,
    interaction: interaction, t: t, el: el };
}());
