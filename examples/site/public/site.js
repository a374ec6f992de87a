// site.js: the two things the pages do in the browser. Everything else is server-rendered.
// 1. The Resend button sleeps for the seconds the service returned (data-wait), then wakes.
// 2. Show/Hide flips the password fields a toggle names (data-toggle) between hidden and shown.
"use strict";
(function () {
  var resend = document.getElementById("resend");
  var note = document.getElementById("resend-wait");
  if (resend) {
    var left = parseInt(resend.getAttribute("data-wait") || "0", 10);
    var tick = function () {
      if (left <= 0) {
        resend.disabled = false;
        if (note) note.textContent = "";
        return;
      }
      resend.disabled = true;
      if (note) note.textContent = "You can request a new code in " + left + " s.";
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }
  document.querySelectorAll("button.toggle").forEach(function (b) {
    b.addEventListener("click", function () {
      var show = b.getAttribute("aria-pressed") !== "true";
      b.getAttribute("data-toggle").split(",").forEach(function (id) {
        var f = document.getElementById(id);
        if (f) f.type = show ? "text" : "password";
      });
      b.setAttribute("aria-pressed", show ? "true" : "false");
      b.textContent = show ? "Hide" : "Show";
    });
  });
})();
