// A plotly figure drawn inside a folded solution gets plotly's default width; when a dropdown is
// opened, redraw the figures at the column's width (plotly's responsive figures follow resizes).
document.addEventListener("click", (event) => {
  if (event.target.closest(".toggle-button, .dropdown, details")) {
    setTimeout(() => window.dispatchEvent(new Event("resize")), 50);
  }
});
