// The page's first script (digitpad/gradio_locale.py puts it there): Gradio picks the language
// of its own words (gr.I18n labels, "Drop image here") from navigator.language alone, once, before
// launch's head or any component's script runs; so it is told the session's language here.
{
  const lang = document.currentScript.dataset.lang;
  Object.defineProperty(navigator, 'language', { get: () => lang });
  Object.defineProperty(navigator, 'languages', { get: () => [lang] });
}
