# The two commands a new user needs: `make demo` and `make test`. Both run `make setup` first.
.PHONY: setup demo test test-fast lint bench lock

setup:
	@bash scripts/setup.sh

demo: setup
	@.venv/bin/python -m mediamill.demo

test: setup
	@bash scripts/test.sh

test-fast: setup
	@.venv/bin/python -m pytest -q -m "not slow"

lint: setup
	@.venv/bin/ruff check src tests bench

bench: setup
	@for b in bench/*.py; do echo "== $$b"; .venv/bin/python $$b; done

# Re-pin every dependency after editing pyproject.toml.
lock:
	@.venv/bin/uv pip compile -q pyproject.toml --extra dev -o requirements.lock --python-version 3.11
