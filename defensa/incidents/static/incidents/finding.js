/* The confirmer's form keeps a draft on the phone: every field is saved as it is typed, keyed
   by the dispatch, and put back when the page is opened again, so a dropped connection loses
   nothing. A draft is removed once the server says it was sent, and forgotten after a few
   hours: a phone can be lost or taken, and an old draft helps nobody. Files cannot be kept
   (browsers do not allow it); they are chosen again. Without JavaScript the form still works. */
(function () {
  "use strict";
  var form = document.getElementById("finding-form");
  if (!form || !form.dataset.draft || !window.localStorage) { return; }
  var key = form.dataset.draft;
  var KEEP_MS = 12 * 60 * 60 * 1000;
  var status = document.getElementById("draft-status");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrfmiddlewaretoken" && el.type !== "file" &&
        el.type !== "submit" && el.type !== "button" && el.type !== "hidden";
    });
  }

  function read() {
    try {
      var draft = JSON.parse(localStorage.getItem(key) || "null");
      if (!draft || !draft.values || Date.now() - draft.saved > KEEP_MS) { return null; }
      return draft;
    } catch (e) { return null; }
  }

  function forget() {
    try { localStorage.removeItem(key); } catch (e) { /* storage may be unavailable */ }
  }

  if (form.dataset.sent) {
    forget();
    // Opening this address again later must not wipe a new draft.
    if (window.history && history.replaceState) {
      history.replaceState(null, "", location.pathname);
    }
    return;
  }

  function save() {
    var values = {};
    fields().forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) { values[el.name] = el.value; }
      } else if (el.value) {
        values[el.name] = el.value;
      }
    });
    try {
      if (Object.keys(values).length) {
        localStorage.setItem(key, JSON.stringify({ saved: Date.now(), values: values }));
        if (status) { status.hidden = false; }
      } else {
        forget();
      }
    } catch (e) { /* full or private mode: the form still sends */ }
  }

  // Put the draft back, but never over what the page already shows (the server's answer).
  var draft = read();
  if (draft) {
    fields().forEach(function (el) {
      var value = draft.values[el.name];
      if (value === undefined) { return; }
      if (el.type === "radio" || el.type === "checkbox") {
        var chosen = form.querySelector('[name="' + el.name + '"]:checked');
        if (!chosen && el.value === value) { el.checked = true; }
      } else if (!el.value) {
        el.value = value;
      }
    });
    if (status) { status.hidden = false; }
  } else {
    forget();
  }

  form.addEventListener("input", save);
  form.addEventListener("change", save);
  window.addEventListener("pagehide", save);
})();
