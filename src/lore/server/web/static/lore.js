// lore dashboard: the little JavaScript beyond htmx. Every page works without it; this makes
// times local, submits filters on change and keeps focus sensible after swaps.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  function localiseTimes(root) {
    root.querySelectorAll("time[datetime]:not([data-local])").forEach(function (node) {
      const moment = new Date(node.getAttribute("datetime"));
      if (Number.isNaN(moment.getTime())) return;
      node.title = node.textContent;
      node.textContent = timeFormat.format(moment);
      node.dataset.local = "1";
    });
  }

  function focusFirstError(root) {
    const summary = root.querySelector("[data-focus]");
    if (summary) summary.focus();
  }

  // Selects marked data-autosubmit submit their form when changed (the button stays for no-JS).
  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });

  // Forms with data-confirm ask before a destructive action; with data-confirm-when, only when
  // their action select has that value (bulk delete).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    const question = form.getAttribute && form.getAttribute("data-confirm");
    if (!question) return;
    const when = form.getAttribute("data-confirm-when");
    if (when && (!form.elements.action || form.elements.action.value !== when)) return;
    if (!window.confirm(question)) event.preventDefault();
  }, true);

  // "Select all" checkboxes for bulk actions.
  document.addEventListener("change", function (event) {
    const all = event.target;
    if (!all.matches || !all.matches("input[data-select-all]")) return;
    document.querySelectorAll(all.getAttribute("data-select-all")).forEach(function (box) {
      box.checked = all.checked;
    });
  });

  document.addEventListener("DOMContentLoaded", function () {
    localiseTimes(document);
    focusFirstError(document);
  });
  // htmx:load fires for every piece of content htmx puts in the page (swaps, out-of-band too).
  document.addEventListener("htmx:load", function (event) {
    localiseTimes(event.detail.elt);
    focusFirstError(event.detail.elt);
  });
})();
