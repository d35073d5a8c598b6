# Everything installs from the committed lock (uv.lock); nothing needs installing by hand.
UV_VERSION := 0.13.9
UV := .tools/bin/uv
PY := .venv/bin/python
export UV_COMPILE_BYTECODE := 1

.PHONY: test lint typecheck pytest run clean debian-packages

test: lint typecheck pytest

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --quiet
	touch $@

lint: .venv/.synced
	.venv/bin/ruff check dp_airflow tests dags benchmarks examples
	.venv/bin/ruff format --check dp_airflow tests dags benchmarks examples

typecheck: .venv/.synced
	.venv/bin/mypy

pytest: .venv/.synced debian-packages
	$(PY) -m pytest -q -p no:cacheprovider

# The SQL tests start a throwaway PostgreSQL cluster and MariaDB server from Debian's binaries,
# the Celery test a Redis server (tests/servers.py; the packages' own services are not used);
# the UI test reads pages in Debian's headless Chromium (tests/browser.py).
debian-packages:
	@(ls /usr/lib/postgresql/*/bin/initdb && ls /usr/sbin/mariadbd && ls /usr/bin/chromium \
		&& ls /usr/bin/redis-server) >/dev/null 2>&1 || (apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql mariadb-server \
		chromium redis-server >/dev/null)

run: .venv/.synced
	$(PY) examples/run_local.py

clean:
	rm -rf .venv .tools .mypy_cache .ruff_cache
