// /volunteer: the tablet at a desk. PIN login (session cookie + CSRF token
// kept in memory only), call the next citizen, record the outcome, correct
// typos, register walk-ins, watch the queue and the sync to the commune.
'use strict';
(() => {
  const K = window.kyso, $ = K.$;
  const DESK = 'kyso.desk', NAME = 'kyso.volunteer';
  const GENDER = {male: 'Nam', female: 'Nữ'};
  const FIELDS = ['name', 'cccd', 'birth_date', 'gender', 'phone', 'village', 'association'];
  const login = $('#login-form'), main = $('#vol-main'), deskSel = $('#desk-select');
  const ef = $('#edit-form'), wf = $('#walkin-form');
  // full: ticket id → the unmasked citizen from /next or a correction. In
  // memory only: the tablet is shared, nothing personal goes to storage.
  const full = new Map();
  let csrf = '', on = false, live = null, poll = 0, wait = 0, tickets = [], cur = null, shown = null, armed = 0, busy = false;

  const store = (k, v) => { try { localStorage.setItem(k, v); } catch (e) { /* private mode */ } };
  const stored = k => { try { return localStorage.getItem(k) || ''; } catch (e) { return ''; } };
  const msg = m => { K.text($('#vol-msg'), m); K.show($('#vol-msg'), !!m); };
  const desk = () => +deskSel.value;
  const enc = encodeURIComponent;
  const when = iso => {
    const d = new Date(iso);
    return isNaN(d) || d.getFullYear() < 2000 ? '' : d.toLocaleString('vi-VN', {hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit'});
  };

  // api sends the CSRF token on every call; a lost session goes back to login.
  const api = async (method, url, body) => {
    try {
      return await K.api(method, url, {body, csrf});
    } catch (e) {
      if (e.status === 401 || (e.status === 403 && /csrf/i.test(e.code))) signedOut('Phiên đăng nhập đã hết. Vui lòng đăng nhập lại.');
      throw e;
    }
  };
  const act = async fn => {
    if (busy) return;
    busy = true;
    for (const b of K.$$('#vol-main button')) b.disabled = true;
    try { await fn(); } catch (e) { if (e.status !== 401) msg(e.message); } finally {
      busy = false;
      for (const b of K.$$('#vol-main button')) b.disabled = false;
    }
  };

  // ---- session ----
  const signedIn = (d, name) => {
    csrf = d.csrf_token || '';
    on = true;
    K.text($('#vol-who'), '· ' + (d.volunteer || name || ''));
    login.elements.pin.value = '';
    K.show(login, false); K.show(main, true);
    if (live) live.close();
    live = K.live(() => { if (!wait) wait = setTimeout(() => { wait = 0; load(); }, 300); }, load);
    clearInterval(poll);
    poll = setInterval(load, 30000);
    load();
    document.dispatchEvent(new Event('kyso:signed-in')); // pair.js shows its card only to a signed-in volunteer
  };
  const signedOut = m => {
    if (live) live.close();
    live = null;
    clearInterval(poll);
    csrf = ''; on = false; cur = null; tickets = []; full.clear();
    $('#queue-list').textContent = '';
    renderCurrent();
    K.show(main, false); K.show(login, true);
    const g = $('.form-error', login);
    K.text(g, m); K.show(g, !!m);
  };

  // ---- queue and current citizen ----
  const view = t => {
    const c = Object.assign({}, t.citizen, full.get(t.id));
    const v = {id: t.id, number: t.number, desk: t.desk, status: t.status, at: Date.now()};
    for (const k of FIELDS) v[k] = c[k] || t[k] || '';
    v.cccd = v.cccd || t.cccd_masked || '';
    v.phone = v.phone || t.phone_masked || '';
    return v;
  };
  const load = async () => {
    if (!on) return;
    let r;
    try { r = await api('GET', '/api/v1/queue'); } catch (e) { if (e.status !== 401) msg(e.message); return; }
    tickets = r.data.tickets || [];
    renderQueue();
    counters(r.data.tonight || {});
    sync(r.data.sync);
    pickCurrent();
  };
  const pickCurrent = () => {
    const mine = tickets.filter(x => x.status === 'called' && x.desk === desk())
      .sort((a, b) => (Date.parse(a.called_at) || 0) - (Date.parse(b.called_at) || 0)).pop();
    if (mine) cur = view(mine);
    else if (cur && Date.now() - cur.at > 5000) cur = null; // keep a just-called one the list has not caught up with
    renderCurrent();
  };
  const closePanels = () => {
    for (const s of ['#fail-reasons', '#fail-other', '#edit-form']) K.show($(s), false);
    $('#fail-note').value = '';
  };
  const renderCurrent = () => {
    K.show($('#current'), !!cur);
    if (!cur) { shown = null; return; }
    if (cur.id !== shown) { shown = cur.id; closePanels(); }
    const b = /^(\d{4})-(\d{2})-(\d{2})$/.exec(cur.birth_date);
    K.text($('#current-number'), cur.number);
    K.text($('#cur-name'), cur.name);
    K.text($('#cur-cccd'), cur.cccd);
    K.text($('#cur-birth'), b ? b[3] + '/' + b[2] + '/' + b[1] : cur.birth_date);
    K.text($('#cur-gender'), GENDER[cur.gender] || cur.gender);
    K.text($('#cur-phone'), cur.phone);
    K.text($('#cur-village'), cur.village);
    K.text($('#cur-association'), cur.association || '—');
  };
  const renderQueue = () => {
    const tb = $('#queue-list');
    tb.textContent = '';
    for (const x of tickets) {
      const tr = document.createElement('tr');
      tr.dataset.id = x.id;
      if (x.status === 'called') tr.className = x.desk === desk() ? 'q-called q-mine' : 'q-called';
      for (const v of [x.number, x.status === 'called' ? 'Ở bàn ' + x.desk : 'Đang chờ', x.name, x.cccd_masked, x.village]) {
        const td = document.createElement('td');
        td.textContent = v == null ? '' : v;
        tr.append(td);
      }
      tb.append(tr);
    }
    K.text($('#queue-count'), '(' + tickets.filter(x => x.status === 'waiting').length + ' người chờ)');
    K.show($('#queue-empty'), !tickets.length);
  };
  const counters = tn => { for (const el of K.$$('#vol-tonight [data-k]')) K.text(el, K.num(tn[el.dataset.k])); };
  const sync = s => {
    if (!s) return;
    const out = [s.unsent > 0 ? 'Chưa gửi về xã: ' + s.unsent + ' bản ghi.' : 'Đã gửi hết về xã.'];
    const last = when(s.last_sync);
    out.push(last ? 'Lần gửi gần nhất: ' + last + '.' : 'Chưa gửi được lần nào.');
    if ('ward_url' in s && !s.ward_url) out.push('Máy chưa có địa chỉ của xã: hãy chép tệp bằng USB.');
    if (s.last_error) out.push('Lỗi gần nhất: ' + s.last_error);
    K.text($('#vol-sync'), out.join(' '));
  };

  // ---- actions on the current citizen ----
  const ticketURL = (t, verb) => '/api/v1/tickets/' + enc(t.id) + (verb ? '/' + verb : '');
  const done = text => { if (cur) full.delete(cur.id); cur = null; renderCurrent(); msg(text); load(); };
  const complete = (outcome, reason, note) => act(async () => {
    const c = cur, body = {outcome, device_time: new Date().toISOString()};
    if (reason) body.reason = reason;
    if (note) body.note = note;
    await api('POST', ticketURL(c, 'complete'), body);
    done(outcome === 'activated' ? 'Đã ghi: số ' + c.number + ' kích hoạt thành công.' : 'Đã ghi: số ' + c.number + ' không thành công.');
  });

  K.on($('#btn-next'), 'click', () => {
    if (cur && !(armed > Date.now())) {
      armed = Date.now() + 6000;
      msg('Số ' + cur.number + ' chưa có kết quả. Bấm lần nữa nếu vẫn muốn gọi người tiếp theo.');
      return;
    }
    armed = 0;
    act(async () => {
      const r = await api('POST', '/api/v1/desks/' + desk() + '/next');
      if (r.status === 204 || !r.data) { msg('Không còn ai đang chờ.'); return; }
      if (r.data.citizen) full.set(r.data.id, r.data.citizen);
      cur = view(r.data);
      renderCurrent();
      msg('Đã gọi số ' + r.data.number + ' đến bàn ' + desk() + '.');
      load();
    });
  });
  K.on($('#btn-recall'), 'click', () => act(async () => {
    await api('POST', ticketURL(cur, 'recall'));
    msg('Đã gọi lại số ' + cur.number + '.');
  }));
  K.on($('#btn-noshow'), 'click', () => act(async () => {
    const c = cur;
    await api('POST', ticketURL(c, 'no-show'));
    done('Đã ghi vắng mặt: số ' + c.number + '.');
  }));
  K.on($('#btn-requeue'), 'click', () => act(async () => {
    const c = cur;
    await api('POST', ticketURL(c, 'requeue'));
    done('Đã xếp số ' + c.number + ' lại vào hàng.');
  }));
  K.on($('#btn-activated'), 'click', () => complete('activated'));
  K.on($('#btn-failed'), 'click', () => {
    const open = $('#fail-reasons').hidden;
    closePanels();
    K.show($('#fail-reasons'), open);
  });
  for (const b of K.$$('.reason')) {
    K.on(b, 'click', () => {
      if (b.dataset.reason !== 'other') { complete('failed', b.dataset.reason); return; }
      K.show($('#fail-other'), true);
      $('#fail-note').focus();
    });
  }
  K.on($('#btn-fail-send'), 'click', () => {
    const note = $('#fail-note').value.trim();
    if (!note) { msg('Vui lòng ghi rõ lý do.'); $('#fail-note').focus(); return; }
    complete('failed', 'other', note);
  });
  K.on($('#btn-fail-cancel'), 'click', closePanels);

  // ---- corrections ----
  K.on($('#btn-edit'), 'click', () => {
    closePanels();
    ef.reset();
    K.form.clear(ef);
    K.form.fill(ef, cur);
    K.show(ef, true);
    ef.elements.name.focus();
  });
  K.on($('#btn-edit-cancel'), 'click', closePanels);
  K.on(ef, 'submit', ev => {
    ev.preventDefault();
    K.form.clear(ef);
    const {data, errs} = K.form.read(ef, true);
    if (Object.keys(errs).length) { K.form.show(ef, errs); return; }
    const changes = {};
    for (const k of FIELDS) {
      if ((data[k] || k === 'association') && data[k] !== cur[k]) changes[k] = data[k];
    }
    if (!Object.keys(changes).length) { closePanels(); msg('Không có gì thay đổi.'); return; }
    const c = cur;
    act(async () => {
      try {
        const r = await api('PATCH', ticketURL(c), {citizen: changes});
        full.set(c.id, Object.assign({}, full.get(c.id), r.data && r.data.citizen, changes));
        if (cur && cur.id === c.id) Object.assign(cur, changes);
        closePanels();
        renderCurrent();
        msg('Đã sửa thông tin số ' + c.number + '.');
      } catch (e) {
        if (e.status !== 401) K.form.show(ef, {[e.field || '_']: e.message});
      }
    });
  });

  // ---- walk-in ----
  K.on(wf, 'submit', ev => {
    ev.preventDefault();
    K.form.clear(wf);
    K.show($('#walkin-result'), false);
    const {data, errs} = K.form.read(wf);
    if (Object.keys(errs).length) { K.form.show(wf, errs); return; }
    act(async () => {
      try {
        const r = await api('POST', '/api/v1/tickets', data);
        wf.reset();
        K.show(wf.elements.village_other, false);
        K.text($('#walkin-result'), 'Đã cấp số ' + r.data.number + ' cho ' + data.name + '.');
        K.show($('#walkin-result'), true);
        load();
      } catch (e) {
        if (e.status !== 401) K.form.show(wf, {[e.field || '_']: e.message});
      }
    });
  });

  // ---- start ----
  K.on(login, 'submit', async ev => {
    ev.preventDefault();
    K.form.clear(login);
    const volunteer = login.elements.volunteer.value.trim(), pin = login.elements.pin.value.trim();
    const errs = {};
    if (!volunteer) errs.volunteer = 'Vui lòng ghi tên của bạn.';
    if (!pin) errs.pin = 'Vui lòng nhập mã PIN.';
    if (Object.keys(errs).length) { K.form.show(login, errs); return; }
    try {
      const r = await K.api('POST', '/api/v1/login', {body: {pin, volunteer}});
      store(NAME, volunteer);
      signedIn(r.data || {}, volunteer);
    } catch (e) {
      K.form.show(login, {[e.field || '_']: e.message});
    }
  });
  K.on($('#btn-logout'), 'click', () => {
    api('POST', '/api/v1/logout').catch(() => {}).then(() => signedOut(''));
  });
  const d = stored(DESK);
  if (Array.from(deskSel.options).some(o => o.value === d)) deskSel.value = d;
  K.on(deskSel, 'change', () => { store(DESK, deskSel.value); msg(''); cur = null; renderQueue(); pickCurrent(); });
  login.elements.volunteer.value = stored(NAME);
  K.form.wire(wf);
  K.form.wire(ef);
  $('button[type=submit]', login).disabled = false;
  K.api('GET', '/api/v1/session').then(r => signedIn(r.data || {}), e => signedOut(e.status === 401 ? '' : e.message));
})();
