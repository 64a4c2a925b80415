// Macros: "Insert" puts the chosen macro's text (filled by the server for this
// conversation, in data-text) into the reply draft at the cursor, keeping what the agent
// has typed. Without this script the same button asks for the page with ?macro=NAME,
// which comes back with the draft filled.
(function () {
  var form = document.getElementById("macro-form");
  var draft = document.querySelector("#reply-form textarea");
  if (!form || !draft) { return; }
  form.addEventListener("submit", function (event) {
    var option = form.querySelector("select[name=macro]").selectedOptions[0];
    if (!option) { return; }
    event.preventDefault();
    var text = option.dataset.text, start = draft.selectionStart, end = draft.selectionEnd;
    draft.value = draft.value.slice(0, start) + text + draft.value.slice(end);
    draft.focus();
    draft.setSelectionRange(start + text.length, start + text.length);
  });
})();
