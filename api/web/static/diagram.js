// Zoom and pan for a process diagram shown as an image (the drawing itself runs nothing, under its own policy):
// buttons, the mouse wheel, dragging, two-finger pinch and the keyboard. Without this script the image is shown
// in a frame that scrolls.
(function () {
  "use strict";
  var MIN = 0.05, MAX = 4, STEP = 1.25;

  function setUp(box) {
    var frame = box.querySelector(".viewer-frame");
    var img = frame.querySelector("img");
    var tools = box.querySelector(".viewer-tools");
    var scale = 1, x = 0, y = 0;
    var pointers = {}, pinch = null;

    function clamp(value) { return Math.min(MAX, Math.max(MIN, value)); }
    function apply() { img.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")"; }
    function zoomAt(factor, cx, cy) {
      var next = clamp(scale * factor);
      x = cx - (cx - x) * next / scale;
      y = cy - (cy - y) * next / scale;
      scale = next;
      apply();
    }
    function centre(factor) { zoomAt(factor, frame.clientWidth / 2, frame.clientHeight / 2); }
    function fit() {
      var w = frame.clientWidth, h = frame.clientHeight, nw = img.naturalWidth, nh = img.naturalHeight;
      if (!nw || !nh) return;
      scale = clamp(Math.min(w / nw, h / nh, 1));
      x = (w - nw * scale) / 2;
      y = (h - nh * scale) / 2;
      apply();
    }
    function actual() { scale = 1; x = 0; y = 0; apply(); }

    box.classList.add("live");
    tools.hidden = false;
    frame.tabIndex = 0;
    frame.setAttribute("role", "group");
    frame.setAttribute("aria-label", (img.alt || "流程图") + "（可缩放、平移）");
    if (img.complete) fit(); else img.addEventListener("load", fit);

    tools.addEventListener("click", function (event) {
      var action = event.target.closest("button") && event.target.closest("button").getAttribute("data-zoom");
      if (action === "in") centre(STEP);
      else if (action === "out") centre(1 / STEP);
      else if (action === "fit") fit();
      else if (action === "actual") actual();
    });
    frame.addEventListener("wheel", function (event) {
      event.preventDefault();
      var r = frame.getBoundingClientRect();
      zoomAt(event.deltaY < 0 ? STEP : 1 / STEP, event.clientX - r.left, event.clientY - r.top);
    }, { passive: false });
    frame.addEventListener("pointerdown", function (event) {
      frame.setPointerCapture(event.pointerId);
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      frame.classList.add("dragging");
    });
    frame.addEventListener("pointermove", function (event) {
      var last = pointers[event.pointerId];
      if (!last) return;
      var ids = Object.keys(pointers);
      if (ids.length === 2) {
        pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
        var a = pointers[ids[0]], b = pointers[ids[1]];
        var distance = Math.hypot(a.x - b.x, a.y - b.y);
        var r = frame.getBoundingClientRect();
        if (pinch) zoomAt(distance / pinch, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
        pinch = distance;
        return;
      }
      x += event.clientX - last.x;
      y += event.clientY - last.y;
      pointers[event.pointerId] = { x: event.clientX, y: event.clientY };
      apply();
    });
    function release(event) {
      delete pointers[event.pointerId];
      pinch = null;
      if (!Object.keys(pointers).length) frame.classList.remove("dragging");
    }
    frame.addEventListener("pointerup", release);
    frame.addEventListener("pointercancel", release);
    frame.addEventListener("keydown", function (event) {
      var moves = { ArrowLeft: [40, 0], ArrowRight: [-40, 0], ArrowUp: [0, 40], ArrowDown: [0, -40] };
      if (moves[event.key]) { x += moves[event.key][0]; y += moves[event.key][1]; apply(); }
      else if (event.key === "+" || event.key === "=") centre(STEP);
      else if (event.key === "-") centre(1 / STEP);
      else if (event.key === "0") fit();
      else return;
      event.preventDefault();
    });
  }

  document.querySelectorAll("[data-viewer]").forEach(function (box) {
    if (!box.classList.contains("live")) setUp(box);
  });
})();
