// /join: the citizen's phone. Form → POST /api/v1/tickets; then the ticket,
// kept in localStorage so a reload or a closed tab does not lose the place,
// refreshed on every board event (GET /api/v1/tickets/{id}) and every 20 s.
'use strict';
(() => {
  const K = window.kyso, $ = K.$;
  const KEY = 'kyso.ticket';
  const form = $('#join-form'), box = $('#ticket'), btn = $('#btn-join');
  const STATUS = {
    waiting: 'Đang chờ đến lượt',
    called: 'Mang thẻ CCCD và điện thoại đến bàn.',
    activated: 'Đã kích hoạt xong. Cảm ơn bạn!',
    failed: 'Chưa kích hoạt được. Hãy hỏi tình nguyện viên.',
    no_show: 'Bạn vắng mặt khi được gọi. Hãy báo tình nguyện viên: bạn sẽ được xếp lại đúng chỗ cũ trong hàng.',
    cancelled: 'Bạn đã rời hàng. Nếu đổi ý, hãy báo tình nguyện viên để được xếp lại đúng chỗ cũ.'
  };
  const DONE = ['activated', 'failed', 'no_show', 'cancelled'];
  let t = null, live = null, poll = 0, wait = 0, busy = false, again = false, calledAt = null, ring = 0, lock = null;

  const load = () => {
    try { const x = JSON.parse(localStorage.getItem(KEY)); return x && x.id && x.token ? x : null; } catch (e) { return null; }
  };
  const save = () => {
    try { if (t) localStorage.setItem(KEY, JSON.stringify(t)); else localStorage.removeItem(KEY); } catch (e) { /* private mode */ }
  };
  const note = msg => { K.text($('#ticket-note'), msg); K.show($('#ticket-note'), !!msg); };

  // alert the citizen: vibrate, beep, blink; again every RING_MS until they
  // tap "Tôi đã thấy" (#btn-seen), at most RING_MAX times (a phone forgotten
  // on a bench must not ring all evening). Chrome refuses (and logs an
  // error) to vibrate a page not tapped since it loaded, e.g. after a reload.
  const RING_MS = 4000, RING_MAX = 150;
  const tapped = () => !navigator.userActivation || navigator.userActivation.hasBeenActive;
  const alarm = n => {
    if (navigator.vibrate && tapped()) navigator.vibrate([600, 200, 600, 200, 900]);
    if (!K.tones([[880, 0, .35], [660, .45, .35], [880, .9, .35], [660, 1.35, .5]])) K.show($('#btn-sound'), true);
    clearTimeout(ring);
    if (n > 1) ring = setTimeout(() => alarm(n - 1), RING_MS);
  };
  const hush = () => {
    clearTimeout(ring);
    K.show($('#btn-seen'), false);
    if (navigator.vibrate && tapped()) navigator.vibrate(0);
  };

  const render = s => {
    K.show(form, false); K.show(box, true);
    K.text($('#ticket-number'), s.number || t.number);
    const st = $('#ticket-status');
    st.dataset.status = s.status;
    K.text(st, STATUS[s.status] || s.status);
    const waiting = s.status === 'waiting', called = s.status === 'called', done = DONE.includes(s.status);
    K.show($('#ticket-wait'), waiting);
    if (waiting) {
      const p = s.position || 0;
      K.text($('#ticket-position'), p || '–');
      K.text($('#ticket-ahead'), p === 1 ? 'Bạn là người tiếp theo.' : p > 1 ? 'Còn ' + (p - 1) + ' người trước bạn.' : '');
      const m = s.eta_minutes;
      K.text($('#ticket-eta'), m == null ? '–' : m <= 1 ? 'sắp đến lượt' : m + ' phút');
    }
    K.show($('#called-banner'), called);
    if (called) {
      K.text($('#called-desk'), s.desk || '');
      if (s.called_at !== calledAt) { K.show($('#btn-seen'), true); alarm(RING_MAX); }
      calledAt = s.called_at;
    } else {
      if (calledAt) hush();
      calledAt = null;
    }
    document.title = called ? 'Đến lượt bạn! Bàn ' + (s.desk || '') : 'Số ' + (s.number || t.number);
    K.show($('#btn-leave'), !done && $('#leave-confirm').hidden);
    K.show($('#btn-new'), done);
    if (done) K.show($('#leave-confirm'), false);
    // A no-show or a citizen who left may be put back by a volunteer
    // (restore, to the same place): keep listening then.
    if (done && s.status !== 'no_show' && s.status !== 'cancelled') stop();
  };

  const refresh = async () => {
    if (!t) return;
    if (busy) { again = true; return; }
    busy = true;
    try {
      const r = await K.api('GET', '/api/v1/tickets/' + encodeURIComponent(t.id), {token: t.token});
      note('');
      render(r.data);
    } catch (e) {
      if (e.status === 401 || e.status === 403 || e.status === 404) lost();
      else note('Mất kết nối, đang thử lại…');
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  };

  // A board change may move us up the line. A thousand phones should not ask
  // at the same instant, so wait a random moment, unless the board shows our
  // number at a desk: then ask now.
  const onBoard = b => {
    if (!t) return;
    const ours = (b.desks || []).some(d => d.number === t.number);
    if (ours) { clearTimeout(wait); wait = 0; refresh(); return; }
    if (!wait) wait = setTimeout(() => { wait = 0; refresh(); }, 200 + Math.random() * 1800);
  };

  const start = () => {
    stop();
    live = K.live(onBoard, refresh);
    poll = setInterval(refresh, 20000);
    keepAwake();
  };
  const stop = () => {
    if (live) live.close();
    live = null;
    clearInterval(poll); clearTimeout(wait); wait = 0;
    if (lock) { lock.release().catch(() => {}); lock = null; }
    if (video) video.pause();
  };
  // Keep the screen on while waiting. The Wake Lock API needs a secure
  // context, which the kiosk's plain-http LAN address is not, so a looping
  // video plays as well (the NoSleep way). Chrome keeps the screen on for a
  // playing video with a sound track on a visible page, even off screen
  // (Blink's VideoWakeLock), but for a muted one only when it is big and on
  // screen: so it plays unmuted, its sound track silent. The media are 1.5 s
  // of a black 16×16 picture and silent Opus (about 1 and 2 KB), recorded by
  // Chromium's own MediaRecorder; served from /static/media (CSP media-src
  // 'self'). Playing needs a tap: the join tap, else the first tap after a
  // reload (the ticket page shows #btn-sound then anyway).
  let video = null, retap = false;
  const awake = () => {
    if (!video) {
      video = document.createElement('video');
      video.className = 'awake';
      video.hidden = true;
      video.loop = true;
      video.playsInline = true;
      video.setAttribute('playsinline', '');
      video.setAttribute('aria-hidden', 'true');
      video.volume = 0.05;
      video.src = video.canPlayType('video/webm; codecs="vp8, opus"') ? '/static/media/awake.webm' : '/static/media/awake.mp4';
      box.append(video);
    }
    if (!video.paused) return;
    const p = video.play();
    if (p) p.catch(() => {
      if (retap) return;
      retap = true;
      document.addEventListener('pointerdown', () => { retap = false; if (live) awake(); }, {once: true});
    });
  };
  const keepAwake = () => {
    if (!live || document.hidden) return;
    awake();
    if (!navigator.wakeLock || lock) return;
    navigator.wakeLock.request('screen').then(l => { lock = l; l.addEventListener('release', () => { lock = null; }); }, () => {});
  };
  document.addEventListener('visibilitychange', keepAwake);

  const lost = () => {
    stop();
    t = null; save();
    showForm();
    const g = $('.form-error', form);
    K.text(g, 'Không tìm thấy số cũ của bạn. Vui lòng lấy số mới.'); K.show(g, true);
  };
  const showForm = () => {
    clearTimeout(ring);
    K.show(box, false); K.show(form, true);
    document.title = 'Lấy số thứ tự';
    window.scrollTo(0, 0);
  };

  K.form.wire(form);
  K.on(form, 'submit', async ev => {
    ev.preventDefault();
    const c = K.audio();
    if (c) c.resume(); // this tap is the sure user gesture: sound will work when we are called
    K.form.clear(form);
    const {data, errs} = K.form.read(form);
    if (Object.keys(errs).length) { K.form.show(form, errs); return; }
    awake(); // in the tap: the POST below may outlast the tap's activation
    btn.disabled = true;
    K.text(btn, 'Đang gửi…');
    try {
      const r = await K.api('POST', '/api/v1/tickets', {body: data});
      t = {id: r.data.id, token: r.data.token, number: r.data.number};
      save();
      form.reset();
      K.show(form.elements.village_other, false);
      render(Object.assign({status: 'waiting'}, r.data));
      window.scrollTo(0, 0);
      start();
    } catch (e) {
      if (video && !live) video.pause();
      K.form.show(form, {[e.field || '_']: e.message});
    } finally {
      btn.disabled = false;
      K.text(btn, 'Lấy số');
    }
  });
  K.on($('#btn-leave'), 'click', () => { K.show($('#btn-leave'), false); K.show($('#leave-confirm'), true); });
  K.on($('#btn-leave-no'), 'click', () => { K.show($('#leave-confirm'), false); K.show($('#btn-leave'), true); });
  K.on($('#btn-leave-yes'), 'click', async () => {
    K.show($('#leave-confirm'), false);
    try {
      await K.api('DELETE', '/api/v1/tickets/' + encodeURIComponent(t.id), {token: t.token});
      render({status: 'cancelled', number: t.number});
    } catch (e) {
      if (e.status === 404) render({status: 'cancelled', number: t.number});
      else { note(e.message); K.show($('#btn-leave'), true); }
    }
  });
  K.on($('#btn-seen'), 'click', hush);
  K.on($('#btn-new'), 'click', () => { stop(); t = null; save(); showForm(); });
  K.on($('#btn-sound'), 'click', () => {
    const c = K.audio();
    if (c) c.resume().then(() => { K.show($('#btn-sound'), false); K.tones([[880, 0, .2]]); });
  });

  t = load();
  if (t) {
    K.show(form, false); K.show(box, true);
    K.text($('#ticket-number'), t.number);
    K.text($('#ticket-status'), 'Đang tải…');
    K.soundButton($('#btn-sound')); // no tap yet on this load: the call's beep needs one
    start();
    refresh();
  }
  btn.disabled = false;
})();
