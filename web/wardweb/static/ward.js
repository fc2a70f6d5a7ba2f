// ward.js — keeps the ward's pages live over server-sent events: the
// dashboard (admin stream /api/v1/progress/full/events) and the public
// screen (/progress, stream /api/v1/progress/events). The pages are
// complete without it (server-rendered); this only keeps them live. It also
// wires the print button of the printable lists.
// No inline code anywhere: CSP is default-src 'self'.
(function () {
  'use strict';
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

  // statusCell adds what a kiosk that rebuilt its damaged store lost.
  function statusCell(x) {
    if (!x.repair_text) { return x.status_text; }
    var span = el('span', x.status_text);
    span.appendChild(el('br'));
    span.appendChild(el('span', x.repair_text, 'warn'));
    return span;
  }

  function renderKiosks(k) {
    var now = new Date(k.ward_time).getTime() || Date.now();
    fill(part('t-kiosks', 'tbody'), k.kiosks.map(function (x) {
      return { cls: 'st-' + x.status, cells: [kioskCell(x), statusCell(x), ago(x.last_contact, now), x.reached_text, num(x.acked_seq), num(x.head_seq), num(x.pending), x.skew_text, x.version || '', x.lan_text || '—', (x.pull_url || '') + (x.pull_error ? ' — ' + x.pull_error : '')] };
    }), 'Chưa có điểm nào.', 11);
  }

  // resolveForm is the quarantine row's "keep which version, why" form.
  function resolveForm(x) {
    var f = el('form', null, 'resolve');
    f.method = 'post'; f.action = '/ui/quarantine/' + encodeURIComponent(x.kiosk_id) + '/' + x.seq + '/resolve';
    f.appendChild(hidden('csrf_token', csrf()));
    var sel = el('select'); sel.name = 'keep'; sel.setAttribute('aria-label', 'Chọn bản giữ lại');
    [['stored', 'Giữ bản đã lưu'], ['received', 'Lấy bản nhận sau']].forEach(function (o) {
      var op = el('option', o[1]); op.value = o[0]; sel.appendChild(op);
    });
    var why = el('input'); why.name = 'why'; why.required = true; why.maxLength = 300; why.placeholder = 'Lý do'; why.setAttribute('aria-label', 'Lý do');
    var b = el('button', 'Xử lý'); b.type = 'submit';
    f.appendChild(sel); f.appendChild(why); f.appendChild(b);
    return f;
  }

  function renderQuarantine(items) {
    fill(part('t-quarantine', 'tbody'), items.map(function (x) {
      return { cells: [x.kiosk_id, String(x.seq), datetime(x.received_at), x.via, x.held, x.got, x.differs, resolveForm(x)] };
    }), 'Không có xung đột.', 8);
  }

  function renderTallies(t) {
    if (!t) { return; }
    function rows(list) {
      return (list || []).map(function (h) {
        return { cells: [h.name, num(h.attempts), num(h.activated), num(h.counted), num(h.failed), h.reasons_text || ''] };
      });
    }
    fill(part('t-helpers', 'tbody'), rows(t.helpers), 'Chưa có số liệu.', 6);
    fill(part('t-houses', 'tbody'), rows(t.houses), 'Chưa có số liệu.', 6);
  }

  // A form being filled in (a quarantine reason) is not redrawn under the
  // official's fingers: the quarantine table waits until it is left.
  function busy(id) {
    var t = $(id), a = document.activeElement;
    return !!(t && a && t.contains(a) && (a.tagName === 'INPUT' || a.tagName === 'SELECT'));
  }

  function renderDashboard(d) {
    renderProgress(d.progress);
    renderKiosks({ kiosks: d.kiosks || [], ward_time: d.ward_time });
    if (!busy('t-quarantine')) { renderQuarantine(d.quarantine || []); }
    renderTallies(d.tallies);
  }

  // live opens an event stream with the kiosk board's reconnection rules
  // (web/static/js/common.js): EventSource retries network errors itself
  // but gives up on an HTTP error, and its fixed delay makes every screen
  // reconnect in lockstep after a restart; so on any error it is closed
  // and reopened with jittered exponential backoff (1 s … 30 s), and at
  // once when a sleeping screen wakes. A stream silent for longer than
  // quiet ms is taken for dead and reopened.
  function live(url, event, onData, onState, quiet) {
    var es = null, timer = 0, delay = 1000, last = 0;
    function connect() {
      timer = 0;
      es = new EventSource(url);
      es.addEventListener(event, function (ev) {
        var d;
        try { d = JSON.parse(ev.data); } catch (e) { return; }
        delay = 1000; last = Date.now();
        onState(true);
        onData(d);
      });
      es.onopen = function () { last = Date.now(); };
      es.onerror = function () {
        if (es) { es.close(); }
        es = null;
        onState(false);
        retry();
      };
    }
    function retry() {
      if (timer) { return; }
      timer = setTimeout(connect, delay / 2 + Math.random() * delay);
      delay = Math.min(delay * 2, 30000);
    }
    document.addEventListener('visibilitychange', function () {
      if (document.hidden) { return; }
      if (!es) { clearTimeout(timer); timer = 0; connect(); }
    });
    if (quiet) {
      setInterval(function () {
        if (es && last && Date.now() - last > quiet) { es.close(); es = null; onState(false); retry(); }
      }, 5000);
    }
    connect();
  }

  function dashboard() {
    var status = $('live-status');
    live('/api/v1/progress/full/events', 'dashboard', renderDashboard, function (up) {
      if (!status) { return; }
      if (up) { status.textContent = 'số liệu trực tiếp'; status.className = ''; return; }
      status.textContent = 'mất kết nối, đang thử lại…'; status.className = 'warn';
      // A stream refused for an ended session never comes back by itself.
      getJSON('/api/v1/session').catch(function (e) {
        if (/: 401$/.test(e.message)) { status.textContent = 'phiên đăng nhập đã hết, hãy tải lại trang'; }
      });
    }, 75000);
  }

  // ---- the public screen ----

  function renderScreen(p) {
    var t = p.total;
    document.querySelectorAll('#s-total [data-k]').forEach(function (e) {
      var k = e.getAttribute('data-k');
      e.textContent = k === 'percent' ? pct(t[k]) : num(t[k]);
    });
    var bar0 = $('s-bar'); if (bar0) { bar0.value = Math.min(100, t.percent); }
    $('s-updated').textContent = datetime(p.updated_at);
    function rows(list, other) {
      return list.map(function (v) {
        return { cls: v.target > 0 && v.remaining === 0 ? 'met' : '', cells: [v.name, num(v.have), num(v.target), pct(v.percent), bar(v.percent)] };
      }).concat((other || []).map(function (v) {
        return { cls: 'other', cells: [v.name, num(v.have), '—', '—', ''] };
      }));
    }
    fill(part('s-villages', 'tbody'), rows(p.villages, p.other_villages));
    fill(part('s-assocs', 'tbody'), rows(p.associations, []));
    var sec = $('s-assocs-sec'); if (sec) { sec.hidden = !p.associations.length; }
    var cells = document.querySelectorAll('#s-villages td.bar, #s-villages tbody td:last-child, #s-assocs tbody td:last-child');
    cells.forEach(function (c) { c.className = 'bar'; });
  }

  function screen() {
    var st = $('s-live');
    function state(up) { if (st) { st.textContent = up ? '' : '· mất kết nối, đang thử lại…'; } }
    live('/api/v1/progress/events', 'progress', renderScreen, state, 0);
    // A silently dead stream still gets fixed (as the kiosk's board).
    setInterval(function () { getJSON('/api/v1/progress').then(renderScreen, function () {}); }, 60000);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var pr = $('print-now');
    if (pr) { pr.addEventListener('click', function () { window.print(); }); }
    if ($('t-villages')) { dashboard(); }
    if ($('s-villages')) { screen(); }
  });
})();
