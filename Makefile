# CortexBot: the two commands of the quick start.
#   make demo   installs the runtime dependencies that are missing, then runs one real-time episode of the default task
#               (LEARNED=1: with the shipped learned policy as the skill, analytic skills as the fallback)
#   make test   installs the runtime and test dependencies that are missing (PostgreSQL, ddsperf, python3-yaml),
#               then runs the whole test suite
SHELL := /bin/bash
TASK ?= put the red cube in the bin
SEED ?= 1
CONFIG ?= Release

.PHONY: demo test deps runtime-deps restore build clean

runtime-deps:
	@bash .ci/install-deps.sh runtime

deps:
	@bash .ci/install-deps.sh test

restore: deps
	dotnet restore CortexBot.sln --nologo -v quiet

build: restore
	dotnet build CortexBot.sln -c $(CONFIG) --no-restore --nologo -v quiet -clp:ErrorsOnly

demo: runtime-deps
	./cortexbot run --task "$(TASK)" --seed $(SEED) --realtime $(if $(LEARNED),--learned)

test: build
	@bash .ci/test.sh $(CONFIG)

clean:
	rm -rf .build
	find src tests -type d \( -name bin -o -name obj \) -prune -exec rm -rf {} +
