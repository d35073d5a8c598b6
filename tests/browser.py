"""Debian's headless Chromium, driven over the DevTools protocol: the text a page renders."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.airflow_servers import free_port

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
]


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def rendered_text(
    urls: list[str], cookie: tuple[str, str, str], shots: Path | None = None
) -> list[str]:
    """``document.body.innerText`` of each page, after setting ``cookie`` (name, value, url);
    with ``shots``, a PNG of each page is saved there too."""
    binary = chromium()
    assert binary is not None, "chromium is missing: `make test` installs Debian's chromium"
    port = free_port()
    profile = tempfile.mkdtemp(prefix="dp-airflow-chromium-")
    process = subprocess.Popen(
        [
            binary,
            *FLAGS,
            f"--remote-debugging-port={port}",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2) as answer:
                    targets = json.loads(answer.read())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        page = next(t for t in targets if t["type"] == "page")
        return asyncio.run(_texts(page["webSocketDebuggerUrl"], urls, cookie, shots))
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


async def _texts(
    socket_url: str, urls: list[str], cookie: tuple[str, str, str], shots: Path | None
) -> list[str]:
    import base64

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
        name, value, url = cookie
        await call("Network.setCookie", name=name, value=value, url=url)
        texts = []
        for index, target in enumerate(urls):
            await call("Page.navigate", url=target)
            await asyncio.sleep(3)
            result = await call("Runtime.evaluate", expression="document.body.innerText")
            texts.append(str(result["result"]["result"].get("value", "")))
            if shots is not None:
                shot = await call("Page.captureScreenshot", format="png")
                (shots / f"page{index}.png").write_bytes(base64.b64decode(shot["result"]["data"]))
        return texts
