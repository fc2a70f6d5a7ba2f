// Pairing on the tablet: shown only while the kiosk has no ward. The code
// comes from the ward's page; identity and token then arrive together.
'use strict';
(() => {
  const K = window.kyso, $ = K.$;
  const card = $('#pair-card'), form = $('#pair-form');
  if (!card || !form) return;
  let csrf = '';
  const err = form.querySelector('.form-error');
  const check = () => K.api('GET', '/api/v1/session').then(r => {
    const d = r.data || {};
    csrf = d.csrf_token || '';
    K.show(card, d.paired === false);
    if (d.ward_found && !$('#pair-ward').value) $('#pair-ward').placeholder = d.ward_found;
  }, () => K.show(card, false));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    K.show(err, false);
    try {
      const r = await K.api('POST', '/api/v1/setup/pair', {csrf, body: {code: $('#pair-code').value, ward_url: $('#pair-ward').value}});
      K.text($('#pair-result'), 'Đã ghép với xã (mã máy ' + r.data.kiosk_id + '). Máy đang khởi động lại, vui lòng đợi một phút rồi tải lại trang.');
      K.show($('#pair-result'), true);
      // The restart ends every session: the login screen then says this,
      // not "session expired" (issue 11, finding 7).
      document.dispatchEvent(new CustomEvent('kyso:paired', {detail: 'Đã ghép với xã (mã máy ' + r.data.kiosk_id + '). Máy đã khởi động lại: vui lòng đăng nhập lại.'}));
    } catch (e) {
      K.text(err, e.message || 'Không ghép được.');
      K.show(err, true);
    }
  });
  document.addEventListener('kyso:signed-in', check);
  check();
})();
