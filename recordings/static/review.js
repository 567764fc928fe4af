// 质检复核: list sampled calls, open one (audio with range seeking + timeline), submit a review.
(function () {
  "use strict";
  var h = window.hotline, current = null;

  function fmt(sec) { var s = Math.floor(sec); return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0"); }

  async function load() {
    var msg = document.getElementById("qa-msg");
    msg.hidden = true;
    try {
      var rows = await h.api("/api/recordings/qa?state=" + encodeURIComponent(document.getElementById("qa-state").value));
      var body = document.querySelector("#qa-table tbody");
      body.replaceChildren.apply(body, rows.map(function (r) {
        return h.el("tr", {}, [
          h.el("td", { text: r.linkedid }), h.el("td", { text: r.seat_extension }), h.el("td", { text: r.score }),
          h.el("td", { text: r.findings.map(function (f) { return f.detail; }).join("；") }),
          h.el("td", { text: { pending: "待复核", reviewed: "已复核", none: "未抽中" }[r.review_state] }),
          h.el("td", { text: r.review_score }),
          h.el("td", {}, [h.el("button", { class: "btn btn-small", type: "button", text: "查看",
                                             onclick: function () { open(r.linkedid); } })]),
        ]);
      }));
    } catch (e) { msg.textContent = e.message; msg.hidden = false; }
  }

  async function open(linkedid, at) {
    var d = await h.api("/api/recordings/calls/" + encodeURIComponent(linkedid));
    current = linkedid;
    document.getElementById("qa-detail").hidden = false;
    document.getElementById("d-linkedid").textContent = linkedid;
    var audio = document.getElementById("d-audio");
    var mix = d.recordings.find(function (r) { return r.leg === "mix" && r.audio_url; });
    audio.src = mix ? mix.audio_url : "";
    if (at) audio.addEventListener("loadedmetadata", function () { audio.currentTime = at; }, { once: true });
    var tl = document.getElementById("d-timeline");
    tl.replaceChildren.apply(tl, d.timeline.map(function (s) {
      return h.el("li", {}, [
        h.el("button", { class: "btn btn-small", type: "button", text: fmt(s.start),
                         onclick: function () { audio.currentTime = s.start; audio.play(); } }),
        " ", h.el("strong", { text: s.speaker + "：" }), s.text,
      ]);
    }));
    var f = document.getElementById("d-findings");
    var findings = d.quality ? d.quality.findings : [];
    f.replaceChildren.apply(f, findings.map(function (x) { return h.el("li", { text: x.detail + "（-" + x.penalty + "）" }); }));
  }

  document.getElementById("qa-filter").addEventListener("submit", function (e) { e.preventDefault(); load(); });
  var form = document.getElementById("review-form");
  if (form) form.addEventListener("submit", async function (e) {
    e.preventDefault();
    var out = document.getElementById("r-msg");
    try {
      await h.api("/api/recordings/qa/" + encodeURIComponent(current) + "/review", { method: "POST",
        json: { score: Number(document.getElementById("r-score").value), comment: document.getElementById("r-comment").value } });
      out.textContent = "复核已保存";
      load();
    } catch (err) { out.textContent = err.message; }
  });
  var params = new URLSearchParams(location.search);
  if (params.get("linkedid")) open(params.get("linkedid"), Number(params.get("t") || 0));
  load();
})();
