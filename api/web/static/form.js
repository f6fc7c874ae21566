// A task's form: the fields the decision makes required (constraints.required_if / true_if of the API's form
// description) are marked and checked in the browser too (the server checks again either way); choosing to
// return shows what a return ends; what is typed is kept as a draft in this tab (sessionStorage) and put
// back when the page comes again without it -- after signing in anew, when a session ended before the submit.
(function () {
  "use strict";
  var form = document.getElementById("task-form");
  if (!form) return;
  var key = "onething-draft:" + form.getAttribute("data-task");
  var warning = document.getElementById("return-warning");

  function decision() {
    var picked = form.querySelector("input[name=decision]:checked");
    return picked ? picked.value : null;
  }
  function update() {
    form.querySelectorAll(".field").forEach(function (field) {
      var rule = JSON.parse(field.getAttribute("data-required-if") || "{}");
      if (!rule.field) return;
      var input = field.querySelector("input[type=text], textarea, input[type=checkbox]");
      if (input) input.required = decision() === rule.equals;
    });
    if (warning) {
      var returning = decision() === "return";
      warning.classList.toggle("active", returning);
      warning.setAttribute("role", returning ? "alert" : "note");
    }
  }
  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.type !== "submit";
    });
  }
  function save() {
    var draft = {};
    fields().forEach(function (el) {
      if (el.type === "radio") { if (el.checked) draft[el.name] = el.value; }
      else if (el.type === "checkbox") draft[el.name] = el.checked;
      else draft[el.name] = el.value;
    });
    try { window.sessionStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* storage off */ }
  }
  function restore() {
    var text = null;
    try { text = window.sessionStorage.getItem(key); } catch (e) { return; }
    if (!text || form.hasAttribute("data-server-values")) return;  // the server's own copy wins
    var draft;
    try { draft = JSON.parse(text); } catch (e) { return; }
    fields().forEach(function (el) {
      if (!(el.name in draft)) return;
      if (el.type === "radio") el.checked = draft[el.name] === el.value;
      else if (el.type === "checkbox") el.checked = draft[el.name] === true;
      else el.value = draft[el.name];
    });
    var note = document.createElement("p");
    note.className = "flash ok";
    note.setAttribute("role", "status");
    note.textContent = "已恢复您上次填写但未提交成功的内容，请核对后提交。";
    form.insertBefore(note, form.firstChild);
  }
  restore();
  form.addEventListener("change", function () { update(); save(); });
  form.addEventListener("input", save);
  form.addEventListener("submit", save);
  update();
})();
