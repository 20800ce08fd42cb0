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
    announcer = $('announcer'), presenceBox = $('presence-box'), presenceSel = $('presence'), capacityEl = $('capacity'),
    tabList = $('chat-tabs'), soundBox = $('alert-sound'), desktopBox = $('alert-desktop'),
    missedList = $('missed-list'), missedEmpty = $('missed-empty'), enquiryList = $('enquiry-list'),
    enquiryEmpty = $('enquiry-empty'), followCount = $('followups-count'), followNotice = $('followups-notice');

  var ws = null, timer = null, tries = 0, stopped = false;
  var queue = new Map();   // id -> {conv, li, time, btn}
  var chats = new Map();   // id -> panel state
  var focusOnAccept = new Set();
  var presence = null;     // {status, active, max_chats}
  var operators = [], departments = [], councils = [];   // transfer targets
  var STATUS_LABEL = { online: 'Online', away: 'Away', offline: 'Offline' };
  var canned = [];         // [{shortcut, title, body, department, language}]
  var outcomes = [];       // [{value, label}]: wrap-up choices
  var councilTags = [];    // [{slug, name}]: the council's tags for chats (issue 15, point 8)
  var followups = { missed: new Map(), enquiry: new Map() };  // id -> {li, item}
  var viewMode = 'grid', selected = null;   // 'grid' (side by side) or 'tabs'
  var BASE_TITLE = document.title;
  var store = {   // localStorage may be unavailable (private mode): settings then last for the page
    get: function (k, d) { try { var v = localStorage.getItem('cc.console.' + k); return v === null ? d : v; } catch (e) { return d; } },
    set: function (k, v) { try { localStorage.setItem('cc.console.' + k, v); } catch (e) { /* not remembered */ } }
  };

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
    // UK 24-hour clock in UK time, whatever the browser's locale (issue 15).
    return isNaN(d) ? '' : d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' });
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
  // ---- social channels (Messenger, WhatsApp: docs/social.md) ---------------------------
  var CHANNEL_LABEL = { whatsapp: 'WhatsApp', messenger: 'Messenger' };
  function social(conv) { return conv && CHANNEL_LABEL[conv.channel] ? conv.channel : null; }
  function channelBadge(conv) {
    var ch = social(conv);
    return ch ? el('span', { class: 'badge channel ' + ch, 'data-testid': 'channel', text: CHANNEL_LABEL[ch] }) : null;
  }
  var DELIVERY_LABEL = { queued: 'Sending…', sent: '✓ Sent', delivered: '✓✓ Delivered', read: '✓✓ Read', failed: 'Not delivered' };
  function setDelivery(node, state, error) {
    var d = node.querySelector('.delivery');
    if (!d) { d = el('span', { class: 'delivery', 'data-testid': 'delivery' }); node.appendChild(d); }
    d.setAttribute('data-state', state);
    d.textContent = (DELIVERY_LABEL[state] || state) + (state === 'failed' && error ? ': ' + error : '');
  }
  function showAttachments(node, items) {
    var box = node.querySelector('.attachments');
    if (!box) { box = el('ul', { class: 'attachments', 'data-testid': 'attachments' }); node.appendChild(box); }
    box.textContent = '';
    (items || []).forEach(function (a) {
      if (a && a.state === 'stored' && typeof a.url === 'string' && a.url.indexOf('/social/media/') === 0) {
        box.appendChild(el('li', {}, [el('a', { href: a.url, download: '', text: 'Download ' + (a.kind || 'file') + (a.name ? ' (' + a.name + ')' : '') })]));
      } else if (a) {
        box.appendChild(el('li', { text: (a.kind || 'File') + (a.state === 'failed' ? ': could not be fetched' : ': fetching…') }));
      }
    });
  }
  // ---- photos and PDFs in web chats (issue 15, docs/attachments.md) ----------------------
  function fileSize(n) {
    n = +n || 0;
    return n < 1048576 ? Math.max(1, Math.round(n / 1024)) + ' KB' : (n / 1048576).toFixed(1).replace(/\.0$/, '') + ' MB';
  }
  function showAttachment(p, node, m) {
    var a = m.attachment;
    if (!a || typeof a.url !== 'string' || a.url.indexOf('/console/attachments/') !== 0) return;
    var who = m.author === 'visitor' ? (p.conv.visitor_name || 'the resident') : (m.name || 'an operator');
    var size = fileSize(a.size), item;
    if (/^image\//.test(a.content_type)) {
      item = el('a', { class: 'att', href: a.url, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'attachment' }, [
        el('img', { src: a.url, alt: 'Photo sent by ' + who + ': ' + a.name + ', ' + size }),
        el('span', { class: 'visually-hidden', text: ' (opens in a new tab)' })]);
    } else {
      item = el('a', { class: 'att doc', href: a.url, 'data-testid': 'attachment', 'aria-label': 'Document sent by ' + who + ': ' + a.name + ' (PDF, ' + size + '), download' },
        [document.createTextNode(a.name + ' (PDF, ' + size + ')')]);
    }
    var body = node.querySelector('.body');
    if (body) body.replaceWith(item); else node.appendChild(item);
  }
  function csrfToken() {
    var f = document.querySelector('form.logout input[name=csrfmiddlewaretoken]');
    return f ? f.value : '';
  }
  function attachButton(p, conv, name) {
    if (social(conv)) return null; // Messenger and WhatsApp replies are text only
    var fileId = 'c-' + conv.id + '-file';
    p.file = el('input', { type: 'file', id: fileId, hidden: true, 'data-testid': 'attach-file',
      accept: 'image/jpeg,image/png,image/gif,image/webp,application/pdf' });
    p.attachBtn = el('button', { type: 'button', class: 'btn btn-secondary attach', 'data-testid': 'attach',
      'aria-describedby': 'c-' + conv.id + '-attach', text: 'Send a file' });
    p.attachBtn.setAttribute('aria-label', 'Send a file to ' + name + ' (a photo or PDF)');
    p.attachBtn.addEventListener('click', function () { p.file.click(); });
    p.file.addEventListener('change', function () {
      var f = p.file.files && p.file.files[0]; p.file.value = '';
      if (f) sendFile(p, f);
    });
    return el('span', {}, [p.attachBtn, p.file]);
  }
  function sendFile(p, f) {
    if (p.ended) return;
    var data = new FormData(), xhr = new XMLHttpRequest();
    data.append('file', f, f.name);
    p.attachBtn.disabled = true;
    p.attachStatus.textContent = 'Sending ' + f.name + '…';
    xhr.open('POST', '/console/conversations/' + p.id + '/attachments');
    xhr.setRequestHeader('X-CSRFToken', csrfToken());
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable && e.total > 262144) p.attachStatus.textContent = 'Sending ' + f.name + '… ' + Math.round(100 * e.loaded / e.total) + '%';
    };
    xhr.onload = function () {
      var j = {}; try { j = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      p.attachBtn.disabled = false;
      if (xhr.status === 201) { p.attachStatus.textContent = f.name + ' sent.'; return; }
      p.attachStatus.textContent = '';
      flash(p.notice, f.name + ' was not sent: ' + (j.detail || 'please try again.'));
    };
    xhr.onerror = function () { p.attachBtn.disabled = false; p.attachStatus.textContent = ''; flash(p.notice, f.name + ' was not sent: check the connection and try again.'); };
    xhr.send(data);
  }
  function windowOpen(p) {
    var s = p.conv.social, closes = s && Date.parse(s.window_closes_at || '');
    return !s || !closes || Date.now() < closes;
  }
  function tagOpen(p) {
    var s = p.conv.social, until = s && Date.parse(s.human_agent_until || '');
    return !!until && Date.now() < until;
  }
  function showWindow(p) { // before the operator types: can a free-form reply still go?
    if (!p.windowNote || p.ended) return;
    var ch = social(p.conv), open = windowOpen(p);
    p.el.setAttribute('data-window', open ? 'open' : 'closed');
    if (open) {
      var closes = p.conv.social && p.conv.social.window_closes_at;
      p.windowNote.textContent = closes ? 'Replies are possible until ' + clock(closes) + ' (24 hours after the resident’s last message).' : '';
      p.input.disabled = false; p.sendBtn.disabled = false;
      if (p.tagBox) p.tagBox.hidden = true;
    } else if (ch === 'whatsapp') {
      p.windowNote.textContent = 'More than 24 hours since the resident’s last message: WhatsApp only delivers an approved template now.';
      p.input.disabled = true; p.sendBtn.disabled = true;
    } else {
      var tag = tagOpen(p);
      p.windowNote.textContent = tag
        ? 'More than 24 hours since the resident’s last message: your reply goes as a human agent reply (allowed for 7 days).'
        : 'More than 7 days since the resident’s last message: Messenger will not deliver a reply.';
      p.input.disabled = !tag; p.sendBtn.disabled = !tag;
    }
    if (p.templateBox) p.templateBox.hidden = open;
  }
  setInterval(function () { chats.forEach(showWindow); }, 30000);
  function socialControls(p, conv) {
    if (!social(conv)) return [];
    p.windowNote = el('p', { class: 'window-note', role: 'status', 'data-testid': 'reply-window' });
    var out = [p.windowNote];
    var templates = (conv.social && conv.social.templates) || [];
    if (social(conv) === 'whatsapp' && templates.length) {
      var selId = 'c-' + conv.id + '-tpl';
      p.templateSel = el('select', { id: selId, 'data-testid': 'template' }, templates.map(function (t) {
        return el('option', { value: String(t.id), text: t.name + ' (' + t.language + '): ' + t.body });
      }));
      var go = el('button', { type: 'submit', class: 'btn', 'data-testid': 'template-send', text: 'Send template' });
      p.templateBox = el('form', { class: 'template-form', hidden: true }, [el('label', { for: selId, text: 'Approved template' }), p.templateSel, go]);
      p.templateBox.addEventListener('submit', function (e) { e.preventDefault(); sendTemplate(p); });
      out.push(p.templateBox);
    }
    return out;
  }
  function sendTemplate(p) {
    if (p.ended || !p.templateSel) return;
    var cid = uuid(), id = parseInt(p.templateSel.value, 10);
    var label = p.templateSel.options[p.templateSel.selectedIndex].textContent;
    pendingBubble(p, cid, label);
    send({ type: 'template', conversation: p.id, client_id: cid, template: id });
  }
  function setConn(state, text) { connEl.setAttribute('data-state', state); connEl.textContent = text; }

  // ---- alerts: a beep and a desktop notification for a new chat (both switchable) -------
  var audio = null;
  function audioContext() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    if (!audio) { try { audio = new AC(); } catch (e) { return null; } }
    if (audio.state === 'suspended' && audio.resume) audio.resume().catch(function () {});
    return audio;
  }
  // Browsers start audio only after a user gesture: unlock on the first one.
  function unlockAudio() { if (soundBox.checked) audioContext(); }
  document.addEventListener('pointerdown', unlockAudio, { once: true });
  document.addEventListener('keydown', unlockAudio, { once: true });
  function beep() {
    var ctx = audioContext(); if (!ctx) return;
    var osc = ctx.createOscillator(), gain = ctx.createGain(), t = ctx.currentTime;
    osc.type = 'sine'; osc.frequency.setValueAtTime(880, t); osc.frequency.setValueAtTime(660, t + 0.12);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
    osc.connect(gain); gain.connect(ctx.destination);
    osc.start(t); osc.stop(t + 0.32);
  }
  function desktopAllowed() { return 'Notification' in window && Notification.permission === 'granted'; }
  function alertNewChat(title, body, tag) {
    if (soundBox.checked) beep();
    if (desktopBox.checked && desktopAllowed()) {
      try {
        var n = new Notification(title, { body: body, tag: tag });
        n.onclick = function () { window.focus(); n.close(); };
      } catch (e) { /* some browsers allow notifications only from a service worker */ }
    }
  }
  soundBox.checked = store.get('sound', 'on') === 'on';
  desktopBox.checked = store.get('desktop', 'off') === 'on' && desktopAllowed();
  soundBox.addEventListener('change', function () {
    store.set('sound', soundBox.checked ? 'on' : 'off');
    if (soundBox.checked) beep();   // a sample, and it unlocks audio (this is a user gesture)
  });
  desktopBox.addEventListener('change', function () {
    if (!desktopBox.checked) { store.set('desktop', 'off'); return; }
    if (!('Notification' in window)) {
      desktopBox.checked = false; flash(noticeEl, 'This browser cannot show desktop notifications.'); return;
    }
    if (desktopAllowed()) { store.set('desktop', 'on'); return; }
    Notification.requestPermission().then(function (answer) {
      var ok = answer === 'granted';
      desktopBox.checked = ok; store.set('desktop', ok ? 'on' : 'off');
      if (!ok) flash(noticeEl, 'Desktop notifications are blocked. Allow them in the browser’s site settings to turn them on.');
    });
  });

  // ---- queue --------------------------------------------------------------------------
  function queueAdd(conv, quiet) {
    // a chat I still have open may come back to the queue (chat_removed follows or went before)
    if (!conv || !conv.id || (chats.has(conv.id) && conv.status !== 'queued')) return;
    var old = queue.get(conv.id);
    if (old) old.li.remove();
    var headId = 'q-' + conv.id;
    var time = el('time', { datetime: conv.queued_at || conv.created_at || '', class: 'waited', 'data-testid': 'waited' });
    var btn = el('button', {
      type: 'button', class: 'btn accept', 'data-testid': 'accept', 'data-conversation': conv.id,
      'aria-describedby': headId, text: 'Accept'
    });
    btn.addEventListener('click', function () { accept(conv.id, btn); });
    var preview = conv.preview || '';
    if (preview.length > 160) preview = preview.slice(0, 157) + '…';
    var li = el('li', { class: 'queue-item', 'data-conversation': conv.id, 'data-testid': 'queue-item' }, [
      el('h3', { id: headId, text: conv.visitor_name || 'Visitor' }),
      welsh(conv) || social(conv) ? el('p', { class: 'tags' }, [channelBadge(conv),
        welsh(conv) ? el('span', { class: 'badge lang', 'data-testid': 'language', text: 'Welsh' }) : null]) : null,
      el('p', { class: 'dept', text: conv.department_name || 'No department chosen' }),
      el('p', { class: 'preview', text: preview }),
      el('p', { class: 'meta' }, [time]),
      btn
    ]);
    var item = { conv: conv, li: li, time: time, btn: btn, headId: headId };
    queue.set(conv.id, item);
    applyFull(item);
    tick(item);
    // keep oldest first
    var next = null;
    queue.forEach(function (q) {
      if (q !== item && !next && q.li.parentNode && (q.conv.created_at || '') > (conv.created_at || '')) next = q.li;
    });
    queueList.insertBefore(li, next);
    queueChanged();
    if (!quiet) {
      announce('New chat waiting: ' + (conv.visitor_name || 'Visitor') + (conv.department_name ? ', ' + conv.department_name : '') + (welsh(conv) ? ', in Welsh' : ''));
      alertNewChat('New chat waiting', (conv.visitor_name || 'Visitor') + (conv.department_name ? ' – ' + conv.department_name : ''), conv.id);
    }
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
  // ---- Accept when at capacity (issue 15, point 8) ----
  // Accept is aria-disabled (still focusable, so the reason is found) with the reason shown
  // above the queue and linked to every Accept button; the server refuses anyway (at_capacity).
  var fullEl = el('p', { id: 'queue-full', class: 'queue-full', 'data-testid': 'queue-full', hidden: true });
  $('queue-heading').insertAdjacentElement('afterend', fullEl);
  function atCapacity() { return !!(presence && presence.max_chats && presence.active >= presence.max_chats); }
  function capacityText() {
    return 'You have ' + presence.active + ' of ' + presence.max_chats + ' chats. Finish one to accept another.';
  }
  function applyFull(q) {
    var full = atCapacity(), was = q.btn.getAttribute('data-full') === 'true';
    if (full) {
      q.btn.setAttribute('data-full', 'true'); q.btn.setAttribute('aria-disabled', 'true');
      q.btn.setAttribute('aria-describedby', q.headId + ' queue-full');
    } else if (was) {
      q.btn.removeAttribute('data-full'); q.btn.removeAttribute('aria-disabled');
      q.btn.setAttribute('aria-describedby', q.headId); q.btn.textContent = 'Accept';
    }
  }
  function showFull() {
    var full = atCapacity();
    fullEl.textContent = full ? capacityText() : ''; fullEl.hidden = !full;
    queue.forEach(applyFull);
  }
  // ---- end of Accept when at capacity ----
  function tick(q) { q.time.textContent = waited(q.conv.queued_at || q.conv.created_at); }
  setInterval(function () { queue.forEach(tick); }, 10000);

  function accept(id, btn) {
    if (btn.getAttribute('data-full') === 'true') { flash(queueNotice, capacityText()); return; }
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
    if (p) {
      p.conv = conv; showWindow(p);
      if (typeof conv.visitor_read_seq === 'number' && conv.visitor_read_seq > p.readSeq) { p.readSeq = conv.visitor_read_seq; showRead(p); }
      if (conv.status === 'ended') markEnded(p);
      showVisitorPresence(p, conv.visitor_presence, conv.visitor_presence_at);
      showOutcome(p, conv);
      return p;
    }
    var id = conv.id, name = conv.visitor_name || 'Visitor';
    var headId = 'c-' + id + '-h', inputId = 'c-' + id + '-in', pickId = 'c-' + id + '-pick';
    p = { id: id, conv: conv, lastSeq: 0, held: new Map(), pending: new Map(), ready: false, ended: false,
      typingOn: false, typingAt: 0, typingOff: null, visTyping: null, unread: 0,
      readSeq: conv.visitor_read_seq || 0, notes: new Map(), noteOutbox: new Map(), picks: [], pickAt: -1 };
    p.status = el('p', { class: 'chat-status', text: 'Active' });
    p.visitorEl = el('p', { class: 'visitor-presence', 'data-testid': 'visitor-presence' }); // issue 15
    p.badge = el('span', { class: 'unread', 'data-testid': 'unread', hidden: true });
    p.notice = el('p', { class: 'inline-notice', role: 'status', 'aria-live': 'polite' });
    p.log = el('div', { class: 'log', role: 'log', 'aria-live': 'off', 'aria-label': 'Messages with ' + name, tabindex: '0', 'data-testid': 'chat-log' });
    p.typing = el('p', { class: 'typing', 'aria-live': 'polite', 'data-testid': 'typing' });
    p.input = el('textarea', { id: inputId, rows: '3', maxlength: '4000', class: 'reply', 'data-testid': 'reply',
      'aria-describedby': 'c-' + id + '-hint', 'aria-autocomplete': 'list', 'aria-controls': pickId });
    p.picker = el('ul', { id: pickId, class: 'picker', role: 'listbox', 'aria-label': 'Canned responses', 'data-testid': 'canned-picker', hidden: true });
    p.sendBtn = el('button', { type: 'submit', class: 'btn send', 'data-testid': 'send', text: 'Send' });
    p.cannedBtn = el('button', { type: 'button', class: 'btn btn-secondary canned', 'data-testid': 'canned-button', 'aria-controls': pickId, 'aria-expanded': 'false', text: 'Replies' });
    p.endBtn = el('button', { type: 'button', class: 'btn btn-danger end', 'data-testid': 'end', 'aria-expanded': 'false', 'aria-controls': 'c-' + id + '-ef', text: 'End chat' });
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
    // wrap-up: the outcome is asked for when ending
    p.eErr = el('p', { id: 'c-' + id + '-eerr', class: 'field-error', role: 'alert', 'data-testid': 'end-error' });
    p.eChoices = el('div', { class: 'outcomes' });
    p.eGo = el('button', { type: 'submit', class: 'btn btn-danger', 'data-testid': 'end-confirm', text: 'End chat' });
    p.eCancel = el('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'end-cancel', text: 'Cancel' });
    p.eFieldset = el('fieldset', {}, [el('legend', { text: 'How did the chat with ' + name + ' end?' }), p.eErr, p.eChoices]);
    // tags (issue 15, point 8): chosen beside the outcome, shown in the chat's header
    p.tags = []; p.tagChoices = el('div', { class: 'tag-choices' });
    p.tagFieldset = el('fieldset', { class: 'tag-fieldset', 'data-testid': 'tag-fieldset', hidden: true }, [
      el('legend', { text: 'Tags (optional)' }), p.tagChoices]);
    p.tagLine = el('p', { class: 'chat-tags', 'data-testid': 'chat-tags', hidden: true });
    var tgId = 'c-' + id + '-tg';
    p.tagsBtn = el('button', { type: 'button', class: 'btn btn-secondary tags-button', 'data-testid': 'tags-button', 'aria-expanded': 'false', 'aria-controls': tgId, hidden: true, text: 'Tags' });
    p.tgChoices = el('div', { class: 'tag-choices' });
    p.tgErr = el('p', { id: tgId + '-err', class: 'field-error', role: 'alert', 'data-testid': 'tags-error' });
    p.tgSave = el('button', { type: 'submit', class: 'btn', 'data-testid': 'tags-save', text: 'Save tags' });
    p.tgCancel = el('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'tags-cancel', text: 'Cancel' });
    p.tgForm = el('form', { id: tgId, class: 'end-form tags-form', 'data-testid': 'tags-form', hidden: true }, [
      el('fieldset', {}, [el('legend', { text: 'Tags for the chat with ' + name }), p.tgErr, p.tgChoices]),
      el('div', { class: 'transfer-actions' }, [p.tgSave, p.tgCancel])]);
    p.eForm = el('form', { id: 'c-' + id + '-ef', class: 'end-form', 'data-testid': 'end-form', hidden: true }, [
      p.eFieldset, p.tagFieldset, el('div', { class: 'transfer-actions' }, [p.eGo, p.eCancel])]);
    // internal notes: operators only
    var noteId = 'c-' + id + '-note';
    p.noteCount = el('span', { class: 'count', text: '(0)' });
    // focusable: on a laptop screen the open list scrolls within a few lines (console.css)
    p.noteList = el('ol', { class: 'notes-list', 'data-testid': 'notes-list', tabindex: '0', 'aria-label': 'Internal notes' });
    p.noteInput = el('textarea', { id: noteId, rows: '2', maxlength: '4000', 'data-testid': 'note-input' });
    p.noteBtn = el('button', { type: 'submit', class: 'btn btn-secondary', 'data-testid': 'note-add', text: 'Add note' });
    p.noteForm = el('form', { class: 'note-form' }, [
      el('label', { for: noteId, text: 'New note (only operators see it)' }), p.noteInput, p.noteBtn]);
    p.notesBox = el('details', { class: 'notes', 'data-testid': 'notes' }, [
      el('summary', {}, [el('span', { text: 'Internal notes ' }), p.noteCount]), p.noteList, p.noteForm]);
    // visitor context: earlier chats with the same email
    p.email = el('p', { class: 'email', hidden: true });
    p.earlierCount = el('span', { class: 'count', text: '' });
    p.earlierList = el('ul', { class: 'earlier-list', 'data-testid': 'earlier-list' });
    p.earlierBox = el('details', { class: 'earlier', 'data-testid': 'earlier', hidden: true }, [
      el('summary', {}, [el('span', { text: 'Earlier chats ' }), p.earlierCount]), p.earlierList]);
    var form = el('form', { class: 'compose' }, [
      el('label', { for: inputId, class: 'visually-hidden', text: 'Reply to ' + name }),
      el('div', { class: 'compose-box' }, [p.input, p.picker]),
      el('div', { class: 'compose-buttons' }, [p.sendBtn, p.cannedBtn, attachButton(p, conv, name)])]);
    var hint = el('p', { id: 'c-' + id + '-hint', class: 'hint', text: 'Type / and a shortcut for a ready-made reply.' });
    p.attachStatus = el('p', { id: 'c-' + id + '-attach', class: 'attach-status', role: 'status', 'data-testid': 'attach-status' });
    var details = [el('p', { class: 'dept', text: conv.department_name || 'No department chosen' })];
    if (welsh(conv) || social(conv)) details.unshift(el('p', { class: 'tags' }, [channelBadge(conv),
      welsh(conv) ? el('span', { class: 'badge lang', 'data-testid': 'language', text: 'Welsh' }) : null]));
    if (conv.page_url) details.push(el('p', { class: 'page' }, [el('span', { class: 'label', text: 'Page: ' }), el('span', { class: 'url', text: conv.page_url })]));
    // Pre-chat answers under their questions' labels (issue 15: chat.labels.prechat_answers);
    // the resident's email is shown once, by the "earlier chats" line, so not again here.
    var answers = (conv.answers || []).filter(function (a) {
      return !(a.kind === 'email' && conv.visitor_email && a.value === conv.visitor_email);
    });
    if (answers.length) {
      details.push(el('dl', { class: 'fields', 'data-testid': 'prechat' }, answers.reduce(function (acc, a) {
        acc.push(el('dt', { text: a.label })); acc.push(el('dd', { text: a.value })); return acc;
      }, [])));
    }
    details.push(p.tagLine, p.email, p.earlierBox);
    p.el = el('section', { id: 'c-' + id, class: 'chat', 'data-conversation': id, 'data-testid': 'chat-panel', 'aria-labelledby': headId }, [
      el('header', { class: 'chat-head' }, [el('h3', { id: headId }, [el('span', { text: name }), p.badge]), p.status, p.visitorEl].concat(details)),
      p.notice, p.log, p.typing].concat(socialControls(p, conv), [form, hint, p.attachStatus,
      el('div', { class: 'chat-actions' }, [p.tagsBtn, p.transferBtn, p.endBtn, p.closeBtn]),
      p.tForm, p.eForm, p.tgForm, p.notesBox
    ]));
    p.tab = el('button', { type: 'button', role: 'tab', id: 'c-' + id + '-tab', class: 'chat-tab', 'aria-controls': 'c-' + id,
      'aria-selected': 'false', tabindex: '-1', 'data-testid': 'chat-tab', 'data-conversation': id }, [
      el('span', { text: name }), el('span', { class: 'unread', 'data-testid': 'tab-unread', hidden: true })]);
    p.tab.addEventListener('click', function () { select(p, true); });
    p.tab.addEventListener('keydown', tabKeys);
    p.transferBtn.addEventListener('click', function () { toggleTransfer(p, p.tForm.hidden); });
    p.tCancel.addEventListener('click', function () { toggleTransfer(p, false); });
    p.tForm.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); toggleTransfer(p, false); } });
    p.tForm.addEventListener('submit', function (e) { e.preventDefault(); transfer(p); });
    form.addEventListener('submit', function (e) { e.preventDefault(); reply(p); });
    p.input.addEventListener('keydown', function (e) {
      if (!p.picker.hidden && pickerKeys(p, e)) return;
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); reply(p); }
    });
    p.input.addEventListener('input', function () { typing(p); updatePicker(p); });
    p.input.addEventListener('blur', function () { setTimeout(function () { if (!p.el.contains(document.activeElement)) closePicker(p); }, 150); });
    p.cannedBtn.addEventListener('click', function () { openPickerFromButton(p); });
    p.endBtn.addEventListener('click', function () { toggleEnd(p, p.eForm.hidden); });
    p.eCancel.addEventListener('click', function () { toggleEnd(p, false); });
    p.eForm.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); toggleEnd(p, false); } });
    p.eForm.addEventListener('submit', function (e) { e.preventDefault(); endChat(p); });
    p.noteForm.addEventListener('submit', function (e) { e.preventDefault(); addNote(p); });
    p.tagsBtn.addEventListener('click', function () { toggleTagForm(p, p.tgForm.hidden); });
    p.tgCancel.addEventListener('click', function () { toggleTagForm(p, false); });
    p.tgForm.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); toggleTagForm(p, false); } });
    p.tgForm.addEventListener('submit', function (e) { e.preventDefault(); saveTags(p); });
    p.tagsBtn.hidden = !councilTags.length;
    p.closeBtn.addEventListener('click', function () { closePanel(p); });
    p.el.addEventListener('focusin', function () { markSeen(p); });
    p.el.addEventListener('pointerdown', function () { markSeen(p); });
    chats.set(id, p);
    grid.appendChild(p.el);
    tabList.appendChild(p.tab);
    chatsEmpty.hidden = true;
    if (viewMode === 'tabs') { if (!selected || !chats.has(selected)) select(p, false); else layout(); }
    else layout();
    showWindow(p);
    if (conv.status === 'ended') markEnded(p);
    showVisitorPresence(p, conv.visitor_presence, conv.visitor_presence_at);
    showOutcome(p, conv);
    return p;
  }
  // ---- presence and outcomes (issue 15) ---------------------------------------------------
  // The resident's page: open, hidden (another tab or minimised) or gone (closed), live from
  // `visitor_presence` frames; an ended chat says how it ended (a quick exit shows as such).
  var VISITOR_PRESENCE = { open: 'Resident: page open', hidden: 'Resident: page hidden', gone: 'Resident has left the page' };
  function showVisitorPresence(p, state, since) {
    if (!p.visitorEl) return;
    var text = VISITOR_PRESENCE[state] || '';
    if (text && state !== 'open' && since) text += ' (since ' + clock(since) + ')';
    p.visitorEl.textContent = text; p.visitorEl.hidden = !text || p.ended;
    p.visitorEl.setAttribute('data-state', state || '');
  }
  function showOutcome(p, conv) {
    if (!conv || conv.status !== 'ended' || !conv.outcome_label) return;
    p.status.textContent = 'Chat ended: ' + conv.outcome_label;
    p.el.setAttribute('data-outcome', conv.outcome || '');
  }
  function dropPanel(p) {
    p.el.remove(); p.tab.remove(); chats.delete(p.id);
    chatsEmpty.hidden = chats.size > 0;
    if (selected === p.id) { selected = null; var first = chats.values().next().value; if (first) select(first, false); }
    layout(); updateTitle();
  }
  function closePanel(p) {
    dropPanel(p);
    (grid.querySelector('.chat:not([hidden]) textarea:enabled') || $('chats-heading')).focus();
  }
  function removePanel(p) { // the chat is no longer mine: forget it without telling the server anything
    var hadFocus = p.el.contains(document.activeElement);
    clearTimeout(p.typingOff); clearTimeout(p.visTyping); p.typingOn = false;
    focusOnAccept.delete(p.id);
    dropPanel(p);
    if (hadFocus) (grid.querySelector('.chat:not([hidden]) textarea:enabled') || $('chats-heading')).focus();
  }

  // ---- side by side or tabs, and unread counts ------------------------------------------
  function layout() {
    var tabs = viewMode === 'tabs';
    grid.classList.toggle('tabbed', tabs);
    tabList.hidden = !tabs || chats.size === 0;
    chats.forEach(function (p) {
      var on = !tabs || p.id === selected;
      p.el.hidden = !on;
      if (tabs) { p.el.setAttribute('role', 'tabpanel'); p.el.setAttribute('aria-labelledby', p.tab.id); }
      else { p.el.removeAttribute('role'); p.el.setAttribute('aria-labelledby', 'c-' + p.id + '-h'); }
      p.tab.setAttribute('aria-selected', p.id === selected ? 'true' : 'false');
      p.tab.setAttribute('tabindex', p.id === selected ? '0' : '-1');
    });
    $('view-grid').setAttribute('aria-pressed', tabs ? 'false' : 'true');
    $('view-tabs').setAttribute('aria-pressed', tabs ? 'true' : 'false');
  }
  function setView(mode) {
    viewMode = mode === 'tabs' ? 'tabs' : 'grid';
    store.set('view', viewMode);
    if (viewMode === 'tabs' && (!selected || !chats.has(selected))) {
      var first = chats.values().next().value; selected = first ? first.id : null;
    }
    layout();
    if (viewMode === 'tabs' && selected) markSeen(chats.get(selected));
  }
  function select(p, focusTab) {
    selected = p.id; layout(); markSeen(p);
    if (focusTab) p.tab.focus();
  }
  function tabKeys(e) {
    var tabs = Array.prototype.slice.call(tabList.querySelectorAll('[role=tab]'));
    var i = tabs.indexOf(e.currentTarget), next = null;
    if (e.key === 'ArrowRight') next = tabs[(i + 1) % tabs.length];
    else if (e.key === 'ArrowLeft') next = tabs[(i - 1 + tabs.length) % tabs.length];
    else if (e.key === 'Home') next = tabs[0];
    else if (e.key === 'End') next = tabs[tabs.length - 1];
    if (!next) return;
    e.preventDefault();
    select(chats.get(next.getAttribute('data-conversation')), true);
  }
  function inView(p) {
    if (document.hidden) return false;
    if (viewMode === 'tabs') return selected === p.id;
    return p.el.contains(document.activeElement);
  }
  function showUnread(p) {
    var text = p.unread ? p.unread + ' unread' : '';
    p.badge.textContent = text; p.badge.hidden = !p.unread;
    var t = p.tab.querySelector('.unread'); t.textContent = p.unread ? String(p.unread) : ''; t.hidden = !p.unread;
    if (p.unread) t.setAttribute('aria-label', text); else t.removeAttribute('aria-label');
    updateTitle();
  }
  function markSeen(p) { if (p && p.unread) { p.unread = 0; showUnread(p); } }
  function updateTitle() {
    var n = 0; chats.forEach(function (p) { n += p.unread; });
    document.title = (n ? '(' + n + ') ' : '') + BASE_TITLE;
  }
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && viewMode === 'tabs' && selected) markSeen(chats.get(selected));
  });
  $('view-grid').addEventListener('click', function () { setView('grid'); });
  $('view-tabs').addEventListener('click', function () { setView('tabs'); });

  // ---- canned responses: "/" + shortcut, or the Replies button -----------------------------
  // A chat is offered the council-wide replies and its department's (the department's own wins
  // for one shortcut in one language), those in the chat's language first (issue 15): a Welsh
  // chat lists the Welsh /hello before the English one.
  function replyLanguage(c) { return c.language === 'cy' ? 'cy' : 'en'; }
  function cannedFor(p) {
    var dept = p.conv.department, byShortcut = new Map(), chatLanguage = welsh(p.conv) ? 'cy' : 'en';
    canned.forEach(function (c) {
      if (c.department && c.department !== dept) return;
      var key = c.shortcut + ' ' + replyLanguage(c), had = byShortcut.get(key);
      if (!had || (!had.department && c.department)) byShortcut.set(key, c); // the department's own wins
    });
    return Array.from(byShortcut.values()).sort(function (a, b) {
      var ao = replyLanguage(a) === chatLanguage ? 0 : 1, bo = replyLanguage(b) === chatLanguage ? 0 : 1;
      if (ao !== bo) return ao - bo;
      return a.shortcut < b.shortcut ? -1 : a.shortcut > b.shortcut ? 1 : 0;
    });
  }
  function slashToken(p) { // the "/word" just before the caret, if any
    var v = p.input.value, end = p.input.selectionStart;
    var m = /(^|\s)\/([\w-]*)$/.exec(v.slice(0, end));
    return m ? { start: end - m[2].length - 1, end: end, word: m[2].toLowerCase() } : null;
  }
  function updatePicker(p) {
    var tok = slashToken(p);
    if (!tok) { closePicker(p); return; }
    var matches = cannedFor(p).filter(function (c) {
      return c.shortcut.toLowerCase().indexOf(tok.word) === 0 || (tok.word && c.title.toLowerCase().indexOf(tok.word) >= 0);
    });
    showPicker(p, matches, tok.word ? matches.length + ' matching replies' : null);
  }
  function showPicker(p, matches, say) {
    p.picks = matches; p.picker.textContent = '';
    if (!matches.length) {
      p.picker.appendChild(el('li', { class: 'none', role: 'option', 'aria-disabled': 'true', id: p.picker.id + '-none',
        text: canned.length ? 'No reply has that shortcut.' : 'Your council has no ready-made replies yet.' }));
    }
    matches.forEach(function (c, i) {
      var lang = replyLanguage(c);
      var li = el('li', { role: 'option', id: p.picker.id + '-' + i, 'aria-selected': 'false', 'data-testid': 'canned-option', 'data-shortcut': c.shortcut, 'data-language': lang }, [
        el('span', { class: 'shortcut', text: '/' + c.shortcut }), el('span', { class: 'title', lang: lang, text: ' ' + c.title }),
        el('span', { class: 'lang', text: lang === 'cy' ? ' (Welsh)' : welsh(p.conv) ? ' (English)' : '' }),
        el('span', { class: 'body', lang: lang, text: fillPlaceholders(c.body, p, lang) })]);
      li.addEventListener('mousedown', function (e) { e.preventDefault(); }); // keep focus in the reply box
      li.addEventListener('click', function () { pick(p, i); });
      p.picker.appendChild(li);
    });
    p.picker.hidden = false;
    p.cannedBtn.setAttribute('aria-expanded', 'true');
    p.pickAt = -1; movePick(p, matches.length ? 0 : -1);
    if (say) announce(say);
  }
  function closePicker(p) {
    if (p.picker.hidden) return;
    p.picker.hidden = true; p.picks = []; p.pickAt = -1;
    p.input.removeAttribute('aria-activedescendant');
    p.cannedBtn.setAttribute('aria-expanded', 'false');
  }
  function movePick(p, i) {
    var items = p.picker.querySelectorAll('[data-testid=canned-option]');
    if (!items.length) { p.input.removeAttribute('aria-activedescendant'); return; }
    p.pickAt = (i + items.length) % items.length;
    Array.prototype.forEach.call(items, function (li, k) { li.setAttribute('aria-selected', k === p.pickAt ? 'true' : 'false'); });
    p.input.setAttribute('aria-activedescendant', items[p.pickAt].id);
    items[p.pickAt].scrollIntoView({ block: 'nearest' });
  }
  function pickerKeys(p, e) {
    if (e.key === 'ArrowDown') { e.preventDefault(); movePick(p, p.pickAt + 1); return true; }
    if (e.key === 'ArrowUp') { e.preventDefault(); movePick(p, p.pickAt - 1); return true; }
    if (e.key === 'Escape') { e.preventDefault(); closePicker(p); return true; }
    if ((e.key === 'Enter' || e.key === 'Tab') && !e.shiftKey && p.pickAt >= 0) { e.preventDefault(); pick(p, p.pickAt); return true; }
    return false;
  }
  // ---- canned reply placeholders (issue 15, point 8) ----
  // Only these three names are filled; any other {word}, {{doubled}} ones and stray braces
  // stay as written.
  // The values go into the reply box as text (never HTML); a function replacement, so a "$&"
  // in a name is not a replacement pattern.
  // An unknown name and the council's name are filled in the reply's own language (issue 15):
  // "Hello there" / "Helo chi", and the council's Welsh name (when it has one) in a Welsh
  // reply; a reply's language is the chat's unless the operator picks one in the other.
  var VISITOR_FALLBACK = { en: 'there', cy: 'chi' };
  function placeholderValues(p, language) {
    var visitor = String((p.conv && p.conv.visitor_name) || '').trim();
    var cy = language ? language === 'cy' : welsh(p.conv);
    return {
      visitor_name: visitor || VISITOR_FALLBACK[cy ? 'cy' : 'en'],
      operator_name: me.name || '',   // the name residents see (chat.payloads.operator_display_name)
      council: (cy && B.getAttribute('data-council-name-cy')) || B.getAttribute('data-council-name') || ''
    };
  }
  function fillPlaceholders(body, p, language) {
    var values = placeholderValues(p, language);
    // {{...}} is left exactly as written (so a reply can show a placeholder's name).
    return String(body).replace(/\{\{[^{}]*\}\}|\{(visitor_name|operator_name|council)\}/g, function (m, k) {
      return k && values[k] ? values[k] : m;
    });
  }
  // ---- end of canned reply placeholders ----
  function pick(p, i) {
    var c = p.picks[i]; if (!c) return;
    var tok = slashToken(p), v = p.input.value, text = fillPlaceholders(c.body, p, replyLanguage(c));
    var start = tok ? tok.start : p.input.selectionStart, end = tok ? tok.end : p.input.selectionEnd;
    p.input.value = v.slice(0, start) + text + v.slice(end);
    var caret = start + text.length;
    closePicker(p);
    p.input.focus(); p.input.setSelectionRange(caret, caret);
    announce('Inserted reply ' + c.title + '. Edit it or press Enter to send.');
    typing(p);
  }
  function openPickerFromButton(p) {
    if (!p.picker.hidden) { closePicker(p); p.input.focus(); return; }
    if (p.ended) return;
    p.input.focus();
    if (!slashToken(p)) {
      var v = p.input.value, at = p.input.selectionStart;
      var pre = v.slice(0, at) + (at > 0 && !/\s$/.test(v.slice(0, at)) ? ' /' : '/');
      p.input.value = pre + v.slice(at); p.input.setSelectionRange(pre.length, pre.length);
    }
    updatePicker(p);
  }

  // ---- wrap-up ------------------------------------------------------------------------
  function fillOutcomes(p) {
    if (p.eChoices.childElementCount) return;
    outcomes.forEach(function (o, i) {
      var rid = 'c-' + p.id + '-o' + i;
      p.eChoices.appendChild(el('div', { class: 'choice' }, [
        el('input', { type: 'radio', name: 'outcome-' + p.id, id: rid, value: o.value, 'data-testid': 'outcome' }),
        el('label', { for: rid, text: o.label })]));
    });
  }
  function endError(p, text) {
    p.eErr.textContent = text;
    if (text) { p.eFieldset.setAttribute('aria-describedby', p.eErr.id); } else p.eFieldset.removeAttribute('aria-describedby');
  }
  function toggleEnd(p, show) {
    if (show && p.ended) return;
    if (!outcomes.length) { // no choices known (old server): end straight away
      if (show) endChat(p); return;
    }
    p.eForm.hidden = !show;
    p.endBtn.setAttribute('aria-expanded', show ? 'true' : 'false');
    if (show) {
      fillOutcomes(p); fillTagChoices(p); endError(p, '');
      var first = p.eChoices.querySelector('input:checked') || p.eChoices.querySelector('input');
      if (first) first.focus();
    } else if (!p.ended) p.endBtn.focus();
  }
  function endChat(p) {
    if (p.ending || p.ended) return;
    var chosen = p.eChoices.querySelector('input:checked');
    if (outcomes.length && !chosen) { endError(p, 'Choose how the chat ended.'); var f = p.eChoices.querySelector('input'); if (f) f.focus(); return; }
    var frame = { type: 'end', conversation: p.id };
    if (chosen) frame.outcome = chosen.value;
    var tagSlugs = chosenTags(p);
    if (tagSlugs && send({ type: 'tags', conversation: p.id, tags: tagSlugs })) {
      p.endAfterTags = frame; // sent when the tags are stored (the `tags` answer)
      p.ending = true; p.endBtn.setAttribute('aria-disabled', 'true'); p.endBtn.textContent = 'Ending…';
      p.eGo.setAttribute('aria-disabled', 'true'); p.eGo.textContent = 'Ending…';
      return;
    }
    if (!send(frame)) { endError(p, 'Not connected. Try again when the console is back online.'); flash(p.notice, 'Not connected. Try again when the console is back online.'); return; }
    p.ending = true; p.endBtn.setAttribute('aria-disabled', 'true'); p.endBtn.textContent = 'Ending…';
    p.eGo.setAttribute('aria-disabled', 'true'); p.eGo.textContent = 'Ending…';
  }
  function endDone(p) {
    p.ending = false; p.endAfterTags = null; p.endBtn.removeAttribute('aria-disabled'); p.endBtn.textContent = 'End chat';
    p.eGo.removeAttribute('aria-disabled'); p.eGo.textContent = 'End chat';
  }

  // ---- tags on a chat (issue 15, point 8) ----
  function fillTagChoices(p, box, prefix) { // the end form's (default) or the Tags form's
    box = box || p.tagChoices; prefix = prefix || '-t';
    box.textContent = '';
    p.tagFieldset.hidden = !councilTags.length;
    var on = new Set(p.tags.map(function (t) { return t.slug; }));
    councilTags.forEach(function (t, i) {
      var cid = 'c-' + p.id + prefix + i;
      box.appendChild(el('div', { class: 'choice' }, [
        el('input', { type: 'checkbox', id: cid, value: t.slug, 'data-testid': 'tag-option', checked: on.has(t.slug) }),
        el('label', { for: cid, text: t.name })]));
    });
  }
  function chosenTags(p, box) { // the checked slugs, or null when they are what the chat has
    if (p.tagFieldset.hidden) return null;
    var slugs = Array.prototype.map.call((box || p.tagChoices).querySelectorAll('input:checked'), function (i) { return i.value; });
    var had = p.tags.map(function (t) { return t.slug; }).sort().join(' ');
    return slugs.slice().sort().join(' ') === had ? null : slugs;
  }
  function showTags(p, rows) {
    p.tags = Array.isArray(rows) ? rows : [];
    p.tagLine.textContent = '';
    p.tagLine.hidden = !p.tags.length;
    if (p.tags.length) {
      p.tagLine.appendChild(el('span', { class: 'label', text: 'Tags: ' }));
      p.tags.forEach(function (t) { p.tagLine.appendChild(el('span', { class: 'badge tag', 'data-testid': 'chat-tag', text: t.name })); });
    }
  }
  function toggleTagForm(p, show) { // tags at any time: during the chat, or after it ended
    if (show && !councilTags.length) return;
    p.tgForm.hidden = !show;
    p.tagsBtn.setAttribute('aria-expanded', show ? 'true' : 'false');
    p.tgErr.textContent = '';
    if (show) { fillTagChoices(p, p.tgChoices, '-g'); var first = p.tgChoices.querySelector('input'); if (first) first.focus(); }
    else p.tagsBtn.focus();
  }
  function saveTags(p) {
    if (p.savingTags) return;
    var slugs = chosenTags(p, p.tgChoices);
    if (!slugs) { toggleTagForm(p, false); return; }
    if (!send({ type: 'tags', conversation: p.id, tags: slugs })) { p.tgErr.textContent = 'Not connected. Try again when the console is back online.'; return; }
    p.savingTags = true; p.tgSave.setAttribute('aria-disabled', 'true'); p.tgSave.textContent = 'Saving…';
  }
  function tagsSaved(p, error) {
    if (!p.savingTags) return false;
    p.savingTags = false; p.tgSave.removeAttribute('aria-disabled'); p.tgSave.textContent = 'Save tags';
    if (error) { p.tgErr.textContent = error; return true; }
    toggleTagForm(p, false); flash(p.notice, 'Tags saved.');
    return true;
  }
  // ---- end of tags on a chat ----

  // ---- internal notes and visitor context ------------------------------------------------
  function addNote(p) {
    var text = p.noteInput.value.trim();
    if (!text) { flash(p.notice, 'Write the note first.'); p.noteInput.focus(); return; }
    var cid = uuid();
    p.noteOutbox.set(cid, text);
    var li = el('li', { class: 'note pending', 'data-client-id': cid, 'data-testid': 'note' }, [
      el('span', { class: 'who', text: me.name }), el('p', { class: 'body', text: text }), el('span', { class: 'state', text: 'Saving…' })]);
    p.noteList.appendChild(li); p.notes.set('c:' + cid, li); countNotes(p);
    p.noteInput.value = '';
    send({ type: 'note', conversation: p.id, client_id: cid, body: text });
  }
  function showNote(p, n) {
    if (p.notes.has(n.id)) return;
    var li = n.client_id ? p.notes.get('c:' + n.client_id) : null;
    if (li) { p.notes.delete('c:' + n.client_id); li.classList.remove('pending'); }
    else {
      li = el('li', { class: 'note', 'data-testid': 'note' }, [
        el('span', { class: 'who', text: n.author || 'Operator' }), el('p', { class: 'body', text: n.body }), el('span', { class: 'state' })]);
      p.noteList.appendChild(li);
    }
    if (n.client_id) p.noteOutbox.delete(n.client_id);
    li.setAttribute('data-note', n.id);
    li.querySelector('.state').textContent = clock(n.created_at);
    p.notes.set(n.id, li); countNotes(p);
  }
  function countNotes(p) { p.noteCount.textContent = '(' + p.noteList.childElementCount + ')'; }
  function showContext(p, f) {
    if (f.visitor_email) {
      p.email.hidden = false; p.email.textContent = '';
      p.email.appendChild(el('span', { class: 'label', text: 'Email: ' }));
      p.email.appendChild(el('span', { text: f.visitor_email }));
    }
    var earlier = Array.isArray(f.earlier) ? f.earlier : [];
    p.earlierList.textContent = '';
    earlier.forEach(function (c) {
      var when = c.created_at ? new Date(c.created_at) : null;
      var bits = [when && !isNaN(when) ? when.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'Europe/London' }) : '',
        c.department_name || '', c.outcome_label || c.status || '', c.operator ? 'with ' + c.operator : ''].filter(Boolean);
      p.earlierList.appendChild(el('li', { 'data-testid': 'earlier-item' }, [
        el('p', { class: 'meta', text: bits.join(' · ') }), el('p', { class: 'preview', text: c.preview || '' })]));
    });
    p.earlierCount.textContent = '(' + earlier.length + ')';
    p.earlierBox.hidden = !earlier.length;
    (f.notes || []).forEach(function (n) { showNote(p, n); });
    if (Array.isArray(f.tags)) showTags(p, f.tags);
  }
  function refresh(p) { // after (re)connecting: context and notes, and anything unsaved again
    send({ type: 'context', conversation: p.id });
    p.noteOutbox.forEach(function (body, cid) { send({ type: 'note', conversation: p.id, client_id: cid, body: body }); });
  }

  // ---- read receipts ---------------------------------------------------------------------
  function showRead(p) {
    Array.prototype.forEach.call(p.log.querySelectorAll('.msg.operator[data-seq]:not(.seen)'), function (node) {
      if (Number(node.getAttribute('data-seq')) <= p.readSeq) {
        node.classList.add('seen');
        var r = node.querySelector('.receipt'); if (r) r.textContent = 'Seen';
      }
    });
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
    showFull();
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
    if (p.attachBtn) p.attachBtn.disabled = true;
    p.endBtn.hidden = true; p.closeBtn.hidden = false;
    p.transferBtn.hidden = true; p.tForm.hidden = true; p.transferBtn.setAttribute('aria-expanded', 'false');
    p.eForm.hidden = true; p.endBtn.setAttribute('aria-expanded', 'false'); p.cannedBtn.disabled = true; closePicker(p);
    if (hadFocus || p.ending) p.closeBtn.focus();
    p.pending.forEach(function (b) { b.querySelector('.state').textContent = 'Not sent'; });
    if (why) flash(p.notice, why);
    if (p.ready) announce('Chat with ' + (p.conv.visitor_name || 'visitor') + ' ended');
  }
  function pendingBubble(p, cid, body) {
    var b = el('div', { class: 'msg operator pending', 'data-client-id': cid }, [
      el('span', { class: 'who', text: me.name }),
      linked(body), // links: issue 15
      el('span', { class: 'state', text: 'Sending…' }),
      el('span', { class: 'receipt', 'data-testid': 'receipt' })
    ]);
    p.pending.set(cid, b);
    p.log.appendChild(b); scroll(p);
  }
  // ---- links in messages (issue 15) ----------------------------------------------------------
  // Web addresses in operator, canned and assistant messages (and the council's own Facebook
  // posts) become links, built with DOM APIs (never innerHTML): http(s) only, the full address
  // as the text, a new tab with rel="noopener noreferrer", "(opens in a new tab)" for screen
  // readers, trailing punctuation left outside. A resident's addresses stay text here too
  // (docs/operator-guide.md): a link from outside is copied on purpose, not clicked by habit.
  // Same rules as the widget (embed.js) and transcripts (chat/links.py).
  var URLS = /\bhttps?:\/\/[^\s<>"']+/gi, OPENERS = { ')': '(', ']': '[', '}': '{' };
  function trimUrl(u) {
    for (;;) {
      var c = u.charAt(u.length - 1);
      if (c && ('.,;:!?'.indexOf(c) >= 0 || (OPENERS[c] && u.split(c).length > u.split(OPENERS[c]).length))) u = u.slice(0, -1);
      else return u;
    }
  }
  function safeHref(u) {
    try { var x = new URL(u); return (x.protocol === 'https:' || x.protocol === 'http:') && x.hostname ? x.href : null; } catch (e) { return null; }
  }
  function linked(text) { // a <p class="body"> of `text` with its safe addresses as links
    var p = el('p', { class: 'body' }), at = 0, m, s = String(text == null ? '' : text);
    URLS.lastIndex = 0;
    while ((m = URLS.exec(s))) {
      var url = trimUrl(m[0]), href = safeHref(url);
      if (!href) continue;
      if (m.index > at) p.appendChild(document.createTextNode(s.slice(at, m.index)));
      p.appendChild(el('a', { href: href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'message-link' },
        [document.createTextNode(url), el('span', { class: 'visually-hidden', text: ' (opens in a new tab)' })]));
      at = m.index + url.length; URLS.lastIndex = at;
    }
    if (at < s.length) p.appendChild(document.createTextNode(s.slice(at)));
    return p;
  }
  // ---- end of links ---------------------------------------------------------------------------
  function scroll(p) { p.log.scrollTop = p.log.scrollHeight; }
  function place(p, node) { p.log.insertBefore(node, p.log.querySelector('.msg.pending')); scroll(p); }
  function render(p, m) {
    var node = m.client_id ? p.pending.get(m.client_id) : null;
    if (node) {
      p.pending.delete(m.client_id);
      node.classList.remove('pending');
      node.querySelector('.state').textContent = clock(m.sent_at);
    } else if (m.author === 'system' && !(m.extra && m.extra.echo)) {
      node = el('div', { class: 'msg system' }, [el('p', { class: 'body', text: m.body })]);
    } else {
      var echo = m.extra && m.extra.echo; // sent from the council's Facebook Page itself
      node = el('div', { class: 'msg ' + (echo ? 'operator echo' : m.author) }, [
        el('span', { class: 'who', text: m.author === 'bot' ? (m.name || 'Assistant') + ' \u00b7 automated assistant' + (m.safety ? ' \u00b7 safety message' : m.answer_key ? ' \u00b7 ' + m.answer_key : ' \u00b7 not sure') : m.name || (m.author === 'visitor' ? p.conv.visitor_name : m.author) }),
        m.author === 'visitor' ? el('p', { class: 'body', text: m.body }) : linked(m.body), // links: issue 15
        el('span', { class: 'state', text: clock(m.sent_at) }),
        m.author === 'operator' ? el('span', { class: 'receipt', 'data-testid': 'receipt' }) : null
      ]);
    }
    node.setAttribute('data-seq', m.seq);
    var extra = m.extra && typeof m.extra === 'object' ? m.extra : {};
    if (m.author === 'operator' && (extra.delivery || p.deliveries && p.deliveries.has(m.seq))) {
      var early = p.deliveries && p.deliveries.get(m.seq);
      setDelivery(node, early ? early.state : extra.delivery, early ? early.error : extra.delivery_error);
    }
    if (Array.isArray(extra.attachments)) showAttachments(node, extra.attachments);
    if (m.attachment && (m.author === 'visitor' || m.author === 'operator')) showAttachment(p, node, m);
    if (m.author === 'visitor' && extra.provider_time && p.conv.social) { // the 24 hours start again
      var t = Date.parse(extra.provider_time);
      if (t) {
        p.conv.social.window_closes_at = new Date(t + 864e5).toISOString();
        if (p.conv.social.human_agent_until !== undefined) p.conv.social.human_agent_until = new Date(t + 7 * 864e5).toISOString();
        showWindow(p);
      }
    }
    place(p, node);
    if (m.author === 'operator' && m.seq <= p.readSeq) showRead(p);
    if (m.author === 'visitor') {
      p.typing.textContent = '';
      if (p.ready) {
        announce('New message from ' + (m.name || p.conv.visitor_name || 'visitor') + ': ' + m.body.slice(0, 120));
        if (!inView(p)) { p.unread += 1; showUnread(p); }
      }
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
    pendingBubble(p, cid, text);
    p.input.value = '';
    stopTyping(p);
    var frame = { type: 'message', conversation: p.id, client_id: cid, body: text };
    if (social(p.conv) === 'messenger' && !windowOpen(p)) frame.tag = 'human_agent';
    p.outbox.set(cid, frame);
    send(frame);
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
      send(typeof body === 'object' ? body : { type: 'message', conversation: p.id, client_id: cid, body: body });
    });
  }

  // ---- follow-up: missed chats and out-of-hours enquiries ----------------------------------
  function showFollowups(f) {
    var fresh = { missed: new Set(), enquiry: new Set() };
    (f.missed || []).forEach(function (c) { fresh.missed.add(c.id); followupAdd('missed', c); });
    (f.enquiries || []).forEach(function (e) { fresh.enquiry.add(e.id); followupAdd('enquiry', e); });
    ['missed', 'enquiry'].forEach(function (kind) {
      Array.from(followups[kind].keys()).forEach(function (id) {
        var entry = followups[kind].get(id);
        if (!fresh[kind].has(id) && !entry.busy) followupRemove(kind, id);
      });
    });
  }
  function followupAdd(kind, item) {
    if (!item || !item.id || followups[kind].has(item.id)) return;
    var missed = kind === 'missed', headId = 'f-' + item.id;
    var name = (missed ? item.visitor_name : item.name) || 'Visitor';
    var when = missed ? (item.queued_at || item.created_at) : item.created_at;
    var whenDate = when ? new Date(when) : null;
    var meta = [whenDate && !isNaN(whenDate) ? whenDate.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' }) : '',
      item.department_name || '', missed ? '' : (item.reason_label || '')].filter(Boolean).join(' · ');
    var contact = el('p', { class: 'contact' });
    var email = missed ? item.visitor_email : item.email;
    if (email) contact.appendChild(el('a', { href: 'mailto:' + email, text: email }));
    if (!missed && item.phone) {
      if (email) contact.appendChild(document.createTextNode(' · '));
      contact.appendChild(el('a', { href: 'tel:' + item.phone.replace(/[^0-9+]/g, ''), text: item.phone }));
    }
    var noteId = 'f-' + item.id + '-note';
    var btn = el('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'handle', 'aria-describedby': headId,
      'aria-expanded': 'false', 'aria-controls': 'f-' + item.id + '-form', text: missed ? 'Mark followed up' : 'Mark handled' });
    var err = el('p', { id: 'f-' + item.id + '-err', class: 'field-error', role: 'alert' });
    var note = el('textarea', { id: noteId, rows: '2', maxlength: '4000', 'data-testid': 'handle-note' });
    var save = el('button', { type: 'submit', class: 'btn', 'data-testid': 'handle-submit', text: 'Save' });
    var cancel = el('button', { type: 'button', class: 'btn btn-secondary', text: 'Cancel' });
    var form = el('form', { id: 'f-' + item.id + '-form', class: 'handle-form', hidden: true }, [
      el('label', { for: noteId, text: 'What did you do? (optional, only staff see it)' }), err, note,
      el('div', { class: 'transfer-actions' }, [save, cancel])]);
    var li = el('li', { class: 'followup-item', 'data-testid': missed ? 'missed-item' : 'enquiry-item', 'data-id': item.id }, [
      el('h4', { id: headId, text: name }),
      el('p', { class: 'meta', text: meta }),
      el('p', { class: 'preview', text: missed ? (item.preview || '') : (item.message || '') }),
      contact.childNodes.length ? contact : null,
      btn, form]);
    var entry = { li: li, item: item, form: form, btn: btn, save: save, err: err, note: note, busy: false };
    btn.addEventListener('click', function () { toggleHandle(entry, form.hidden); });
    cancel.addEventListener('click', function () { toggleHandle(entry, false); });
    form.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); toggleHandle(entry, false); } });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      if (entry.busy) return;
      if (!send({ type: 'handle', kind: kind, id: item.id, note: note.value.trim() })) {
        handleFormError(entry, 'Not connected. Try again when the console is back online.'); return;
      }
      entry.busy = true; save.setAttribute('aria-disabled', 'true'); save.textContent = 'Saving…';
    });
    followups[kind].set(item.id, entry);
    (missed ? missedList : enquiryList).appendChild(li);
    followupsChanged();
  }
  function toggleHandle(entry, show) {
    entry.form.hidden = !show; entry.btn.setAttribute('aria-expanded', show ? 'true' : 'false');
    if (show) entry.note.focus(); else entry.btn.focus();
  }
  function handleFormError(entry, text) {
    if (!entry) return;
    entry.busy = false; entry.save.removeAttribute('aria-disabled'); entry.save.textContent = 'Save';
    entry.err.textContent = text;
  }
  function followupRemove(kind, id) {
    var entry = followups[kind] && followups[kind].get(id);
    if (!entry) return;
    var hadFocus = entry.li.contains(document.activeElement);
    entry.li.remove(); followups[kind].delete(id); followupsChanged();
    if (hadFocus) $('followups-heading').focus();
  }
  function followupsChanged() {
    missedEmpty.hidden = followups.missed.size > 0;
    enquiryEmpty.hidden = followups.enquiry.size > 0;
    followCount.textContent = '(' + (followups.missed.size + followups.enquiry.size) + ')';
  }
  // Enquiries arrive while chat is closed, from another part of the product: look now and then.
  setInterval(function () { send({ type: 'followups' }); }, 60000);

  // ---- frames -------------------------------------------------------------------------
  var handlers = {
    hello: function (f) {
      tries = 0;
      setConn('live', 'Connected');
      if (f.operator && f.operator.name) { me.name = f.operator.name; $('operator-name').textContent = f.operator.name; }
      if (f.operator && f.operator.id != null) me.id = f.operator.id;
      if (f.presence) showPresence(f.presence);
      setTargets(f);
      if (Array.isArray(f.canned)) canned = f.canned;
      if (Array.isArray(f.outcomes)) outcomes = f.outcomes;
      if (Array.isArray(f.tags)) {
        councilTags = f.tags;
        chats.forEach(function (p) { p.tagsBtn.hidden = !councilTags.length; });
      }
      if (f.followups) showFollowups(f.followups);
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
        if (!p.ended) refresh(p);
      });
      if (f.queue && f.queue.length) announce(f.queue.length + (f.queue.length === 1 ? ' chat' : ' chats') + ' waiting');
    },
    queue_add: function (f) { queueAdd(f.conversation); },
    queue_remove: function (f) {
      var q = queue.get(f.conversation);
      if (f.reason === 'missed' && q) { q.conv.status = 'missed'; followupAdd('missed', q.conv); }
      queueRemove(f.conversation);
    },
    accepted: function (f) {
      var conv = f.conversation; if (!conv) return;
      queueRemove(conv.id);
      var old = chats.get(conv.id);
      if (old && old.ended && conv.status !== 'ended') removePanel(old); // it came back to me
      var p = openPanel(conv);
      if (typeof conv.visitor_read_seq === 'number') p.readSeq = Math.max(p.readSeq, conv.visitor_read_seq);
      resume(p);
      refresh(p);
      var name = conv.visitor_name || 'a visitor';
      if (f.reason === 'auto' || f.reason === 'transfer') {
        focusOnAccept.delete(conv.id); // never move focus for a chat I did not ask for
        flash(p.notice, f.reason === 'transfer' ? 'This chat was transferred to you.' : 'This chat was assigned to you automatically.');
        announce('New chat assigned to you: ' + name);
        alertNewChat(f.reason === 'transfer' ? 'Chat transferred to you' : 'New chat assigned to you', name + (conv.department_name ? ' – ' + conv.department_name : ''), conv.id);
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
    read: function (f) {
      var p = chats.get(f.conversation);
      if (!p || typeof f.seq !== 'number' || f.seq <= p.readSeq) return;
      p.readSeq = f.seq; showRead(p);
    },
    note: function (f) { var p = chats.get(f.conversation); if (p) showNote(p, f); },
    context: function (f) { var p = chats.get(f.conversation); if (p) showContext(p, f); },
    tags: function (f) { // issue 15, point 8: the chat's tags were stored; an end may wait for it
      var p = chats.get(f.conversation); if (!p) return;
      showTags(p, f.tags);
      tagsSaved(p);
      if (p.endAfterTags) {
        var end = p.endAfterTags; p.endAfterTags = null;
        if (!send(end)) { endDone(p); endError(p, 'Not connected. Try again when the console is back online.'); }
      }
    },
    followups: function (f) { showFollowups(f); },
    handled: function (f) {
      followupRemove(f.kind, f.id);
      flash(followNotice, f.kind === 'missed' ? 'Missed chat marked as followed up.' : 'Enquiry marked as handled.');
    },
    followup_handled: function (f) { followupRemove(f.kind, f.id); },
    followup_add: function (f) {
      if (!f.item || !followups[f.kind] || followups[f.kind].has(f.item.id)) return;
      followupAdd(f.kind, f.item);
      flash(followNotice, 'New message left while chat was closed, from ' + (f.item.name || 'a visitor') + '.');
    },
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
    delivery: function (f) { // a social reply's state: sent, delivered, read or failed
      var p = chats.get(f.conversation); if (!p || typeof f.seq !== 'number') return;
      var node = p.log.querySelector('.msg[data-seq="' + f.seq + '"]');
      if (node) setDelivery(node, f.state, f.error);
      else { p.deliveries = p.deliveries || new Map(); p.deliveries.set(f.seq, f); }
      if (f.state === 'failed') { flash(p.notice, 'A reply could not be delivered on ' + (CHANNEL_LABEL[social(p.conv)] || 'this channel') + (f.error ? ': ' + f.error : '.')); announce('A reply to ' + (p.conv.visitor_name || 'the resident') + ' was not delivered'); }
    },
    attachments: function (f) {
      var p = chats.get(f.conversation); if (!p || typeof f.seq !== 'number') return;
      var node = p.log.querySelector('.msg[data-seq="' + f.seq + '"]');
      if (node) showAttachments(node, f.attachments);
    },
    typing: function (f) {
      var p = chats.get(f.conversation); if (!p || p.ended) return;
      clearTimeout(p.visTyping);
      p.typing.textContent = f.active ? 'Visitor is typing…' : '';
      if (f.active) p.visTyping = setTimeout(function () { p.typing.textContent = ''; }, 8000);
    },
    pong: function () { /* lastHeard is set for every frame */ },
    visitor_presence: function (f) {
      var p = chats.get(f.conversation); if (!p) return;
      p.conv.visitor_presence = f.presence; p.conv.visitor_presence_at = f.since;
      showVisitorPresence(p, f.presence, f.since);
      if (f.presence === 'gone' && !p.ended) announce((p.conv.visitor_name || 'The resident') + ' has left the page');
    },
    ended: function (f) {
      var p = chats.get(f.conversation); if (!p) return;
      p.conv.status = 'ended'; p.conv.outcome = f.outcome; p.conv.outcome_label = f.outcome_label; p.conv.ended_by = f.ended_by;
      markEnded(p);
      showOutcome(p, p.conv);
      if (p.visitorEl) p.visitorEl.hidden = true;
      if (f.outcome === 'quick_exit') flash(p.notice, (p.conv.visitor_name || 'The resident') + ' left by the quick exit.');
    },
    status: function (f) {
      var p = chats.get(f.conversation); if (!p) return;
      if (f.status === 'ended') markEnded(p);
      else if (f.status === 'active') p.status.textContent = 'Active' + (f.operator && f.operator !== me.name ? ' – ' + f.operator : '');
    },
    error: function (f) {
      var text = errorText(f);
      var id = f.conversation, p = id && chats.get(id);
      if ((f.code === 'unavailable' || f.code === 'rate_limited') && f.retry) { // not stored just now: send it again
        var body = p && f.client_id && p.outbox && p.outbox.get(f.client_id);
        if (body) setTimeout(function () { send({ type: 'message', conversation: id, client_id: f.client_id, body: body }); }, (f.retry_after || 1) * 1000 + Math.random() * 2000);
        else flash(p ? p.notice : queueNotice, text);
        if (p && !body && !f.client_id) { // tags not stored (issue 15): the operator tries again
          // A resume or context refused (a reconnect's burst over the socket's budget): both
          // are asked for again after the wait; both are safe to repeat.
          setTimeout(function () {
            if (chats.get(id) === p && !p.ended) { resume(p); send({ type: 'context', conversation: id }); }
          }, (f.retry_after || 1) * 1000 + Math.random() * 1000);
          tagsSaved(p, text);
          if (p.endAfterTags) { endDone(p); endError(p, text); }
        }
        return;
      }
      if (f.id && (followups.missed.has(f.id) || followups.enquiry.has(f.id))) { // a follow-up was refused
        var kind = followups.missed.has(f.id) ? 'missed' : 'enquiry';
        if (f.code === 'already_handled' || f.code === 'not_found') followupRemove(kind, f.id);
        else handleFormError(followups[kind].get(f.id), text);
        flash(followNotice, text);
        return;
      }
      if (p && f.client_id && p.noteOutbox.has(f.client_id)) { // a note was refused
        var li = p.notes.get('c:' + f.client_id);
        if (f.code === 'body_empty' || f.code === 'body_too_long' || f.code === 'not_assigned') {
          p.noteOutbox.delete(f.client_id);
          if (li) li.querySelector('.state').textContent = 'Not saved';
        }
        flash(p.notice, text);
        return;
      }
      if (p && p.savingTags && !f.client_id && TAG_ERRORS.indexOf(f.code) >= 0) { tagsSaved(p, text); return; } // issue 15
      if (p && p.ending && !f.client_id) {
        endDone(p);
        if (f.code === 'invalid_outcome' || f.code === 'invalid_tag') { endError(p, text); return; }
      }
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
        if (f.code === 'conversation_closed' || f.code === 'not_assigned' || f.code === 'not_found') markEnded(p, text);
        else flash(p.notice, text);
        if (f.client_id && (f.code === 'body_empty' || f.code === 'body_too_long' || f.code === 'outside_window' || f.code === 'channel_unavailable')) {
          if (p.outbox) p.outbox.delete(f.client_id);
          var nb = p.pending.get(f.client_id);
          if (nb) nb.querySelector('.state').textContent = 'Not sent';
        }
      } else if (id && queue.has(id)) {
        var q = queue.get(id);
        if (f.code === 'not_found') queueRemove(id); else { q.btn.removeAttribute('aria-disabled'); q.btn.textContent = 'Accept'; applyFull(q); }
        flash(queueNotice, text);
      } else {
        flash(noticeEl, text);
      }
    }
  };
  var TRANSFER_ERRORS = ['not_available', 'not_found', 'not_assigned', 'invalid_frame'];
  var TAG_ERRORS = ['invalid_tag', 'not_assigned', 'not_found', 'invalid_frame', 'internal_error'];
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
      conversation_closed: 'This chat has ended.',
      not_assigned: 'This chat is not assigned to you.',
      not_found: 'That chat could not be found.',
      body_empty: 'The message was empty.',
      body_too_long: 'The message is too long (4,000 characters at most).',
      invalid_outcome: 'Choose one of the listed outcomes.',
      invalid_tag: 'One of those tags no longer exists. Choose the tags again.',
      already_handled: 'Someone has already followed this up.',
      outside_window: f.detail || 'Too long since the resident’s last message to reply freely.'
    })[f.code] || ('Something went wrong' + (f.detail ? ': ' + f.detail : '.'));
  }

  // ---- connection ---------------------------------------------------------------------
  function connect() {
    clearTimeout(timer);
    if (stopped) return;
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + WS_PATH;
    var sock;
    lastHeard = Date.now();
    try { sock = ws = new WebSocket(url); } catch (e) { retry(); return; }
    setConn('connecting', tries ? 'Reconnecting…' : 'Connecting…');
    sock.onmessage = function (e) {
      if (sock !== ws) return;
      lastHeard = Date.now();
      if (lastHeard - lastPing >= PING_MS && send({ type: 'ping' })) lastPing = lastHeard;
      var f; try { f = JSON.parse(e.data); } catch (x) { return; }
      var h = f && handlers[f.type];
      if (h) h(f);
    };
    sock.onopen = function () { lastHeard = Date.now(); send({ type: 'ping' }); };
    sock.onclose = function (e) {
      if (sock !== ws) return;
      ws = null;
      chats.forEach(function (p) {
        p.ready = false; p.typingOn = false;
        if (p.ending && !p.ended) endDone(p);
        tagsSaved(p, 'Not connected. Try again when the console is back online.');
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
      // 1012: the server is restarting (a redeploy), 1013/4503: try again later. Come back soon,
      // at a random moment within a few seconds, so every console does not reconnect at once.
      if (e.code === 1012 || e.code === 1013 || e.code === 4503) {
        setConn('offline', 'Server restarting. Reconnecting…');
        clearTimeout(timer); tries = 0;
        timer = setTimeout(connect, 500 + Math.random() * 4500);
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
  // ---- silent outages (issue 15) ----------------------------------------------------------
  // Ping every PING_MS; the server answers `pong` and closes a console silent for 10 s. A socket
  // that hears nothing (not even a pong) for SILENT_MS is taken as dead: say so and reconnect
  // (so both sides notice a silent outage within 10 s).
  var PING_MS = 3000, SILENT_MS = 8000, lastHeard = 0, lastPing = 0;
  // The server also sends `pong` every 3 s unasked, and each frame that arrives triggers the
  // next ping: a background tab's timers may be throttled to once a minute, its events are not.
  setInterval(function () { // checked every second, so silence is noticed within 9 s
    if (!ws || stopped) return;
    if (ws.readyState === WebSocket.CONNECTING && Date.now() - lastHeard > 2 * SILENT_MS) {
      var stuck = ws; ws = null; try { stuck.close(); } catch (e) { /* never opened */ }
      retry(); return; // a handshake that hangs (the network is still down): try again
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastHeard > SILENT_MS) {
      var dead = ws; ws = null;
      try { dead.close(4000); } catch (e) { /* already closing */ }
      chats.forEach(function (p) { p.ready = false; p.typingOn = false; });
      setConn('offline', 'Connection lost. Reconnecting…');
      tries = 0; retry();
      return;
    }
    if (Date.now() - lastPing >= PING_MS && send({ type: 'ping' })) lastPing = Date.now();
  }, 1000);

  queueChanged();
  followupsChanged();
  setView(store.get('view', 'grid'));
  connect();
})();
