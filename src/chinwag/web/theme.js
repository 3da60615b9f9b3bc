// Applies the theme chosen in Settings before the first paint, so that a page set to
// dark never flashes light. Without a choice the page follows the system (CSS media query).
(function () {
  "use strict";
  try {
    var theme = window.localStorage.getItem("chinwag.theme");
    if (theme === "light" || theme === "dark") {
      document.documentElement.setAttribute("data-theme", theme);
    }
  } catch (e) {
    // Storage may be disabled: follow the system.
  }
})();
