// Operations room: a region marked data-live reads its page again whenever
// the node reports a change over server-sent events, and swaps itself in
// place, so the board follows the partners without a reload. Without
// JavaScript the page is complete as served; a reload shows the same.
(function () {
  'use strict';
  function markLive(on) {
    document.querySelectorAll('.ops-live-on').forEach(function (e) { e.hidden = !on; });
    document.querySelectorAll('.ops-live-off').forEach(function (e) { e.hidden = on; });
  }
  function start() {
    var region = document.querySelector('[data-live]');
    if (!region || !window.EventSource || !window.fetch) { return; }
    var id = region.id, only = region.getAttribute('data-op');
    var busy = false, again = false, live = false, connected = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.pathname + location.search, { credentials: 'same-origin', headers: { 'Accept': 'text/html' } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) { return; }
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var fresh = doc.getElementById(id), cur = document.getElementById(id);
          if (fresh && cur) { cur.replaceWith(document.importNode(fresh, true)); markLive(live); }
        })
        .catch(function () {})
        .finally(function () { busy = false; if (again) { again = false; refresh(); } });
    }
    var es = new EventSource(region.getAttribute('data-live'));
    es.addEventListener('hello', function () {
      live = true; markLive(true);
      if (connected) { refresh(); } // back after an interruption: catch up
      connected = true;
    });
    es.addEventListener('change', function (e) { if (!only || e.data === only) { refresh(); } });
    es.onerror = function () { live = false; markLive(false); };
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
})();
