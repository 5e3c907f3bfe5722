/*
 * The staff side's one script (a file: the CSP forbids inline code).
 *
 * Django's autocomplete widgets (Select2) add a search box to each many-to-many picker with
 * no label, which screen readers announce as an unnamed field (axe: "label"). Each box is
 * named after its field's own label once Select2 has drawn it. The chosen items sit in a
 * <ul> that also holds the "clear" cross (a <span>), which is not a list a reader can walk
 * (axe: "list"): it is drawn as plain content.
 */
(function () {
  "use strict";

  function nameSearchBoxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      var container = select.nextElementSibling;
      if (!label || !container || !container.classList.contains("select2")) {
        return;
      }
      var name = label.textContent.replace(/:\s*$/, "").trim();
      container.querySelectorAll(".select2-search__field").forEach(function (box) {
        if (!box.getAttribute("aria-label")) {
          box.setAttribute("aria-label", name);
        }
      });
      container.querySelectorAll(".select2-selection__rendered").forEach(function (list) {
        if (list.tagName === "UL" && list.getAttribute("role") !== "none") {
          list.setAttribute("role", "none");
        }
        Array.prototype.forEach.call(list.children, function (item) {
          if (item.tagName === "LI" && item.getAttribute("role") !== "none") {
            item.setAttribute("role", "none");
          }
        });
      });
    });
  }

  window.addEventListener("load", function () {
    nameSearchBoxes();
    // Select2 redraws its box when a choice is added or removed.
    new MutationObserver(nameSearchBoxes).observe(document.body, {
      childList: true,
      subtree: true,
    });
  });
})();
