// kyso shared helpers (every page): DOM shortcuts, the JSON API wrapper,
// the live board stream with its own reconnect, beeps, and the citizen form
// (read, check, show the API's field errors, fill). Exposed as window.kyso.
'use strict';
(() => {
  const K = {};
  K.$ = (s, r) => (r || document).querySelector(s);
  K.$$ = (s, r) => Array.from((r || document).querySelectorAll(s));
  K.show = (el, on) => { if (el) el.hidden = !on; };
  K.text = (el, t) => { if (el) el.textContent = t == null ? '' : String(t); };
  K.on = (el, ev, fn) => { if (el) el.addEventListener(ev, fn); };
  K.num = n => Number(n || 0).toLocaleString('vi-VN');
  K.time = iso => {
    const d = new Date(iso);
    return isNaN(d) ? '' : d.toLocaleTimeString('vi-VN', {hour: '2-digit', minute: '2-digit'});
  };

  // ---- API ----
  const MSG = {
    0: 'Không kết nối được với máy. Kiểm tra Wi-Fi rồi thử lại.',
    413: 'Dữ liệu gửi lên quá lớn.',
    429: 'Thao tác nhanh quá. Vui lòng đợi một phút rồi thử lại.',
    503: 'Máy đang bận. Vui lòng thử lại sau ít phút.'
  };
  class APIError extends Error {
    constructor(status, code, field, message) {
      super(message);
      this.status = status; this.code = code; this.field = field || '';
    }
  }
  K.APIError = APIError;
  // K.api(method, url, {body, token, csrf}) resolves to {status, data} on 2xx
  // and rejects with an APIError carrying the API's code, field and message.
  K.api = async (method, url, o = {}) => {
    const headers = {Accept: 'application/json'};
    if (o.body !== undefined) headers['Content-Type'] = 'application/json';
    if (o.token) headers.Authorization = 'Bearer ' + o.token;
    if (o.csrf) headers['X-CSRF-Token'] = o.csrf;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), o.timeout || 15000);
    let res, data = null;
    try {
      res = await fetch(url, {
        method, headers, signal: ctl.signal, cache: 'no-store', credentials: 'same-origin',
        body: o.body === undefined ? undefined : JSON.stringify(o.body)
      });
      const t = await res.text();
      try { data = t ? JSON.parse(t) : null; } catch (e) { data = null; }
    } catch (e) {
      throw new APIError(0, 'network', '', MSG[0]);
    } finally {
      clearTimeout(timer);
    }
    if (res.ok) return {status: res.status, data};
    const e = (data && data.error) || {};
    throw new APIError(res.status, e.code || 'http_' + res.status, e.field,
      e.message || MSG[res.status] || 'Có lỗi (mã ' + res.status + '). Vui lòng thử lại.');
  };

  // ---- live board events ----
  // EventSource retries network errors by itself but gives up on an HTTP
  // error, and its fixed retry delay makes a thousand phones reconnect in
  // lockstep after a restart. So on any error we close it and reopen it
  // ourselves with jittered exponential backoff. onOpen runs on every
  // (re)connect and when a sleeping phone wakes: callers reload full state
  // then, since events sent while away are lost.
  K.live = (onBoard, onOpen, onDown) => {
    let es = null, timer = 0, delay = 1000, closed = false;
    const connect = () => {
      timer = 0;
      if (closed) return;
      es = new EventSource('/api/v1/events');
      es.addEventListener('board', ev => {
        delay = 1000;
        let b;
        try { b = JSON.parse(ev.data); } catch (e) { return; }
        onBoard(b);
      });
      es.onopen = () => { if (onOpen) onOpen(); };
      es.onerror = () => {
        if (es) es.close();
        es = null;
        if (onDown) onDown();
        retry();
      };
    };
    const retry = () => {
      if (closed || timer) return;
      timer = setTimeout(connect, delay / 2 + Math.random() * delay);
      delay = Math.min(delay * 2, 30000);
    };
    const wake = () => {
      if (document.hidden || closed) return;
      if (!es) { clearTimeout(timer); timer = 0; connect(); } else if (onOpen) onOpen();
    };
    document.addEventListener('visibilitychange', wake);
    connect();
    return {close() {
      closed = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', wake);
      if (es) es.close();
      es = null;
    }};
  };

  // ---- sound ----
  let actx = null;
  K.audio = () => {
    const C = window.AudioContext || window.webkitAudioContext;
    if (!actx && C) actx = new C();
    return actx;
  };
  // K.tones plays [frequency Hz, start s, length s] notes; false when the
  // browser still blocks audio.
  K.tones = notes => {
    const c = K.audio();
    if (!c || c.state !== 'running') return false;
    const t0 = c.currentTime + 0.05;
    for (const [f, s, d] of notes) {
      const o = c.createOscillator(), g = c.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, t0 + s);
      g.gain.exponentialRampToValueAtTime(0.7, t0 + s + 0.03);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + s + d);
      o.connect(g); g.connect(c.destination);
      o.start(t0 + s); o.stop(t0 + s + d + 0.05);
    }
    return true;
  };
  // Browsers keep audio off until the user touches the page: show btn while
  // that is so; any tap turns sound on. onUnlock runs inside the tap (speech
  // synthesis wants a gesture too).
  K.soundButton = (btn, onUnlock) => {
    const c = K.audio();
    if (!c) return;
    const sync = () => K.show(btn, c.state !== 'running');
    const unlock = () => {
      if (c.state !== 'running') c.resume().then(sync, sync);
      if (onUnlock) onUnlock();
    };
    c.addEventListener('statechange', sync);
    K.on(btn, 'click', unlock);
    document.addEventListener('pointerdown', unlock, {once: true});
    c.resume().then(sync, sync);
    setTimeout(sync, 500);
  };

  // ---- citizen form ----
  const pad = n => (n < 10 ? '0' : '') + n;
  const val = (f, n) => (f.elements[n] && f.elements[n].value || '').trim();
  const OTHER = '__other';
  const birth = f => {
    const d = val(f, 'birth_day'), m = val(f, 'birth_month'), y = val(f, 'birth_year');
    if (!d && !m && !y) return {v: val(f, 'birth_date')};
    if (!d || !m || !y) return {e: 'Vui lòng ghi đủ ngày, tháng, năm sinh.'};
    if (!/^\d{4}$/.test(y)) return {e: 'Ghi năm sinh đủ 4 số, ví dụ 1970.'};
    const D = +d, M = +m, Y = +y, t = new Date(Date.UTC(Y, M - 1, D));
    if (!/^\d+$/.test(d + m) || t.getUTCDate() !== D || t.getUTCMonth() !== M - 1 ||
        Y < 1900 || Y > new Date().getFullYear()) return {e: 'Ngày sinh không đúng, vui lòng kiểm tra lại.'};
    return {v: Y + '-' + pad(M) + '-' + pad(D)};
  };
  K.form = {
    // read returns {data, errs}. partial: the correction form, where empty
    // fields mean "unchanged" and nothing is required.
    read(f, partial) {
      const errs = {}, data = {};
      const need = (k, v, msg) => { data[k] = v; if (!v && !partial) errs[k] = msg; };
      need('name', val(f, 'name').replace(/\s+/g, ' '), 'Vui lòng ghi họ và tên.');
      const cccd = val(f, 'cccd').replace(/[\s.-]/g, '');
      need('cccd', cccd, 'Vui lòng ghi số CCCD.');
      if (cccd && !/^\d{12}$/.test(cccd)) {
        errs.cccd = /^\d{9}$/.test(cccd) ? 'Đây là số CMND cũ (9 số). Vui lòng dùng thẻ CCCD 12 số.'
          : 'Số CCCD phải có đủ 12 chữ số.';
      }
      const b = birth(f);
      if (b.e) errs.birth_date = b.e; else need('birth_date', b.v, 'Vui lòng ghi ngày, tháng, năm sinh.');
      if (f.elements.birth_date && b.v) f.elements.birth_date.value = b.v;
      need('gender', f.elements.gender ? f.elements.gender.value : '', 'Vui lòng chọn Nam hoặc Nữ.');
      need('phone', val(f, 'phone'), 'Vui lòng ghi số điện thoại.');
      const v = val(f, 'village');
      need('village', v === OTHER ? val(f, 'village_other') : v, 'Vui lòng chọn hoặc ghi tên thôn.');
      data.association = val(f, 'association');
      if (f.elements.consent) {
        data.consent = f.elements.consent.checked;
        if (!data.consent) errs.consent = 'Vui lòng đánh dấu ô đồng ý để lấy số.';
      }
      return {data, errs};
    },
    clear(f) {
      for (const p of K.$$('[data-err-for]', f)) { p.hidden = true; p.textContent = ''; }
      for (const i of K.$$('[aria-invalid]', f)) i.removeAttribute('aria-invalid');
      K.show(K.$('.form-error', f), false);
    },
    // show puts each message under its field (the API's error.field, maybe
    // prefixed "citizen."), anything else at the bottom; focuses the first.
    show(f, errs) {
      let first = null;
      for (const k of Object.keys(errs)) {
        const name = k.replace(/^citizen\./, '');
        const p = K.$('[data-err-for="' + name + '"]', f);
        if (!p) {
          const g = K.$('.form-error', f);
          K.text(g, errs[k]); K.show(g, true);
          first = first || g;
          continue;
        }
        K.text(p, errs[k]); K.show(p, true);
        const ins = name === 'birth_date' ? K.$$('.date input', f) : K.$$('[name="' + name + '"]', f);
        for (const i of ins) i.setAttribute('aria-invalid', 'true');
        const i = ins[0] || p;
        if (!first || (first.compareDocumentPosition(i) & Node.DOCUMENT_POSITION_PRECEDING)) first = i;
      }
      if (first) {
        if (first.focus && first.tagName !== 'P') first.focus();
        first.scrollIntoView({block: 'center'});
      }
    },
    fill(f, c) {
      const set = (n, v) => { if (f.elements[n]) f.elements[n].value = v || ''; };
      const priv = v => (v && v.indexOf('*') < 0 ? v : '');
      set('name', c.name); set('cccd', priv(c.cccd)); set('phone', priv(c.phone));
      f.elements.cccd.placeholder = c.cccd && !priv(c.cccd) ? c.cccd : '';
      f.elements.phone.placeholder = c.phone && !priv(c.phone) ? c.phone : '';
      const b = /^(\d{4})-(\d{2})-(\d{2})$/.exec(c.birth_date || '') || [];
      set('birth_year', b[1]); set('birth_month', b[2] && +b[2]); set('birth_day', b[3] && +b[3]);
      set('birth_date', c.birth_date);
      for (const r of K.$$('[name=gender]', f)) r.checked = r.value === c.gender;
      const vs = f.elements.village, known = Array.from(vs.options).some(o => o.value === c.village);
      vs.value = known || !c.village ? c.village || vs.value : OTHER;
      set('village_other', known ? '' : c.village);
      K.show(f.elements.village_other, vs.value === OTHER);
      const as = f.elements.association;
      if (c.association && !Array.from(as.options).some(o => o.value === c.association)) {
        as.add(new Option(c.association, c.association));
      }
      as.value = c.association || '';
    },
    // wire adds the behaviour every citizen form has: "Thôn khác" shows a
    // text box; a complete CCCD presets gender and birth year (digit 4 is
    // century and gender, digits 5-6 the year), which spares a step and
    // avoids the mismatch the API would reject; typing clears the error.
    wire(f) {
      const vs = f.elements.village, other = f.elements.village_other;
      K.on(vs, 'change', () => { K.show(other, vs.value === OTHER); if (vs.value === OTHER) other.focus(); });
      K.on(f.elements.cccd, 'input', () => {
        const c = f.elements.cccd.value.replace(/\D/g, '');
        if (c.length !== 12) return;
        const g = +c[3];
        if (!f.elements.gender.value) {
          for (const r of K.$$('[name=gender]', f)) r.checked = r.value === (g % 2 ? 'female' : 'male');
        }
        if (!val(f, 'birth_year') && g < 10) f.elements.birth_year.value = 1900 + 100 * (g >> 1) + +c.slice(4, 6);
      });
      K.on(f, 'input', ev => {
        const fs = ev.target.closest('.field');
        const p = fs && K.$('[data-err-for]', fs);
        if (p && !p.hidden) { K.show(p, false); for (const i of K.$$('[aria-invalid]', fs)) i.removeAttribute('aria-invalid'); }
      });
    }
  };
  window.kyso = K;
})();
