// Live countdowns: each .countdown shows the time left to its data-due (ISO, UTC), and
// turns colour at its SLA warning (data-warn; empty once the warning has passed) and at
// the breach. Worked out in the browser every second, so no request is needed.
(function () {
  function span(seconds) {
    var s = Math.abs(Math.round(seconds)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + (s % 60) + "s";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown").forEach(function (el) {
      if (!el.dataset.due) { el.textContent = el.dataset.none; return; }
      var left = (Date.parse(el.dataset.due) - now) / 1000;
      var warnAt = el.dataset.warn ? Date.parse(el.dataset.warn) : null;
      var breach = left <= 0, warn = !breach && (warnAt === null || now >= warnAt);
      el.classList.toggle("breach", breach);
      el.classList.toggle("warn", warn);
      el.textContent = breach ? el.dataset.overdue + " " + span(left) : span(left);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
