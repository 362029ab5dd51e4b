// Forms with data-confirm ask before they are sent: "{mode}" in the question is replaced by
// the form's chosen mode. Kept out of the pages so the Content-Security-Policy can forbid
// inline script.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (!question) {
    return;
  }
  var mode = form.elements.namedItem("mode");
  if (!window.confirm(question.replace("{mode}", mode ? mode.value : ""))) {
    event.preventDefault();
  }
});
