# Everything installs from the committed lock (uv.lock); nothing needs installing by hand.
UV_VERSION := 0.13.9
UV := .tools/bin/uv
PY := .venv/bin/python
export UV_COMPILE_BYTECODE := 1

# Beside the locked Airflow, the smoke subset (tests/smoke) runs on these releases: the oldest
# supported and Amazon MWAA's (compat/airflow-*.txt, resolved as of each release day).
SMOKE_AIRFLOW := 3.0.6 3.2.1 3.3.1

.PHONY: test lint typecheck pytest smoke compat-locks mwaa run clean debian-packages

test: lint typecheck pytest smoke

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --quiet
	touch $@

lint: .venv/.synced
	.venv/bin/ruff check dp_airflow tests dags benchmarks examples mwaa
	.venv/bin/ruff format --check dp_airflow tests dags benchmarks examples mwaa

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

smoke: $(UV) debian-packages
	@for v in $(SMOKE_AIRFLOW); do \
		echo "smoke subset on Airflow $$v"; \
		$(UV) venv -q --allow-existing --python 3.11 .venv-airflow-$$v && \
		VIRTUAL_ENV=.venv-airflow-$$v $(UV) pip sync -q compat/airflow-$$v.txt && \
		VIRTUAL_ENV=.venv-airflow-$$v $(UV) pip install -q --no-deps --reinstall . && \
		.venv-airflow-$$v/bin/python -m pytest -q -p no:cacheprovider tests/smoke || exit 1; \
	done

# Regenerate compat/airflow-*.txt (needs the release dates written in compat/airflow-*.in).
compat-locks: $(UV)
	@for in in compat/airflow-*.in; do \
		day=$$(grep -o '([0-9-]*)' $$in | tr -d '()'); \
		$(UV) pip compile -q --python-version 3.11 --exclude-newer $$day --no-header \
			--annotation-style line pyproject.toml $$in -o $${in%.in}.txt; \
	done

# Amazon MWAA artefacts in dist/mwaa/: plugins.zip (the dp-airflow wheel), requirements.txt
# (MWAA's constraint line, then the wheel), and dags/ (the loader and its .airflowignore).
MWAA_AIRFLOW ?= 3.3.1
MWAA_PYTHON ?= 3.12
mwaa: $(UV)
	rm -rf dist/mwaa
	$(UV) build -q --wheel --out-dir dist/mwaa/wheel
	python3 mwaa/build_artifacts.py --airflow $(MWAA_AIRFLOW) --python $(MWAA_PYTHON) \
		--wheel-dir dist/mwaa/wheel --out dist/mwaa

run: .venv/.synced
	$(PY) examples/run_local.py

clean:
	rm -rf .venv .venv-airflow-* .tools .mypy_cache .ruff_cache dist
