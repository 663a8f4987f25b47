def test_sale_flow(vendor, open_shift):
    r = vendor.post("/sales", {"lines": [{"sku": "CF-CB-500", "qty": 2}, {"sku": "MO-CP-250", "qty": 1, "discount_vnd": 8000}],
                               "payments": [{"method": "cash", "amount_vnd": 300000}, {"method": "transfer", "amount_vnd": 100000}]})
    print(r.get_json())
    assert r.status_code == 201
