// Live updates: one EventSource on /live per page (Server-Sent Events, resumed by the
// browser with Last-Event-ID after a drop). The server renders every table; this script
// only fetches the page again and swaps the parts marked data-live-refresh="event ..."
// when one of those events arrives, and shows short notices. The words come from the
// script tag's data-* attributes, in the agent's language.
(function () {
  var me = document.getElementById("live-script");
  if (!me || !window.EventSource) { return; }
  var words = me.dataset, warned = {}, pending = null;
  var onConversation = (location.pathname.match(/^\/conversations\/(\d+)$/) || [])[1];

  function notice(text, action) {
    var box = document.getElementById("live-notices");
    if (!box) { return; }
    var p = document.createElement("p");
    p.className = "notice";
    p.textContent = text;
    if (action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = action.label;
      b.id = action.id;
      b.addEventListener("click", action.run);
      p.appendChild(b);
    }
    box.prepend(p);
    while (box.children.length > 5) { box.lastChild.remove(); }
  }

  function markWarned() {
    Object.keys(warned).forEach(function (id) {
      document.querySelectorAll('tr[data-conversation="' + id + '"]:not(.alarm)').forEach(function (row) {
        row.classList.add("warned");
      });
    });
  }

  // Fetch this page again and swap each live part by its id; at most one fetch at a time,
  // and the events that arrive meanwhile ride on the next one.
  function refresh(name) {
    var parts = Array.prototype.filter.call(document.querySelectorAll("[data-live-refresh]"), function (el) {
      return el.id && el.dataset.liveRefresh.split(" ").indexOf(name) >= 0;
    });
    if (!parts.length || pending) { return; }
    pending = setTimeout(function () {
      fetch(location.pathname + location.search, {credentials: "same-origin"}).then(function (r) {
        return r.ok ? r.text() : null;
      }).then(function (html) {
        if (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          parts.forEach(function (el) {
            var now = fresh.getElementById(el.id);
            if (now) { el.innerHTML = now.innerHTML; }
          });
          markWarned();
        }
      }).finally(function () { pending = null; });
    }, 200);
  }

  var source = new EventSource("/live?after=" + encodeURIComponent(words.after || "0"));
  function on(name, handle) {
    source.addEventListener(name, function (e) {
      var data = {};
      try { data = JSON.parse(e.data); } catch (err) { data = {}; }
      if (handle) { handle(data); }
      refresh(name);
    });
  }
  on("assigned", function (data) {
    if (location.pathname === "/work") { notice(words.newAssignment + " #" + data.conversation); }
  });
  on("released");
  on("presence", function (data) {
    var select = document.getElementById("presence");
    if (select && data.agent === document.body.dataset.agent) { select.value = data.status; }
  });
  on("customer_reply", function (data) {
    if (onConversation && String(data.conversation) === onConversation) {
      notice(words.newMessage, {label: words.show, id: "show-new-message", run: function () { location.reload(); }});
    }
  });
  on("warning", function (data) {
    warned[data.conversation] = true;
    markWarned();
    if (document.querySelector('tr[data-conversation="' + data.conversation + '"]') ||
        String(data.conversation) === onConversation) {
      notice(words.warned + " #" + data.conversation);
    }
  });
  on("breach");
  source.addEventListener("signed_out", function () {
    source.close();
    notice(words.signedOut);
  });
})();
