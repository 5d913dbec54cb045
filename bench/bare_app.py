"""The baseline for bench_load.py: a bare Flask JSON endpoint with no checking at all."""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/v1/check")
def check():  # type: ignore[no-untyped-def]
    payload = request.get_json()
    return jsonify({"decision": "accept", "fields": len(payload.get("fields", {}))})
