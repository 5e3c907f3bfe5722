/* Mission Tracker: small enhancements; every page works without this file. */
(function () {
  "use strict";

  // "Print this itinerary": the button stays hidden unless this script can make it work.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  // Day jump-list: mark the day being read, so the sticky list says where you are.
  var index = document.querySelector(".day-index");
  if (!index || !("IntersectionObserver" in window)) {
    return;
  }
  var links = {};
  index.querySelectorAll("a[href^='#']").forEach(function (link) {
    links[link.getAttribute("href").slice(1)] = link;
  });
  var observer = new IntersectionObserver(
    function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) {
          return;
        }
        Object.keys(links).forEach(function (id) {
          links[id].removeAttribute("aria-current");
        });
        var link = links[entry.target.id];
        if (link) {
          link.setAttribute("aria-current", "location");
        }
      });
    },
    { rootMargin: "0px 0px -70% 0px" }
  );
  Object.keys(links).forEach(function (id) {
    var section = document.getElementById(id);
    if (section) {
      observer.observe(section);
    }
  });
})();
