// Login form: OAuth2 password grant against /api/auth/token; the server also sets the
// httpOnly cookie that pages and WebSockets use, so the token itself is not kept in JS.
(function () {
  "use strict";
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");
  var submit = document.getElementById("login-submit");

  function show(msg) { error.textContent = msg; error.hidden = false; }

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    error.hidden = true;
    var username = form.username.value.trim();
    if (!username || !form.password.value) { show("请输入用户名和密码"); return; }
    submit.disabled = true;
    try {
      var res = await fetch("/api/auth/token", {
        method: "POST", credentials: "same-origin",
        body: new URLSearchParams({ username: username, password: form.password.value }),
      });
      var body = await res.json().catch(function () { return {}; });
      if (res.ok) {
        location.assign(form.dataset.next || body.home || "/");
        return;
      }
      show(typeof body.detail === "string" ? body.detail.replace(/ \(.*\)$/, "") : "登录失败，请稍后再试");
      form.password.value = "";
      form.password.focus();
    } catch (e) {
      show("无法连接服务器，请检查网络");
    } finally {
      submit.disabled = false;
    }
  });
})();
