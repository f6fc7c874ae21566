// A task form's fields that the decision makes required (constraints.required_if / true_if from the API's form
// description) are marked and checked in the browser too; the server checks again either way.
(function () {
  var form = document.getElementById("task-form");
  if (!form) return;
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
  }
  form.addEventListener("change", update);
  update();
})();
