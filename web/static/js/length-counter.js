// Fields with a maximum length (data-maxlength) show how many characters are typed and
// refuse to be submitted when over the limit, instead of the browser cutting pasted text
// off silently (which a maxlength attribute does). The server checks the same limit.
(function () {
  "use strict";
  function count(field) { return Array.from(field.value || "").length; }  // characters, not UTF-16 units

  function update(field) {
    var limit = parseInt(field.getAttribute("data-maxlength"), 10);
    var hint = document.getElementById(field.id + "-count");
    if (!limit || !hint) { return true; }
    var n = count(field);
    var over = n > limit;
    hint.textContent = over
      ? "已输入 " + n + " 字，超出上限 " + (n - limit) + " 字，请删减到 " + limit + " 字以内"
      : "已输入 " + n + " / " + limit + " 字";
    hint.classList.toggle("error", over);
    // Until the person edits the field, an error the server reported for it stands.
    var serverError = !field.dataset.edited && field.getAttribute("data-server-invalid") === "true";
    field.setAttribute("aria-invalid", over || serverError ? "true" : "false");
    field.closest(".field") && field.closest(".field").classList.toggle("has-error", over || serverError);
    return !over;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var fields = document.querySelectorAll("[data-maxlength]");
    fields.forEach(function (field) {
      field.setAttribute("data-server-invalid", field.getAttribute("aria-invalid") || "false");
      update(field);
      field.addEventListener("input", function () { field.dataset.edited = "1"; update(field); });
    });
    document.querySelectorAll("form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var first = null;
        form.querySelectorAll("[data-maxlength]").forEach(function (field) {
          if (!update(field) && !first) { first = field; }
        });
        if (first) {
          event.preventDefault();
          first.focus();
        }
      });
    });
  });
})();
