// /volunteer: the tablet at a desk. PIN login (session cookie + CSRF token
// kept in memory only), a desk held by this tablet alone, call the next
// citizen, record the outcome, correct typos (also after the outcome),
// register walk-ins, put no-shows back in their place, watch the queue and
// the sync to the commune.
//
// The card follows the ticket this tablet called, never the desk (issue 11:
// two tablets on one desk recorded the wrong citizen). The queue list is
// loaded once (bounded) and then follows the server's ticket changes
// (/api/v1/queue/events); counters come from the public board stream.
'use strict';
(() => {
  const K = window.kyso, $ = K.$;
  const DESK = 'kyso.desk', NAME = 'kyso.volunteer', PAIRED = 'kyso.paired';
  const GENDER = {male: 'Nam', female: 'Nữ'};
  const FIELDS = ['name', 'cccd', 'birth_date', 'gender', 'phone', 'village', 'association'];
  const REASONS = {
    no_smartphone: 'Không có điện thoại thông minh', phone_unsupported: 'Điện thoại không hỗ trợ', no_email: 'Không có email',
    ekyc_failed: 'Xác thực eKYC lỗi', no_network: 'Mất mạng', left: 'Đã về', other: 'Lý do khác'
  };
  const login = $('#login-form'), main = $('#vol-main'), deskSel = $('#desk-select');
  const ef = $('#edit-form'), wf = $('#walkin-form'), ff = $('#fix-form');
  // full: ticket id → the unmasked citizen from /next or a correction. In
  // memory only: the tablet is shared, nothing personal goes to storage.
  const full = new Map();
  // tickets: id → masked view of every active ticket this tablet knows.
  const tickets = new Map();
  let csrf = '', on = false, live = null, feed = null, feedAfter = 0, poll = 0, drawT = 0, refetched = 0;
  // seen: the latest ticket changes, replayed over each loaded list (a
  // change may land between the list's read and its arrival).
  const seen = [];
  let cur = null, shown = null, armed = 0, busy = false, held = 0, waitingTotal = 0, loading = false, fixing = null;

  const store = (k, v) => { try { localStorage.setItem(k, v); } catch (e) { /* private mode */ } };
  const stored = k => { try { return localStorage.getItem(k) || ''; } catch (e) { return ''; } };
  const msg = m => { K.text($('#vol-msg'), m); K.show($('#vol-msg'), !!m); };
  const desk = () => +deskSel.value;
  const enc = encodeURIComponent;
  // One date format on every kiosk page: dd/mm/yyyy; times HH:MM.
  const pad = n => (n < 10 ? '0' : '') + n;
  const dmy = d => pad(d.getDate()) + '/' + pad(d.getMonth() + 1) + '/' + d.getFullYear();
  const hm = d => pad(d.getHours()) + ':' + pad(d.getMinutes());
  const when = iso => {
    const d = new Date(iso);
    return isNaN(d) || d.getFullYear() < 2000 ? '' : hm(d) + ' ' + dmy(d);
  };
  // One percent format: one decimal, a comma, no space ("21,3%").
  const pct = x => Number(x || 0).toLocaleString('vi-VN', {maximumFractionDigits: 1}) + '%';
  // Sessions run by day in some communes: name the session by the hour.
  const dayWord = () => { K.text($('#vol-day'), new Date().getHours() >= 17 ? 'Buổi tối nay' : 'Hôm nay'); };

  // api sends the CSRF token on every call; a lost session goes back to login.
  const api = async (method, url, body) => {
    try {
      return await K.api(method, url, {body, csrf});
    } catch (e) {
      if (e.status === 401 || (e.status === 403 && /csrf/i.test(e.code))) signedOut(lostMessage());
      throw e;
    }
  };
  // After a pairing the kiosk restarts and every session ends: say so,
  // not "expired" (issue 11, finding 7).
  const pairedNote = () => {
    let p = '';
    try { p = sessionStorage.getItem(PAIRED) || ''; sessionStorage.removeItem(PAIRED); } catch (e) { /* private mode */ }
    return p ? {note: p} : '';
  };
  const lostMessage = () => pairedNote() || 'Phiên đăng nhập đã hết. Vui lòng đăng nhập lại.';
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
    K.show($('#login-note'), false);
    K.show(login, false); K.show(main, true);
    dayWord();
    if (live) live.close();
    live = K.live(onBoard, () => { if (on) load(); });
    clearInterval(poll);
    poll = setInterval(() => { dayWord(); load(); }, 30000);
    claim(d.desk || desk(), true).finally(load); // the desk this session holds, else the one this tablet used
    document.dispatchEvent(new Event('kyso:signed-in')); // pair.js shows its card only to a signed-in volunteer
  };
  const signedOut = m => {
    if (live) live.close();
    live = null;
    closeFeed();
    clearInterval(poll);
    csrf = ''; on = false; cur = null; held = 0; tickets.clear(); full.clear(); seen.length = 0;
    $('#queue-list').textContent = '';
    renderCurrent();
    K.show(main, false); K.show(login, true);
    const g = $('.form-error', login), n = $('#login-note');
    const note = m && m.note;
    K.text(n, note || ''); K.show(n, !!note);
    K.text(g, note ? '' : m); K.show(g, !!m && !note);
  };

  // ---- the desk this tablet holds ----
  const deskMsg = (m, free) => {
    K.text($('#desk-msg'), m); K.show($('#desk-msg'), !!m);
    const b = $('#btn-free-desk');
    K.text(b, free ? 'Chọn bàn ' + free : ''); b.dataset.desk = free || '';
    K.show(b, !!free);
  };
  const freeDesk = async () => {
    try {
      const r = await api('GET', '/api/v1/session');
      const taken = (r.data && r.data.desks_taken) || [];
      for (const o of deskSel.options) if (!taken.includes(+o.value)) return +o.value;
    } catch (e) { /* the message already names one */ }
    return 0;
  };
  const claim = async (n, quiet) => {
    try {
      await api('POST', '/api/v1/desks/' + n + '/claim');
      held = n;
      deskSel.value = String(n);
      store(DESK, String(n));
      deskMsg('');
      return true;
    } catch (e) {
      if (e.code !== 'desk_taken') { if (!quiet && e.status !== 401) msg(e.message); return false; }
      held = 0;
      deskMsg(e.message, await freeDesk());
      return false;
    }
  };

  // ---- queue and current citizen ----
  const view = t => {
    const c = Object.assign({}, t.citizen, full.get(t.id));
    const v = {id: t.id, number: t.number, desk: t.desk, status: t.status};
    for (const k of FIELDS) v[k] = c[k] || t[k] || '';
    v.cccd = v.cccd || t.cccd_masked || '';
    v.phone = v.phone || t.phone_masked || '';
    return v;
  };
  const load = async () => {
    if (!on || loading) return;
    loading = true;
    let r;
    try { r = await api('GET', '/api/v1/queue?limit=100'); } catch (e) { if (e.status !== 401) msg(e.message); return; } finally { loading = false; }
    const d = r.data || {};
    tickets.clear();
    for (const t of d.tickets || []) tickets.set(t.id, t);
    // The citizen this tablet called, in full (a reload resumes the card);
    // lists carry masked fields only.
    if ((d.mine || []).some(id => !full.has(id))) {
      try {
        const m = await api('GET', '/api/v1/desk/current');
        for (const t of (m.data && m.data.tickets) || []) if (t.citizen) full.set(t.id, t.citizen);
      } catch (e) { /* the card shows masked fields until the next load */ }
    }
    waitingTotal = (d.counts && d.counts.waiting) || 0;
    for (const x of seen) if (x.seq > (d.events_after || 0)) apply(x, true);
    counters(d.tonight || {});
    sync(d.sync);
    // The card resumes the citizen this tablet called (after a reload too).
    const mine = (d.mine || []).map(id => tickets.get(id)).filter(Boolean);
    if (cur && !tickets.has(cur.id)) cur = null;
    if (!cur && mine.length) cur = view(mine[mine.length - 1]);
    else if (cur) cur = view(tickets.get(cur.id));
    draw();
    openFeed(d.events_after || 0);
  };

  // The ticket feed: each change, as it happens.
  const closeFeed = () => { if (feed) feed.close(); feed = null; };
  const openFeed = after => {
    if (feed && after <= feedAfter) return;
    closeFeed();
    feedAfter = after;
    const es = new EventSource('/api/v1/queue/events?after=' + after);
    feed = es;
    es.addEventListener('ticket', ev => {
      let d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      feedAfter = d.seq;
      seen.push(d);
      if (seen.length > 200) seen.splice(0, seen.length - 200);
      apply(d);
    });
    es.addEventListener('reset', () => load());
    es.onerror = () => {
      // EventSource resumes by itself (Last-Event-ID) after a network
      // error, but not after an HTTP error: check the session then.
      if (es.readyState === EventSource.CLOSED && feed === es) { feed = null; setTimeout(load, 2000); }
    };
  };
  const ACTIVE = ['waiting', 'called'];
  const apply = (d, replay) => {
    const t = d.ticket;
    const had = tickets.get(d.id);
    if (d.op === 'upsert' && t && ACTIVE.includes(t.status)) {
      if (!had && t.status === 'waiting') waitingTotal++;
      if (had && had.status === 'waiting' && t.status !== 'waiting') waitingTotal--;
      tickets.set(d.id, t);
    } else if (had) {
      if (had.status === 'waiting') waitingTotal--;
      tickets.delete(d.id);
    }
    if (cur && cur.id === d.id && !(t && t.status === 'called')) {
      // Finished elsewhere (another tablet after this one went idle, or the citizen left).
      if (!busy) { cur = null; msg('Số ' + (t ? t.number : '') + ' không còn ở bàn của bạn.'); }
    }
    if (replay) return;
    if (t && (t.status === 'no_show' || t.status === 'cancelled' || t.status === 'waiting') && $('#aside-card').open) asideLater();
    schedule();
  };
  const schedule = () => { if (!drawT) drawT = setTimeout(() => { drawT = 0; draw(); }, 100); };
  const draw = () => {
    renderQueue();
    renderCurrent();
    // Fewer known than the line holds (the list is bounded): fetch the next part once.
    const known = [...tickets.values()].filter(x => x.status === 'waiting').length;
    if (known < 50 && waitingTotal > known && Date.now() - refetched > 2000) { refetched = Date.now(); load(); }
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
  const row = (cells, cls) => {
    const tr = document.createElement('tr');
    if (cls) tr.className = cls;
    for (const v of cells) {
      const td = document.createElement('td');
      if (v instanceof Node) td.append(v); else td.textContent = v == null ? '' : v;
      tr.append(td);
    }
    return tr;
  };
  const renderQueue = () => {
    const tb = $('#queue-list');
    const list = [...tickets.values()].sort((a, b) =>
      (a.status === 'called' ? 0 : 1) - (b.status === 'called' ? 0 : 1) || a.number - b.number);
    const rows = [];
    for (const x of list) {
      const tr = row([x.number, x.status === 'called' ? 'Ở bàn ' + x.desk : 'Đang chờ', x.name, x.cccd_masked, x.village],
        x.status === 'called' ? (cur && cur.id === x.id ? 'q-called q-mine' : 'q-called') : '');
      tr.dataset.id = x.id;
      rows.push(tr);
    }
    tb.replaceChildren(...rows);
    const known = list.filter(x => x.status === 'waiting').length;
    K.text($('#queue-count'), '(' + K.num(Math.max(waitingTotal, known)) + ' người chờ)');
    K.show($('#queue-empty'), !list.length);
    const more = Math.max(0, waitingTotal - known);
    K.text($('#queue-more'), more ? 'Còn ' + K.num(more) + ' người chờ phía sau.' : '');
    K.show($('#queue-more'), more > 0);
  };
  const counters = tn => { for (const el of K.$$('#vol-tonight [data-k]')) K.text(el, K.num(tn[el.dataset.k])); };
  const onBoard = b => {
    if (!on) return;
    counters(b.tonight || {});
    if (typeof b.waiting === 'number') { waitingTotal = b.waiting; schedule(); }
    const p = b.progress || {};
    const line = p.target > 0 ? (p.village || '') + ': ' + K.num(p.have) + '/' + K.num(p.target) + ' người (' + pct(p.percent) + ')' +
      (p.other_villages_done ? ' · Thôn khác: ' + K.num(p.other_villages_done) : '') : '';
    K.text($('#vol-progress'), line); K.show($('#vol-progress'), !!line);
    const sa = b.store_alert;
    K.text($('#vol-store'), sa ? sa.message : ''); K.show($('#vol-store'), !!sa);
    K.show($('#vol-tv-mute'), b.tv_speech === 'none');
  };
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
  const done = text => {
    if (cur) { full.delete(cur.id); tickets.delete(cur.id); }
    cur = null; draw(); msg(text);
  };
  // edits returns the changes typed in "Sửa thông tin" and not yet saved
  // (null when the form shows errors): they go with the completion, never
  // silently dropped (issue 11, finding 3).
  const edits = c => {
    if (ef.hidden) return {};
    K.form.clear(ef);
    const {data, errs} = K.form.read(ef, true);
    if (Object.keys(errs).length) { K.form.show(ef, errs); return null; }
    const changes = {};
    for (const k of FIELDS) if ((data[k] || k === 'association') && data[k] !== c[k]) changes[k] = data[k];
    return changes;
  };
  const complete = (outcome, reason, note) => {
    const c = cur, changes = edits(c);
    if (!changes) { msg('Thông tin đang sửa còn ô chưa đúng: sửa lại hoặc bấm Huỷ rồi ghi kết quả.'); return; }
    act(async () => {
      const body = {outcome, device_time: new Date().toISOString()};
      if (reason) body.reason = reason;
      if (note) body.note = note;
      const withEdits = Object.keys(changes).length > 0;
      if (withEdits) body.citizen = changes;
      try {
        await api('POST', ticketURL(c, 'complete'), body);
      } catch (e) {
        if (withEdits && e.field && e.status === 422 && e.code !== 'invalid_note') K.form.show(ef, {[e.field]: e.message});
        throw e;
      }
      const what = outcome === 'activated' ? 'kích hoạt thành công' : 'không thành công';
      done('Đã ghi: số ' + c.number + ' ' + what + '.' + (withEdits ? ' Đã ghi kèm thông tin vừa sửa.' : ''));
      recentLater();
    });
  };

  K.on($('#btn-next'), 'click', () => {
    if (cur && !(armed > Date.now())) {
      armed = Date.now() + 6000;
      msg('Số ' + cur.number + ' chưa có kết quả. Bấm lần nữa nếu vẫn muốn gọi người tiếp theo.');
      return;
    }
    armed = 0;
    act(async () => {
      const n = desk();
      let r;
      try {
        r = await api('POST', '/api/v1/desks/' + n + '/next');
      } catch (e) {
        if (e.code === 'desk_taken') { held = 0; deskMsg(e.message, await freeDesk()); return; }
        throw e;
      }
      held = n;
      deskMsg('');
      if (r.status === 204 || !r.data) { msg('Không còn ai đang chờ.'); return; }
      if (r.data.citizen) full.set(r.data.id, r.data.citizen);
      tickets.set(r.data.id, r.data);
      cur = view(r.data);
      draw();
      msg('Đã gọi số ' + r.data.number + ' đến bàn ' + n + '.');
    });
  });
  K.on($('#btn-recall'), 'click', () => act(async () => {
    await api('POST', ticketURL(cur, 'recall'));
    msg('Đã gọi lại số ' + cur.number + '.');
  }));
  K.on($('#btn-noshow'), 'click', () => act(async () => {
    const c = cur;
    await api('POST', ticketURL(c, 'no-show'));
    done('Đã ghi vắng mặt: số ' + c.number + '. Khi người này quay lại, mở “Vắng mặt và đã rời hàng”.');
    asideLater();
  }));
  K.on($('#btn-requeue'), 'click', () => act(async () => {
    const c = cur;
    await api('POST', ticketURL(c, 'requeue'));
    done('Đã xếp số ' + c.number + ' lại vào hàng.');
  }));
  K.on($('#btn-activated'), 'click', () => complete('activated'));
  K.on($('#btn-failed'), 'click', () => {
    const open = $('#fail-reasons').hidden;
    for (const s of ['#fail-reasons', '#fail-other']) K.show($(s), false);
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
  K.on($('#btn-fail-cancel'), 'click', () => { for (const s of ['#fail-reasons', '#fail-other']) K.show($(s), false); });

  // ---- corrections before the outcome ----
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
    const c = cur, changes = edits(c);
    if (!changes) return;
    if (!Object.keys(changes).length) { closePanels(); msg('Không có gì thay đổi.'); return; }
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

  // ---- corrections after the outcome ("Sửa") ----
  let recentT = 0;
  const recentLater = () => { clearTimeout(recentT); if ($('#recent-card').open) recentT = setTimeout(loadRecent, 200); };
  const loadRecent = async () => {
    let r;
    try { r = await api('GET', '/api/v1/completions/recent' + ($('#recent-all').checked ? '' : '?mine=1')); } catch (e) { return; }
    const recs = (r.data && r.data.records) || [];
    const rows = [];
    for (const x of recs) {
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'btn fix'; b.textContent = 'Sửa';
      b.dataset.id = x.id;
      K.on(b, 'click', () => openFix(x));
      const res = x.outcome === 'activated' ? 'Đã kích hoạt' : 'Không thành công' + (x.reason ? ': ' + (REASONS[x.reason.split(':')[0]] || x.reason) : '');
      const tr = row([x.number || x.ticket, x.name + (x.corrected ? ' (đã sửa)' : ''), res, when(x.recorded_at), b]);
      tr.dataset.id = x.id;
      rows.push(tr);
    }
    $('#recent-list').replaceChildren(...rows);
    K.show($('#recent-empty'), !recs.length);
  };
  K.on($('#recent-card'), 'toggle', () => { if ($('#recent-card').open) loadRecent(); });
  K.on($('#recent-all'), 'change', loadRecent);
  const fixOutcome = () => K.show($('#fix-reason-field'), (ff.elements.outcome.value || '') === 'failed');
  const openFix = x => {
    fixing = x;
    ff.reset();
    K.form.clear(ff);
    K.form.fill(ff, Object.assign({}, x, {cccd: x.cccd_masked, phone: x.phone_masked}));
    for (const r of K.$$('[name=outcome]', ff)) r.checked = r.value === x.outcome;
    const code = (x.reason || '').split(':')[0];
    ff.elements.reason.value = REASONS[code] ? code : 'other';
    fixOutcome();
    K.text($('#fix-number'), x.ticket);
    K.show(ff, true);
    ff.elements.name.focus();
  };
  for (const r of K.$$('[name=outcome]', ff)) K.on(r, 'change', fixOutcome);
  K.on($('#btn-fix-cancel'), 'click', () => { fixing = null; K.show(ff, false); });
  K.on(ff, 'submit', ev => {
    ev.preventDefault();
    const x = fixing;
    if (!x) return;
    K.form.clear(ff);
    const {data, errs} = K.form.read(ff, true);
    if (Object.keys(errs).length) { K.form.show(ff, errs); return; }
    const was = Object.assign({}, x, {cccd: x.cccd_masked, phone: x.phone_masked});
    const changes = {};
    for (const k of FIELDS) if ((data[k] || k === 'association') && data[k] !== was[k]) changes[k] = data[k];
    const outcome = ff.elements.outcome.value || x.outcome;
    const body = {outcome};
    if (Object.keys(changes).length) body.citizen = changes;
    if (outcome === 'failed') body.reason = ff.elements.reason.value;
    const note = ff.elements.note.value.trim();
    if (note) body.note = note;
    const sameReason = outcome !== 'failed' || (x.reason || '').split(':')[0] === body.reason;
    if (!body.citizen && outcome === x.outcome && sameReason && !note) { K.form.show(ff, {_: 'Không có gì thay đổi.'}); return; }
    act(async () => {
      try {
        await api('POST', '/api/v1/records/' + enc(x.id) + '/correct', body);
      } catch (e) {
        if (e.status !== 401) K.form.show(ff, {[e.field || '_']: e.message});
        return;
      }
      fixing = null;
      K.show(ff, false);
      msg('Đã sửa kết quả số ' + x.ticket + '. Bản sửa sẽ được gửi về xã thay cho bản cũ.');
      loadRecent();
    });
  });

  // ---- no-shows and citizens who left: back to their place ----
  let asideT = 0;
  const asideLater = () => { clearTimeout(asideT); asideT = setTimeout(loadAside, 300); };
  const loadAside = async () => {
    if (!on) return;
    let r;
    try { r = await api('GET', '/api/v1/set-aside'); } catch (e) { return; }
    const list = (r.data && r.data.tickets) || [];
    const rows = [];
    for (const x of list) {
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'btn restore'; b.textContent = 'Cho vào lại chỗ cũ';
      K.on(b, 'click', () => act(async () => {
        await api('POST', '/api/v1/tickets/' + enc(x.id) + '/restore');
        msg('Đã cho số ' + x.number + ' vào lại hàng chờ, đúng chỗ cũ.');
        loadAside();
      }));
      const tr = row([x.number, x.name, x.status === 'no_show' ? 'Vắng khi được gọi' : 'Đã rời hàng', b]);
      tr.dataset.id = x.id;
      rows.push(tr);
    }
    $('#aside-list').replaceChildren(...rows);
    K.text($('#aside-count'), list.length ? '(' + list.length + ')' : '');
    K.show($('#aside-empty'), !list.length);
  };
  K.on($('#aside-card'), 'toggle', () => { if ($('#aside-card').open) loadAside(); });

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
  K.on($('#btn-free-desk'), 'click', () => {
    const n = +$('#btn-free-desk').dataset.desk;
    if (n) act(() => claim(n));
  });
  document.addEventListener('kyso:paired', ev => {
    try { sessionStorage.setItem(PAIRED, ev.detail || ''); } catch (e) { /* private mode */ }
  });
  const d = stored(DESK);
  if (Array.from(deskSel.options).some(o => o.value === d)) deskSel.value = d;
  K.on(deskSel, 'change', () => {
    msg('');
    if (cur) msg('Số ' + cur.number + ' vẫn là người bạn đang phục vụ.');
    act(() => claim(desk()));
  });
  login.elements.volunteer.value = stored(NAME);
  K.form.wire(wf);
  K.form.wire(ef);
  K.form.wire(ff);
  $('button[type=submit]', login).disabled = false;
  K.api('GET', '/api/v1/session').then(r => signedIn(r.data || {}), e => signedOut(e.status === 401 ? pairedNote() : e.message));
})();
