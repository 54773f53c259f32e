/* lernmodul package player: SHA-256, answer hashes and unsealing (mirrors packages/keys.py).
   Plain JavaScript, no network, no crypto.subtle (packages also play over plain http). */
(function () {
  "use strict";
  var K = [0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2];

  function utf8(text) {
    return Array.prototype.slice.call(new TextEncoder().encode(text));
  }

  function sha256(bytes) {
    var h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
      0x1f83d9ab, 0x5be0cd19];
    var data = bytes.slice();
    var bitLength = bytes.length * 8;
    data.push(0x80);
    while (data.length % 64 !== 56) { data.push(0); }
    for (var s = 7; s >= 0; s--) { data.push(s > 3 ? 0 : (bitLength >>> (s * 8)) & 0xff); }
    var w = new Array(64);
    for (var off = 0; off < data.length; off += 64) {
      for (var i = 0; i < 16; i++) {
        w[i] = (data[off + 4 * i] << 24) | (data[off + 4 * i + 1] << 16) |
          (data[off + 4 * i + 2] << 8) | data[off + 4 * i + 3];
      }
      for (i = 16; i < 64; i++) {
        var x = w[i - 15], y = w[i - 2];
        var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
      for (i = 0; i < 64; i++) {
        var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        var ch = (e & f) ^ (~e & g);
        var t1 = (k + S1 + ch + K[i] + w[i]) | 0;
        var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        var maj = (a & b) ^ (a & c) ^ (b & c);
        var t2 = (S0 + maj) | 0;
        k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0;
      h[3] = (h[3] + d) | 0; h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0;
      h[6] = (h[6] + g) | 0; h[7] = (h[7] + k) | 0;
    }
    var out = [];
    for (i = 0; i < 8; i++) {
      out.push((h[i] >>> 24) & 0xff, (h[i] >>> 16) & 0xff, (h[i] >>> 8) & 0xff, h[i] & 0xff);
    }
    return out;
  }

  function hex(bytes) {
    return bytes.map(function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function stream(key, length) {
    var out = [];
    for (var counter = 0; out.length < length; counter++) {
      out = out.concat(sha256(utf8(key + "#" + counter)));
    }
    return out.slice(0, length);
  }

  function unseal(sealed, key) {
    var raw = atob(sealed);
    var ks = stream(key, raw.length);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i) ^ ks[i]; }
    return new TextDecoder().decode(bytes);
  }

  function normaliseText(text) {
    return String(text).normalize("NFC").trim().toLowerCase().replace(/ß/g, "ss");
  }

  /* "42", "-3,5", "1 000": a comma or a point as decimal separator; null when no number. */
  function readNumber(text) {
    if (String(text).length > 50) { return null; }  /* as lernmodul.core.grading.read_number */
    var t = String(text).replace(/[ \u202f]/g, "").trim().replace(/,/g, ".");
    if (!/^[+-]?\d+(\.\d+)?$/.test(t)) { return null; }
    return parseFloat(t);
  }

  function numberToken(value) { return String(Math.round(value * 1000000)); }

  function answerHash(salt, normalised) { return hex(sha256(utf8(salt + ":" + normalised))); }

  window.LernmodulKeys = {
    sha256Hex: function (text) { return hex(sha256(utf8(text))); },
    unseal: unseal, normaliseText: normaliseText, readNumber: readNumber,
    numberToken: numberToken, answerHash: answerHash
  };
}());
