// lore dashboard: the little JavaScript beyond htmx. Every page works without it; this makes
// times local, submits filters on change and keeps focus where the person was after swaps.
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

  // After an action swaps part of the page (Approve on an item card, Generate Memory), focus
  // goes back where the person was: the same control when the new content has it, else the
  // swapped region itself, never the page's body.
  let focusKey = null;

  function keyOf(node) {
    if (node.id) return "#" + CSS.escape(node.id);
    const form = node.form || node.closest("form");
    if (form && form.getAttribute("action")) {
      return 'form[action="' + CSS.escape(form.getAttribute("action")) + '"] ' + node.tagName.toLowerCase();
    }
    return null;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    const active = document.activeElement;
    const target = event.detail.target;
    focusKey = active && active !== document.body && target.contains(active) ? keyOf(active) : null;
    if (focusKey === null && active === document.body) focusKey = "";  // a click left the body focused
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (focusKey === null) return;
    const region = event.detail.elt;
    const again = focusKey && document.querySelector(focusKey);
    if (again && region.contains(again)) {
      again.focus();
    } else if (region.isConnected && region !== document.body) {
      if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
      region.focus({ preventScroll: true });
    }
    focusKey = null;
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
