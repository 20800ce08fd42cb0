/* The supervisor's live view (issue 15): /ws/supervisor/ (docs/protocol.md, Supervisor socket).
 *
 * Every `overview` frame redraws the team, the queue, the departments and today's counts;
 * waiting times tick here, every second, from each chat's `queued_at`. A chat opened
 * read-only shows its messages as they arrive; there is nothing to type into. Nothing a
 * resident wrote is ever treated as HTML (textContent only).
 */
(function () {
  'use strict';

  var body = document.body;
  var TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' });
  var SHORT = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' });
  var STATUS = { online: 'Online', away: 'Away', offline: 'Offline' };
  var ws = null;
  var retry = 0;
  var state = null;
  var watched = {}; // conversation id -> panel
  var asked = {}; // conversation id -> true while its first `watch` has had no answer
  var skew = 0; // server time minus this browser's, from each overview's `at`

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, v === true ? '' : v);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function duration(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h) return h + ' h' + (m ? ' ' + m + ' min' : '');
    if (m) return m + ' min' + (r ? ' ' + r + ' s' : '');
    return r + ' s';
  }

  function clock(iso, fmt) {
    var d = new Date(iso);
    return isNaN(d) ? '' : (fmt || SHORT).format(d);
  }

  function announce(text) { $('announcer').textContent = text; }

  function notice(text) {
    var box = $('notice');
    box.textContent = '';
    if (text) box.appendChild(el('p', { text: text }));
  }

  function setConnection(stateName, text) {
    var c = $('connection');
    c.dataset.state = stateName;
    c.textContent = text;
  }

  function send(frame) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  }

  // ---- the overview -----------------------------------------------------------------

  function reassignControl(conversationId, currentId, label) {
    var choices = (state ? state.operators : []).filter(function (o) {
      return o.id !== currentId && o.status === 'online' && o.active < o.max_chats;
    });
    var selectId = 'ra-' + conversationId;
    var select = el('select', { id: selectId, 'data-testid': 'reassign-to' },
      [el('option', { value: '', text: choices.length ? 'Choose…' : 'No one has room' })].concat(
        choices.map(function (o) { return el('option', { value: String(o.id), text: o.full_name + ' (' + o.active + ' of ' + o.max_chats + ')' }); })));
    var button = el('button', { type: 'submit', class: 'btn btn-secondary', 'data-testid': 'reassign', text: 'Reassign' });
    var form = el('form', { class: 'sv-reassign' }, [
      el('label', { for: selectId, class: 'visually-hidden', text: 'Reassign ' + label + ' to' }), select, button]);
    if (!choices.length) { select.disabled = true; button.disabled = true; }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (!select.value) { notice('Choose who should take the chat with ' + label + '.'); select.focus(); return; }
      send({ type: 'reassign', conversation: conversationId, operator: Number(select.value) });
    });
    return form;
  }

  function openButton(conversationId, label) {
    var b = el('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'open-chat',
      'data-conversation': conversationId, text: 'Open', 'aria-label': 'Open the chat with ' + label + ' (read-only)' });
    b.addEventListener('click', function () {
      if (watched[conversationId]) { watched[conversationId].heading.focus(); return; }
      asked[conversationId] = true;
      send({ type: 'watch', conversation: conversationId });
    });
    return b;
  }

  function renderTeam() {
    var rows = $('team-rows');
    rows.textContent = '';
    state.operators.forEach(function (o) {
      var chats = el('ul', {}, o.chats.map(function (c) {
        var label = c.visitor_name;
        return el('li', { class: 'sv-chat', 'data-testid': 'operator-chat', 'data-conversation': c.id }, [
          el('span', { text: label + (c.department_name ? ' – ' + c.department_name : '') +
            (c.accepted_at ? ', since ' + clock(c.accepted_at) : '') }),
          openButton(c.id, label), reassignControl(c.id, o.id, label)]);
      }));
      rows.appendChild(el('tr', { 'data-testid': 'operator-row', 'data-operator': String(o.id) }, [
        el('th', { scope: 'row' }, [el('span', { text: o.full_name }),
          o.name !== o.full_name ? el('span', { class: 'aka', text: 'Residents see ' + o.name }) : null]),
        el('td', {}, [el('span', { class: 'sv-status', 'data-status': o.status, 'data-testid': 'operator-status', text: STATUS[o.status] || o.status })]),
        el('td', { 'data-testid': 'operator-load', text: o.active + ' of ' + o.max_chats }),
        el('td', {}, [o.chats.length ? chats : el('span', { class: 'empty', text: 'None' })])]));
    });
  }

  function renderQueue() {
    var rows = $('queue-rows');
    rows.textContent = '';
    state.queue.forEach(function (q) {
      var label = q.visitor_name;
      rows.appendChild(el('tr', { 'data-testid': 'queue-row', 'data-conversation': q.id }, [
        el('td', { text: String(q.position) }),
        el('th', { scope: 'row', text: label }),
        el('td', { text: q.department_name || 'No department' }),
        el('td', { class: 'wait', 'data-queued-at': q.queued_at || '', 'data-testid': 'waiting-for', text: duration(q.waiting_s) }),
        el('td', {}, [el('div', { class: 'sv-chat' }, [openButton(q.id, label), reassignControl(q.id, null, label)])])]));
    });
    $('queue-empty').hidden = state.queue.length > 0;
  }

  function renderDepartments() {
    var rows = $('department-rows');
    rows.textContent = '';
    state.departments.forEach(function (d) {
      rows.appendChild(el('tr', { 'data-testid': 'department-row' }, [
        el('th', { scope: 'row', text: d.name }), el('td', { text: String(d.queued) }), el('td', { text: String(d.active) })]));
    });
  }

  function overview(f) {
    // Keep a reassign choice or focus the user is in the middle of: redraw after they leave it.
    var active = document.activeElement;
    var busy = active && active.closest && active.closest('.sv-reassign') && active.tagName === 'SELECT' && active.value;
    state = f;
    skew = new Date(f.at).getTime() - Date.now();
    $('answered').textContent = String(f.today.answered);
    $('missed').textContent = String(f.today.missed);
    $('waiting').textContent = String(f.queue.length);
    $('updated').textContent = clock(f.at, TIME);
    if (busy) return;
    renderTeam();
    renderQueue();
    renderDepartments();
  }

  function tick() {
    var now = Date.now() + skew;
    Array.prototype.forEach.call(document.querySelectorAll('td.wait[data-queued-at]'), function (cell) {
      var at = new Date(cell.dataset.queuedAt).getTime();
      if (!isNaN(at)) cell.textContent = duration((now - at) / 1000);
    });
  }

  // ---- chats opened read-only ---------------------------------------------------------

  function messageItem(m) {
    var who = m.author === 'visitor' ? m.name : m.author === 'system' ? '' : (m.name || 'Council');
    return el('li', { 'data-seq': String(m.seq), 'data-author': m.author, 'data-testid': 'watched-message' }, [
      who ? el('span', { class: 'who', text: who + ': ' }) : null,
      el('span', { class: 'body', text: m.body }),
      el('span', { class: 'when', text: clock(m.sent_at) })]);
  }

  function addMessage(panel, m) {
    if (m.seq <= panel.lastSeq) return;
    panel.lastSeq = m.seq;
    panel.log.appendChild(messageItem(m));
    panel.log.scrollTop = panel.log.scrollHeight;
  }

  function statusText(conv) {
    if (conv.status === 'active') return 'With ' + (conv.operator || 'an operator');
    if (conv.status === 'queued') return 'Waiting in the queue';
    if (conv.status === 'bot') return 'With the assistant';
    if (conv.status === 'ended') return 'Ended';
    if (conv.status === 'missed') return 'Missed';
    return conv.status;
  }

  function watching(f) {
    var conv = f.conversation;
    var id = conv.id;
    if (watched[id]) closePanel(id, false);
    var headId = 'w-' + id + '-head';
    var heading = el('h3', { id: headId, tabindex: '-1' }, [el('span', { text: conv.visitor_name })]);
    var close = el('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'close-watch', text: 'Close', 'aria-label': 'Close the chat with ' + conv.visitor_name });
    heading.appendChild(close);
    var panel = {
      id: id, lastSeq: 0, heading: heading,
      status: el('p', { class: 'readonly', 'data-testid': 'watch-status', text: statusText(conv) }),
      log: el('ol', { class: 'sv-log', 'aria-label': 'Messages with ' + conv.visitor_name, 'data-testid': 'watch-log', tabindex: '0' }),
      typing: el('p', { class: 'sv-typing', 'aria-live': 'polite' })
    };
    panel.el = el('section', { class: 'sv-watch-panel', 'aria-labelledby': headId, 'data-testid': 'watch-panel', 'data-conversation': id }, [
      heading,
      el('p', { class: 'readonly', text: (conv.department_name || 'No department') + '. Read-only: you can follow this chat but not type in it.' }),
      panel.status, panel.log, panel.typing]);
    close.addEventListener('click', function () { closePanel(id, true); });
    f.messages.forEach(function (m) { addMessage(panel, m); });
    watched[id] = panel;
    $('watch-list').appendChild(panel.el);
    $('watch-empty').hidden = true;
    heading.focus();
    announce('Opened the chat with ' + conv.visitor_name + ', read-only.');
  }

  function closePanel(id, tell) {
    var panel = watched[id];
    if (!panel) return;
    panel.el.remove();
    delete watched[id];
    if (tell) { send({ type: 'unwatch', conversation: id }); $('watch-heading').focus(); }
    $('watch-empty').hidden = Object.keys(watched).length > 0;
  }

  // ---- the socket ---------------------------------------------------------------------

  function onFrame(f) {
    var panel = f.conversation && typeof f.conversation === 'string' ? watched[f.conversation] : null;
    switch (f.type) {
      case 'overview': overview(f); break;
      case 'watching': delete asked[f.conversation.id]; watching(f); break;
      case 'message': if (panel) { addMessage(panel, f); if (f.author === 'visitor') panel.typing.textContent = ''; } break;
      case 'status': if (panel) panel.status.textContent = statusText(f); break;
      case 'typing': if (panel) panel.typing.textContent = f.active ? 'The resident is typing…' : ''; break;
      case 'reassigned':
        notice('The chat is now with ' + f.operator.name + '.');
        announce('The chat is now with ' + f.operator.name + '.');
        break;
      case 'signed_out': window.location.assign(body.dataset.loginUrl); break;
      case 'error':
        // Refused for now (the server busy or restarting; nothing was done): a chat that
        // was open is asked for again after the wait the server gave, with jitter.
        if (f.retry && f.conversation && (watched[f.conversation] || asked[f.conversation])) {
          setTimeout(function () {
            if (watched[f.conversation] || asked[f.conversation]) send({ type: 'watch', conversation: f.conversation });
          }, (f.retry_after || 1) * 1000 + Math.random() * 1000);
          break;
        }
        if (f.conversation) delete asked[f.conversation];
        notice(f.detail);
        break;
      default: break;
    }
  }

  function connect() {
    var scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(scheme + window.location.host + body.dataset.wsPath);
    ws.onopen = function () {
      retry = 0;
      setConnection('live', 'Live');
      // Chats open before a reconnect are opened again (their messages sent afresh).
      Object.keys(watched).forEach(function (id) { send({ type: 'watch', conversation: id }); });
    };
    ws.onmessage = function (e) {
      var f;
      try { f = JSON.parse(e.data); } catch (err) { return; }
      onFrame(f);
    };
    ws.onclose = function (e) {
      if (e.code === 4401) { window.location.assign(body.dataset.loginUrl); return; }
      if (e.code === 4403) { setConnection('stopped', 'Not allowed'); return; }
      setConnection('connecting', 'Reconnecting…');
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, retry)));
    };
  }

  connect();
  setInterval(tick, 1000);
})();
