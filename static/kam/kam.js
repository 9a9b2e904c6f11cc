/* KAM page behaviour, loaded (deferred) on every page. Kept out of the HTML: the Content Security Policy
   forbids inline scripts. Every page works without it; this only makes them nicer. */
(function () {
  "use strict";

  // Leave empty filter values out of htmx GET requests, so pushed URLs stay short and shareable.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var data = event.detail.formData;
    Array.from(new Set(Array.from(data.keys()))).forEach(function (name) {
      var kept = data.getAll(name).filter(function (value) { return value !== ""; });
      data.delete(name);
      kept.forEach(function (value) { data.append(name, value); });
    });
  });

  // Folded check lists (<details class="kam-multiselect">): show the choice in the summary, close on outside click.
  function summarise(details) {
    var labels = Array.from(details.querySelectorAll("input:checked")).map(function (input) {
      var label = details.querySelector('label[for="' + input.id + '"]');
      return label ? label.textContent.trim() : input.value;
    });
    var summary = details.querySelector(".kam-multiselect-summary");
    if (summary) summary.textContent = labels.length ? labels.join(", ") : details.dataset.kamEmpty || "Any";
  }
  document.addEventListener("change", function (event) {
    var details = event.target.closest && event.target.closest("details.kam-multiselect");
    if (details) summarise(details);
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.kam-multiselect[open]").forEach(function (details) {
      if (!details.contains(event.target)) details.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.kam-multiselect[open]").forEach(function (details) {
      details.removeAttribute("open");
      var summary = details.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // Confirmations fade away after a while; errors stay until dismissed.
  function fadeSuccesses(root) {
    root.querySelectorAll("#messages .alert-success").forEach(function (alert) {
      if (alert.dataset.kamTimer) return;
      alert.dataset.kamTimer = "1";
      window.setTimeout(function () {
        if (window.bootstrap) window.bootstrap.Alert.getOrCreateInstance(alert).close();
      }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fadeSuccesses(document); });
  document.addEventListener("htmx:oobAfterSwap", function () { fadeSuccesses(document); });

  // A session that expired meanwhile: htmx followed the redirect to the login page; show it as a page,
  // not inside the table.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var loginUrl = document.body.dataset.kamLoginUrl;
    if (!xhr || !xhr.responseURL || !loginUrl) return;
    if (new URL(xhr.responseURL).pathname === loginUrl) {
      event.detail.shouldSwap = false;
      window.location.assign(xhr.responseURL);
    }
  });

  // Copy buttons (data-kam-copy="#field"): the field's text goes to the clipboard (a new API key), and the
  // button says so. Without the Clipboard API the text is selected and copied the old way.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-kam-copy]");
    if (!button) return;
    var field = document.querySelector(button.dataset.kamCopy);
    if (!field) return;
    field.focus();
    field.select();
    var copied = function () { button.textContent = button.dataset.kamCopied || "Copied"; };
    var fallback = function () { if (document.execCommand("copy")) copied(); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(copied, fallback);
    } else {
      fallback();
    }
  });

  // A failed htmx request would otherwise do nothing visible.
  document.addEventListener("htmx:responseError", function (event) {
    var messages = document.getElementById("messages");
    if (!messages) return;
    var alert = document.createElement("div");
    alert.className = "alert alert-danger alert-dismissible fade show shadow-sm";
    alert.setAttribute("role", "alert");
    alert.textContent = "Something went wrong (" + event.detail.xhr.status + "). Reload the page and try again.";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Dismiss");
    alert.appendChild(close);
    messages.appendChild(alert);
  });
})();
