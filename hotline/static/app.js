// Shell helpers shared by every page: JSON API calls that send the person to /login when the
// login has ended, and the logout button.
(function () {
  "use strict";

  function toLogin() {
    var next = location.pathname + location.search;
    location.assign("/login?next=" + encodeURIComponent(next).replace(/%2F/g, "/"));
  }

  async function api(path, options) {
    var opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    if (opts.json !== undefined) {
      opts.body = JSON.stringify(opts.json);
      opts.headers["Content-Type"] = "application/json";
      delete opts.json;
    }
    var res = await fetch(path, opts);
    if (res.status === 401) { toLogin(); throw new Error("未登录或登录已失效"); }
    var body = null;
    var type = res.headers.get("content-type") || "";
    if (type.indexOf("application/json") >= 0) body = await res.json();
    if (!res.ok) {
      var detail = body && body.detail;
      var msg = typeof detail === "string" ? detail
        : detail && detail.message ? detail.message
        : Array.isArray(detail) ? detail.map(function (d) { return d.loc.slice(-1)[0] + ": " + d.msg; }).join("；")
        : "请求失败 (" + res.status + ")";
      var err = new Error(msg);
      err.status = res.status;
      throw err;
    }
    return body;
  }

  function text(value) {
    return value === null || value === undefined ? "" : String(value);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = text(attrs[k]);
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  var logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("click", async function () {
      try { await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" }); }
      finally { location.assign("/login"); }
    });
  }

  window.hotline = { api: api, el: el, text: text, toLogin: toLogin };
})();
