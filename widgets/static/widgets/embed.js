/* CouncilChat visitor widget. Plain ES2017, no dependencies, CSP-safe (no eval, no innerHTML,
   no inline styles). Every word shown comes from the server's config (translated by Django).
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
  var POLL = 1000 * (+script.getAttribute('data-poll-seconds') || 60);
  var KEY = 'councilchat:' + BASE, LKEY = KEY + ':lang';
  var FATAL = [4400, 4401, 4403, 4404], MAX = 4000;

  var CSS = ':host{all:initial}*{box-sizing:border-box;font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}' +
    '[hidden]{display:none!important}' +
    'button,input,select,textarea{font:inherit;color:inherit}a{color:#1d70b8}' +
    ':focus-visible{outline:3px solid #fd0;outline-offset:1px;box-shadow:0 0 0 5px #0b0c0c}' +
    '.launch{position:fixed;right:16px;bottom:16px;z-index:2147483000;background:var(--b);color:var(--t);border:2px solid var(--t);border-radius:24px;padding:12px 20px;font-weight:700;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.35)}' +
    '.panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;width:370px;max-width:calc(100vw - 32px);height:600px;max-height:calc(100vh - 32px);display:flex;flex-direction:column;background:#fff;color:#0b0c0c;border:1px solid #505a5f;border-radius:8px;box-shadow:0 4px 24px rgba(0,0,0,.35);overflow:hidden;animation:up .2s ease-out}' +
    '.left .launch,.left .panel{right:auto;left:16px}' +
    '@keyframes up{from{transform:translateY(16px);opacity:0}}' +
    '@media (prefers-reduced-motion:reduce){.panel{animation:none}}' +
    '@media (max-width:480px){.panel,.left .panel{right:0;left:0;bottom:0;width:100vw;max-width:100vw;height:100%;max-height:100%;border-radius:0}}' +
    '.head{display:flex;flex-wrap:wrap;align-items:center;gap:6px;background:var(--b);color:var(--t);padding:8px 12px}' +
    '.head h2{flex:1;margin:0;font-size:16px;font-weight:700;color:inherit;min-width:8em}.head img{width:32px;height:32px;object-fit:contain;background:#fff;border-radius:4px}' +
    '.head button{background:none;border:1px solid currentColor;color:inherit;border-radius:4px;padding:4px 8px;cursor:pointer}' +
    '.head .exit{background:#d4351c;color:#fff;border-color:#fff;font-weight:700}' +
    '.body{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:8px;min-height:0}' +
    'form,.main{display:flex;flex-direction:column;gap:10px}label{font-weight:700;display:block;margin-bottom:2px}' +
    'input,select,textarea{width:100%;padding:8px;border:2px solid #0b0c0c;border-radius:0;background:#fff}textarea{resize:vertical;min-height:80px}' +
    '[aria-invalid=true]{border-color:#d4351c}.err{color:#d4351c;font-weight:700;margin:2px 0}' +
    '.sum{border:3px solid #d4351c;padding:8px}.sum p{margin:0;font-weight:700}.sum ul{margin:4px 0 0;padding-left:20px;color:#d4351c}' +
    '.note,.greet{background:#f3f2f1;border-left:4px solid #505a5f;padding:8px;margin:0}' +
    '.privacy{font-size:.9em;margin:0}' +
    '.btn{background:var(--b);color:var(--t);border:2px solid var(--b);border-radius:4px;padding:10px 14px;font-weight:700;cursor:pointer}.btn:disabled{opacity:.6;cursor:default}' +
    '.sec{background:#f3f2f1;color:#0b0c0c;border:1px solid #505a5f}' +
    '.status{padding:6px 12px;background:#f3f2f1;border-bottom:1px solid #b1b4b6;margin:0;font-size:14px}' +
    '.body.chat{padding:0;gap:0;overflow:hidden}.log{flex:1;overflow:auto;padding:12px;display:flex;flex-direction:column;gap:8px;min-height:100px}' +
    '.m{max-width:85%;padding:6px 10px;border-radius:8px;background:#f3f2f1;align-self:flex-start;overflow-wrap:anywhere}' +
    '.m.visitor{align-self:flex-end;background:#e8f0f8}.m b{display:block;font-size:13px}.m p{margin:0;white-space:pre-wrap}' +
    '.m small{display:block;font-size:12px;color:#505a5f}.m.pending small{font-style:italic}' +
    '.m.system,.m.local{align-self:center;background:none;font-style:italic;color:#505a5f;text-align:center}' +
    '.typing{margin:0;padding:0 12px;font-size:13px;color:#505a5f;min-height:18px}' +
    'textarea:disabled{background:#f3f2f1;border-color:#b1b4b6}.compose{display:flex;gap:6px;padding:8px 12px;border-top:1px solid #b1b4b6;align-items:flex-end}.compose textarea{min-height:44px;height:44px;flex:1}' +
    '.foot{display:flex;justify-content:space-between;padding:0 12px 10px;gap:6px}' +
    '.after{flex:none;max-height:65%;overflow:auto;padding:10px 12px;border-top:1px solid #b1b4b6;display:flex;flex-direction:column;gap:10px}.after h3,.offline h3{margin:0;font-size:16px;font-weight:700}.ended .log{flex:0 0 auto;max-height:200px}.body.chat.ended{overflow:auto}.ended .after{max-height:none;overflow:visible}' +
    '.vh{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
    '.hint{color:#505a5f;margin:0 0 2px}input.short{max-width:11em}' +
    'fieldset{border:0;margin:0;padding:0;min-width:0}legend{font-weight:700;padding:0;margin-bottom:4px}' +
    'fieldset.invalid{border-left:4px solid #d4351c;padding-left:8px}' +
    '.radios{display:flex;flex-direction:column;gap:6px}.radio,.check{display:flex;align-items:center;gap:8px}' +
    '.radio input,.check input{width:24px;height:24px;margin:0;padding:0;flex:none;accent-color:#0b0c0c}' +
    '.radio label,.check label{display:flex;align-items:center;gap:8px;font-weight:400;margin:0;padding:4px 0;cursor:pointer}' +
    '.radio img.logo{width:32px;height:32px;object-fit:contain;flex:none}' +
    '.offline{border:3px solid #0b0c0c;border-left-width:8px;padding:8px;background:#fff;display:flex;flex-direction:column;gap:8px}.offline p,.offline ul{margin:0}' +
    '.m.bot{background:#fff;border:1px solid #b1b4b6;border-left:4px solid var(--b)}.m.bot .who{font-size:12px;color:#505a5f;display:block}' +
    '.acts{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}.acts a.link{display:inline-block;text-decoration:none;background:var(--b);color:var(--t);border-radius:4px;padding:6px 10px;font-weight:700}' +
    '.chip{background:#fff;color:#0b0c0c;border:1px solid #505a5f;border-radius:16px;padding:4px 10px;cursor:pointer;text-align:left}' +
    '.fb{display:flex;align-items:center;gap:6px;margin-top:6px;font-size:13px}.fb button{background:#f3f2f1;border:1px solid #505a5f;border-radius:4px;padding:2px 8px;cursor:pointer}' +
    '.m.offline{max-width:100%;align-self:stretch}' +
    '.att{display:block;margin:4px 0}.att img{display:block;max-width:100%;max-height:200px;border:1px solid #b1b4b6;border-radius:4px;background:#fff}' +
    '.attach{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:0 12px 8px}.attach .hint{font-size:13px;flex:1;min-width:10em}.attach progress{width:100%}' +
    '.attach .err{flex-basis:100%}' +
    'table{border-collapse:collapse}th,td{text-align:left;padding:2px 12px 2px 0;font-weight:400}th{font-weight:700}.done{font-weight:700;margin:0}' +
    // the end-chat confirmation (issue 15, point 8)
    '.veil{position:absolute;inset:0;z-index:2;background:rgba(11,12,12,.6);display:flex;align-items:center;justify-content:center;padding:16px}' +
    '.confirm{background:#fff;color:#0b0c0c;border:3px solid #0b0c0c;border-radius:4px;padding:16px;max-width:100%;display:flex;flex-direction:column;gap:10px}.confirm h3{margin:0;font-size:18px;font-weight:700}.confirm p{margin:0}';

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
  function load(k) { try { return JSON.parse(localStorage.getItem(k || KEY)); } catch (e) { return null; } }
  function store(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* private mode */ } }
  function save() { if (sess) store(KEY, sess); }
  function forget() { try { localStorage.removeItem(KEY); } catch (e) { /* ignore */ } sess = null; }
  function lum(hex) {
    var h = hex.slice(1); if (h.length < 6) h = h.replace(/./g, '$&$&');
    var L = [0, 2, 4].map(function (i) { var c = parseInt(h.substr(i, 2), 16) / 255; return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); });
    return 0.2126 * L[0] + 0.7152 * L[1] + 0.0722 * L[2];
  }
  function contrast(a, b) { var x = lum(a) + 0.05, y = lum(b) + 0.05; return x > y ? x / y : y / x; }
  var HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;
  // Every word comes from the config; {name} placeholders are filled from `vars`.
  function T(k, vars) {
    var s = (cfg && cfg.strings && cfg.strings[k]) || k;
    return s.replace(/\{(\w+)\}/g, function (m, v) { return vars && vars[v] != null ? vars[v] : m; });
  }
  // Where a chat's own endpoints live: this host, or, once the chat has moved to another
  // council of the partnership, the partnership's host (the one its `transferred` frame's
  // websocket names), which accepts every member's tokens; this council's host refuses the
  // new council's token (a rating or transcript after a transfer failed with 403).
  function apiBase(s) { return (s && s.api) || BASE; }
  function apiOf(websocket) {
    try {
      var x = new URL(websocket);
      return (x.protocol === 'wss:' ? 'https:' : 'http:') + '//' + x.host + x.pathname.replace(/\/ws\/visitor\/.*$/, '');
    } catch (e) { return null; }
  }
  function post(path, data, auth, base) {
    var h = { 'Content-Type': 'application/json' };
    if (auth) h.Authorization = 'Bearer ' + auth;
    return fetch((base || BASE) + path, { method: 'POST', credentials: 'omit', headers: h, body: JSON.stringify(data) })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { s: r.status, j: j }; }); });
  }

  var cfg, sess = load(), ws, timer, tries = 0, lastSeq = 0, lastRead = 0, held = {}, pending = {}, stopped = false;
  var typingOn = false, typingAt = 0, typingOff, opTyping, pollTimer, applyAvail = null, shifts = [];
  var host = el('div', { id: 'councilchat-widget' });
  var root = host.attachShadow({ mode: 'open' });
  var wrapper = el('div', { class: 'cc' });
  var sheet = null;
  function brand(c) { // c: a council's branding from the config, or null for the defaults
    var b = c && HEX.test(c.brand_colour || '') ? c.brand_colour : '#1d4f91';
    var t = c && HEX.test(c.text_colour || '') && contrast(b, c.text_colour) >= 4.5 ? c.text_colour : (lum(b) > 0.18 ? '#0b0c0c' : '#fff');
    var css = CSS + ':host{--b:' + b + ';--t:' + t + '}';
    if (sheet) sheet.replaceSync(css); else if (root.adoptedStyleSheets && window.CSSStyleSheet) {
      try { sheet = new CSSStyleSheet(); sheet.replaceSync(css); root.adoptedStyleSheets = [sheet]; } catch (e) { sheet = null; }
    }
    if (!sheet) { var s = root.querySelector('style') || root.insertBefore(el('style'), root.firstChild); s.textContent = css; }
    logo.hidden = !(c && c.logo_url); if (c && c.logo_url) logo.src = c.logo_url;
    wrapper.className = 'cc' + (c && c.launcher_position === 'left' ? ' left' : '');
  }
  function councilOf(slug) { return (cfg.councils || []).filter(function (x) { return x.slug === slug; })[0]; }
  function current() { // the council whose branding and options apply now
    if (cfg.kind !== 'partnership') return cfg.council;
    return (sess && councilOf(sess.council)) || councilOf(COUNCIL) || councilOf(routed) || councilOf(picked) || null;
  }
  // picked: the visitor's choice in the council picker; routed: the council the server chose
  // for a partnership chat that still needs that council's own pre-chat answers.
  var picked = '', routed = '';

  // ---- shell --------------------------------------------------------------------------
  var launcher = el('button', { type: 'button', class: 'launch', 'data-testid': 'cc-launcher', 'aria-expanded': 'false', 'aria-controls': 'cc-panel' });
  var logo = el('img', { alt: '', width: '32', height: '32', hidden: true });
  var title = el('h2', { id: 'cc-title' });
  var langBtn = el('button', { type: 'button', 'data-testid': 'cc-language', hidden: true });
  var exitBtn = el('button', { type: 'button', class: 'exit', 'data-testid': 'cc-exit', hidden: true });
  var minBtn = el('button', { type: 'button', 'data-testid': 'cc-close', text: '\u2013' });
  var body = el('div', { class: 'body' });
  var panel = el('div', { id: 'cc-panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'cc-title', hidden: true },
    [el('div', { class: 'head' }, [logo, title, langBtn, exitBtn, minBtn]), body]);
  wrapper.appendChild(launcher); wrapper.appendChild(panel);

  function shellText() {
    var c = current();
    host.setAttribute('lang', cfg.language);
    launcher.textContent = (c && c.launcher_text) || T('launcher');
    minBtn.setAttribute('aria-label', T('minimise'));
    var other = (cfg.languages || []).filter(function (l) { return l !== cfg.language; })[0];
    langBtn.hidden = !other; langBtn.textContent = T('switch_language');
    if (other) langBtn.setAttribute('lang', other);
    var q = c && c.quick_exit;
    exitBtn.hidden = !q; exitBtn.textContent = T('exit');
    setTitle(); brand(looks(c));
  }
  // The branding to wear: a chat transferred to another council wears that council's (issue 15).
  function looks(c) { return sess && sess.brand && sess.brand.slug === sess.council ? Object.assign({}, c, sess.brand) : c; }
  function open(focus) {
    panel.hidden = false; launcher.hidden = true; launcher.setAttribute('aria-expanded', 'true');
    if (sess) { sess.open = true; save(); markRead(); } else refresh();
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

  // ---- quick exit (GOV.UK "Exit this page"): one click, or Shift three times --------------
  function quickExit() {
    var c = current(); if (!c || !c.quick_exit) return;
    host.hidden = true;
    if (sess && !sess.ended && navigator.sendBeacon) {
      navigator.sendBeacon(apiBase(sess) + '/widget/conversations/' + sess.conversation + '/end', JSON.stringify({ token: sess.token, quick_exit: true }));
    }
    stopped = true; hangup(); forget();
    location.replace(c.quick_exit.url);
  }
  exitBtn.addEventListener('click', quickExit);
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Shift') { shifts = []; return; } // Shift+letter is typing, not an exit
    if (e.repeat) return;
    var now = Date.now(); shifts = shifts.filter(function (t) { return now - t < 2000; }); shifts.push(now);
    if (shifts.length >= 3) { shifts = []; quickExit(); }
  }, true);

  // ---- language -------------------------------------------------------------------------
  function query(dept) {
    var lang = load(LKEY) || ((document.documentElement.lang || '').toLowerCase().slice(0, 2) === 'cy' ? 'cy' : '');
    return '?department=' + encodeURIComponent(dept != null ? dept : DEPT) + '&page_url=' + encodeURIComponent(location.href) + (lang ? '&lang=' + lang : '');
  }
  function getConfig() {
    return fetch(BASE + '/widget/config' + query(), { credentials: 'omit' })
      .then(function (r) { if (!r.ok) throw new Error('config ' + r.status); return r.json(); })
      .then(function (c) { cfg = c; MAX = c.message_max_chars || MAX; return c; });
  }
  langBtn.addEventListener('click', function () {
    var other = (cfg.languages || []).filter(function (l) { return l !== cfg.language; })[0];
    store(LKEY, other);
    // A chat started before the new words arrive is in the chosen language (it was stored in
    // the old one while the form still read in it), and what was typed meanwhile is kept.
    cfg.language = other;
    getConfig().then(function () {
      var kept = typed(); // what the visitor typed survives the switch
      shellText();
      if (sess) { hangup(); showChat(false); } else showForm();
      retype(kept);
      langBtn.hidden ? minBtn.focus() : langBtn.focus();
    });
  });

  function typed() {
    var kept = {};
    [].forEach.call(body.querySelectorAll('input,select,textarea'), function (n) {
      if (n.id) kept[n.id] = n.type === 'checkbox' || n.type === 'radio' ? n.checked : n.value;
    });
    return kept;
  }
  function retype(kept) {
    Object.keys(kept).forEach(function (id) {
      var n = root.getElementById(id); if (!n) return;
      if (n.type === 'checkbox' || n.type === 'radio') n.checked = kept[id]; else n.value = kept[id];
    });
  }

  // ---- availability, polled while the launcher waits ----------------------------------------
  function refresh() {
    if (sess) return;
    fetch(BASE + '/widget/availability' + query(), { credentials: 'omit' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j || sess) return;
        var was = JSON.stringify(cfg.availability); cfg.availability = j.availability;
        (cfg.councils || []).forEach(function (c) { if (j.councils[c.slug]) c.availability = j.councils[c.slug]; });
        if (applyAvail && was !== JSON.stringify(j.availability)) applyAvail(cfg.availability, false);
      }).catch(function () { /* keep the last known state */ });
  }
  function poll() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(function () { if (!sess && !document.hidden) refresh(); poll(); }, POLL);
  }

  // ---- pre-chat form ------------------------------------------------------------------
  var fields = {};
  function field(name, label, control, testid, hint, check) {
    control.id = 'cc-' + name.replace('.', '-'); control.setAttribute('data-testid', testid); control.name = name;
    var err = el('p', { id: control.id + '-err', class: 'err', hidden: true });
    var lab = el('label', { for: control.id }, [typeof label === 'string' ? document.createTextNode(label) : label]);
    var hintEl = hint ? el('p', { id: control.id + '-hint', class: 'hint' }, [typeof hint === 'string' ? document.createTextNode(hint) : hint]) : null;
    if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
    var wrap = check ? el('div', {}, [err, el('div', { class: 'check' }, [control, lab]), hintEl]) : el('div', {}, [lab, hintEl, err, control]);
    fields[name] = { c: control, err: err, wrap: wrap, label: typeof label === 'string' ? label : lab.textContent, lab: lab, hint: hintEl };
    return wrap;
  }
  function options(select, list, placeholder) {
    select.textContent = '';
    select.appendChild(el('option', { value: '', text: placeholder }));
    list.forEach(function (d) { select.appendChild(el('option', { value: d.slug || d.value, text: d.name || d.label })); });
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
    var fs = el('fieldset', { id: 'cc-council', 'data-testid': 'cc-council', hidden: true },
      [el('legend', { text: T('council_legend') }), err, list]);
    fields.council = { c: fs, err: err, wrap: fs, label: T('council_legend'), group: true };
    return fs;
  }
  function privacyLink(url) {
    return el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: T('privacy') });
  }
  function privacyNote(c) { // the council's lawful basis, and its notice unless a consent question links it
    if (!c) return null;
    var linked = (c.fields || []).some(function (f) { return f.kind === 'consent'; });
    var link = c.privacy_notice_url && !linked ? privacyLink(c.privacy_notice_url) : null;
    if (!c.lawful_basis && !link) return null;
    return el('p', { class: 'privacy', 'data-testid': 'cc-privacy' },
      [c.lawful_basis ? document.createTextNode(c.lawful_basis + (link ? ' ' : '')) : null, link]);
  }
  function custom(f) { // one of the council's own pre-chat questions
    var name = 'fields.' + f.key, label = f.label + (f.required || f.kind === 'consent' ? '' : ' ' + T('optional'));
    var c = current(), hint = f.help_text || '', ctl;
    if (f.kind === 'consent') {
      ctl = el('input', { type: 'checkbox', required: f.required });
      var h = c && c.privacy_notice_url ? el('span', {}, [hint ? document.createTextNode(hint + ' ') : null, privacyLink(c.privacy_notice_url)]) : hint;
      return field(name, label, ctl, 'cc-field-' + f.key, h, true);
    }
    if (f.kind === 'choice') { ctl = el('select', { required: f.required }); options(ctl, f.choices, T('choose')); }
    else ctl = el('input', {
      type: { email: 'email', phone: 'tel' }[f.kind] || 'text', required: f.required, maxlength: '500',
      autocomplete: { email: 'email', phone: 'tel', postcode: 'postal-code' }[f.kind] || 'off',
      class: f.kind === 'postcode' ? 'short' : null });
    var wrap = field(name, label, ctl, 'cc-field-' + f.key, hint);
    fields[name].kind = f.kind; fields[name].required = f.required;
    return wrap;
  }
  function valueOf(f) { return f.c.type === 'checkbox' ? f.c.checked : f.c.value.trim(); }

  function describe(f, withErr) { // the hint (if any) and the error (if shown)
    var ids = [f.hint && f.hint.id, withErr && f.err.id].filter(Boolean).join(' ');
    if (ids) f.c.setAttribute('aria-describedby', ids); else f.c.removeAttribute('aria-describedby');
  }
  function showErrors(map, set, sum, focus) { // errors beside their fields, listed in the summary
    var items = [], first = null;
    Object.keys(set).forEach(function (k) {
      var f = set[k], msgs = map[k];
      f.err.hidden = !msgs; f.err.textContent = msgs ? msgs.join(' ') : '';
      if (msgs && !f.wrap.hidden && !first) first = f.group ? (f.c.querySelector('input:checked') || f.c.querySelector('input')) : f.c;
      describe(f, !!msgs);
      if (f.group) f.c.classList.toggle('invalid', !!msgs);
      else if (msgs) f.c.setAttribute('aria-invalid', 'true'); else f.c.removeAttribute('aria-invalid');
    });
    Object.keys(map).forEach(function (k) {
      var f = set[k];
      (map[k] || []).forEach(function (m) { items.push(el('li', { text: (f ? f.label + ': ' : '') + m })); });
    });
    sum.textContent = ''; sum.hidden = !items.length;
    if (items.length) {
      sum.appendChild(el('p', { text: T('error_summary') })); sum.appendChild(el('ul', {}, items));
      if (focus) (first || sum).focus();
    }
  }

  function showForm(notice) {
    clearTimeout(timer); body.textContent = ''; body.className = 'body'; fields = {}; shellText();
    var partnership = cfg.kind === 'partnership';
    var councils = cfg.councils || [];
    var services = partnership ? cfg.services || [] : [];
    var preset = partnership && councilOf(COUNCIL);
    var c = current();
    var sum = el('div', { class: 'sum', role: 'alert', tabindex: '-1', hidden: true });
    var offline = el('section', { class: 'offline', 'data-testid': 'cc-offline', 'aria-labelledby': 'cc-offline-title', hidden: true });
    var nameIn = el('input', { type: 'text', autocomplete: 'name', maxlength: '100', required: true });
    var deptSel = el('select');
    var postIn = el('input', { type: 'text', autocomplete: 'postal-code', maxlength: '10', spellcheck: 'false', class: 'short' });
    var q = el('textarea', { maxlength: String(MAX), required: true, rows: '4' });
    var start = el('button', { type: 'submit', class: 'btn', 'data-testid': 'cc-start', text: T('start') });
    var picker = partnership ? councilPicker(councils) : null;
    // The council's own questions: on a partnership site, once the server has routed the chat.
    var fc = partnership ? councilOf(routed) : cfg.council;
    var extra = fc ? (fc.fields || []).map(custom) : [];
    var main = el('div', { class: 'main' }, [sum,
      field('name', T('name'), nameIn, 'cc-name'),
      partnership ? field('department', T('service'), deptSel, 'cc-service') : field('department', T('department'), deptSel, 'cc-department'),
      partnership ? field('postcode', T('postcode_optional'), postIn, 'cc-postcode', T('postcode_hint')) : null]
      .concat(extra, [field('message', T('question'), q, 'cc-question'), picker,
        privacyNote(c),
        el('div', {}, [start])]));
    var form = el('form', { novalidate: true }, [
      notice ? el('p', { class: 'note', role: 'status', text: notice }) : null,
      c && c.greeting ? el('p', { class: 'greet', text: c.greeting }) : null, offline, main]);
    var chatFields = fields;
    function service() { return services.filter(function (s) { return s.slug === deptSel.value; })[0]; }
    function postcodeNeeded() { var s = service(); return !!(s && s.asks_postcode); }
    if (partnership) {
      options(deptSel, services, T('not_sure'));
      var hitService = DEPT && services.some(function (s) { return s.slug === DEPT; });
      if (hitService) deptSel.value = DEPT;
      fields.department.wrap.hidden = hitService || !services.length;
      var syncPostcode = function () {
        var need = postcodeNeeded();
        fields.postcode.label = need ? T('postcode') : T('postcode_optional');
        fields.postcode.lab.textContent = fields.postcode.label;
        if (need) postIn.setAttribute('required', ''); else postIn.removeAttribute('required');
      };
      deptSel.addEventListener('change', syncPostcode); syncPostcode();
      picker.addEventListener('change', function () {
        picked = (picker.querySelector('input:checked') || {}).value || '';
        brand(current());
      });
    } else {
      var list = cfg.departments || [];
      options(deptSel, list, T('not_sure'));
      var hit = DEPT && list.some(function (d) { return d.slug === DEPT; });
      if (hit) deptSel.value = DEPT;
      fields.department.wrap.hidden = hit || !list.length;
      // Say at once when the chosen team is closed (a polite note, no change of context).
      var deptNote = el('p', { class: 'hint', role: 'status', 'data-testid': 'cc-department-status' });
      fields.department.wrap.appendChild(deptNote);
      deptSel.addEventListener('change', function () {
        var chosen = deptSel.value; deptNote.textContent = '';
        if (!chosen) return;
        fetch(BASE + '/widget/availability' + query(chosen), { credentials: 'omit' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (j) {
            var a = j && j.availability;
            if (!a || a.online || deptSel.value !== chosen) return;
            deptNote.textContent = a.next_open_text ? T('dept_closed_until', { when: a.next_open_text }) : T('dept_unavailable');
          }).catch(function () { /* the start answers 409 if it is closed */ });
      });
    }

    // Offline: the council's choice of hours, a contact form or links, instead of the chat form.
    function showOffline(a, afterSubmit) {
      offline.textContent = '';
      if (!a || a.online) { offline.hidden = true; main.hidden = false; return; }
      var oc = current() || councils[0] || {}, off = oc.offline || { mode: 'hours', links: [] };
      var reason = a.reason || 'no_operator_online', head = el('h3', { id: 'cc-offline-title', tabindex: '-1', text: T(reason + '_title') });
      offline.appendChild(head);
      offline.appendChild(el('p', { text: reason === 'no_operator_online' && off.message ? off.message : T(reason) }));
      if (a.next_open_text) offline.appendChild(el('p', { 'data-testid': 'cc-next-open', text: T('opens_next', { when: a.next_open_text }) }));
      if (off.mode === 'hours' && a.hours && a.hours.length) {
        offline.appendChild(el('table', { 'data-testid': 'cc-hours' }, [el('caption', { class: 'vh', text: T('hours_title') })].concat(
          a.hours.map(function (h) { return el('tr', {}, [el('th', { scope: 'row', text: h.day }), el('td', { text: h.opens + '\u2013' + h.closes })]); }))));
      }
      if (off.mode === 'links' && off.links.length) {
        offline.appendChild(el('p', { text: T('links_title') }));
        offline.appendChild(el('ul', { 'data-testid': 'cc-links' }, off.links.map(function (l) { return el('li', {}, [el('a', { href: l.url, text: l.title })]); })));
      }
      if (off.mode === 'contact') offline.appendChild(contactForm(reason));
      else if (afterSubmit) offline.appendChild(el('p', { text: T('kept') }));
      if (afterSubmit) offline.appendChild(el('p', {}, [el('button', { type: 'button', class: 'btn sec', 'data-testid': 'cc-offline-back', text: T('back'), on: { click: function () { showOffline(null); nameIn.focus(); } } })]));
      offline.hidden = false; main.hidden = true;
      if (afterSubmit || !panel.hidden && root.activeElement && body.contains(root.activeElement)) head.focus();
    }
    function contactForm(reason) { // nested fields, not a nested <form>
      fields = {};
      var csum = el('div', { class: 'sum', role: 'alert', tabindex: '-1', hidden: true });
      var cn = el('input', { type: 'text', autocomplete: 'name', maxlength: '100', required: true });
      var ce = el('input', { type: 'email', autocomplete: 'email', maxlength: '254' });
      var cp = el('input', { type: 'tel', autocomplete: 'tel', maxlength: '30', class: 'short' });
      var cm = el('textarea', { maxlength: String(MAX), required: true, rows: '4' });
      cn.value = nameIn.value; cm.value = q.value;
      var send = el('button', { type: 'button', class: 'btn', 'data-testid': 'cc-enquiry-send', text: T('send_enquiry') });
      var box = el('div', { class: 'main' }, [el('p', { text: T('contact_title') }), csum,
        field('e-name', T('name'), cn, 'cc-enquiry-name'), field('e-email', T('email'), ce, 'cc-enquiry-email'),
        field('e-phone', T('phone'), cp, 'cc-enquiry-phone'), field('e-message', T('message'), cm, 'cc-enquiry-message'),
        el('div', {}, [send])]);
      var set = fields; fields = chatFields;
      send.addEventListener('click', function () {
        var bad = {}, d = { name: cn.value.trim(), email: ce.value.trim(), phone: cp.value.trim(), message: cm.value.trim(), page_url: location.href, language: cfg.language, reason: reason };
        if (!d.name) bad['e-name'] = [T('err_name')];
        if (!d.message) bad['e-message'] = [T('err_question')];
        if (!d.email && !d.phone) bad['e-email'] = [T('err_contact_how')];
        else if (d.email && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(d.email)) bad['e-email'] = [T('err_email')];
        showErrors(bad, set, csum, true);
        if (Object.keys(bad).length) return;
        if (deptSel.value) d.department = deptSel.value;
        if (partnership) { if (postIn.value.trim()) d.postcode = postIn.value.trim(); d.council = (preset && preset.slug) || pickedCouncil(); }
        send.disabled = true;
        post('/widget/enquiries', d).then(function (r) {
          if (r.s === 201) {
            var done = el('p', { class: 'done', role: 'status', tabindex: '-1', 'data-testid': 'cc-enquiry-sent', text: T('enquiry_sent') });
            box.replaceWith(done); done.focus(); return;
          }
          var m = r.s === 400 && r.j.errors ? r.j.errors : { __all__: [r.s === 429 ? T('err_busy') : T('err_send')] };
          showErrors({ 'e-name': m.name, 'e-email': m.email, 'e-phone': m.phone, 'e-message': m.message, __all__: m.__all__ || m.council || m.department }, set, csum, true);
        }).catch(function () { showErrors({ __all__: [T('err_network')] }, set, csum, true); })
          .then(function () { send.disabled = false; });
      });
      return box;
    }
    function pickedCouncil() { var r = picker && picker.querySelector('input:checked'); return r ? r.value : ''; }
    applyAvail = showOffline;
    showOffline(cfg.availability, false);

    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var name = nameIn.value.trim(), msg = q.value.trim(), pc = postIn.value.trim(), bad = {}, answers = {};
      var asking = partnership && !preset && !picker.hidden;
      if (!name) bad.name = [T('err_name')]; else if (name.length > 100) bad.name = [T('err_name_long')];
      if (partnership && !pc && postcodeNeeded()) bad.postcode = [T('err_postcode')];
      (fc ? fc.fields || [] : []).forEach(function (f) {
        var k = 'fields.' + f.key, v = valueOf(fields[k]);
        if (v !== '' && v !== false) answers[f.key] = v;
        if (f.required && (v === '' || v === false)) bad[k] = [f.kind === 'consent' ? T('err_consent') : T('err_required', { label: f.label })];
        else if (v && f.kind === 'email' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) bad[k] = [T('err_email')];
        else if (v && f.kind === 'phone' && !/^\+?[0-9][0-9 ()-]{6,20}$/.test(v)) bad[k] = [T('err_phone')];
      });
      if (!msg) bad.message = [T('err_question')]; else if (msg.length > MAX) bad.message = [T('err_question_long', { max: MAX })];
      if (asking && !pickedCouncil()) bad.council = [T('err_council')];
      showErrors(bad, fields, sum, true);
      if (Object.keys(bad).length) return;
      var data = { name: name, message: msg, page_url: location.href, language: cfg.language, fields: answers };
      if (deptSel.value) data.department = deptSel.value;
      if (partnership && pc) data.postcode = pc;
      if (preset) data.council = preset.slug; else if (routed) data.council = routed; else if (asking) data.council = pickedCouncil();
      start.disabled = true; start.textContent = T('starting');
      post('/widget/conversations', data).then(function (r) {
        if (r.s === 201) {
          var rc = councilOf(r.j.council);
          sess = { conversation: r.j.conversation, token: r.j.token, websocket: r.j.websocket, name: name, last_seq: 0, outbox: [], open: true, council: r.j.council || null, council_name: rc ? rc.name : null };
          startOffline = r.j.offline || null;
          save(); showChat(true); return;
        }
        if (r.s === 409 && r.j.error === 'offline') {
          showErrors({}, fields, sum, false);
          cfg.availability = { online: false, reason: r.j.reason, next_open: r.j.next_open, next_open_text: r.j.next_open_text || '', hours: (cfg.availability || {}).hours || [] };
          showOffline(cfg.availability, true); return;
        }
        var map = r.s === 400 && r.j.errors ? r.j.errors :
          { __all__: [r.s === 403 ? T('err_not_allowed') : r.s === 429 ? T('err_busy') : T('err_start')] };
        if (partnership && !routed && r.s === 400 && r.j.council && councilOf(r.j.council) &&
            Object.keys(map).some(function (k) { return k.indexOf('fields.') === 0; })) {
          // Routed to a council with questions of its own: ask them, keeping what was typed.
          routed = r.j.council; var kept = typed();
          showForm(T('more_questions', { name: councilOf(routed).name })); retype(kept); brand(current());
          var ask = Object.keys(fields).filter(function (k) { return k.indexOf('fields.') === 0; })[0];
          if (ask) fields[ask].c.focus();
          return;
        }
        if (map.council && partnership && picker.hidden && councils.length) {
          picker.hidden = false; // the server could not tell which council: ask the visitor
          map = Object.assign({}, map, { council: [T('err_council_again')] });
        }
        showErrors(map, fields, sum, true);
      }).catch(function () { showErrors({ __all__: [T('err_network')] }, fields, sum, true); })
        .then(function () { start.disabled = false; start.textContent = T('start'); });
    });
    body.appendChild(form);
  }

  // ---- chat view ----------------------------------------------------------------------
  var log, statusLine, typingLine, input, sendBtn, endBtn, foot, compose, personBtn, startOffline = null;
  var attachBox = null, attachStatus = null, attachErr = null, attachBar = null; // issue 15: photos and PDFs
  function showChat(focus) {
    lastSeq = 0; lastRead = 0; held = {}; pending = {}; stopped = false; body.textContent = ''; applyAvail = null; routed = '';
    convStatus = ''; wasActive = false; queueInfo = null; statusText = '';
    shellText();
    statusLine = el('p', { class: 'status', role: 'status', 'data-testid': 'cc-status', text: T('connecting') });
    log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T('messages'), 'data-testid': 'cc-log', tabindex: '0' });
    typingLine = el('p', { class: 'typing', 'aria-live': 'polite' });
    input = el('textarea', { id: 'cc-input', 'data-testid': 'cc-input', maxlength: String(MAX), rows: '2' });
    sendBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'cc-send', text: T('send') });
    endBtn = el('button', { type: 'button', class: 'btn sec', 'data-testid': 'cc-end', text: T('end') });
    // While the council's assistant has the chat, a person is always one press away.
    personBtn = el('button', { type: 'button', class: 'btn', 'data-testid': 'cc-person', hidden: true, text: T('talk_to_person'), on: { click: function () { raw({ type: 'handoff' }); } } });
    foot = el('div', { class: 'foot' }, [personBtn, endBtn]);
    compose = el('div', { class: 'compose' }, [el('label', { for: 'cc-input', class: 'vh', text: T('type_message') }), input, sendBtn]);
    attachBox = attachControls();
    [statusLine, log, typingLine, compose, attachBox, foot].forEach(function (n) { if (n) body.appendChild(n); });
    body.className = 'body chat';
    input.addEventListener('keydown', function (e) { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); } });
    input.addEventListener('input', typing);
    sendBtn.addEventListener('click', send);
    endBtn.addEventListener('click', function () { confirmEnd(endNow); });
    function endNow() {
      var s = sess; if (!s || stopped) return;
      raw({ type: 'end' });
      post('/widget/conversations/' + s.conversation + '/end', {}, s.token, apiBase(s)).catch(function () { /* the socket's end frame may have done it */ });
      var w = ws; ws = null; finish(T('you_ended'), true);
      setTimeout(function () { if (w) w.close(1000); }, 500);
    }
    (sess.outbox || []).forEach(function (m) { bubble(m.client_id, m.body); });
    open(focus);
    if (focus) input.focus();
    connect();
    if (startOffline) { var so = startOffline; startOffline = null; setTimeout(function () { showChatOffline(so); }, 0); }
  }
  // ---- end-chat confirmation (issue 15, point 8) ----
  // A modal dialog over the panel: the rest of the panel is inert, Tab and Shift+Tab stay on
  // its two buttons, Escape (or "No") cancels and focus goes back to where it was.
  var confirmVeil = null;
  function confirmClose(back) {
    if (!confirmVeil) return;
    confirmVeil.remove(); confirmVeil = null;
    [].forEach.call(panel.children, function (n) { n.removeAttribute('inert'); });
    if (back && back.isConnected && !back.disabled && !back.hidden) back.focus();
  }
  function confirmEnd(onYes) {
    if (confirmVeil || stopped) return;
    var back = root.activeElement || endBtn;
    var yes = el('button', { type: 'button', class: 'btn', 'data-testid': 'cc-end-yes', text: T('end_confirm_yes') });
    var no = el('button', { type: 'button', class: 'btn sec', 'data-testid': 'cc-end-no', text: T('end_confirm_no') });
    var box = el('div', { class: 'confirm', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'cc-end-title',
      'aria-describedby': 'cc-end-text', 'data-testid': 'cc-end-dialog' }, [
      el('h3', { id: 'cc-end-title', text: T('end_confirm_title') }),
      el('p', { id: 'cc-end-text', text: T('end_confirm_text') }),
      el('div', { class: 'acts' }, [yes, no])]);
    [].forEach.call(panel.children, function (n) { n.setAttribute('inert', ''); });
    confirmVeil = el('div', { class: 'veil' }, [box]);
    panel.appendChild(confirmVeil);
    yes.addEventListener('click', function () { confirmClose(null); onYes(); });
    no.addEventListener('click', function () { confirmClose(back); });
    box.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); confirmClose(back); return; }
      if (e.key !== 'Tab') return;
      var first = yes, last = no, at = root.activeElement;
      if (e.shiftKey && at !== last) { e.preventDefault(); (at === first ? last : first).focus(); }
      else if (!e.shiftKey && at !== first) { e.preventDefault(); (at === last ? first : last).focus(); }
    });
    no.focus(); // the choice that loses nothing
  }
  // ---- end of end-chat confirmation ----
  function bubble(cid, text) {
    var meta = el('small', { text: T('sending') });
    var b = el('div', { class: 'm visitor pending', 'data-client-id': cid }, [el('b', { text: T('you') }), el('p', { text: text }), meta]);
    pending[cid] = b; log.appendChild(b); log.scrollTop = log.scrollHeight;
  }
  function place(node) { log.insertBefore(node, log.querySelector('.pending')); log.scrollTop = log.scrollHeight; }
  function render(m) {
    var own = m.client_id && pending[m.client_id], node;
    // The UK 24-hour clock in UK time, whatever the browser's locale (issue 15).
    var time = m.sent_at ? new Date(m.sent_at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' }) : '';
    if (own) {
      node = own; delete pending[m.client_id]; node.classList.remove('pending');
      node.lastChild.textContent = time; drop(m.client_id);
    } else if (m.author === 'system') {
      // One line per ending (issue 15): the resident reads their own ending as "You ended the
      // chat." (not "Siân ended the chat."), and a second ending line (the server's, after the
      // widget's own note) is not shown.
      var ending = ENDINGS[m.code];
      if (ending && log.querySelector('[data-ending]')) return;
      node = el('div', { class: 'm system' }, [el('p', { text: ending && ending !== true ? T(ending) : m.body })]);
      if (ending) node.setAttribute('data-ending', m.code);
    } else if (m.author === 'bot') {
      node = botBubble(m, time);
    } else {
      // issue 15: the council's messages show their web addresses as links; a visitor's stay text
      node = el('div', { class: 'm ' + m.author }, [el('b', { text: m.author === 'visitor' ? T('you') : (m.name || T('council')) }), m.author === 'visitor' ? el('p', { text: m.body }) : linked(m.body), el('small', { text: time })]);
    }
    if (m.attachment && m.author !== 'system' && m.author !== 'bot') showAttachment(node, m);
    node.setAttribute('data-seq', m.seq);
    place(node);
    if (m.author === 'operator') typingLine.textContent = '';
  }
  // ---- photos and PDFs (issue 15, docs/attachments.md) ----------------------------------
  function fileSize(n) {
    n = +n || 0;
    return n < 1048576 ? Math.max(1, Math.round(n / 1024)) + ' KB' : (n / 1048576).toFixed(1).replace(/\.0$/, '') + ' MB';
  }
  function attachmentHref(url) { // only our own signed links, always on the widget's own host
    try {
      var x = new URL(String(url), BASE + '/');
      return x.pathname.indexOf('/widget/attachments/') === 0 ? apiBase(sess) + x.pathname + x.search : null;
    } catch (e) { return null; }
  }
  function showAttachment(node, m) {
    var a = m.attachment, href = attachmentHref(a.url);
    if (!href || typeof a.name !== 'string') return;
    var mine = m.author === 'visitor', who = m.name || T('council'), size = fileSize(a.size), item;
    if (/^image\//.test(a.content_type)) {
      var alt = mine ? T('photo_by_you', { name: a.name, size: size }) : T('photo_by', { who: who, name: a.name, size: size });
      item = el('a', { class: 'att', href: href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'cc-attachment' }, [
        el('img', { src: href, alt: alt, loading: 'lazy' }), el('span', { class: 'vh', text: T('opens_new_tab') })]);
    } else {
      item = el('a', { class: 'att', href: href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'cc-attachment',
        'aria-label': (mine ? T('document_by_you') : T('document_by', { who: who })) + ': ' + T('document_link', { name: a.name, size: size }) },
      [document.createTextNode(T('document_link', { name: a.name, size: size }))]);
    }
    var text = node.querySelector('p');
    if (text) text.replaceWith(item); else node.insertBefore(item, node.lastChild);
  }
  function attachControls() {
    var c = current() || {}, opts = c.attachments;
    if (!opts) return null;
    var max = fileSize(opts.max_bytes);
    var file = el('input', { type: 'file', id: 'cc-file', hidden: true, 'data-testid': 'cc-file', accept: (opts.types || []).join(',') });
    var btn = el('button', { type: 'button', class: 'btn sec', 'data-testid': 'cc-attach', 'aria-describedby': 'cc-attach-hint', text: T('attach') });
    attachStatus = el('p', { class: 'hint', id: 'cc-attach-hint', role: 'status', 'data-testid': 'cc-attach-status', text: T('attach_hint', { max: max }) });
    attachErr = el('p', { class: 'err', role: 'alert', 'data-testid': 'cc-attach-error', hidden: true });
    attachBar = el('progress', { max: '100', value: '0', hidden: true, 'aria-hidden': 'true' });
    btn.addEventListener('click', function () { file.click(); });
    file.addEventListener('change', function () {
      var f = file.files && file.files[0]; file.value = '';
      if (!f) return;
      attachErr.hidden = true;
      if (f.size > opts.max_bytes) return attachFailed(T('attach_too_big', { name: f.name, max: max }));
      upload(f, btn, max);
    });
    return el('div', { class: 'attach', 'data-testid': 'cc-attach-box', hidden: true }, [btn, attachStatus, attachBar, attachErr, file]); // shown by setStatus
  }
  function attachFailed(text) { attachErr.textContent = text; attachErr.hidden = false; attachBar.hidden = true; }
  function upload(f, btn, max) {
    var s = sess, data = new FormData(), xhr = new XMLHttpRequest();
    data.append('file', f, f.name);
    btn.disabled = true; attachBar.hidden = false; attachBar.value = 0;
    attachStatus.textContent = T('attach_sending', { name: f.name });
    xhr.open('POST', apiBase(s) + '/widget/conversations/' + s.conversation + '/attachments');
    xhr.setRequestHeader('Authorization', 'Bearer ' + s.token);
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) attachBar.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = function () {
      var j = {}; try { j = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
      btn.disabled = false; attachBar.hidden = true;
      if (xhr.status === 201) { attachStatus.textContent = T('attach_sent', { name: (j.attachment && j.attachment.name) || f.name }); return; }
      attachStatus.textContent = T('attach_hint', { max: max });
      var code = j.error || '', key = 'attach_err_' + code;
      if (code === 'file_too_large') attachFailed(T('attach_too_big', { name: f.name, max: max }));
      else if (code === 'conversation_closed') closedChat();
      else attachFailed(cfg.strings && cfg.strings[key] ? T(key, { name: f.name }) : T('attach_err', { name: f.name }));
    };
    xhr.onerror = function () { btn.disabled = false; attachStatus.textContent = T('attach_hint', { max: max }); attachFailed(T('err_network')); };
    xhr.send(data);
  }
  // The council's assistant: its answer (plain text, like every message), its links as
  // buttons (http(s) only, opening in a new tab), related questions as chips, and feedback.
  function safeHref(url) {
    try { var x = new URL(String(url), BASE + '/'); return x.protocol === 'https:' || x.protocol === 'http:' ? x.href : null; } catch (e) { return null; }
  }
  // ---- links in messages (issue 15) ----------------------------------------------------------
  // Web addresses in operator, canned and assistant messages become links, built with DOM
  // APIs (never innerHTML): http(s) only (javascript:, data: and the rest stay text), the full
  // address as the link's text, opening in a new tab with rel="noopener noreferrer" and
  // "(opens in a new tab)" for screen readers. Trailing punctuation stays outside. The same
  // rules as chat/links.py (transcripts) and console.js.
  var URLS = /\bhttps?:\/\/[^\s<>"']+/gi, OPENERS = { ')': '(', ']': '[', '}': '{' };
  function trimUrl(u) {
    for (;;) {
      var c = u.charAt(u.length - 1);
      if (c && ('.,;:!?'.indexOf(c) >= 0 || (OPENERS[c] && u.split(c).length > u.split(OPENERS[c]).length))) u = u.slice(0, -1);
      else return u;
    }
  }
  function linked(text) { // a <p> of `text` with its safe addresses as links
    var p = el('p'), at = 0, m, s = String(text == null ? '' : text);
    URLS.lastIndex = 0;
    while ((m = URLS.exec(s))) {
      var url = trimUrl(m[0]), href = /^https?:\/\/[^/?#\s]/i.test(url) && safeHref(url);
      if (!href) continue;
      if (m.index > at) p.appendChild(document.createTextNode(s.slice(at, m.index)));
      p.appendChild(el('a', { href: href, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'cc-link' },
        [document.createTextNode(url), el('span', { class: 'vh', text: ' ' + T('opens_new_tab') })]));
      at = m.index + url.length; URLS.lastIndex = at;
    }
    if (at < s.length) p.appendChild(document.createTextNode(s.slice(at)));
    return p;
  }
  // ---- end of links ---------------------------------------------------------------------------
  function assistantName() { var c = current() || {}; return (c.assistant && c.assistant.name) || T('assistant_label'); }
  function botBubble(m, time) {
    var kids = [el('b', { text: m.name || assistantName() }), el('span', { class: 'who', text: T('assistant_label') }), linked(m.body)];
    var links = (m.links || []).map(function (l) {
      var h = safeHref(l && l.url);
      return h ? el('a', { class: 'link', href: h, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'cc-bot-link' }, [document.createTextNode(String(l.text || h)), el('span', { class: 'vh', text: ' ' + T('opens_new_tab') })]) : null;
    }).filter(Boolean);
    if (links.length) kids.push(el('div', { class: 'acts' }, links));
    var sug = (m.suggestions || []).slice(0, 3).map(function (q) {
      return el('button', { type: 'button', class: 'chip', 'data-testid': 'cc-suggestion', text: String(q), on: { click: function () { if (convStatus === 'bot') sendText(String(q)); } } });
    });
    if (sug.length) kids.push(el('div', { class: 'acts', role: 'group', 'aria-label': T('suggestions_label') }, sug));
    if (m.answer_key) {
      var fb = el('div', { class: 'fb', role: 'group', 'aria-label': T('helpful_question') });
      var give = function (yes) { raw({ type: 'feedback', seq: m.seq, helpful: yes }); fb.textContent = ''; fb.appendChild(el('span', { role: 'status', text: T('feedback_thanks') })); };
      [el('span', { text: T('helpful_question') }),
        el('button', { type: 'button', 'data-testid': 'cc-helpful-yes', text: T('helpful_yes'), on: { click: function () { give(true); } } }),
        el('button', { type: 'button', 'data-testid': 'cc-helpful-no', text: T('helpful_no'), on: { click: function () { give(false); } } })].forEach(function (n) { fb.appendChild(n); });
      kids.push(fb);
    }
    kids.push(el('small', { text: time }));
    return el('div', { class: 'm bot', 'data-testid': 'cc-bot', 'data-safety': m.safety ? 'true' : null }, kids);
  }
  // Nobody can take the chat now: what the council's offline window offers, in the log, so
  // the exchange with the assistant stays on screen.
  function showChatOffline(f) {
    var box = el('div', { class: 'm offline', 'data-testid': 'cc-chat-offline' });
    var head = el('h3', { tabindex: '-1', text: T((f.reason || 'no_operator_online') + '_title') });
    box.appendChild(head);
    box.appendChild(el('p', { text: f.message || T(f.reason || 'no_operator_online') }));
    if (f.next_open_text) box.appendChild(el('p', { text: T('opens_next', { when: f.next_open_text }) }));
    if (f.mode === 'hours' && f.hours && f.hours.length) {
      box.appendChild(el('table', {}, [el('caption', { class: 'vh', text: T('hours_title') })].concat(
        f.hours.map(function (h) { return el('tr', {}, [el('th', { scope: 'row', text: h.day }), el('td', { text: h.opens + '\u2013' + h.closes })]); }))));
    }
    var links = (f.links || []).map(function (l) { var h = safeHref(l && l.url); return h ? el('li', {}, [el('a', { href: h, target: '_blank', rel: 'noopener noreferrer', text: String(l.title || h) })]) : null; }).filter(Boolean);
    if (links.length) { box.appendChild(el('p', { text: T('links_title') })); box.appendChild(el('ul', {}, links)); }
    if (f.contact_form) box.appendChild(chatContactForm(f.reason));
    place(box); head.focus();
  }
  function chatContactForm(reason) {
    var ce = el('input', { type: 'email', autocomplete: 'email', maxlength: '254', id: 'cc-b-email' });
    var cp = el('input', { type: 'tel', autocomplete: 'tel', maxlength: '30', class: 'short', id: 'cc-b-phone' });
    var err = el('p', { class: 'err', role: 'alert', hidden: true });
    var send = el('button', { type: 'button', class: 'btn', 'data-testid': 'cc-bot-enquiry-send', text: T('send_enquiry') });
    var box = el('div', { class: 'main' }, [el('p', { text: T('contact_title') }), err,
      el('div', {}, [el('label', { for: 'cc-b-email', text: T('email') }), ce]),
      el('div', {}, [el('label', { for: 'cc-b-phone', text: T('phone') }), cp]), el('div', {}, [send])]);
    send.addEventListener('click', function () {
      var d = { name: sess.name, email: ce.value.trim(), phone: cp.value.trim(), page_url: location.href, language: cfg.language, reason: reason || 'no_operator_online',
        message: [].map.call(log.querySelectorAll('.m.visitor p'), function (p) { return p.textContent; }).join('\n').slice(0, MAX) || T('talk_to_person') };
      if (sess.council) d.council = sess.council;
      if (!d.email && !d.phone) { err.hidden = false; err.textContent = T('err_contact_how'); ce.focus(); return; }
      send.disabled = true;
      post('/widget/enquiries', d).then(function (r) {
        if (r.s === 201) { var done = el('p', { class: 'done', role: 'status', tabindex: '-1', text: T('enquiry_sent') }); box.replaceWith(done); done.focus(); return; }
        err.hidden = false; err.textContent = r.s === 429 ? T('err_busy') : T('err_send'); send.disabled = false;
      }).catch(function () { err.hidden = false; err.textContent = T('err_network'); send.disabled = false; });
    });
    return box;
  }
  // Read receipts: the highest seq shown while the panel is open and the page visible.
  function markRead() {
    if (!sess || panel.hidden || document.hidden || lastSeq <= lastRead) return;
    if (raw({ type: 'read', seq: lastSeq })) lastRead = lastSeq;
  }
  document.addEventListener('visibilitychange', markRead);
  function drop(cid) { sess.outbox = (sess.outbox || []).filter(function (o) { return o.client_id !== cid; }); save(); }
  function note(text, ending) {
    if (ending && log.querySelector('[data-ending]')) return; // the chat's ending is already said
    var n = el('div', { class: 'm local' }, [el('p', { text: text })]);
    if (ending) n.setAttribute('data-ending', ending);
    place(n);
  }
  // The system lines that end a chat: true shows the line as sent (in the chat's language), a
  // string shows that widget text instead (the resident's own ending, in their words).
  var ENDINGS = { ended_by_visitor: 'you_ended', quick_exit_ended: 'you_quick_exit', ended_by_operator: true, idle_ended: true, abandoned_ended: true };
  var convStatus = '', wasActive = false, queueInfo = null, statusText = '';
  function minutes(s) {
    if (typeof s !== 'number' || !isFinite(s) || s < 0) return '';
    if (s < 60) return T('wait_soon');
    var m = Math.round(s / 60);
    return m === 1 ? T('wait_minute') : T('wait_minutes', { n: m });
  }
  function showStatus() {
    var t;
    if (convStatus === 'queued') {
      var q = queueInfo, parts = [];
      if (wasActive) parts.push(T('requeued'));
      if (q && q.position > 0) {
        var wait = minutes(q.estimated_wait_s);
        parts.push(T('position', { position: q.position }) + (wait ? ' ' + T('wait', { wait: wait }) : ''));
      }
      t = parts.length ? parts.join(' ') : T('queued');
    } else if (convStatus === 'missed') t = T('missed_title');
    else if (convStatus === 'ended') t = T('ended');
    else t = statusText;
    if (statusLine.textContent !== t) statusLine.textContent = t; // unchanged text is not re-announced
  }
  function setStatus(s, op) {
    if (s !== 'queued') queueInfo = null;
    convStatus = s;
    if (s === 'active') { wasActive = true; var who = op || T('an_adviser'); statusText = T(/^[aeiouáéíóúàèìòùâêîôûäëïöü]/i.test(who) ? 'talking_to_vowel' : 'talking_to', { name: who }); } // â/ag: issue 15
    if (s === 'bot') { var ac = (current() || {}).assistant; statusText = (ac && ac.disclosure) || T('assistant_disclosure'); }
    if (personBtn) personBtn.hidden = s !== 'bot';
    if (attachBox) attachBox.hidden = s !== 'queued' && s !== 'active';
    showStatus();
    if (s === 'ended') finish();
  }
  // ---- presence, missed and closed chats (issue 15) -------------------------------------
  // The page's visibility goes to the server (the operator sees "page open / hidden / gone");
  // an adviser whose console has gone is never named; a missed or closed chat takes no more
  // messages and offers what to do next, keeping what the resident typed.
  document.addEventListener('visibilitychange', function () { raw({ type: 'presence', state: document.hidden ? 'hidden' : 'visible' }); });
  function adviserPresent(present, name) {
    if (convStatus !== 'active') return;
    statusText = present ? T('talking_to', { name: name || T('an_adviser') }) : T('adviser_away');
    showStatus();
  }
  function typedSoFar(extra) {
    var mine = [].map.call(log.querySelectorAll('.m.visitor p'), function (p) { return p.textContent; });
    if (input && input.value.trim()) mine.push(input.value.trim());
    if (extra && mine.indexOf(extra) < 0) mine.push(extra);
    return mine.join('\n').slice(0, MAX);
  }
  function missedChat(followUp) {
    convStatus = 'missed';
    if (followUp) { statusLine.textContent = T('missed_follow_up'); finish(); return; }
    closedOffer(T('missed_title'), T('missed_no_contact'), 'missed', typedSoFar());
  }
  function closedChat(cid) {
    var refused = cid && (sess.outbox || []).filter(function (m) { return m.client_id === cid; })[0];
    var kept = typedSoFar(refused ? refused.body : '');
    if (convStatus === 'missed') closedOffer(T('missed_title'), T('missed_no_contact'), 'missed', kept);
    else closedOffer(T('chat_closed_title'), T('chat_closed'), 'closed', kept, true);
  }
  // The chat takes no more messages: say why, then the contact form (with what was typed) and
  // a new chat. A missed chat leads with it; an ended chat keeps its end-of-chat section
  // (rating, transcript) first and adds this below without moving focus (`ended`).
  function closedOffer(title, why, reason, kept, ended) {
    if (body.querySelector('[data-testid="cc-closed"]')) return;
    finish(null, false, !ended);
    Object.keys(pending).forEach(function (k) { pending[k].classList.remove('pending'); drop(k); delete pending[k]; }); // shown as "Not sent"
    if (!ended) statusLine.textContent = why;
    var box = el('div', { class: 'after', 'data-testid': 'cc-closed' });
    var head = el('h3', { tabindex: '-1', text: title });
    if (!ended) box.appendChild(head); // an ended chat's section already says "Chat ended"
    box.appendChild(el('p', { role: ended ? 'status' : null, text: why }));
    var c = current() || {}, off = c.offline || { mode: 'hours' };
    if (off.mode === 'contact' || reason === 'missed') box.appendChild(closedContactForm(reason, kept));
    else box.appendChild(el('p', {}, [el('button', { type: 'button', class: 'btn sec', 'data-testid': 'cc-closed-contact', text: T('leave_message'), on: { click: function (e) { e.target.parentNode.replaceWith(closedContactForm(reason, kept)); } } })]));
    body.insertBefore(box, foot);
    if (!ended) head.focus();
  }
  function closedContactForm(reason, kept) {
    var cn = el('input', { type: 'text', autocomplete: 'name', maxlength: '100', id: 'cc-k-name' });
    var ce = el('input', { type: 'email', autocomplete: 'email', maxlength: '254', id: 'cc-k-email' });
    var cp = el('input', { type: 'tel', autocomplete: 'tel', maxlength: '30', class: 'short', id: 'cc-k-phone' });
    var cm = el('textarea', { maxlength: String(MAX), rows: '4', id: 'cc-k-message', 'data-testid': 'cc-closed-message' });
    cn.value = (sess && sess.name) || ''; cm.value = kept || '';
    var err = el('p', { class: 'err', role: 'alert', hidden: true });
    var send = el('button', { type: 'button', class: 'btn', 'data-testid': 'cc-closed-send', text: T('send_enquiry') });
    var box = el('div', { class: 'main', 'data-testid': 'cc-closed-form' }, [el('p', { text: T('contact_title') }), err,
      el('div', {}, [el('label', { for: 'cc-k-name', text: T('name') }), cn]),
      el('div', {}, [el('label', { for: 'cc-k-email', text: T('email') }), ce]),
      el('div', {}, [el('label', { for: 'cc-k-phone', text: T('phone') }), cp]),
      el('div', {}, [el('label', { for: 'cc-k-message', text: T('message') }), cm]), el('div', {}, [send])]);
    var s0 = sess;
    send.addEventListener('click', function () {
      var d = { name: cn.value.trim(), email: ce.value.trim(), phone: cp.value.trim(), message: cm.value.trim(), page_url: location.href, language: cfg.language, reason: reason };
      if (s0 && s0.council) d.council = s0.council;
      var bad = !d.name ? T('err_name') : !d.message ? T('err_question') : !d.email && !d.phone ? T('err_contact_how') : '';
      if (bad) { err.hidden = false; err.textContent = bad; return; }
      send.disabled = true;
      post('/widget/enquiries', d).then(function (r) {
        if (r.s === 201) { var done = el('p', { class: 'done', role: 'status', tabindex: '-1', 'data-testid': 'cc-enquiry-sent', text: T('enquiry_sent') }); box.replaceWith(done); done.focus(); return; }
        err.hidden = false; err.textContent = r.s === 429 ? T('err_busy') : T('err_send'); send.disabled = false;
      }).catch(function () { err.hidden = false; err.textContent = T('err_network'); send.disabled = false; });
    });
    return box;
  }
  function setTitle() {
    var who = sess && sess.council_name ? { name: sess.council_name } : cfg.kind === 'partnership' ? (councilOf(picked) || councilOf(COUNCIL) || cfg.partnership) : cfg.council;
    title.textContent = T('title', { name: who && who.name ? who.name : T('council') });
  }
  // The end of a chat: rating and transcript (when the council offers them), then a new chat.
  function finish(why, mine, bare) {
    if (stopped && foot.querySelector('.again')) return;
    confirmClose(null); // the chat ended while the resident was being asked
    var refocus = mine || body.contains(root.activeElement) || root.activeElement === endBtn || root.activeElement === input;
    stopTyping(); stopped = true; clearTimeout(timer);
    if (sess) { sess.ended = true; save(); }
    if (why) note(why, mine ? 'ended_by_visitor' : 'local');
    Object.keys(pending).forEach(function (k) { pending[k].lastChild.textContent = T('not_sent'); });
    statusLine.textContent = T('ended'); typingLine.textContent = '';
    input.disabled = sendBtn.disabled = true; endBtn.hidden = true; compose.hidden = true;
    if (attachBox) attachBox.hidden = true;
    body.classList.add('ended');
    var c = current() || {}, s = sess, after = el('div', { class: 'after', 'data-testid': 'cc-after' });
    var heading = el('h3', { tabindex: '-1', text: T('ended') });
    after.appendChild(heading);
    if (s && c.rating_enabled && !s.rated && !bare) after.appendChild(ratingForm(s));
    if (s && c.transcript_enabled && !s.transcript && !bare) after.appendChild(transcriptForm(s));
    if (!bare) body.insertBefore(after, foot);
    var again = foot.appendChild(el('button', { type: 'button', class: 'btn again', 'data-testid': 'cc-new', text: T('new_chat'), on: { click: function () { hangup(); forget(); setTitle(); showForm(); open(true); } } }));
    if (refocus) (after.childNodes.length > 1 ? heading : again).focus();
  }
  function ratingForm(s) {
    var set = {}, box = el('div', { class: 'main' }), sum = el('div', { class: 'sum', role: 'alert', tabindex: '-1', hidden: true });
    var err = el('p', { id: 'cc-rating-err', class: 'err', hidden: true });
    var radios = el('div', { class: 'radios' }, [1, 2, 3, 4, 5].map(function (n) {
      var id = 'cc-rating-' + n;
      return el('div', { class: 'radio' }, [el('input', { type: 'radio', name: 'rating', id: id, value: String(n), 'data-testid': id }), el('label', { for: id, text: T('rating_' + n) })]);
    }));
    var fs = el('fieldset', { id: 'cc-rating' }, [el('legend', { text: T('rating_legend') }), err, radios]);
    set.rating = { c: fs, err: err, wrap: fs, label: T('rating_legend'), group: true };
    var comment = el('textarea', { rows: '2', maxlength: '2000' });
    var saved = fields; fields = {};
    var commentField = field('rating-comment', T('rating_comment'), comment, 'cc-rating-comment');
    set['rating-comment'] = fields['rating-comment']; fields = saved;
    var btn = el('button', { type: 'button', class: 'btn', 'data-testid': 'cc-rating-send', text: T('rating_send') });
    [sum, fs, commentField, el('div', {}, [btn])].forEach(function (n) { box.appendChild(n); });
    btn.addEventListener('click', function () {
      var r = fs.querySelector('input:checked');
      if (!r) { showErrors({ rating: [T('err_rating')] }, set, sum, true); return; }
      btn.disabled = true;
      post('/widget/conversations/' + s.conversation + '/rating', { rating: +r.value, comment: comment.value.trim() }, s.token, apiBase(s)).then(function (x) {
        if (x.s !== 204) throw new Error('rating ' + x.s);
        s.rated = true; if (s === sess) save();
        var done = el('p', { class: 'done', role: 'status', tabindex: '-1', 'data-testid': 'cc-rating-done', text: T('rating_thanks') });
        box.replaceWith(done); done.focus();
      }).catch(function () { btn.disabled = false; showErrors({ __all__: [T('err_send')] }, set, sum, true); });
    });
    return box;
  }
  function transcriptForm(s) {
    var box = el('div', { class: 'main' }), sum = el('div', { class: 'sum', role: 'alert', tabindex: '-1', hidden: true });
    var email = el('input', { type: 'email', autocomplete: 'email', maxlength: '254' });
    var saved = fields; fields = {};
    var f = field('transcript', T('transcript_label'), email, 'cc-transcript-email');
    var set = fields; fields = saved;
    var btn = el('button', { type: 'button', class: 'btn sec', 'data-testid': 'cc-transcript-send', text: T('transcript_send') });
    [sum, f, el('div', {}, [btn])].forEach(function (n) { box.appendChild(n); });
    btn.addEventListener('click', function () {
      var v = email.value.trim();
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) { showErrors({ transcript: [T('err_email')] }, set, sum, true); return; }
      btn.disabled = true;
      post('/widget/conversations/' + s.conversation + '/transcript', { email: v }, s.token, apiBase(s)).then(function (x) {
        if (x.s === 400) { btn.disabled = false; showErrors({ transcript: x.j.errors.email || [T('err_email')] }, set, sum, true); return; }
        if (x.s === 429) { btn.disabled = false; showErrors({ __all__: [T('err_busy')] }, set, sum, true); return; }
        if (x.s !== 204) throw new Error('transcript ' + x.s);
        s.transcript = v; if (s === sess) save();
        var done = el('p', { class: 'done', role: 'status', tabindex: '-1', 'data-testid': 'cc-transcript-done', text: T('transcript_sent', { email: v }) });
        box.replaceWith(done); done.focus();
        transcriptWatch(s, done, v);
      }).catch(function () { btn.disabled = false; showErrors({ __all__: [T('err_send')] }, set, sum, true); });
    });
    return box;
  }
  // "We will email it" until the council's outbox has sent it, then "has been emailed" (the
  // status live region announces the change); asks every few seconds, less often as time
  // passes, for about a quarter of an hour (the outbox retries a failing send meanwhile).
  function transcriptWatch(s, done, email) {
    var asked = 0;
    var ask = function () {
      if (!done.isConnected || asked++ > 60) return;
      fetch(apiBase(s) + '/widget/conversations/' + s.conversation + '/transcript', { credentials: 'omit', headers: { Authorization: 'Bearer ' + s.token } })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (j) {
          if (j.status === 'sent') done.textContent = T('transcript_emailed', { email: email });
          else if (j.status === 'failed') done.textContent = T('transcript_failed');
          else setTimeout(ask, Math.min(3000 + asked * 500, 15000));
        })
        .catch(function () { setTimeout(ask, 5000); });
    };
    setTimeout(ask, 1500);
  }
  function hangup() { if (ws) { var w = ws; ws = null; try { w.close(1000); } catch (e) { /* ignore */ } } }
  function raw(obj) { if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; } return false; }
  function send() {
    var text = input.value.trim();
    if (!text || stopped) return;
    input.value = ''; input.focus();
    sendText(text);
  }
  function sendText(text) {
    if (!text || stopped) return;
    var cid = uuid();
    sess.outbox = (sess.outbox || []).concat([{ client_id: cid, body: text }]); save();
    bubble(cid, text);
    stopTyping();
    if (raw({ type: 'message', client_id: cid, body: text })) ping();
  }
  function typing() {
    var now = Date.now();
    if (!typingOn || now - typingAt > 3000) { typingOn = raw({ type: 'typing', active: true }); typingAt = now; }
    clearTimeout(typingOff); typingOff = setTimeout(stopTyping, 4000);
  }
  function stopTyping() { clearTimeout(typingOff); if (typingOn) raw({ type: 'typing', active: false }); typingOn = false; }
  function flush() { while (held[lastSeq + 1]) { var m = held[lastSeq + 1]; delete held[lastSeq + 1]; lastSeq = m.seq; render(m); } sess.last_seq = lastSeq; save(); markRead(); }

  function connect() {
    clearTimeout(timer);
    if (!sess || stopped) return;
    var sock;
    heardAt = connectAt = Date.now(); pingAt = 0;
    // after_seq: the server replays what this page has not shown straight after hello, then `resumed`
    try { sock = ws = new WebSocket(sess.websocket + (sess.websocket.indexOf('?') < 0 ? '?' : '&') + 'after_seq=' + lastSeq); } catch (e) { return retry(); }
    sock.onmessage = function (e) {
      var f; try { f = JSON.parse(e.data); } catch (x) { return; }
      if (sock !== ws) return;
      heardAt = Date.now();
      if (f.type === 'hello') {
        tries = 0;
        if (f.status !== 'ended' && f.status !== 'missed') (sess.outbox || []).forEach(function (m) { raw({ type: 'message', client_id: m.client_id, body: m.body }); });
        setStatus(f.status, f.operator);
        if (document.hidden) raw({ type: 'presence', state: 'hidden' });
      } else if (f.type === 'message') {
        if (f.seq > lastSeq && !held[f.seq]) { held[f.seq] = f; flush(); }
      } else if (f.type === 'resumed') {
        // everything up to last_seq has been replayed; render anything still held in order
        Object.keys(held).map(Number).sort(function (a, b) { return a - b; }).forEach(function (s) { if (s > lastSeq) { lastSeq = s - 1; flush(); } });
      } else if (f.type === 'ack') {
        var b = pending[f.client_id];
        if (b) b.lastChild.textContent = T('sent');
        drop(f.client_id);
      } else if (f.type === 'typing') {
        clearTimeout(opTyping);
        typingLine.textContent = f.active ? T('is_typing', { name: f.name || T('the_adviser') }) : '';
        if (f.active) opTyping = setTimeout(function () { typingLine.textContent = ''; }, 8000);
      } else if (f.type === 'status') {
        setStatus(f.status, f.operator);
      } else if (f.type === 'offline') {
        showChatOffline(f);
      } else if (f.type === 'queue') {
        queueInfo = f;
        if (convStatus === 'queued' || !convStatus) { convStatus = 'queued'; showStatus(); }
      } else if (f.type === 'transferred') {
        // the chat moved to another council: same socket, but reconnects must use the new token and URL
        if (f.token) sess.token = f.token;
        if (f.websocket) { sess.websocket = f.websocket; sess.api = apiOf(f.websocket) || sess.api; }
        if (f.council) { sess.council = f.council.slug || sess.council; sess.council_name = f.council.name || sess.council_name; sess.brand = f.council; }
        // issue 15: the new council's colours and logo come with the frame; the chat's own
        // system line (in the chat's language) says it was passed on, so no second notice here
        save(); shellText();
      } else if (f.type === 'operator_presence') {
        adviserPresent(f.present, f.operator);
      } else if (f.type === 'missed') {
        missedChat(f.follow_up);
      } else if (f.type === 'error' && f.code === 'conversation_closed') {
        closedChat(f.client_id);
      } else if (f.type === 'error' && (f.code === 'unavailable' || f.code === 'rate_limited') && f.retry && f.client_id) {
        // the server could not store it just now (or asked us to slow down): send it again
        // after retry_after or a moment (same client_id)
        (sess.outbox || []).forEach(function (m) {
          if (m.client_id === f.client_id) setTimeout(function () { raw({ type: 'message', client_id: m.client_id, body: m.body }); }, (f.retry_after || 1) * 1000 + Math.random() * 2000);
        });
      } else if (f.type === 'error' && f.client_id && /^body_/.test(f.code)) {
        if (pending[f.client_id]) pending[f.client_id].lastChild.textContent = T('not_sent');
        drop(f.client_id);
        note(f.code === 'body_too_long' ? T('too_long') : T('empty'));
      } // other errors without a client_id (e.g. unknown_type for `read`) are ignored
    };
    sock.onclose = function (e) {
      if (sock !== ws) return;
      ws = null;
      if (stopped) return;
      if (FATAL.indexOf(e.code) >= 0) {
        var ended = sess && sess.ended;
        forget(); stopped = true;
        showForm(ended ? '' : T('gone'));
        if (!panel.hidden) open(true);
        return;
      }
      statusLine.textContent = T('reconnecting');
      // 1012: the server is restarting (a redeploy), 1013/4503: try again later. Come back soon,
      // at a random moment within a few seconds, so every widget does not reconnect at once.
      if (e.code === 1012 || e.code === 1013 || e.code === 4503) { soon(); return; }
      retry();
    };
  }
  // ---- silent outages -------------------------------------------------------------------
  // A network that fails under an open socket (Wi-Fi dropping, a proxy stalling) closes
  // nothing, and the page would wait for ever. The widget pings when it has heard nothing for
  // IDLE_PING_MS and straight after the resident sends something; a ping unanswered for
  // SILENT_MS means the socket is dead: say "Reconnecting" and open a new one (hello re-sends
  // what was not acked, with the same client_id, so nothing is lost or doubled). Silence is
  // judged from the ping, not from the last frame heard, so a background tab whose timers
  // run once a minute is not taken for dead; an idle chat costs one small frame in 15 s.
  var IDLE_PING_MS = 15000, SILENT_MS = 8000, heardAt = 0, pingAt = 0, connectAt = 0;
  function ping() { if (pingAt <= heardAt && raw({ type: 'ping' })) pingAt = Date.now(); }
  function dropSilent(sock) {
    ws = null;
    try { sock.close(4000); } catch (e) { /* already closing */ }
    statusLine.textContent = T('reconnecting');
    tries = 0; retry();
  }
  setInterval(function () {
    if (!ws || stopped) return;
    var now = Date.now();
    // a handshake that hangs (the network still down): try again
    if (ws.readyState === 0 && now - connectAt > 2 * SILENT_MS) return dropSilent(ws);
    if (ws.readyState !== 1) return;
    if (pingAt > heardAt && now - pingAt > SILENT_MS) return dropSilent(ws);
    if (now - heardAt >= IDLE_PING_MS) ping();
  }, 1000);
  function soon() {
    clearTimeout(timer); tries = 0;
    timer = setTimeout(connect, 500 + Math.random() * 4500);
  }
  function retry() {
    clearTimeout(timer);
    var d = Math.min(15000, 1000 * Math.pow(2, tries++));
    timer = setTimeout(connect, Math.max(1000, d * (0.7 + Math.random() * 0.3)));
  }
  window.addEventListener('online', function () { if (sess && !ws && !stopped) { tries = 0; connect(); } });

  // ---- boot ---------------------------------------------------------------------------
  getConfig().then(function () {
    root.appendChild(wrapper);
    document.body.appendChild(host);
    if (sess && sess.conversation && sess.websocket) {
      var wasOpen = sess.open !== false;
      showChat(false);
      if (!wasOpen) { panel.hidden = true; launcher.hidden = false; launcher.setAttribute('aria-expanded', 'false'); sess.open = false; save(); }
    } else { forget(); showForm(); }
    poll();
    host.setAttribute('data-ready', 'true');
    if (window.performance && performance.mark) performance.mark('councilchat:ready'); // bench/widget_bench.py
  }).catch(function (e) { if (window.console) console.warn('CouncilChat: unavailable', e); });
})();
