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

// Background jobs (runs page): poll each queued or running job; reload when one ends.
document.addEventListener("DOMContentLoaded", () => {
  const rows = Array.from(document.querySelectorAll("tr[data-job][data-status='queued'], tr[data-job][data-status='running']"));
  if (!rows.length) return;
  const poll = () => {
    Promise.all(rows.map((row) => fetch(row.dataset.statusUrl, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : null))
      .then((job) => {
        if (!job) return false;
        const badge = row.querySelector(".job-status .badge");
        const bar = row.querySelector(".job-status progress");
        const phase = row.querySelector(".job-status .job-phase");
        if (badge) badge.textContent = job.status_label;
        if (bar) bar.value = job.percent;
        if (phase) phase.textContent = job.phase_label + (job.total ? ` ${job.done}/${job.total}` : "");
        return job.status === "succeeded" || job.status === "failed";
      })
      .catch(() => false)))
      .then((ended) => (ended.some(Boolean) ? window.location.reload() : window.setTimeout(poll, 1000)));
  };
  window.setTimeout(poll, 1000);
});
