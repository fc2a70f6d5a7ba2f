// The outreach page: who has not come, by unit; marks; rosters; sessions;
// VNPT reconciliation. Plain script, no framework; every request carries
// the session's CSRF token.
(function () {
  'use strict';
  var STATUS = { activated: 'Đã kích hoạt', failed: 'Chưa thành công', invited: 'Đã mời', unreachable: 'Không liên lạc được', not_yet: 'Chưa cài' };
  var REASONS = [['', '—'], ['away', 'Đi làm ăn xa'], ['moved', 'Đã chuyển đi'], ['deceased', 'Đã mất'], ['refuses', 'Không muốn cài'], ['no_smartphone', 'Không có điện thoại thông minh'], ['other', 'Lý do khác']];
  var REASON = {};
  REASONS.forEach(function (r) { REASON[r[0]] = r[1]; });
  var SESSIONS = []; // the last sessions listed: names of invitations, targets of a move

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function csrf() { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ''; }
  function num(n) { return (n || 0).toLocaleString('vi-VN'); }
  function pct(p) { return (Math.round((p || 0) * 10) / 10).toLocaleString('vi-VN') + '%'; }
  function date(iso) {
    if (!iso) { return '—'; }
    var p = iso.split('-');
    return p.length === 3 ? p[2] + '/' + p[1] + '/' + p[0] : iso;
  }
  function request(method, url, body) {
    var opts = { method: method, headers: { 'X-CSRF-Token': csrf() }, credentials: 'same-origin' };
    if (body instanceof FormData) { opts.body = body; } else if (body !== undefined) {
      opts.body = JSON.stringify(body);
      opts.headers['Content-Type'] = 'application/json';
    }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (t) {
        var j = null;
        try { j = t ? JSON.parse(t) : null; } catch (e) { j = null; }
        if (!r.ok) {
          var msg = (j && j.error && j.error.message) || ('Lỗi ' + r.status);
          var err = new Error(msg);
          err.code = j && j.error && j.error.code;
          throw err;
        }
        return j;
      });
    });
  }
  function say(id, text, bad) {
    var box = $(id);
    if (!box) { return; }
    box.textContent = text;
    box.className = bad ? 'notice bad' : 'notice';
  }
  function fill(table, rows, empty, cols) {
    var tb = $(table).querySelector('tbody');
    tb.textContent = '';
    if (!rows.length) {
      var tr = el('tr'); var td = el('td', empty, 'muted'); td.colSpan = cols; tr.appendChild(td); tb.appendChild(tr);
      return;
    }
    rows.forEach(function (r) { tb.appendChild(r); });
  }
  function row(cells) {
    var tr = el('tr');
    cells.forEach(function (c) {
      var td = el('td');
      if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c === undefined || c === null ? '' : String(c); }
      tr.appendChild(td);
    });
    return tr;
  }

  // ---- who has not come ----
  function query() {
    var q = [];
    ['f-village', 'f-association', 'f-status', 'f-q'].forEach(function (id) {
      var e = $(id);
      if (e && e.value) { q.push(e.name + '=' + encodeURIComponent(e.value)); }
    });
    return q.join('&');
  }
  function markControl(p) {
    var wrap = el('span', null, 'mark');
    var sel = el('select');
    sel.setAttribute('aria-label', 'Lý do không liên lạc được: ' + p.name);
    REASONS.forEach(function (r) {
      var o = el('option', r[1]); o.value = r[0];
      if (p.status === 'unreachable' && p.reason === r[0]) { o.selected = true; }
      sel.appendChild(o);
    });
    var b = el('button', 'Ghi');
    b.type = 'button';
    b.addEventListener('click', function () {
      b.disabled = true;
      request('POST', '/api/v1/outreach/' + encodeURIComponent(p.key) + '/mark', { reason: sel.value })
        .then(function () { loadPeople(); loadUnits(); })
        .catch(function (e) { alert(e.message); b.disabled = false; });
    });
    wrap.appendChild(sel); wrap.appendChild(b);
    return wrap;
  }
  function invitedTo(id) {
    var s = SESSIONS.filter(function (x) { return x.id === id; })[0];
    return s ? 'Mời ' + date(s.date) + ' lúc ' + s.start : 'Đã mời';
  }
  function loadPeople() {
    var q = query();
    $('export-link').href = '/export/outreach.xlsx' + (q ? '?' + q : '');
    return request('GET', '/api/v1/outreach' + (q ? '?' + q : '')).then(function (d) {
      var t = d.total;
      $('totals').textContent = 'Đủ tuổi: ' + num(t.eligible) + ' · Đã kích hoạt: ' + num(t.activated) + ' · Đã mời: ' + num(t.invited) +
        ' · Chưa thành công: ' + num(t.failed) + ' · Không liên lạc được: ' + num(t.unreachable) + ' · Chưa cài: ' + num(t.not_yet) +
        (t.no_cccd ? ' · Chưa có CCCD: ' + num(t.no_cccd) : '');
      var rows = d.people.map(function (p) {
        var note = p.status === 'unreachable' ? (REASON[p.reason] || p.reason) : (p.reason || (p.session ? invitedTo(p.session) : ''));
        var tr = row([p.name, date(p.birth_date), p.household, p.cccd_masked || 'Chưa có CCCD', STATUS[p.status] || p.status, note,
          p.status === 'activated' ? '' : markControl(p)]);
        tr.className = 'st-' + p.status;
        tr.dataset.key = p.key;
        return tr;
      });
      fill('t-people', rows, 'Không có ai trong danh sách này.', 7);
    }).catch(function (e) { say('totals', e.message, true); });
  }

  // ---- units ----
  function loadUnits() {
    return request('GET', '/api/v1/units').then(function (u) {
      var rows = [];
      [['villages', 'Thôn '], ['associations', '']].forEach(function (g) {
        (u[g[0]] || []).forEach(function (x) {
          var tr = row([x.rank, x.name, num(x.eligible), num(x.unreachable), num(x.target), num(x.activated), pct(x.percent), x.pace_needed ? num(x.pace_needed) : '—', date(x.last_activation)]);
          tr.className = 'unit-' + x.colour;
          tr.dataset.unit = x.name;
          rows.push(tr);
        });
      });
      fill('t-units', rows, 'Chưa có chỉ tiêu.', 9);
    }).catch(function () {});
  }

  // ---- rosters ----
  function rosterSubmit(ev) {
    ev.preventDefault();
    var f = ev.target;
    var fd = new FormData(f);
    var map = {};
    f.querySelectorAll('[data-field]').forEach(function (i) { if (i.value) { map[i.dataset.field] = i.value; } });
    if (Object.keys(map).length) { fd.set('mapping', JSON.stringify(map)); }
    say('roster-result', 'Đang đọc tệp…');
    request('POST', '/api/v1/roster', fd).then(function (r) {
      var t = 'Đã đọc ' + num(r.rows) + ' dòng: ' + num(r.people) + ' người, ' + num(r.households) + ' hộ, ' + num(r.eligible) +
        ' người đủ tuổi (' + num(r.no_cccd) + ' chưa có CCCD). Thêm mới ' + num(r.added) + ', cập nhật ' + num(r.updated) + ', không đổi ' + num(r.unchanged) + '.';
      say('roster-result', t);
      var box = $('roster-result');
      if (r.skipped && r.skipped.length) {
        var ul = el('ul');
        r.skipped.slice(0, 200).forEach(function (s) { ul.appendChild(el('li', 'Dòng ' + s.row + ': ' + s.reason)); });
        box.appendChild(el('p', 'Các dòng cần xem lại:')); box.appendChild(ul);
      }
      $('mapping').hidden = true;
      loadPeople(); loadUnits();
    }).catch(function (e) {
      say('roster-result', e.message, true);
      if (e.code === 'missing_column' || e.code === 'bad_mapping') { showMapping(); }
    });
  }
  // showMapping lets the official name the columns the reader could not
  // recognise: the header text as in the file, or the column number.
  function showMapping() {
    var m = $('mapping');
    m.textContent = '';
    m.appendChild(el('p', 'Ghi tên cột trong tệp (đúng như dòng tiêu đề) hoặc số thứ tự cột (1, 2, 3…) cho từng thông tin:'));
    [['name', 'Họ và tên'], ['cccd', 'Số CCCD'], ['birth_date', 'Ngày sinh'], ['gender', 'Giới tính'], ['phone', 'Số điện thoại'], ['household', 'Mã hộ / Số hộ'], ['relation', 'Quan hệ với chủ hộ'], ['village', 'Thôn']].forEach(function (f) {
      var l = el('label', f[1] + ' ');
      var i = el('input'); i.type = 'text'; i.dataset.field = f[0];
      l.appendChild(i); m.appendChild(l);
    });
    m.hidden = false;
  }

  // ---- sessions ----
  var OPEN = '';
  var COLS = 11;
  function when(s) { return date(s.date) + ' ' + s.start + '–' + s.end; }
  function loadSessions() {
    var fv = $('f-village');
    return request('GET', '/api/v1/sessions' + (fv && fv.value ? '?village=' + encodeURIComponent(fv.value) : '')).then(function (d) {
      SESSIONS = d.sessions;
      var rows = [];
      d.sessions.forEach(function (s) {
        var links = el('span', null, 'links');
        [['announcement.txt', 'Lời thông báo'], ['announcement.wav', 'Âm thanh'], ['invitations.pdf', 'Giấy mời'], ['list.pdf', 'Danh sách']].forEach(function (l, i) {
          if (i) { links.appendChild(document.createTextNode(' · ')); }
          var a = el('a', l[1]); a.href = '/export/sessions/' + encodeURIComponent(s.id) + '/' + l[0]; links.appendChild(a);
        });
        var cap = el('span', num(s.capacity));
        cap.appendChild(el('small', num(s.desks) + ' bàn × ' + s.rate.toLocaleString('vi-VN') + ' lượt/giờ' + (s.rate_source.indexOf('mặc định') === 0 ? ' (mặc định)' : ' (đo tại nhà văn hóa)'), 'rate'));
        cap.title = s.rate_source;
        var came = num(s.arrived) + (s.invited ? ' (' + pct(100 * s.arrived / s.invited) + ')' : '');
        var show = el('button', s.invited ? 'Xem ' + num(s.households) + ' hộ' : 'Chưa mời ai', 'show-households');
        show.type = 'button';
        show.disabled = !s.invited;
        show.addEventListener('click', function () { OPEN = OPEN === s.id ? '' : s.id; loadSessions(); });
        var tr = row([date(s.date), s.start + '–' + s.end, s.village, s.place, cap, num(s.invited) + ' người / ' + num(s.households) + ' hộ',
          came, num(s.activated), num(s.failed), show, links]);
        tr.dataset.session = s.id;
        tr.className = s.ended ? 'ended' : '';
        if (OPEN === s.id) { tr.className += ' open'; show.textContent = 'Ẩn danh sách hộ'; }
        rows.push(tr);
      });
      fill('t-sessions', rows, 'Chưa có buổi nào.', COLS);
      var box = $('session-households');
      var open = d.sessions.filter(function (s) { return s.id === OPEN; })[0];
      box.textContent = '';
      box.hidden = !open;
      if (open) { showHouseholds(open, box); }
    }).catch(function () {});
  }
  // showHouseholds lists the households invited to a session, each with a
  // control to move it to another evening of its village (or withdraw it).
  function showHouseholds(s, box) {
    box.appendChild(el('p', 'Đang tải…', 'muted'));
    request('GET', '/api/v1/sessions/' + encodeURIComponent(s.id)).then(function (d) {
      box.textContent = '';
      box.dataset.session = s.id;
      box.appendChild(el('h3', 'Các hộ được mời buổi ' + when(s) + ' tại ' + s.place + ' (thôn ' + s.village + ')'));
      var ul = el('ul', null, 'households');
      d.households.forEach(function (h) {
        var li = el('li');
        li.dataset.person = h.key;
        var names = h.members.map(function (m) { return m.name + (m.cccd_masked ? ' (' + m.cccd_masked + ')' : '') + (m.arrived ? ' — đã đến' : ''); });
        li.appendChild(el('span', 'Hộ ' + h.head + ': ' + names.join(', '), h.arrived ? 'arrived' : ''));
        if (!s.ended) { li.appendChild(moveControl(s, h)); }
        ul.appendChild(li);
      });
      box.appendChild(ul);
      box.appendChild(el('div', null, 'move-result'));
    }).catch(function (e) { box.textContent = e.message; });
  }
  function moveControl(s, h) {
    var wrap = el('span', null, 'move');
    var sel = el('select');
    sel.setAttribute('aria-label', 'Chuyển hộ ' + h.head + ' sang buổi');
    var none = el('option', 'Chọn buổi khác…'); none.value = '-'; sel.appendChild(none);
    SESSIONS.forEach(function (o) {
      if (o.id === s.id || o.ended || o.village !== s.village) { return; }
      var opt = el('option', when(o) + ' · còn ' + num(Math.max(0, o.capacity - o.invited)) + ' chỗ'); opt.value = o.id;
      sel.appendChild(opt);
    });
    var out = el('option', 'Rút khỏi buổi (chưa mời)'); out.value = ''; sel.appendChild(out);
    var b = el('button', 'Chuyển buổi');
    b.type = 'button';
    b.addEventListener('click', function () {
      if (sel.value === '-') { say2(b, 'Hãy chọn buổi muốn chuyển hộ ' + h.head + ' sang.', true); return; }
      b.disabled = true;
      var to = sel.value;
      request('POST', '/api/v1/invitations/move', { person: h.key, session: to }).then(function () {
        var target = SESSIONS.filter(function (o) { return o.id === to; })[0];
        var msg = target ? 'Đã chuyển hộ ' + h.head + ' sang buổi ' + when(target) + '.' : 'Đã rút hộ ' + h.head + ' khỏi buổi này.';
        say('session-result', msg);
        loadSessions(); loadPeople();
      }).catch(function (e) { say2(b, e.message, true); b.disabled = false; });
    });
    wrap.appendChild(sel); wrap.appendChild(b);
    return wrap;
  }
  // say2 writes a message under the households list.
  function say2(b, text, bad) {
    var box = $('session-households').querySelector('.move-result');
    if (!box) { alert(text); return; }
    box.textContent = text;
    box.className = 'move-result ' + (bad ? 'notice bad' : 'notice');
  }
  function sessionSubmit(ev) {
    ev.preventDefault();
    var f = ev.target;
    var s = { village: f.village.value, date: f.date.value, start: f.start.value, end: f.end.value, desks: parseInt(f.desks.value, 10), place: f.place.value };
    request('POST', '/api/v1/sessions', { sessions: [s] }).then(function (r) {
      var x = r.sessions[0];
      say('session-result', 'Đã thêm buổi ngày ' + date(x.date) + ', nhận được khoảng ' + num(x.capacity) + ' người (' + x.rate_source + ').');
      loadSessions();
    }).catch(function (e) { say('session-result', e.message, true); });
  }
  function generate(from) {
    var f = $('session-form');
    var all = $('gen-all');
    var body = { from: from, village: all && all.checked && from === 'rounds' ? '' : f.village.value, start: f.start.value, end: f.end.value, desks: parseInt(f.desks.value, 10) };
    if (from === 'evenings' && f.date.value) { body.start_date = f.date.value; }
    if (f.place.value) { body.place = f.place.value; }
    say('session-result', 'Đang tạo các buổi…');
    request('POST', '/api/v1/sessions/generate', body).then(function (r) {
      var t = r.sessions.length ? 'Đã tạo ' + num(r.sessions.length) + ' buổi, từ ' + date(r.sessions[0].date) + ' đến ' + date(r.sessions[r.sessions.length - 1].date) + '.' : 'Không có buổi mới nào để tạo.';
      if (r.skipped) { t += ' Bỏ qua ' + num(r.skipped) + ' buổi đã qua hoặc đã có.'; }
      say('session-result', t);
      loadSessions();
    }).catch(function (e) { say('session-result', e.message, true); });
  }
  function loadRate() {
    var f = $('session-form');
    if (!f || !$('rate-info') || !f.village.value) { return; }
    request('GET', '/api/v1/rate?village=' + encodeURIComponent(f.village.value)).then(function (r) {
      $('rate-info').textContent = 'Tốc độ dùng để tính sức chứa thôn ' + r.village + ': ' + r.rate.toLocaleString('vi-VN') + ' lượt/giờ/bàn — ' + r.rate_source + '.';
    }).catch(function () {});
  }
  function schedule() {
    var f = $('session-form');
    request('POST', '/api/v1/schedule', { village: f.village.value }).then(function (r) {
      var n = 0, hh = 0;
      r.sessions.forEach(function (s) { n += s.invited; hh += s.households; });
      var t = 'Đã lên lịch: ' + num(n) + ' người (' + num(hh) + ' hộ) được mời.' + (r.left ? ' Còn ' + num(r.left) + ' người chưa có chỗ: hãy thêm buổi.' : '');
      r.sessions.forEach(function (s) { if (s.oversize) { t += ' Hộ ' + s.oversize.join(', ') + ' đông hơn sức chứa một buổi nên được mời riêng.'; } });
      if (r.too_large) { t += ' Hộ ' + r.too_large.join(', ') + ' đông hơn sức chứa mọi buổi và chưa có buổi trống để mời riêng: hãy thêm một buổi.'; }
      say('session-result', t);
      loadSessions(); loadPeople();
    }).catch(function (e) { say('session-result', e.message, true); });
  }

  // ---- admin: VNPT, logins, export log ----
  function loadRecon() {
    if (!$('t-recon')) { return; }
    request('GET', '/api/v1/reconciliation').then(function (r) {
      var rows = r.villages.map(function (v) { return row([v.name, num(v.kyso_activated), num(v.vnpt_confirmed), num(v.both), num(v.kyso_only), num(v.vnpt_only)]); });
      var t = r.total;
      var tr = row([t.name, num(t.kyso_activated), num(t.vnpt_confirmed), num(t.both), num(t.kyso_only), num(t.vnpt_only)]);
      tr.className = 'total';
      rows.push(tr);
      fill('t-recon', rows, '', 6);
    }).catch(function () {});
  }
  function vnptSubmit(ev) {
    ev.preventDefault();
    say('vnpt-result', 'Đang đọc báo cáo…');
    request('POST', '/api/v1/vnpt-report', new FormData(ev.target)).then(function (r) {
      say('vnpt-result', 'Báo cáo có ' + num(r.rows) + ' dòng, ' + num(r.activated) + ' người đã kích hoạt; ' + num(r.matched_roster) +
        ' người có trong sổ hộ, ' + num(r.matched_kyso) + ' người kyso đã ghi nhận.');
      loadRecon(); loadPeople(); loadUnits();
    }).catch(function (e) { say('vnpt-result', e.message, true); });
  }
  function userSubmit(ev) {
    ev.preventDefault();
    var f = ev.target;
    request('POST', '/api/v1/users', { login: f.login.value, password: f.password.value, village: f.village.value, association: f.association.value })
      .then(function (u) { say('user-result', 'Đã tạo tài khoản ' + u.login + ' cho ' + (u.village ? 'thôn ' + u.village : u.association) + '.'); f.reset(); })
      .catch(function (e) { say('user-result', e.message, true); });
  }
  function loadAudit() {
    if (!$('t-audit')) { return; }
    request('GET', '/api/v1/exports-log').then(function (d) {
      fill('t-audit', d.exports.slice(0, 100).map(function (e) {
        return row([new Date(e.at).toLocaleString('vi-VN'), e.login, e.export, e.filter, num(e.rows)]);
      }), 'Chưa có lần tải nào.', 5);
    }).catch(function () {});
  }

  function on(id, ev, fn) { var e = $(id); if (e) { e.addEventListener(ev, fn); } }
  document.addEventListener('DOMContentLoaded', function () {
    ['f-village', 'f-association', 'f-status'].forEach(function (id) { on(id, 'change', loadPeople); });
    on('f-village', 'change', loadSessions);
    var t;
    on('f-q', 'input', function () { clearTimeout(t); t = setTimeout(loadPeople, 300); });
    on('filters', 'submit', function (e) { e.preventDefault(); loadPeople(); });
    on('roster-form', 'submit', rosterSubmit);
    on('session-form', 'submit', sessionSubmit);
    on('schedule', 'click', schedule);
    on('gen-rounds', 'click', function () { generate('rounds'); });
    on('gen-evenings', 'click', function () { generate('evenings'); });
    var sv = $('session-form') && $('session-form').village;
    if (sv && sv.tagName === 'SELECT') { sv.addEventListener('change', loadRate); }
    loadRate();
    on('vnpt-form', 'submit', vnptSubmit);
    on('user-form', 'submit', userSubmit);
    loadSessions().then(loadPeople); loadUnits(); loadRecon(); loadAudit();
  });
}());
