/* lernmodul package player: draws of quizzes and exams (which questions, in which order,
   options in which order), mirroring lernmodul.core.grading's assembly. A seeded generator
   per attempt (mulberry32); what an attempt drew is kept in the state, never redrawn. */
(function () {
  "use strict";
  var C = window.LERNMODUL_COURSE;

  function range(n) { var ids = []; for (var i = 0; i < n; i++) { ids.push(i); } return ids; }
  /* How many entries a presented question's order has. */
  function count(q) {
    if (q.type === "cloze") {
      return q.gaps.reduce(function (s, gap) { return s + (gap.kind === "choice" ? gap.options.length : 0); }, 0);
    }
    return q.type === "match" ? q.rights.length : (q.options || []).length;
  }

  function rng(seed) {
    return function () {
      seed = (seed + 0x6D2B79F5) | 0;
      var x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  }
  function newSeed() {
    var a = new Uint32Array(1);
    if (window.crypto && window.crypto.getRandomValues) { window.crypto.getRandomValues(a); return a[0]; }
    return Math.floor(Math.random() * 4294967296);
  }
  function shuffle(list, random) {
    for (var i = list.length - 1; i > 0; i--) {
      var j = Math.floor(random() * (i + 1)); var x = list[i]; list[i] = list[j]; list[j] = x;
    }
    return list;
  }
  function sample(list, n, random) { return shuffle(list.slice(), random).slice(0, n); }
  function present(qi, random, doShuffle) {
    var q = C.questions[qi];
    if (q.type === "cloze") {
      // every choice gap shuffled, gap after gap, as lernmodul.core.grading presents a cloze
      return { q: qi, order: [].concat.apply([], q.gaps.map(function (gap) {
        return gap.kind === "choice" ? shuffle(range(gap.options.length), random) : [];
      })) };
    }
    var ids = range(count(q));
    if (q.type === "order" || q.type === "match") {
      var original = ids.join();
      for (var tries = 0; tries < 10; tries++) { shuffle(ids, random); if (ids.join() !== original || ids.length < 2) { break; } }
    } else if (doShuffle && q.type !== "truefalse") { shuffle(ids, random); }
    return { q: qi, order: ids };
  }
  function drawQuiz(u) {
    var random = rng(newSeed()), pool = u.quiz.questions.slice();
    var chosen = pool;
    if (u.quiz.draw !== null && u.quiz.draw < pool.length) {
      chosen = sample(pool, u.quiz.draw, random);
      if (!u.quiz.shuffle) { chosen.sort(function (a, b) { return pool.indexOf(a) - pool.indexOf(b); }); }
    } else if (u.quiz.shuffle) { chosen = shuffle(pool.slice(), random); }
    return chosen.map(function (qi) { return present(qi, random, u.quiz.shuffle); });
  }
  function drawExam() {
    var ex = C.exam, random = rng(newSeed());
    var pools = C.units.filter(function (u) { return u.pool.length; }).map(function (u) { return u.pool; });
    var picked = ex.fixed.slice();
    if (ex.draw !== null) {
      pools.forEach(function (p) { picked = picked.concat(sample(p, Math.min(ex.draw, p.length), random)); });
    } else if (ex.count !== null) {
      var all = [].concat.apply([], pools);
      picked = picked.concat(sample(all, Math.min(ex.count, all.length), random));
    } else if (!ex.fixed.length) { picked = [].concat.apply([], pools); }
    if (ex.shuffle) { shuffle(picked, random); }
    return picked.map(function (qi) { return present(qi, random, ex.shuffle); });
  }

  window.LernmodulDraws = { present: present, quiz: drawQuiz, exam: drawExam, count: count };
}());
