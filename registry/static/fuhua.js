// Progressive enhancement only; every page works without script.
document.addEventListener("DOMContentLoaded", () => {
  // Auto-submit filter selects marked data-autosubmit.
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form && el.form.submit());
  });
  // Confirm dangerous actions: <button data-confirm="...">
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (ev) => {
      if (!window.confirm(el.dataset.confirm)) ev.preventDefault();
    });
  });
});
