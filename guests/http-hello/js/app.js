// A Spin-style JS HTTP handler (service-worker `fetch` event), nothing sfirt-specific in it.
addEventListener('fetch', (event) => event.respondWith((async () => {
  const url = new URL(event.request.url);
  const body = await event.request.text();
  const name = event.request.headers.get('x-name') ?? 'world';
  return new Response(`Hello from JS, ${name}! ${event.request.method} ${url.pathname}${url.search} body=${body}`, {
    status: url.pathname === '/teapot' ? 418 : 200,
    headers: { 'x-guest': 'http-hello-js' },
  });
})()));
