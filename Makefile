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
# Each program is src/<name>/*.c; src/<name>/prog.mk sets <name>_LIBS, the
# archives it links (users before what they use), and may add packages of
# its own in <name>_PKGS.  The shared code is one archive per layer
# (src/lib/<layer>/, plus src/s3tool/, the S3 programs' common front), each
# compiled with the headers of its own packages and of the layers below it
# only: s3get builds without GraphicsMagick's headers, imgq-resize without
# libcurl's.

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share/imgq
DESTDIR	?=

CC	?= cc
PKG_CONFIG ?= pkg-config
O	?= build
B	?= bin
# Every program is a position-independent executable linked with the shared
# libraries pkg-config names, as a distribution builds it: a security
# update of libcurl, OpenSSL or an image codec reaches imgq with the
# library's package.  HEIC and AVIF decoding opens libheif with dlopen(3)
# (src/lib/img/img_heif.c); scripts/deps.d/resize.txt names the package.
ifeq ($(STATIC),1)
$(error STATIC=1: there is no static build any more; every program links its libraries shared)
endif

WARN	= -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wformat=2 -Wvla
HARDEN	= -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection \
	  -fcf-protection -fPIE
CFLAGS	?= -O2 -g
LDFLAGS	?=
ifeq ($(WERROR),1)
WARN	+= -Werror
endif

# The layers: where each lives, which layers it uses, which packages.
LAYERS	:= base http job q s3 imgtype img s3tool cli
base_DIR := src/lib/base
http_DIR := src/lib/http
http_DEPS := base
http_PKGS := openssl
job_DIR	:= src/lib/job
job_DEPS := base
q_DIR	:= src/lib/q
q_DEPS	:= job base
q_PKGS	:= hiredis openssl
s3_DIR	:= src/lib/s3
s3_DEPS	:= base
s3_PKGS	:= libcurl openssl
imgtype_DIR := src/lib/imgtype
imgtype_DEPS := base
img_DIR	:= src/lib/img
img_DEPS := imgtype base
img_PKGS := GraphicsMagick lcms2 libjpeg libwebp libwebpdemux
cli_DIR	:= src/cli
cli_DEPS := base
s3tool_DIR := src/s3tool
s3tool_DEPS := s3 base
s3tool_PKGS := libcurl openssl

ALL_PKGS := $(sort $(foreach l,$(LAYERS),$($(l)_PKGS)) libmagic)
layer_a	= $(O)/lib/lib$(1).a
layer_inc = $(foreach d,$(1) $($(1)_DEPS),-I$($(d)_DIR))

# libcurl.  CURL=debian-source (the default once scripts/deps-curl has
# unpacked Debian's curl source into deps/curl/) links a static libcurl
# built from it with HTTP and HTTPS over OpenSSL only, so that a short-lived
# S3 tool does not load the ~30 shared libraries (LDAP, SSH, GSSAPI, HTTP/2,
# PSL, brotli, zstd...) of Debian's libcurl.so.4 on every start.  It keeps
# libidn2, as Debian's does, so that a host name outside ASCII is refused
# as a configuration error, not retried as an unknown host.  OpenSSL, zlib
# and libidn2 stay shared: their security updates still apply without a
# rebuild; a curl update is a `scripts/deps-curl` and a `make`.
# CURL=system links Debian's libcurl.so.4, the pure distribution build.
CURL_DIR := deps/curl
CURL_VER := $(shell cat $(CURL_DIR)/VERSION 2>/dev/null)
CURL	?= $(if $(CURL_VER),debian-source,system)
ifeq ($(CURL),debian-source)
ifeq ($(CURL_VER),)
$(error CURL=debian-source: no curl source in $(CURL_DIR)/ (run scripts/deps-curl))
endif
CURL_BUILD := build/curl-$(CURL_VER)
CURL_A	:= $(CURL_BUILD)/lib/.libs/libcurl.a
# The package name libcurl stands for the archive, its headers and its own
# shared libraries (OpenSSL, listed beside it, zlib and libidn2).
pkg_list = $(patsubst libcurl,zlib libidn2,$(1))
curl_cflags = $(if $(filter libcurl,$(1)),-I$(CURL_DIR)/src/include)
curl_libs = $(if $(filter libcurl,$(1)),$(CURL_A) -pthread)
else ifeq ($(CURL),system)
CURL_A	:=
pkg_list = $(1)
else
$(error CURL=$(CURL): debian-source or system)
endif
pkg_cflags = $(if $(1),$(call curl_cflags,$(1)) \
	$(shell $(PKG_CONFIG) --cflags $(call pkg_list,$(1)) 2>/dev/null))
