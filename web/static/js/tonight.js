// Tonight's invited households on the tablet (issue 14): who the village
// head invited for today, who has come (their join matched, or a volunteer
// ticked them). Names and masked CCCDs only.
(function () {
  'use strict';
  const K = window.kyso;
  const card = K.$('#tonight-card');
  if (!card) return;
  let timer = 0;
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const csrf = async () => ((await K.api('GET', '/api/v1/session')).data || {}).csrf_token || '';
  const draw = t => {
    const list = K.$('#tonight-list');
    list.textContent = '';
    K.text(K.$('#tonight-count'), t.invited_households ? t.arrived_households + '/' + t.invited_households + ' hộ đã đến' : '');
    if (!t.paired) { list.appendChild(el('p', 'Nhà văn hóa chưa nối với xã: chưa có danh sách mời.', 'help')); return; }
    if (!t.invited_households) { list.appendChild(el('p', 'Hôm nay chưa có hộ nào được mời.', 'help')); return; }
    for (const s of t.sessions) {
      list.appendChild(el('h3', s.start + '–' + s.end + (s.place ? ' · ' + s.place : '')));
      const ul = el('ul', null, 'tonight');
      for (const h of s.households) {
        const li = el('li', null, h.arrived ? 'came' : '');
        li.appendChild(el('strong', 'Hộ ' + h.head + (h.arrived ? ' — đã đến' : '')));
        const inner = el('ul');
        for (const m of h.members) {
          const mi = el('li', m.name + ' · ' + (m.cccd_masked || 'chưa có CCCD') + ' ');
          if (m.arrived) {
            mi.appendChild(el('span', '✓ đã đến', 'ok'));
          } else {
            const b = el('button', 'Đã đến', 'btn');
            b.type = 'button';
            b.addEventListener('click', async () => {
              b.disabled = true;
              try {
                draw((await K.api('POST', '/api/v1/tonight/' + encodeURIComponent(m.key) + '/arrived', {csrf: await csrf()})).data);
              } catch (e) { b.disabled = false; alert(e.message); }
            });
            mi.appendChild(b);
          }
          inner.appendChild(mi);
        }
        li.appendChild(inner);
        ul.appendChild(li);
      }
      list.appendChild(ul);
    }
  };
  const load = async () => {
    try { draw((await K.api('GET', '/api/v1/tonight')).data); } catch (e) { /* signed out: volunteer.js shows the login */ }
  };
  document.addEventListener('kyso:signed-in', () => {
    load();
    clearInterval(timer);
    timer = setInterval(load, 20000);
  });
})();
