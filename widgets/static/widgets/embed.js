/* CouncilChat visitor widget. Plain ES2017, no dependencies, CSP-safe (no eval, no innerHTML).
   Embed: <script src="https://HOST/widget/embed.js" data-department="parking" data-council="dorset" async></script>
   Protocol: docs/protocol.md. Notes: docs/widget.md. */
(function () {
  'use strict';
  var script = document.currentScript ||
    [].slice.call(document.querySelectorAll('script[src$="/widget/embed.js"]')).pop();
  if (!script || window.__councilChat) return;
  window.__councilChat = true;
  var u = new URL(script.src, location.href);
  var BASE = u.origin + u.pathname.replace(/\/widget\/embed\.js$/, '');
  var DEPT = script.getAttribute('data-department') || '';
  var COUNCIL = script.getAttribute('data-council') || '';
  var KEY = 'councilchat:' + BASE;
  var FATAL = [4400, 4401, 4403, 4404], MAX = 4000;

  var CSS = ':host{all:initial;--b:#1d4f91;--t:#fff}*{box-sizing:border-box;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}' +
    '[hidden]{display:none!important}' +
    'button,input,select,textarea{font:inherit;color:inherit}' +
    ':focus-visible{outline:3px solid #fd0;outline-offset:1px;box-shadow:0 0 0 5px #0b0c0c}' +
    '.launch{position:fixed;right:16px;bottom:16px;z-index:2147483000;background:var(--b);color:var(--t);border:2px solid var(--t);border-radius:24px;padding:12px 20px;font-weight:700;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.35)}' +
    '.panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;width:370px;max-width:calc(100vw - 32px);height:560px;max-height:calc(100vh - 32px);display:flex;flex-direction:column;background:#fff;color:#0b0c0c;border:1px solid #505a5f;border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.35);overflow:hidden;animation:up .2s ease-out}' +
    '@keyframes up{from{transform:translateY(16px);opacity:0}}' +
    '@media (prefers-reduced-motion:reduce){.panel{animation:none}}' +
    '@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}' +
    '.head{display:flex;align-items:center;gap:8px;background:var(--b);color:var(--t);padding:10px 12px}' +
    '.head h2{flex:1;margin:0;font-size:16px;font-weight:700;color:inherit}' +
    '.head button{background:none;border:1px solid currentColor;color:inherit;border-radius:4px;padding:4px 8px;cursor:pointer}' +
    '.body{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:8px;min-height:0}' +
    'form{display:flex;flex-direction:column;gap:10px}label{font-weight:700;display:block;margin-bottom:2px}' +
    'input,select,textarea{width:100%;padding:8px;border:2px solid #0b0c0c;border-radius:0;background:#fff}textarea{resize:vertical;min-height:80px}' +
    '[aria-invalid=true]{border-color:#d4351c}.err{color:#d4351c;font-weight:700;margin:2px 0}' +
    '.sum{border:3px solid #d4351c;padding:8px}.sum p{margin:0}.sum ul{margin:4px 0 0;padding-left:20px;color:#d4351c}' +
    '.note{background:#f3f2f1;border-left:4px solid #505a5f;padding:8px;margin:0}' +
    '.btn{background:var(--b);color:var(--t);border:0;border-radius:4px;padding:10px 14px;font-weight:700;cursor:pointer}.btn:disabled{opacity:.6;cursor:default}' +
    '.sec{background:#f3f2f1;color:#0b0c0c;border:1px solid #505a5f}' +
    '.status{padding:6px 12px;background:#f3f2f1;border-bottom:1px solid #b1b4b6;margin:0;font-size:14px}' +
    '.body.chat{padding:0;gap:0;overflow:hidden}.log{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:8px;min-height:0}' +
    '.m{max-width:85%;padding:6px 10px;border-radius:8px;background:#f3f2f1;align-self:flex-start;overflow-wrap:anywhere}' +
    '.m.visitor{align-self:flex-end;background:#e8f0f8}.m b{display:block;font-size:13px}.m p{margin:0;white-space:pre-wrap}' +
    '.m small{display:block;font-size:12px;color:#505a5f}.m.pending{opacity:.8}' +
    '.m.system,.m.local{align-self:center;background:none;font-style:italic;color:#505a5f;text-align:center}' +
    '.typing{margin:0;padding:0 12px;font-size:13px;color:#505a5f;min-height:18px}' +
    'textarea:disabled{background:#f3f2f1;border-color:#b1b4b6}.compose{display:flex;gap:6px;padding:8px 12px;border-top:1px solid #b1b4b6;align-items:flex-end}.compose textarea{min-height:44px;height:44px;flex:1}' +
    '.foot{display:flex;justify-content:space-between;padding:0 12px 10px;gap:6px}' +
    '.vh{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '.hint{color:#505a5f;margin:0 0 2px}input.short{max-width:11em}' +
    'fieldset.councils{border:0;margin:0;padding:0;min-width:0}fieldset.councils legend{font-weight:700;padding:0;margin-bottom:4px}' +
    'fieldset.councils.invalid{border-left:4px solid #d4351c;padding-left:8px}' +
    '.radios{display:flex;flex-direction:column;gap:6px}.radio{display:flex;align-items:center;gap:8px}' +
    '.radio input{width:24px;height:24px;margin:0;padding:0;flex:none;accent-color:#0b0c0c}' +
    '.radio label{display:flex;align-items:center;gap:8px;font-weight:400;margin:0;padding:4px 0;cursor:pointer}' +
    '.radio img.logo{width:32px;height:32px;object-fit:contain;flex:none}' +
    '.offline{border:3px solid #0b0c0c;border-left-width:8px;padding:8px;background:#fff}.offline p{margin:0 0 4px}.offline .title{font-weight:700}';

  function el(tag, attrs, kids) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') n.textContent = attrs[k];
      else if (k === 'on') for (var ev in attrs.on) n.addEventListener(ev, attrs.on[ev]);
      else if (attrs[k] != null && attrs[k] !== false) n.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) n.appendChild(c); });
    return n;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return [].map.call(a, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }
  function load() { try { return JSON.parse(localStorage.getItem(KEY)); } catch (e) { return null; } }
  function save() { try { if (sess) localStorage.setItem(KEY, JSON.stringify(sess)); } catch (e) { /* private mode */ } }
  function forget() { try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ } sess = null; }
  function textOn(hex) { // white or black text on the brand colour, whichever contrasts more
    var h = hex.slice(1); if (h.length < 6) h = h.replace(/./g, '$&$&');
    var L = [0, 2, 4].map(function (i) { var c = parseInt(h.substr(i, 2), 16) / 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); });
    return 0.2126 * L[0] + 0.7152 * L[1] + 0.0722 * L[2] > 0.18 ? '#0b0c0c' : '#fff';
  }

  var cfg, sess = load(), ws, timer, tries = 0, lastSeq = 0, held = {}, pending = {}, stopped = false;
  var typingOn = false, typingAt = 0, typingOff, opTyping;
  var host = el('div', { id: 'councilchat-widget' });
  var root = host.attachShadow({ mode: 'open' });
  var sheet = null;
  function brand(colour) {
    var c = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(colour || '') ? colour : '#1d4f91';
    var css = CSS + ':host{--b:' + c + ';--t:' + textOn(c) + '}';
    if (sheet) sheet.replaceSync(css); else if (root.adoptedStyleSheets && window.CSSStyleSheet) {
      try { sheet = new CSSStyleSheet(); sheet.replaceSync(css); root.adoptedStyleSheets = [sheet]; return; } catch (e) { sheet = null; }
    }
    if (!sheet) { var s = root.querySelector('style') || root.appendChild(el('style')); s.textContent = css; }
  }

  // ---- shell --------------------------------------------------------------------------
  var launcher = el('button', { type: 'button', class: 'launch', 'data-testid': 'cc-launcher', 'aria-expanded': 'false', 'aria-controls': 'cc-panel', text: 'Chat with us' });
  var title = el('h2', { id: 'cc-title' });
  var minBtn = el('button', { type: 'button', 'data-testid': 'cc-close', 'aria-label': 'Minimise chat', text: '\u2013' });
  var body = el('div', { class: 'body' });
  var panel = el('div', { id: 'cc-panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'cc-title', hidden: true },
    [el('div', { class: 'head' }, [title, minBtn]), body]);

  function open(focus) {
    panel.hidden = false; launcher.hidden = true; launcher.setAttribute('aria-expanded', 'true');
    if (sess) { sess.open = true; save(); }
    if (focus) { var f = body.querySelector('input:enabled,select:enabled,textarea:enabled,button:enabled'); if (f) f.focus(); }
  }
  function close() {
    panel.hidden = true; launcher.hidden = false; launcher.setAttribute('aria-expanded', 'false');
    if (sess) { sess.open = false; save(); }
    launcher.focus();
  }
  launcher.addEventListener('click', function () { open(true); });
  minBtn.addEventListener('click', close);
  panel.addEventListener('keydown', function (e) { if (e.key === 'Escape') { e.preventDefault(); close(); } });

  // ---- pre-chat form ------------------------------------------------------------------
  var fields = {};
  function field(name, label, control, testid, hint) {
    control.id = 'cc-' + name; control.setAttribute('data-testid', testid); control.name = name;
    var err = el('p', { id: 'cc-' + name + '-err', class: 'err', hidden: true });
    var lab = el('label', { for: control.id, text: label });
    var hintEl = hint ? el('p', { id: 'cc-' + name + '-hint', class: 'hint', text: hint }) : null;
    if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
    var wrap = el('div', {}, [lab, hintEl, err, control]);
    fields[name] = { c: control, err: err, wrap: wrap, label: label, lab: lab, hint: hintEl };
    return wrap;
  }
  function options(select, list, placeholder) {
    select.textContent = '';
    select.appendChild(el('option', { value: '', text: placeholder }));
    list.forEach(function (d) { select.appendChild(el('option', { value: d.slug, text: d.name })); });
  }
  function councilPicker(councils) { // a fieldset of radio buttons, one per member council
    var err = el('p', { id: 'cc-council-err', class: 'err', hidden: true });
    var list = el('div', { class: 'radios' });
    councils.forEach(function (c) {
      var id = 'cc-council-' + c.slug;
      var radio = el('input', { type: 'radio', name: 'council', id: id, value: c.slug, 'data-testid': id });
      var lab = el('label', { for: id }, [
        c.logo_url ? el('img', { src: c.logo_url, alt: '', class: 'logo', width: '32', height: '32' }) : null,
        el('span', { text: c.name })]);
      list.appendChild(el('div', { class: 'radio' }, [radio, lab]));
    });
    var fs = el('fieldset', { id: 'cc-council', class: 'councils', 'data-testid': 'cc-council', hidden: true },
      [el('legend', { text: 'Which council is your question for?' }), err, list]);
    fields.council = { c: fs, err: err, wrap: fs, label: 'Your council', group: true };
    return fs;
  }
  function pickedCouncil() {
    var r = fields.council && fields.council.c.querySelector('input:checked');
    return r ? r.value : '';
  }
  function showForm(notice) {
    clearTimeout(timer); body.textContent = ''; body.className = 'body'; fields = {};
    var partnership = cfg.kind === 'partnership';
    var councils = cfg.councils || [];
    var services = partnership ? cfg.services || [] : [];
    var preset = partnership && councils.filter(function (c) { return c.slug === COUNCIL; })[0];
    var sum = el('div', { class: 'sum', role: 'alert', tabindex: '-1', hidden: true });
    var offline = el('div', { class: 'offline', role: 'alert', tabindex: '-1', 'data-testid': 'cc-offline', hidden: true });
    var nameIn = el('input', { type: 'text', autocomplete: 'name', maxlength: '100', required: true });
    var deptSel = el('select');
    var postIn = el('input', { type: 'text', autocomplete: 'postal-code', maxlength: '10', spellcheck: 'false', class: 'short' });
    var q = el('textarea', { maxlength: String(MAX), required: true, rows: '4' });
    var start = el('button', { type: 'submit', class: 'btn', 'data-testid': 'cc-start', text: 'Start chat' });
    var picker = partnership ? councilPicker(councils) : null;
    var form = el('form', { novalidate: true }, [
      notice ? el('p', { class: 'note', role: 'status', text: notice }) : null, offline, sum,
      field('name', 'Your name', nameIn, 'cc-name'),
      partnership ? field('department', 'What is your question about? (optional)', deptSel, 'cc-service')
        : field('department', 'What is it about? (optional)', deptSel, 'cc-department'),
      partnership ? field('postcode', 'Your postcode (optional)', postIn, 'cc-postcode', 'For example, DT1 1XJ') : null,
      field('message', 'Your question', q, 'cc-question'),
      picker,
      el('div', {}, [start])]);
    function service() { return services.filter(function (s) { return s.slug === deptSel.value; })[0]; }
    function postcodeNeeded() { var s = service(); return !!(s && s.asks_postcode); }
    if (partnership) {
      options(deptSel, services, 'Not sure');
      var hitService = DEPT && services.some(function (s) { return s.slug === DEPT; });
      if (hitService) deptSel.value = DEPT;
      fields.department.wrap.hidden = hitService || !services.length;
      var syncPostcode = function () {
        var need = postcodeNeeded();
        fields.postcode.label = need ? 'Your postcode' : 'Your postcode (optional)';
        fields.postcode.lab.textContent = fields.postcode.label;
        if (need) postIn.setAttribute('required', ''); else postIn.removeAttribute('required');
      };
      deptSel.addEventListener('change', syncPostcode); syncPostcode();
      picker.addEventListener('change', function () {
        var c = councils.filter(function (x) { return x.slug === pickedCouncil(); })[0];
        if (c) brand(c.brand_colour);
      });
      brand(preset ? preset.brand_colour : null);
    } else {
      var list = cfg.departments || [];
      brand(cfg.council && cfg.council.brand_colour);
      options(deptSel, list, 'Not sure');
      var hit = DEPT && list.some(function (d) { return d.slug === DEPT; });
      if (hit) deptSel.value = DEPT;
      fields.department.wrap.hidden = hit || !list.length;
    }

    function describe(f, withErr) { // the hint (if any) and the error (if shown)
      var ids = [f.hint && f.hint.id, withErr && f.err.id].filter(Boolean).join(' ');
      if (ids) f.c.setAttribute('aria-describedby', ids); else f.c.removeAttribute('aria-describedby');
    }
    function errors(map, focus) {
      var items = [], first = null;
      Object.keys(fields).forEach(function (k) {
        var f = fields[k], msgs = map[k];
        f.err.hidden = !msgs; f.err.textContent = msgs ? msgs.join(' ') : '';
        if (msgs && !f.wrap.hidden && !first) first = f.group ? (f.c.querySelector('input:checked') || f.c.querySelector('input')) : f.c;
        describe(f, !!msgs);
        if (f.group) f.c.classList.toggle('invalid', !!msgs);
        else if (msgs) f.c.setAttribute('aria-invalid', 'true'); else f.c.removeAttribute('aria-invalid');
      });
      Object.keys(map).forEach(function (k) {
        var f = fields[k];
        map[k].forEach(function (m) { items.push(el('li', { text: (f ? f.label + ': ' : '') + m })); });
      });
      sum.textContent = ''; sum.hidden = !items.length;
      if (items.length) {
        sum.appendChild(el('p', { text: 'There is a problem' })); sum.appendChild(el('ul', {}, items));
        if (focus) (first || sum).focus();
      }
    }
    function showOffline(j) {
      offline.textContent = '';
      offline.appendChild(el('p', { class: 'title', text: j.reason === 'queue_full' ? 'Our advisers are very busy' : 'No one is available to chat' }));
      offline.appendChild(el('p', { text: j.detail || 'Sorry, no one is available to chat right now. Please try again later.' }));
      offline.appendChild(el('p', { text: 'What you typed has been kept, so you can try again later.' }));
      offline.hidden = false; offline.focus();
    }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var name = nameIn.value.trim(), msg = q.value.trim(), pc = postIn.value.trim(), bad = {};
      var asking = partnership && !preset && !picker.hidden;
      if (!name) bad.name = ['Enter your name.']; else if (name.length > 100) bad.name = ['Your name must be 100 characters or fewer.'];
      if (partnership && !pc && postcodeNeeded()) bad.postcode = ['Enter your postcode, so we can send your question to the right council.'];
      if (!msg) bad.message = ['Enter your question.']; else if (msg.length > MAX) bad.message = ['Your question must be ' + MAX + ' characters or fewer.'];
      if (asking && !pickedCouncil()) bad.council = ['Choose your council.'];
      errors(bad, true);
      if (Object.keys(bad).length) return;
      offline.hidden = true;
      var lang = (document.documentElement.lang || '').toLowerCase().slice(0, 2) === 'cy' ? 'cy' : 'en';
      var data = { name: name, message: msg, page_url: location.href, language: lang };
      if (deptSel.value) data.department = deptSel.value;
      if (partnership && pc) data.postcode = pc;
      if (preset) data.council = preset.slug; else if (asking) data.council = pickedCouncil();
      start.disabled = true; start.textContent = 'Starting\u2026';
      fetch(BASE + '/widget/conversations', { method: 'POST', credentials: 'omit', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(data) })
        .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { s: r.status, j: j }; }); })
        .then(function (r) {
          if (r.s === 201) {
            sess = { conversation: r.j.conversation, token: r.j.token, websocket: r.j.websocket, name: name, last_seq: 0, outbox: [], open: true, council: r.j.council || null };
            save(); showChat(true); return;
          }
          if (r.s === 409 && r.j.error === 'offline') { errors({}, false); showOffline(r.j); return; }
          var map = r.s === 400 && r.j.errors ? r.j.errors :
            { __all__: [r.s === 403 ? 'Chat is not available on this website.' : 'Sorry, we could not start the chat. Please try again.'] };
          if (map.council && partnership && picker.hidden && councils.length) {
            picker.hidden = false; // the server could not tell which council: ask the visitor
            map = Object.assign({}, map, { council: ['Choose your council, then press Start chat again.'] });
          }
          errors(map, true);
        })
        .catch(function () { errors({ __all__: ['Sorry, we could not connect. Check your connection and try again.'] }, true); })
        .then(function () { start.disabled = false; start.textContent = 'Start chat'; });
    });
    body.appendChild(form);
  }

  // ---- chat view ----------------------------------------------------------------------
  var log, statusLine, typingLine, input, sendBtn, endBtn, foot;
  function showChat(focus) {
    lastSeq = 0; held = {}; pending = {}; stopped = false; body.textContent = '';
    convStatus = ''; wasActive = false; queueInfo = null; statusText = '';
    setTitle(); if (sess.council) councilBrand(sess.council);
    statusLine = el('p', { class: 'status', role: 'status', 'data-testid': 'cc-status', text: 'Connecting\u2026' });
    log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages', 'data-testid': 'cc-log', tabindex: '0' });
    typingLine = el('p', { class: 'typing', 'aria-live': 'polite' });
    input = el('textarea', { id: 'cc-input', 'data-testid': 'cc-input', maxlength: String(MAX), rows: '2' });
    sendBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'cc-send', text: 'Send' });
    endBtn = el('button', { type: 'button', class: 'btn sec', 'data-testid': 'cc-end', text: 'End chat' });
    foot = el('div', { class: 'foot' }, [endBtn]);
    var wrap = el('div', { class: 'compose' }, [el('label', { for: 'cc-input', class: 'vh', text: 'Type your message' }), input, sendBtn]);
    body.appendChild(statusLine); body.appendChild(log); body.appendChild(typingLine); body.appendChild(wrap); body.appendChild(foot);
    body.className = 'body chat';
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); } });
    input.addEventListener('input', typing);
    sendBtn.addEventListener('click', send);
    endBtn.addEventListener('click', function () {
      raw({ type: 'end' }); // best effort: servers without a visitor end frame answer unknown_type
      var w = ws; ws = null; finish('You ended the chat.'); forget();
      setTimeout(function () { if (w) w.close(1000); }, 500);
    });
    (sess.outbox || []).forEach(function (m) { bubble(m.client_id, m.body); });
    open(focus);
    if (focus) input.focus();
    connect();
  }
  function bubble(cid, text) {
    var meta = el('small', { text: 'Sending\u2026' });
    var b = el('div', { class: 'm visitor pending', 'data-client-id': cid }, [el('b', { text: 'You' }), el('p', { text: text }), meta]);
    pending[cid] = b; log.appendChild(b); log.scrollTop = log.scrollHeight;
  }
  function place(node) { log.insertBefore(node, log.querySelector('.pending')); log.scrollTop = log.scrollHeight; }
  function render(m) {
    var own = m.client_id && pending[m.client_id], node;
    var time = m.sent_at ? new Date(m.sent_at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
    if (own) {
      node = own; delete pending[m.client_id]; node.classList.remove('pending');
      node.lastChild.textContent = time; drop(m.client_id);
    } else if (m.author === 'system') {
      node = el('div', { class: 'm system' }, [el('p', { text: m.body })]);
    } else {
      node = el('div', { class: 'm ' + m.author }, [el('b', { text: m.author === 'visitor' ? 'You' : (m.name || 'Council') }), el('p', { text: m.body }), el('small', { text: time })]);
    }
    node.setAttribute('data-seq', m.seq);
    place(node);
    if (m.author === 'operator') typingLine.textContent = '';
  }
  function drop(cid) { sess.outbox = (sess.outbox || []).filter(function (o) { return o.client_id !== cid; }); save(); }
  function note(text) { place(el('div', { class: 'm local' }, [el('p', { text: text })])); }
  var convStatus = '', wasActive = false, queueInfo = null, statusText = '';
  function minutes(s) {
    if (typeof s !== 'number' || !isFinite(s) || s < 0) return '';
    if (s < 60) return 'less than a minute';
    var m = Math.round(s / 60);
    return 'about ' + m + (m === 1 ? ' minute' : ' minutes');
  }
  function showStatus() {
    var t;
    if (convStatus === 'queued') {
      var q = queueInfo, parts = [];
      if (wasActive) parts.push('Your chat is back in the queue; the next available adviser will pick it up.');
      if (q && q.position > 0) {
        var wait = minutes(q.estimated_wait_s);
        parts.push('You are number ' + q.position + ' in the queue.' + (wait ? ' Estimated wait: ' + wait + '.' : ''));
      }
      t = parts.length ? parts.join(' ') : 'You are in the queue. Someone will be with you soon.';
    } else if (convStatus === 'missed') t = 'Sorry, no one could answer in time. The council will follow up.';
    else if (convStatus === 'ended') t = 'Chat ended';
    else t = statusText;
    if (statusLine.textContent !== t) statusLine.textContent = t; // unchanged text is not re-announced
  }
  function setStatus(s, op) {
    if (s !== 'queued') queueInfo = null;
    convStatus = s;
    if (s === 'active') { wasActive = true; statusText = 'You are talking to ' + (op || 'an adviser'); }
    showStatus();
    if (s === 'ended') finish();
  }
  function setTitle() {
    var who = sess && sess.council_name ? { name: sess.council_name } : cfg.kind === 'partnership' ? cfg.partnership : cfg.council;
    title.textContent = (who && who.name ? who.name : 'Council') + ' \u2013 live chat';
  }
  function councilBrand(slug) {
    var c = (cfg.councils || []).filter(function (x) { return x.slug === slug; })[0];
    if (c) brand(c.brand_colour); else if (cfg.council) brand(cfg.council.brand_colour);
  }
  function finish(why) { // stop for good; the server's socket may stay open to finish a replay
    var refocus = root.activeElement === endBtn || root.activeElement === input;
    stopTyping(); stopped = true; clearTimeout(timer);
    if (sess) { sess.ended = true; save(); }
    if (why) note(why);
    Object.keys(pending).forEach(function (k) { pending[k].lastChild.textContent = 'Not sent'; });
    statusLine.textContent = 'Chat ended'; typingLine.textContent = '';
    input.disabled = sendBtn.disabled = true; endBtn.hidden = true;
    var again = foot.querySelector('.again') || foot.appendChild(el('button', { type: 'button', class: 'btn again', 'data-testid': 'cc-new', text: 'Start a new chat', on: { click: function () { hangup(); forget(); setTitle(); showForm(); open(true); } } }));
    if (refocus) again.focus();
  }
  function hangup() { if (ws) { var w = ws; ws = null; try { w.close(1000); } catch (e) { /* ignore */ } } }
  function raw(obj) { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; } return false; }
  function send() {
    var text = input.value.trim();
    if (!text || stopped) return;
    var cid = uuid();
    sess.outbox = (sess.outbox || []).concat([{ client_id: cid, body: text }]); save();
    bubble(cid, text); input.value = ''; input.focus();
    stopTyping();
    raw({ type: 'message', client_id: cid, body: text });
  }
  function typing() {
    var now = Date.now();
    if (!typingOn || now - typingAt > 3000) { typingOn = raw({ type: 'typing', active: true }); typingAt = now; }
    clearTimeout(typingOff); typingOff = setTimeout(stopTyping, 4000);
  }
  function stopTyping() { clearTimeout(typingOff); if (typingOn) raw({ type: 'typing', active: false }); typingOn = false; }
  function flush() { while (held[lastSeq + 1]) { var m = held[lastSeq + 1]; delete held[lastSeq + 1]; lastSeq = m.seq; render(m); } sess.last_seq = lastSeq; save(); }

  function connect() {
    clearTimeout(timer);
    if (!sess || stopped) return;
    var sock;
    try { sock = ws = new WebSocket(sess.websocket); } catch (e) { return retry(); }
    sock.onmessage = function (e) {
      var f; try { f = JSON.parse(e.data); } catch (x) { return; }
      if (sock !== ws) return;
      if (f.type === 'hello') {
        tries = 0;
        raw({ type: 'resume', after_seq: lastSeq });
        if (f.status !== 'ended') (sess.outbox || []).forEach(function (m) { raw({ type: 'message', client_id: m.client_id, body: m.body }); });
        setStatus(f.status, f.operator);
      } else if (f.type === 'message') {
        if (f.seq > lastSeq && !held[f.seq]) { held[f.seq] = f; flush(); }
      } else if (f.type === 'resumed') {
        // everything up to last_seq has been replayed; render anything still held in order
        Object.keys(held).map(Number).sort(function (a, b) { return a - b; }).forEach(function (s) { if (s > lastSeq) { lastSeq = s - 1; flush(); } });
      } else if (f.type === 'ack') {
        var b = pending[f.client_id];
        if (b) b.lastChild.textContent = 'Sent';
        drop(f.client_id);
      } else if (f.type === 'typing') {
        clearTimeout(opTyping);
        typingLine.textContent = f.active ? (f.name || 'The adviser') + ' is typing\u2026' : '';
        if (f.active) opTyping = setTimeout(function () { typingLine.textContent = ''; }, 8000);
      } else if (f.type === 'status') {
        setStatus(f.status, f.operator);
      } else if (f.type === 'queue') {
        queueInfo = f;
        if (convStatus === 'queued' || !convStatus) { convStatus = 'queued'; showStatus(); }
      } else if (f.type === 'transferred') {
        // the chat moved to another council: same socket, but reconnects must use the new token and URL
        if (f.token) sess.token = f.token;
        if (f.websocket) sess.websocket = f.websocket;
        if (f.council) { sess.council = f.council.slug || sess.council; sess.council_name = f.council.name || sess.council_name; }
        save(); setTitle(); councilBrand(sess.council);
        note('Your chat was passed to ' + (f.council && f.council.name ? f.council.name : 'another council') + '.');
      } else if (f.type === 'error' && f.code === 'conversation_ended') {
        finish();
      } else if (f.type === 'error' && /^body_/.test(f.code)) {
        if (pending[f.client_id]) pending[f.client_id].lastChild.textContent = 'Not sent';
        if (f.client_id) drop(f.client_id);
        note(f.code === 'body_too_long' ? 'That message is too long.' : 'That message was empty.');
      }
    };
    sock.onclose = function (e) {
      if (sock !== ws) return;
      ws = null;
      if (stopped) return;
      if (FATAL.indexOf(e.code) >= 0) {
        var ended = sess && sess.ended;
        forget(); stopped = true; setTitle();
        showForm(ended ? '' : 'Your previous chat is no longer available. Please start a new chat.');
        if (!panel.hidden) open(true);
        return;
      }
      statusLine.textContent = 'Connection lost. Reconnecting\u2026';
      retry();
    };
  }
  function retry() {
    clearTimeout(timer);
    var d = Math.min(15000, 1000 * Math.pow(2, tries++));
    timer = setTimeout(connect, Math.max(1000, d * (0.7 + Math.random() * 0.3)));
  }
  window.addEventListener('online', function () { if (sess && !ws && !stopped) { tries = 0; connect(); } });

  // ---- boot ---------------------------------------------------------------------------
  brand();
  fetch(BASE + '/widget/config', { credentials: 'omit' })
    .then(function (r) { if (!r.ok) throw new Error('config ' + r.status); return r.json(); })
    .then(function (c) {
      cfg = c; MAX = c.message_max_chars || MAX;
      setTitle();
      brand(c.council && c.council.brand_colour);
      root.appendChild(launcher); root.appendChild(panel);
      document.body.appendChild(host);
      if (sess && sess.conversation && sess.websocket) {
        var wasOpen = sess.open !== false;
        showChat(false);
        if (!wasOpen) { panel.hidden = true; launcher.hidden = false; launcher.setAttribute('aria-expanded', 'false'); sess.open = false; save(); }
      } else { forget(); showForm(); }
    })
    .catch(function (e) { if (window.console) console.warn('CouncilChat: unavailable', e); });
})();
