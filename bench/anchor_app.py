"""The anchor page: a minimal Flask app rendering a 25-row table, served beside Fuhua under the same gunicorn config.

A page's milliseconds on a shared 2-core machine mean little alone; beside this page, measured in
the same run and interleaved with the pages, they say how far each page is from the floor that
Flask, Jinja, gunicorn and the loopback impose (`gunicorn 'bench.anchor_app:create_app()'`).
"""

from __future__ import annotations

from flask import Flask, render_template_string

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>anchor</title></head><body>
<h1>{{ title }}</h1>
<table><thead><tr><th>#</th><th>名称</th><th>统一社会信用代码</th><th>类别</th><th>镇街</th><th>状态</th></tr></thead>
<tbody>{% for r in rows %}<tr><td>{{ r.n }}</td><td><a href="/i/{{ r.n }}">{{ r.name }}</a></td><td>{{ r.uscc }}</td>
<td>{{ r.category }}</td><td>{{ r.town }}</td><td>{{ r.status }}</td></tr>{% endfor %}</tbody></table></body></html>"""

ROWS = [{"n": n, "name": f"示例科技企业孵化器{n:03d}", "uscc": f"91441900MA{n:08d}", "category": "孵化器",
         "town": "松山湖", "status": "已认定"} for n in range(1, 26)]


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def table():  # noqa: ANN202
        return render_template_string(PAGE, title="25 行", rows=ROWS)

    return app
