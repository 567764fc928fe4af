// User administration: list/create/deactivate accounts, create/revoke API keys (admin only).
(function () {
  "use strict";
  var h = window.hotline;
  var me = (document.querySelector(".who-name") || { dataset: {} }).dataset.username;
  var ROLES = { seat: "坐席", supervisor: "班长", admin: "管理员", auditor: "审计员", integration: "对接系统" };

  function fail(id, err) { var p = document.getElementById(id); p.textContent = err.message; p.hidden = false; }
  function clear(id) { document.getElementById(id).hidden = true; }
  function when(iso) { return new Date(iso).toLocaleString("zh-CN", { hour12: false }); }

  async function loadUsers() {
    var rows = await h.api("/api/users");
    var tbody = document.querySelector("#users-table tbody");
    tbody.replaceChildren.apply(tbody, rows.map(function (u) {
      var action = u.active && u.username !== me ? h.el("button", { "class": "btn btn-small btn-danger", type: "button", text: "停用",
        onclick: function () { deactivate(u); } }) : h.el("span", { "class": "muted", text: "" });
      return h.el("tr", { "class": u.active ? "" : "inactive", "data-username": u.username }, [
        h.el("td", { text: u.username }), h.el("td", { text: u.display_name }),
        h.el("td", { text: ROLES[u.role] || u.role }), h.el("td", { text: u.center_code || "全省" }),
        h.el("td", { text: u.seat_extension || "" }), h.el("td", { text: u.active ? "正常" : "已停用" }),
        h.el("td", {}, [action]),
      ]);
    }));
  }

  async function deactivate(u) {
    if (!confirm("确定停用用户 " + u.username + "？其登录将立即失效。")) return;
    clear("user-msg");
    try { await h.api("/api/users/" + u.id + "/deactivate", { method: "POST" }); await loadUsers(); }
    catch (e) { fail("user-msg", e); }
  }

  async function loadKeys() {
    var rows = await h.api("/api/keys");
    var tbody = document.querySelector("#keys-table tbody");
    tbody.replaceChildren.apply(tbody, rows.map(function (k) {
      var action = k.active ? h.el("button", { "class": "btn btn-small btn-danger", type: "button", text: "吊销",
        onclick: function () { revoke(k); } }) : h.el("span", {});
      return h.el("tr", { "class": k.active ? "" : "inactive" }, [
        h.el("td", { text: k.name }), h.el("td", { text: ROLES[k.role] || k.role }),
        h.el("td", { text: when(k.created_at) }), h.el("td", { text: k.active ? "有效" : "已吊销" }),
        h.el("td", {}, [action]),
      ]);
    }));
  }

  async function revoke(k) {
    if (!confirm("确定吊销密钥 " + k.name + "？使用它的系统将立即无法访问。")) return;
    clear("key-msg");
    try { await h.api("/api/keys/" + k.id + "/revoke", { method: "POST" }); await loadKeys(); }
    catch (e) { fail("key-msg", e); }
  }

  document.getElementById("user-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clear("user-msg");
    var f = ev.target;
    var body = { username: f.username.value.trim(), display_name: f.display_name.value.trim(),
      password: f.password.value, role: f.role.value,
      center_code: f.center_code.value || null, seat_extension: f.seat_extension.value || null };
    try { await h.api("/api/users", { method: "POST", json: body }); f.reset(); await loadUsers(); }
    catch (e) { fail("user-msg", e); }
  });

  document.getElementById("key-form").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    clear("key-msg");
    try {
      var created = await h.api("/api/keys", { method: "POST", json: { name: ev.target.name.value.trim() } });
      document.getElementById("key-value").textContent = created.key;
      document.getElementById("key-new").hidden = false;
      ev.target.reset();
      await loadKeys();
    } catch (e) { fail("key-msg", e); }
  });

  loadUsers().catch(function (e) { fail("user-msg", e); });
  loadKeys().catch(function (e) { fail("key-msg", e); });
})();
