/* Defensa's service worker: shows verified alerts sent by web push, and opens the alert's
   verify page when the notification is pressed. It keeps no data and caches nothing. */
"use strict";

// The site serves this file at /sw.js and puts its icon's address here.
var ICON = "__DEFENSA_ICON__";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { body: event.data ? event.data.text() : "" }; }
  var url = typeof data.url === "string" && data.url ? data.url : "/alertas/";
  var options = {
    body: data.body || "",
    icon: ICON.indexOf("__") === 0 ? undefined : ICON,
    lang: data.lang || "",
    tag: data.tag || undefined,
    renotify: Boolean(data.tag),
    requireInteraction: true,
    data: { url: url }
  };
  event.waitUntil(self.registration.showNotification(data.title || "Defensa", options));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/alertas/", self.location.origin);
  // Only pages of this site: a push message must not open somewhere else.
  if (target.origin !== self.location.origin) { target = new URL("/alertas/", self.location.origin); }
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === target.href && "focus" in windows[i]) { return windows[i].focus(); }
    }
    return self.clients.openWindow(target.href);
  }));
});

// The browser replaced or dropped the subscription. Subscribe again with the same key and
// move the alerts (area, language) to the new endpoint, the old one being the proof; if that
// cannot be done, stop the old one, so nothing is sent to an endpoint nobody reads.
function post(path, body) {
  return fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}

self.addEventListener("pushsubscriptionchange", function (event) {
  var old = event.oldSubscription;
  if (!old || !old.endpoint) { return; }
  var fresh = event.newSubscription
    ? Promise.resolve(event.newSubscription)
    : self.registration.pushManager.subscribe(old.options);
  event.waitUntil(fresh.then(function (subscription) {
    return post("/alertas/suscribirse/push/renovar/", {
      old_endpoint: old.endpoint, subscription: subscription.toJSON()
    }).then(function (answer) { if (!answer.ok) { throw new Error("not renewed"); } });
  }).catch(function () {
    return post("/alertas/baja/push/", { endpoint: old.endpoint }).catch(function () { return null; });
  }));
});
