// The moderators' page: keyboard shortcuts, decisions without a reload, undo, bulk
// decisions and a poll that marks comments someone else decided. Without this script
// the page still works: every action is a plain form post.
(function () {
  "use strict";

  var configNode = document.getElementById("moderate-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var M = config.messages;
  var POLL_MS = 5000;
  var TOAST_MS = 6000;

  function fmt(key, values) {
    return (M[key] || key).replace(/\{(\w+)\}/g, function (whole, name) {
      return values && name in values ? values[name] : whole;
    });
  }

  function cards() { return Array.prototype.slice.call(document.querySelectorAll(".card")); }
  function card(id) { return document.getElementById("c-" + id); }
  function decided(c) { return c.classList.contains("is-decided"); }

  var current = null;
  var lastDecided = null;   // {ids: [...], until: ms}
  var left = 0;             // comments that left this queue since the page loaded
  var queueTab = document.querySelector(".queues .tab[aria-current]");
  var queueCount = queueTab ? parseInt(queueTab.querySelector(".count").textContent, 10) : null;
  var help = document.getElementById("help");
  var toast = document.getElementById("toast");
  var toastTimer = null;

  cards().forEach(function (c) { c.dataset.origin = c.dataset.status; });

  // -- selection and movement ------------------------------------------------------------

  function select(c) {
    if (!c) return;
    if (current) current.classList.remove("current");
    current = c;
    c.classList.add("current");
    c.focus({preventScroll: true});
    c.scrollIntoView({block: "nearest"});
  }

  function move(step) {
    var list = cards();
    if (!list.length) return;
    var i = list.indexOf(current);
    select(list[i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + step))]);
  }

  function nextUndecided(from) {
    var list = cards();
    var i = list.indexOf(from);
    for (var j = i + 1; j < list.length; j++) if (!decided(list[j])) return list[j];
    for (var k = i - 1; k >= 0; k--) if (!decided(list[k])) return list[k];
    return from;
  }

  document.addEventListener("click", function (event) {
    var c = event.target.closest && event.target.closest(".card");
    if (c && c !== current) select(c);
  });

  // -- messages ----------------------------------------------------------------------------

  function showToast(message, undoable) {
    if (!toast) return;
    toast.querySelector(".toast-message").textContent = message;
    var button = toast.querySelector(".toast-undo");
    button.hidden = !undoable;
    toast.hidden = false;
    clearTimeout(toastTimer);
    var wait = undoable ? Math.max(0, undoable.until - Date.now()) : TOAST_MS;
    toastTimer = setTimeout(function () { toast.hidden = true; }, wait);
  }

  // -- talking to the server -----------------------------------------------------------

  function post(url, fields) {
    var body = new URLSearchParams();
    fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: {"Accept": "application/json", "X-CSRF-Token": config.csrf},
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        return {status: response.status, data: data};
      });
    });
  }

  function failure(res) {
    if (res.status === 401) return M.session_ended;
    if (res.status === 403) return M.csrf_failed;
    var error = res.data && res.data.error;
    return fmt("request_failed", {message: error ? error.message : String(res.status)});
  }

  function setStatus(c, status) {
    c.className = c.className.replace(/\bstatus-\S+/g, "").trim() + " status-" + status;
    c.dataset.status = status;
  }

  function markDecided(c, status, message, mine) {
    if (!c) return;
    if (!decided(c)) left += 1;
    c.classList.add("is-decided");
    setStatus(c, status);
    c.querySelector(".decided-line").textContent = message;
    var box = c.querySelector(".pick-box");
    if (box) { box.checked = false; box.disabled = true; }
    var undo = c.querySelector(".undo-form");
    if (undo) {
      undo.hidden = !mine;
      if (mine) setTimeout(function () { undo.hidden = true; }, config.undo_seconds * 1000);
    }
  }

  function markTaken(c, status, message) {
    if (!c) return;
    markDecided(c, status || c.dataset.status, message, false);
    c.classList.add("taken");
  }

  function restore(c) {
    if (!c) return;
    if (decided(c)) left -= 1;
    c.classList.remove("is-decided", "taken");
    setStatus(c, c.dataset.origin);
    c.querySelector(".decided-line").textContent = "";
    var box = c.querySelector(".pick-box");
    if (box) box.disabled = false;
    var undo = c.querySelector(".undo-form");
    if (undo) undo.hidden = true;
  }

  function decide(ids, decision, extra) {
    extra = extra || {};
    if (!ids.length) { showToast(M.nothing_selected); return Promise.resolve(); }
    if (decision === "reject" && !extra.reason) { showToast(M.reason_required); return Promise.resolve(); }
    var fields = ids.map(function (id) { return ["id", id]; });
    fields.push(["decision", decision]);
    ["label", "reason", "note"].forEach(function (name) {
      if (extra[name]) fields.push([name, extra[name]]);
    });
    return post(config.decide, fields).then(function (res) {
      var results = (res.data && res.data.results) || [];
      if (!results.length) { showToast(failure(res)); return; }
      var ok = [];
      results.forEach(function (r) {
        if (r.ok) { markDecided(card(r.id), r.status, r.message, true); ok.push(r.id); }
        else markTaken(card(r.id), r.status, r.message);
      });
      var message = ids.length > 1 ? res.data.message
        : (results[0].ok ? res.data.message : results[0].message);
      lastDecided = ok.length ? {ids: ok, until: Date.now() + config.undo_seconds * 1000} : null;
      showToast(message, lastDecided);
      updateSelection();
      if (current && decided(current)) select(nextUndecided(current));
    }, function (error) { showToast(fmt("request_failed", {message: error.message})); });
  }

  function undo(ids) {
    var chain = Promise.resolve();
    var messages = [];
    ids.forEach(function (id) {
      chain = chain.then(function () {
        return post(config.undo, [["id", id]]).then(function (res) {
          if (res.status === 200) { restore(card(id)); messages.push(res.data.message); }
          else messages.push(res.data && res.data.error ? res.data.error.message : failure(res));
        });
      });
    });
    return chain.then(function () {
      lastDecided = null;
      showToast(messages[messages.length - 1] || M.undone);
      var first = card(ids[0]);
      if (first && !decided(first)) select(first);
      updateSelection();
    }, function (error) { showToast(fmt("request_failed", {message: error.message})); });
  }

  // -- actions on the current card ------------------------------------------------------

  function chosenLabel(c) {
    var radio = c.querySelector("input[name=label]:checked");
    return radio ? radio.value : "";
  }

  function approve(c) {
    if (!c) return;
    if (decided(c)) { showToast(c.querySelector(".decided-line").textContent); return; }
    decide([c.dataset.id], "approve", {label: chosenLabel(c)});
  }

  function openReject(c) {
    if (!c) return;
    if (decided(c)) { showToast(c.querySelector(".decided-line").textContent); return; }
    var box = c.querySelector(".reject-box");
    box.open = true;
    c.querySelector("select.reason").focus();
  }

  function reject(c) {
    if (!c || decided(c)) return;
    decide([c.dataset.id], "reject", {
      label: chosenLabel(c), reason: c.querySelector("select.reason").value,
      note: c.querySelector("textarea.note").value.trim(),
    });
  }

  // -- bulk ---------------------------------------------------------------------------------

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll(".pick-box:not(:disabled)"));
  }

  function selectedIds() {
    return boxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
  }

  function updateSelection() {
    var counter = document.getElementById("selected-count");
    var n = selectedIds().length;
    if (counter) counter.textContent = n ? fmt("selected", {n: n}) : "";
  }

  var all = document.getElementById("select-all");
  if (all) all.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = all.checked; });
    updateSelection();
  });
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("pick-box")) updateSelection();
  });

  // -- forms: the same posts, without a reload ----------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    if (form.classList.contains("decide")) {
      event.preventDefault();
      var c = form.closest(".card");
      select(c);
      if (submitter && submitter.value === "reject") reject(c); else approve(c);
    } else if (form.getAttribute("id") === "bulk-form") {  // form.id is its "id" inputs
      event.preventDefault();
      var decision = submitter ? submitter.value : "approve";
      decide(selectedIds(), decision, {
        reason: document.getElementById("bulk-reason").value,
        note: document.getElementById("bulk-note").value.trim(),
      }).then(function () { if (all) all.checked = false; });
    } else if (form.classList.contains("undo-form")) {
      event.preventDefault();
      undo([form.querySelector("input[name=id]").value]);
    }
  });

  // -- keyboard ------------------------------------------------------------------------------

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    return tag === "input" && !/^(checkbox|radio|button|submit)$/.test(target.type);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (help && help.open) return;  // the dialog closes on Escape by itself
    if (typing(event.target)) {
      var inCard = event.target.closest(".card");
      if (event.key === "Enter" && inCard && event.target.classList.contains("reason")) {
        event.preventDefault();
        reject(inCard);
      } else if (event.key === "Escape") {
        event.target.blur();
        if (current) current.focus({preventScroll: true});
      }
      return;
    }
    var c = current;
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "f": approve(c); break;
      case "d": openReject(c); break;
      case "x":
        var box = c && c.querySelector(".pick-box:not(:disabled)");
        if (box) { box.checked = !box.checked; updateSelection(); }
        break;
      case "u":
        if (lastDecided && Date.now() < lastDecided.until) undo(lastDecided.ids);
        else showToast(M.undo_expired);
        break;
      case "z":
        document.body.classList.toggle("single");
        if (!current) select(nextUndecided(cards()[0]) || cards()[0]);
        break;
      case "t":
        var urls = config.queue_urls || [];
        var tabs = Array.prototype.slice.call(document.querySelectorAll(".queues .tab"));
        var at = tabs.indexOf(queueTab);
        if (urls.length && at >= 0) window.location.assign(urls[(at + 1) % urls.length]);
        break;
      case "?":
        if (help) help.showModal();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  if (toast) toast.querySelector(".toast-undo").addEventListener("click", function () {
    if (lastDecided) undo(lastDecided.ids);
  });

  // -- poll: who else decided what ------------------------------------------------------------

  var banner = document.getElementById("new-comments");
  var polling = null;

  function poll() {
    if (document.hidden) return;
    var ids = cards().filter(function (c) { return !decided(c); })
      .map(function (c) { return c.dataset.id; });
    var params = new URLSearchParams(window.location.search);
    params.delete("cursor");
    params.set("ids", ids.join(","));
    fetch(config.poll + "?" + params.toString(), {
      credentials: "same-origin", headers: {"Accept": "application/json"},
    }).then(function (response) {
      if (response.status === 401) { clearInterval(polling); showToast(M.session_ended); return null; }
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) return;
      Object.keys(data.counts).forEach(function (queue) {
        var node = document.querySelector('[data-count="' + queue + '"]');
        if (node) node.textContent = data.counts[queue];
      });
      Object.keys(data.statuses).forEach(function (id) {
        var s = data.statuses[id];
        var c = card(id);
        if (c && !decided(c) && s.status !== c.dataset.origin) markTaken(c, s.status, s.message);
      });
      if (banner && queueTab && queueCount !== null) {
        banner.hidden = !(data.counts[queueTab.dataset.queue] > queueCount - left);
      }
    }).catch(function () { /* the next poll tries again */ });
  }

  if (config.poll) polling = setInterval(poll, POLL_MS);

  var first = cards().filter(function (c) { return !decided(c); })[0] || cards()[0];
  if (first) select(first);
})();
