"""The baseline of the server-start benchmark: the smallest WSGI app gunicorn can serve."""


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
