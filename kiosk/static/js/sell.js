/* The sale screen's cart side: the cart (kept in localStorage), payments, POST /api/v1/sales, the result.
   Plain JavaScript, no library; the products side is shelf.js, the arithmetic till.js. Texts come translated
   from the page (#strings). */
(function () {
  "use strict";

  var root = document.getElementById("sell");
  if (!root) { return; }
  var Till = window.Till, vnd = Till.vnd, parseMoney = Till.parseMoney, format = Till.format, el = Till.el;
  var T = Till.readJson("strings");
  var csrfToken = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var STORE = "kiosk.sale.v1";
  var NOTES = [100000, 200000, 500000];
  var $ = function (id) { return document.getElementById(id); };
  var cartList = $("cart"), errorBox = $("error");
  var chargeButton = $("charge"), resultPanel = $("result"), printTimer = null;
  var state = Till.load(STORE), sending = false;
  var shelf = window.Shelf({ root: root, T: T, onPick: addToCart, onError: showError, onMessage: showMessage,
                             onScanStart: hideResult });

  function save() { Till.store(STORE, state); }
  function total() { return Till.total(state); }

  /* The payments to send, or {error} in the vendor's words. */
  function payments() {
    var pay = Till.payments(state);
    if (pay.error) { pay.error = format(T[pay.error], { amount: vnd(pay.amount || 0) }); }
    return pay;
  }

  function lineProblem(line) {
    var problem = Till.lineProblem(line);
    return problem ? T[problem] : null;
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
    var sum = el("strong", "cl-total", vnd(Till.lineTotal(line)));
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
      sum.textContent = vnd(Till.lineTotal(line));
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
    $("count").textContent = format(T.items, { n: Till.itemCount(state) });
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
    var paid = Till.splitPaid(state);
    $("split-remaining").textContent = paid >= due
      ? format(T.change_is, { amount: vnd(paid - due) }) : format(T.still_due, { amount: vnd(due - paid) });
  }

  /* ---------- sending the sale ---------- */

  function charge() {
    var pay = payments();
    if (chargeButton.disabled || pay.error) { return; }
    var body = Till.request(state, pay.list);
    sending = true;
    clearError();
    chargeButton.classList.add("busy");
    renderTotals();
    Till.api(root.getAttribute("data-api-sales"), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body)
    }).then(function (answer) {
      if (answer.ok) { done(answer.body); }
      else if (answer.body && answer.body.error && answer.body.error.code === "idempotency_conflict") {
        state.id = Till.newId(); // that id is a sale already recorded; this cart is another one
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
    state = Till.freshSale();
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
    $("r-receipt").src = url("data-receipt-url", sale.id);
    resultPanel.hidden = false;
    showPrintStatus(sale, 0);
    $("new-sale").focus();
  }

  function url(attribute, saleId) { return root.getAttribute(attribute).replace("SALE_ID", saleId); }

  /* The receipt prints in the background: follow its status for a little while. */
  function showPrintStatus(sale, polls) {
    var status = $("r-print");
    status.textContent = T["print_" + sale.print_status] || sale.print_status;
    status.className = "status status-print-" + sale.print_status;
    $("r-reprint").hidden = sale.print_status === "disabled";
    $("r-reprint").onclick = function () { reprint(sale); };
    clearTimeout(printTimer);
    if ((sale.print_status === "queued" || sale.print_status === "failed") && polls < 15 && !resultPanel.hidden) {
      printTimer = setTimeout(function () {
        Till.api(url("data-api-sale", sale.id), {}).then(function (answer) {
          if (answer.ok && $("r-number").textContent === sale.number) { showPrintStatus(answer.body, polls + 1); }
        }, function () {});
      }, 2000);
    }
  }

  function reprint(sale) {
    Till.api(url("data-reprint-url", sale.id), { method: "POST", headers: { "X-CSRFToken": csrfToken } })
      .then(function (answer) {
        if (answer.ok) { sale.print_status = "queued"; showPrintStatus(sale, 0); } else { showError(answer); }
      }, function () { showMessage(T.network_error_search); });
  }

  function hideResult() {
    if (!resultPanel.hidden) {
      resultPanel.hidden = true;
      clearTimeout(printTimer);
      $("r-qr-img").removeAttribute("src");
      $("r-receipt").removeAttribute("src");
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

  Array.prototype.forEach.call(document.querySelectorAll('input[name="method"]'), function (radio) {
    radio.addEventListener("change", function () { selectMethod(radio.value); });
  });
  $("tendered").addEventListener("input", function () { state.tendered = $("tendered").value; save(); renderTotals(); });
  $("add-payment").addEventListener("click", function () {
    if (state.split.length < 20) { state.split.push({ method: "transfer", amount: "" }); save(); renderSplit(); renderTotals(); }
  });
  $("cart-clear").addEventListener("click", function () {
    if (window.confirm(T.confirm_clear)) { state = Till.freshSale(); save(); renderCart(); renderSplit(); selectMethod("cash"); $("tendered").value = ""; }
  });
  chargeButton.addEventListener("click", charge);
  $("new-sale").addEventListener("click", function () { hideResult(); shelf.focus(); });

  $("tendered").value = state.tendered;
  renderSplit();
  renderCart();
  selectMethod(state.method);
  document.documentElement.dataset.till = "ready"; // the keyboard now goes to the till, not to the plain form
})();
