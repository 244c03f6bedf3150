// leadrank's own behaviour for its pages, loaded as a file (no inline scripts: the CSP forbids them).
(function () {
  "use strict";

  // Select all rows of a table: a checkbox with data-select-all="NAME" ticks every checkbox NAME.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    var name = box.getAttribute("data-select-all");
    if (name) {
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
        other.checked = box.checked;
      });
    }
    var form = box.form;
    if (form) {
      var counter = form.querySelector("[data-selected-count]");
      if (counter) {
        var ticked = form.querySelectorAll('input[type=checkbox][name="' + (box.name || name) + '"]:checked').length;
        counter.textContent = ticked ? ticked + " selected" : "";
      }
    }
  });

  // Keyboard shortcuts: an element with data-shortcut="s" is clicked when s is pressed,
  // unless the user is typing in a field.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
    var key = event.key.toLowerCase();
    var button = document.querySelector('[data-shortcut="' + key + '"]');
    if (button instanceof HTMLElement) {
      event.preventDefault();
      button.click();
    }
  });

  // Drag and drop onto a .dropzone fills its file input.
  function bindDropzones(root) {
    root.querySelectorAll(".dropzone").forEach(function (zone) {
      if (zone.dataset.bound) return;
      zone.dataset.bound = "1";
      var input = zone.querySelector("input[type=file]");
      var label = zone.querySelector("[data-file-name]");
      function show() {
        if (label && input && input.files && input.files.length) label.textContent = input.files[0].name;
      }
      ["dragenter", "dragover"].forEach(function (type) {
        zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (type) {
        zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (input && event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          show();
        }
      });
      if (input) input.addEventListener("change", show);
    });
  }

  // Forms with data-confirm ask before they are sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  document.addEventListener("DOMContentLoaded", function () { bindDropzones(document); });
  document.addEventListener("htmx:afterSwap", function (event) { bindDropzones(event.target); });
})();
