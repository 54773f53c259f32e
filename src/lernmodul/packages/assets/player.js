/* lernmodul package player: views, progress, quizzes and the exam, state for resuming.
   One page, one view at a time (#start, #unit-ID, #quiz-ID, #exam); keyboard and screen
   reader friendly; nothing is loaded from outside the package. */
(function () {
  "use strict";
  var C = window.LERNMODUL_COURSE;
  var Q = window.LernmodulQuestions;
  var Draws = window.LernmodulDraws, Resume = window.LernmodulResume;
  var t = Q.t, el = Q.el;
  var byId = {};
  C.questions.forEach(function (q, i) { byId[q.id] = i; });
  var sco = (/[?&]sco=([^&]+)/.exec(window.location.search) || [])[1] || "";
  var scopeUnits = C.units.filter(function (u) { return !sco || sco === "unit-" + u.id; });
  var examInScope = C.exam && (!sco || sco === "exam");
  // e: started, graded, passed, share, points, max; x, p: the open exam and quiz (resume.js)
  var state = { v: 1, r: [], q: {}, e: [0, 0, 0, 0, 0, 0] };
  var runtime = window.LernmodulRuntime.connect(C.runtime);
  var interactions = 0, finished = false, timer = null;

  function unitIndex(u) { return C.units.indexOf(u); }
  function isRead(u) { return state.r.indexOf(unitIndex(u)) >= 0; }
  function quizState(u) { return state.q[unitIndex(u)] || [0, 0]; }
  function unitComplete(u) { return isRead(u) && (!u.quiz || quizState(u)[0] === 1); }
  function examRequired() { return !!C.exam && C.completion.exam === "required" && examInScope; }
  function unitsDone() {
    return C.completion.units !== "all" || scopeUnits.every(unitComplete);
  }
  function examOpen() { return !!C.exam && (sco === "exam" || unitsDone()); }
  function attemptsLeft() {
    return C.exam.maxAttempts ? Math.max(0, C.exam.maxAttempts - state.e[0]) : Infinity;
  }

  function report() {
    var done = scopeUnits.filter(unitComplete).length;
    var graded = examInScope && state.e[1] > 0;
    var examPassed = state.e[2] === 1;
    var steps = scopeUnits.length + (examRequired() ? 1 : 0);
    var passed = null, score = null, points = 0, max = 0;
    if (graded) {
      passed = examPassed; score = state.e[3]; points = state.e[4]; max = state.e[5];
    } else if (sco && scopeUnits.length === 1 && scopeUnits[0].quiz && quizState(scopeUnits[0])[1] !== null &&
               state.q[unitIndex(scopeUnits[0])]) {
      passed = quizState(scopeUnits[0])[0] === 1; score = quizState(scopeUnits[0])[1]; points = score; max = 1;
    }
    var units = sco === "exam" ? true : unitsDone();
    var complete = units && (!examRequired() || examPassed);
    if (sco === "exam") { complete = graded; }
    return {
      suspend: Resume.fit(state, C.runtime), location: currentView(),
      complete: complete, passed: passed, score: score, points: points, maxPoints: max || 1,
      progress: steps ? (done + (examRequired() && examPassed ? 1 : 0)) / steps : 1,
      unitsDone: units, examScore: graded ? state.e[3] : null, examPassed: examPassed,
      examGraded: state.e[1]
    };
  }

  function save() {
    if (finished) { return; }
    try { runtime.save(report()); } catch (e) { message(t("lmsError", { error: String(e) })); }
    var code = runtime.error();
    if (code) { message(t("lmsError", { error: code })); }
    refresh();
  }

  function message(text) {
    var box = document.getElementById("lm-messages");
    box.textContent = "";
    if (text) { box.appendChild(el("p", { "class": "message message-info" }, text)); }
  }

  /* --- a quiz or exam form --------------------------------------------------------- */
  /* `responses`: answers to fill in (a resumed attempt); `onChange(kept, final)`: what is
     filled in, on every input (final: a field was left or a choice made). */
  function attemptForm(container, drawn, prefix, onGraded, submitLabel, responses, onChange) {
    var form = el("form", { novalidate: "novalidate" });
    drawn.forEach(function (d, n) {
      var fs = Q.render(C.questions[d.q], d.order, n + 1, drawn.length, prefix + "-" + (n + 1));
      if (responses) { Q.fill(C.questions[d.q], fs, responses[n]); }
      form.appendChild(fs);
    });
    var button = el("button", { type: "submit", "class": "button" }, submitLabel || t("submit"));
    form.appendChild(button);
    function kept() {
      var fields = form.querySelectorAll("fieldset");
      return drawn.map(function (d, n) { return Q.keep(C.questions[d.q], fields[n]); });
    }
    if (onChange) {
      form.addEventListener("input", function () { onChange(kept(), false); });
      form.addEventListener("change", function () { onChange(kept(), true); });
    }
    function submit(event) {
      if (event) { event.preventDefault(); }
      var fields = form.querySelectorAll("fieldset");
      var results = drawn.map(function (d, n) {
        var q = C.questions[d.q], response = Q.read(q, fields[n]);
        return { d: d, q: q, response: response, score: Q.grade(q, response) };
      });
      container.textContent = "";
      onGraded(results);
    }
    form.addEventListener("submit", submit);
    container.appendChild(form);
    return submit;
  }

  /* Keeps what is filled in in the open attempt `key` ("p": quiz, "x": exam). */
  function keeper(key, drawn) {
    return function (responses, final) {
      if (!state[key]) { return; }
      state[key].r = Resume.encode(drawn, responses).r;
      if (final) { save(); }
    };
  }

  /* An open attempt from the state, or null; says so when typed texts had to be dropped. */
  function reopen(key) {
    var open = Resume.decode(state[key]);
    if (open && key === "x" && typeof state.x.t !== "number") { open = null; }
    if (!open) { delete state[key]; return null; }
    if (state[key].k) { delete state[key].k; message(t("typedDropped")); }
    return open;
  }

  function resultBox(results, passMark) {
    var points = 0, max = 0;
    results.forEach(function (r) { points += r.score.points; max += r.score.max; });
    points = Math.round(points * 1e6) / 1e6;
    var share = max ? points / max : 0;
    return { points: points, max: max, share: share, passed: max > 0 && share + 1e-9 >= passMark };
  }

  function showResult(container, sum, headingId) {
    var h = el("h2", { id: headingId, tabindex: "-1", "class": "lm-result" },
      (sum.passed ? t("passed") : t("failed")) + " " +
      t("result", { points: sum.points, max: sum.max, percent: Math.round(sum.share * 100) }));
    container.appendChild(h);
    return h;
  }

  function startQuiz(u) {
    var box = document.getElementById("lm-quiz");
    box.textContent = "";
    document.getElementById("lm-quiz-title").textContent = t("quizOf", { title: u.title });
    var open = state.p && state.p.u === unitIndex(u) ? reopen("p") : null;
    if (!open) {
      open = { drawn: Draws.quiz(u), responses: null };
      state.p = Resume.encode(open.drawn, [], { u: unitIndex(u) });
      save();
    }
    attemptForm(box, open.drawn, "quiz", function (results) {
      delete state.p;
      var sum = resultBox(results, u.quiz.passMark);
      var prev = quizState(u);
      // two decimals: the state stays under SCORM 1.2's 4096 characters up to 200 units
      state.q[unitIndex(u)] = [prev[0] === 1 || sum.passed ? 1 : 0, Math.max(prev[1], Math.round(sum.share * 100) / 100)];
      var heading = showResult(box, sum, "lm-quiz-result");
      results.forEach(function (r, n) {
        box.appendChild(Q.feedback(r.q, r.d.order, r.response, r.score, n + 1, results.length, "quizfb-" + (n + 1), true));
      });
      box.appendChild(el("p")).appendChild(el("a", { href: "#unit-" + u.id }, t("back")));
      save();
      heading.focus();
    }, null, open.responses, keeper("p", open.drawn));
  }

  /* The exam: the open attempt if there is one (a started attempt is never drawn anew),
     else a new attempt, counted as soon as it is drawn. */
  function startExam() {
    var box = document.getElementById("lm-exam");
    box.textContent = "";
    var open = state.x ? reopen("x") : null;
    if (!open) {
      if (!examOpen() || attemptsLeft() === 0 || state.e[2] === 1) { renderExamEntry(); return false; }
      state.e[0] += 1;
      open = { drawn: Draws.exam(), responses: null };
      state.x = Resume.encode(open.drawn, [], { t: Math.floor(Date.now() / 1000) });
      save();
    }
    var timerBox = null;
    var submit = attemptForm(box, open.drawn, "exam", function (results) {
      if (timer) { window.clearInterval(timer); timer = null; }
      if (timerBox && timerBox.parentNode) { timerBox.parentNode.removeChild(timerBox); }
      delete state.x;
      var sum = resultBox(results, C.exam.passMark);
      state.e = [state.e[0], state.e[1] + 1, sum.passed ? 1 : 0, Math.round(sum.share * 10000) / 10000, sum.points, sum.max];
      if (C.interactions) {
        results.forEach(function (r) { runtime.interaction(interactions++, Q.interaction(r.q, r.response, r.score)); });
      }
      var heading = showResult(box, sum, "lm-exam-result");
      var reveal = C.exam.review === "always" || (C.exam.review === "after_pass" && sum.passed);
      if (C.exam.review !== "never") {
        results.forEach(function (r, n) {
          box.appendChild(Q.feedback(r.q, r.d.order, r.response, r.score, n + 1, results.length, "examfb-" + (n + 1), reveal));
        });
      }
      box.appendChild(el("p")).appendChild(el("a", { href: "#start" }, t("backOverview")));
      save();
      heading.focus();
    }, null, open.responses, keeper("x", open.drawn));
    if (C.exam.timeLimit) {
      // from the attempt's start, also across sessions: relaunching gives no extra time
      var ends = state.x.t * 1000 + C.exam.timeLimit * 60000;
      timerBox = el("p", { "class": "lm-timer", role: "timer" });
      box.insertBefore(timerBox, box.firstChild);
      var tick = function () {
        var left = ends - Date.now();
        timerBox.textContent = t("timeLeft", { minutes: Math.max(0, Math.ceil(left / 60000)) });
        if (left <= 0) { window.clearInterval(timer); timer = null; submit(); message(t("timeUp")); }
      };
      timer = window.setInterval(tick, 1000);
      tick();
    }
    return true;
  }

  /* --- views ------------------------------------------------------------------------ */
  var view = "start", lastUnitView = "start";
  /* Where to resume: the open quiz or exam, else the view shown. */
  function currentView() {
    if (view === "quiz") { return state.p ? "quiz-" + C.units[state.p.u].id : lastUnitView; }
    if (view === "exam") { return state.x ? "exam" : "start"; }
    return view;
  }

  function show(name, focus) {
    var target = "view-start", unit = null;
    if (timer) { window.clearInterval(timer); timer = null; }
    if (view === "quiz" && name !== "quiz-" + (state.p ? C.units[state.p.u].id : "")) {
      delete state.p;  // a quiz left is given up (practice: the next one is drawn anew)
    }
    if (name.indexOf("unit-") === 0) {
      unit = scopeUnits.filter(function (u) { return "unit-" + u.id === name; })[0];
      if (unit) { target = "view-unit-" + unit.id; lastUnitView = name; }
    } else if (name.indexOf("quiz-") === 0) {
      unit = scopeUnits.filter(function (u) { return "quiz-" + u.id === name && u.quiz; })[0];
      if (unit) { target = "view-quiz"; startQuiz(unit); lastUnitView = "unit-" + unit.id; }
    } else if (name === "exam" && examInScope && startExam()) { target = "view-exam"; }
    if (target === "view-start") { name = "start"; }
    view = name.indexOf("quiz-") === 0 ? "quiz" : name;
    Array.prototype.forEach.call(document.querySelectorAll(".lm-view"), function (v) { v.hidden = v.id !== target; });
    var heading = document.querySelector("#" + target + " h1");
    if (focus && heading) { heading.focus(); }
    save();
  }

  function refresh() {
    C.units.forEach(function (u, n) {
      var status = document.querySelector('.lm-unit-status[data-unit="' + u.id + '"]');
      if (status) {
        status.textContent = "(" + (unitComplete(u) ? t("statusDone") : t("statusOpen")) + ")";
        status.parentNode.hidden = scopeUnits.indexOf(u) < 0;
      }
      var actions = document.querySelector('.lm-unit-actions[data-unit="' + u.id + '"]');
      if (actions) {
        actions.textContent = "";
        if (isRead(u)) { actions.appendChild(el("p", { "class": "status status-done" }, t("isRead"))); }
        else {
          var b = el("button", { type: "button", "class": "button" }, t("markRead"));
          b.addEventListener("click", function () { state.r.push(n); save(); actions.querySelector("p").focus(); });
          actions.appendChild(b);
        }
        if (u.quiz) {
          var qs = quizState(u);
          actions.appendChild(el("h2", {}, t("quiz")));
          var info = t("quizInfo", { count: u.quiz.draw || u.quiz.questions.length, percent: Math.round(u.quiz.passMark * 100) });
          actions.appendChild(el("p", {}, info + (qs[0] === 1 ? " " + t("passed") : "")));
          actions.appendChild(el("p")).appendChild(el("a", { href: "#quiz-" + u.id, "class": "button" + (qs[0] === 1 ? " button-secondary" : "") },
            state.q[n] ? t("againQuiz") : t("startQuiz")));
        }
        var p = actions.querySelector("p.status"); if (p) { p.setAttribute("tabindex", "-1"); }
      }
      var pager = document.querySelector('.lm-pager[data-unit="' + u.id + '"]');
      if (pager) {
        pager.textContent = "";
        var i = scopeUnits.indexOf(u), next = scopeUnits[i + 1];
        pager.appendChild(next ? el("a", { rel: "next", href: "#unit-" + next.id }, t("next", { title: next.title }))
          : el("a", { href: "#start" }, t("backOverview")));
      }
    });
    renderExamEntry();
    var r = report();
    document.getElementById("lm-course-done").hidden = !r.complete;
  }

  function renderExamEntry() {
    var entry = document.getElementById("lm-exam-entry");
    if (!entry) { return; }
    entry.textContent = "";
    document.getElementById("lm-exam-block").hidden = !examInScope;
    if (!C.exam || !examInScope) { return; }
    var count = C.exam.fixed.length + (C.exam.draw !== null ? C.units.reduce(function (s, u) { return s + Math.min(C.exam.draw, u.pool.length); }, 0)
      : C.exam.count !== null ? C.exam.count : (C.exam.fixed.length ? 0 : C.questions.length));
    var text = t("examInfo", { count: count, percent: Math.round(C.exam.passMark * 100) });
    if (C.exam.timeLimit) { text += " " + t("examTime", { minutes: C.exam.timeLimit }); }
    if (C.exam.maxAttempts) { text += " " + t("attemptsLeft", { n: attemptsLeft() }); }
    entry.appendChild(el("p", {}, text));
    if (state.e[1] > 0) {
      entry.appendChild(el("p", {}, (state.e[2] ? t("passed") : t("failed")) + " " +
        t("result", { points: state.e[4], max: state.e[5], percent: Math.round(state.e[3] * 100) })));
    }
    if (state.x) { entry.appendChild(el("p")).appendChild(el("a", { href: "#exam", "class": "button" }, t("continueExam"))); }
    else if (state.e[2] === 1) { entry.appendChild(el("p", { "class": "status status-done" }, t("examPassed"))); }
    else if (!examOpen()) { entry.appendChild(el("p", {}, t("examLocked"))); }
    else if (attemptsLeft() === 0) { entry.appendChild(el("p", {}, t("noAttempts"))); }
    else { entry.appendChild(el("p")).appendChild(el("a", { href: "#exam", "class": "button" }, t("startExam"))); }
  }

  function selfChecks() {
    Array.prototype.forEach.call(document.querySelectorAll(".self-check[data-question]"), function (box, n) {
      var qi = byId[box.getAttribute("data-question")];
      if (qi === undefined) { return; }
      var d = Draws.present(qi, function () { return 0.5; }, false);
      if (C.questions[qi].type === "order" || C.questions[qi].type === "match") { d.order = d.order.map(function (_, i) { return i; }); }
      var holder = el("div");
      box.appendChild(holder);
      attemptForm(holder, [d], "check-" + (n + 1), function (results) {
        var r = results[0];
        var fb = Q.feedback(r.q, d.order, r.response, r.score, 1, 1, "checkfb-" + (n + 1), true);
        fb.setAttribute("tabindex", "-1");
        holder.appendChild(fb);
        fb.focus();
      }, t("checkAnswer"));
    });
  }

  function finish() {
    if (finished) { return Promise.resolve(); }
    var r = report();
    finished = true;
    return runtime.finish(r).then(function () { message(t("finished")); });
  }

  function begin(loaded) {
    try {
      var saved = loaded.suspend ? JSON.parse(loaded.suspend) : null;
      if (saved && saved.v === 1) { state = saved; }
    } catch (e) { /* unreadable suspend data: start afresh */ }
    if (runtime.restore) { runtime.restore(report()); }
    if (!runtime.connected) { message(t("noLms")); }
    selfChecks();
    refresh();
    var start = (window.location.hash || "").slice(1) || loaded.location || (sco && sco !== "exam" ? "unit-" + sco.slice(5) : sco) || "start";
    // an open quiz or exam is resumed, with its answers; no attempt starts by relaunching
    var openQuiz = state.p && C.units[state.p.u] ? "quiz-" + C.units[state.p.u].id : null;
    if (start.indexOf("quiz-") === 0 && start !== openQuiz) { start = "unit-" + start.slice(5); }
    if (start !== openQuiz) { delete state.p; }
    show(start === "exam" && !state.x ? "start" : start, false);
    window.addEventListener("hashchange", function () { show(window.location.hash.slice(1) || "start", true); });
    document.getElementById("lm-finish").addEventListener("click", function () { finish(); });
    window.addEventListener("pagehide", function () { finish(); });
    window.LernmodulPlayer.ready = true;
  }

  window.LernmodulPlayer = { ready: false, state: function () { return state; }, report: report, finish: finish, show: show };
  runtime.start().then(begin, function (error) {
    runtime = window.LernmodulRuntime.connect("none");
    message(t("lmsError", { error: String(error) }));
    begin({ suspend: "", location: "" });
  });
}());
