/* What the sale screen's scripts share: money as people type it, the sale being made and its payments,
   and two small helpers for the page and the kiosk's API. Loaded first; plain JavaScript, no library. */
window.Till = (function () {
  "use strict";

  var MAX_QTY = 10000;

  function vnd(amount) {
    var digits = String(Math.abs(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return (amount < 0 ? "-" : "") + digits + " \u20ab";
  }

  /* "45.000", "45,000", "45 000 ₫", "45000", "45k": 45000. Empty: null. Anything else: NaN. */
  function parseMoney(text) {
    var cleaned = String(text || "").trim().replace(/\s*(\u20ab|\u0111)$/, "");
    if (!cleaned) { return null; }
    var match = /^(\d{1,3}(?:[.,\s]\d{3})+|\d+)\s*(k|ngh\u00ecn|ng\u00e0n)?$/i.exec(cleaned);
    if (!match) { return NaN; }
    var value = parseInt(match[1].replace(/\D/g, ""), 10);
    return match[2] ? value * 1000 : value;
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  /* Case and Vietnamese diacritics ignored, as the kiosk's own search does. */
  function fold(text) {
    return String(text).replace(/[\u0111\u0110]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function newId() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") { return c.randomUUID(); }
    var bytes = new Uint8Array(16);
    if (c && c.getRandomValues) { c.getRandomValues(bytes); } // randomUUID needs HTTPS; a stall LAN may be plain HTTP
    else { for (var i = 0; i < 16; i++) { bytes[i] = Math.floor(Math.random() * 256); } }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  /* A new sale. Its id is made here and kept until the kiosk has answered, so sending it again after a
     lost answer can never record it twice. */
  function freshSale() {
    return { id: newId(), lines: [], method: "cash", tendered: "", split: [{ method: "cash", amount: "" }] };
  }

  /* The sale kept in localStorage, so that a reload loses nothing. */
  function load(key) {
    try {
      var saved = JSON.parse(window.localStorage.getItem(key));
      if (saved && saved.id && Array.isArray(saved.lines)) { return saved; }
    } catch (e) { /* no storage or a damaged entry: start afresh */ }
    return freshSale();
  }

  function store(key, sale) {
    try { window.localStorage.setItem(key, JSON.stringify(sale)); } catch (e) { /* private mode */ }
  }

  function lineTotal(line) {
    return line.qty * line.price - (parseMoney(line.discount) || 0);
  }

  /* What is wrong with a line ("bad_qty", "bad_discount"), or null. */
  function lineProblem(line) {
    var discount = parseMoney(line.discount);
    if (!(line.qty >= 1 && line.qty <= MAX_QTY)) { return "bad_qty"; }
    if (discount !== null && (isNaN(discount) || discount > line.qty * line.price)) { return "bad_discount"; }
    return null;
  }

  function total(sale) {
    return sale.lines.reduce(function (sum, line) { return sum + Math.max(lineTotal(line), 0); }, 0);
  }

  function itemCount(sale) {
    return sale.lines.reduce(function (sum, line) { return sum + (line.qty || 0); }, 0);
  }

  /* The payments to send ({list}), or what is missing ({error: code, amount}). Cash left empty is the exact amount. */
  function payments(sale) {
    var due = total(sale);
    if (due === 0) { return { list: [] }; }
    if (sale.method === "transfer" || sale.method === "card") {
      return { list: [{ method: sale.method, amount_vnd: due }] };
    }
    if (sale.method === "cash") {
      var tendered = parseMoney(sale.tendered);
      if (tendered === null) { tendered = due; }
      if (isNaN(tendered)) { return { error: "bad_amount" }; }
      if (tendered < due) { return { error: "not_enough_cash" }; }
      return { list: [{ method: "cash", amount_vnd: tendered }] };
    }
    var list = [], paid = 0, nonCash = 0;
    for (var i = 0; i < sale.split.length; i++) {
      var row = sale.split[i], amount = parseMoney(row.amount);
      if (amount === null || amount === 0) { continue; }
      if (isNaN(amount)) { return { error: "bad_amount" }; }
      list.push({ method: row.method, amount_vnd: amount });
      paid += amount;
      if (row.method !== "cash") { nonCash += amount; }
    }
    if (nonCash > due) { return { error: "non_cash_too_much" }; }
    if (paid < due) { return { error: "still_due", amount: due - paid }; }
    return { list: list };
  }

  /* What was paid in a split so far (typing mistakes left out). */
  function splitPaid(sale) {
    return sale.split.reduce(function (sum, row) { var a = parseMoney(row.amount); return a ? sum + a : sum; }, 0);
  }

  /* The body of POST /api/v1/sales. */
  function request(sale, paymentList) {
    return {
      id: sale.id,
      lines: sale.lines.map(function (l) {
        var line = { sku: l.sku, qty: l.qty }, discount = parseMoney(l.discount);
        if (discount) { line.discount_vnd = discount; }
        return line;
      }),
      payments: paymentList
    };
  }

  function readJson(id) { return JSON.parse(document.getElementById(id).textContent); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  /* fetch() with the session cookie; resolves to {status, ok, body} (rejects only when the kiosk is unreachable). */
  function api(url, options) {
    options = options || {};
    options.credentials = "same-origin";
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { status: response.status, ok: response.ok, body: body };
      });
    });
  }

  return {
    readJson: readJson, el: el, api: api, vnd: vnd, parseMoney: parseMoney, format: format, fold: fold, newId: newId, freshSale: freshSale, load: load,
    store: store, lineTotal: lineTotal, lineProblem: lineProblem, total: total, itemCount: itemCount,
    payments: payments, splitPaid: splitPaid, request: request
  };
})();
