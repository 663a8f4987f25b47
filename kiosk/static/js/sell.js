/* The sale screen: search or scan, a cart kept in localStorage, payments, and POST /api/v1/sales.
   Plain JavaScript, no library. Texts come translated from the page (#strings), products from #catalogue. */
(function () {
  "use strict";

  var root = document.getElementById("sell");
  if (!root) { return; }
  var T = readJson("strings");
  var catalogue = readJson("catalogue");
  var csrfToken = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var STORE = "kiosk.sale.v1";
  var NOTES = [100000, 200000, 500000];
  var $ = function (id) { return document.getElementById(id); };
  var search = $("search"), grid = $("grid"), cartList = $("cart"), errorBox = $("error");
  var chargeButton = $("charge"), resultPanel = $("result");
  var state = restore();
  var searchTimer = null, searchSeq = 0, sending = false, scanQueue = Promise.resolve();

  /* ---------- helpers ---------- */

  function readJson(id) { return JSON.parse(document.getElementById(id).textContent); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

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

  /* ---------- state, kept in localStorage so a reload loses nothing ---------- */

  function fresh() {
    return { id: newId(), lines: [], method: "cash", tendered: "", split: [{ method: "cash", amount: "" }] };
  }

  function restore() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(STORE));
      if (saved && saved.id && Array.isArray(saved.lines)) { return saved; }
    } catch (e) { /* no storage or a damaged entry: start afresh */ }
    return fresh();
  }

  function save() {
    try { window.localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }

  function lineTotal(line) {
    var discount = parseMoney(line.discount) || 0;
    return line.qty * line.price - discount;
  }

  function lineProblem(line) {
    var discount = parseMoney(line.discount);
    if (!(line.qty >= 1 && line.qty <= 10000)) { return T.bad_qty; }
    if (discount !== null && (isNaN(discount) || discount > line.qty * line.price)) { return T.bad_discount; }
    return null;
  }

  function total() {
    return state.lines.reduce(function (sum, line) { return sum + Math.max(lineTotal(line), 0); }, 0);
  }

  function itemCount() {
    return state.lines.reduce(function (sum, line) { return sum + (line.qty || 0); }, 0);
  }

  /* The payments to send, or {error} saying what is missing. */
  function payments() {
    var due = total();
    if (due === 0) { return { list: [] }; }
    if (state.method === "transfer" || state.method === "card") {
      return { list: [{ method: state.method, amount_vnd: due }] };
    }
    if (state.method === "cash") {
      var tendered = parseMoney(state.tendered);
      if (tendered === null) { tendered = due; }
      if (isNaN(tendered)) { return { error: T.bad_amount }; }
      if (tendered < due) { return { error: T.not_enough_cash }; }
      return { list: [{ method: "cash", amount_vnd: tendered }] };
    }
    var list = [], paid = 0, nonCash = 0;
    for (var i = 0; i < state.split.length; i++) {
      var row = state.split[i], amount = parseMoney(row.amount);
      if (amount === null || amount === 0) { continue; }
      if (isNaN(amount)) { return { error: T.bad_amount }; }
      list.push({ method: row.method, amount_vnd: amount });
      paid += amount;
      if (row.method !== "cash") { nonCash += amount; }
    }
    if (nonCash > due) { return { error: T.non_cash_too_much }; }
    if (paid < due) { return { error: format(T.still_due, { amount: vnd(due - paid) }) }; }
    return { list: list };
  }

  /* ---------- the product grid ---------- */

  function productCard(product) {
    var card = el("button", "product");
    card.type = "button";
    card.setAttribute("data-sku", product.sku);
    if (product.certificate_expired) { card.appendChild(el("span", "badge badge-danger", T.certificate_expired)); }
    card.appendChild(el("span", "p-name", product.name));
    var meta = el("span", "p-meta");
    meta.appendChild(el("span", "stars", "\u2605".repeat(product.ocop_stars)));
    var stock = el("span", "p-stock" + (product.stock_qty <= 0 ? " out" : ""),
                   format(T.stock_qty, { qty: product.stock_qty, unit: product.unit }));
    meta.appendChild(stock);
    card.appendChild(el("span", "p-price", vnd(product.price_vnd)));
    card.appendChild(meta);
    card.addEventListener("click", function () { addToCart(product); });
    return card;
  }

  function showProducts(products, status) {
    grid.textContent = "";
    products.forEach(function (p) { grid.appendChild(productCard(p)); });
    $("search-status").textContent = status || "";
  }

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

  function findProducts(param, value) {
    return api(root.getAttribute("data-api-products") + "?" + param + "=" + encodeURIComponent(value));
  }

  function runSearch() {
    var q = search.value.trim(), seq = ++searchSeq;
    if (!q) { showProducts(catalogue, ""); return; }
    findProducts("q", q).then(function (answer) {
      if (seq !== searchSeq) { return; }
      if (!answer.ok) { showError(answer); return; }
      var found = answer.body.products;
      showProducts(found, found.length ? format(T.results, { n: found.length }) : T.nothing_found);
    }, function () { if (seq === searchSeq) { showProducts(localSearch(q), T.offline_search); } });
  }

  function fold(text) {
    return String(text).replace(/[\u0111\u0110]/g, "d").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function localSearch(q) {
    var needle = fold(q);
    return catalogue.filter(function (p) {
      return fold(p.name + " " + p.sku + " " + p.producer).indexOf(needle) >= 0 || p.barcode === q;
    });
  }

  /* A scanner types the code then Enter: a barcode match goes straight into the cart. The field is emptied at
     once so the next scan can follow; scans are looked up one after the other so the cart keeps their order. */
  function scan(code) {
    clearTimeout(searchTimer);
    searchSeq++;
    search.value = "";
    scanQueue = scanQueue.then(function () { return lookUp(code); }).then(function (product) {
      if (product) {
        addToCart(product);
        showProducts(catalogue, "");
      } else if (!search.value) {
        search.value = code;
      }
    }).catch(function () { showMessage(T.network_error_search); });
  }

  function lookUp(code) {
    return findProducts("barcode", code).then(function (answer) {
      if (!answer.ok) { showError(answer); return null; }
      if (answer.body.products.length) { return answer.body.products[0]; }
      return findProducts("q", code).then(function (byText) {
        if (!byText.ok) { showError(byText); return null; }
        var found = byText.body.products;
        if (found.length === 1) { return found[0]; }
        showProducts(found, found.length ? format(T.results, { n: found.length }) : format(T.no_match, { code: code }));
        return null;
      });
    }, function () {
      var local = localSearch(code);
      if (local.length === 1) { return local[0]; }
      showProducts(local, T.offline_search);
      return null;
    });
  }

  /* ---------- the cart ---------- */

  function addToCart(product) {
    hideResult();
    var flashes = document.querySelector(".flashes");
    if (flashes) { flashes.remove(); }
    var line = state.lines.filter(function (l) { return l.sku === product.sku; })[0];
    if (line) { line.qty = Math.min(line.qty + 1, 10000); }
    else {
      line = { sku: product.sku, name: product.name, unit: product.unit, price: product.price_vnd, qty: 1,
               discount: "", stock: product.stock_qty, expired: !!product.certificate_expired };
      state.lines.push(line);
    }
    clearError();
    save();
    renderCart();
    var row = cartList.querySelector('[data-sku="' + CSS.escape(product.sku) + '"]');
    if (row) { row.classList.add("flash-added"); row.scrollIntoView({ block: "nearest" }); }
  }

  function renderCart() {
    cartList.textContent = "";
    state.lines.forEach(function (line, index) { cartList.appendChild(cartRow(line, index)); });
    $("cart-empty").hidden = state.lines.length > 0;
    $("cart-clear").hidden = state.lines.length === 0;
    renderTotals();
  }

  function cartRow(line, index) {
    var row = el("li", "cart-line");
    row.setAttribute("data-sku", line.sku);
    var head = el("div", "cl-head"), title = el("div", "cl-title");
    title.appendChild(el("span", "cl-name", line.name));
    title.appendChild(el("span", "muted", vnd(line.price) + " / " + line.unit));
    if (line.expired) { title.appendChild(el("span", "badge badge-danger", T.certificate_expired)); }
    var over = el("span", "badge badge-warn", T.over_stock);
    over.hidden = !(line.qty > line.stock);
    title.appendChild(over);
    head.appendChild(title);
    var sum = el("strong", "cl-total", vnd(lineTotal(line)));
    head.appendChild(sum);
    var remove = el("button", "btn-icon cl-remove", "\u00d7");
    remove.type = "button";
    remove.setAttribute("aria-label", format(T.remove, { name: line.name }));
    remove.addEventListener("click", function () { state.lines.splice(index, 1); save(); renderCart(); });
    head.appendChild(remove);
    row.appendChild(head);

    var controls = el("div", "cl-controls");
    var minus = el("button", "btn-step", "\u2212"), plus = el("button", "btn-step", "+");
    minus.type = plus.type = "button";
    minus.setAttribute("aria-label", T.less);
    plus.setAttribute("aria-label", T.more);
    minus.disabled = line.qty <= 1;
    var qty = el("input", "cl-qty");
    qty.value = line.qty;
    qty.setAttribute("inputmode", "numeric");
    qty.setAttribute("aria-label", T.quantity);
    var discount = el("input", "cl-discount");
    discount.value = line.discount;
    discount.setAttribute("inputmode", "numeric");
    discount.setAttribute("aria-label", T.discount);
    discount.placeholder = T.discount;
    var problem = el("span", "field-error");

    function refresh() {
      var issue = lineProblem(line);
      problem.textContent = issue || "";
      row.classList.toggle("invalid", !!issue);
      sum.textContent = vnd(lineTotal(line));
      minus.disabled = line.qty <= 1;
      over.hidden = !(line.qty > line.stock);
      save();
      renderTotals();
    }
    minus.addEventListener("click", function () { if (line.qty > 1) { line.qty--; qty.value = line.qty; refresh(); } });
    plus.addEventListener("click", function () { if (line.qty < 10000) { line.qty++; qty.value = line.qty; refresh(); } });
    qty.addEventListener("input", function () { line.qty = /^\d+$/.test(qty.value) ? parseInt(qty.value, 10) : 0; refresh(); });
    discount.addEventListener("input", function () { line.discount = discount.value; refresh(); });
    [minus, qty, plus, discount].forEach(function (node) { controls.appendChild(node); });
    row.appendChild(controls);
    row.appendChild(problem);
    var issue = lineProblem(line);
    problem.textContent = issue || "";
    row.classList.toggle("invalid", !!issue);
    return row;
  }

  /* ---------- payment ---------- */

  function renderTotals() {
    var due = total();
    $("total").textContent = vnd(due);
    $("count").textContent = format(T.items, { n: itemCount() });
    renderQuickCash(due);
    var pay = payments(), cashPaid = 0;
    if (state.method === "cash") {
      var tendered = parseMoney(state.tendered);
      cashPaid = tendered === null || isNaN(tendered) ? due : tendered;
      $("change").textContent = vnd(Math.max(cashPaid - due, 0));
      $("change-row").classList.toggle("short", cashPaid < due);
    }
    if (state.method === "split") { renderSplitRemaining(due); }
    $("transfer-amount").textContent = vnd(due);
    $("card-amount").textContent = vnd(due);
    var blocked = !state.lines.length || state.lines.some(lineProblem) || !!pay.error;
    $("pay-problem").textContent = state.lines.length && pay.error ? pay.error : "";
    chargeButton.disabled = blocked || sending || root.getAttribute("data-shift-open") !== "1";
    $("charge-label").textContent = format(T.charge, { amount: vnd(due) });
  }

  function renderQuickCash(due) {
    var box = $("quick-cash");
    box.textContent = "";
    var amounts = [due].concat(NOTES.filter(function (n) { return n > due; }));
    if (due > NOTES[NOTES.length - 1]) { amounts.push(Math.ceil(due / 100000) * 100000); }
    amounts.filter(function (a, i) { return amounts.indexOf(a) === i && a > 0; }).forEach(function (amount, i) {
      var button = el("button", "btn btn-note", i === 0 ? T.exact : vnd(amount));
      button.type = "button";
      button.addEventListener("click", function () {
        state.tendered = String(amount);
        $("tendered").value = vnd(amount).replace(" \u20ab", "");
        save();
        renderTotals();
      });
      box.appendChild(button);
    });
  }

  function selectMethod(method) {
    state.method = method;
    Array.prototype.forEach.call(document.querySelectorAll("[data-method-panel]"), function (panel) {
      panel.hidden = panel.getAttribute("data-method-panel") !== method;
    });
    Array.prototype.forEach.call(document.querySelectorAll('input[name="method"]'), function (radio) {
      radio.checked = radio.value === method;
    });
    save();
    renderTotals();
  }

  function renderSplit() {
    var box = $("split-rows");
    box.textContent = "";
    state.split.forEach(function (row, index) {
      var line = el("div", "split-row");
      var select = el("select");
      select.setAttribute("aria-label", T.method);
      ["cash", "transfer", "card"].forEach(function (m) {
        var option = el("option", null, T["method_" + m]);
        option.value = m;
        option.selected = row.method === m;
        select.appendChild(option);
      });
      select.addEventListener("change", function () { row.method = select.value; save(); renderTotals(); });
      var amount = el("input");
      amount.value = row.amount;
      amount.placeholder = "0";
      amount.setAttribute("inputmode", "numeric");
      amount.setAttribute("aria-label", T.amount);
      amount.addEventListener("input", function () { row.amount = amount.value; save(); renderTotals(); });
      var rest = el("button", "btn", T.rest);
      rest.type = "button";
      rest.addEventListener("click", function () {
        var others = state.split.reduce(function (sum, r) {
          var a = parseMoney(r.amount);
          return r === row || !a ? sum : sum + a;
        }, 0);
        row.amount = String(Math.max(total() - others, 0));
        amount.value = vnd(parseInt(row.amount, 10)).replace(" \u20ab", "");
        save();
        renderTotals();
      });
      var remove = el("button", "btn-icon", "\u00d7");
      remove.type = "button";
      remove.setAttribute("aria-label", T.remove_payment);
      remove.disabled = state.split.length <= 1;
      remove.addEventListener("click", function () { state.split.splice(index, 1); save(); renderSplit(); renderTotals(); });
      [select, amount, rest, remove].forEach(function (node) { line.appendChild(node); });
      box.appendChild(line);
    });
  }

  function renderSplitRemaining(due) {
    var paid = state.split.reduce(function (sum, r) { var a = parseMoney(r.amount); return a ? sum + a : sum; }, 0);
    $("split-remaining").textContent = paid >= due
      ? format(T.change_is, { amount: vnd(paid - due) }) : format(T.still_due, { amount: vnd(due - paid) });
  }

  /* ---------- sending the sale ---------- */

  function charge() {
    var pay = payments();
    if (chargeButton.disabled || pay.error) { return; }
    var body = {
      id: state.id,
      lines: state.lines.map(function (l) {
        var line = { sku: l.sku, qty: l.qty }, discount = parseMoney(l.discount);
        if (discount) { line.discount_vnd = discount; }
        return line;
      }),
      payments: pay.list
    };
    sending = true;
    clearError();
    chargeButton.classList.add("busy");
    renderTotals();
    api(root.getAttribute("data-api-sales"), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body)
    }).then(function (answer) {
      if (answer.ok) { done(answer.body); }
      else if (answer.body && answer.body.error && answer.body.error.code === "idempotency_conflict") {
        state.id = newId(); // that id is a sale already recorded; this cart is another one
        save();
        showError(answer);
      } else { showError(answer); }
    }, function () {
      showMessage(T.network_error); // the same id is sent again: a retry can never record the sale twice
    }).then(function () {
      sending = false;
      chargeButton.classList.remove("busy");
      renderTotals();
    });
  }

  function done(sale) {
    state = fresh();
    save();
    renderCart();
    $("tendered").value = "";
    renderSplit();
    selectMethod("cash");
    showResult(sale);
  }

  function showResult(sale) {
    $("r-number").textContent = sale.number;
    $("r-total").textContent = vnd(sale.total_vnd);
    $("r-paid").textContent = vnd(sale.paid_vnd);
    $("r-change").textContent = vnd(sale.change_vnd);
    $("r-change-row").hidden = sale.change_vnd <= 0;
    var link = $("r-link");
    link.href = root.getAttribute("data-sale-url").replace("SALE_ID", sale.id);
    var names = {};
    sale.lines.forEach(function (l) { names[l.sku] = l.name; });
    var warnings = $("r-warnings");
    warnings.textContent = "";
    (sale.warnings || []).forEach(function (w) {
      warnings.appendChild(el("li", "badge-line", (T["warning_" + w.code] || w.code) + ": " + (names[w.sku] || w.sku)));
    });
    var qr = $("r-qr");
    qr.hidden = !sale.vietqr;
    if (sale.vietqr) {
      var transfer = sale.payments.filter(function (p) { return p.method === "transfer"; })
        .reduce(function (sum, p) { return sum + p.amount_vnd; }, 0);
      $("r-qr-amount").textContent = vnd(transfer);
      $("r-qr-img").src = root.getAttribute("data-vietqr-url").replace("SALE_ID", sale.id);
    }
    resultPanel.hidden = false;
    $("new-sale").focus();
  }

  function hideResult() {
    if (!resultPanel.hidden) {
      resultPanel.hidden = true;
      $("r-qr-img").removeAttribute("src");
    }
  }

  /* ---------- errors, in the vendor's words ---------- */

  function showError(answer) {
    var error = (answer.body && answer.body.error) || {};
    var text = T["error_" + error.code];
    if (!text && answer.status === 401) { text = T.error_unauthorized; }
    if (!text && answer.status === 400) { text = T.error_expired_page; }
    if (!text && answer.status >= 500) { text = T.error_server; }
    showMessage(text || error.message || T.error_server, answer.status === 401 || error.code === "no_open_shift"
      ? { href: root.getAttribute(error.code === "no_open_shift" ? "data-shift-url" : "data-login-url"),
          text: error.code === "no_open_shift" ? T.open_shift : T.log_in } : null);
  }

  function showMessage(text, link) {
    errorBox.textContent = "";
    errorBox.appendChild(el("span", null, text + " "));
    if (link) {
      var a = el("a", "btn", link.text);
      a.href = link.href;
      errorBox.appendChild(a);
    }
    errorBox.hidden = false;
  }

  function clearError() { errorBox.hidden = true; errorBox.textContent = ""; }

  /* ---------- wiring ---------- */

  function isTyping(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT"
      || target.isContentEditable);
  }

  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 200);
  });
  $("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = search.value.trim();
    if (code) { scan(code); }
  });
  $("search-clear").addEventListener("click", function () { search.value = ""; runSearch(); search.focus(); });
  // A scan while a button has the focus (after a tap) still lands in the search field.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    if (event.key.length === 1 && /[0-9A-Za-z]/.test(event.key)) {
      hideResult();
      search.value = "";
      search.focus();
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll('input[name="method"]'), function (radio) {
    radio.addEventListener("change", function () { selectMethod(radio.value); });
  });
  $("tendered").addEventListener("input", function () { state.tendered = $("tendered").value; save(); renderTotals(); });
  $("add-payment").addEventListener("click", function () {
    if (state.split.length < 20) { state.split.push({ method: "transfer", amount: "" }); save(); renderSplit(); renderTotals(); }
  });
  $("cart-clear").addEventListener("click", function () {
    if (window.confirm(T.confirm_clear)) { state = fresh(); save(); renderCart(); renderSplit(); selectMethod("cash"); $("tendered").value = ""; }
  });
  chargeButton.addEventListener("click", charge);
  $("new-sale").addEventListener("click", function () { hideResult(); search.focus(); });

  $("tendered").value = state.tendered;
  showProducts(catalogue, "");
  renderSplit();
  renderCart();
  selectMethod(state.method);
})();
