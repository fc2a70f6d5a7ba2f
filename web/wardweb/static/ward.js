// ward.js — refreshes the dashboard's numbers every few seconds. The page
// is complete without it (server-rendered); this only keeps it live.
// No inline code anywhere: CSP is default-src 'self'.
(function () {
  'use strict';
  var PERIOD = 5000;
  var nf = new Intl.NumberFormat('vi-VN');
  var df = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 });
  var pf = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  function num(n) { return nf.format(n || 0); }
  function dec(n) { return df.format(n || 0); }
  function pct(n) { return pf.format(n || 0) + ' %'; }
  function date(s) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s || '');
    return m ? m[3] + '/' + m[2] + '/' + m[1] : (s || '');
  }
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function datetime(s) {
    if (!s) { return '—'; }
    var d = new Date(new Date(s).getTime() + 7 * 3600 * 1000); // Vietnam time
    if (isNaN(d.getTime()) || d.getUTCFullYear() < 1971) { return '—'; }
    return two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + ' ' + two(d.getUTCDate()) + '/' +
      two(d.getUTCMonth() + 1) + '/' + d.getUTCFullYear();
  }
  function ago(s, now) {
    if (!s) { return 'chưa bao giờ'; }
    var d = (now - new Date(s).getTime()) / 1000;
    if (d < 60) { return 'vừa xong'; }
    if (d < 3600) { return Math.floor(d / 60) + ' phút trước'; }
    if (d < 48 * 3600) { return Math.floor(d / 3600) + ' giờ trước'; }
    return Math.floor(d / 86400) + ' ngày trước';
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function bar(p) {
    var b = document.createElement('progress');
    b.max = 100;
    b.value = Math.min(100, p || 0);
    return b;
  }
  function fill(tbody, rows, empty, cols) {
    if (!tbody) { return; }
    while (tbody.firstChild) { tbody.removeChild(tbody.firstChild); }
    if (!rows.length && empty) {
      var tr = el('tr'); var td = el('td', empty, 'muted'); td.colSpan = cols; tr.appendChild(td); tbody.appendChild(tr);
      return;
    }
    rows.forEach(function (r) {
      var tr = el('tr', null, r.cls || '');
      r.cells.forEach(function (c) {
        var td = el(r.head ? 'th' : 'td');
        if (c instanceof Node) { td.appendChild(c); } else { td.textContent = c; }
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
  }
  function $(id) { return document.getElementById(id); }
  function part(id, sel) { var t = $(id); return t ? t.querySelector(sel) : null; }

  function getJSON(url) {
    return fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } }).then(function (r) {
      if (!r.ok) { throw new Error(url + ': ' + r.status); }
      return r.json();
    });
  }

  function renderProgress(p) {
    var t = p.total;
    document.querySelectorAll('#t-total [data-k]').forEach(function (e) {
      var k = e.getAttribute('data-k');
      e.textContent = k === 'percent' ? pct(t[k]) : num(t[k]);
    });
    var pt = $('p-total'); if (pt) { pt.value = Math.min(100, t.percent); }
    $('updated').textContent = datetime(p.updated_at);
    fill(part('t-villages', 'tbody'), p.villages.map(function (v) {
      return { cls: v.target > 0 && v.remaining === 0 ? 'met' : '', cells: [v.name, num(v.base), num(v.target), num(v.before), num(v.done), num(v.have), pct(v.percent), num(v.remaining), bar(v.percent)] };
    }), 'Chưa có chỉ tiêu thôn.', 9);
    fill(part('t-villages', 'tfoot'), [{ head: true, cells: ['Cộng', num(t.base), num(t.target), num(t.before), num(t.done), num(t.have), pct(t.percent), num(t.remaining), ''] }]);
    var others = $('others');
    if (others) { others.hidden = !p.other_villages.length; }
    fill(part('t-others', 'tbody'), p.other_villages.map(function (v) { return { cells: [v.name, num(v.done)] }; }));
    var assocs = p.associations.map(function (a) {
      return { cells: [a.name, num(a.target), num(a.before), num(a.done), num(a.have), pct(a.percent), num(a.remaining)] };
    }).concat(p.other_associations.map(function (a) {
      return { cls: 'other', cells: [a.name + ' (ngoài chỉ tiêu)', '—', '—', num(a.done), num(a.have), '—', '—'] };
    }));
    fill(part('t-assocs', 'tbody'), assocs, 'Chưa có chỉ tiêu đoàn thể.', 7);
    fill(part('t-rounds', 'tbody'), p.rounds.map(function (r) {
      return { cls: r.current ? 'current' : '', cells: [r.name, date(r.from), date(r.to), r.target ? num(r.target) : '—', num(r.done), r.target ? pct(r.percent) : '—'] };
    }), 'Chưa khai báo đợt.', 6);
    fill(part('t-days', 'tbody'), p.days.map(function (d) { return { cells: [date(d.date), num(d.done)] }; }), 'Chưa có số liệu.', 2);
    var f = p.forecast;
    function judge(r) {
      if (r.met) { return 'Đã đạt'; }
      if (!f.enough) { return 'Chưa đủ số liệu'; }
      if (r.on_track) { return 'Kịp hạn'; }
      return r.needed_per_day ? 'Chậm' : '—';
    }
    function eta(r) {
      if (r.met) { return 'Đã đạt'; }
      if (!f.enough) { return f.enough_from ? 'Đủ dữ liệu từ ngày ' + date(f.enough_from) : 'Chưa có số liệu'; }
      if (r.eta) { return date(r.eta); }
      return r.beyond ? 'Hơn một năm sau hạn' : 'Chưa ước tính được';
    }
    function frow(r, head) {
      return { head: head, cells: [r.name, num(r.remaining), dec(r.rate_per_day), eta(r), r.needed_per_day ? dec(r.needed_per_day) : '—', judge(r)] };
    }
    fill(part('t-forecast', 'tbody'), f.villages.map(function (r) { return frow(r, false); }));
    fill(part('t-forecast', 'tfoot'), [frow(f.total, true)]);
    var note = $('forecast-note');
    if (note) {
      note.textContent = forecastNote(f);
    }
  }

  // forecastNote says what the forecast rests on, plainly when it is too
  // little: one evening does not predict the campaign.
  function forecastNote(f) {
    var t = 'Theo tốc độ ' + Math.min(f.data_days, f.window_days) + ' ngày vận động gần nhất (đến hôm nay ' + date(f.today) + ')';
    if (!f.enough) {
      t = 'Mới có số liệu ' + f.data_days + ' ngày: chưa đủ để dự báo' + (f.enough_from ? ' (đủ dữ liệu từ ngày ' + date(f.enough_from) + ')' : '');
    }
    if (f.deadline) {
      t += '; hạn hoàn thành ' + date(f.deadline) + ', còn ' + f.days_left + ' ngày (' + f.session_days_left + ' ngày vận động).';
    } else {
      t += '; chưa đặt hạn hoàn thành.';
    }
    return t;
  }

  // csrf is the page's token, for the forms ward.js draws itself.
  function csrf() {
    var e = document.querySelector('input[name="csrf_token"]');
    return e ? e.value : '';
  }
  function hidden(name, value) {
    var i = el('input'); i.type = 'hidden'; i.name = name; i.value = value;
    return i;
  }
  // kioskCell names the kiosk; an unregistered one (seen on the LAN, say)
  // gets the "Đăng ký" button that gives it a token.
  function kioskCell(x) {
    var span = el('span', x.kiosk_id);
    if (x.registered) { return span; }
    span.appendChild(document.createTextNode(' '));
    span.appendChild(el('span', '(chưa đăng ký)', 'warn'));
    var f = el('form', null, 'inline register');
    f.method = 'post'; f.action = '/ui/kiosks';
    f.appendChild(hidden('csrf_token', csrf()));
    f.appendChild(hidden('id', x.kiosk_id));
    var b = el('button', 'Đăng ký'); b.type = 'submit'; b.title = 'Cấp mã truy cập cho điểm này';
    f.appendChild(b);
    span.appendChild(document.createTextNode(' '));
    span.appendChild(f);
    return span;
  }

  function renderKiosks(k) {
    var now = new Date(k.ward_time).getTime() || Date.now();
    fill(part('t-kiosks', 'tbody'), k.kiosks.map(function (x) {
      return { cls: 'st-' + x.status, cells: [kioskCell(x), x.status_text, ago(x.last_contact, now), x.reached_text, num(x.acked_seq), num(x.head_seq), num(x.pending), x.skew_text, x.version || '', x.lan_text || '—', (x.pull_url || '') + (x.pull_error ? ' — ' + x.pull_error : '')] };
    }), 'Chưa có điểm nào.', 11);
  }

  function renderQuarantine(q) {
    fill(part('t-quarantine', 'tbody'), q.items.map(function (x) {
      return { cells: [x.kiosk_id, String(x.seq), datetime(x.received_at), x.via, x.held, x.got, x.differs] };
    }), 'Không có xung đột.', 7);
  }

  function tick() {
    var status = $('live-status');
    Promise.all([
      getJSON('/api/v1/progress/full').then(renderProgress),
      getJSON('/api/v1/kiosks').then(renderKiosks),
      getJSON('/api/v1/quarantine').then(renderQuarantine)
    ]).then(function () {
      if (status) { status.textContent = ''; }
    }).catch(function () {
      if (status) { status.textContent = '· mất kết nối, đang thử lại…'; }
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!$('t-villages')) { return; }
    setInterval(tick, PERIOD);
  });
})();