pkg_libs = $(if $(1),$(call curl_libs,$(1)) \
	$(shell $(PKG_CONFIG) --libs $(call pkg_list,$(1)) 2>/dev/null))

BASE_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(HARDEN) \
	     $(CFLAGS) $(XCFLAGS) -MMD -MP
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS) $(XLDFLAGS)
# Unit tests and fuzz targets may reach into any layer.
ALL_INC	:= $(foreach l,$(LAYERS),-I$($(l)_DIR))
ALL_CFLAGS = $(BASE_CFLAGS) $(ALL_INC) $(call pkg_cflags,$(ALL_PKGS))

# Compiler flags and link lines are in this file and a program's prog.mk:
# an object or a program depends on them too, so that a change to either
# never leaves one built the old way.
define layer_rule
$(1)_SRCS := $$(wildcard $$($(1)_DIR)/*.c)
$(1)_OBJS := $$($(1)_SRCS:src/%.c=$$(O)/%.o)
$(1)_CFLAGS := $$(BASE_CFLAGS) $$(call layer_inc,$(1)) \
	$$(call pkg_cflags,$$($(1)_PKGS))
$$($(1)_OBJS): $$(O)/%.o: src/%.c Makefile
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(1)_CFLAGS) -c -o $$@ $$<
$$(call layer_a,$(1)): $$($(1)_OBJS)
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rule,$(l))))
# Users before what they use, for the unit tests and fuzz targets.
LIBAS	:= $(foreach l,s3tool cli q job http s3 img imgtype base,$(call layer_a,$(l)))

PROGS	:= $(sort $(notdir $(patsubst %/main.c,%,$(wildcard src/*/main.c))))
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

