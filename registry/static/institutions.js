// Registry forms: progressive enhancement only; the server validates everything again.
document.addEventListener("DOMContentLoaded", () => {
  // Subclass choices depend on the category (map in data-subclasses on the subclass select).
  const category = document.querySelector("select[data-category]");
  const subclass = document.querySelector("select[data-subclasses]");
  if (category && subclass) {
    const map = JSON.parse(subclass.dataset.subclasses || "{}");
    const sync = () => {
      const allowed = map[category.value] || [];
      let selectedStillAllowed = false;
      for (const option of subclass.options) {
        const ok = option.value === "" || allowed.includes(option.value);
        option.hidden = !ok;
        option.disabled = !ok;
        if (ok && option.selected) selectedStillAllowed = true;
      }
      if (!selectedStillAllowed) subclass.value = "";
      subclass.closest(".field").hidden = allowed.length === 0;
    };
    category.addEventListener("change", sync);
    sync();
  }
  // Strata areas only mean something for a strata-title (产权分割) project.
  const strata = document.querySelector("input[data-strata-toggle]");
  const strataFields = document.querySelector("[data-strata-fields]");
  if (strata && strataFields) {
    const sync = () => { strataFields.hidden = !strata.checked; };
    strata.addEventListener("change", sync);
    sync();
  }
  // The graduation criterion only applies when the firm graduated.
  const reason = document.querySelector("select[name=exit_reason]");
  const criterion = document.querySelector("select[name=graduation_criterion]");
  if (reason && criterion) {
    const sync = () => { criterion.closest(".field").hidden = reason.value !== "graduated"; };
    reason.addEventListener("change", sync);
    sync();
  }
});
