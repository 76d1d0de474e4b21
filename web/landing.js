// The landing page's sign-in: organisers go on to the console, judges to the judge panel.
const form = document.getElementById('login');
const msg = document.getElementById('login-msg');

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const btn = form.querySelector('button');
  btn.disabled = true;
  msg.className = 'msg';
  try {
    const res = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: form.username.value.trim(), password: form.password.value }),
    });
    const body = await res.json();
    if (!res.ok) {
      msg.textContent = res.status === 429 ? 'Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.'
        : 'Tên đăng nhập hoặc mật khẩu không đúng.';
      msg.className = 'msg err';
      return;
    }
    const session = { token: body.token, refresh_token: body.refresh_token || null, expires_at: body.expires_at, role: body.role, username: form.username.value.trim() };
    localStorage.setItem('hoithi.staff', JSON.stringify(session));
    location.href = body.role === 'judge' ? '/judge' : '/console';
  } catch (_) {
    msg.textContent = 'Không kết nối được máy chủ. Kiểm tra mạng và thử lại.';
    msg.className = 'msg err';
  } finally {
    btn.disabled = false;
  }
});
