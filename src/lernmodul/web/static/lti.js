// LTI pages: the deep-linking answer posts itself to the platform; the end of a dynamic
// registration tells the platform's window that it may close the dialog. Without JavaScript
// the page's own button does the first; the second is then a sentence asking to close it.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.submit();
  });
  if (document.querySelector("[data-lti-close]")) {
    var target = window.opener || window.parent;
    if (target && target !== window) {
      target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
})();
