// The dashboard's live updates and actions, in plain JavaScript (no build step).
//
// Every LIVE_MS the live part of the page is fetched again and merged in: a row whose version
// (data-v) is unchanged is kept as it is, so that what the user opened, scrolled or typed
// stays; a changed row takes the open <details> and the typed values of the old one. Forms
// marked data-js post in the background and put their answer in the message box.
(function () {
  "use strict";
  var LIVE_URL = document.body.dataset.live;
  var LIVE_MS = Number(document.body.dataset.every) * 1000;
  var live = document.getElementById("live");
  var stamp = document.getElementById("stamp");
  var busy = false, again = false;

  function say(text, bad) {
    var box = document.getElementById("msg");
    box.textContent = text;
    box.className = bad ? "bad" : "";
  }

  function typing() {
    var a = document.activeElement;
    return a && live.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName);
  }

  function carry(old, row) {
    old.querySelectorAll("details[data-key]").forEach(function (d) {
      var twin = row.querySelector('details[data-key="' + d.dataset.key + '"]');
      if (twin) twin.open = d.open;
    });
    old.querySelectorAll("textarea[name], input[name]:not([type=hidden]), select[name]")
      .forEach(function (field) {
        var form = field.form && field.form.getAttribute("action");
        row.querySelectorAll(field.tagName + '[name="' + field.name + '"]').forEach(function (twin) {
          if (twin.form && twin.form.getAttribute("action") === form) twin.value = field.value;
        });
      });
  }

  function merge(fresh) {
    var x = window.scrollX, y = window.scrollY; // before any row moves: reading it lays out
    fresh.querySelectorAll("[data-row]").forEach(function (row) {
      var old = live.querySelector('[data-row="' + row.dataset.row + '"]');
      if (!old) return;
      if (old.dataset.v === row.dataset.v) row.replaceWith(old);
      else carry(old, row);
    });
    live.replaceChildren.apply(live, Array.prototype.slice.call(fresh.childNodes));
    window.scrollTo(x, y);
  }

  function refresh(now) {
    if (busy) { again = again || now; return Promise.resolve(); }
    if (typing() && !now) return Promise.resolve();
    busy = true;
    return fetch(LIVE_URL + location.search, { headers: { "X-Dashboard": "fetch" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.text();
      })
      .then(function (html) {
        var fresh = document.createElement("div");
        fresh.innerHTML = html;
        merge(fresh);
        stamp.textContent = "live · updated " + new Date().toLocaleTimeString();
        stamp.className = "";
      })
      .catch(function (e) {
        stamp.textContent = "not updating: " + e.message;
        stamp.className = "off";
      })
      .finally(function () {
        busy = false;
        if (again) { again = false; refresh(true); }
      });
  }

  function copy(text, button) {
    var done = function () {
      var was = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = was; }, 1200);
    };
    var fallback = function () {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    };
    if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-copy]");
    if (button) { e.preventDefault(); copy(button.dataset.copy, button); }
  });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.id === "filters") {
      e.preventDefault();
      var query = new URLSearchParams();
      new FormData(form).forEach(function (value, name) { if (value) query.set(name, value); });
      history.replaceState(null, "", location.pathname + (query.size ? "?" + query : ""));
      refresh(true);
      return;
    }
    if (!form.hasAttribute("data-js")) return;
    e.preventDefault();
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "X-Dashboard": "fetch" },
    })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        say(answer.message, !answer.ok);
        if (answer.ok && form.hasAttribute("data-clear")) form.reset();
        if (document.activeElement && form.contains(document.activeElement)) {
          document.activeElement.blur();
        }
        return refresh(true);
      })
      .catch(function (err) { say("the mock did not answer: " + err.message, true); });
  });

  document.addEventListener("change", function (e) {
    if (e.target.form && e.target.form.id === "filters") e.target.form.requestSubmit();
  });

  setInterval(function () { refresh(false); }, LIVE_MS);
})();
