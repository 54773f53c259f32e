/* lernmodul package player: an open quiz or exam in the suspend data, compactly.

   An open attempt is {"c": course version, "d": drawn, "r": answers, "t": exam start in
   seconds (exam only), "u": unit index (quiz only)}. "d" holds one string per question: its
   index in the course data, ".", then the option order as base-36 digits (a ":" and
   comma-separated numbers when an index is 36 or more). "r" holds one answer code per
   question: "" for none; a choice, choices, order positions or match pairs as base-36 digits
   ("-": no match); typed text as typed; a cloze as an array of such codes, one per gap.
   `fit` keeps the whole suspend data within the LMS's limit (SCORM 1.2: 4096), counted in
   UTF-8 bytes: it drops typed texts first (the longest first), then the open quiz, then the
   exam's answers, then the open exam (its attempt stays counted). */
(function () {
  "use strict";
  var C = window.LERNMODUL_COURSE;
  var Draws = window.LernmodulDraws;
  var LIMITS = { scorm12: 4096, scorm2004: 64000, cmi5: 64000 };

  function wide(list) { return list.some(function (n) { return n < -1 || n >= 36; }); }
  function digits(list) {
    return wide(list) ? list.slice() : list.map(function (n) { return n < 0 ? "-" : n.toString(36); }).join("");
  }
  function undigits(code) {
    if (Array.isArray(code)) { return code.map(Number); }
    return String(code).split("").map(function (c) { return c === "-" ? -1 : parseInt(c, 36); });
  }

  function drawn(list) {
    return list.map(function (d) {
      return d.q + (wide(d.order) ? ":" + d.order.join(",") : "." + digits(d.order));
    });
  }

  function isPermutation(order, n) {
    if (order.length !== n) { return false; }
    var seen = {};
    return order.every(function (i) { var ok = i >= 0 && i < n && !seen[i]; seen[i] = true; return ok; });
  }

  /* The drawn questions back, or null when they do not fit this package's course. */
  function undrawn(codes) {
    if (!Array.isArray(codes)) { return null; }
    var out = [];
    for (var n = 0; n < codes.length; n++) {
      var m = /^(\d+)([.:])(.*)$/.exec(String(codes[n]));
      var q = m && C.questions[Number(m[1])];
      if (!q) { return null; }
      var order = m[3] === "" ? [] : m[2] === ":" ? m[3].split(",").map(Number) : undigits(m[3]);
      if (q.type === "cloze") {
        var at = 0, ok = q.gaps.every(function (gap) {
          var size = gap.kind === "choice" ? gap.options.length : 0;
          var part = order.slice(at, at + size);
          at += size;
          return isPermutation(part, size);
        });
        if (!ok || at !== order.length) { return null; }
      } else if (!isPermutation(order, Draws.count(q))) { return null; }
      out.push({ q: Number(m[1]), order: order });
    }
    return out;
  }

  function code(q, response) {
    if (response === null || response === undefined) { return ""; }
    if (q.type === "cloze") {
      return response.map(function (v, n) {
        return v === null ? "" : q.gaps[n].kind === "choice" ? digits([v]) : String(v);
      });
    }
    if (q.type === "text" || q.type === "number") { return String(response); }
    return digits(Array.isArray(response) ? response : [response]);
  }

  function uncode(q, value) {
    if (value === "" || value === null || value === undefined) { return null; }
    if (q.type === "cloze") {
      if (!Array.isArray(value) || value.length !== q.gaps.length) { return null; }
      return value.map(function (v, n) {
        if (v === "" || v === null) { return null; }
        return q.gaps[n].kind === "choice" ? undigits(v)[0] : String(v);
      });
    }
    if (q.type === "text" || q.type === "number") { return String(value); }
    var list = undigits(value);
    return q.type === "single" || q.type === "truefalse" ? list[0] : list;
  }

  /* An open attempt as kept in the state. */
  function encode(list, responses, extra) {
    var out = { c: C.version, d: drawn(list), r: list.map(function (d, n) { return code(C.questions[d.q], responses[n]); }) };
    Object.keys(extra || {}).forEach(function (k) { out[k] = extra[k]; });
    return out;
  }

  /* {drawn, responses} of a kept attempt, or null when it is not one of this package. */
  function decode(kept) {
    if (!kept || kept.c !== C.version) { return null; }
    var list = undrawn(kept.d);
    if (!list) { return null; }
    var codes = Array.isArray(kept.r) ? kept.r : [];
    return { drawn: list, responses: list.map(function (d, n) { return uncode(C.questions[d.q], codes[n]); }) };
  }

  function bytes(text) { return new TextEncoder().encode(text).length; }

  /* The places of typed texts in an open attempt: [answer index, gap index or -1, length]. */
  function typed(kept) {
    var out = [];
    (kept.d || []).forEach(function (d, n) {
      var q = C.questions[parseInt(d, 10)], value = kept.r[n];
      if (!q || value === "" || value === undefined) { return; }
      if (q.type === "text" || q.type === "number") { out.push([n, -1, String(value).length]); }
      if (q.type === "cloze" && Array.isArray(value)) {
        value.forEach(function (v, g) { if (q.gaps[g] && q.gaps[g].kind !== "choice" && v) { out.push([n, g, v.length]); } });
      }
    });
    return out.sort(function (a, b) { return b[2] - a[2]; });
  }

  /* The suspend data of `state` within the runtime's limit (see the top of this file). */
  function fit(state, runtime) {
    var text = JSON.stringify(state), limit = LIMITS[runtime] || 64000;
    if (bytes(text) <= limit) { return text; }
    var copy = JSON.parse(text);
    ["p", "x"].forEach(function (key) {
      var kept = copy[key];
      if (!kept) { return; }
      typed(kept).forEach(function (place) {
        if (bytes(JSON.stringify(copy)) <= limit) { return; }
        if (place[1] < 0) { kept.r[place[0]] = ""; } else { kept.r[place[0]][place[1]] = ""; }
        kept.k = 1;  // typed texts were dropped: the player says so on resuming
      });
    });
    if (bytes(JSON.stringify(copy)) > limit) { delete copy.p; }
    if (copy.x && bytes(JSON.stringify(copy)) > limit) { copy.x.r = []; copy.x.k = 1; }
    if (bytes(JSON.stringify(copy)) > limit) { delete copy.x; }
    return JSON.stringify(copy);
  }

  window.LernmodulResume = { encode: encode, decode: decode, fit: fit, bytes: bytes };
}());
