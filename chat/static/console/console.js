/* CouncilChat operator console. Plain ES2017, no dependencies, CSP-safe (no inline code, no innerHTML).
   Wire protocol: docs/protocol.md ("Operator socket"). */
(function () {
  'use strict';
  var B = document.body;
  var WS_PATH = B.getAttribute('data-ws-path') || '/ws/operator/';
  var LOGIN_URL = B.getAttribute('data-login-url') || '/admin/login/?next=/console/';
  var me = { name: B.getAttribute('data-operator') || 'You' };
  var $ = function (id) { return document.getElementById(id); };
  var connEl = $('connection'), noticeEl = $('notice'), queueList = $('queue-list'), queueEmpty = $('queue-empty'),
    queueCount = $('queue-count'), queueNotice = $('queue-notice'), grid = $('chat-grid'), chatsEmpty = $('chats-empty'),
    announcer = $('announcer'), presenceBox = $('presence-box'), presenceSel = $('presence'), capacityEl = $('capacity');

  var ws = null, timer = null, tries = 0, stopped = false;
  var queue = new Map();   // id -> {conv, li, time, btn}
  var chats = new Map();   // id -> panel state
  var focusOnAccept = new Set();
  var presence = null;     // {status, active, max_chats}
  var operators = [], departments = [], councils = [];   // transfer targets
  var STATUS_LABEL = { online: 'Online', away: 'Away', offline: 'Offline' };

  // ---- helpers ------------------------------------------------------------------------
  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (k === 'text') n.textContent = v;
      else if (k === 'on') Object.keys(v).forEach(function (ev) { n.addEventListener(ev, v[ev]); });
      else if (v != null && v !== false) n.setAttribute(k, v === true ? '' : v);
    });
    (kids || []).forEach(function (c) { if (c) n.appendChild(c); });
    return n;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(obj)); return true; }
    return false;
  }
  function clock(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  function waited(iso) {
    var s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (!iso || isNaN(s)) return '';
    if (s < 60) return 'Waiting under a minute';
    var m = Math.floor(s / 60);
    if (m < 60) return 'Waiting ' + m + ' min';
    return 'Waiting ' + Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }
  var announceTimer;
  function announce(text) {
    // clear then set so repeated identical messages are still read out
    announcer.textContent = '';
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () { announcer.textContent = text; }, 50);
  }
  function flash(target, text) {
    target.textContent = text;
    clearTimeout(target._t);
    target._t = setTimeout(function () { target.textContent = ''; }, 8000);
  }
  function notify(text) { // a short notice in #notice that goes away by itself; several can stack
    var line = el('p', { text: text });
    noticeEl.appendChild(line);
    setTimeout(function () { line.remove(); }, 20000);
  }
  function welsh(conv) { return conv && typeof conv.language === 'string' && conv.language.slice(0, 2) === 'cy'; }
  function setConn(state, text) { connEl.setAttribute('data-state', state); connEl.textContent = text; }

  // ---- queue --------------------------------------------------------------------------
  function queueAdd(conv, quiet) {
    // a chat I still have open may come back to the queue (chat_removed follows or went before)
    if (!conv || !conv.id || (chats.has(conv.id) && conv.status !== 'queued')) return;
    var old = queue.get(conv.id);
    if (old) old.li.remove();
    var headId = 'q-' + conv.id;
    var time = el('time', { datetime: conv.created_at || '', class: 'waited' });
    var btn = el('button', {
      type: 'button', class: 'btn accept', 'data-testid': 'accept', 'data-conversation': conv.id,
      'aria-describedby': headId, text: 'Accept'
    });
    btn.addEventListener('click', function () { accept(conv.id, btn); });
    var preview = conv.preview || '';
    if (preview.length > 160) preview = preview.slice(0, 157) + '…';
    var li = el('li', { class: 'queue-item', 'data-conversation': conv.id, 'data-testid': 'queue-item' }, [
      el('h3', { id: headId, text: conv.visitor_name || 'Visitor' }),
      welsh(conv) ? el('p', { class: 'tags' }, [el('span', { class: 'badge lang', 'data-testid': 'language', text: 'Welsh' })]) : null,
      el('p', { class: 'dept', text: conv.department_name || 'No department chosen' }),
      el('p', { class: 'preview', text: preview }),
      el('p', { class: 'meta' }, [time]),
      btn
    ]);
    var item = { conv: conv, li: li, time: time, btn: btn };
    queue.set(conv.id, item);
    tick(item);
    // keep oldest first
    var next = null;
    queue.forEach(function (q) {
      if (q !== item && !next && q.li.parentNode && (q.conv.created_at || '') > (conv.created_at || '')) next = q.li;
    });
    queueList.insertBefore(li, next);
    queueChanged();
    if (!quiet) announce('New chat waiting: ' + (conv.visitor_name || 'Visitor') + (conv.department_name ? ', ' + conv.department_name : '') + (welsh(conv) ? ', in Welsh' : ''));
  }
  function queueRemove(id) {
    var q = queue.get(id);
    if (!q) return;
    var hadFocus = q.li.contains(document.activeElement);
    q.li.remove(); queue.delete(id); queueChanged();
    if (hadFocus) {
      var first = queueList.querySelector('button.accept');
      (first || $('queue-heading')).focus();
    }
  }
  function queueChanged() {
    queueCount.textContent = '(' + queue.size + ')';
    queueEmpty.hidden = queue.size > 0;
  }
  function tick(q) { q.time.textContent = waited(q.conv.created_at); }
  setInterval(function () { queue.forEach(tick); }, 10000);

  function accept(id, btn) {
    if (btn.getAttribute('aria-disabled') === 'true') return;
    if (!send({ type: 'accept', conversation: id })) {
      flash(queueNotice, 'Not connected. Try again when the console is back online.');
      return;
    }
    focusOnAccept.add(id);
    btn.setAttribute('aria-disabled', 'true'); btn.textContent = 'Accepting…';
  }

  // ---- chat panels --------------------------------------------------------------------
  function openPanel(conv) {
    var p = chats.get(conv.id);
    if (p) { p.conv = conv; if (conv.status === 'ended') markEnded(p); return p; }
    var id = conv.id, name = conv.visitor_name || 'Visitor';
    var headId = 'c-' + id + '-h', inputId = 'c-' + id + '-in';
    p = { id: id, conv: conv, lastSeq: 0, held: new Map(), pending: new Map(), ready: false, ended: false,
      typingOn: false, typingAt: 0, typingOff: null, visTyping: null };
    p.status = el('p', { class: 'chat-status', text: 'Active' });
    p.notice = el('p', { class: 'inline-notice', role: 'status', 'aria-live': 'polite' });
    p.log = el('div', { class: 'log', role: 'log', 'aria-live': 'off', 'aria-label': 'Messages with ' + name, tabindex: '0', 'data-testid': 'chat-log' });
    p.typing = el('p', { class: 'typing', 'aria-live': 'polite' });
    p.input = el('textarea', { id: inputId, rows: '3', maxlength: '4000', class: 'reply', 'data-testid': 'reply' });
    p.sendBtn = el('button', { type: 'submit', class: 'btn send', 'data-testid': 'send', text: 'Send' });
    p.endBtn = el('button', { type: 'button', class: 'btn btn-danger end', 'data-testid': 'end', text: 'End chat' });
    p.closeBtn = el('button', { type: 'button', class: 'btn btn-secondary close', 'data-testid': 'close', hidden: true, text: 'Close panel' });
    var tfId = 'c-' + id + '-tf', tselId = 'c-' + id + '-tt', terrId = 'c-' + id + '-terr';
    p.transferBtn = el('button', { type: 'button', class: 'btn btn-secondary transfer', 'data-testid': 'transfer', 'aria-expanded': 'false', 'aria-controls': tfId, text: 'Transfer' });
    p.tSelect = el('select', { id: tselId, 'data-testid': 'transfer-target' });
    p.tErr = el('p', { id: terrId, class: 'field-error', role: 'alert', 'data-testid': 'transfer-error' });
    p.tGo = el('button', { type: 'submit', class: 'btn', 'data-testid': 'transfer-submit', text: 'Transfer chat' });
    p.tCancel = el('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'transfer-cancel', text: 'Cancel' });
    p.tForm = el('form', { id: tfId, class: 'transfer-form', 'data-testid': 'transfer-form', hidden: true }, [
      el('label', { for: tselId, text: 'Transfer ' + name + '’s chat to' }), p.tErr, p.tSelect,
      el('div', { class: 'transfer-actions' }, [p.tGo, p.tCancel])]);
    var form = el('form', { class: 'compose' }, [
      el('label', { for: inputId, class: 'visually-hidden', text: 'Reply to ' + name }), p.input, p.sendBtn]);
    var details = [el('p', { class: 'dept', text: conv.department_name || 'No department chosen' })];
    if (welsh(conv)) details.unshift(el('p', { class: 'tags' }, [el('span', { class: 'badge lang', 'data-testid': 'language', text: 'Welsh' })]));
    if (conv.page_url) details.push(el('p', { class: 'page' }, [el('span', { class: 'label', text: 'Page: ' }), el('span', { class: 'url', text: conv.page_url })]));
    var fields = conv.fields && typeof conv.fields === 'object' ? Object.keys(conv.fields) : [];
    if (fields.length) {
      details.push(el('dl', { class: 'fields' }, fields.reduce(function (acc, k) {
        acc.push(el('dt', { text: k })); acc.push(el('dd', { text: String(conv.fields[k]) })); return acc;
      }, [])));
    }
    p.el = el('article', { class: 'chat', 'data-conversation': id, 'data-testid': 'chat-panel', 'aria-labelledby': headId }, [
      el('header', { class: 'chat-head' }, [el('h3', { id: headId, text: name }), p.status].concat(details)),
      p.notice, p.log, p.typing, form,
      el('div', { class: 'chat-actions' }, [p.transferBtn, p.endBtn, p.closeBtn]),
      p.tForm
    ]);
    p.transferBtn.addEventListener('click', function () { toggleTransfer(p, p.tForm.hidden); });
    p.tCancel.addEventListener('click', function () { toggleTransfer(p, false); });
    p.tForm.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); toggleTransfer(p, false); } });
    p.tForm.addEventListener('submit', function (e) { e.preventDefault(); transfer(p); });
    form.addEventListener('submit', function (e) { e.preventDefault(); reply(p); });
    p.input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); reply(p); }
    });
    p.input.addEventListener('input', function () { typing(p); });
    p.endBtn.addEventListener('click', function () {
      if (p.ending) return;
      if (!send({ type: 'end', conversation: id })) { flash(p.notice, 'Not connected. Try again when the console is back online.'); return; }
      p.ending = true; p.endBtn.setAttribute('aria-disabled', 'true'); p.endBtn.textContent = 'Ending…';
    });
    p.closeBtn.addEventListener('click', function () { closePanel(p); });
    chats.set(id, p);
    grid.appendChild(p.el);
    chatsEmpty.hidden = true;
    if (conv.status === 'ended') markEnded(p);
    return p;
  }
  function closePanel(p) {
    p.el.remove(); chats.delete(p.id);
    chatsEmpty.hidden = chats.size > 0;
    (grid.querySelector('textarea:enabled') || $('chats-heading')).focus();
  }
  function removePanel(p) { // the chat is no longer mine: forget it without telling the server anything
    var hadFocus = p.el.contains(document.activeElement);
    clearTimeout(p.typingOff); clearTimeout(p.visTyping); p.typingOn = false;
    focusOnAccept.delete(p.id);
    p.el.remove(); chats.delete(p.id);
    chatsEmpty.hidden = chats.size > 0;
    if (hadFocus) (grid.querySelector('textarea:enabled') || $('chats-heading')).focus();
  }

  // ---- transfer -----------------------------------------------------------------------
  function toggleTransfer(p, show) {
    if (show && p.ended) return;
    p.tForm.hidden = !show;
    p.transferBtn.setAttribute('aria-expanded', show ? 'true' : 'false');
    if (show) { fillTargets(p); transferError(p, ''); p.tSelect.focus(); }
    else if (p.el.contains(document.activeElement) || document.activeElement === document.body) p.transferBtn.focus();
  }
  function operatorNote(o) {
    if (o.status !== 'online') return o.status === 'away' || o.status === 'offline' ? o.status : (o.status || 'offline');
    if (o.max_chats && o.active >= o.max_chats) return 'full';
    return '';
  }
  function fillTargets(p) {
    var sel = p.tSelect, keep = sel.value;
    sel.textContent = '';
    sel.appendChild(el('option', { value: '', text: 'Choose where to send this chat' }));
    var others = operators.filter(function (o) { return o && o.id !== me.id; });
    if (others.length) {
      sel.appendChild(el('optgroup', { label: 'Operators' }, others.map(function (o) {
        var why = operatorNote(o);
        var load = o.max_chats ? ', ' + (o.active || 0) + ' of ' + o.max_chats + ' chats' : '';
        return el('option', { value: 'operator:' + o.id, disabled: !!why,
          text: (o.name || 'Operator ' + o.id) + (why ? ' (' + why + ')' : load) + (o.speaks_welsh ? ', speaks Welsh' : '') });
      })));
    }
    if (departments.length) {
      sel.appendChild(el('optgroup', { label: 'Departments (back to the queue)' }, departments.map(function (d) {
        return el('option', { value: 'department:' + d.slug, text: d.name || d.slug });
      })));
    }
    if (councils.length) {
      sel.appendChild(el('optgroup', { label: 'Other councils' }, councils.map(function (c) {
        return el('option', { value: 'council:' + c.slug, text: c.name || c.slug });
      })));
    }
    var still = keep && Array.prototype.some.call(sel.options, function (o) { return o.value === keep && !o.disabled; });
    sel.value = still ? keep : '';
  }
  function transferError(p, text) {
    p.tErr.textContent = text;
    if (text) { p.tSelect.setAttribute('aria-invalid', 'true'); p.tSelect.setAttribute('aria-describedby', p.tErr.id); }
    else { p.tSelect.removeAttribute('aria-invalid'); p.tSelect.removeAttribute('aria-describedby'); }
  }
  function transferDone(p) {
    p.transferring = false; p.tGo.removeAttribute('aria-disabled'); p.tGo.textContent = 'Transfer chat';
  }
  function transfer(p) {
    if (p.transferring || p.ended) return;
    var v = p.tSelect.value, i = v.indexOf(':');
    if (i < 0) { transferError(p, 'Choose an operator, department or council.'); p.tSelect.focus(); return; }
    var kind = v.slice(0, i), key = v.slice(i + 1), to = {};
    if (kind === 'operator') {
      var op = operators.filter(function (o) { return String(o.id) === key; })[0];
      to.operator = op ? op.id : Number(key);
    } else to[kind] = key;
    if (!send({ type: 'transfer', conversation: p.id, to: to })) { transferError(p, 'Not connected. Try again when the console is back online.'); return; }
    transferError(p, '');
    p.transferring = true; p.tGo.setAttribute('aria-disabled', 'true'); p.tGo.textContent = 'Transferring…';
  }
  function setTargets(f) {
    if (Array.isArray(f.operators)) operators = f.operators;
    if (Array.isArray(f.departments)) departments = f.departments;
    if (Array.isArray(f.councils)) councils = f.councils;
    chats.forEach(function (p) { if (!p.ended) fillTargets(p); });
  }

  // ---- presence -----------------------------------------------------------------------
  function showPresence(pr) {
    if (!pr || typeof pr !== 'object') return;
    var before = presence && presence.status;
    presence = { status: pr.status || (presence && presence.status) || 'online', active: pr.active || 0, max_chats: pr.max_chats };
    presenceBox.hidden = false;
    presenceSel.value = presence.status;
    presenceSel.removeAttribute('aria-busy');
    capacityEl.textContent = 'Chats: ' + presence.active + (presence.max_chats ? ' of ' + presence.max_chats : '');
    if (before && before !== presence.status) announce('Your status is now ' + (STATUS_LABEL[presence.status] || presence.status));
  }
  presenceSel.addEventListener('change', function () {
    if (!send({ type: 'presence', status: presenceSel.value })) {
      flash(noticeEl, 'Not connected. Your status will be set when the console is back online.');
      if (presence) presenceSel.value = presence.status;
      return;
    }
    presenceSel.setAttribute('aria-busy', 'true');
  });
  function markEnded(p, why) {
    if (p.ended) return;
    p.ended = true; stopTyping(p);
    var hadFocus = p.el.contains(document.activeElement);
    p.el.classList.add('ended'); p.el.setAttribute('data-status', 'ended');
    p.status.textContent = 'Chat ended';
    p.typing.textContent = '';
    p.input.disabled = true; p.sendBtn.disabled = true;
    p.endBtn.hidden = true; p.closeBtn.hidden = false;
    p.transferBtn.hidden = true; p.tForm.hidden = true; p.transferBtn.setAttribute('aria-expanded', 'false');
    if (hadFocus || p.ending) p.closeBtn.focus();
    p.pending.forEach(function (b) { b.querySelector('.state').textContent = 'Not sent'; });
    if (why) flash(p.notice, why);
    if (p.ready) announce('Chat with ' + (p.conv.visitor_name || 'visitor') + ' ended');
  }
  function pendingBubble(p, cid, body) {
    var b = el('div', { class: 'msg operator pending', 'data-client-id': cid }, [
      el('span', { class: 'who', text: me.name }),
      el('p', { class: 'body', text: body }),
      el('span', { class: 'state', text: 'Sending…' })
    ]);
    p.pending.set(cid, b);
    p.log.appendChild(b); scroll(p);
  }
  function scroll(p) { p.log.scrollTop = p.log.scrollHeight; }
  function place(p, node) { p.log.insertBefore(node, p.log.querySelector('.msg.pending')); scroll(p); }
  function render(p, m) {
    var node = m.client_id ? p.pending.get(m.client_id) : null;
    if (node) {
      p.pending.delete(m.client_id);
      node.classList.remove('pending');
      node.querySelector('.state').textContent = clock(m.sent_at);
    } else if (m.author === 'system') {
      node = el('div', { class: 'msg system' }, [el('p', { class: 'body', text: m.body })]);
    } else {
      node = el('div', { class: 'msg ' + m.author }, [
        el('span', { class: 'who', text: m.name || (m.author === 'visitor' ? p.conv.visitor_name : m.author) }),
        el('p', { class: 'body', text: m.body }),
        el('span', { class: 'state', text: clock(m.sent_at) })
      ]);
    }
    node.setAttribute('data-seq', m.seq);
    place(p, node);
    if (m.author === 'visitor') {
      p.typing.textContent = '';
      if (p.ready) announce('New message from ' + (m.name || p.conv.visitor_name || 'visitor') + ': ' + m.body.slice(0, 120));
    }
  }
  function flush(p) {
    while (p.held.has(p.lastSeq + 1)) {
      var m = p.held.get(p.lastSeq + 1);
      p.held.delete(m.seq); p.lastSeq = m.seq; render(p, m);
    }
  }
  function reply(p) {
    var text = p.input.value.trim();
    if (!text || p.ended) return;
    if (text.length > 4000) { flash(p.notice, 'That message is too long (4,000 characters at most).'); return; }
    var cid = uuid();
    p.outbox = p.outbox || new Map();
    p.outbox.set(cid, text);
    pendingBubble(p, cid, text);
    p.input.value = '';
    stopTyping(p);
    send({ type: 'message', conversation: p.id, client_id: cid, body: text });
  }
  function typing(p) {
    if (p.ended) return;
    var now = Date.now();
    if (!p.typingOn || now - p.typingAt > 3000) {
      p.typingOn = send({ type: 'typing', conversation: p.id, active: true }); p.typingAt = now;
    }
    clearTimeout(p.typingOff);
    p.typingOff = setTimeout(function () { stopTyping(p); }, 4000);
  }
  function stopTyping(p) {
    clearTimeout(p.typingOff);
    if (p.typingOn) send({ type: 'typing', conversation: p.id, active: false });
    p.typingOn = false;
  }
  function resume(p) {
    if (p.ended) return;
    send({ type: 'resume', conversation: p.id, after_seq: p.lastSeq });
    if (p.outbox) p.outbox.forEach(function (body, cid) {
      send({ type: 'message', conversation: p.id, client_id: cid, body: body });
    });
  }

  // ---- frames -------------------------------------------------------------------------
  var handlers = {
    hello: function (f) {
      tries = 0;
      setConn('live', 'Connected');
      if (f.operator && f.operator.name) { me.name = f.operator.name; $('operator-name').textContent = f.operator.name; }
      if (f.operator && f.operator.id != null) me.id = f.operator.id;
      if (f.presence) showPresence(f.presence);
      setTargets(f);
      // queue: rebuild from the snapshot
      queue.forEach(function (q) { q.li.remove(); }); queue.clear();
      (f.active || []).forEach(function (c) { openPanel(c); });
      (f.queue || []).forEach(function (c) { queueAdd(c, true); });
      queueChanged();
      var active = new Set((f.active || []).map(function (c) { return c.id; }));
      chats.forEach(function (p) {
        if (!active.has(p.id) && !p.ended) {
          if (queue.has(p.id)) { // requeued while I was away
            removePanel(p); notify('Chat with ' + (p.conv.visitor_name || 'a visitor') + ' went back to the queue.'); return;
          }
          markEnded(p, 'This chat is no longer assigned to you.');
        }
        resume(p);
      });
      if (f.queue && f.queue.length) announce(f.queue.length + (f.queue.length === 1 ? ' chat' : ' chats') + ' waiting');
    },
    queue_add: function (f) { queueAdd(f.conversation); },
    queue_remove: function (f) { queueRemove(f.conversation); },
    accepted: function (f) {
      var conv = f.conversation; if (!conv) return;
      queueRemove(conv.id);
      var old = chats.get(conv.id);
      if (old && old.ended && conv.status !== 'ended') removePanel(old); // it came back to me
      var p = openPanel(conv);
      resume(p);
      var name = conv.visitor_name || 'a visitor';
      if (f.reason === 'auto' || f.reason === 'transfer') {
        focusOnAccept.delete(conv.id); // never move focus for a chat I did not ask for
        flash(p.notice, f.reason === 'transfer' ? 'This chat was transferred to you.' : 'This chat was assigned to you automatically.');
        announce('New chat assigned to you: ' + name);
      } else {
        if (focusOnAccept.has(conv.id)) { focusOnAccept.delete(conv.id); p.input.focus(); }
        announce('You are now chatting with ' + name);
      }
    },
    chat_removed: function (f) {
      var p = chats.get(f.conversation); if (!p) return;
      var who = 'Chat with ' + (p.conv.visitor_name || 'a visitor');
      removePanel(p);
      notify(f.reason === 'unanswered' ? who + ' went back to the queue (not answered in time).' :
        f.reason === 'transferred' ? who + ' was transferred.' :
        f.reason === 'requeued' ? who + ' went back to the queue.' : who + ' is no longer assigned to you.');
    },
    presence: function (f) { showPresence(f); },
    operators: function (f) { setTargets({ operators: f.operators }); },
    message: function (f) {
      var p = chats.get(f.conversation);
      if (!p || typeof f.seq !== 'number' || f.seq <= p.lastSeq || p.held.has(f.seq)) return;
      p.held.set(f.seq, f); flush(p);
    },
    resumed: function (f) {
      var p = chats.get(f.conversation); if (!p) return;
      // anything still held after a full replay means a gap we will never fill: show it in order
      Array.from(p.held.keys()).sort(function (a, b) { return a - b; }).forEach(function (s) {
        if (s > p.lastSeq) { p.lastSeq = s - 1; flush(p); }
      });
      p.ready = true;
    },
    ack: function (f) {
      var p = chats.get(f.conversation); if (!p) return;
      if (p.outbox) p.outbox.delete(f.client_id);
      var b = p.pending.get(f.client_id);
      if (b) b.querySelector('.state').textContent = 'Sent';
    },
    typing: function (f) {
      var p = chats.get(f.conversation); if (!p || p.ended) return;
      clearTimeout(p.visTyping);
      p.typing.textContent = f.active ? 'Visitor is typing…' : '';
      if (f.active) p.visTyping = setTimeout(function () { p.typing.textContent = ''; }, 8000);
    },
    status: function (f) {
      var p = chats.get(f.conversation); if (!p) return;
      if (f.status === 'ended') markEnded(p);
      else if (f.status === 'active') p.status.textContent = 'Active' + (f.operator && f.operator !== me.name ? ' – ' + f.operator : '');
    },
    error: function (f) {
      var text = errorText(f);
      var id = f.conversation, p = id && chats.get(id);
      if (p && p.transferring && !f.client_id && TRANSFER_ERRORS.indexOf(f.code) >= 0) {
        transferDone(p);
        if (p.tForm.hidden) toggleTransfer(p, true); else fillTargets(p);
        transferError(p, transferText[f.code] || text);
        p.tSelect.focus();
        return;
      }
      if (f.code === 'already_taken' && id) {
        queueRemove(id); focusOnAccept.delete(id);
        flash(queueNotice, text);
      } else if (p) {
        if (f.code === 'conversation_ended' || f.code === 'not_assigned' || f.code === 'not_found') markEnded(p, text);
        else flash(p.notice, text);
        if (f.client_id && (f.code === 'body_empty' || f.code === 'body_too_long')) {
          if (p.outbox) p.outbox.delete(f.client_id);
          var nb = p.pending.get(f.client_id);
          if (nb) nb.querySelector('.state').textContent = 'Not sent';
        }
      } else if (id && queue.has(id)) {
        var q = queue.get(id);
        if (f.code === 'not_found') queueRemove(id); else { q.btn.removeAttribute('aria-disabled'); q.btn.textContent = 'Accept'; }
        flash(queueNotice, text);
      } else {
        flash(noticeEl, text);
      }
    }
  };
  var TRANSFER_ERRORS = ['not_available', 'not_found', 'not_assigned', 'invalid_frame'];
  var transferText = {
    not_available: 'That operator is not available: they are not online or have no room for another chat. Choose someone else.',
    not_found: 'That department or council could not be found. Choose another.',
    not_assigned: 'This chat is not assigned to you, so you cannot transfer it.'
  };
  function errorText(f) {
    return ({
      already_taken: 'That chat has already been accepted by someone else.',
      at_capacity: 'You already have as many chats as you can take. Finish one before accepting another.',
      not_available: 'That operator is not available.',
      conversation_ended: 'This chat has ended.',
      not_assigned: 'This chat is not assigned to you.',
      not_found: 'That chat could not be found.',
      body_empty: 'The message was empty.',
      body_too_long: 'The message is too long (4,000 characters at most).'
    })[f.code] || ('Something went wrong' + (f.detail ? ': ' + f.detail : '.'));
  }

  // ---- connection ---------------------------------------------------------------------
  function connect() {
    clearTimeout(timer);
    if (stopped) return;
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH;
    var sock;
    try { sock = ws = new WebSocket(url); } catch (e) { retry(); return; }
    setConn('connecting', tries ? 'Reconnecting…' : 'Connecting…');
    sock.onmessage = function (e) {
      if (sock !== ws) return;
      var f; try { f = JSON.parse(e.data); } catch (x) { return; }
      var h = f && handlers[f.type];
      if (h) h(f);
    };
    sock.onclose = function (e) {
      if (sock !== ws) return;
      ws = null;
      chats.forEach(function (p) {
        p.ready = false; p.typingOn = false;
        if (p.ending && !p.ended) { p.ending = false; p.endBtn.removeAttribute('aria-disabled'); p.endBtn.textContent = 'End chat'; }
        if (p.transferring) transferDone(p);
      });
      if (e.code === 4401 || e.code === 4403 || e.code === 4404) {
        stopped = true;
        setConn('stopped', e.code === 4401 ? 'Signed out.' : e.code === 4403 ? 'Not allowed to use this console.' : 'Console not available on this address.');
        if (e.code === 4401) {
          noticeEl.textContent = '';
          noticeEl.appendChild(el('a', { href: LOGIN_URL, text: 'Your session has ended. Sign in again.' }));
        }
        return;
      }
      setConn('offline', 'Connection lost. Reconnecting…');
      retry();
    };
  }
  function retry() {
    clearTimeout(timer);
    var d = Math.min(15000, 1000 * Math.pow(2, tries++));
    timer = setTimeout(connect, Math.max(1000, d * (0.7 + Math.random() * 0.3)));
  }
  window.addEventListener('online', function () { if (!ws && !stopped) { tries = 0; connect(); } });

  queueChanged();
  connect();
})();
