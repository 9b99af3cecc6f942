/* The sign-up page, improved when JavaScript runs: "use where I am" (only the coarse area is
   kept, by the server), a map pick when the site has map tiles, and alerts in this browser
   (web push). Without JavaScript the form works by ZIP code or zone. */
(function () {
  "use strict";
  var form = document.getElementById("subscribe-form");
  if (!form) { return; }
  var status = document.getElementById("subscribe-status");
  var texts = {};
  var template = document.getElementById("subscribe-texts");
  if (template) {
    template.content.querySelectorAll("[data-key]").forEach(function (node) {
      texts[node.dataset.key] = node.textContent;
    });
  }

  function say(text) {
    if (!status) { return; }
    status.textContent = text || "";
    status.hidden = !text;
  }

  function round(value) { return Math.round(value * 1e3) / 1e3; }  // ~100 m; the server keeps less

  function choose(lat, lng) {
    form.elements["lat"].value = round(lat);
    form.elements["lng"].value = round(lng);
    var chosen = document.getElementById("subscribe-place-chosen");
    if (chosen) { chosen.hidden = false; }
  }

  var place = document.getElementById("subscribe-place");
  if (place) { place.hidden = false; }
  var locate = document.getElementById("subscribe-locate");
  if (locate) {
    if (!navigator.geolocation) { locate.hidden = true; }
    locate.addEventListener("click", function () {
      say(texts.locating);
      navigator.geolocation.getCurrentPosition(function (position) {
        choose(position.coords.latitude, position.coords.longitude);
        say(texts.located);
      }, function () { say(texts.nolocation); }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  }
  var box = document.getElementById("subscribe-map");
  if (box && window.L && box.dataset.tiles) {
    var map = L.map(box).setView([39.5, -98.35], 4);
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution || "", maxZoom: 16 }).addTo(map);
    var marker = null;
    map.on("click", function (e) {
      choose(e.latlng.lat, e.latlng.lng);
      if (marker) { marker.setLatLng(e.latlng); } else { marker = L.marker(e.latlng).addTo(map); }
    });
  }

  var key = form.dataset.pushKey;
  var push = document.getElementById("subscribe-push");
  var supported = key && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!push || !supported) { return; }
  push.hidden = false;

  function keyBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": form.elements["csrfmiddlewaretoken"].value },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return data; }, function () { return { ok: false }; });
    });
  }

  function registration() {
    return navigator.serviceWorker.register(form.dataset.workerUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  document.getElementById("subscribe-push-on").addEventListener("click", function () {
    say("");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { say(texts.denied); return null; }
      return registration().then(function (reg) {
        return reg.pushManager.getSubscription().then(function (existing) {
          return existing || reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
        });
      }).then(function (subscription) {
        var els = form.elements;
        return post(form.dataset.pushUrl, {
          subscription: subscription.toJSON(),
          language: els["language"].value,
          zips: els["zips"].value,
          zone: els["zone"].value,
          lat: els["lat"].value || null,
          lng: els["lng"].value || null
        });
      }).then(function (data) { say(data.message || data.error || texts.failed); });
    }).catch(function () { say(texts.failed); });
  });

  document.getElementById("subscribe-push-off").addEventListener("click", function () {
    navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    }).then(function (subscription) {
      if (!subscription) { return { ok: true }; }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post(form.dataset.unsubscribeUrl, { endpoint: endpoint });
      });
    }).then(function (data) { say(data && data.message ? data.message : ""); })
      .catch(function () { say(texts.failed); });
  });
})();
