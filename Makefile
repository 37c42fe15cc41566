# Conveniences; without make, run ./scripts/run.sh or ./scripts/test.sh directly.
# Pass arguments with ARGS, e.g. make test ARGS="-k migrations -x".
ARGS ?=

.PHONY: run test

run:
	bash scripts/run.sh $(ARGS)

test:
	bash scripts/test.sh $(ARGS)
