# imgq: build, test and install.
#
#   make                 programs into bin/
#   make check           everything the CI runs: build, unit tests, fuzz
#                        seed replay, man page lint, bats against real servers
#   make san             the same programs with ASan and UBSan, into build/san/bin
#   make check-san       the whole test suite against the sanitizer build
#   make fuzz            libFuzzer targets (clang) into build/fuzz/
#   make install         PREFIX (/usr/local) and DESTDIR honoured
#
# Each program is src/<name>/*.c; src/<name>/prog.mk may set
# <name>_PKGS (pkg-config packages it links).  src/lib/*.c is one static
# archive, so a program links only the library objects it uses.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share/imgq
DESTDIR	?=

CC	?= cc
PKG_CONFIG ?= pkg-config
O	?= build
B	?= bin
# STATIC=1: programs link libcurl, OpenSSL, hiredis and libmagic from their
# static archives, and those that set <prog>_NOPIE (the S3 tools, started
# for every job) as non-PIE executables (src/lib/static/libs says why and what
# it costs); STATIC=0: all shared and position-independent.
STATIC	?= 1

WARN	= -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wformat=2 -Wvla
HARDEN	= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS	?= -O2 -g
LDFLAGS	?=
ifeq ($(WERROR),1)
WARN	+= -Werror
endif

LIB_PKGS = libcurl openssl hiredis GraphicsMagick libmagic libjpeg libwebp
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIB_PKGS) 2>/dev/null)

ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(HARDEN) \
	     -Isrc/lib $(PKG_CFLAGS) $(CFLAGS) $(XCFLAGS) -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS) $(XLDFLAGS)

STANDINS := $(O)/lib/static/curl_standins.o
ifeq ($(STATIC),1)
LINK_PKG_CONFIG = STANDINS=$(STANDINS) CC='$(CC)' src/lib/static/libs
else
LINK_PKG_CONFIG = $(PKG_CONFIG)
endif

LIB_SRCS := $(wildcard src/lib/*.c)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(O)/%.o)
LIBA	:= $(O)/libimgq.a

PROGS	:= $(sort $(filter-out lib,$(notdir $(patsubst %/main.c,%,$(wildcard src/*/main.c)))))
SCRIPTS	:= $(notdir $(wildcard scripts/imgq-*))
MANS	:= $(wildcard man/*.[1-8])

-include $(wildcard src/*/prog.mk)

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNITS	:= $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/%)
FUZZ_SRCS := $(filter-out tests/fuzz/replay.c,$(wildcard tests/fuzz/*.c))
REPLAYS	:= $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/replay/%)

.PHONY: all check unit fuzz-replay manlint bats san check-san fuzz \
	install uninstall clean

all: $(PROGS:%=$(B)/%) $(SCRIPTS:%=$(B)/%)

$(O)/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

define prog_rule
$(1)_OBJS := $$(patsubst src/%.c,$$(O)/%.o,$$(wildcard src/$(1)/*.c))
$$(B)/$(1): $$($(1)_OBJS) $$(LIBA) $$(STANDINS) src/lib/static/libs
	@mkdir -p $$(B)
	$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$($(1)_OBJS) $$(LIBA) \
	    $$(if $$($(1)_PKGS),$$(shell NOPIE=$$(if $$($(1)_NOPIE),1,0) \
	    $$(LINK_PKG_CONFIG) --libs $$($(1)_PKGS))) -lm
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

$(B)/imgq-%: scripts/imgq-%
	@mkdir -p $(B)
	cp $< $@
	chmod 755 $@

# Unit tests link the whole archive and every library (--as-needed drops
# what a test does not use).
ALL_LIBS = $(shell $(PKG_CONFIG) --libs $(LIB_PKGS) 2>/dev/null) -lm

$(O)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $< $(LIBA) $(ALL_LIBS)

$(O)/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/replay.c \
	    $(LIBA) $(ALL_LIBS)

unit: $(UNITS)
fuzz-replay: $(REPLAYS)

manlint:
	@if [ -n "$(MANS)" ]; then mandoc -Tlint -Wwarning $(MANS); fi

# The whole suite: TAP from unit tests, fuzz replays, man lint, bats;
# tests/run prints "N passed, N failed" and fails on any failure.
check: all unit fuzz-replay
	IMGQ_BIN=$(abspath $(B)) IMGQ_BUILD=$(abspath $(O)) tests/run

san:
	$(MAKE) O=build/san B=build/san/bin CFLAGS='-O1 -g' \
	    XCFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' \
	    XLDFLAGS='-fsanitize=address,undefined' all unit fuzz-replay

check-san: san
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	IMGQ_BIN=$(abspath build/san/bin) IMGQ_BUILD=$(abspath build/san) \
	IMGQ_SAN=1 tests/run

# libFuzzer targets: the library rebuilt with clang and coverage.
fuzz:
	$(MAKE) CC=clang O=build/fuzz B=build/fuzz/bin CFLAGS='-O1 -g' \
	    XCFLAGS='-fsanitize=fuzzer-no-link,address,undefined' \
	    build/fuzz/libimgq.a
	@for f in $(FUZZ_SRCS); do \
	    n=$$(basename $$f .c); \
	    echo "clang $$f -> build/fuzz/$$n"; \
	    clang -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g -Isrc/lib \
	        $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined \
	        -o build/fuzz/$$n $$f build/fuzz/libimgq.a $(ALL_LIBS) || exit 1; \
	done

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	for p in $(PROGS) $(SCRIPTS); do \
	    install -m 755 $(B)/$$p $(DESTDIR)$(BINDIR)/$$p || exit 1; done
	for m in $(MANS); do s=$${m##*.}; \
	    install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; done
	install -d $(DESTDIR)$(DATADIR)
	install -m 644 etc/presets $(DESTDIR)$(DATADIR)/presets
	if [ -d share ]; then cp -R share/. $(DESTDIR)$(DATADIR)/; fi

uninstall:
	for p in $(PROGS) $(SCRIPTS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANS); do s=$${m##*.}; \
	    rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf $(O) $(B) build

-include $(LIB_OBJS:.o=.d) $(foreach p,$(PROGS),$($(p)_OBJS:.o=.d))
