// Wallboard: renders each pushed frame; cells past a yellow/red threshold carry alarm-yellow/alarm-red.
(function () {
  "use strict";
  var labels = JSON.parse(document.getElementById("metric-labels").textContent);
  var SEAT_LABELS = { available: "就绪", ringing: "振铃", on_call: "通话中", wrap_up: "话后处理", paused: "小休" };

  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function num(v) { return v === null || v === undefined ? "—" : String(Math.round(v)); }
  function cell(tr, text, cls, col) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    if (col) td.dataset.col = col;
    tr.appendChild(td);
    return td;
  }
  function levels(alarms) {
    var out = {};
    alarms.forEach(function (a) { out[a.scope + "|" + a.metric] = a.level; });
    return out;
  }
  function mark(td, lv, scope, metric) {
    var level = lv[scope + "|" + metric];
    if (level) { td.classList.add("alarm-" + level); td.dataset.alarm = level; }
    td.dataset.metric = metric;
  }

  function renderQueues(frame, lv) {
    var body = document.querySelector("#queues tbody");
    body.textContent = "";
    frame.queues.forEach(function (q) {
      var tr = document.createElement("tr");
      tr.dataset.queue = q.queue;
      cell(tr, q.center, "text");
      cell(tr, q.skill_name, "text");
      mark(cell(tr, String(q.waiting)), lv, q.queue, "waiting");
      mark(cell(tr, num(q.longest_wait_seconds)), lv, q.queue, "longest_wait_seconds");
      cell(tr, String(q.ready), "", "ready"); cell(tr, String(q.on_call), "", "on_call");
      cell(tr, String(q.acw), "", "acw"); cell(tr, String(q.paused), "", "paused");
      cell(tr, String(q.offered), "", "offered"); cell(tr, String(q.answered), "", "answered");
      cell(tr, String(q.abandoned + q.short_abandoned), "", "abandoned");
      mark(cell(tr, pct(q.answer_rate)), lv, q.queue, "answer_rate");
      mark(cell(tr, pct(q.service_level)), lv, q.queue, "service_level");
      mark(cell(tr, num(q.asa_seconds)), lv, q.queue, "asa_seconds");
      body.appendChild(tr);
    });
  }

  function renderCenters(frame, lv) {
    var box = document.getElementById("centers");
    box.textContent = "";
    frame.centers.forEach(function (c) {
      var d = document.createElement("div");
      d.className = "center-card level-" + c.level;
      d.dataset.center = c.center_code;
      var h = document.createElement("h3"); h.textContent = c.center; d.appendChild(h);
      [["排队", String(c.waiting), "waiting"], ["呼入", String(c.offered)], ["接通", String(c.answered)],
       ["接听率", pct(c.answer_rate), "answer_rate"], ["服务水平", pct(c.service_level), "service_level"],
       ["就绪/通话", c.ready + "/" + c.on_call]].forEach(function (row) {
        var p = document.createElement("div");
        p.textContent = row[0] + "：" + row[1];
        if (row[2]) mark(p, lv, c.center_code, row[2]);
        d.appendChild(p);
      });
      box.appendChild(d);
    });
  }

  function renderSeats(frame) {
    var body = document.querySelector("#seats tbody");
    body.textContent = "";
    frame.seats.forEach(function (s) {
      var tr = document.createElement("tr");
      tr.dataset.extension = s.extension;
      tr.dataset.status = s.status;
      cell(tr, s.extension, "text"); cell(tr, s.name, "text"); cell(tr, s.center || s.center_code || "", "text");
      cell(tr, s.label || SEAT_LABELS[s.status] || s.status, "text", "status");
      cell(tr, num(s.seconds_in_state));
      var td = cell(tr, "", "text");
      if (s.status === "on_call" && document.getElementById("spy-phone")) {
        [["listen", "监听"], ["whisper", "耳语"], ["barge", "强插"]].forEach(function (m) {
          var b = document.createElement("button");
          b.type = "button"; b.className = "btn btn-small"; b.textContent = m[1];
          b.dataset.mode = m[0];
          b.addEventListener("click", function () { spy(s.extension, m[0]); });
          td.appendChild(b);
        });
      }
      body.appendChild(tr);
    });
  }

  function renderAlarms(frame) {
    var list = document.getElementById("alarms");
    list.textContent = "";
    document.getElementById("alarm-count").textContent = String(frame.alarms.length);
    if (!frame.alarms.length) {
      var li = document.createElement("li"); li.className = "muted"; li.textContent = "无告警"; list.appendChild(li);
    }
    frame.alarms.forEach(function (a) {
      var li = document.createElement("li");
      li.className = "alarm-" + a.level;
      li.dataset.scope = a.scope; li.dataset.metric = a.metric; li.dataset.level = a.level;
      li.textContent = (a.level === "red" ? "红色 " : "黄色 ") + (a.scope_name || a.scope) + " " + (labels[a.metric] || a.metric) +
        " = " + (a.value === null ? "—" : a.value);
      list.appendChild(li);
    });
  }

  function spy(seat, mode) {
    var phone = document.getElementById("spy-phone");
    var out = document.getElementById("spy-result");
    if (!phone) return;
    fetch("/api/supervisor/spy", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ seat: seat, phone: phone.value, mode: mode })
    }).then(function (res) {
      return res.json().then(function (body) {
        out.textContent = res.ok ? "正在呼叫班长话机…" : (body.detail || "失败");
      });
    });
  }

  function render(frame) {
    var lv = levels(frame.alarms);
    document.getElementById("frame-at").textContent = new Date(frame.at).toLocaleTimeString("zh-CN");
    renderAlarms(frame); renderCenters(frame, lv); renderQueues(frame, lv); renderSeats(frame);
    document.body.dataset.frameAt = frame.at;
  }

  var state = document.getElementById("live-state");
  hotline.live("/ws/wallboard", {
    onmessage: function (msg) { if (msg && msg.type === "frame") render(msg.frame); },
    onstate: function (up) { state.textContent = up ? "实时" : "重新连接中…"; }
  });
})();
