"""Screenshots of the running `make run` UI through headless Chromium (how the UI was checked).

Run while `make run` is up: ``.venv/bin/python examples/ui_screenshot.py OUT_DIR [PATH ...]``
(extra UI paths, e.g. ``/dags/my-pipeline``, are captured too). Needs Debian's
``chromium`` (``apt-get install chromium``). Logs in through ``/auth/token`` and hands the token
to the UI as its ``_token`` cookie over the DevTools protocol, then captures the DAG list, one
DAG, the DAG runs, and the Data Pipelines view (its list and one pipeline's page).
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

API = "http://127.0.0.1:8080"
PAGES = {
    "dags.png": "/dags",
    "gated-load.png": "/dags/gated-load",
    "runs.png": "/dag_runs",
    "data-pipelines.png": "/data-pipelines/",
    "data-pipelines-gated-load.png": "/data-pipelines/dags/gated-load",
}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=9333",
    "--window-size=1400,900",
]


def token() -> str:
    request = urllib.request.Request(
        f"{API}/auth/token",
        data=json.dumps({"username": "admin", "password": "admin"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


async def capture(socket_url: str, jwt: str, out: Path) -> None:
    import websockets

    async with websockets.connect(socket_url, max_size=50_000_000) as ws:
        counter = 0

        async def call(method: str, **params: object) -> dict:
            nonlocal counter
            counter += 1
            await ws.send(json.dumps({"id": counter, "method": method, "params": params}))
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == counter:
                    return message

        await call("Network.enable")
        await call("Network.setCookie", name="_token", value=jwt, url=f"{API}/")
        for name, path in PAGES.items():
            await call("Page.navigate", url=API + path)
            await asyncio.sleep(6)
            shot = await call("Page.captureScreenshot", format="png")
            (out / name).write_bytes(base64.b64decode(shot["result"]["data"]))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp()
    chrome = subprocess.Popen(
        ["/usr/bin/chromium", *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            try:
                with urllib.request.urlopen("http://127.0.0.1:9333/json", timeout=2) as answer:
                    targets = json.loads(answer.read())
                break
            except OSError:
                time.sleep(0.2)
        page = next(t for t in targets if t["type"] == "page")
        asyncio.run(capture(page["webSocketDebuggerUrl"], token(), out))
    finally:
        chrome.terminate()
    print("\n".join(str(out / name) for name in PAGES))


if __name__ == "__main__":
    for extra in sys.argv[2:]:
        PAGES[extra.strip("/").replace("/", "-") + ".png"] = extra
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "ui-screenshots"))
