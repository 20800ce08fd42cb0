/* The resident simulator (demo only): send as a resident, poll the replies. No inline code. */
(function () {
  'use strict';
  var form = document.getElementById('sim-form');
  if (!form) return;
  var log = document.getElementById('sim-log'), err = document.getElementById('sim-error'),
    statusEl = document.getElementById('sim-status'), text = document.getElementById('sim-text');
  var seen = new Map();
  function digits(n) { var s = ''; for (var i = 0; i < n; i++) s += String(Math.floor(Math.random() * 10)); return s; }
  function resident(channel) { // one resident per browser and channel, remembered
    var key = 'cc.sim.' + channel, id = null;
    try { id = localStorage.getItem(key); } catch (e) { /* private mode */ }
    if (!id) {
      id = channel === 'whatsapp' ? '447700' + digits(6) : '7' + digits(15);
      try { localStorage.setItem(key, id); } catch (e) { /* forgotten on reload */ }
    }
    return id;
  }
  function channel() { var c = form.querySelector('input[name=channel]:checked'); return c ? c.value : 'whatsapp'; }
  function line(cls, body, id) {
    var li = document.createElement('li'); li.className = cls;
    var p = document.createElement('span'); p.textContent = body; li.appendChild(p);
    if (id) li.setAttribute('data-reply', id);
    log.appendChild(li); return li;
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    err.textContent = '';
    var body = text.value.trim();
    if (!body) { err.textContent = 'Write a message first.'; text.focus(); return; }
    var ch = channel();
    fetch('/demo/social/send', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf() },
      credentials: 'same-origin',
      body: JSON.stringify({ channel: ch, user: resident(ch), name: document.getElementById('sim-name').value, text: body })
    }).then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); }).then(function (res) {
      if (!res.ok) { err.textContent = res.j.error || 'Not sent.'; return; }
      var li = line('me', body);
      li.setAttribute('data-testid', 'sim-sent');
      text.value = '';
      statusEl.textContent = 'Sent on ' + (ch === 'whatsapp' ? 'WhatsApp' : 'Messenger') + '.';
    }).catch(function () { err.textContent = 'Not sent: the server did not answer.'; });
  });
  function csrf() { var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/); return m ? decodeURIComponent(m[1]) : ''; }
  function poll() {
    var ch = channel();
    fetch('/demo/social/replies?channel=' + ch + '&user=' + resident(ch), { credentials: 'same-origin' })
      .then(function (r) { return r.json(); }).then(function (j) {
        (j.replies || []).forEach(function (r) {
          var li = seen.get(r.id);
          if (!li) { li = line('council', r.text, r.id); li.setAttribute('data-testid', 'sim-reply'); seen.set(r.id, li); statusEl.textContent = 'The council replied.'; }
          if (r.delivered && !li.querySelector('.tick')) {
            var t = document.createElement('span'); t.className = 'tick'; t.setAttribute('data-testid', 'sim-delivered');
            t.textContent = '✓✓ Delivered'; li.appendChild(t);
          }
        });
      }).catch(function () { /* try again next time */ })
      .then(function () { setTimeout(poll, 1500); });
  }
  poll();
})();
