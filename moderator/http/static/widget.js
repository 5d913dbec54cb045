/*
 * moderator comment-form widget: one <script> tag, no build step, no other origin.
 *
 *   <script src="https://moderator.example/v1/widget.js" data-form="#comment-form"
 *           data-site="default" defer></script>
 *
 * It enhances a form that already works without it (the site's server, which asks
 * POST /v1/check, stays the authority): reads GET /v1/policy for the site, counts the
 * comment as the server counts it (UTF-16 code units of the trimmed value, CRLF once),
 * marks required fields, checks email syntax as the server does, and on submit asks
 * POST /v1/precheck, showing each finding's message beside its field. A comment the
 * server would hold gets one "are you sure?" nudge: edit it, or send it anyway.
 * Comment text goes nowhere but /v1/precheck of the server this script came from.
 *
 * Attributes of the script tag (all optional):
 *   data-form      CSS selector of the form(s) (default: forms with a [data-moderator] attribute)
 *   data-site      the policy's site (default "default")
 *   data-precheck  "off": no pre-check on submit (only the checks made in the page)
 *   data-lang      en, ru or kk (default: the form's lang, then the page's)
 *   data-css       "off": do not add the widget's stylesheet
 *   data-nudged-field  name of a hidden input set to "1" when the commenter sends after
 *                  the nudge, so the site can tell its moderators
 * Fields are the form's controls named as the policy's fields (or marked
 * data-moderator-field="name"); an element marked data-moderator-counter="comment" is
 * used as that field's counter, one marked data-moderator-message="name" for its messages.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) { return; }
  var base = script.src.replace(/\/v1\/widget\.js(?:[?#].*)?$/, "");
  var PRECHECK_TIMEOUT_MS = 8000;
  var ANNOUNCE_PAUSE_MS = 700;

  var TEXT = {
    en: {
      left: "{n} characters left of {max}",
      over: "{n} characters over the limit of {max}",
      required: "{label} is required.",
      tooLong: "{label} is {length} characters long; the limit is {max}.",
      email: "{label} is not a valid email address: {reason}",
      emailShort: "{label} is not a valid email address.",
      requiredMark: "required",
      requiredNote: "* Denotes Required Field",
      fix: "Please correct the marked fields.",
      nudgeTitle: "Are you sure?",
      nudgeBody: "A moderator will read this comment before it is published:",
      edit: "Edit comment",
      send: "Send anyway",
      checking: "Checking your comment\u2026"
    },
    ru: {
      left: "\u041e\u0441\u0442\u0430\u043b\u043e\u0441\u044c \u0437\u043d\u0430\u043a\u043e\u0432: {n} \u0438\u0437 {max}",
      over: "\u041f\u0440\u0435\u0432\u044b\u0448\u0435\u043d \u043f\u0440\u0435\u0434\u0435\u043b {max} \u043d\u0430 {n} \u0437\u043d\u0430\u043a\u043e\u0432",
      required: "\u041f\u043e\u043b\u0435 \u00ab{label}\u00bb \u043e\u0431\u044f\u0437\u0430\u0442\u0435\u043b\u044c\u043d\u043e.",
      tooLong: "\u00ab{label}\u00bb: {length} \u0437\u043d\u0430\u043a\u043e\u0432, \u0430 \u043c\u043e\u0436\u043d\u043e \u043d\u0435 \u0431\u043e\u043b\u044c\u0448\u0435 {max}.",
      email: "\u00ab{label}\u00bb: \u044d\u0442\u043e \u043d\u0435 \u0430\u0434\u0440\u0435\u0441 \u044d\u043b\u0435\u043a\u0442\u0440\u043e\u043d\u043d\u043e\u0439 \u043f\u043e\u0447\u0442\u044b.",
      emailShort: "\u00ab{label}\u00bb: \u044d\u0442\u043e \u043d\u0435 \u0430\u0434\u0440\u0435\u0441 \u044d\u043b\u0435\u043a\u0442\u0440\u043e\u043d\u043d\u043e\u0439 \u043f\u043e\u0447\u0442\u044b.",
      requiredMark: "\u043e\u0431\u044f\u0437\u0430\u0442\u0435\u043b\u044c\u043d\u043e",
      requiredNote: "* \u041e\u0431\u044f\u0437\u0430\u0442\u0435\u043b\u044c\u043d\u043e\u0435 \u043f\u043e\u043b\u0435",
      fix: "\u0418\u0441\u043f\u0440\u0430\u0432\u044c\u0442\u0435 \u043e\u0442\u043c\u0435\u0447\u0435\u043d\u043d\u044b\u0435 \u043f\u043e\u043b\u044f.",
      nudgeTitle: "\u0412\u044b \u0443\u0432\u0435\u0440\u0435\u043d\u044b?",
      nudgeBody: "\u041c\u043e\u0434\u0435\u0440\u0430\u0442\u043e\u0440 \u043f\u0440\u043e\u0447\u0438\u0442\u0430\u0435\u0442 \u044d\u0442\u043e\u0442 \u043a\u043e\u043c\u043c\u0435\u043d\u0442\u0430\u0440\u0438\u0439 \u0434\u043e \u043f\u0443\u0431\u043b\u0438\u043a\u0430\u0446\u0438\u0438:",
      edit: "\u0418\u0441\u043f\u0440\u0430\u0432\u0438\u0442\u044c \u043a\u043e\u043c\u043c\u0435\u043d\u0442\u0430\u0440\u0438\u0439",
      send: "\u0412\u0441\u0451 \u0440\u0430\u0432\u043d\u043e \u043e\u0442\u043f\u0440\u0430\u0432\u0438\u0442\u044c",
      checking: "\u041f\u0440\u043e\u0432\u0435\u0440\u044f\u0435\u043c \u043a\u043e\u043c\u043c\u0435\u043d\u0442\u0430\u0440\u0438\u0439\u2026"
    },
    kk: {
      left: "\u049a\u0430\u043b\u0493\u0430\u043d \u0442\u0430\u04a3\u0431\u0430: {n} / {max}",
      over: "{max} \u0442\u0430\u04a3\u0431\u0430 \u0448\u0435\u0433\u0456\u043d\u0435\u043d {n} \u0442\u0430\u04a3\u0431\u0430 \u0430\u0441\u044b\u043f \u043a\u0435\u0442\u0442\u0456",
      required: "\u00ab{label}\u00bb \u04e9\u0440\u0456\u0441\u0456\u043d \u0442\u043e\u043b\u0442\u044b\u0440\u0443 \u043c\u0456\u043d\u0434\u0435\u0442\u0442\u0456.",
      tooLong: "\u00ab{label}\u00bb: {length} \u0442\u0430\u04a3\u0431\u0430, \u0435\u04a3 \u043a\u04e9\u0431\u0456 {max} \u0431\u043e\u043b\u0443\u044b \u043a\u0435\u0440\u0435\u043a.",
      email: "\u00ab{label}\u00bb: \u044d\u043b\u0435\u043a\u0442\u0440\u043e\u043d\u0434\u044b\u049b \u043f\u043e\u0448\u0442\u0430 \u043c\u0435\u043a\u0435\u043d\u0436\u0430\u0439\u044b \u049b\u0430\u0442\u0435.",
      emailShort: "\u00ab{label}\u00bb: \u044d\u043b\u0435\u043a\u0442\u0440\u043e\u043d\u0434\u044b\u049b \u043f\u043e\u0448\u0442\u0430 \u043c\u0435\u043a\u0435\u043d\u0436\u0430\u0439\u044b \u049b\u0430\u0442\u0435.",
      requiredMark: "\u043c\u0456\u043d\u0434\u0435\u0442\u0442\u0456",
      requiredNote: "* \u041c\u0456\u043d\u0434\u0435\u0442\u0442\u0456 \u04e9\u0440\u0456\u0441",
      fix: "\u0411\u0435\u043b\u0433\u0456\u043b\u0435\u043d\u0433\u0435\u043d \u04e9\u0440\u0456\u0441\u0442\u0435\u0440\u0434\u0456 \u0442\u04af\u0437\u0435\u0442\u0456\u04a3\u0456\u0437.",
      nudgeTitle: "\u0421\u0435\u043d\u0456\u043c\u0434\u0456\u0441\u0456\u0437 \u0431\u0435?",
      nudgeBody: "\u0411\u04b1\u043b \u043f\u0456\u043a\u0456\u0440\u0434\u0456 \u0436\u0430\u0440\u0438\u044f\u043b\u0430\u043c\u0430\u0441 \u0431\u04b1\u0440\u044b\u043d \u043c\u043e\u0434\u0435\u0440\u0430\u0442\u043e\u0440 \u043e\u049b\u0438\u0434\u044b:",
      edit: "\u041f\u0456\u043a\u0456\u0440\u0434\u0456 \u04e9\u0437\u0433\u0435\u0440\u0442\u0443",
      send: "\u0411\u04d9\u0440\u0456\u0431\u0456\u0440 \u0436\u0456\u0431\u0435\u0440\u0443",
      checking: "\u041f\u0456\u043a\u0456\u0440 \u0442\u0435\u043a\u0441\u0435\u0440\u0456\u043b\u0456\u043f \u0436\u0430\u0442\u044b\u0440\u2026"
    }
  };

  /* ---- Counting as the server counts (moderator/policy/fields.py) ---- */

  // Python's str.strip() removes exactly these (str.isspace); JS's trim() differs
  // (it removes U+FEFF and keeps U+001C-U+001F and U+0085).
  var PY_SPACE = "\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680" +
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" +
    "\u2028\u2029\u202f\u205f\u3000";

  function pyStrip(text) {
    var start = 0;
    var end = text.length;
    while (start < end && PY_SPACE.indexOf(text.charAt(start)) >= 0) { start++; }
    while (end > start && PY_SPACE.indexOf(text.charAt(end - 1)) >= 0) { end--; }
    return text.slice(start, end);
  }

  /** The value as the server counts it: trimmed, one character per line break. */
  function formValue(raw) {
    return pyStrip(raw).replace(/\r\n/g, "\n").replace(/\r/g, "\n");
  }

  /** Length in UTF-16 code units (a JS string's length is exactly that). */
  function formLength(raw) {
    return formValue(raw).length;
  }

  /* ---- Email syntax as the server checks it (email-validator, no DNS) ---- */

  var ATEXT = "a-zA-Z0-9_!#$%&'*+\\-/=?^`{|}~";
  var DOT_ATOM = new RegExp("^[" + ATEXT + "]+(?:\\.[" + ATEXT + "]+)*$");
  var ATEXT_DOT = new RegExp("^[." + ATEXT + "]$");
  var HOST_CHAR = /^[a-zA-Z0-9\-.]$/;
  var HOST_LABEL = "(?:(?:[a-z0-9][a-z0-9\\-]*)?[a-z0-9])";
  var DOT_ATOM_HOST = new RegExp("^" + HOST_LABEL + "(?:\\." + HOST_LABEL + ")*$");
  var SPECIAL_USE = ["arpa", "invalid", "local", "localhost", "onion", "test"];

  /** How email-validator shows a character in its messages (Python repr or U+XXXX). */
  function shown(c) {
    var code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) {
      return "U+" + ("0000" + code.toString(16).toUpperCase()).slice(-4);
    }
    if (c === " ") { return "SPACE"; } // unicodedata.name: a space is no letter or symbol
    if (c === "\\") { return "\"\\\""; }
    return c === "'" ? "\"'\"" : "'" + c + "'";
  }

  function badChars(text, allowed) {
    var seen = {};
    for (var i = 0; i < text.length; i++) {
      if (!allowed.test(text.charAt(i))) { seen[shown(text.charAt(i))] = true; }
    }
    var list = Object.keys(seen).sort(function (a, b) { return a < b ? -1 : a > b ? 1 : 0; });
    return list.length ? list.join(", ") : null;
  }

  function dotProblem(label, startText, endText, hostname) {
    if (/\.$/.test(label)) { return endText.replace("{}", "period"); }
    if (/^\./.test(label)) { return startText.replace("{}", "period"); }
    if (label.indexOf("..") >= 0) { return "An email address cannot have two periods in a row."; }
    if (hostname) {
      if (/-$/.test(label)) { return endText.replace("{}", "hyphen"); }
      if (/^-/.test(label)) { return startText.replace("{}", "hyphen"); }
      if (label.indexOf(".-") >= 0 || label.indexOf("-.") >= 0) {
        return "An email address cannot have a period and a hyphen next to each other.";
      }
    }
    return null;
  }

  /**
   * email-validator's verdict on `value` (already trimmed), as its message, "" when the
   * address is valid, or null when only the server can tell (non-ASCII addresses, IDNA
   * labels, quotes and display names: the widget then asks the server).
   */
  function emailProblem(value) {
    if (/[^\x00-\x7f]/.test(value) || /["<]/.test(value) || /xn--/i.test(value)) {
      return null;
    }
    var at = value.indexOf("@");
    if (at < 0) { return "An email address must have an @-sign."; }
    var local = value.slice(0, at);
    var domain = value.slice(at + 1);
    if (!local) { return "There must be something before the @-sign."; }
    if (!DOT_ATOM.test(local)) {
      var bad = badChars(local, ATEXT_DOT);
      if (bad) {
        return "The email address contains invalid characters before the @-sign: " + bad + ".";
      }
      return dotProblem(local, "An email address cannot start with a {}.",
        "An email address cannot have a {} immediately before the @-sign.", false) ||
        "The email address contains invalid characters before the @-sign.";
    }
    if (!domain) { return "There must be something after the @-sign."; }
    if (domain.charAt(0) === "[" && domain.charAt(domain.length - 1) === "]") {
      return null; // a domain literal: the server says which of its errors applies
    }
    if (domain.length > 253) {
      return "The email address is too long after the @-sign (" + tooMany(domain.length - 253) + ").";
    }
    var badHost = badChars(domain, HOST_CHAR);
    if (badHost) {
      return "The part after the @-sign contains invalid characters: " + badHost + ".";
    }
    domain = domain.toLowerCase();
    var dots = dotProblem(domain, "An email address cannot have a {} immediately after the @-sign.",
      "An email address cannot end with a {}.", true);
    if (dots) { return dots; }
    var labels = domain.split(".");
    for (var i = 0; i < labels.length; i++) {
      if (/^..--/.test(labels[i]) && !/^xn/.test(labels[i])) {
        return "An email address cannot have two letters followed by two dashes immediately " +
          "after the @-sign or after a period, except Punycode.";
      }
    }
    if (!DOT_ATOM_HOST.test(domain)) { return null; }
    for (var j = 0; j < labels.length; j++) {
      if (labels[j].length > 63) {
        return "After the @-sign, periods cannot be separated by so many characters (" +
          tooMany(labels[j].length - 63) + ").";
      }
    }
    if (domain.indexOf(".") < 0) {
      return "The part after the @-sign is not valid. It should have a period.";
    }
    if (!/[a-z]$/.test(domain)) {
      return "The part after the @-sign is not valid. It is not within a valid top-level domain.";
    }
    for (var k = 0; k < SPECIAL_USE.length; k++) {
      var d = SPECIAL_USE[k];
      if (domain === d || domain.slice(-(d.length + 1)) === "." + d) {
        return "The part after the @-sign is a special-use or reserved name that cannot be used with email.";
      }
    }
    if (value.length > 254) {
      return "The email address is too long (" + tooMany(value.length - 254) + ").";
    }
    return "";
  }

  function tooMany(n) {
    return n + " character" + (n > 1 ? "s" : "") + " too many";
  }

  /* ---- Small DOM helpers ---- */

  var uid = 0;
  function idFor(el, hint) {
    if (!el.id) { el.id = "moderator-" + hint + "-" + (++uid); }
    return el.id;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function addToken(el, attr, token) {
    var tokens = (el.getAttribute(attr) || "").split(/\s+/).filter(Boolean);
    if (tokens.indexOf(token) < 0) { tokens.push(token); }
    el.setAttribute(attr, tokens.join(" "));
  }

  function make(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text) { el.textContent = text; }
    return el;
  }

  function languageOf(form) {
    var chosen = script.getAttribute("data-lang");
    if (!chosen) {
      var holder = form.closest("[lang]");
      chosen = holder ? holder.getAttribute("lang") : document.documentElement.lang;
    }
    var code = (chosen || "en").toLowerCase().split(/[-_]/)[0];
    return TEXT[code] ? code : "en";
  }

  /* ---- One enhanced form ---- */

  function Widget(form, policy) {
    this.form = form;
    this.policy = policy;
    this.lang = languageOf(form);
    this.text = TEXT[this.lang];
    this.fields = {};
    this.nudged = false;
    this.bypass = false;
    this.pending = null;
    var self = this;
    policy.fields.forEach(function (spec) {
      var el = form.querySelector("[data-moderator-field='" + spec.name + "']") ||
        (form.elements.namedItem(spec.name) instanceof HTMLElement ?
          form.elements.namedItem(spec.name) : null);
      if (el && /^(INPUT|TEXTAREA)$/.test(el.tagName)) {
        self.fields[spec.name] = self.enhance(el, spec);
      }
    });
    form.noValidate = true; // our messages, not the browser's own bubbles
    this.status = make("p", "moderator-status");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    var submit = form.querySelector("[type=submit]");
    form.insertBefore(this.status, submit || null);
    form.addEventListener("submit", function (event) { self.onSubmit(event); });
  }

  Widget.prototype.labelText = function (field) {
    var label = field.label;
    if (!label) { return field.spec.label; }
    var copy = label.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll(".moderator-required, .moderator-sr"),
      function (n) { n.remove(); });
    return copy.textContent.replace(/\*/g, "").trim() || field.spec.label;
  };

  Widget.prototype.enhance = function (el, spec) {
    var field = { el: el, spec: spec, label: el.labels && el.labels[0] };
    var name = spec.name;
    idFor(el, name);
    field.message = this.form.querySelector("[data-moderator-message='" + name + "']");
    if (!field.message) {
      field.message = make("p", "moderator-message");
      var after = this.form.querySelector("[data-moderator-counter='" + name + "']") || el;
      after.insertAdjacentElement("afterend", field.message);
    }
    field.message.classList.add("moderator-message");
    field.message.setAttribute("aria-live", "polite");
    addToken(el, "aria-describedby", idFor(field.message, name + "-message"));
    if (spec.required) { this.markRequired(field); }
    var counted = this.form.querySelector("[data-moderator-counter='" + name + "']");
    if (spec.max_length && (counted || el.tagName === "TEXTAREA")) { this.addCounter(field); }
    var self = this;
    if (spec.type === "email") {
      el.addEventListener("change", function () { self.checkEmailNow(field); });
    }
    el.addEventListener("input", function () {
      if (field.shown && field.shownFor !== el.value) { self.say(field, ""); }
    });
    return field;
  };

  Widget.prototype.markRequired = function (field) {
    field.el.setAttribute("aria-required", "true"); // what a screen reader announces
    var label = field.label;
    if (label && label.textContent.indexOf("*") < 0) {
      var mark = make("span", "moderator-required", "*");
      mark.setAttribute("aria-hidden", "true");
      label.appendChild(mark);
    }
    if (!this.form.querySelector(".moderator-required-note, [data-moderator-required-note]")) {
      var note = make("p", "moderator-required-note", this.text.requiredNote);
      this.form.insertBefore(note, this.form.querySelector("[type=submit]"));
    }
  };

  Widget.prototype.addCounter = function (field) {
    var max = field.spec.max_length;
    var counter = this.form.querySelector("[data-moderator-counter='" + field.spec.name + "']");
    if (!counter) {
      counter = make("p", "moderator-counter");
      field.el.insertAdjacentElement("afterend", counter);
    }
    counter.classList.add("moderator-counter");
    counter.setAttribute("aria-hidden", "true"); // the live region below speaks for it
    var spoken = make("span", "moderator-sr");
    spoken.setAttribute("aria-live", "polite");
    spoken.setAttribute("aria-atomic", "true");
    idFor(spoken, field.spec.name + "-count");
    counter.insertAdjacentElement("afterend", spoken);
    addToken(field.el, "aria-describedby", spoken.id);
    field.counter = counter;
    field.spoken = spoken;
    var self = this;
    var timer = null;
    var wasOver = false;
    function update() {
      var left = max - formLength(field.el.value);
      counter.textContent = left + " / " + max;
      counter.classList.toggle("moderator-over", left < 0);
      var over = left < 0;
      clearTimeout(timer);
      var speak = function () {
        spoken.textContent = format(over ? self.text.over : self.text.left,
          { n: Math.abs(left), max: max });
      };
      if (over !== wasOver) { speak(); } else { timer = setTimeout(speak, ANNOUNCE_PAUSE_MS); }
      wasOver = over;
    }
    field.el.addEventListener("input", update);
    update();
    spoken.textContent = format(this.text.left, { n: max - formLength(field.el.value), max: max });
  };

  /** Show `message` beside the field ("" clears it). */
  Widget.prototype.say = function (field, message) {
    field.message.textContent = message;
    field.shown = Boolean(message);
    field.shownFor = field.el.value;
    if (message) {
      field.el.setAttribute("aria-invalid", "true");
    } else {
      field.el.removeAttribute("aria-invalid");
    }
  };

  /** Problems the page can tell alone: required, length, email syntax (ASCII). */
  Widget.prototype.localProblems = function () {
    var problems = {};
    var self = this;
    Object.keys(this.fields).forEach(function (name) {
      var field = self.fields[name];
      var spec = field.spec;
      var value = formValue(field.el.value);
      var label = self.labelText(field);
      if (!value) {
        if (spec.required) { problems[name] = format(self.text.required, { label: label }); }
        return;
      }
      if (spec.max_length && value.length > spec.max_length) {
        problems[name] = format(self.text.tooLong,
          { label: label, length: value.length, max: spec.max_length });
      } else if (spec.type === "email") {
        var reason = emailProblem(value);
        if (reason) {
          problems[name] = format(self.text.email, { label: label, reason: reason });
        }
      }
    });
    return problems;
  };

  Widget.prototype.checkEmailNow = function (field) {
    var value = formValue(field.el.value);
    if (!value) { this.say(field, ""); return; }
    var reason = emailProblem(value);
    var label = this.labelText(field);
    if (reason !== null) {
      this.say(field, reason ? format(this.text.email, { label: label, reason: reason }) : "");
      return;
    }
    // Only the server can tell: ask it about this field alone.
    var self = this;
    var fields = {};
    fields[field.spec.name] = field.el.value;
    this.ask(fields).then(function (answer) {
      if (!answer || formValue(field.el.value) !== value) { return; }
      var found = answer.findings.filter(function (f) {
        return f.field === field.spec.name && f.action === "reject";
      });
      self.say(field, found.length ? self.message(found[0], field) : "");
    });
  };

  /** A finding's message for the commenter: the widget's own words for the checks it
   * makes itself (so a Russian form says it in Russian), else the server's. */
  Widget.prototype.message = function (finding, field) {
    if (this.lang !== "en" && field) {
      var label = this.labelText(field);
      var code = finding.code.slice(field.spec.name.length + 1);
      if (finding.code.indexOf(field.spec.name + ".") === 0) {
        if (code === "required") { return format(this.text.required, { label: label }); }
        if (code === "invalid") { return format(this.text.emailShort, { label: label }); }
      }
    }
    return finding.message;
  };

  /** POST /v1/precheck; resolves to the answer, or null when the checker cannot say. */
  Widget.prototype.ask = function (fields) {
    var body = JSON.stringify({
      site: this.policy.site,
      fields: fields,
      context: { language: this.lang }
    });
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); },
      PRECHECK_TIMEOUT_MS) : null;
    return fetch(base + "/v1/precheck", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body,
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).catch(function () { return null; }).then(function (answer) {
      clearTimeout(timer);
      return answer && Array.isArray(answer.findings) ? answer : null;
    });
  };

  Widget.prototype.values = function () {
    var out = {};
    var self = this;
    Object.keys(this.fields).forEach(function (name) { out[name] = self.fields[name].el.value; });
    return out;
  };

  Widget.prototype.onSubmit = function (event) {
    if (this.bypass) { this.bypass = false; return; } // sent on purpose: let it go
    event.preventDefault();
    if (this.pending) { return; }
    this.closeNudge(false);
    var self = this;
    var problems = this.localProblems();
    Object.keys(this.fields).forEach(function (name) {
      self.say(self.fields[name], problems[name] || "");
    });
    if (Object.keys(problems).length) { this.fail(); return; }
    if (script.getAttribute("data-precheck") === "off") { this.send(event.submitter); return; }
    this.status.textContent = this.text.checking;
    var submitter = event.submitter;
    this.pending = this.ask(this.values()).then(function (answer) {
      self.pending = null;
      self.status.textContent = "";
      self.decide(answer, submitter);
    });
  };

  Widget.prototype.decide = function (answer, submitter) {
    if (!answer) { this.send(submitter); return; } // the site's server decides alone
    var self = this;
    var rejected = answer.findings.filter(function (f) { return f.action === "reject"; });
    if (rejected.length) {
      var general = [];
      rejected.forEach(function (finding) {
        var field = finding.field && self.fields[finding.field];
        if (field) {
          if (!field.shown) { self.say(field, self.message(finding, field)); }
        } else {
          general.push(finding.message);
        }
      });
      this.fail(general);
      return;
    }
    // Holds for the comment's words, not for our own outage (system.*): those are no
    // reason to ask the commenter to think again.
    var reasons = answer.findings.filter(function (f) {
      return f.action === "review" && f.code.indexOf("system.") !== 0;
    });
    if (answer.decision === "review" && reasons.length && !this.nudged) {
      this.nudged = true;
      this.nudge(reasons, submitter);
      return;
    }
    this.send(submitter);
  };

  Widget.prototype.fail = function (general) {
    this.status.textContent = (general && general.length ? general.join(" ") + " " : "") +
      this.text.fix;
    var self = this;
    var first = Object.keys(this.fields).map(function (n) { return self.fields[n]; })
      .filter(function (f) { return f.shown; })[0];
    if (first) { first.el.focus(); }
  };

  /** The one "are you sure?": the reasons, then edit or send anyway. */
  Widget.prototype.nudge = function (findings, submitter) {
    var self = this;
    var box = make("div", "moderator-nudge");
    box.setAttribute("role", "alertdialog");
    box.setAttribute("tabindex", "-1");
    var title = make("p", "moderator-nudge-title", this.text.nudgeTitle);
    var body = make("p", "moderator-nudge-body", this.text.nudgeBody);
    var reasons = make("ul", "moderator-nudge-reasons");
    var seen = {};
    findings.forEach(function (finding) {
      if (seen[finding.message]) { return; }
      seen[finding.message] = true;
      reasons.appendChild(make("li", "", finding.message));
    });
    box.setAttribute("aria-labelledby", idFor(title, "nudge-title"));
    box.setAttribute("aria-describedby", idFor(body, "nudge-body") + " " +
      idFor(reasons, "nudge-reasons"));
    var edit = make("button", "moderator-edit", this.text.edit);
    edit.type = "button";
    var send = make("button", "moderator-send", this.text.send);
    send.type = "button";
    var actions = make("div", "moderator-nudge-actions");
    actions.appendChild(edit);
    actions.appendChild(send);
    box.appendChild(title);
    box.appendChild(body);
    box.appendChild(reasons);
    box.appendChild(actions);
    edit.addEventListener("click", function () { self.closeNudge(true); });
    send.addEventListener("click", function () {
      self.closeNudge(false);
      self.markNudged();
      self.send(submitter);
    });
    box.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { self.closeNudge(true); }
    });
    this.form.insertBefore(box, this.status);
    this.nudgeBox = box;
    box.focus();
  };

  Widget.prototype.closeNudge = function (toComment) {
    if (!this.nudgeBox) { return; }
    this.nudgeBox.remove();
    this.nudgeBox = null;
    var comment = this.fields.comment || this.fields[Object.keys(this.fields)[0]];
    if (toComment && comment) { comment.el.focus(); }
  };

  Widget.prototype.markNudged = function () {
    var name = script.getAttribute("data-nudged-field");
    if (!name) { return; }
    var input = this.form.elements.namedItem(name);
    if (!input) {
      input = make("input");
      input.type = "hidden";
      input.name = name;
      this.form.appendChild(input);
    }
    input.value = "1";
  };

  /** Submit the form to the site as it would go without the widget. */
  Widget.prototype.send = function (submitter) {
    this.bypass = true;
    if (typeof this.form.requestSubmit === "function") {
      this.form.requestSubmit(submitter && submitter.form === this.form ? submitter : undefined);
    } else {
      this.bypass = false;
      HTMLFormElement.prototype.submit.call(this.form);
    }
  };

  /* ---- Start ---- */

  function start() {
    var selector = script.getAttribute("data-form") || "form[data-moderator]";
    var forms = document.querySelectorAll(selector);
    if (!forms.length) { return; }
    if (script.getAttribute("data-css") !== "off") {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = base + "/v1/widget.css";
      document.head.appendChild(link);
    }
    var site = script.getAttribute("data-site") || "default";
    fetch(base + "/v1/policy?site=" + encodeURIComponent(site), { credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; })
      .then(function (policy) {
        if (!policy || !Array.isArray(policy.fields)) { return; } // the plain form works
        Array.prototype.forEach.call(forms, function (form) {
          form.moderatorWidget = new Widget(form, policy);
          form.setAttribute("data-moderator-ready", "");
        });
      });
  }

  window.ModeratorWidget = { formValue: formValue, formLength: formLength,
    emailProblem: emailProblem };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
