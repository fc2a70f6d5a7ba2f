// The TV board (GET /): desks now serving, next numbers, counters, village
// progress, live from /api/v1/events; every new call is announced once, in
// order, never cutting another off: a chime, then "Mời số 12 đến bàn 2"
// spoken in Vietnamese when the browser has a Vietnamese voice.
'use strict';
(() => {
  const K = window.kyso, $ = K.$;
  const CHIME = [[784, 0, .6], [523, .5, .9]]; // two tones, "ding-dong"
  const STALE = 120000; // calls older than this (missed while offline) are not spoken
  let rev = -1, spoken = -1, fresh = true, skew = 0, voice = null;
  const queue = [];
  let speaking = false, current = null, flashTimer = 0;

  // ---- rendering ----
  const deskEl = n => {
    let el = $('.desk[data-desk="' + n + '"]', $('#board-desks'));
    if (!el) {
      el = document.createElement('div');
      el.className = 'desk idle';
      el.dataset.desk = n;
      const l = document.createElement('p'), num = document.createElement('p');
      l.className = 'desk-label'; l.textContent = 'Bàn ' + n;
      num.className = 'desk-number'; num.textContent = '–';
      el.append(l, num);
      $('#board-desks').append(el);
    }
    return el;
  };
  const apply = b => {
    if (!b || typeof b.rev !== 'number') return;
    K.show($('#board-offline'), false);
    // The kiosk restarted: call ids start over. Its rev starts over too, but
    // may have passed ours by the time we get through, so look at both.
    const top = Math.max(0, ...(b.calls || []).map(c => c.id));
    if (b.rev < rev || top < spoken) fresh = true;
    else if (b.rev === rev) return;
    rev = b.rev;
    const now = Date.parse(b.time);
    if (!isNaN(now)) skew = now - Date.now();
    for (const d of b.desks || []) {
      const el = deskEl(d.desk);
      K.text($('.desk-number', el), d.number || '–');
      el.classList.toggle('idle', !d.number);
    }
    const next = $('#board-next');
    next.textContent = '';
    for (const n of (b.next || []).slice(0, 8)) {
      const li = document.createElement('li');
      li.textContent = n;
      next.append(li);
    }
    if (!next.children.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'Chưa có ai chờ';
      next.append(li);
    }
    const w = b.waiting || 0;
    K.text($('#board-waiting'), w);
    const per = b.avg_service_seconds > 0 && w > 0 ? Math.ceil(w * b.avg_service_seconds / Math.max(b.active_desks || 1, 1) / 60) : 0;
    K.text($('#board-eta'), per ? 'Người mới lấy số chờ khoảng ' + per + ' phút' : '');
    const tn = b.tonight || {};
    for (const el of K.$$('#board-tonight [data-k]')) K.text(el, K.num(tn[el.dataset.k]));
    const p = b.progress || {};
    K.show($('#board-progress'), p.target > 0);
    if (p.target > 0) {
      const left = p.target - p.have;
      K.text($('#progress-label'), (p.village || '') + ': ' + K.num(p.have) + ' / ' + K.num(p.target) + ' người có chữ ký số');
      $('#progress-bar').max = p.target;
      $('#progress-bar').value = Math.min(p.have, p.target);
      K.text($('#progress-pct'), Number(p.percent || 0).toLocaleString('vi-VN', {maximumFractionDigits: 1}) + '%' +
        (left > 0 ? ' · còn ' + K.num(left) + ' người' : ' · đã đạt chỉ tiêu'));
    }
    announce(b.calls || [], now);
  };

  // ---- calls ----
  const announce = (calls, now) => {
    calls = calls.slice().sort((x, y) => x.id - y.id);
    const last = calls.length ? calls[calls.length - 1].id : 0;
    if (fresh) { spoken = last; fresh = false; return; } // first sight: old calls were already spoken
    for (const c of calls) {
      if (c.id <= spoken) continue;
      spoken = c.id;
      if (now - Date.parse(c.at) > STALE) continue;
      queue.push(c);
    }
    if (!speaking) next();
  };
  const pickVoice = () => {
    if (!window.speechSynthesis) return;
    voice = speechSynthesis.getVoices().find(v => /^vi([-_]|$)/i.test(v.lang)) || null;
  };
  const next = () => {
    const c = queue.shift();
    speaking = !!c;
    if (!c) return;
    flash(c);
    const chimed = K.tones(CHIME);
    const done = () => setTimeout(next, 800);
    setTimeout(() => {
      if (voice) say('Mời số ' + c.number + ' đến bàn ' + c.desk, done);
      else setTimeout(done, chimed ? 1500 : 3000); // time to read the flash
    }, chimed ? 1600 : 0);
  };
  // say speaks one call and calls done exactly once: on end, on error, or
  // after a guard delay, because Chrome sometimes never fires onend.
  const say = (text, done) => {
    let over = false;
    const u = new SpeechSynthesisUtterance(text);
    const fin = () => {
      if (over) return;
      over = true; clearTimeout(guard); current = null;
      done();
    };
    const guard = setTimeout(() => { speechSynthesis.cancel(); fin(); }, 8000 + text.length * 100);
    u.lang = 'vi-VN'; u.voice = voice; u.rate = 0.9;
    u.onend = fin; u.onerror = fin;
    current = u; // keep a reference: a collected utterance never fires onend
    speechSynthesis.speak(u);
  };
  const flash = c => {
    K.text($('#flash-number'), c.number);
    K.text($('#flash-desk'), c.desk);
    K.show($('#board-flash'), true);
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => K.show($('#board-flash'), false), 7000);
    const el = deskEl(c.desk);
    el.classList.remove('calling');
    void el.offsetWidth; // restart the CSS animation
    el.classList.add('calling');
  };

  // ---- wiring ----
  const reload = () => K.api('GET', '/api/v1/board').then(r => apply(r.data), () => {});
  const clock = () => K.text($('#board-clock'),
    new Date(Date.now() + skew).toLocaleTimeString('vi-VN', {hour: '2-digit', minute: '2-digit'}));
  pickVoice();
  if (window.speechSynthesis) speechSynthesis.addEventListener('voiceschanged', pickVoice);
  K.soundButton($('#btn-sound'), () => {
    if (window.speechSynthesis && voice && !speaking) {
      const u = new SpeechSynthesisUtterance('Đã bật âm thanh');
      u.lang = 'vi-VN'; u.voice = voice;
      speechSynthesis.speak(u);
    }
  });
  K.live(apply, reload, () => K.show($('#board-offline'), true));
  setInterval(reload, 60000); // a silently dead stream still gets fixed
  setInterval(clock, 5000);
  clock();
})();
