// What every page of the workplace does (our own file: the pages run no inline script): forget the drafts of
// task forms the server has just completed, and bring a form's error summary into view.
(function () {
  "use strict";
  var done = document.body && document.body.getAttribute("data-draft-done");
  if (done) {
    done.split(" ").forEach(function (id) {
      try { window.sessionStorage.removeItem("onething-draft:" + id); } catch (e) { /* storage off */ }
    });
  }
  var summary = document.getElementById("form-errors");
  if (summary) {
    summary.scrollIntoView({block: "start"});
    summary.focus({preventScroll: true});
  }
})();
