// Audit log viewer (admin, auditor): newest first, filter by actor/action, page backwards.
(function () {
  "use strict";
  var h = window.hotline;
  var form = document.getElementById("audit-filter");
  var more = document.getElementById("audit-more");
  var tbody = document.querySelector("#audit-table tbody");
  var oldest = null;

  function row(a) {
    return h.el("tr", {}, [
      h.el("td", { text: new Date(a.at).toLocaleString("zh-CN", { hour12: false }) }),
      h.el("td", { text: a.actor }), h.el("td", { text: a.role }), h.el("td", { text: a.action }),
      h.el("td", { text: a.target_type ? a.target_type + " " + a.target_id : "" }),
      h.el("td", {}, [h.el("span", { "class": "badge badge-" + a.outcome, text: a.outcome })]),
      h.el("td", { text: a.address }), h.el("td", { text: JSON.stringify(a.detail) }),
    ]);
  }

  async function load(append) {
    var q = new URLSearchParams({ limit: "100" });
    if (form.actor.value.trim()) q.set("actor", form.actor.value.trim());
    if (form.action.value.trim()) q.set("action", form.action.value.trim());
    if (append && oldest !== null) q.set("before_id", String(oldest));
    try {
      var rows = await h.api("/api/audit?" + q.toString());
      if (!append) tbody.replaceChildren();
      rows.forEach(function (a) { tbody.appendChild(row(a)); });
      oldest = rows.length ? rows[rows.length - 1].id : oldest;
      more.hidden = rows.length < 100;
    } catch (e) {
      var p = document.getElementById("audit-msg"); p.textContent = e.message; p.hidden = false;
    }
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); oldest = null; load(false); });
  more.addEventListener("click", function () { load(true); });
  load(false);
})();
