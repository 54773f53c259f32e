/* The draft editor's live preview: after a pause in typing, the textarea is posted (with the
   form's CSRF token) to the preview address; the returned fragment replaces the preview's
   status (a polite live region) and body. Without JavaScript the page works by saving.
   Links of diagnostics that point into the open file select that line in the textarea. */
(function () {
  "use strict";
  var form = document.getElementById("source-form");
  var source = document.getElementById("source");
  var preview = document.getElementById("live-preview");
  if (!form || !source || !preview || !window.fetch || !window.FormData) {
    return;
  }
  var url = form.getAttribute("data-preview-url");
  var delay = 600;
  var timer = null;
  var sent = 0;
  var shown = 0;

  function part(root, name) {
    return root.querySelector('[data-part="' + name + '"]');
  }

  function update() {
    var number = ++sent;
    var data = new FormData(form);
    preview.setAttribute("aria-busy", "true");
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        if (number < shown) {
          return; // an older answer arriving late
        }
        shown = number;
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var names = ["status", "body"];
        for (var i = 0; i < names.length; i++) {
          var target = part(preview, names[i]);
          var fresh = part(holder.content, names[i]);
          if (target && fresh) {
            target.innerHTML = fresh.innerHTML;
          }
        }
      })
      .catch(function () {
        /* the saved preview stays; saving still works */
      })
      .then(function () {
        if (number === sent) {
          preview.removeAttribute("aria-busy");
        }
      });
  }

  source.addEventListener("input", function () {
    if (timer) {
      clearTimeout(timer);
    }
    timer = setTimeout(update, delay);
  });

  function selectLine(line) {
    var lines = source.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) {
      start += lines[i].length + 1;
    }
    var end = start + (lines[line - 1] || "").length;
    source.focus();
    source.setSelectionRange(start, end);
    var height = source.scrollHeight / Math.max(lines.length, 1);
    source.scrollTop = Math.max(0, (line - 5) * height);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-line]") : null;
    if (!link) {
      return;
    }
    var file = form.querySelector('input[name="file"]');
    if (file && link.getAttribute("data-file") === file.value) {
      var line = parseInt(link.getAttribute("data-line"), 10);
      if (line > 0) {
        event.preventDefault();
        selectLine(line);
      }
    }
  });
})();
