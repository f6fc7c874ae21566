// The materials of a task page opened full size in a dialog: zoom, rotate, previous and next, Esc to close.
// Our own small script (the pages' policy runs no other); the picture is moved with CSS transforms only.
(function () {
  "use strict";
  var dialog = document.getElementById("viewer");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var image = document.getElementById("viewer-image");
  var title = document.getElementById("viewer-title");
  var thumbs = Array.prototype.slice.call(document.querySelectorAll("[data-viewer-src]"));
  var index = 0, scale = 1, turn = 0;

  function draw() {
    image.style.transform = "scale(" + scale + ") rotate(" + turn + "deg)";
  }
  function show(i) {
    index = (i + thumbs.length) % thumbs.length;
    scale = 1; turn = 0;
    image.src = thumbs[index].getAttribute("data-viewer-src");
    image.alt = thumbs[index].getAttribute("data-viewer-title");
    title.textContent = image.alt + "（" + (index + 1) + "/" + thumbs.length + "）";
    draw();
  }
  thumbs.forEach(function (thumb, i) {
    thumb.addEventListener("click", function () { show(i); dialog.showModal(); });
  });
  var actions = {
    prev: function () { show(index - 1); },
    next: function () { show(index + 1); },
    "in": function () { scale = Math.min(scale * 1.25, 8); draw(); },
    out: function () { scale = Math.max(scale / 1.25, 0.25); draw(); },
    rotate: function () { turn = (turn + 90) % 360; draw(); },
    close: function () { dialog.close(); }
  };
  dialog.addEventListener("click", function (event) {
    var button = event.target.closest("[data-viewer]");
    if (button) actions[button.getAttribute("data-viewer")]();
    else if (event.target === dialog) dialog.close();
  });
  dialog.addEventListener("keydown", function (event) {
    var key = {ArrowLeft: "prev", ArrowRight: "next", "+": "in", "=": "in", "-": "out", r: "rotate"}[event.key];
    if (key) { event.preventDefault(); actions[key](); }
  });
})();
