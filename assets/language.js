// The language menu: the page speaks the language the server picked for this session (the menu's,
// else the browser's): <html lang dir> set (Arabic right to left) and the app's scripts told
// (digitpad:lang). Choosing another reloads the page with ?lang=: the app's words follow it,
// and Gradio's own (gradio_locale.js, the page's first script, tells Gradio the language).
const select = element.querySelector('select');
const name = element.querySelector('[data-names]');

function speak(lang) {
  if (!lang) return;
  document.documentElement.lang = lang;
  document.documentElement.dir = select.dataset.rtl.split(' ').includes(lang) ? 'rtl' : 'ltr';
  select.value = lang;
  name.textContent = JSON.parse(name.dataset.names)[lang];
  window.dispatchEvent(new CustomEvent('digitpad:lang', { detail: lang }));
}

select.addEventListener('change', () => {
  const address = new URL(window.location.href);
  address.searchParams.set('lang', select.value);
  window.location.assign(address);
});
watch('value', () => speak(props.value));
speak(props.value);
