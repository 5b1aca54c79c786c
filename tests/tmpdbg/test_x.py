import logging
def test_x(client, auth, caplog):
    caplog.set_level(logging.DEBUG)
    r = client.get('/api/v1/projects?park=gaoxin&category=innovation&start_year=2019&q=%E5%A4%A7%E8%BF%9E%E7%90%86%E5%B7%A5%E5%A4%A7%E5%AD%A6&figures=latest&as_of=2026-11-05&period_end=2026-10-31&start_bucket=before_2019&construction_type=new&reporting_year=1949&format=csv&sort=appendix&limit=50&offset=0', headers=auth("admin"))
    print(r.status_code, r.text[:300])
    assert r.status_code == 200
