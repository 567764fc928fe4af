// Reconnecting WebSocket for live consoles (seat screen pop, wallboard). The httpOnly login
// cookie authenticates the handshake. Usage:
//   var live = hotline.live("/ws/wallboard", { onmessage: function (msg) {...}, onstate: function (up) {...} });
//   live.send({...}); live.close();
// Messages are parsed as JSON. Reconnects with capped exponential backoff plus jitter; a close with
// code 1008 (policy: login ended) or 4401/4403, or a refused handshake while /api/me answers 401,
// sends the person to /login instead of retrying.
(function () {
  "use strict";

  function url(path) {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + location.host + path;
  }

  function live(path, handlers) {
    handlers = handlers || {};
    var socket = null, attempt = 0, closed = false, timer = null, queue = [];

    function state(up) { if (handlers.onstate) handlers.onstate(up); }

    function loginEnded() {
      if (window.hotline && window.hotline.toLogin) window.hotline.toLogin(); else location.assign("/login");
    }

    function connect() {
      var opened = false;
      socket = new WebSocket(url(path));
      socket.onopen = function () {
        opened = true;
        attempt = 0;
        state(true);
        while (queue.length) socket.send(queue.shift());
      };
      socket.onmessage = function (ev) {
        var data;
        try { data = JSON.parse(ev.data); } catch (e) { data = ev.data; }
        if (handlers.onmessage) handlers.onmessage(data);
      };
      socket.onclose = function (ev) {
        state(false);
        if (closed) return;
        if (ev.code === 1008 || ev.code === 4401 || ev.code === 4403) { loginEnded(); return; }
        var delay = Math.min(30000, 500 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
        if (!opened) {
          // A refused handshake (HTTP 401/403) looks like any network failure (code 1006):
          // ask the API whether the login is still valid before retrying.
          fetch("/api/me", { credentials: "same-origin" }).then(function (res) {
            if (res.status === 401) loginEnded(); else timer = setTimeout(connect, delay);
          }, function () { timer = setTimeout(connect, delay); });
          return;
        }
        timer = setTimeout(connect, delay);
      };
    }

    connect();
    return {
      send: function (obj) {
        var text = typeof obj === "string" ? obj : JSON.stringify(obj);
        if (socket && socket.readyState === WebSocket.OPEN) socket.send(text); else queue.push(text);
      },
      close: function () { closed = true; clearTimeout(timer); if (socket) socket.close(); },
    };
  }

  window.hotline = window.hotline || {};
  window.hotline.live = live;
})();
