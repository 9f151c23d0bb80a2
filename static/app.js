// Progressive enhancement only: every page works without this file.
// "/" focuses the search box, as in most engineering tools.
document.addEventListener("keydown", (e) => {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
  const q = document.getElementById("q");
  if (q) {
    e.preventDefault();
    q.focus();
    q.select();
  }
});
