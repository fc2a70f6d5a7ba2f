// The TV board (GET /): desks now serving, next numbers, counters, village
// progress, live from /api/v1/events. Every new call shows at once (the
// latest one in the banner over the "next" row, the desk lit) and is spoken
// once: a chime at the start of a burst, then "Mời số mười hai đến bàn hai"
// in a Vietnamese voice. Spoken calls never cut each other off; at most
// MAX_PENDING wait, older ones are dropped (the desks still show them).
//
// Invariants kept for the TV's small CPU (a Pi also runs the kiosk):
//   - no AudioContext lives while idle: one is made for each chime and closed
//     after it (a running context renders silence non-stop);
//   - nothing animates: a call changes colours once and back once;
//   - the clock and counters touch the DOM only when their text changes;
//   - idle, the page wakes only for the kiosk's messages and once a minute
//     for the clock: no polling while the event stream is alive.
// window.kysoSpeech = {available, settled, voice, lang} tells whether a
// Vietnamese voice exists (settled: the browser has listed its voices, or
// had VOICE_WAIT to do so);
// without one the TV only chimes and says so in #board-speech.
'use strict';
(() => {
  const K = window.kyso, $ = K.$;
  const CHIME = [[784, 0, .6], [523, .5, .9]]; // two tones, "ding-dong"
  const CHIME_MS = 1500;                       // the chime's length, then speech
  const STALE = 120000;     // calls older than this (missed while offline) are not spoken
  const MAX_PENDING = 3;    // spoken calls waiting; older ones are dropped
  const BURST = 10000;      // a call this soon after the last one is not chimed again
  const FLASH_MS = 6000;    // banner and lit desk after the latest call
  const VOICE_WAIT = 15000; // speech-dispatcher may take this long to list its voices
  const LIST_QUIET = 3000;  // …and lists them in batches this far apart at most
  const SILENT = 75000;     // no board on the stream this long: fetch it
  let rev = -1, spoken = -1, fresh = true, skew = 0, voice = null;
  let pending = [], speaking = false, current = null, lastSaid = 0, flashTimer = 0, soundOK = false;
  const lit = new Map(); // desk → timer that turns its highlight off

  // ---- Vietnamese numbers ----
  // words(n) spells 0–9999 the way a caller says it: 21 hai mươi mốt,
  // 15 mười lăm, 24 hai mươi tư, 105 một trăm linh năm, 1010 một nghìn
  // không trăm mười. Other values are left as digits.
  const DIGIT = ['không', 'một', 'hai', 'ba', 'bốn', 'năm', 'sáu', 'bảy', 'tám', 'chín'];
  const tens = n => { // 10–99
    const t = Math.floor(n / 10), u = n % 10;
    const head = t === 1 ? 'mười' : DIGIT[t] + ' mươi';
    if (u === 0) return head;
    if (u === 1 && t > 1) return head + ' mốt';
    if (u === 4 && t > 1) return head + ' tư';
    if (u === 5) return head + ' lăm';
    return head + ' ' + DIGIT[u];
  };
  const rest = n => n === 0 ? '' : ' ' + (n < 10 ? 'linh ' + DIGIT[n] : tens(n)); // after "… trăm"
  const hundreds = n => DIGIT[Math.floor(n / 100)] + ' trăm' + rest(n % 100);   // 0–999, full form
  const words = n => {
    n = Number(n);
    if (!Number.isInteger(n) || n < 0 || n > 9999) return String(n);
    if (n < 10) return DIGIT[n];
    if (n < 100) return tens(n);
    if (n < 1000) return hundreds(n);
    const r = n % 1000;
    return DIGIT[Math.floor(n / 1000)] + ' nghìn' + (r ? ' ' + hundreds(r) : '');
  };
  const sentence = c => 'Mời số ' + words(c.number) + ' đến bàn ' + words(c.desk);

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
  const setText = (el, t) => { t = t == null ? '' : String(t); if (el && el.textContent !== t) el.textContent = t; };
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
    if (!isNaN(now) && Math.abs(now - Date.now() - skew) > 1000) { skew = now - Date.now(); clock(); }
    for (const d of b.desks || []) {
      const el = deskEl(d.desk);
      setText($('.desk-number', el), d.number || '–');
      el.classList.toggle('idle', !d.number);
    }
    const next = $('#board-next');
    const nums = (b.next || []).slice(0, 8).map(String);
    if (next.dataset.shown !== nums.join(',') || !next.children.length) {
      next.dataset.shown = nums.join(',');
      next.textContent = '';
      for (const n of nums) {
        const li = document.createElement('li');
        li.textContent = n;
        next.append(li);
      }
      if (!nums.length) {
        const li = document.createElement('li');
        li.className = 'empty';
        li.textContent = 'Chưa có ai chờ';
        next.append(li);
      }
    }
    const w = b.waiting || 0;
    setText($('#board-waiting'), w);
    const per = b.avg_service_seconds > 0 && w > 0 ? Math.ceil(w * b.avg_service_seconds / Math.max(b.active_desks || 1, 1) / 60) : 0;
    setText($('#board-eta'), per ? 'Người mới lấy số chờ khoảng ' + per + ' phút' : '');
    const tn = b.tonight || {};
    for (const el of K.$$('#board-tonight [data-k]')) setText(el, K.num(tn[el.dataset.k]));
    // A damaged store: the TV says so while the repair runs and when
    // something could not be taken back (a clean repair stays on the tablet).
    const sa = b.store_alert;
    const showStore = !!(sa && sa.state !== 'repaired');
    K.show($('#board-store'), showStore);
    if (showStore) setText($('#board-store'), sa.message);
    const inv = b.invited_today;
    K.show($('#board-invited'), !!(inv && inv.invited_households));
    if (inv) setText($('#board-invited'), 'Hôm nay mời ' + K.num(inv.invited_households) + ' hộ · đã đến ' + K.num(inv.arrived_households));
    const p = b.progress || {};
    K.show($('#board-progress'), p.target > 0);
    if (p.target > 0) {
      const left = p.target - p.have;
      setText($('#progress-label'), (p.village || '') + ': ' + K.num(p.have) + ' / ' + K.num(p.target) + ' người có chữ ký số');
      $('#progress-bar').max = p.target;
      $('#progress-bar').value = Math.min(p.have, p.target);
      setText($('#progress-pct'), Number(p.percent || 0).toLocaleString('vi-VN', {maximumFractionDigits: 1}) + '%' +
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
      show(c);
      // The same ticket at the same desk already waiting to be said (a
      // recall tapped twice) is said once.
      if (!pending.some(p => p.number === c.number && p.desk === c.desk)) pending.push(c);
    }
    if (pending.length > MAX_PENDING) pending = pending.slice(-MAX_PENDING);
    if (!speaking) next();
  };
  // show puts the latest call in the banner and lights its desk, at once.
  const show = c => {
    setText($('#flash-number'), c.number);
    setText($('#flash-desk'), c.desk);
    K.show($('#board-flash'), true);
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => K.show($('#board-flash'), false), FLASH_MS);
    const el = deskEl(c.desk);
    el.classList.add('calling');
    clearTimeout(lit.get(c.desk));
    lit.set(c.desk, setTimeout(() => { el.classList.remove('calling'); lit.delete(c.desk); }, FLASH_MS));
  };
  const next = () => {
    const c = pending.shift();
    speaking = !!c;
    if (!c) return;
    const chimed = Date.now() - lastSaid > BURST && chime();
    const done = () => { lastSaid = Date.now(); setTimeout(next, 400); };
    setTimeout(() => {
      if (voice) say(sentence(c), done);
      else setTimeout(done, chimed ? 0 : 1500); // chime only: a short pause between calls
    }, chimed ? CHIME_MS : 0);
  };
  // say speaks one call and calls done exactly once: on end, on error, or
  // after a guard delay, because Chrome sometimes never fires onend (and a
  // speech-dispatcher without a sound card never does).
  const say = (text, done) => {
    let over = false;
    const u = new SpeechSynthesisUtterance(text);
    const fin = () => {
      if (over) return;
      over = true; clearTimeout(guard); current = null;
      done();
    };
    const guard = setTimeout(() => { speechSynthesis.cancel(); fin(); }, 3000 + text.length * 120);
    u.voice = voice; u.lang = voice.lang; u.rate = 0.9;
    u.onend = fin; u.onerror = fin;
    current = u; // keep a reference: a collected utterance never fires onend
    speechSynthesis.speak(u);
  };

  // ---- sound ----
  // chime plays CHIME in an AudioContext of its own, closed once it is over:
  // false when the browser still blocks sound.
  const chime = () => {
    const C = window.AudioContext || window.webkitAudioContext;
    if (!C || !soundOK) return false;
    let c;
    try { c = new C(); } catch (e) { return false; }
    const t0 = c.currentTime + 0.05;
    for (const [f, s, d] of CHIME) {
      const o = c.createOscillator(), g = c.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.0001, t0 + s);
      g.gain.exponentialRampToValueAtTime(0.7, t0 + s + 0.03);
      g.gain.exponentialRampToValueAtTime(0.0001, t0 + s + d);
      o.connect(g); g.connect(c.destination);
      o.start(t0 + s); o.stop(t0 + s + d + 0.05);
    }
    setTimeout(() => c.close().catch(() => {}), CHIME_MS + 300);
    return true;
  };
  // The TV's Chromium is started with an autoplay policy that needs no tap
  // (deploy/kyso-tv.sh); elsewhere sound waits for a tap on #btn-sound. A
  // short-lived context tells which, and is closed at once.
  const probeSound = () => {
    const C = window.AudioContext || window.webkitAudioContext;
    if (!C) return;
    if (navigator.userActivation && navigator.userActivation.hasBeenActive) { soundOK = true; return; }
    let c;
    try { c = new C(); } catch (e) { return; }
    const settle = () => {
      if (c.state === 'closed') return;
      soundOK = soundOK || c.state === 'running';
      K.show($('#btn-sound'), !soundOK);
      c.close().catch(() => {});
    };
    c.resume().then(settle, settle);
    setTimeout(settle, 1000);
  };
  const unlock = () => {
    soundOK = true;
    K.show($('#btn-sound'), false);
    if (!speaking) chime();
    if (voice && !speaking) { // speech wants a gesture too
      const u = new SpeechSynthesisUtterance('Đã bật âm thanh');
      u.voice = voice; u.lang = voice.lang;
      speechSynthesis.speak(u);
    }
  };

  // ---- voice ----
  // Any voice whose lang starts with "vi" (speech-dispatcher lists "vi",
  // "vi-VN-X-CENTRAL", "vi-VN-X-SOUTH"; Android "vi-VN"), never another
  // language: the browser's default voice is often Afrikaans or English,
  // which would mangle the words. Preferred: the plain Northern voice, not a
  // "+variant", and a local one.
  const rank = v => (/^vi([-_]vn)?$/i.test(v.lang) ? 0 : 4) + (/\+/.test(v.name) ? 2 : 0) + (v.localService ? 0 : 1);
  const speech = window.kysoSpeech = {available: false, settled: false, voice: '', lang: ''};
  let quiet = 0;
  const pickVoice = () => {
    if (!window.speechSynthesis) return;
    const all = speechSynthesis.getVoices();
    const vi = all.filter(v => /^vi([-_]|$)/i.test(v.lang));
    vi.sort((a, b) => rank(a) - rank(b));
    voice = vi[0] || null;
    speech.available = !!voice;
    speech.voice = voice ? voice.name : '';
    speech.lang = voice ? voice.lang : '';
    // speech-dispatcher's voices come in batches: a list without a
    // Vietnamese voice is final once no other has come for LIST_QUIET.
    clearTimeout(quiet);
    if (voice) speech.settled = true;
    else if (all.length && !speech.settled) quiet = setTimeout(settleVoices, LIST_QUIET);
    K.show($('#board-speech'), speech.settled && !voice);
    if (speech.settled) tellKiosk();
  };
  const settleVoices = () => {
    speech.settled = true;
    pickVoice();
    K.show($('#board-speech'), !voice);
  };
  // tellKiosk says once whether this TV can speak, so the volunteer page
  // can warn when it only chimes (issue 11).
  let told = null;
  const tellKiosk = () => {
    if (told === speech.available) return;
    told = speech.available;
    K.api('POST', '/api/v1/board/speech', {body: {available: speech.available, voice: speech.lang}}).catch(() => { told = null; });
  };

  // ---- wiring ----
  const reload = () => K.api('GET', '/api/v1/board').then(r => apply(r.data), () => {});
  // The kiosk sends the board at least every 30 s (its time-derived
  // fields), so a stream that went quiet for SILENT is dead without having
  // said so: only then is the board fetched, not on a timer that would wake
  // the browser and the kiosk every minute for nothing.
  let silent = 0;
  const heard = () => { clearTimeout(silent); silent = setTimeout(() => { reload(); heard(); }, SILENT); };
  // The clock shows hours and minutes: it wakes once a minute, just after
  // the minute turns on the kiosk's clock, never more often.
  let tick = 0;
  const clock = () => {
    const now = new Date(Date.now() + skew);
    setText($('#board-clock'), now.toLocaleTimeString('vi-VN', {hour: '2-digit', minute: '2-digit'}));
    setText($('#board-day'), now.getHours() >= 17 ? 'Tối nay' : 'Hôm nay');
    clearTimeout(tick);
    tick = setTimeout(clock, 60000 - (now.getTime() % 60000) + 50);
  };
  pickVoice();
  if (window.speechSynthesis) speechSynthesis.addEventListener('voiceschanged', pickVoice);
  setTimeout(settleVoices, window.speechSynthesis ? VOICE_WAIT : 0);
  probeSound();
  K.on($('#btn-sound'), 'click', unlock);
  document.addEventListener('pointerdown', () => { if (!soundOK) unlock(); }, {once: true});
  K.live(b => { heard(); apply(b); }, reload, () => K.show($('#board-offline'), true));
  heard();
  clock();
  window.kysoBoard = {words, sentence}; // for tests and the console
})();
