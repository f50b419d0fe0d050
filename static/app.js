// hooks web UI: progressive enhancement only. Every action also works as a
// plain link or form without this file. Loaded with <script defer>, no inline
// code, so it runs under a strict Content-Security-Policy.
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.add("js");

  function $(sel, el) { return (el || document).querySelector(sel); }
  function $$(sel, el) { return Array.prototype.slice.call((el || document).querySelectorAll(sel)); }

  // ---------- Relative times (same rules as templates.RelativeTime) ----------
  var SEC = 1000, MIN = 60 * SEC, HOUR = 60 * MIN, DAY = 24 * HOUR;
  function relative(t, now) {
    var d = now - t, future = d < 0, out;
    if (future) d = -d;
    if (d < 45 * SEC) return future ? "in a few seconds" : "just now";
    if (d < 90 * SEC) out = "1 min";
    else if (d < HOUR) out = Math.floor((d + 30 * SEC) / MIN) + " min";
    else if (d < DAY) out = Math.floor((d + 30 * MIN) / HOUR) + " h";
    else if (d < 30 * DAY) out = Math.floor((d + 12 * HOUR) / DAY) + " d";
    else return new Date(t).toLocaleDateString("en-US", { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
    return future ? "in " + out : out + " ago";
  }
  function refreshTimes() {
    var now = Date.now();
    $$("time[data-relative]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (!isNaN(t)) el.textContent = relative(t, now);
    });
  }
  setInterval(refreshTimes, 30 * SEC);

  // ---------- Helpers ----------
  function formatMs(ms) {
    if (ms < 10 && ms !== Math.floor(ms)) return ms.toFixed(1) + " ms";
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 10000) return (ms / 1000).toFixed(2) + " s";
    return (ms / 1000).toFixed(1) + " s";
  }
  function pretty(body) {
    if (!body) return "(empty)";
    var s = body.trim();
    if (s[0] === "{" || s[0] === "[") {
      try { return JSON.stringify(JSON.parse(s), null, 2); } catch (e) { /* not JSON */ }
    }
    return body;
  }
  // postJSON submits a form as the browser would, asking for JSON. It
  // resolves to null when the answer is not JSON (e.g. a login redirect), so
  // the caller can fall back to a normal submit.
  function postJSON(form) {
    return fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin"
    }).then(function (res) {
      var type = res.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) return null;
      return res.json().then(function (data) {
        if (!res.ok) {
          var msg = data && data.error && (data.error.message || data.error);
          throw new Error(typeof msg === "string" ? msg : "The server answered " + res.status + ".");
        }
        return data;
      });
    });
  }
  function svgIcon(paths) {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("aria-hidden", "true");
    paths.forEach(function (d) {
      var p = document.createElementNS(ns, "path");
      p.setAttribute("d", d);
      svg.appendChild(p);
    });
    return svg;
  }

  // ---------- Destructive forms: confirm() before submitting ----------
  document.addEventListener("submit", function (e) {
    var form = e.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);

  // Avoid double submissions of ordinary POST forms.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || (form.method || "").toLowerCase() !== "post") return;
    if (form.dataset.submitting) { e.preventDefault(); return; }
    form.dataset.submitting = "1";
    var btn = e.submitter || $("[type=submit]", form);
    if (btn) btn.classList.add("is-busy");
  });
  // Pages restored from the back/forward cache must be usable again.
  window.addEventListener("pageshow", function () {
    $$("form[data-submitting]").forEach(function (f) { delete f.dataset.submitting; });
    $$(".is-busy").forEach(function (b) { b.classList.remove("is-busy"); });
  });

  // ---------- Tenant switcher submits on change ----------
  $$("form[data-autosubmit] select").forEach(function (sel) {
    sel.addEventListener("change", function () {
      if (sel.form.requestSubmit) sel.form.requestSubmit(); else sel.form.submit();
    });
  });

  // ---------- Copy buttons ----------
  function showCopyButtons() {
    $$("[data-copy]").forEach(function (btn) {
      var target = document.getElementById(btn.getAttribute("data-copy"));
      btn.hidden = !target || target.classList.contains("masked");
    });
  }
  function copyText(el) {
    var text = "value" in el && el.tagName !== "BUTTON" ? el.value : el.textContent.trim();
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.className = "sr-only";
    document.body.appendChild(ta);
    ta.select();
    var ok = document.execCommand("copy");
    ta.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("[data-copy]");
    if (!btn) return;
    var target = document.getElementById(btn.getAttribute("data-copy"));
    if (!target) return;
    var label = $("[data-copy-label]", btn);
    var before = label ? label.textContent : "";
    copyText(target).then(function () {
      if (label) label.textContent = "Copied";
    }, function () {
      if (label) label.textContent = "Press Ctrl+C";
      if (target.select) target.select();
    }).then(function () {
      setTimeout(function () { if (label) label.textContent = before; }, 1600);
    });
  });
  showCopyButtons();

  // ---------- Secret reveal in place ----------
  $$("form[data-reveal-form]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      postJSON(form).then(function (data) {
        if (!data || typeof data.secret !== "string") { form.submit(); return; }
        var box = form.closest("[data-secret]");
        var old = $("[data-secret-value]", box);
        var input = document.createElement("input");
        input.type = "text";
        input.readOnly = true;
        input.id = old.id;
        input.className = "secret-value mono";
        input.value = data.secret;
        input.setAttribute("aria-label", "Signing secret");
        input.setAttribute("data-secret-value", "");
        old.replaceWith(input);
        form.remove();
        showCopyButtons();
        input.focus();
        input.select();
      }).catch(function () { form.submit(); });
    });
  });

  // ---------- Test URL inline ----------
  $$("form[data-test-form]").forEach(function (form) {
    var card = form.closest("section") || document;
    var panel = $("[data-test-result]", card);
    if (!panel) return;
    function field(name) { return $('[data-field="' + name + '"]', panel); }
    function show(r) {
      panel.hidden = false;
      field("outcome").className = "badge " + (r.success ? "badge-success" : "badge-danger");
      field("outcome-text").textContent = r.success ? "Success" : "Failed";
      field("statusCode").textContent = r.statusCode ? String(r.statusCode) : "—";
      field("duration").textContent = formatMs(r.durationMs || 0);
      field("error").hidden = !r.error;
      field("error").textContent = r.error || "";
      field("responseBody").textContent = pretty(r.responseBody || "");
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var buttons = $$("button[type=submit]", form).concat(form.id ? $$('button[form="' + form.id + '"]') : []);
      var label = $("span", buttons[0]);
      var before = label ? label.textContent : "";
      buttons.forEach(function (b) { b.disabled = true; b.classList.add("is-busy"); });
      if (label) label.textContent = buttons[0].getAttribute("data-busy-label") || "Sending…";
      panel.setAttribute("aria-busy", "true");
      postJSON(form).then(function (r) {
        if (!r) { form.submit(); return; }
        show(r);
      }).catch(function (err) {
        show({ success: false, statusCode: 0, durationMs: 0, responseBody: "", error: "Could not run the test: " + err.message });
      }).then(function () {
        buttons.forEach(function (b) { b.disabled = false; b.classList.remove("is-busy"); });
        if (label) label.textContent = before;
        panel.removeAttribute("aria-busy");
        panel.scrollIntoView({ block: "nearest", behavior: "smooth" });
      });
    });
  });

  // ---------- Webhook form: try the filter against recent events ----------
  // The button posts the whole form to its formaction; without JS the
  // server renders the form again with the preview, with JS it answers
  // JSON that is rendered here (same markup as templates.filterPreviewBody).
  $$("button[data-filter-try]").forEach(function (btn) {
    var field = btn.closest("[data-filter-field]");
    var panel = $("[data-filter-preview]", field);
    var input = $("textarea", field);
    var hint = $(".hint", field);
    function el(tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    }
    function setError(msg) {
      var err = $("#f-filter-error");
      if (!msg) {
        if (err) err.remove();
        input.removeAttribute("aria-invalid");
        input.setAttribute("aria-describedby", "f-filter-hint");
        return;
      }
      if (!err) {
        err = el("p", "field-error");
        err.id = "f-filter-error";
        hint.after(err);
      }
      err.textContent = "";
      err.appendChild(svgIcon(["m21.73 18-8-14a2 2 0 0 0-3.48 0l-8 14A2 2 0 0 0 4 21h16a2 2 0 0 0 1.73-3Z", "M12 9v4", "M12 17h.01"]));
      err.appendChild(document.createTextNode(" " + msg));
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", "f-filter-error f-filter-hint");
    }
    function show(p) {
      panel.textContent = "";
      setError(p.error);
      if (p.error) { panel.hidden = true; return; }
      panel.hidden = false;
      var events = p.events || [];
      if (events.length === 0) {
        panel.appendChild(el("p", "muted small", "No recent events of these topics to try it on. Send one from Events, or check the topics."));
        return;
      }
      var sum = el("p", "small");
      sum.setAttribute("data-preview-summary", "");
      sum.appendChild(el("strong", "", p.matched + " of " + events.length));
      sum.appendChild(document.createTextNode(" recent events match."));
      panel.appendChild(sum);
      var ul = el("ul", "preview-list");
      events.forEach(function (ev) {
        var li = el("li");
        var badge = el("span", "badge " + (ev.matched ? "badge-success" : "badge-neutral"));
        var dot = el("span", "dot");
        dot.setAttribute("aria-hidden", "true");
        badge.appendChild(dot);
        badge.appendChild(document.createTextNode(ev.matched ? "Matched" : "Not matched"));
        li.appendChild(badge);
        var topic = el(ev.url ? "a" : "span", "mono", ev.topic);
        if (ev.url) topic.href = ev.url;
        li.appendChild(topic);
        if (ev.subTopic) li.appendChild(el("span", "mono muted small", ev.subTopic));
        li.appendChild(el("span", "muted small", new Date(ev.triggeredAt).toISOString().replace("T", " ").slice(0, 19) + " UTC"));
        ul.appendChild(li);
      });
      panel.appendChild(ul);
    }
    btn.addEventListener("click", function (e) {
      e.preventDefault();
      var label = $("span", btn), before = label.textContent;
      btn.disabled = true;
      btn.classList.add("is-busy");
      label.textContent = btn.getAttribute("data-busy-label") || "Trying…";
      panel.setAttribute("aria-busy", "true");
      fetch(btn.formAction, {
        method: "POST",
        headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(btn.form)),
        credentials: "same-origin"
      }).then(function (res) {
        if (!res.ok || (res.headers.get("Content-Type") || "").indexOf("application/json") === -1) {
          throw new Error("the server answered " + res.status);
        }
        return res.json();
      }).then(show).catch(function (err) {
        panel.hidden = false;
        panel.textContent = "";
        panel.appendChild(el("p", "field-error", "Could not try the filter: " + err.message));
      }).then(function () {
        btn.disabled = false;
        btn.classList.remove("is-busy");
        label.textContent = before;
        panel.removeAttribute("aria-busy");
      });
    });
  });

  // ---------- Webhook form: show only the relevant options ----------
  $$("select[data-scheme-select]").forEach(function (sel) {
    var form = sel.form;
    function update() {
      $$("[data-scheme]", form).forEach(function (el) {
        el.hidden = el.getAttribute("data-scheme").split(" ").indexOf(sel.value) === -1;
      });
      $$("[data-placeholder-" + sel.value + "]", form).forEach(function (el) {
        el.placeholder = el.getAttribute("data-placeholder-" + sel.value);
      });
    }
    sel.addEventListener("change", update);
    update();
  });
  $$("select[data-dest-select]").forEach(function (sel) {
    var form = sel.form;
    // Only the chosen type's fields show, so "for RabbitMQ" notes go.
    $$("[data-dest-note]", form).forEach(function (el) { el.hidden = true; });
    function update() {
      $$("[data-dest]", form).forEach(function (el) {
        el.hidden = el.getAttribute("data-dest").split(" ").indexOf(sel.value) === -1;
      });
      $$("[data-placeholder-" + sel.value + "]", form).forEach(function (el) {
        el.placeholder = el.getAttribute("data-placeholder-" + sel.value);
      });
    }
    sel.addEventListener("change", update);
    update();
  });
  $$("form[data-webhook-form]").forEach(function (form) {
    var radios = $$('input[name="envelope"]', form);
    function update() {
      var checked = radios.filter(function (r) { return r.checked; })[0];
      $$("[data-envelope]", form).forEach(function (el) {
        el.hidden = !checked || el.getAttribute("data-envelope") !== checked.value;
      });
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  });

  // ---------- Multi-entry chips for textarea[data-chips] ----------
  var chipInputs = {};
  function split(s) {
    return s.split(/[\n\r,]+/).map(function (x) { return x.trim(); }).filter(Boolean);
  }
  $$("textarea[data-chips]").forEach(function (ta) {
    var noun = ta.getAttribute("data-chip-label") || "item";
    var list = ta.getAttribute("data-chips");
    var items = [];
    var box = document.createElement("div");
    box.className = "chips-input";
    var chips = document.createElement("span");
    chips.className = "chips";
    chips.setAttribute("role", "list");
    var input = document.createElement("input");
    input.type = "text";
    input.className = "mono";
    input.autocomplete = "off";
    input.spellcheck = false;
    input.placeholder = "Type a " + noun + " and press Enter";
    if (list) input.setAttribute("list", list);
    ["aria-describedby", "aria-invalid"].forEach(function (a) {
      if (ta.hasAttribute(a)) input.setAttribute(a, ta.getAttribute(a));
    });
    if (ta.getAttribute("aria-invalid") === "true") box.classList.add("invalid");
    var id = ta.id;
    ta.id = id + "-raw";
    input.id = id;
    ta.hidden = true;
    box.appendChild(chips);
    box.appendChild(input);
    ta.parentNode.insertBefore(box, ta.nextSibling);

    function render() {
      chips.textContent = "";
      items.forEach(function (item, i) {
        var chip = document.createElement("span");
        chip.className = "chip";
        chip.setAttribute("role", "listitem");
        chip.appendChild(document.createTextNode(item));
        var rm = document.createElement("button");
        rm.type = "button";
        rm.setAttribute("aria-label", "Remove " + noun + " " + item);
        rm.appendChild(svgIcon(["M18 6 6 18", "m6 6 12 12"]));
        rm.addEventListener("click", function () {
          items.splice(i, 1);
          render();
          input.focus();
        });
        chip.appendChild(rm);
        chips.appendChild(chip);
      });
      ta.value = items.join("\n");
      $$('[data-suggest-for="' + id + '"] [data-suggest]').forEach(function (b) {
        b.setAttribute("aria-pressed", items.indexOf(b.getAttribute("data-suggest")) !== -1 ? "true" : "false");
      });
    }
    function add(text) {
      split(text).forEach(function (item) {
        if (items.indexOf(item) === -1) items.push(item);
      });
      render();
    }
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === ",") {
        if (e.key === "Enter" && !input.value.trim()) return;
        e.preventDefault();
        add(input.value);
        input.value = "";
      } else if (e.key === "Backspace" && !input.value && items.length) {
        items.pop();
        render();
      }
    });
    input.addEventListener("input", function (e) {
      // A pick from the datalist arrives as one replacement.
      if (!e.inputType || e.inputType === "insertReplacementText") {
        add(input.value);
        input.value = "";
      }
    });
    input.addEventListener("blur", function () {
      if (input.value.trim()) { add(input.value); input.value = ""; }
    });
    input.addEventListener("paste", function (e) {
      var text = (e.clipboardData || window.clipboardData).getData("text");
      if (/[\n,]/.test(text)) {
        e.preventDefault();
        add(text);
      }
    });
    box.addEventListener("click", function (e) { if (e.target === box || e.target === chips) input.focus(); });
    if (ta.form) ta.form.addEventListener("submit", function () {
      if (input.value.trim()) { add(input.value); input.value = ""; }
    }, true);
    add(ta.value);
    chipInputs[id] = add;
  });
  $$("[data-suggest-for]").forEach(function (wrap) {
    var add = chipInputs[wrap.getAttribute("data-suggest-for")];
    if (!add) return;
    $$("[data-suggest]", wrap).forEach(function (b) {
      b.disabled = false;
      b.addEventListener("click", function () { add(b.getAttribute("data-suggest")); });
    });
  });
  $$("[data-js-text]").forEach(function (el) { el.textContent = el.getAttribute("data-js-text"); });

  // ---------- Settings tabs: on a phone the bar scrolls sideways; show the
  // current tab (Audit log, the last, would start out of sight). ----------
  var tabs = $(".settings-tabs"), current = $(".settings-tab.active");
  function showCurrentTab() {
    var end = current.getBoundingClientRect().right - tabs.getBoundingClientRect().right;
    if (end > 0) tabs.scrollLeft += end + 16;
  }
  if (tabs && current) {
    showCurrentTab();
    window.addEventListener("resize", showCurrentTab);
  }
})();
