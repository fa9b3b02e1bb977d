#!/usr/bin/env bats
# The build: install and uninstall honour PREFIX and DESTDIR; the programs
# keep the exit-status contract of imgq(7) for bad arguments.

load helpers/common

setup_file() {
	imgq_setup_file
}

mk() {
	make -s -C "$IMGQ_TOP" O="${IMGQ_BUILD:-$IMGQ_TOP/build}" B="$IMGQ_BIN" "$@"
}

@test "make install DESTDIR PREFIX=/usr puts programs and man pages in place" {
	d=$BATS_TEST_TMPDIR/root
	mkdir "$d"
	run -0 mk install DESTDIR="$d" PREFIX=/usr
	n=0
	for p in "$IMGQ_BIN"/*; do
		[ -x "$d/usr/bin/$(basename "$p")" ]
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
	for m in "$IMGQ_TOP"/man/*.[1-8]; do
		[ -f "$m" ] || continue
		s=${m##*.}
		cmp "$m" "$d/usr/share/man/man$s/$(basename "$m")"
	done
	# nothing outside /usr
	run -0 find "$d" -mindepth 1 -maxdepth 1
	[ "$output" = "$d/usr" ]
}

@test "make uninstall removes everything install put there" {
	d=$BATS_TEST_TMPDIR/root
	mkdir "$d"
	run -0 mk install DESTDIR="$d" PREFIX=/opt/imgq
	run -0 mk uninstall DESTDIR="$d" PREFIX=/opt/imgq
	run -0 find "$d" -type f
	[ "$output" = "" ]
}

@test "every program answers a bad option with a usage line and exit 64" {
	n=0
	for p in "$IMGQ_BIN"/*; do
		run -64 "$p" --no-such-option-here
		[[ "$output" == *"usage: $(basename "$p")"* ]]
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "every program has a man page whose SYNOPSIS names it" {
	for p in "$IMGQ_BIN"/*; do
		b=$(basename "$p")
		m=$(ls "$IMGQ_TOP"/man/"$b".[1-8])
		grep -q "^\.Nm $b\$" "$m"
	done
}

# The compiled programs in IMGQ_BIN (the scripts are not ELF files).
elf_programs() {
	local p
	for p in "$IMGQ_BIN"/*; do
		[ "$(head -c 4 "$p")" = $'\x7fELF' ] && echo "$p"
	done
	return 0
}

@test "every compiled program is a position-independent executable, RELRO, bound at start, with stack protector and fortified calls" {
	n=0
	for p in $(elf_programs); do
		run -0 readelf -h "$p"
		[[ "$output" == *"Type:"*"DYN (Position-Independent Executable file)"* ]] ||
			{ echo "$p: not PIE: $(grep Type: <<<"$output")"; false; }
		run -0 readelf -d "$p"
		[[ "$output" == *"(FLAGS_1)"*"Flags: NOW PIE"* ]] ||
			{ echo "$p: FLAGS_1 lacks NOW PIE"; false; }
		run -0 readelf -l "$p"
		[[ "$output" == *GNU_RELRO* ]] || { echo "$p: no GNU_RELRO"; false; }
		# what hardening-check (devscripts) also looks for: the stack
		# protector's and _FORTIFY_SOURCE's functions
		run -0 readelf --dyn-syms -W "$p"
		[[ "$output" == *" __stack_chk_fail@"* ]] || { echo "$p: no stack protector"; false; }
		[[ "$output" =~ \ __[a-z]+_chk@ ]] || { echo "$p: no fortified call"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 13 ]
}

# Which libcurl the S3 tools link: "system" (Debian's libcurl.so.4) or
# "debian-source" (the static one make builds from deps/curl/).
curl_build() {
	if ldd "$IMGQ_BIN/s3get" | grep -q 'libcurl\.so'; then
		echo system
	else
		echo debian-source
	fi
}

# Debian's libcurl.so.4 (installed with libcurl4-openssl-dev).
curl_so() {
	ldconfig -p | awk '$1 == "libcurl.so.4" && $NF ~ /^\// {print $NF; exit}'
}

@test "a static libcurl comes from the real archive built from Debian's curl source" {
	[ "$(curl_build)" = debian-source ] || skip "CURL=system build"
	a=$(ls "$IMGQ_TOP"/build/curl-*/lib/.libs/libcurl.a)
	[ "$(wc -l <<<"$a")" = 1 ]
	v=$(cat "$IMGQ_TOP/deps/curl/VERSION")
	[ "$a" = "$IMGQ_TOP/build/curl-$v/lib/.libs/libcurl.a" ]
	# every member is the object of a C file of the curl source
	n=0
	for m in $(ar t "$a"); do
		f=${m#libcurl_la-}
		f=${f%.o}.c
		[ -n "$(find "$IMGQ_TOP/deps/curl/src/lib" -name "$f")" ] ||
			{ echo "$m: no $f in deps/curl/src/lib"; false; }
		n=$((n + 1))
	done
	[ "$n" -ge 100 ]
	# what the S3 layer calls of libcurl, the archive defines, and s3get
	# carries it (linked in, hidden: no libcurl is loaded, see below)
	nm -g --defined-only "$a" 2>/dev/null | awk 'NF == 3 {print $3}' |
		sort -u >"$BATS_TEST_TMPDIR/archive"
	nm -u "$IMGQ_BUILD"/lib/s3/*.o | awk '$2 ~ /^curl_/ {print $2}' |
		sort -u >"$BATS_TEST_TMPDIR/used"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/used")" -ge 10 ]
	run -0 comm -13 "$BATS_TEST_TMPDIR/archive" "$BATS_TEST_TMPDIR/used"
	[ "$output" = "" ] || { echo "not in $a: $output"; false; }
	run -0 nm --defined-only "$IMGQ_BIN/s3get"
	[[ "$output" == *" t curl_easy_perform"* ]]
}

@test "no object of imgq defines a symbol of a library the programs load" {
	build=${IMGQ_BUILD:-$IMGQ_TOP/build}
	libs=$(for p in $(elf_programs); do ldd "$p"; done |
		awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u)
	# a shared build loads GraphicsMagick's own libraries too
	[[ "$libs" == *libGraphicsMagick* && "$libs" == *libssl* ]]
	# and libcurl's, unless it links the static one built from Debian's
	# source (make CURL=debian-source): its symbols belong to libcurl
	# either way, never to an object of src/
	libs="$libs $(curl_so)"
	for l in $libs; do
		nm -D --defined-only "$l" | awk 'NF == 3 {sub(/@.*/, "", $3); print $3}'
	done | sort -u >"$BATS_TEST_TMPDIR/theirs"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/theirs")" -gt 10000 ]
	# the object of every C source in src/ (none left over from an
	# older tree)
	objs=()
	for c in "$IMGQ_TOP"/src/*/*.c "$IMGQ_TOP"/src/lib/*/*.c; do
		o=${c#"$IMGQ_TOP/src/"}
		[ -f "$build/${o%.c}.o" ] && objs+=("$build/${o%.c}.o")
	done
	[ "${#objs[@]}" -ge 50 ]
	nm -g --defined-only "${objs[@]}" | awk 'NF == 3 {print $3}' |
		sort -u >"$BATS_TEST_TMPDIR/ours"
	run -0 comm -12 "$BATS_TEST_TMPDIR/theirs" "$BATS_TEST_TMPDIR/ours"
	[ "$output" = "" ] || { echo "defined by imgq and by a library: $output"; false; }
}

@test "the libraries are linked shared: the S3 tools need libcurl, imgq-resize GraphicsMagick" {
	for p in s3get s3ls s3put s3rm s3url imgq-recv; do
		run -0 ldd "$IMGQ_BIN/$p"
		if [ "$(curl_build)" = system ]; then
			[[ "$output" == *"libcurl.so.4 => /"* ]] || { echo "$p: $output"; false; }
		else
			[[ "$output" != *libcurl* ]] || { echo "$p: $output"; false; }
			[[ "$output" == *"libz.so.1 => /"* ]] || { echo "$p: $output"; false; }
		fi
		[[ "$output" == *"libssl.so."*" => /"* ]]
	done
	run -0 ldd "$IMGQ_BIN/imgq-resize"
	[[ "$output" == *"libGraphicsMagick-Q16.so."*" => /"* ]]
	[[ "$output" == *"libjpeg.so."*" => /"* ]]
	[[ "$output" == *"liblcms2.so.2 => /"* ]]
	run -0 ldd "$IMGQ_BIN/imgq-pop"
	[[ "$output" == *"libhiredis.so."*" => /"* ]]
}
