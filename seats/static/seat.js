// 坐席工作台: sign in / ready / pause, live state over /ws/seat, screen pop, call controls, ticket form.
(function () {
  "use strict";
  var H = window.hotline;
  var $ = function (id) { return document.getElementById(id); };
  var consoleId = sessionStorage.getItem("seat-console-id");
  if (!consoleId) {
    consoleId = "c" + Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
    sessionStorage.setItem("seat-console-id", consoleId);
  }
  var me = null, seat = null, acwTimer = null, lastCall = null;
  var DEVICE = { registered: "已注册", unregistered: "未注册", unknown: "未知" };

  function showError(msg, takeover) {
    $("console-error-text").textContent = msg;
    $("console-error").hidden = !msg;
    $("btn-takeover").hidden = !takeover;
  }

  async function post(path, extra) {
    showError("");
    try {
      return await H.api(path, { method: "POST", json: Object.assign({ console_id: consoleId }, extra || {}) });
    } catch (e) {
      showError(e.message, e.status === 409 && path === "/api/seats/me/login");
      throw e;
    }
  }

  function mine() { return seat && seat.status !== "offline"; }

  function renderState(s) {
    seat = s;
    $("seat-light").dataset.status = s.status;
    $("seat-status").textContent = s.label;
    $("seat-since").textContent = s.since ? "自 " + new Date(s.since).toLocaleTimeString("zh-CN") : "";
    $("seat-device").textContent = DEVICE[s.device] || s.device;
    $("seat-device").dataset.device = s.device;
    var on = mine(), inCall = s.status === "on_call", ringing = s.status === "ringing";
    $("btn-login").disabled = on;
    $("btn-ready").disabled = !on || s.status === "available" || (ringing || inCall) && !s.pending_pause;
    $("btn-pause").disabled = !on;
    $("btn-logout").disabled = !on || inCall || ringing;
    ["btn-hold", "btn-unhold", "btn-transfer", "btn-hangup"].forEach(function (id) { $(id).disabled = !inCall; });
    $("pop").dataset.state = s.status;
    $("pop-call-state").textContent = ringing ? "振铃" : inCall ? "通话中" : s.status === "wrap_up" ? "话后处理"
      : s.call && s.call.ended ? "上一通来电" : "空闲";
    if (s.call && s.call.linkedid) lastCall = s.call.linkedid;
    clearInterval(acwTimer);
    $("acw").hidden = s.status !== "wrap_up";
    if (s.status === "wrap_up" && s.acw_until) {
      var until = new Date(s.acw_until).getTime();
      var tick = function () { $("acw-left").textContent = Math.max(0, Math.ceil((until - Date.now()) / 1000)); };
      tick();
      acwTimer = setInterval(tick, 250);
    }
  }

  function fill(id, items, render) {
    var ul = $(id);
    ul.textContent = "";
    if (!items || !items.length) { ul.appendChild(H.el("li", { class: "muted", text: "无" })); return; }
    items.forEach(function (it) { ul.appendChild(H.el("li", { text: render(it) })); });
  }

  function renderPop(p) {
    $("pop-number").textContent = p.caller_number;
    $("pop-name").textContent = p.caller_name || "—";
    $("pop-prefecture").textContent = p.prefecture;
    $("pop-ivr").textContent = p.ivr_path;
    $("pop-skill").textContent = [p.skill, p.category].filter(Boolean).join(" · ") || "—";
    $("pop-waited").textContent = p.waited_seconds + " 秒";
    $("pop-first").textContent = p.first_contact || "首次来电";
    $("pop-green").hidden = !p.green;
    fill("pop-calls", p.previous_calls, function (c) {
      return (c.at ? new Date(c.at).toLocaleString("zh-CN") : "") + " · " + (c.outcome || "") + " · " + c.handled_by;
    });
    fill("pop-tickets", p.tickets, function (t) {
      return t.number + " · " + t.summary + " · " + t.status + " · 承办 " + (t.owner || "—");
    });
    lastCall = p.linkedid;
    if (p.category_id) { $("t-category").value = p.category_id; updateDue(); }
    if (p.caller_name && !$("t-name").value) $("t-name").value = p.caller_name;
    $("t-result").hidden = true;
  }

  function onLive(msg) {
    if (msg.type === "state") renderState(msg.seat);
    else if (msg.type === "pop") renderPop(msg.pop);
    else if (msg.type === "call" && msg.event === "ended") $("pop-call-state").textContent = "已挂断";
    else if (msg.type === "console" && msg.action === "taken_over" && msg.console_id === consoleId) {
      showError("此坐席已在另一处被接管（" + msg.by + "），本页面不再控制该坐席。", false);
    }
  }

  function fillTargets() {
    var sel = $("xfer-target"), kind = $("xfer-kind").value;
    sel.textContent = "";
    var items = kind === "seat" ? me.transfer.seats.map(function (s) { return [s.extension, s.name]; })
      : kind === "queue" ? me.transfer.queues.map(function (q) { return [q.name, q.label]; })
      : [["12345", "12345 政务服务热线"]];
    items.forEach(function (it) { sel.appendChild(H.el("option", { value: it[0], text: it[1] })); });
  }

  async function updateDue() {
    var cat = $("t-category").value;
    $("t-due").textContent = "";
    if (!cat) return;
    try {
      var d = await H.api("/api/seats/me/due?category=" + encodeURIComponent(cat));
      $("t-due").textContent = "限时办结：" + d.due_days + " 个工作日，" + d.due_date + " 前办结";
      $("t-due").dataset.due = d.due_at;
    } catch (e) { $("t-due").textContent = e.message; }
  }

  async function submitTicket(ev) {
    ev.preventDefault();
    var form = $("ticket-form"), errs = $("t-errors");
    errs.textContent = "";
    form.querySelectorAll(".field-invalid").forEach(function (n) { n.classList.remove("field-invalid"); });
    var data = { category_id: $("t-category").value, summary: $("t-summary").value, detail: $("t-detail").value,
      handling: $("t-handling").value || undefined, reply: $("t-reply").value, caller_name: $("t-name").value,
      linkedid: lastCall || undefined };
    try {
      var t = await post("/api/seats/me/tickets", data);
      $("t-result").textContent = "工单 " + t.number + " 已保存（" + t.handling + "，" + t.status_label + "）";
      $("t-result").hidden = false;
      form.reset();
      $("t-due").textContent = "";
    } catch (e) {
      showError("");
      errs.appendChild(H.el("li", { text: e.message }));
    }
  }

  function wire() {
    $("btn-login").onclick = function () { post("/api/seats/me/login").then(renderState, function () {}); };
    $("btn-takeover").onclick = function () { post("/api/seats/me/login", { takeover: true }).then(renderState, function () {}); };
    $("btn-ready").onclick = function () { post("/api/seats/me/ready").then(renderState, function () {}); };
    $("btn-pause").onclick = function () { post("/api/seats/me/pause", { reason: $("pause-reason").value }).then(renderState, function () {}); };
    $("btn-logout").onclick = function () { post("/api/seats/me/logout").then(renderState, function () {}); };
    $("btn-hold").onclick = function () { post("/api/seats/me/call/hold").catch(function () {}); };
    $("btn-unhold").onclick = function () { post("/api/seats/me/call/unhold").catch(function () {}); };
    $("btn-hangup").onclick = function () { post("/api/seats/me/call/hangup").catch(function () {}); };
    $("btn-transfer").onclick = function () {
      post("/api/seats/me/call/transfer", { kind: $("xfer-kind").value, target: $("xfer-target").value,
        attended: $("xfer-attended").checked }).catch(function () {});
    };
    $("xfer-kind").onchange = fillTargets;
    $("t-category").onchange = updateDue;
    $("ticket-form").addEventListener("submit", submitTicket);
  }

  async function start() {
    me = await H.api("/api/seats/me");
    me.pause_reasons.forEach(function (r) { $("pause-reason").appendChild(H.el("option", { value: r.code, text: r.label })); });
    me.handling.forEach(function (h) { $("t-handling").appendChild(H.el("option", { value: h.code, text: h.label })); });
    me.categories.forEach(function (c) {
      $("t-category").appendChild(H.el("option", { value: c.id, text: c.skill + " · " + c.name }));
    });
    fillTargets();
    wire();
    renderState(me.seat);
    H.live("/ws/seat", {
      onmessage: onLive,
      onstate: function (up) { $("live-state").textContent = up ? "实时连接正常" : "实时连接中断，正在重连…"; },
    });
  }

  start().catch(function (e) { showError(e.message, false); });
})();
