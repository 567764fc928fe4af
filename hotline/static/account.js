// Own password change: POST /api/me/password with the current password asked again.
(function () {
  "use strict";
  var form = document.getElementById("password-form");
  var msg = document.getElementById("password-msg");
  var ok = document.getElementById("password-ok");

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    msg.hidden = true;
    ok.hidden = true;
    if (form.fresh.value !== form.confirm.value) {
      msg.textContent = "两次输入的新密码不一致";
      msg.hidden = false;
      return;
    }
    try {
      await window.hotline.api("/api/me/password", { method: "POST",
        json: { current_password: form.current.value, new_password: form.fresh.value } });
      form.reset();
      ok.hidden = false;
    } catch (e) {
      msg.textContent = e.message;
      msg.hidden = false;
    }
  });
})();
