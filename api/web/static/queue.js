// The clerk's queue kept current without a reload (issue 26): the page listens to its server-sent events
// (/tasks/events: a task of the clerk's groups created, claimed, given back, completed); on each it asks for
// this same page again and puts the fresh counts, list and pager in place of the shown ones, and says so in a
// status line that screen readers read out. Our own file: the pages run no inline script (CSP).
(function () {
  "use strict";
  var root = document.getElementById("queue-live");
  var status = document.getElementById("queue-status");
  if (!root || !status || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var PARTS = ["queue-counts", "queue-table", "queue-pager"];
  var AT_MOST_EVERY_MS = 2000;  // a busy office's changes are taken together, not one reload each
  var loading = false;
  var again = false;
  var last = 0;

  function clock() {
    var now = new Date();
    return [now.getHours(), now.getMinutes(), now.getSeconds()].map(function (n) {
      return (n < 10 ? "0" : "") + n;
    }).join(":");
  }

  function busyHere() {
    // a clerk typing in or pressing something inside the list keeps it as it is until the next change
    var active = document.activeElement;
    return active && active !== document.body && root.contains(active) &&
      document.getElementById("queue-table").contains(active) && active.tagName !== "A";
  }

  function refresh() {
    if (loading) {
      again = true;
      return;
    }
    var wait = last + AT_MOST_EVERY_MS - Date.now();
    if (wait > 0) {
      loading = true;
      window.setTimeout(function () {
        loading = false;
        refresh();
      }, wait);
      return;
    }
    loading = true;
    again = false;  // this reload brings every change until now
    last = Date.now();
    // the header: this reload is the page's own, not the clerk's doing (the session's idle time runs on)
    fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html", "X-Queue-Refresh": "1"}})
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("status " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (busyHere()) {
          again = true;
          return;
        }
        PARTS.forEach(function (id) {
          var shown = document.getElementById(id);
          var replacement = fresh.getElementById(id);
          if (shown && replacement) {
            shown.replaceWith(document.importNode(replacement, true));
          }
        });
        status.textContent = "待办列表已自动更新（" + clock() + "）";
      })
      .catch(function () {
        status.textContent = "待办列表未能自动更新，请刷新页面。";
      })
      .then(function () {
        loading = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var source = new EventSource(root.getAttribute("data-events"));
  source.addEventListener("queue", refresh);
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      status.textContent = "自动更新已停止，请刷新页面。";
    }
  });
  window.addEventListener("pagehide", function () {
    source.close();
  });
})();
