/* The products side of the sale screen: the grid, the search, and the USB barcode scanner (it types the code
   then Enter). Loaded after till.js and before sell.js, which calls window.Shelf(options) once. */
window.Shelf = function (options) {
  "use strict";

  var Till = window.Till, T = options.T, el = Till.el, format = Till.format;
  var catalogue = Till.readJson("catalogue");
  var search = document.getElementById("search"), grid = document.getElementById("grid");
  var status = document.getElementById("search-status");
  var searchTimer = null, searchSeq = 0, scanQueue = Promise.resolve();

  function productCard(product) {
    var card = el("button", "product");
    card.type = "button";
    card.setAttribute("data-sku", product.sku);
    if (product.certificate_expired) { card.appendChild(el("span", "badge badge-danger", T.certificate_expired)); }
    card.appendChild(el("span", "p-name", product.name));
    card.appendChild(el("span", "p-price", Till.vnd(product.price_vnd)));
    var meta = el("span", "p-meta");
    meta.appendChild(el("span", "stars", "\u2605".repeat(product.ocop_stars)));
    meta.appendChild(el("span", "p-stock" + (product.stock_qty <= 0 ? " out" : ""),
                        format(T.stock_qty, { qty: product.stock_qty, unit: product.unit })));
    card.appendChild(meta);
    card.addEventListener("click", function () { options.onPick(product); });
    return card;
  }

  function show(products, text) {
    grid.textContent = "";
    products.forEach(function (p) { grid.appendChild(productCard(p)); });
    status.textContent = text || "";
  }

  function found(products) {
    show(products, products.length ? format(T.results, { n: products.length }) : T.nothing_found);
  }

  function findProducts(param, value) {
    return Till.api(options.root.getAttribute("data-api-products") + "?" + param + "=" + encodeURIComponent(value));
  }

  /* What this page knows, for when the kiosk does not answer. */
  function localSearch(q) {
    var needle = Till.fold(q);
    return catalogue.filter(function (p) {
      return p.barcode === q || Till.fold(p.name + " " + p.sku + " " + p.producer).indexOf(needle) >= 0;
    });
  }

  function runSearch() {
    var q = search.value.trim(), seq = ++searchSeq;
    if (!q) { show(catalogue, ""); return; }
    findProducts("q", q).then(function (answer) {
      if (seq !== searchSeq) { return; }
      if (answer.ok) { found(answer.body.products); } else { options.onError(answer); }
    }, function () { if (seq === searchSeq) { show(localSearch(q), T.offline_search); } });
  }

  /* The product a scanned code names: by barcode, else the one product a search finds; null otherwise
     (the grid then shows what the search found). */
  function lookUp(code) {
    return findProducts("barcode", code).then(function (answer) {
      if (!answer.ok) { options.onError(answer); return null; }
      if (answer.body.products.length) { return answer.body.products[0]; }
      return findProducts("q", code).then(function (byText) {
        if (!byText.ok) { options.onError(byText); return null; }
        var products = byText.body.products;
        if (products.length === 1) { return products[0]; }
        show(products, products.length ? format(T.results, { n: products.length }) : format(T.no_match, { code: code }));
        return null;
      });
    }, function () {
      var local = localSearch(code);
      if (local.length === 1) { return local[0]; }
      show(local, T.offline_search);
      return null;
    });
  }

  /* The field is emptied at once so the next scan can follow; scans are looked up one after the other so
     the cart keeps their order. */
  function scan(code) {
    clearTimeout(searchTimer);
    searchSeq++;
    search.value = "";
    scanQueue = scanQueue.then(function () { return lookUp(code); }).then(function (product) {
      if (product) {
        options.onPick(product);
        show(catalogue, "");
      } else if (!search.value) {
        search.value = code;
      }
    }).catch(function () { options.onMessage(T.network_error_search); });
  }

  function isTyping(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT"
      || target.isContentEditable);
  }

  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 200);
  });
  document.getElementById("search-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var code = search.value.trim();
    if (code) { scan(code); }
  });
  document.getElementById("search-clear").addEventListener("click", function () {
    search.value = "";
    runSearch();
    search.focus();
  });
  // A scan while a button has the focus (after a tap) still lands in the search field.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) { return; }
    if (event.key.length === 1 && /[0-9A-Za-z]/.test(event.key)) {
      options.onScanStart();
      search.value = "";
      search.focus();
    }
  });
  show(catalogue, "");

  return { focus: function () { search.focus(); } };
};