# A program's packages: those of the layers it links, and its own.
define prog_rule
$(1)_OBJS := $$(patsubst src/%.c,$$(O)/%.o,$$(wildcard src/$(1)/*.c))
$(1)_ALLPKGS := $$(sort $$(foreach l,$$($(1)_LIBS),$$($$(l)_PKGS)) $$($(1)_PKGS))
$(1)_CFLAGS := $$(BASE_CFLAGS) -Isrc/$(1) \
	$$(foreach l,$$($(1)_LIBS),-I$$($$(l)_DIR)) \
	$$(call pkg_cflags,$$($(1)_ALLPKGS))
$$($(1)_OBJS): $$(O)/%.o: src/%.c Makefile src/$(1)/prog.mk
	@mkdir -p $$(dir $$@)
	$$(CC) $$($(1)_CFLAGS) -c -o $$@ $$<
$$(B)/$(1): $$($(1)_OBJS) $$(foreach l,$$($(1)_LIBS),$$(call layer_a,$$(l))) \
    Makefile src/$(1)/prog.mk
	@mkdir -p $$(B)
	$$(CC) $$($(1)_CFLAGS) $$(ALL_LDFLAGS) -o $$@ $$($(1)_OBJS) \
	    $$(foreach l,$$($(1)_LIBS),$$(call layer_a,$$(l))) \
	    $$(call pkg_libs,$$($(1)_ALLPKGS)) -lm
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# What links libcurl waits for the archive.  It is configured and built
# once per curl source version (build/curl-VERSION/), not on each make.
ifneq ($(CURL_A),)
CURL_CONFIGURE := --disable-shared --enable-static --with-pic \
	--disable-dependency-tracking --disable-maintainer-mode \
	--with-openssl --with-zlib --without-ca-bundle --without-ca-fallback \
	--with-ca-path=/etc/ssl/certs --enable-http --enable-proxy \
	--enable-ipv6 --enable-threaded-resolver --enable-symbol-hiding \
	--disable-ftp --disable-file --disable-ldap --disable-ldaps \
	--disable-rtsp --disable-dict --disable-telnet --disable-tftp \
	--disable-pop3 --disable-imap --disable-smb --disable-smtp \
	--disable-gopher --disable-mqtt --disable-websockets \
	--disable-alt-svc --disable-hsts --disable-doh --disable-cookies \
	--disable-netrc --disable-ntlm --disable-ntlm-wb --disable-tls-srp \
	--disable-mime --disable-manual --disable-libcurl-option \
	--disable-unix-sockets --disable-ares --without-brotli --without-zstd \
	--without-libpsl --with-libidn2 --without-librtmp \
	--without-libssh2 --without-libssh --without-wolfssh \
	--without-nghttp2 --without-nghttp3 --without-ngtcp2 --without-quiche \
	--without-msh3 --without-hyper --without-gssapi --without-libgsasl
CURL_CFLAGS := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
	-fstack-clash-protection -fcf-protection
# The options, in a file rewritten only when they change, rebuild it too.
CURL_OPTS := $(CURL_BUILD).options
$(shell mkdir -p build; o='$(CC) $(CURL_CFLAGS) $(CURL_CONFIGURE)'; \
    [ "$$(cat $(CURL_OPTS) 2>/dev/null)" = "$$o" ] || echo "$$o" >$(CURL_OPTS))
$(CURL_A): $(CURL_DIR)/VERSION $(CURL_OPTS)
	@echo "curl: configuring Debian's curl $(CURL_VER) in $(CURL_BUILD)/"
	@rm -rf $(CURL_BUILD)
	@mkdir -p $(CURL_BUILD)
	cd $(CURL_BUILD) && $(abspath $(CURL_DIR))/src/configure --quiet \
	    CC='$(CC)' CFLAGS='$(CURL_CFLAGS)' $(CURL_CONFIGURE)
	@echo "curl: building libcurl.a"
	$(MAKE) -C $(CURL_BUILD)/lib libcurl.la
	@echo "curl: $(CURL_A) done"
$(foreach p,$(PROGS),$(if $(filter libcurl,$($(p)_ALLPKGS)),$(B)/$(p))): $(CURL_A)
endif

$(B)/imgq-%: scripts/imgq-%
	@mkdir -p $(B)
	cp $< $@
	chmod 755 $@

# Unit tests link the whole archive and every library (--as-needed drops
# what a test does not use).
ALL_LIBS = $(call pkg_libs,$(ALL_PKGS)) -lm

# A test of a program's pure part also links the objects that the
# program's prog.mk names in test_<name>_OBJS, and finds their headers.
.SECONDEXPANSION:
$(O)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIBAS) $$($$*_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit \
	    $(patsubst $(O)/%/,-Isrc/%,$(sort $(dir $($*_OBJS)))) \
	    $(ALL_LDFLAGS) -o $@ $< $($*_OBJS) $(LIBAS) $(ALL_LIBS)

$(O)/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(LIBAS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< tests/fuzz/replay.c \
	    $(LIBAS) $(ALL_LIBS)

unit: $(UNITS)
fuzz-replay: $(REPLAYS)
$(UNITS) $(REPLAYS): $(CURL_A)

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
fuzz: $(CURL_A)
	$(MAKE) CC=clang O=build/fuzz B=build/fuzz/bin CFLAGS='-O1 -g' \
	    XCFLAGS='-fsanitize=fuzzer-no-link,address,undefined' \
	    $(subst $(O)/,build/fuzz/,$(LIBAS))
	@for f in $(FUZZ_SRCS); do \
	    n=$$(basename $$f .c); \
	    echo "clang $$f -> build/fuzz/$$n"; \
	    clang -std=c11 -D_POSIX_C_SOURCE=200809L -O1 -g $(ALL_INC) \
	        $(call pkg_cflags,$(ALL_PKGS)) -fsanitize=fuzzer,address,undefined \
	        -o build/fuzz/$$n $$f $(subst $(O)/,build/fuzz/,$(LIBAS)) \
	        $(ALL_LIBS) || exit 1; \
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

-include $(foreach l,$(LAYERS),$($(l)_OBJS:.o=.d)) \
    $(foreach p,$(PROGS),$($(p)_OBJS:.o=.d))
