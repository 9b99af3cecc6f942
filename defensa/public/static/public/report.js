/* The report form, improved when JavaScript runs: a map pin (if the site has map tiles) and
   the proof-of-work the server asks for while reports flood in. Without it, the form works. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }

  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      var b = bytes[i];
      while ((b & 0x80) === 0) { bits += 1; b <<= 1; }
      return bits;
    }
    return bits;
  }

  async function solve(challenge, bits) {
    var encoder = new TextEncoder();
    for (var nonce = 0; ; nonce++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + nonce));
      if (zeroBits(new Uint8Array(digest)) >= bits) { return String(nonce); }
    }
  }

  form.addEventListener("submit", function (event) {
    var challenge = form.elements["pow_challenge"].value;
    var bits = parseInt(challenge.split(".")[3] || "0", 10);
    if (!bits || form.dataset.solved || !window.crypto || !crypto.subtle) { return; }
    event.preventDefault();
    var status = document.getElementById("report-status");
    if (status) { status.hidden = false; }
    solve(challenge, bits).then(function (nonce) {
      form.elements["pow_nonce"].value = nonce;
      form.dataset.solved = "1";
      form.submit();
    });
  });

  var box = document.getElementById("report-map");
  if (box && window.L && box.dataset.tiles) {
    box.hidden = false;
    var map = L.map(box).setView([39.5, -98.35], 4);
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution || "", maxZoom: 18 }).addTo(map);
    var marker = null;
    map.on("click", function (e) {
      var lat = Math.round(e.latlng.lat * 1e5) / 1e5, lng = Math.round(e.latlng.lng * 1e5) / 1e5;
      form.elements["lat"].value = lat;
      form.elements["lng"].value = lng;
      if (marker) { marker.setLatLng(e.latlng); } else { marker = L.marker(e.latlng).addTo(map); }
    });
  }
})();
