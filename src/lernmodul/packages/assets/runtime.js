/* lernmodul package player: the LMS connection. One adapter per runtime (SCORM 1.2,
   SCORM 2004, cmi5) with the same methods: start() -> Promise of {suspend, location},
   save(report), interaction(n, item), finish(report). Without an LMS the player still runs,
   keeping nothing. */
(function () {
  "use strict";

  /* The standard search: up the parent chain (at most 500 frames), then the opener's. */
  function findApi(name) {
    function search(win) {
      for (var tries = 0; win && tries < 500; tries++) {
        try { if (win[name]) { return win[name]; } } catch (e) { return null; }
        if (!win.parent || win.parent === win) { break; }
        win = win.parent;
      }
      return null;
    }
    var api = search(window);
    if (!api && window.opener) { api = search(window.opener); }
    return api;
  }

  function pad(n, width) { n = String(n); while (n.length < width) { n = "0" + n; } return n; }

  function time12(ms) {  /* CMITimespan: HHHH:MM:SS.SS */
    var cs = Math.round(ms / 10), s = Math.floor(cs / 100);
    return pad(Math.floor(s / 3600), 4) + ":" + pad(Math.floor(s / 60) % 60, 2) + ":" +
      pad(s % 60, 2) + "." + pad(cs % 100, 2);
  }

  function time2004(ms) {  /* ISO 8601 duration: PT#H#M#S */
    var cs = Math.round(ms / 10), s = Math.floor(cs / 100);
    return "PT" + Math.floor(s / 3600) + "H" + (Math.floor(s / 60) % 60) + "M" +
      (s % 60) + (cs % 100 ? "." + pad(cs % 100, 2) : "") + "S";
  }

  function round(x, digits) { var f = Math.pow(10, digits); return Math.round(x * f) / f; }

  function scorm12(api) {
    var started = Date.now();
    function set(k, v) { api.LMSSetValue(k, String(v)); }
    return {
      name: "scorm12", connected: true,
      start: function () {
        api.LMSInitialize("");
        var status = api.LMSGetValue("cmi.core.lesson_status");
        if (!status || status === "not attempted") { set("cmi.core.lesson_status", "incomplete"); }
        return Promise.resolve({ suspend: api.LMSGetValue("cmi.suspend_data"),
          location: api.LMSGetValue("cmi.core.lesson_location") });
      },
      save: function (r) {
        set("cmi.suspend_data", r.suspend);
        set("cmi.core.lesson_location", r.location);
        var status = r.passed === true ? "passed" : r.passed === false ? "failed" :
          r.complete ? "completed" : "incomplete";
        if (r.passed === true && !r.complete) { status = "incomplete"; }
        set("cmi.core.lesson_status", status);
        if (r.score !== null) {
          set("cmi.core.score.min", 0); set("cmi.core.score.max", 100);
          set("cmi.core.score.raw", round(r.score * 100, 2));
        }
        api.LMSCommit("");
      },
      interaction: function (n, item) {
        var p = "cmi.interactions." + n + ".";
        set(p + "id", item.id);
        set(p + "type", item.type12);
        set(p + "student_response", item.response12);
        set(p + "result", item.correct ? "correct" : "wrong");
        set(p + "weighting", item.points);
      },
      finish: function (r) {
        this.save(r);
        set("cmi.core.session_time", time12(Date.now() - started));
        set("cmi.core.exit", "suspend");
        api.LMSCommit("");
        api.LMSFinish("");
        return Promise.resolve();
      },
      error: function () { var code = api.LMSGetLastError(); return code && code !== "0" ? code : null; }
    };
  }

  function scorm2004(api) {
    var started = Date.now();
    function set(k, v) { api.SetValue(k, String(v)); }
    return {
      name: "scorm2004", connected: true,
      start: function () {
        api.Initialize("");
        var status = api.GetValue("cmi.completion_status");
        if (!status || status === "unknown" || status === "not attempted") {
          set("cmi.completion_status", "incomplete");
        }
        return Promise.resolve({ suspend: api.GetValue("cmi.suspend_data"),
          location: api.GetValue("cmi.location") });
      },
      save: function (r) {
        set("cmi.suspend_data", r.suspend);
        set("cmi.location", r.location);
        set("cmi.completion_status", r.complete ? "completed" : "incomplete");
        set("cmi.success_status", r.passed === true ? "passed" : r.passed === false ? "failed" : "unknown");
        set("cmi.progress_measure", round(r.progress, 4));
        if (r.score !== null) {
          set("cmi.score.scaled", round(r.score, 4));
          set("cmi.score.min", 0); set("cmi.score.max", r.maxPoints); set("cmi.score.raw", r.points);
        }
        api.Commit("");
      },
      interaction: function (n, item) {
        var p = "cmi.interactions." + n + ".";
        set(p + "id", item.id);
        set(p + "type", item.type2004);
        set(p + "learner_response", item.response2004);
        set(p + "result", item.correct ? "correct" : "incorrect");
        set(p + "weighting", item.points);
      },
      finish: function (r) {
        this.save(r);
        set("cmi.session_time", time2004(Date.now() - started));
        set("cmi.exit", "suspend");
        api.Commit("");
        api.Terminate("");
        return Promise.resolve();
      },
      error: function () { var code = api.GetLastError(); return code && code !== "0" ? code : null; }
    };
  }

  /* cmi5 through the bundled @xapi/cmi5 client: launch data and statements over the LRS;
     the player's own state goes to the State API under its own id. */
  function cmi5() {
    var client = new window.Cmi5.default();
    var done = { completed: false, passed: false, graded: 0 };
    var STATE = "https://lernmodul.de/xapi/state/player";
    var queue = Promise.resolve();
    function later(step) { queue = queue.then(step).catch(function () { return null; }); return queue; }
    function stateParams() {
      var lp = client.getLaunchParameters();
      return { activityId: lp.activityId, agent: lp.actor, registration: lp.registration, stateId: STATE };
    }
    return {
      name: "cmi5", connected: true, client: client,
      start: function () {
        return client.initialize().then(function () {
          return client.xapi.getState(stateParams()).then(function (response) {
            var doc = response.data || {};
            return { suspend: doc.suspend || "", location: doc.location || "" };
          }, function () { return { suspend: "", location: "" }; });
        });
      },
      save: function (r) {
        later(function () {
          var params = stateParams();
          params.state = { suspend: r.suspend, location: r.location };
          return client.xapi.setState(params);
        });
        if (r.examScore !== null && r.examGraded > done.graded) {
          done.graded = r.examGraded;
          var scaled = Math.round(r.examScore * 10000) / 10000;
          if (r.examPassed && !done.passed) {
            done.passed = true;
            later(function () { return client.pass({ scaled: scaled }); });
          } else if (!r.examPassed && !done.passed) {
            later(function () { return client.fail({ scaled: scaled }); });
          }
        }
        if (r.unitsDone && !done.completed) {
          done.completed = true;
          later(function () { return client.complete(); });
        }
      },
      interaction: function () {},
      /* what earlier sessions have sent already (from the player's state) */
      restore: function (r) {
        done.completed = r.unitsDone; done.passed = r.examPassed === true; done.graded = r.examGraded;
      },
      finish: function (r) {
        this.save(r);
        return later(function () { return client.terminate(); });
      },
      error: function () { return null; }
    };
  }

  function standalone() {
    return {
      name: "none", connected: false,
      start: function () { return Promise.resolve({ suspend: "", location: "" }); },
      save: function () {}, interaction: function () {},
      finish: function () { return Promise.resolve(); },
      error: function () { return null; }
    };
  }

  window.LernmodulRuntime = {
    connect: function (kind) {
      if (kind === "scorm12") { var a12 = findApi("API"); if (a12) { return scorm12(a12); } }
      if (kind === "scorm2004") { var a04 = findApi("API_1484_11"); if (a04) { return scorm2004(a04); } }
      if (kind === "cmi5" && window.Cmi5 && /[?&]fetch=/.test(window.location.search)) { return cmi5(); }
      return standalone();
    },
    time12: time12, time2004: time2004
  };
}());
