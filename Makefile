# ocfsx top level: userspace through CMake, ocfsx.ko through Kbuild, tests, demo.
# Every target installs missing Debian packages first (scripts/deps.sh).
SHELL := /bin/bash
MAKEFLAGS += --no-print-directory
BUILD ?= build
JOBS ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)
# Recursive on purpose: evaluated in recipes, after 'deps' has run.
KVER = $(shell scripts/kver)
KDIR = /lib/modules/$(KVER)/build

.PHONY: all deps userspace module fixtures unit vm-test test demo bench bench-tools install clean

all: userspace module

deps:
	@scripts/deps.sh

userspace: deps
	@cmake -S . -B $(BUILD)/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCFSX_WERROR=$(WERROR) -DOCFSX_UNIT_TESTS=OFF >/dev/null
	@cmake --build $(BUILD)/release -j$(JOBS)

module: deps
	@$(MAKE) --no-print-directory -C $(KDIR) M=$(CURDIR)/kernel modules

# Test-only kernel modules shipped in the VM image (never installed).
fixtures: module
	@$(MAKE) --no-print-directory -C $(KDIR) M=$(CURDIR)/tests/vm/fixtures/crashmod modules

# Unit tests build separately with ASan+UBSan.
unit: deps
	@cmake -S . -B $(BUILD)/sanitize -DCMAKE_BUILD_TYPE=Debug -DOCFSX_SANITIZE=ON -DOCFSX_WERROR=$(WERROR) >/dev/null
	@cmake --build $(BUILD)/sanitize -j$(JOBS)
	@cd $(BUILD)/sanitize && ctest --output-on-failure -j$(JOBS)

vm-test: all fixtures
	@tests/vm/run-all

test: unit vm-test

demo: all
	@vm-harness/ocfsx-vm run vm-harness/scenarios/demo.sh

install: all
	@cmake --install $(BUILD)/release
	install -D -m 0644 kernel/ocfsx.ko /lib/modules/$(KVER)/extra/ocfsx.ko
	depmod -a $(KVER)

# Benchmarks: figures, never pass/fail on speed; never part of 'make test'.
# bench: the file system in one VM against Debian's OCFS2 (bench/README.md);
# bench-tools: mkfs/fsck on the host. Separate, as they measure different things.
bench: all
	@scripts/deps.sh bench
	@bench/fs.sh

bench-tools: userspace
	@scripts/deps.sh bench
	@bench/tools.sh

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/tests/vm/fixtures/crashmod clean
